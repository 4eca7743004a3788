"""Smooth Gaussian random fields on a voxel grid: tissue texture, bowel loops, lung vessels.

A field with a large correlation length is made on a coarse grid (up to 4x coarser per axis) and
trilinearly upsampled, so its cost falls with the cube of the step while it stays smooth.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage


def smooth_field(shape: tuple[int, ...], sigma_vox: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Unit-variance field with correlation length `sigma_vox` (voxels, per axis)."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma=sigma_vox, truncate=3.0)
    std = float(field.std()) or 1.0
    field *= np.float32(1.0 / std)
    return field


def coarse_field(
    shape: tuple[int, int, int], sigma_vox: float | tuple[float, ...], rng: np.random.Generator
) -> np.ndarray:
    """A smooth unit-variance field, made on a coarse grid (per axis: step up to 4, at least ~0.7
    coarse voxel per sigma) and trilinearly upsampled, which adds smoothness of its own."""
    sigmas = tuple(sigma_vox) if isinstance(sigma_vox, tuple) else (float(sigma_vox),) * 3
    steps = [int(np.clip(round(1.5 * s), 1, 4)) for s in sigmas]
    small = tuple(max(-(-n // st), 2) for n, st in zip(shape, steps, strict=True))
    field = smooth_field(small, tuple(max(s / st, 0.5) for s, st in zip(sigmas, steps, strict=True)), rng)
    if small == tuple(shape):
        return field
    up = torch.nn.functional.interpolate(torch.from_numpy(field)[None, None], size=tuple(shape), mode="trilinear")
    return up[0, 0].numpy()


def field_on(x: np.ndarray, y: np.ndarray, z: np.ndarray, sigma_mm: float, seed: int) -> np.ndarray:
    """A smooth field over the window whose broadcast coordinates are x, y, z (mm)."""
    shape = (z.size, y.size, x.size)
    spacing = [axis_step(a) for a in (z.ravel(), y.ravel(), x.ravel())]
    return coarse_field(shape, tuple(sigma_mm / s for s in spacing), np.random.default_rng(seed))


def axis_step(axis: np.ndarray) -> float:
    """The spacing (mm) of a window's coordinate axis; 1 for a single sample."""
    return float(abs(axis[1] - axis[0])) if axis.size > 1 else 1.0
