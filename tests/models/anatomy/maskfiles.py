"""Masks made in the tests: label maps of medsynth studies written as NIfTI at other sizes,
spacings and orientations, renamed to other vocabularies."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from models.base import GeneratorOptions, make_spec
from models.phantom_ct.generator import PhantomCT


def phantom_label(shape=(48, 64, 64), index: int = 0, **params) -> tuple[np.ndarray, tuple[float, float, float]]:
    """A phantom_ct label map (z, y, x, LPS, MAISI values) and its spacing."""
    generator = PhantomCT(GeneratorOptions(shape=shape, params=params))
    spec = make_spec(generator, 0, index)
    return generator.label_map(spec.params, spec.seed)


def write(path: Path, label_zyx: np.ndarray, spacing_zyx, orientation: str = "LPS", dtype=np.uint8) -> Path:
    """`label_zyx` (LPS) stored as NIfTI in `orientation` ("LPS" or "RAS" voxel axes), with the
    affine that puts every voxel where it was: the same anatomy, two byte layouts."""
    dz, dy, dx = spacing_zyx
    xyz = label_zyx.transpose(2, 1, 0)  # voxel axes x (to the left), y (posterior), z
    affine = np.diag([-dx, -dy, dz, 1.0])  # LPS voxel axes in RAS world millimetres
    if orientation == "RAS":
        xyz = xyz[::-1, ::-1, :]
        affine = np.diag([dx, dy, dz, 1.0])
        affine[:2, 3] = [-(xyz.shape[0] - 1) * dx, -(xyz.shape[1] - 1) * dy]
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.ascontiguousarray(xyz).astype(dtype), affine), path)
    return path


def renamed(label: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    """`label` with its values replaced (unlisted values become 0)."""
    table = np.zeros(256, dtype=np.int32)
    for old, new in mapping.items():
        table[old] = new
    return table[label]
