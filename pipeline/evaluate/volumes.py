"""Volumes as the evaluation sees them: real scans read from NIfTI, everything resampled to one
spacing and normalised alike, labels as class indices.

A real scan and its label map are read with nibabel, snapped to their nearest axes
(`as_closest_canonical`) and put in the dataset frame: (z, y, x) arrays, LPS (x towards the
patient's left, y posterior), as medsynth writes studies. Resampling to the evaluation's spacing is
linear for images, with a Gaussian pre-filter where it shrinks an axis (sigma = (factor - 1) / 2
voxels, scikit-image's `rescale(anti_aliasing=True)` rule), as a thicker reconstruction averages.
Labels brought to a coarser grid take, per voxel, the class that covers most of it (each class's
share filtered and sampled as the image is, the largest kept), so a 3 mm label says what its 3 mm
image voxel mostly shows; nearest sampling would pick whichever class sits at the voxel's centre,
and turn a 2-3 mm cortex into a broken ribbon. Labels brought to a finer grid are sampled nearest.
Normalisation is the same function for synthetic and real images: CT clipped to
an HU window and scaled to [0, 1]; MR scaled so its 0.5th and 99.5th percentiles are 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from pipeline.errors import ConfigError

Spacing = tuple[float, float, float]  # z, y, x mm
MR_PERCENTILES = (0.5, 99.5)


@dataclass(frozen=True)
class Volume:
    """One volume ready for training or scoring: normalised image, class indices, its spacing."""

    name: str
    image: np.ndarray  # float32 (z, y, x)
    label: np.ndarray  # uint8 class indices (z, y, x)
    spacing: Spacing


@dataclass(frozen=True)
class Scan:
    """A real scan as read: values as stored (HU for CT), label values as stored."""

    name: str
    image: np.ndarray  # float32 (z, y, x), LPS
    label: np.ndarray  # int32 (z, y, x), LPS
    spacing: Spacing
    names: dict[int, str] | None = None  # a DICOM Segmentation's segment number -> label name
    modality: str | None = None  # a DICOM series' Modality (CT, MR); None for NIfTI


def read_scan(image_path: str, label_path: str) -> Scan:
    """The scan and its labels, checked: 3-D, the same grid, finite values, whole-number labels."""
    image, affine = read_nifti(image_path, "--real")
    label, label_affine = read_nifti(label_path, "--labels")
    if image.shape != label.shape or not np.allclose(affine, label_affine, atol=1e-3):
        raise ConfigError(
            f"--labels: {label_path} is not on the grid of {image_path} "
            f"(shape {list(label.shape)} against {list(image.shape)}, or another position)"
        )
    pixels, values = checked(image, label, image_path, label_path)
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))  # x, y, z mm of the canonical axes
    spacing = (float(zooms[2]), float(zooms[1]), float(zooms[0]))
    return Scan(scan_name(image_path), _lps(pixels), _lps(values), spacing)


def checked(image: np.ndarray, label: np.ndarray, image_path: str, label_path: str) -> tuple[np.ndarray, np.ndarray]:
    """A real scan's pixels as float32 and its labels as int32, however they were read; refused
    where a pixel is NaN or infinite or a label not a whole number in [0, 65535]."""
    if not np.isfinite(image).all():
        raise ConfigError(f"--real: {image_path} holds NaN or infinite values")
    values = label if label.dtype.kind in "iu" else np.rint(label)
    if not np.array_equal(values, label) or (values.size and (values.min() < 0 or values.max() > 65535)):
        raise ConfigError(f"--labels: {label_path} holds values that are not whole numbers in [0, 65535]")
    return image.astype(np.float32), values.astype(np.int32)


def read_nifti(path: str, option: str) -> tuple[np.ndarray, np.ndarray]:
    """One 3-D NIfTI volume snapped to its closest canonical (RAS) axes, and its affine; a file
    that is not one is refused in one line naming `option`."""
    import nibabel as nib

    if not Path(path).is_file():
        raise ConfigError(f"{option}: {path} is not a file")
    try:
        image = nib.as_closest_canonical(nib.load(path))
        data = np.asanyarray(image.dataobj)
    except Exception as exc:  # nibabel raises many types for a file that is not NIfTI
        raise ConfigError(f"{option}: {path} is not a readable NIfTI file ({type(exc).__name__})") from None
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3 or min(data.shape) < 1:
        raise ConfigError(f"{option}: {path} must be one 3-D volume, got shape {list(data.shape)}")
    return np.asarray(data, dtype=np.float64 if data.dtype.kind == "f" else data.dtype), image.affine


def _lps(ras: np.ndarray) -> np.ndarray:
    """RAS (x, y, z) -> LPS (z, y, x): flip x and y, reverse the axes."""
    return np.ascontiguousarray(ras[::-1, ::-1, :].transpose(2, 1, 0))


def scan_name(path: str) -> str:
    """A scan's name in the report: its file's or folder's, less a NIfTI suffix."""
    name = Path(path.rstrip("/")).name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def resample(volume: np.ndarray, spacing: Spacing, target: Spacing, labels: bool = False) -> np.ndarray:
    """`volume` on the grid of the same extent at `target` spacing (voxel centres aligned)."""
    factors = np.asarray(target, dtype=np.float64) / np.asarray(spacing, dtype=np.float64)
    if np.allclose(factors, 1.0, atol=1e-3):
        return volume
    shape = tuple(max(round(n / f), 1) for n, f in zip(volume.shape, factors, strict=True))
    offset = 0.5 * factors - 0.5  # output voxel i sits at input coordinate (i + 0.5) * f - 0.5
    sigma = np.maximum((factors - 1.0) / 2.0, 0.0)
    if labels and not sigma.any():
        return ndimage.affine_transform(volume, factors, offset, shape, order=0, mode="nearest")
    if labels:
        return _majority(volume, factors, offset, shape, sigma)
    smooth = ndimage.gaussian_filter(volume.astype(np.float32), sigma) if sigma.any() else volume.astype(np.float32)
    return ndimage.affine_transform(smooth, factors, offset, shape, order=1, mode="nearest")


def _majority(
    volume: np.ndarray, factors: np.ndarray, offset: np.ndarray, shape: tuple[int, ...], sigma: np.ndarray
) -> np.ndarray:
    """Labels on a coarser grid: each output voxel takes the class that covers most of it, each
    class's share of the input filtered and sampled exactly as the image is, the largest kept
    (nnU-Net's preprocessing, through batchgenerators' `resize_segmentation`, also resizes a
    segmentation one class at a time as a share rather than picking one input voxel).

    Each class is filtered only within its bounding box and the filter's reach, and the most common
    class's share is what the others leave (the shares sum to 1), so a 512 x 512 study costs its
    organs' boxes, not a pass over the volume per class."""
    values, counts = np.unique(volume, return_counts=True)
    common = values[np.argmax(counts)]
    boxes = ndimage.find_objects(volume)
    reach = np.ceil(4.0 * sigma).astype(int) + 1  # gaussian_filter's truncation at 4 sigma, and one
    out = np.full(shape, common, dtype=volume.dtype)
    best = np.zeros(shape, dtype=np.float32)
    others = np.zeros(shape, dtype=np.float32)
    for value in values[values != common]:
        box = boxes[value - 1] if value > 0 else tuple(slice(0, n) for n in volume.shape)
        crop, target, local = [], [], []
        for axis, (n, f, o, r, m) in enumerate(zip(volume.shape, factors, offset, reach, shape, strict=True)):
            lo, hi = max(box[axis].start - r, 0), min(box[axis].stop + r, n)
            first = 0 if lo == 0 else int(np.ceil((lo - o) / f))
            last = m if hi == n else min(int(np.floor((hi - 1 - o) / f)) + 1, m)
            crop.append(slice(lo, hi))
            target.append(slice(first, max(last, first)))
            local.append(first * f + o - lo)
        sub = tuple(t.stop - t.start for t in target)
        if 0 in sub:
            continue
        share = ndimage.gaussian_filter((volume[tuple(crop)] == value).astype(np.float32), sigma)
        share = ndimage.affine_transform(share, factors, np.asarray(local), sub, order=1, mode="nearest")
        region = tuple(target)
        others[region] += share
        larger = share > best[region]
        out[region][larger] = value
        best[region][larger] = share[larger]
    out[1.0 - others > best] = common
    return out


def normalize(image: np.ndarray, modality: str, window: tuple[float, float]) -> np.ndarray:
    """float32 in [0, 1]: CT by its HU `window`, anything else by its own percentiles."""
    if modality == "CT":
        lo, hi = window
    else:
        lo, hi = (float(v) for v in np.percentile(image, MR_PERCENTILES))
        hi = hi if hi > lo else lo + 1.0
    out = np.clip(image.astype(np.float32), lo, hi)
    out -= np.float32(lo)
    out *= np.float32(1.0 / (hi - lo))
    return out
