"""MAISI's quality check: the median HU of each organ group must fall inside the range MAISI
measured on real CT (its `image_median_statistics`, the mean +- 3 sigma "sigma_6" bounds).

Groups pool MAISI label values (both kidneys, the five lung lobes, every bone). A group needs at
least `MIN_VOXELS` voxels to be judged. A failing study is redrawn from the next noise sub-seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.measure import image_failures

MIN_VOXELS = 1000
BONES = (*range(33, 57), *range(63, 98), 120, 122, 127)
# group: (MAISI label values, lowest and highest median HU), from MAISI's quality_check.py.
GROUPS: dict[str, tuple[tuple[int, ...], float, float]] = {
    "liver": ((1,), -21.6, 156.3),
    "spleen": ((3,), -43.1, 177.4),
    "pancreas": ((4,), -56.6, 149.5),
    "kidney": ((5, 14), -130.6, 267.3),
    "lung": ((28, 29, 30, 31, 32), -1088.6, -551.9),
    "bone": (BONES, 71.4, 472.0),
    "brain": ((22,), -304.8, 369.5),
}


@dataclass(frozen=True)
class Result:
    passed: bool
    failures: tuple[str, ...]
    medians: dict[str, float]


def check(image: np.ndarray, label: np.ndarray, tolerance_hu: float = 0.0) -> Result:
    """Judge an int16 HU image against its label map; `tolerance_hu` widens every range."""
    counts = np.bincount(label.ravel(), minlength=256)
    failures, medians = list(image_failures(image)), {}
    for group, (values, lo, hi) in GROUPS.items():
        if int(counts[list(values)].sum()) < MIN_VOXELS:
            continue
        member = np.zeros(256, dtype=bool)
        member[list(values)] = True
        median = _median(image[member[label]])
        medians[group] = median
        if not lo - tolerance_hu <= median <= hi + tolerance_hu:
            failures.append(f"{group} median {median:.0f} HU outside [{lo:g}, {hi:g}]")
    return Result(not failures, tuple(failures), medians)


def _median(values: np.ndarray) -> float:
    """Exact median of integer HU via a histogram (a few ms for millions of voxels)."""
    offset = int(values.min())
    hist = np.bincount((values.astype(np.int64) - offset).ravel())
    cumulative = np.cumsum(hist)
    return float(np.searchsorted(cumulative, (values.size + 1) // 2) + offset)
