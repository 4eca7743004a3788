"""Smooth diffeomorphic displacement fields (SynthSeg's recipe), shared by every anatomy source.

A stationary velocity field (Gaussian noise on a coarse grid, nodes about 16 mm apart) integrated
by scaling and squaring, so it is invertible and folds nothing, then trilinearly upsampled to the
output grid. Moved here from `brain_mr.spatial` unchanged: brain_mr studies keep their bytes.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

SQUARINGS = 6


def displacement(
    shape: tuple[int, int, int], spacing: tuple[float, ...], std_mm: float, rng: np.random.Generator
) -> np.ndarray:
    """A smooth, invertible displacement (mm, RAS, (nz, ny, nx, 3)) on the output grid."""
    dz, dy, dx = displacement_zyx(shape, spacing, std_mm, rng)
    return np.stack([-dx, -dy, dz], axis=-1)  # LPS output axes -> RAS


def displacement_zyx(
    shape: tuple[int, int, int], spacing: tuple[float, ...], std_mm: float, rng: np.random.Generator
) -> np.ndarray:
    """The same displacement as (3, nz, ny, nx) float32, its components along z, y, x (LPS) in mm."""
    return F.interpolate(coarse_field(shape, spacing, std_mm, rng), size=tuple(shape), mode="trilinear",
                         align_corners=True)[0].numpy()  # fmt: skip


def separable_zyx(
    shape: tuple[int, int, int], spacing: tuple[float, ...], std_mm: float, rng: np.random.Generator
) -> np.ndarray:
    """`displacement_zyx` upsampled one axis at a time (trilinear is separable): the same field to
    float rounding, several times faster on one core. New anatomy sources use it; brain_mr's
    template keeps the other, so its studies keep their bytes."""
    field = coarse_field(shape, spacing, std_mm, rng)[0].numpy()  # (3, cz, cy, cx)
    wz, wy, wx = (_linear_weights(c, n) for c, n in zip(field.shape[1:], shape, strict=True))
    out = np.einsum("kabc,xc->kabx", field, wx, optimize=True)
    out = np.einsum("kabx,yb->kayx", out, wy, optimize=True)
    return np.ascontiguousarray(np.einsum("kayx,za->kzyx", out, wz, optimize=True), dtype=np.float32)


def _linear_weights(coarse: int, fine: int) -> np.ndarray:
    """(fine, coarse) weights of linear interpolation with the end points aligned."""
    position = np.linspace(0.0, coarse - 1.0, fine) if fine > 1 else np.zeros(1)
    low = np.clip(np.floor(position).astype(int), 0, coarse - 2) if coarse > 1 else np.zeros(fine, int)
    weights = np.zeros((fine, coarse), dtype=np.float32)
    frac = (position - low).astype(np.float32)
    weights[np.arange(fine), low] = 1.0 - frac
    if coarse > 1:
        weights[np.arange(fine), low + 1] += frac
    return weights


def coarse_field(
    shape: tuple[int, int, int], spacing: tuple[float, ...], std_mm: float, rng: np.random.Generator
) -> torch.Tensor:
    """The integrated velocity field on its coarse grid, (1, 3, cz, cy, cx), components in mm:
    a Gaussian field with nodes about 16 mm apart, integrated by scaling and squaring."""
    # Channels in the output's axis order (z, y, x), in mm; nodes about 16 mm apart.
    coarse = [max(int(n * s / 16.0), 2) for n, s in zip(shape, spacing, strict=True)]
    steps = torch.tensor([n * s / (c - 1) for n, s, c in zip(shape, spacing, coarse, strict=True)]).view(1, 3, 1, 1, 1)
    field = torch.from_numpy(rng.normal(0.0, std_mm, (3, *coarse)).astype(np.float32))[None] / 2**SQUARINGS
    for _ in range(SQUARINGS):  # phi = id + u;  phi o phi = id + u + u o (id + u)
        field = field + resample(field, field / steps)
    return field


def resample(field: torch.Tensor, shift_voxels: torch.Tensor) -> torch.Tensor:
    """`field` sampled at each node shifted by `shift_voxels` (both (1, 3, D, H, W))."""
    d, h, w = field.shape[2:]
    grid = torch.stack(torch.meshgrid(*(torch.arange(n, dtype=torch.float32) for n in (d, h, w)), indexing="ij"))
    target = grid[None] + shift_voxels
    norm = torch.stack([2 * target[:, i] / max(n - 1, 1) - 1 for i, n in enumerate((d, h, w))], dim=-1)
    return F.grid_sample(field, norm.flip(-1), mode="bilinear", padding_mode="border", align_corners=True)
