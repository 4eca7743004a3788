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
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from models.errors import GeneratorError, ParamError
from models.maisi_ct import sizing

FIELD = "params.masks_dir"
SUFFIXES = (".nii", ".nii.gz")
BODY = 200


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


def add_body(label: np.ndarray, spacing_zyx: tuple[float, float, float], margin_mm: float) -> None:
    """Label `BODY` every unlabelled voxel inside the convex outline of each axial slice's labelled
    tissue grown by `margin_mm`; in place. A torso section is close to convex; the hull is found
    from each row's outermost labelled voxels, so a 512 x 512 slice costs about a millisecond."""
    dy, dx = float(spacing_zyx[1]), float(spacing_zyx[2])
    pad_y, pad_x = int(np.ceil(margin_mm / dy)) + 1, int(np.ceil(margin_mm / dx)) + 1
    for z in range(label.shape[0]):
        tissue = label[z] > 0
        rows = np.flatnonzero(tissue.any(axis=1))
        if rows.size == 0:
            continue
        first = tissue[rows].argmax(axis=1)
        last = tissue.shape[1] - 1 - tissue[rows, ::-1].argmax(axis=1)
        points = np.concatenate([np.stack([rows, first], 1), np.stack([rows, last], 1)]).astype(np.float64)
        y0, x0 = np.maximum(points.min(axis=0).astype(int) - (pad_y, pad_x), 0)
        y1, x1 = np.minimum(points.max(axis=0).astype(int) + (pad_y, pad_x) + 1, tissue.shape)
        yy = (np.arange(y0, y1) * dy)[:, None]
        xx = (np.arange(x0, x1) * dx)[None, :]
        try:
            facets = ConvexHull(points * (dy, dx)).equations  # unit normals: offsets are millimetres
            inside = np.ones((y1 - y0, x1 - x0), dtype=bool)
            for ny, nx, offset in facets:
                inside &= ny * yy + nx * xx + offset <= margin_mm
        except QhullError:  # a line or a point: no area to take a hull of
            inside = ndimage.distance_transform_edt(~tissue[y0:y1, x0:x1], sampling=(dy, dx)) <= margin_mm
        window = label[z, y0:y1, x0:x1]
        window[inside & ~tissue[y0:y1, x0:x1]] = BODY
