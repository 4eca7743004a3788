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
    """A smooth, invertible displacement (mm, RAS) on the output grid: a coarse random velocity
    field integrated by scaling and squaring, then trilinearly upsampled."""
    # Channels in the output's axis order (z, y, x), in mm; nodes about 16 mm apart.
    coarse = [max(int(n * s / 16.0), 2) for n, s in zip(shape, spacing, strict=True)]
    steps = torch.tensor([n * s / (c - 1) for n, s, c in zip(shape, spacing, coarse, strict=True)]).view(1, 3, 1, 1, 1)
    field = torch.from_numpy(rng.normal(0.0, std_mm, (3, *coarse)).astype(np.float32))[None] / 2**SQUARINGS
    for _ in range(SQUARINGS):  # phi = id + u;  phi o phi = id + u + u o (id + u)
        field = field + resample(field, field / steps)
    dz, dy, dx = F.interpolate(field, size=tuple(shape), mode="trilinear", align_corners=True)[0].numpy()
    return np.stack([-dx, -dy, dz], axis=-1)  # LPS output axes -> RAS


def resample(field: torch.Tensor, shift_voxels: torch.Tensor) -> torch.Tensor:
    """`field` sampled at each node shifted by `shift_voxels` (both (1, 3, D, H, W))."""
    d, h, w = field.shape[2:]
    grid = torch.stack(torch.meshgrid(*(torch.arange(n, dtype=torch.float32) for n in (d, h, w)), indexing="ij"))
    target = grid[None] + shift_voxels
    norm = torch.stack([2 * target[:, i] / max(n - 1, 1) - 1 for i, n in enumerate((d, h, w))], dim=-1)
    return F.grid_sample(field, norm.flip(-1), mode="bilinear", padding_mode="border", align_corners=True)
