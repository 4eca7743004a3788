"""Brain extraction ("skull stripping") of a rendered head, as brain-extraction tools deliver it.

Many brain MR images reach a segmentation model already brain-extracted: BET, HD-BET or
SynthStrip run first in most pipelines, and public datasets ship that way (BraTS: "skull-stripped",
Menze et al., IEEE TMI 2015;34:1993; the MNI ICBM152 2009a T1 in nilearn). A model that has
only seen whole heads meets a brain whose cortex borders black, where it learnt scalp and bone.
A brain-extracted study keeps the brain and the CSF round it and sets every other voxel to 0.

The intracranial volume is the largest 6-connected region labelled neither background, scalp nor
skull: the brain, its ventricles and the CSF round it, down the brainstem as far as the map goes.
The eyes (`csf` in the `synthseg` vocabulary) lie outside the skull and are removed with the rest
of the head. The label map is unchanged: the anatomy is the same, only the image is masked. The
catalog's foreground statistics (what StudyStream's z-score divides by) are then those of the
labelled voxels the image still shows, as tools normalise a brain-extracted image over its brain
(nnU-Net: over the nonzero mask), not diluted by the blacked-out head.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from scipy import ndimage

from models import series
from models.brain_mr.template import LABELS, VALUE
from models.measure import Measurements, measure

OUTSIDE = (0, VALUE["scalp"], VALUE["skull"])


def intracranial(label: np.ndarray) -> np.ndarray:
    """The intracranial volume of `label` (bool, same shape)."""
    inside = ~np.isin(label, OUTSIDE)
    parts, count = ndimage.label(inside)
    if count <= 1:
        return inside
    sizes = np.bincount(parts.ravel())
    sizes[0] = 0
    return parts == int(np.argmax(sizes))


def strip(
    images: list[np.ndarray], label: np.ndarray, params: dict[str, Any], spacing_mm: tuple[float, ...]
) -> tuple[list[np.ndarray], list[Measurements]]:
    """A study's images (one per series, as stored) brain-extracted in place, each with its own
    mask (`extract`), and their measurements (`measure_extracted`)."""
    inside = intracranial(label).astype(np.uint8)
    masks = [mask > 0 for mask in series.moved([inside] * len(images), params, spacing_mm)]
    extract(images, masks)
    return images, [
        measure_extracted(image, label, mask, spacing_mm) for image, mask in zip(images, masks, strict=True)
    ]


def extract(images: list[np.ndarray], masks: list[np.ndarray]) -> list[np.ndarray]:
    """Each image with every voxel outside its intracranial mask set to 0 (in place). A series
    moved by its misregistration (`models.series.moved`) has its mask moved with it: a tool strips
    each series on its own image."""
    for image, inside in zip(images, masks, strict=True):
        image[~inside] = 0
    return images


def measure_extracted(
    image: np.ndarray, label: np.ndarray, inside: np.ndarray, spacing_mm: tuple[float, ...]
) -> Measurements:
    """`measure` of a brain-extracted image, its foreground the labelled voxels inside `inside`."""
    found = measure(image, label, spacing_mm, LABELS)  # type: ignore[arg-type]
    shown = image[inside & (label > 0)]
    if not shown.size:
        return found
    return replace(
        found,
        foreground_mean=float(shown.mean(dtype=np.float64)),
        foreground_std=float(shown.std(dtype=np.float64)),
    )
