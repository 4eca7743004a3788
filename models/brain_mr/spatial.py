"""Spatial augmentation (SynthSeg's recipe): a random affine and a smooth diffeomorphism, and the
warp of the template's labels onto the output grid.

The deformation is a stationary velocity field (Gaussian noise on a coarse grid, smoothed),
integrated by scaling and squaring, so it is invertible and folds nothing; it is upsampled to the
output grid and composed with the affine. Labels are pulled back with nearest-neighbour sampling,
so every output voxel carries exactly one template label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from models.anatomy.warp import displacement as _displacement
from models.brain_mr.template import MIRROR, Template

# MNI space is larger than native brains (about 1.25x in volume): shrink it to adult size.
NATIVE_SCALE = 0.9


@dataclass(frozen=True)
class Warp:
    """The sampled spatial transform of one study (JSON-able parameters)."""

    rotation_deg: tuple[float, float, float]
    scale: tuple[float, float, float]
    shear: tuple[float, float, float]
    translation_mm: tuple[float, float, float]
    deformation_mm: float  # standard deviation of the velocity field
    flip: bool

    def matrix(self) -> np.ndarray:
        """Output mm -> template mm (the inverse of the anatomy's forward transform)."""
        rotation = Rotation.from_euler("xyz", self.rotation_deg, degrees=True).as_matrix()
        shear = np.eye(3)
        shear[0, 1], shear[0, 2], shear[1, 2] = self.shear
        forward = rotation @ shear @ np.diag(np.asarray(self.scale) * NATIVE_SCALE)
        return np.linalg.inv(forward)


def sample_warp(
    rng: np.random.Generator, rotation: float, scaling: float, shear: float, deformation: float, flip_rate: float
) -> Warp:
    log_scales = rng.uniform(-scaling, scaling, 3)
    # Per-axis scaling changes the shape; the brain's volume stays within +-20 % of adult size.
    total = np.clip(log_scales.sum(), np.log(0.8), np.log(1.25))
    log_scales += (total - log_scales.sum()) / 3
    return Warp(
        rotation_deg=tuple(float(v) for v in rng.uniform(-rotation, rotation, 3)),
        scale=tuple(float(v) for v in np.exp(log_scales)),
        shear=tuple(float(v) for v in rng.uniform(-shear, shear, 3)),
        translation_mm=tuple(float(v) for v in rng.normal(0.0, 3.0, 3)),
        deformation_mm=float(rng.uniform(0.0, deformation)),
        flip=bool(rng.random() < flip_rate),
    )


def warp_labels(
    tmpl: Template, warp: Warp, shape: tuple[int, int, int], spacing: tuple[float, ...], rng: np.random.Generator
) -> np.ndarray:
    """The template's labels deformed onto an output grid (z, y, x; LPS axes), centred on the head."""
    coords = _output_coords(shape, spacing)  # (nz, ny, nx, 3) output mm in RAS (x, y, z)
    points = coords.reshape(-1, 3) @ warp.matrix().T + np.asarray(warp.translation_mm)
    points += _head_centre(tmpl)
    points = points.reshape(coords.shape).astype(np.float32)
    if warp.deformation_mm > 0:
        points += _displacement(shape, spacing, warp.deformation_mm, rng)
    if warp.flip:  # the template is symmetric: mirror it in x, then swap left and right labels
        points[..., 0] = -points[..., 0]
    labels = _sample_nearest(tmpl, points)
    if warp.flip:
        labels = _swap_sides(labels)
    return labels


def _output_coords(shape: tuple[int, int, int], spacing: tuple[float, ...]) -> np.ndarray:
    """Voxel centres in mm, head-centred, RAS order (x, y, z) for output arrays indexed (z, y, x)
    whose x grows to the patient's left and y posterior (LPS), like every medsynth volume."""
    axes = [(np.arange(n) - (n - 1) / 2) * s for n, s in zip(shape, spacing, strict=True)]
    z, y, x = np.meshgrid(*axes, indexing="ij")
    return np.stack([-x, -y, z], axis=-1).astype(np.float32)  # LPS -> RAS


def _head_centre(tmpl: Template) -> np.ndarray:
    return np.array([tmpl.origin_mm[i] + (lo + hi - 1) / 2 for i, (lo, hi) in enumerate(tmpl.head_box)])


def _sample_nearest(tmpl: Template, points: np.ndarray) -> np.ndarray:
    """Template labels at RAS mm `points` (..., 3), nearest neighbour, 0 outside the template.
    One axis at a time into a flat index (the same rounding as on the whole (..., 3) array, a
    third of the memory traffic)."""
    origin = np.asarray(tmpl.origin_mm, dtype=np.float32)
    dims = tmpl.labels.shape
    flat = np.zeros(points.shape[:-1], dtype=np.int64)
    inside = np.ones(points.shape[:-1], dtype=bool)
    for axis in range(3):
        index = np.rint(points[..., axis] - origin[axis]).astype(np.int64)
        inside &= (index >= 0) & (index < dims[axis])
        flat *= dims[axis]
        flat += index
    flat[~inside] = 0
    out = tmpl.labels.ravel().take(flat)
    out[~inside] = 0
    return out


def _swap_sides(labels: np.ndarray) -> np.ndarray:
    lut = np.arange(256, dtype=np.uint8)
    for left, right in MIRROR.items():
        lut[left], lut[right] = right, left
    return lut[labels]
