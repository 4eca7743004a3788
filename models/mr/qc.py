"""Quality control of an MR study from its own physics: the orderings of tissue intensity that the
drawn sequence and tissue properties imply must hold in the image.

For every label large enough to judge (MIN_VOXELS), the expected median is the median of the
noise-free signals of the tissues it is made of (weighted by their voxels: a kidney is cortex and
medulla). For every pair of such labels whose expected medians differ clearly (the brighter at least
MARGIN brighter, and by more than NOISE_MULTIPLE noise standard deviations), the measured medians
must keep that order. The coil field and partial volume may break an ordering that is barely
there; a clear one broken means the render failed, and the generator redraws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.labels import LabelDict
from models.measure import LabelStats, image_failures

MIN_VOXELS = 1000
MARGIN = 0.35
NOISE_MULTIPLE = 3.0


@dataclass(frozen=True)
class Result:
    passed: bool
    failures: tuple[str, ...]
    expected: dict[str, float]  # label -> expected median (signal units)
    pairs: int  # orderings checked


def expected_medians(
    label: np.ndarray, tissue: np.ndarray, signals: np.ndarray, labels: LabelDict, min_voxels: int = MIN_VOXELS
) -> dict[str, float]:
    """Expected (noise-free) median |signal| of each label with at least `min_voxels` voxels,
    from every other voxel per axis (an eighth of the volume is plenty for a median)."""
    stride = (slice(None, None, 2),) * 3
    k = len(signals)
    joint = np.bincount((label[stride].astype(np.int64) * k + tissue[stride]).ravel(), minlength=256 * k)
    joint = joint[: 256 * k].reshape(256, k)
    magnitude = np.abs(signals.astype(np.float64))
    order = np.argsort(magnitude)
    out = {}
    for lb in labels:
        counts = joint[lb.value][order]
        total = int(counts.sum())
        if total * 8 < min_voxels:
            continue
        out[lb.name] = float(magnitude[order][np.searchsorted(np.cumsum(counts), (total + 1) // 2)])
    return out


def check(image: np.ndarray, stats: dict[str, LabelStats], expected: dict[str, float], noise: float) -> Result:
    """`noise`: the per-channel noise standard deviation, in the units of `expected`. Measured
    medians are compared as ranks, so the stored image's scale does not matter."""
    failures = list(image_failures(image))
    judged = {n: e for n, e in expected.items() if n in stats and stats[n].voxels >= MIN_VOXELS}
    names = sorted(judged, key=judged.__getitem__)
    pairs = 0
    for i, dim in enumerate(names):
        for bright in names[i + 1 :]:
            lo, hi = judged[dim], judged[bright]
            if hi < lo * (1.0 + MARGIN) or hi - lo < NOISE_MULTIPLE * noise:
                continue
            pairs += 1
            if not stats[bright].median > stats[dim].median:
                failures.append(
                    f"{bright} median {stats[bright].median:.0f} not above {dim} {stats[dim].median:.0f}"
                    f" (expected {hi:.3g} > {lo:.3g})"
                )
    return Result(not failures, tuple(failures[:10]), judged, pairs)
