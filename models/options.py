"""Steerable generator parameters: each is fixed, a set of choices, or a numeric range.

A generator declares its parameters once (name, what is allowed, default); `generator.params`
from the dataset config is parsed against that declaration when the generator is built, so a
typo or an out-of-range value fails before any work with the dotted field name.

    generator.params.body_region=abdomen               # fixed
    generator.params.body_region=[chest,abdomen]       # uniform choice per study
    generator.params.age=[40,60]                       # uniform range per study
    generator.params.age=55                            # fixed
    generator.params.weights_dir=/models/maisi         # a setting: one value for the dataset
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.errors import ParamError


@dataclass(frozen=True)
class Choice:
    """A categorical parameter; the study draws uniformly from the configured choices."""

    allowed: tuple[str, ...]
    default: tuple[str, ...]

    def parse(self, field: str, value: Any) -> tuple[str, ...]:
        values = tuple(str(v) for v in value) if isinstance(value, list | tuple) else (str(value),)
        bad = [v for v in values if v not in self.allowed]
        if not values or bad:
            raise ParamError(field, f"must be one of {list(self.allowed)} or a list of them, got {value!r}")
        return values

    def sample(self, parsed: tuple[str, ...], rng: np.random.Generator) -> str:
        return parsed[int(rng.integers(len(parsed)))] if len(parsed) > 1 else parsed[0]


@dataclass(frozen=True)
class Range:
    """A numeric parameter inside hard limits; the study draws uniformly from [lo, hi]. An
    optional one defaults to None (not set) and can be set back to null."""

    limits: tuple[float, float]
    default: tuple[float, float] | None

    def parse(self, field: str, value: Any) -> tuple[float, float] | None:
        if value is None and self.default is None:
            return None
        items = list(value) if isinstance(value, list | tuple) else [value, value]
        values = [_finite(field, v, "a number or [lo, hi]") for v in items]
        if len(values) != 2 or values[0] > values[1]:
            raise ParamError(field, f"must be a number or [lo, hi] with lo <= hi, got {value!r}")
        lo, hi = self.limits
        if values[0] < lo or values[1] > hi:
            raise ParamError(field, f"must lie within [{lo:g}, {hi:g}], got {value!r}")
        return values[0], values[1]

    def sample(self, parsed: tuple[float, float] | None, rng: np.random.Generator) -> float | None:
        if parsed is None:
            return None
        return float(rng.uniform(parsed[0], parsed[1])) if parsed[1] > parsed[0] else parsed[0]


@dataclass(frozen=True)
class Subset:
    """A set of allowed values (for example which lesion kinds may appear); not drawn per study."""

    allowed: tuple[str, ...]
    default: tuple[str, ...]

    def parse(self, field: str, value: Any) -> tuple[str, ...]:
        return Choice(self.allowed, self.default).parse(field, value)

    def sample(self, parsed: tuple[str, ...], rng: np.random.Generator) -> list[str]:
        return list(parsed)


@dataclass(frozen=True)
class Setting:
    """One value for the whole dataset (a network, a folder), never drawn per study: a string
    from `allowed`, any string when `allowed` is None (a path), or a number within `limits`."""

    default: Any
    allowed: tuple[str, ...] | None = None
    limits: tuple[float, float] | None = None
    integer: bool = False

    def parse(self, field: str, value: Any) -> Any:
        if value is None:
            if self.default is None:
                return None
            raise ParamError(field, f"must be set (default {self.default!r}), got null")
        if self.limits is not None:
            return self._number(field, value)
        if isinstance(value, list | tuple | dict):
            raise ParamError(field, f"takes one value, got {value!r}")
        if self.allowed is not None and str(value) not in self.allowed:
            raise ParamError(field, f"must be one of {list(self.allowed)}, got {value!r}")
        return str(value)

    def _number(self, field: str, value: Any) -> float | int:
        number = _finite(field, value, "a number")
        lo, hi = self.limits  # type: ignore[misc]
        if self.integer and number != int(number):
            raise ParamError(field, f"must be a whole number, got {value!r}")
        if not lo <= number <= hi:
            raise ParamError(field, f"must lie within [{lo:g}, {hi:g}], got {value!r}")
        return int(number) if self.integer else number

    def sample(self, parsed: Any, rng: np.random.Generator) -> Any:
        return parsed


@dataclass(frozen=True)
class Weights:
    """Relative weights for the whole dataset (a list of finite numbers >= 0, not all 0), or null."""

    default: None = None

    def parse(self, field: str, value: Any) -> tuple[float, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not value:
            raise ParamError(field, f"must be a list of weights (numbers >= 0), got {value!r}")
        weights = tuple(_finite(field, v, "a list of weights (numbers >= 0)") for v in value)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ParamError(field, f"weights must be >= 0 and not all 0, got {list(value)!r}")
        return weights

    def sample(self, parsed: Any, rng: np.random.Generator) -> Any:
        return parsed


Param = Choice | Range | Subset | Setting | Weights


def _finite(field: str, value: Any, what: str) -> float:
    """`value` as a finite float (numbers only: a string, a boolean, NaN or an infinity is refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParamError(field, f"must be {what}, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer past any float
        raise ParamError(field, f"must be {what} (finite), got {value!r}") from None
    if not math.isfinite(number):
        raise ParamError(field, f"must be {what} (finite), got {value!r}")
    return number


def parse_params(declared: Mapping[str, Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter parsed from `given` (or its default); unknown names are errors."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParamError(f"params.{unknown[0]}", f"unknown parameter (known: {', '.join(sorted(declared))})")
    return {
        name: param.parse(f"params.{name}", given[name]) if name in given else param.default
        for name, param in declared.items()
    }


def sample(declared: Mapping[str, Param], parsed: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One draw of every declared parameter, in declaration order (fixed, so streams replay)."""
    return {name: param.sample(parsed[name], rng) for name, param in declared.items()}  # type: ignore[arg-type]
