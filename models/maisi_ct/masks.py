"""A folder of user label maps (NIfTI, MAISI label values) as the condition of `maisi_ct`.

The folder is scanned once, headers only, when the generator is built: every file must already
have a size and spacing MAISI accepts (after reorientation to the nearest RAS axes), or the job
stops before any work naming the file. Masks are not resampled: resampling a label map degrades
the very boundaries the ControlNet is conditioned on, so that is left to the user, explicitly.

Each study draws one mask. A mask without MAISI's body label (200) gets one: every unlabelled
voxel inside the convex outline of its axial slice's labelled tissue, grown by `margin_mm` of
subcutaneous tissue. (MAISI's own helper derives it from the CT image,
which a mask-only user does not have.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.anatomy.body import BODY, add_body
from models.errors import GeneratorError, ParamError
from models.maisi_ct import sizing

FIELD = "params.masks_dir"
SUFFIXES = (".nii", ".nii.gz")


@dataclass(frozen=True)
class MaskFile:
    name: str  # relative to the folder
    shape_zyx: tuple[int, int, int]
    spacing_zyx: tuple[float, float, float]


def scan(folder: Path, multiple: int) -> tuple[MaskFile, ...]:
    """Every mask of `folder`, sorted by name, each checked against MAISI's sizes and spacings."""
    import nibabel as nib

    if not folder.is_dir():
        raise ParamError(FIELD, f"{folder} is not a folder of NIfTI masks")
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    if not paths:
        raise ParamError(FIELD, f"{folder} holds no NIfTI masks (*.nii, *.nii.gz)")
    found = []
    for path in paths:
        name = str(path.relative_to(folder))
        try:
            image = nib.as_closest_canonical(nib.load(path))
        except Exception as exc:  # nibabel raises many types for a bad header
            raise ParamError(FIELD, f"{name} is not a readable NIfTI file ({exc})") from None
        if len(image.shape) != 3:
            raise ParamError(FIELD, f"{name} must be a 3-D label map, got shape {list(image.shape)}")
        x, y, z = (int(n) for n in image.shape)
        dx, dy, dz = (round(float(s), 4) for s in image.header.get_zooms()[:3])
        where = f"{FIELD} ({name})"
        sizing.check_size((z, y, x), multiple, where)
        sizing.check_spacing((dz, dy, dx), where)
        found.append(MaskFile(name, (z, y, x), (dz, dy, dx)))
    return tuple(found)


def load(folder: Path, mask: MaskFile, margin_mm: float) -> np.ndarray:
    """The mask as a uint8 (z, y, x) LPS label map with a body label."""
    import nibabel as nib

    data = np.asanyarray(nib.as_closest_canonical(nib.load(folder / mask.name)).dataobj)
    if data.shape[::-1] != mask.shape_zyx:
        raise GeneratorError(f"{FIELD}: {mask.name} changed since the job started")
    values = np.rint(data)
    if not np.array_equal(values, data) or values.min() < 0 or values.max() > 255:
        raise GeneratorError(f"{FIELD}: {mask.name} must hold whole label values within [0, 255]")
    label_zyx = np.ascontiguousarray(values.astype(np.uint8)[::-1, ::-1, :].transpose(2, 1, 0))
    if not (label_zyx == BODY).any():
        add_body(label_zyx, mask.spacing_zyx, margin_mm)
    return label_zyx


__all__ = ["BODY", "MaskFile", "add_body", "load", "scan"]
