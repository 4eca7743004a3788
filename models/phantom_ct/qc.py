"""Quality control of a rendered study, in the manner of MAISI's per-organ median-HU check.

Two checks: every organ large enough to judge (at least `MIN_VOXELS` voxels, so its median is
not a partial-volume artefact) has its median HU inside its tissue's published range for the
contrast phase, widened by a tolerance; and every organ the field of view must contain is there
with a plausible volume. A failing study is redrawn from the next sub-seed by the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.measure import LabelStats, image_failures
from models.phantom_ct.label_tissue import tissue_of
from models.phantom_ct.tissue import envelope

MIN_VOXELS = 1000
CHECKED = (
    "liver",
    "spleen",
    "right kidney",
    "left kidney",
    "pancreas",
    "aorta",
    "inferior vena cava",
    "heart",
    "gallbladder",
    "bladder",
    "right lung upper lobe",
    "right lung lower lobe",
    "left lung upper lobe",
    "left lung lower lobe",
    "left autochthon",
    "right autochthon",
    "left iliopsoas",
    "right iliopsoas",
)
# The tissue whose HU range each checked label's median must fall in.
LABEL_TISSUE = {name: tissue_of(name) for name in CHECKED}
# Organs each field of view must hold entirely, with their smallest plausible volume (ml).
REQUIRED = {
    "chest": {"heart": 250.0},
    "abdomen": {"liver": 700.0, "spleen": 50.0, "right kidney": 60.0, "left kidney": 60.0},
    "pelvis": {"bladder": 40.0},
    "chest_abdomen_pelvis": {
        "liver": 700.0,
        "spleen": 50.0,
        "right kidney": 60.0,
        "left kidney": 60.0,
        "heart": 250.0,
        "bladder": 40.0,
    },
}


@dataclass(frozen=True)
class Result:
    passed: bool
    failures: tuple[str, ...]
    medians: dict[str, float]


def check(
    image: np.ndarray,
    stats: dict[str, LabelStats],
    phase: str,
    region: str | None,
    tolerance_hu: float,
    hu_ranges: bool = True,
) -> Result:
    """`hu_ranges` False (a random appearance) judges only the image and the organs' presence."""
    failures = list(image_failures(image))
    medians = {}
    for name, tissue in LABEL_TISSUE.items() if hu_ranges else ():
        found = stats.get(name)
        if found is None or found.voxels < MIN_VOXELS:
            continue
        lo, hi = envelope(tissue, phase)  # over every age and sex: muscle loses HU with age
        medians[name] = found.median
        if not lo - tolerance_hu <= found.median <= hi + tolerance_hu:
            failures.append(f"{name} median {found.median:.0f} HU outside [{lo:.0f}, {hi:.0f}] +- {tolerance_hu:.0f}")
    for name, least_ml in REQUIRED.get(region, {}).items():
        found = stats.get(name)
        if found is None or found.volume_ml < least_ml:
            failures.append(f"{name} {0.0 if found is None else found.volume_ml:.0f} ml, below {least_ml:.0f} ml")
    return Result(not failures, tuple(failures), medians)
