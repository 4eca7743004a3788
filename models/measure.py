"""Per-label measurements of a study: voxel counts, volumes, intensity statistics.

For integer images (CT in HU, MR in uint16) one joint histogram of (label, intensity) gives every
label's count, mean and exact median, and the image's and the labelled voxels' mean and standard
deviation, in a single pass over the volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.labels import LabelDict

MAX_BINS = 65536  # integer images spanning more values than this fall back to the float path


@dataclass(frozen=True)
class LabelStats:
    voxels: int
    volume_ml: float
    mean: float
    median: float


@dataclass(frozen=True)
class ImageStats:
    min: float
    max: float
    mean: float
    std: float


@dataclass(frozen=True)
class Measurements:
    """What a study's catalog row records of its arrays: per label (every label of the dictionary,
    present or not), the whole image, and the labelled voxels (what z-score normalisation uses)."""

    labels: dict[str, LabelStats]
    image: ImageStats
    foreground_mean: float
    foreground_std: float


def measure(
    image: np.ndarray, label: np.ndarray, spacing_mm: tuple[float, float, float], labels: LabelDict
) -> Measurements:
    """Statistics keyed by label name (every label of the dictionary, present or not) and image-wide."""
    voxel_ml = float(np.prod(spacing_mm)) / 1000.0
    integer = np.issubdtype(image.dtype, np.integer)
    span = int(image.max()) - int(image.min()) + 1 if integer and image.size else 1
    if integer and span <= MAX_BINS:
        return _from_histogram(image, label, labels, voxel_ml)
    per_label = _float_stats(image, label, labels, voxel_ml)
    foreground = image[label > 0]
    return Measurements(
        labels=per_label,
        image=ImageStats(
            min=float(image.min()),
            max=float(image.max()),
            mean=float(image.mean(dtype=np.float64)),
            std=float(image.std(dtype=np.float64)),
        ),
        foreground_mean=float(foreground.mean(dtype=np.float64)) if foreground.size else 0.0,
        foreground_std=float(foreground.std(dtype=np.float64)) if foreground.size else 1.0,
    )


def image_failures(image: np.ndarray) -> tuple[str, ...]:
    """What makes an image unusable whatever its anatomy: values that are not finite, or a
    constant image (no contrast at all: a failed render, a zero noise draw turned into zeros)."""
    if not image.size:
        return ("image is empty",)
    if np.issubdtype(image.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(image)))
        if bad:
            return (f"image has {bad} voxels that are NaN or infinite",)
    low, high = image.min(), image.max()
    if low == high:
        return (f"image is constant ({float(low):g} everywhere)",)
    return ()


def _from_histogram(image: np.ndarray, label: np.ndarray, labels: LabelDict, voxel_ml: float) -> Measurements:
    """Every statistic from one joint histogram of (label value, intensity): built in place in
    one index array, so a 192 x 256 x 256 study costs a single pass and one bincount."""
    n_values = max(int(max(lb.value for lb in labels)), int(label.max()) if label.size else 0) + 1
    offset = int(image.min())
    bins = int(image.max()) - offset + 1
    index = label.astype(np.intp)
    index *= bins
    index += image
    index -= offset
    joint = np.bincount(index.ravel(), minlength=n_values * bins)[: n_values * bins].reshape(n_values, bins)
    del index
    centres = np.arange(bins, dtype=np.float64) + offset
    stats = {}
    for lb in labels:
        hist = joint[lb.value]
        count = int(hist.sum())
        if count == 0:
            stats[lb.name] = LabelStats(0, 0.0, float("nan"), float("nan"))
            continue
        cumulative = np.cumsum(hist)
        median = float(centres[np.searchsorted(cumulative, (count + 1) // 2)])
        mean = float(hist @ centres / count)
        stats[lb.name] = LabelStats(count, count * voxel_ml, mean, median)
    every = joint.sum(axis=0)
    foreground = every - joint[0]
    mean, std = _moments(every, centres)
    fg_mean, fg_std = _moments(foreground, centres) if foreground.any() else (0.0, 1.0)
    return Measurements(
        labels=stats,
        image=ImageStats(min=float(offset), max=float(offset + bins - 1), mean=mean, std=std),
        foreground_mean=fg_mean,
        foreground_std=fg_std,
    )


def _moments(hist: np.ndarray, centres: np.ndarray) -> tuple[float, float]:
    """Mean and (population) standard deviation of the values a histogram counts."""
    n = float(hist.sum())
    mean = float(hist @ centres) / n
    return mean, float(np.sqrt(max(float(hist @ (centres - mean) ** 2) / n, 0.0)))


def _float_stats(image: np.ndarray, label: np.ndarray, labels: LabelDict, voxel_ml: float) -> dict[str, LabelStats]:
    flat_label = label.ravel().astype(np.intp)
    n_values = int(max(lb.value for lb in labels)) + 1
    counts = np.bincount(flat_label, minlength=n_values)
    sums = np.bincount(flat_label, weights=image.ravel().astype(np.float64), minlength=n_values)
    stats = {}
    for lb in labels:
        count = int(counts[lb.value]) if lb.value < len(counts) else 0
        if count == 0:
            stats[lb.name] = LabelStats(0, 0.0, float("nan"), float("nan"))
            continue
        median = float(np.median(image[label == lb.value]))
        stats[lb.name] = LabelStats(count, count * voxel_ml, float(sums[lb.value] / count), median)
    return stats
