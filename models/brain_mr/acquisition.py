"""Acquisition (SynthSeg's recipe): the scan's own resolution and slice thickness, simulated by a
blur matched to it, a downsampling to it and a resampling back to the output grid; then Rician
noise, as magnitude MR images have."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage


@dataclass(frozen=True)
class Acquisition:
    resolution_mm: tuple[float, float, float]  # z, y, x of the simulated scan
    noise: float  # Rician noise standard deviation, relative to the brightest tissue


def sample_acquisition(
    rng: np.random.Generator, isotropic_mm: float, thickness_mm: float, anisotropic: float, noise: float
) -> Acquisition:
    if rng.random() < anisotropic:  # one axis, chosen at random, acquired in thick slices
        resolution = [float(rng.uniform(0.9, 1.3)) for _ in range(3)]
        resolution[int(rng.integers(3))] = thickness_mm
    else:
        resolution = [isotropic_mm] * 3
    return Acquisition(tuple(resolution), noise)  # type: ignore[arg-type]


def acquire(image: np.ndarray, spacing: tuple[float, ...], acq: Acquisition, rng: np.random.Generator) -> np.ndarray:
    coarser = [r / s for r, s in zip(acq.resolution_mm, spacing, strict=True)]
    if max(coarser) > 1.05:
        sigma = [0.75 * c if c > 1.05 else 0.0 for c in coarser]  # SynthSeg's blur for a thicker voxel
        image = ndimage.gaussian_filter(image, sigma=sigma, truncate=3.0)
        low = tuple(max(round(n / c), 2) for n, c in zip(image.shape, coarser, strict=True))
        tensor = torch.from_numpy(image)[None, None]
        tensor = F.interpolate(tensor, size=low, mode="trilinear", align_corners=True)
        image = F.interpolate(tensor, size=image.shape, mode="trilinear", align_corners=True)[0, 0].numpy()
    return rician(image, acq.noise, rng)


def rician(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """|image + complex Gaussian noise|: the noise of a magnitude MR image."""
    real = rng.standard_normal(image.shape, dtype=np.float32)
    real *= np.float32(sigma)
    real += image
    imaginary = rng.standard_normal(image.shape, dtype=np.float32)
    imaginary *= np.float32(sigma)
    np.hypot(real, imaginary, out=real)
    return real
