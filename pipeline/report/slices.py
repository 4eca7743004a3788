"""Orthogonal slices through a study's centre, in millimetres, with a coloured label overlay.

Shared by `jobs.preview` (one large picture per study) and the dataset report (a grid). CT is
shown in a soft-tissue window (W 400, L 40), other modalities between their 1st and 99th
percentiles. Superior is up, and the patient's left is on the right of the picture (the
radiological convention: x grows to the patient's left).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import LabelDict

SOFT_TISSUE = (40.0 - 200.0, 40.0 + 200.0)
OVERLAY_ALPHA = 0.55


@dataclass(frozen=True)
class View:
    name: str
    image: np.ndarray
    label: np.ndarray
    aspect: float  # height / width of one pixel, for imshow


def views(image: np.ndarray, label: np.ndarray, spacing_mm: tuple[float, float, float]) -> list[View]:
    """Axial, coronal and sagittal slices through the centre (superior up in the latter two)."""
    nz, ny, nx = image.shape
    dz, dy, dx = spacing_mm
    return [
        View("axial", image[nz // 2], label[nz // 2], dy / dx),
        View("coronal", image[::-1, ny // 2], label[::-1, ny // 2], dz / dx),
        View("sagittal", image[::-1, :, nx // 2], label[::-1, :, nx // 2], dz / dy),
    ]


def window(image: np.ndarray, modality: str) -> tuple[float, float]:
    if modality == "CT":
        return SOFT_TISSUE
    low, high = np.percentile(image, [1, 99])
    return float(low), float(max(high, low + 1e-6))


def overlay_colours(labels: LabelDict, largest: int) -> np.ndarray:
    """RGBA per label value (index = value), `body` and background transparent."""
    colours = np.zeros((max(largest, 0) + 1, 4))
    for lb in labels:
        if lb.value < len(colours) and lb.name != "body":
            colours[lb.value] = np.array(lb.color) / 255.0
    colours[:, 3] *= OVERLAY_ALPHA
    return colours
