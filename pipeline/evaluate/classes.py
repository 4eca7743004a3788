"""The classes an evaluation scores: each a group of label names of the generator's vocabulary,
found on both sides, the dataset's label dictionary and the real labels' vocabulary.

`--classes liver,kidney,vertebrae` names classes by what they are: a class takes every label whose
name, without its side (`left`, `right`) and its trailing number or vertebral level (`rib 3`,
`vertebrae L1`), is the class's name, so `kidney` is the left and the right kidney (not a kidney
cyst) and `vertebrae` every vertebra. `name=label+label` lists a class's labels outright
(`lung=left lung upper lobe+left lung lower lobe`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from models import LabelDict
from models.anatomy.vocabulary import BACKGROUND
from pipeline.errors import ConfigError

SIDES = frozenset({"left", "right"})
INDEX = re.compile(r"^(\d+|[CTLS]\d{1,2})$")  # a rib's number, a vertebra's level
FIELD = "--classes"


@dataclass(frozen=True)
class ClassSpec:
    name: str
    members: tuple[str, ...] | None  # listed outright; None: found by name


@dataclass(frozen=True)
class ClassGroup:
    name: str
    dataset: tuple[str, ...]  # the dataset's label names in the class
    real: tuple[str, ...]  # the real vocabulary's label names in the class


def parse(text: str) -> tuple[ClassSpec, ...]:
    """`liver,kidney,lung=left lung upper lobe+left lung lower lobe` as class specs."""
    specs = []
    for item in (part.strip() for part in str(text).split(",")):
        if not item:
            continue
        name, sep, members = item.partition("=")
        name = name.strip().replace("_", " ")
        if not name:
            raise ConfigError(f"{FIELD}: {item!r} has no class name")
        if name == BACKGROUND:
            raise ConfigError(f"{FIELD}: {BACKGROUND!r} is what no class holds, not a class to name")
        listed = tuple(m.strip().replace("_", " ") for m in members.split("+") if m.strip()) if sep else None
        if sep and not listed:
            raise ConfigError(f"{FIELD}: class {name!r} lists no labels after '='")
        specs.append(ClassSpec(name, listed))
    if not specs:
        raise ConfigError(f"{FIELD}: name at least one class, e.g. liver,spleen,kidney")
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{FIELD}: the class {twice[0]!r} is named twice")
    return tuple(specs)


def stem(label: str) -> str:
    """A label's name without its side and its trailing number or level."""
    words = [w for w in label.split() if w not in SIDES]
    if len(words) > 1 and INDEX.match(words[-1]):
        words = words[:-1]
    return " ".join(words)


def members(spec: ClassSpec, names: set[str]) -> tuple[str, ...]:
    if spec.members is not None:
        return tuple(sorted(n for n in spec.members if n in names))
    return tuple(sorted(n for n in names if n == spec.name or stem(n) == spec.name))


def resolve(
    specs: tuple[ClassSpec, ...], dataset: LabelDict, real_names: set[str], vocabulary: str
) -> list[ClassGroup]:
    """Each class's labels on both sides; a class either side lacks is refused, naming it."""
    known = {lb.name for lb in dataset}
    groups = []
    for spec in specs:
        ours, theirs = members(spec, known), members(spec, real_names)
        if not ours and not theirs:
            raise ConfigError(f"{FIELD}: no label of the dataset ({dataset.name}) or of {vocabulary} is {spec.name!r}")
        if not ours:
            raise ConfigError(f"{FIELD}: no label of the dataset's dictionary ({dataset.name}) is {spec.name!r}")
        if not theirs:
            raise ConfigError(f"{FIELD}: no label of the real labels' vocabulary ({vocabulary}) is {spec.name!r}")
        groups.append(ClassGroup(spec.name, ours, theirs))
    return groups


def lookup(groups: list[ClassGroup], names: dict[int, str], side: str) -> np.ndarray:
    """Label value -> class 1..K (0 elsewhere), over 0..65535, for `side` ('dataset' or 'real'),
    from each value's label name (several values may share one)."""
    klass = {name: k for k, group in enumerate(groups, start=1) for name in getattr(group, side)}
    table = np.zeros(65536, dtype=np.uint8)
    for value, name in names.items():
        table[value] = klass.get(name, 0)
    return table
