"""Per-class scores of a prediction against a reference: Dice, the 95th-percentile symmetric
surface distance in millimetres (MONAI's `compute_hausdorff_distance` with `percentile=95` and the
voxel spacing), and where each class's voxels went (the share called background, itself or each
other class: a row of the confusion matrix). A class absent from the reference scores None; present
but not predicted, Dice 0 and HD95 None (no surface to measure from).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from monai.metrics import compute_hausdorff_distance

from pipeline.evaluate.volumes import Spacing


def scores(predicted: np.ndarray, reference: np.ndarray, n_classes: int, spacing: Spacing) -> dict[str, list]:
    """{"dice": [per class 1..K], "hd95_mm": [...], "called": [...]} with None where undefined; each
    class's masks are built once for all three."""
    found: dict[str, list] = {"dice": [], "hd95_mm": [], "called": []}
    for k in range(1, n_classes + 1):
        p, r = predicted == k, reference == k
        found["dice"].append(_dice(p, r))
        found["hd95_mm"].append(_hd95(p, r, spacing) if p.any() and r.any() else None)
        found["called"].append(_row(predicted[r], n_classes))
    return found


def dice(predicted: np.ndarray, reference: np.ndarray, n_classes: int) -> list[float | None]:
    """Dice of classes 1..K; None for a class absent from the reference."""
    return [_dice(predicted == k, reference == k) for k in range(1, n_classes + 1)]


def _dice(p: np.ndarray, r: np.ndarray) -> float | None:
    return float(2.0 * np.logical_and(p, r).sum() / (p.sum() + r.sum())) if r.any() else None


def _row(inside: np.ndarray, n_classes: int) -> list[float] | None:
    """The share of `inside` (the predictions on one reference class's voxels) called 0 (background),
    1, ..., K; None for a class absent from the reference."""
    if not inside.size:
        return None
    counts = np.bincount(inside.ravel(), minlength=n_classes + 1)[: n_classes + 1]
    return (counts / inside.size).tolist()


def _hd95(p: np.ndarray, r: np.ndarray, spacing: Spacing) -> float:
    def tensor(mask: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(mask)[None, None]

    with warnings.catch_warnings():  # MONAI 1.6 passes its own deprecated `always_return_as_numpy`
        warnings.filterwarnings("ignore", message=".*always_return_as_numpy", category=FutureWarning)
        found = compute_hausdorff_distance(
            tensor(p), tensor(r), include_background=True, percentile=95, spacing=list(spacing)
        )
    value = float(found.item())
    return value if math.isfinite(value) else float("nan")


def mean(values: list[float | None]) -> float | None:
    """Mean of the defined values (None when none is)."""
    defined = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(defined)) if defined else None
