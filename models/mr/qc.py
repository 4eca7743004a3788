"""Quality control of an MR study from its own physics: the orderings of tissue intensity that the
drawn sequence and tissue properties imply must hold in the image.

Ranked labels are the organs the generator names (large soft-tissue organs, vessels, fluid-filled
structures and muscles; bones and thin walls are left out, because partial volume in a thick slice
ranks them as a scanner would, not as their tissue does) with at least MIN_VOXELS voxels. A label's
expected median is the median of the noise-free signals of its tissues (a kidney is cortex and
medulla) times the coil field the image was given. For every pair whose expected medians differ
clearly (the brighter at least MARGIN brighter, and by more than NOISE_MULTIPLE noise standard
deviations) the measured medians must keep that order. Labels expected below NOISE_MULTIPLE noise
standard deviations (air, gas) are not ranked: their median is the Rician noise floor plus
whatever partial volume brings. A failing study is redrawn by the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.labels import LabelDict
from models.measure import LabelStats, image_failures

MIN_VOXELS = 1000
MARGIN = 0.35
NOISE_MULTIPLE = 3.0
LEVELS = 4096


@dataclass(frozen=True)
class Result:
    passed: bool
    failures: tuple[str, ...]
    expected: dict[str, float]  # label -> expected median (signal units)
    pairs: int  # orderings checked


def expected_medians(
    label: np.ndarray,
    tissue: np.ndarray,
    signals: np.ndarray,
    coil: np.ndarray,
    labels: LabelDict,
    checked: tuple[str, ...],
) -> dict[str, float]:
    """Expected (noise-free) median |signal| of each `checked` label with at least MIN_VOXELS
    voxels: its tissues' signals times the coil field the image carries, over every other voxel
    per axis (`coil` is given there), to 1/LEVELS of the brightest."""
    stride = (slice(None, None, 2),) * 3
    sub_label, sub_tissue = label[stride], tissue[stride]
    values = np.abs(signals)[sub_tissue] * coil
    top = float(values.max()) or 1.0
    level = np.rint(values * ((LEVELS - 1) / top)).astype(np.int64)
    joint = np.bincount((sub_label.astype(np.int64) * LEVELS + level).ravel(), minlength=256 * LEVELS)
    joint = joint[: 256 * LEVELS].reshape(256, LEVELS)
    values_of = {lb.name: lb.value for lb in labels}
    out = {}
    for name in checked:
        if name not in values_of:
            continue
        hist = joint[values_of[name]]
        total = int(hist.sum())
        if total * 8 < MIN_VOXELS:
            continue
        out[name] = float(np.searchsorted(np.cumsum(hist), (total + 1) // 2)) * top / (LEVELS - 1)
    return out


def check(image: np.ndarray, stats: dict[str, LabelStats], expected: dict[str, float], noise: float) -> Result:
    """`noise`: the per-channel noise standard deviation, in the units of `expected`. Measured
    medians are compared as ranks, so the stored image's scale does not matter."""
    failures = list(image_failures(image))
    floor = NOISE_MULTIPLE * noise  # below it a median is the Rician noise floor plus partial volume
    judged = {n: e for n, e in expected.items() if n in stats and stats[n].voxels >= MIN_VOXELS and e >= floor}
    names = sorted(judged, key=judged.__getitem__)
    pairs = 0
    for i, dim in enumerate(names):
        for bright in names[i + 1 :]:
            lo, hi = judged[dim], judged[bright]
            if hi < lo * (1.0 + MARGIN) or hi - lo < floor:
                continue
            pairs += 1
            if not stats[bright].median > stats[dim].median:
                failures.append(
                    f"{bright} median {stats[bright].median:.0f} not above {dim} {stats[dim].median:.0f}"
                    f" (expected {hi:.3g} > {lo:.3g})"
                )
    return Result(not failures, tuple(failures[:10]), judged, pairs)


def noise_level(expected: dict[str, float], snr: float) -> float:
    """The noise standard deviation in signal units, as `models.mr.image` sets it (approximately:
    from the labels' expected medians rather than every labelled voxel)."""
    return float(np.mean(list(expected.values()))) / snr if expected else 0.0
