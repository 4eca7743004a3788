"""CT image formation: system blur with partial volume, tissue texture and reconstruction noise.

Noise in filtered back-projection CT is not white: its power spectrum grows with spatial frequency
(the ramp filter) and is rolled off by the reconstruction kernel's apodisation window, so
NPS(f) ~ |f| * A(f)^2 in plane, with little correlation between slices. We shape white noise by
that spectrum slice by slice (one real 2-D FFT over the volume) and scale it to the study's
standard deviation.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
import torch
from scipy import ndimage

# The kernel's apodisation reaches zero at this fraction of the Nyquist frequency (a "standard"
# soft-tissue kernel, not a sharp bone kernel).
APODISATION_CUTOFF = 0.9
PSF_FWHM_MM = 0.9  # in-plane system resolution of a standard kernel


def fbp_noise(shape: tuple[int, int, int], sigma_hu: float, rng: np.random.Generator) -> np.ndarray:
    """Noise with a ramp-times-Hann power spectrum in plane and standard deviation `sigma_hu`."""
    white = rng.standard_normal(shape, dtype=np.float32)
    spectrum = sfft.rfft2(white, workers=1)
    spectrum *= _amplitude(shape[1], shape[2])[None]
    noise = sfft.irfft2(spectrum, s=shape[1:], workers=1)
    noise = ndimage.gaussian_filter1d(noise, sigma=0.4, axis=0)  # slight inter-slice correlation
    std = float(noise.std()) or 1.0
    noise *= np.float32(sigma_hu / std)
    return noise


def _amplitude(ny: int, nx: int) -> np.ndarray:
    fy = np.fft.fftfreq(ny)[:, None]  # cycles per pixel, Nyquist = 0.5
    fx = np.fft.rfftfreq(nx)[None, :]
    f = np.sqrt(fx**2 + fy**2) / 0.5
    window = np.where(f < APODISATION_CUTOFF, 0.5 * (1 + np.cos(np.pi * f / APODISATION_CUTOFF)), 0.0)
    return (np.sqrt(f) * window).astype(np.float32)


def system_blur(image: np.ndarray, spacing_mm: tuple[float, float, float]) -> np.ndarray:
    """Partial volume and resolution: a voxel box (sigma 1/sqrt(12) voxel) with the scanner PSF in
    plane, and a slice sensitivity profile as wide as the slice along z."""
    box = 1.0 / np.sqrt(12.0)
    psf_sigma_mm = PSF_FWHM_MM / 2.355
    sigma_z = np.hypot(box, 1.0 / 2.355)
    sigma_yx = [float(np.hypot(box, psf_sigma_mm / s)) for s in spacing_mm[1:]]
    return ndimage.gaussian_filter(image, sigma=(sigma_z, *sigma_yx), truncate=3.0)


def smooth_field(
    shape: tuple[int, int, int], sigma_vox: tuple[float, float, float], rng: np.random.Generator
) -> np.ndarray:
    """Unit-variance Gaussian random field with correlation length `sigma_vox` (voxels per axis)."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma=sigma_vox, truncate=3.0)
    std = float(field.std()) or 1.0
    field *= np.float32(1.0 / std)
    return field


def coarse_field(shape: tuple[int, int, int], sigma_vox: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth unit-variance field with correlation length `sigma_vox`, made on a coarse grid
    (step up to 4, at least ~0.7 coarse voxel per sigma) and trilinearly upsampled, which adds
    smoothness of its own: the cost falls with the cube of the step."""
    step = int(np.clip(round(1.5 * sigma_vox), 1, 4))
    small = tuple(max(-(-n // step), 2) for n in shape)
    field = smooth_field(small, (max(sigma_vox / step, 0.5),) * 3, rng)  # type: ignore[arg-type]
    if small == shape:
        return field
    up = torch.nn.functional.interpolate(torch.from_numpy(field)[None, None], size=shape, mode="trilinear")
    return up[0, 0].numpy()
