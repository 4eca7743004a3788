"""An MR image from a tissue map and a drawn sequence, the way the scanner would see it.

- Each tissue's signal comes from the signal equations (`models.mr.signal`) on this study's tissue
  properties.
- Each voxel varies around it by the tissue's per-voxel spread (VOXEL_SPREAD of T1, of T2 and of
  proton density, one smooth field), weighted by how much each reaches the signal on this
  sequence: T2 texture shows on a T2-weighted image, T1 texture on a T1-weighted one.
- The coil and B1 field multiplies it.
- The scan samples it at its own resolution and slice thickness (blurred, then on the scan's
  grid), complex Gaussian noise at the drawn SNR is added there and the magnitude taken (Rician),
  and the result is interpolated back to the output grid (`models.mr.acquisition.scan`): the noise
  is white at the scan's resolution, as in a real thick-slice image. Signals stay signed until the
  magnitude, so opposed-phase and inversion-recovery cancellation at tissue borders happens as in
  a scanner.

SNR is the mean signal of the labelled (body) voxels over the noise standard deviation of each
channel, at the scan's resolution. The stored image is uint16: the 99.8th percentile of the body maps to STORED_TOP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.mr.acquisition import coil_field, scan
from models.mr.sequence import Sequence
from models.mr.signal import sensitivities, signal, washout
from models.mr.tissue import INDEX, Properties
from models.phantom_ct.fields import coarse_field

VOXEL_SPREAD = 0.03  # per-voxel coefficient of variation of T1 and of T2 within a tissue
TEXTURE_MM = 2.0  # correlation length of that variation
STORED_TOP = 3000
STORED_MAX = 4095  # 12-bit, like brain_mr
FLOWING = [INDEX["blood"], INDEX["venous_blood"]]  # the vessels and the heart's chambers


@dataclass(frozen=True)
class Acquired:
    """How the image was acquired beyond its sequence."""

    resolution_mm: tuple[float, float, float]  # z, y, x of the scan
    bias: float  # standard deviation of the log coil field
    snr: float


@dataclass(frozen=True)
class Formed:
    image: np.ndarray  # uint16
    signals: np.ndarray  # each tissue's noise-free signal (`tissue_signals`)
    coil: np.ndarray  # the coil field at every other voxel per axis (what QC expects the image to carry)


@dataclass(frozen=True)
class Fields:
    """What the series of one study share: the tissues' unit texture field and the coil field."""

    texture: np.ndarray
    coil: np.ndarray


def tissue_signals(sequence: Sequence, props: Properties, slice_mm: float) -> np.ndarray:
    """Each tissue's signal; flowing blood's as much of it as stays in a slice `slice_mm` thick."""
    out = signal(sequence, props).astype(np.float32)
    out[FLOWING] *= np.float32(washout(sequence, slice_mm))
    return out


def draw_fields(
    shape: tuple[int, ...], spacing_mm: tuple[float, float, float], bias: float, rng: np.random.Generator
) -> Fields:
    texture = coarse_field(shape, tuple(TEXTURE_MM / s for s in spacing_mm), rng)
    coil = coil_field(shape, bias, rng) if bias > 0 else np.ones(shape, np.float32)
    return Fields(texture, coil)


def form_series(
    tissue: np.ndarray,
    body: np.ndarray,
    sequence: Sequence,
    props: Properties,
    spacing_mm: tuple[float, float, float],
    acquired: Acquired,
    fields: Fields,
    rng: np.random.Generator,
) -> Formed:
    """The image of `tissue` (indices of `models.mr.tissue.NAMES`) on one sequence; `body`: the
    voxels SNR and scaling are measured over. The texture and coil fields come drawn
    (`draw_fields`), shared by every series of a study: only the scan's noise is drawn here."""
    signals = tissue_signals(sequence, props, acquired.resolution_mm[0])
    image = signals[tissue]
    g1, g2 = sensitivities(sequence, props)
    # T1 and T2 vary independently per voxel; their effects add in quadrature (PD's too, gain 1).
    amplitude = (VOXEL_SPREAD * np.sqrt(g1**2 + g2**2 + 1.0)).astype(np.float32)
    field = fields.texture * amplitude[tissue]
    field += np.float32(1.0)
    coil = fields.coil
    field *= coil
    image *= field
    del field
    stride = (slice(None, None, 2),) * 3
    inside = body[stride]
    level = float(np.abs(image[stride][inside]).mean()) if inside.any() else float(np.abs(image).mean())
    image = scan(image, spacing_mm, acquired.resolution_mm, max(level, 1e-6) / acquired.snr, rng)
    top = float(np.percentile(image[stride][inside], 99.8)) if inside.any() else float(image.max())
    image *= np.float32(STORED_TOP / max(top, 1e-6))
    np.rint(image, out=image)
    np.clip(image, 0, STORED_MAX, out=image)
    return Formed(image.astype(np.uint16), signals, coil[stride].copy())
