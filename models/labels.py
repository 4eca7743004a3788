"""Label dictionaries: integer label value -> name and display colour.

The CT vocabulary is MAISI's (132 classes plus body = 200, vendored from MAISI's
`label_dict.json`), so procedural CT masks can condition a MAISI ControlNet unchanged.
"""

from __future__ import annotations

import colorsys
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Label:
    value: int
    name: str
    color: RGBA

    @property
    def column(self) -> str:
        """Catalog-safe snake_case name (`right kidney` -> `right_kidney`)."""
        return snake_case(self.name)


@dataclass(frozen=True)
class LabelDict:
    """An ordered, immutable set of labels; value 0 is always background and never listed."""

    name: str
    labels: tuple[Label, ...]

    def __post_init__(self) -> None:
        values = [label.value for label in self.labels]
        if len(set(values)) != len(values) or 0 in values:
            raise ValueError(f"label dict {self.name!r}: values must be unique and non-zero")

    def __iter__(self):
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def value(self, name: str) -> int:
        for label in self.labels:
            if label.name == name:
                return label.value
        raise KeyError(f"label dict {self.name!r} has no label {name!r}")

    def by_value(self) -> dict[int, Label]:
        return {label.value: label for label in self.labels}

    def subset(self, names: list[str], name: str) -> LabelDict:
        """The labels called `names` (sorted by value), keeping their values and colours."""
        return LabelDict(name=name, labels=tuple(sorted(self.labels_named(names), key=lambda lb: lb.value)))

    def labels_named(self, names: list[str]) -> list[Label]:
        by_name = {label.name: label for label in self.labels}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise KeyError(f"label dict {self.name!r} has no labels {missing}")
        return [by_name[n] for n in names]

    def to_json(self) -> list[dict]:
        return [{"value": lb.value, "name": lb.name, "color": list(lb.color)} for lb in self.labels]

    @classmethod
    def from_json(cls, name: str, entries: list[dict]) -> LabelDict:
        labels = tuple(
            Label(int(e["value"]), str(e["name"]), tuple(int(c) for c in e["color"]))  # type: ignore[arg-type]
            for e in entries
        )
        return cls(name=name, labels=labels)


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def label_color(value: int) -> RGBA:
    """A stable, well-spread colour per label value (golden-ratio hue walk)."""
    hue = (value * 0.618033988749895) % 1.0
    saturation = 0.55 + 0.35 * ((value * 7) % 5) / 4
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, 0.95)
    return (round(r * 255), round(g * 255), round(b * 255), 255)


@cache
def maisi_ct_labels() -> LabelDict:
    """MAISI's full CT vocabulary (dummy placeholder classes left out)."""
    text = resources.files("models").joinpath("data/maisi_label_dict.json").read_text()
    raw: dict[str, int] = json.loads(text)
    labels = tuple(
        Label(value, name, label_color(value))
        for name, value in sorted(raw.items(), key=lambda item: item[1])
        if not name.startswith("dummy")
    )
    return LabelDict(name="maisi_ct", labels=labels)
