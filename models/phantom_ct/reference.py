"""The phantom's reference anatomy, read from `data/reference.json`: where each organ, vessel and
bone sits and how big it is in the reference frame, each entry with where its numbers come from.

Code says how a structure is built (a blob, a tube, a shell round a core) and how a study varies
it (`body.Jitter`, `body.Frame`); the numbers it is built from are here, named once. Read once per
process; every accessor returns plain tuples of floats, so a render depends on nothing mutable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from models.errors import GeneratorError

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class Organ:
    centre_mm: Vec3
    radii_mm: Vec3
    angles_deg: Vec3
    bend: float  # the surface's random bend, as `body.Jitter.bend` draws it


@dataclass(frozen=True)
class Path:
    points_mm: tuple[Vec3, ...]
    radii_mm: tuple[float, ...]
    wander_mm: float  # how far a study nudges each point


@cache
def _data() -> dict[str, Any]:
    text = resources.files("models.phantom_ct").joinpath("data/reference.json").read_text()
    return json.loads(text)


def _entry(section: str, name: str) -> dict[str, Any]:
    try:
        return _data()[section][name]
    except KeyError:
        raise GeneratorError(f"phantom_ct: the reference anatomy has no {section} entry {name!r}") from None


def _vec(values: Any) -> Vec3:
    x, y, z = (float(v) for v in values)
    return (x, y, z)


def organ(name: str) -> Organ:
    e = _entry("organs", name)
    return Organ(_vec(e["centre_mm"]), _vec(e["radii_mm"]), _vec(e["angles_deg"]), float(e["bend"]))


def path(name: str) -> Path:
    e = _entry("tubes", name)
    points = tuple(_vec(p) for p in e["path_mm"])
    return Path(points, tuple(float(r) for r in e["radii_mm"]), float(e.get("wander_mm", 2.5)))


def table(name: str) -> tuple[tuple[Any, ...], ...]:
    """A table's rows, numbers as floats (a name column stays a string)."""
    rows = _entry("tables", name)["rows"]
    return tuple(tuple(v if isinstance(v, str) else float(v) for v in row) for row in rows)


def landmark(name: str) -> dict[str, Any]:
    """A landmark entry's values (without its source)."""
    return {k: v for k, v in _entry("landmarks", name).items() if k != "source"}


def entry(section: str, name: str) -> dict[str, Any]:
    """An entry as stored, its source included."""
    return dict(_entry(section, name))


__all__ = ["Organ", "Path", "entry", "landmark", "organ", "path", "table"]
