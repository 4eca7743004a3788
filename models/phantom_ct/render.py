"""Rasterise the anatomy into a label map and a tissue map, then form the CT image from them.

Labels are voxel-exact: each voxel takes the label of the structure painted last at its centre.
The image is formed from the tissue map like a scanner would see the same anatomy: per-tissue HU,
tissue texture, bowel mottle in the mesenteric fat, lung vessels, system blur (partial volume at
every edge), then reconstruction noise.
"""

from __future__ import annotations

import numpy as np

from models.labels import LabelDict
from models.phantom_ct.anatomy import Structure
from models.phantom_ct.noise import coarse_field, fbp_noise, system_blur
from models.phantom_ct.shapes import Grid
from models.phantom_ct.tissue import BOWEL_HU, TISSUE_INDEX, texture_table

HU_MIN, HU_MAX = -1024, 3071


def paint(grid: Grid, structures: list[Structure], labels: LabelDict) -> tuple[np.ndarray, np.ndarray]:
    """Label map (MAISI values) and tissue map (`TISSUE_INDEX` values) of `structures`."""
    label = np.zeros(grid.shape, dtype=np.uint8)
    tissue = np.zeros(grid.shape, dtype=np.uint8)
    for structure in structures:
        found = grid.window(structure.solid.bbox())
        if found is None:
            continue
        window, x, y, z = found
        mask = structure.solid.inside(x, y, z)
        if structure.within is not None:
            allowed = np.zeros(256, dtype=bool)
            allowed[[TISSUE_INDEX[name] for name in structure.within]] = True
            mask &= allowed[tissue[window]]
        if structure.on_label is not None:
            mask &= label[window] == labels.value(structure.on_label)
        tissue[window][mask] = TISSUE_INDEX[structure.tissue]
        if structure.label is not None:
            label[window][mask] = labels.value(structure.label)
    return label, tissue


def form_image(
    tissue: np.ndarray,
    hu: np.ndarray,
    spacing_mm: tuple[float, float, float],
    noise_hu: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """CT image in HU (int16) from a tissue map and this study's HU per tissue."""
    image = hu[tissue]
    image += texture_table()[tissue] * coarse_field(tissue.shape, 1.5 / min(spacing_mm), rng)
    _mottle_bowel(image, tissue, spacing_mm, rng)
    _lung_vessels(image, tissue, hu, spacing_mm, rng)
    image = system_blur(image, spacing_mm)
    image += fbp_noise(tissue.shape, noise_hu, rng)
    return np.clip(np.rint(image), HU_MIN, HU_MAX).astype(np.int16)


def _mottle_bowel(
    image: np.ndarray, tissue: np.ndarray, spacing_mm: tuple[float, float, float], rng: np.random.Generator
) -> None:
    """Bowel loops in the mesenteric fat: soft tissue where a smooth field crosses a threshold."""
    visceral = tissue == TISSUE_INDEX["visceral"]
    field = coarse_field(tissue.shape, 5.0 / min(spacing_mm), rng)
    loops = visceral & (field > 0.35)
    image[loops] = rng.uniform(*BOWEL_HU)


def _lung_vessels(
    image: np.ndarray,
    tissue: np.ndarray,
    hu: np.ndarray,
    spacing_mm: tuple[float, float, float],
    rng: np.random.Generator,
) -> None:
    """Vessel-like curves in the lungs: where two independent smooth fields are both near zero
    (the intersection of two level surfaces is a set of curves), filled with blood."""
    lung = tissue == TISSUE_INDEX["lung"]
    if not lung.any():
        return
    sigma = 9.0 / min(spacing_mm)
    width = 0.12
    a = coarse_field(tissue.shape, sigma, rng)
    b = coarse_field(tissue.shape, sigma, rng)
    vessels = lung & (np.abs(a) < width) & (np.abs(b) < width)
    image[vessels] = hu[TISSUE_INDEX["aorta"]]
