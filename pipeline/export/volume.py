"""A stored study read back for export: its arrays in their stored dtypes, spacing and catalog row.

medsynth volumes are z-y-x arrays in the DICOM patient frame (LPS): x grows to the patient's left,
y to posterior, z to superior, with voxel (0, 0, 0) at the origin and no rotation, exactly what the
OME-Zarr `scale` transform says. Every export format maps from this one frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.errors import StorageError
from pipeline.omezarr import IMAGE_PATH, checksum, read_arrays
from pipeline.storage import Store

ROW_COLUMNS = (
    "study_id",
    "index",
    "generator",
    "generator_version",
    "modality",
    "contrast",
    "body_region",
    "sex",
    "age",
    "image_path",
    "spacing_mm",
    "checksum",
    "created_at",
)


@dataclass(frozen=True)
class ExportStudy:
    study_id: str
    image: np.ndarray  # z, y, x, stored dtype
    label: np.ndarray  # z, y, x
    spacing_mm: tuple[float, float, float]  # z, y, x
    row: dict[str, Any]  # the catalog row (ROW_COLUMNS)

    @property
    def modality(self) -> str:
        return str(self.row["modality"])

    def ras_affine(self) -> np.ndarray:
        """Voxel (x, y, z) indices to RAS+ millimetres, the NIfTI convention: LPS with x and y negated."""
        dz, dy, dx = self.spacing_mm
        return np.diag([-dx, -dy, dz, 1.0])


def read(store: Store, row: dict[str, Any]) -> ExportStudy:
    """The study of catalog `row`, checked against the row's checksum before anything is exported."""
    group = row["image_path"].removesuffix(f"/{IMAGE_PATH}")
    try:
        image, label = read_arrays(store.zarr_store(group))
    except (OSError, KeyError, ValueError) as exc:
        raise StorageError(f"study {row['study_id']}: cannot read {store.uri}/{group} ({exc})") from None
    if checksum(image, label) != row["checksum"]:
        raise StorageError(
            f"study {row['study_id']}: stored arrays do not match the catalog checksum "
            f"(python -m jobs.verify {store.uri} --repair)"
        )
    spacing = tuple(float(s) for s in row["spacing_mm"])
    return ExportStudy(row["study_id"], image, label, spacing, row)  # type: ignore[arg-type]
