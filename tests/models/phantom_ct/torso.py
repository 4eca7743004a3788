"""A procedural torso's label and tissue maps without forming an image (cheap: painting only), for
the tests of the modules that build its parts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from models import GeneratorOptions, LabelDict, make_spec
from models.phantom_ct.patient import draw_anatomy
from models.phantom_ct.tissue import TISSUE_INDEX
from models.registry import create


@dataclass(frozen=True)
class Torso:
    params: dict
    label: np.ndarray
    tissue: np.ndarray
    labels: LabelDict

    def mask(self, name: str) -> np.ndarray:
        return self.label == self.labels.value(name)

    def tissue_mask(self, name: str) -> np.ndarray:
        return self.tissue == TISSUE_INDEX[name]

    def centre(self, name: str) -> np.ndarray:
        """z, y, x voxel centroid (x grows to the patient's left, y to posterior, z upwards)."""
        found = np.argwhere(self.mask(name))
        assert found.size, f"no {name} in this torso"
        return found.mean(axis=0)


@cache
def torso(index: int, shape: tuple[int, int, int] = (96, 64, 64), **params) -> Torso:
    """Study `index` of a chest-abdomen-pelvis phantom_ct (or `params`' region), painted only."""
    options = GeneratorOptions(shape=shape, params={"body_region": "chest_abdomen_pelvis", **params})
    generator = create("phantom_ct", options)
    spec = make_spec(generator, 0, index)
    label, tissue = draw_anatomy(spec.params, np.random.default_rng(index), generator.label_dict, None, "phantom_ct")
    return Torso(spec.params, label, tissue, generator.label_dict)
