"""Rasterise the anatomy into a label map and a tissue map, then form the CT image from them.

Labels are voxel-exact: each voxel takes the label of the structure painted last at its centre.
The image is formed from the tissue map the way a scanner would see the same anatomy: per-tissue
HU, tissue texture, lung vessels, system blur (partial volume at every edge), then reconstruction
noise. Work on whole volumes is done in slabs where it can be, so a 512 x 512 x 256 study stays
well under 3 GiB.
"""

from __future__ import annotations

import numpy as np

from models.labels import LabelDict
from models.phantom_ct.body import Structure
from models.phantom_ct.fields import coarse_field
from models.phantom_ct.noise import fbp_noise, system_blur
from models.phantom_ct.shapes import Grid
from models.phantom_ct.tissue import TISSUE_INDEX, texture_table

HU_MIN, HU_MAX = -1024, 3071
SLAB = 32  # slices per slab of slab-wise work


def paint(grid: Grid, structures: list[Structure], labels: LabelDict) -> tuple[np.ndarray, np.ndarray]:
    """Label map (MAISI values) and tissue map (`TISSUE_INDEX` values) of `structures`."""
    label = np.zeros(grid.shape, dtype=np.uint8)
    tissue = np.zeros(grid.shape, dtype=np.uint8)
    allowed = np.zeros(256, dtype=bool)
    for structure in structures:
        found = grid.window(structure.solid.bbox())
        if found is None:
            continue
        window, x, y, z = found
        mask = structure.solid.inside(x, y, z)
        if structure.within is not None:
            allowed[:] = False
            allowed[[TISSUE_INDEX[name] for name in structure.within]] = True
            mask &= allowed[tissue[window]]
        if structure.on_label is not None:
            mask &= label[window] == labels.value(structure.on_label)
        tissue[window][mask] = TISSUE_INDEX[structure.tissue]
        if structure.label is not None:
            label[window][mask] = labels.value(structure.label)
    return label, tissue


def form_phases(
    tissue: np.ndarray,
    phases: list[np.ndarray],
    spacing_mm: tuple[float, float, float],
    noise_hu: float,
    rng: np.random.Generator,
    texture_factor: np.ndarray | None = None,
) -> list[np.ndarray]:
    """One CT image per phase (its HU per tissue) of the same anatomy: the texture and the lung
    vessels are drawn once, the reconstruction noise once per phase (a new acquisition).
    `texture_factor` scales each tissue's texture (random appearance)."""
    texture = coarse_field(tissue.shape, tuple(1.5 / s for s in spacing_mm), rng)
    vessels = _lung_vessels(tissue, spacing_mm, rng)
    amplitude = texture_table() if texture_factor is None else texture_table() * texture_factor
    for z in range(0, tissue.shape[0], SLAB):  # each tissue's own texture, the same in every phase
        texture[z : z + SLAB] *= amplitude[tissue[z : z + SLAB]]
    images = []
    for hu in phases:
        image = hu[tissue]
        image += texture
        if vessels is not None:
            box, near = vessels
            image[box][near] = hu[TISSUE_INDEX["aorta"]]
        image = system_blur(image, spacing_mm)
        fbp_noise(image, noise_hu, rng)
        np.rint(image, out=image)
        np.clip(image, HU_MIN, HU_MAX, out=image)
        images.append(image.astype(np.int16))
    return images


def _lung_vessels(
    tissue: np.ndarray, spacing_mm: tuple[float, float, float], rng: np.random.Generator
) -> tuple[tuple[slice, ...], np.ndarray] | None:
    """Vessel-like curves in the lungs: where two independent smooth fields are both near zero
    (the intersection of two level surfaces is a set of curves), to be filled with blood. Made
    only over the lungs' bounding box: (the box, the vessel voxels in it), or None without lungs."""
    lung = tissue == TISSUE_INDEX["lung"]
    found = np.argwhere(lung.any(axis=(1, 2))), np.argwhere(lung.any(axis=(0, 2))), np.argwhere(lung.any(axis=(0, 1)))
    if any(f.size == 0 for f in found):
        return None
    box = tuple(slice(int(f.min()), int(f.max()) + 1) for f in found)
    shape = tuple(s.stop - s.start for s in box)
    sigma = tuple(9.0 / s for s in spacing_mm)
    width = 0.12
    near = np.abs(coarse_field(shape, sigma, rng)) < width  # type: ignore[arg-type]
    near &= np.abs(coarse_field(shape, sigma, rng)) < width  # type: ignore[arg-type]
    near &= lung[box]
    return box, near
