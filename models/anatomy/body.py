"""A body outline for label maps that have none (MAISI's body label, 200).

A torso section is close to convex: every unlabelled voxel inside the convex outline of an axial
slice's labelled tissue, grown by `margin_mm` of subcutaneous tissue, is body. (MAISI's own helper
derives the body from the CT image, which a mask-only user does not have.)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

BODY = 200


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
