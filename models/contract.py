"""The generator contract as checks a test suite can run: every built-in generator's tests use
them, and a third-party generator's tests can import them the same way.

    from models.contract import Contract

    def test_my_generator_keeps_the_contract():
        Contract("my_gen", GeneratorOptions(shape=(32, 32, 32))).check_all()

Each check raises `ContractBroken` (an `AssertionError`) saying what broke. What they hold a generator to:

- the members of `models.base.Generator`, and params that are JSON and name a modality;
- a study of the declared shape whose arrays the factory accepts, by the worker's own rule
  (`models.base.arrays_problem`: equal 3-D shapes, an int16, uint16, float16, float32 or uint8
  image, a uint8 or uint16 label map, spacing positive; with `options.series`, an image of
  (series, z, y, x) naming those series in order), its label values in the label dictionary;
- determinism and regeneration: a second instance renders the spec read back from its JSON row
  to the same bytes, and specs are a function of (dataset seed, index) alone;
- pickling: a pickled and restored generator renders the same bytes (Ray ships them);
- declared columns filled: `Study.columns` has exactly the declared names, each value None or
  of its Arrow type;
- bad options: each given option is refused with a `ParamError` naming its field.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import torch

from models.base import MEMBERS, Generator, GeneratorOptions, Study, StudySpec, arrays_problem, make_spec
from models.errors import ParamError
from models.registry import create

ARROW_TYPES: dict[str, Callable[[Any], bool]] = {
    "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "int64": lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool | np.bool_),
}
CPU = torch.device("cpu")


@dataclass
class Contract:
    """The checks for generator `name` built with `options`, sharing one rendered study."""

    name: str
    options: GeneratorOptions
    bad_options: Sequence[tuple[Mapping[str, Any], str]] = ()  # (params, the field the error names)
    seed: int = 0
    index: int = 3
    device: torch.device = field(default=CPU)

    def build(self) -> Generator:
        return create(self.name, self.options)

    @cached_property
    def generator(self) -> Generator:
        return self.build()

    @cached_property
    def spec(self) -> StudySpec:
        return make_spec(self.generator, self.seed, self.index)

    @cached_property
    def study(self) -> Study:
        return self.generator.render(self.spec, self.device)

    def check_all(self) -> None:
        self.check_members()
        self.check_study()
        self.check_determinism()
        self.check_regeneration()
        self.check_pickling()
        self.check_columns()
        self.check_bad_options()

    def check_members(self) -> None:
        missing = [m for m in MEMBERS if not hasattr(self.generator, m)]
        _require(not missing, f"{self.name} lacks {missing}")
        try:
            json.dumps(self.spec.params, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ContractBroken(f"params must be JSON (finite numbers, lists, strings): {exc}") from None
        _require(isinstance(self.spec.params.get("modality"), str), "params must name the modality")

    def check_study(self) -> None:
        study, expected = self.study, tuple(self.spec.params.get("shape") or self.generator.shape)
        series = tuple(self.options.series or ())
        problem = arrays_problem(study, series)
        _require(problem is None, problem)
        _require(study.label.shape == expected, f"label {study.label.shape}, the declared shape is {expected}")
        known = {0, *(lb.value for lb in self.generator.label_dict)}
        unknown = set(np.unique(study.label).tolist()) - known
        _require(not unknown, f"label values {sorted(unknown)} are not in the label dictionary")

    def check_determinism(self) -> None:
        """Specs are a function of (dataset seed, index) alone, and survive their JSON row."""
        spec = StudySpec.from_json(json.loads(json.dumps(self.spec.to_json())))
        _require(_json(spec) == _json(self.spec), "the spec does not survive its JSON row")
        again = make_spec(self.build(), self.seed, self.index)
        _require(_json(again) == _json(self.spec), "specs are not a function of (dataset seed, index)")

    def check_regeneration(self) -> None:
        """A second generator renders the spec read back from its JSON row to the same bytes: the
        study regenerates from its catalog row, whichever instance renders it."""
        row = StudySpec.from_json(json.loads(json.dumps(self.spec.to_json())))
        _require(_same(self.build().render(row, self.device), self.study), "the row does not regenerate the study")

    def check_pickling(self) -> None:
        restored = pickle.loads(pickle.dumps(self.build()))
        _require(_same(restored.render(self.spec, self.device), self.study), "a pickled generator renders otherwise")

    def check_columns(self) -> None:
        declared = dict(self.generator.columns)
        filled = dict(self.study.columns)
        _require(set(filled) == set(declared), f"columns filled {sorted(filled)} != declared {sorted(declared)}")
        for name, kind in declared.items():
            value = filled[name]
            _require(value is None or ARROW_TYPES[kind](value), f"column {name}: {value!r} is not {kind}")

    def check_bad_options(self) -> None:
        for params, field_name in self.bad_options:
            options = replace(self.options, params={**self.options.params, **params})
            try:
                create(self.name, options)
            except ParamError as exc:
                _require(exc.field == field_name, f"{params}: the error names {exc.field!r}, not {field_name!r}")
            else:
                raise ContractBroken(f"{self.name} accepted {params}")


class ContractBroken(AssertionError):
    """A generator breaks the contract (an AssertionError, so test runners report it as a failure)."""


def _require(condition: object, message: object) -> None:
    """`assert`, but kept under `python -O`: this kit is product code that tests import."""
    if not condition:
        raise ContractBroken(str(message))


def _json(spec: StudySpec) -> str:
    return json.dumps(spec.to_json(), sort_keys=True)


def _same(a: Study, b: Study) -> bool:
    return np.array_equal(a.image, b.image) and np.array_equal(a.label, b.label) and a.spacing_mm == b.spacing_mm
