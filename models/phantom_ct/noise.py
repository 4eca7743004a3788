"""CT image formation: system blur with partial volume, and reconstruction noise.

Noise in filtered back-projection CT is not white: its power spectrum grows with spatial frequency
(the ramp filter) and is rolled off by the reconstruction kernel's apodisation window, so
NPS(f) ~ |f| * A(f)^2 in plane, with little correlation between slices. We shape white noise by
that spectrum slice by slice (one real 2-D FFT over the volume) and scale it to the study's
standard deviation.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy import ndimage

# The kernel's apodisation reaches zero at this fraction of the Nyquist frequency (a "standard"
# soft-tissue kernel, not a sharp bone kernel).
APODISATION_CUTOFF = 0.9
PSF_FWHM_MM = 0.9  # in-plane system resolution of a standard kernel


def fbp_noise(image: np.ndarray, sigma_hu: float, rng: np.random.Generator, slab: int = 32) -> None:
    """Add noise with a ramp-times-Hann power spectrum in plane and standard deviation `sigma_hu`
    to `image`, in place, slab by slab (a 3-tap filter adds the slight correlation between slices)."""
    nz, ny, nx = image.shape
    amplitude = _amplitude(ny, nx)[None]
    taps = np.exp(-0.5 * (np.arange(-1, 2) / 0.4) ** 2)
    taps = (taps / taps.sum()).astype(np.float32)

    def shaped(count: int) -> np.ndarray:
        spectrum = sfft.rfft2(rng.standard_normal((count, ny, nx), dtype=np.float32), workers=1)
        spectrum *= amplitude
        return sfft.irfft2(spectrum, s=(ny, nx), workers=1)

    scale = None
    current, before = shaped(min(slab, nz)), None
    for z0 in range(0, nz, slab):
        z1 = min(z0 + slab, nz)
        after = shaped(min(slab, nz - z1)) if z1 < nz else None
        padded = np.concatenate(
            [current[:1] if before is None else before, current, current[-1:] if after is None else after[:1]]
        )
        blurred = taps[0] * padded[:-2] + taps[1] * padded[1:-1] + taps[2] * padded[2:]
        if scale is None:  # the same for every slab: fixed by the spectrum, measured once
            scale = np.float32(sigma_hu / (float(blurred.std()) or 1.0))
        blurred *= scale
        image[z0:z1] += blurred
        before, current = current[-1:], after


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
