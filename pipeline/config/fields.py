"""Typed fields of frozen config dataclasses: every value converted and checked by its annotation.

A config dataclass calls `check_fields(self)` first thing in `__post_init__`; each field is then of
its declared type or a `ConfigError` names its dotted key, whoever built the object (a YAML file, a
`key=value` override, `dataset.json`, or Python code). What is refused everywhere:

- the wrong kind of value (a list where a number goes, a string where a mapping goes, `true` for
  a count), and a fraction where a whole number goes;
- NaN and infinities, at any depth (also inside free-form mappings such as `generator.params`);
- strings with an unresolved `${...}` interpolation (medsynth resolves none unless asked).

Ranges and cross-field rules stay in each class's own `__post_init__`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

from pipeline.errors import ConfigError

SHOWN = 60  # characters of a value or key echoed in a message: never a whole file


def shown(value: Any) -> str:
    """`value` for a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def key_of(instance: Any, name: str) -> str:
    """The dotted key of field `name`: the class's `section` ("dataset"; none for keywords) first."""
    section = getattr(instance, "section", "")
    return f"{section}.{name}" if section else name


def check_fields(instance: Any) -> None:
    """Convert every field of the frozen dataclass `instance` to its annotated type, in place."""
    hints = typing.get_type_hints(type(instance))
    for f in dataclasses.fields(instance):
        value = convert(key_of(instance, f.name), hints[f.name], getattr(instance, f.name))
        object.__setattr__(instance, f.name, value)


def build(cls: type, data: Any, key: str) -> Any:
    """An instance of the config dataclass `cls` from a plain mapping; unknown keys are errors."""
    if dataclasses.is_dataclass(data) and isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"{key or 'config'}: must be a mapping of keys, got {shown(data)}")
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    for name in data:
        if name not in names:
            where = f"{key}.{name}" if key else str(name)
            raise ConfigError(f"{shown_key(where)}: unknown key (known: {', '.join(names)})")
    return cls(**dict(data))


def shown_key(key: str) -> str:
    return key if len(key) <= SHOWN else key[: SHOWN - 3] + "..."


def convert(key: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            if len(options) < len(typing.get_args(hint)):
                return None
            raise ConfigError(f"{key}: must be set, got null")
        first: ConfigError | None = None
        for option in options:  # the first kind the value fits, in the order declared
            try:
                return convert(key, option, value)
            except ConfigError as exc:
                first = first or exc
        raise first  # type: ignore[misc]
    if dataclasses.is_dataclass(hint):
        return build(hint, value, key)
    if origin is tuple:
        return _sequence(key, typing.get_args(hint)[0], value)
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: must be a mapping (key: value), got {shown(value)}")
        return {str(k): free(f"{key}.{k}", v) for k, v in value.items()}
    if hint is Any:
        return free(key, value)
    return _scalar(key, hint, value)


def _sequence(key: str, item: Any, value: Any) -> tuple:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
        raise ConfigError(f"{key}: must be a list, got {shown(value)}")
    return tuple(convert(f"{key}[{i}]", item, v) for i, v in enumerate(value))


def _scalar(key: str, hint: Any, value: Any) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: must be true or false, got {shown(value)}")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: must be a whole number, got {shown(value)}")
        if not math.isfinite(value) or value != int(value):
            raise ConfigError(f"{key}: must be a whole number, got {shown(value)}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: must be a number, got {shown(value)}")
        if not math.isfinite(value):
            raise ConfigError(f"{key}: must be a finite number, got {value}")
        return float(value)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigError(f"{key}: must be a string, got {shown(value)}")
        return free(key, str(value) if not isinstance(value, str) else value)
    raise TypeError(f"{key}: unsupported annotation {hint!r}")  # a programming error, not bad input


def whole_number(key: str, value: Any, lo: int, hi: int) -> int:
    """A whole-number argument of a public function, within [lo, hi]; `ConfigError` naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{key}: must be a whole number between {lo} and {hi:,}, got {shown(value)}")
    return value


def free(key: str, value: Any) -> Any:
    """A free-form value (inside `generator.params`, `storage.options`): plain JSON-like data with
    finite numbers and no interpolation, checked at any depth."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key}: must be a finite number, got {value}")
    if isinstance(value, str):
        if "${" in value:
            raise ConfigError(
                f"{key}: interpolations (${{...}}) are not resolved; give the value itself "
                "(or pass --resolve-interpolations)"
            )
        return value
    if isinstance(value, Mapping):
        return {str(k): free(f"{key}.{k}", v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [free(f"{key}[{i}]", v) for i, v in enumerate(value)]
    if value is None or isinstance(value, bool | int | float):
        return value
    raise ConfigError(f"{key}: must be plain data (numbers, strings, lists, mappings), got {shown(value)}")
