"""Acquisition (SynthSeg's recipe): a smooth multiplicative coil (bias) field; the scan's own
resolution and slice thickness, simulated by a blur matched to it, a downsampling to it and a
resampling back to the output grid; then Rician noise, as magnitude MR images have. Shared by every
MR generator."""

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
    return rician(resample(image, spacing, acq.resolution_mm), acq.noise, rng)


def resample(image: np.ndarray, spacing: tuple[float, ...], resolution_mm: tuple[float, ...]) -> np.ndarray:
    """`image` as a scan of `resolution_mm` would see it, on its own grid again."""
    coarser = [r / s for r, s in zip(resolution_mm, spacing, strict=True)]
    if max(coarser) > 1.05:
        image = _back(_on_scan_grid(image, coarser), image.shape)
    return image


def _on_scan_grid(image: np.ndarray, coarser: list[float]) -> torch.Tensor:
    """`image` blurred for a voxel `coarser` times larger per axis (SynthSeg's blur) and sampled on
    that coarser grid, as a (1, 1, ...) tensor."""
    sigma = [0.75 * c if c > 1.05 else 0.0 for c in coarser]
    blurred = ndimage.gaussian_filter(image, sigma=sigma, truncate=3.0)
    low = tuple(max(round(n / c), 2) for n, c in zip(image.shape, coarser, strict=True))
    return F.interpolate(torch.from_numpy(blurred)[None, None], size=low, mode="trilinear", align_corners=True)


def _back(tensor: torch.Tensor, shape: tuple[int, ...]) -> np.ndarray:
    return F.interpolate(tensor, size=shape, mode="trilinear", align_corners=True)[0, 0].numpy()


def rician(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """|image + complex Gaussian noise|: the noise of a magnitude MR image."""
    real = rng.standard_normal(image.shape, dtype=np.float32)
    real *= np.float32(sigma)
    real += image
    imaginary = rng.standard_normal(image.shape, dtype=np.float32)
    imaginary *= np.float32(sigma)
    np.hypot(real, imaginary, out=real)
    return real


def scan(
    image: np.ndarray,
    spacing: tuple[float, ...],
    resolution_mm: tuple[float, ...],
    sigma: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """What a scan of `resolution_mm` makes of the signal `image`: blurred as `resample` does and
    sampled on the scan's own grid, complex noise of `sigma` added there and the magnitude taken
    (the noise of a real scan is white at its own resolution, not the display grid's), then
    interpolated back to `image`'s grid."""
    coarser = [r / s for r, s in zip(resolution_mm, spacing, strict=True)]
    if max(coarser) <= 1.05:
        return rician_fast(image, sigma, rng)
    low = _on_scan_grid(image, coarser)
    magnitude = torch.from_numpy(rician_fast(low[0, 0].numpy(), sigma, rng))[None, None]
    return _back(magnitude, image.shape)


def rician_fast(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """`rician` with torch's normal sampler (seeded from `rng`), about 2.5x faster on one core than
    numpy's; other numbers than `rician`'s, which brain_mr's presets keep for their bytes."""
    generator = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
    noise = torch.randn((2, *image.shape), generator=generator)
    noise.mul_(float(sigma))
    noise[0].add_(torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)))
    return torch.hypot(noise[0], noise[1]).numpy()


def bias_field(image: np.ndarray, strength: float, rng: np.random.Generator) -> None:
    """Multiply in place by exp(a smooth field): a 4 x 4 x 4 grid of N(0, strength), upsampled."""
    if strength <= 0:
        return
    image *= coil_field(image.shape, strength, rng)


def coil_field(shape: tuple[int, ...], strength: float, rng: np.random.Generator) -> np.ndarray:
    """exp(a smooth field) over `shape`: a 4 x 4 x 4 grid of N(0, strength), trilinearly upsampled."""
    coarse = torch.from_numpy(rng.normal(0.0, strength, (1, 1, 4, 4, 4)).astype(np.float32))
    field = F.interpolate(coarse, size=tuple(shape), mode="trilinear", align_corners=True)[0, 0].numpy()
    return np.exp(field)
