"""Generators by name: the built-ins, plus any package's `medsynth.generators` entry points.

Built-ins are listed here rather than as entry points so that a bare checkout shipped to Ray
workers with `--working-dir` (no pip install there) still finds them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from models.base import MEMBERS, Generator, GeneratorOptions, describes
from models.errors import GeneratorError

ENTRY_POINT_GROUP = "medsynth.generators"

GeneratorFactory = Callable[[GeneratorOptions], Generator]

_BUILTINS: dict[str, str] = {
    "phantom_ct": "models.phantom_ct:PhantomCT",
    "brain_mr": "models.brain_mr:BrainMR",
    "body_mr": "models.body_mr:BodyMR",
    "maisi_ct": "models.maisi_ct:MaisiCT",
}


def available() -> list[str]:
    """Names of every generator that `create` accepts."""
    plugins = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(set(_BUILTINS) | plugins)


def create(name: str, options: GeneratorOptions) -> Generator:
    """Build generator `name`; options it cannot honour raise `ParamError` naming the field, and a
    generator that lacks a member of the contract (`models.base.Generator`), or describes a column
    that is not common, is refused by name."""
    made = factory(name)
    if options.series is not None and not hasattr(made, "series_names"):
        raise GeneratorError(f"generator.series: {name} renders one series per study (it has no series_names)")
    generator = made(options)
    missing = [member for member in MEMBERS if not hasattr(generator, member)]
    if missing:
        raise GeneratorError(
            f"generator.name: {name} lacks {', '.join(missing)} (the contract is models.base.Generator)"
        )
    describes(generator)  # the common columns it fills, checked before any work
    return generator


def factory(name: str) -> GeneratorFactory:
    """The class (or factory) registered as `name`, not yet built: its class attributes describe it."""
    if name in _BUILTINS:
        module, attr = _BUILTINS[name].split(":")
        return getattr(importlib.import_module(module), attr)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep.load()
    raise GeneratorError(f"generator.name: unknown generator {name!r} (available: {', '.join(available())})")
