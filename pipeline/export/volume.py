"""A stored study read back for export: its arrays in their stored dtypes, spacing and catalog row.

medsynth volumes are z-y-x arrays in the DICOM patient frame (LPS): x grows to the patient's left,
y to posterior, z to superior, with voxel (0, 0, 0) at the origin and no rotation, exactly what the
OME-Zarr `scale` transform says. Every export format maps from this one frame.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.base import AcquisitionRecord
from models.errors import GeneratorError
from models.registry import factory
from pipeline.errors import StorageError
from pipeline.store.omezarr import IMAGE_PATH, checksum, read_arrays
from pipeline.store.storage import Store

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
    "params_json",  # a study of several series: what each one was acquired with
)


@dataclass(frozen=True)
class ExportStudy:
    study_id: str
    image: np.ndarray  # z, y, x, stored dtype ((series, z, y, x) for a study of several)
    label: np.ndarray  # z, y, x
    spacing_mm: tuple[float, float, float]  # z, y, x
    row: dict[str, Any]  # the catalog row (ROW_COLUMNS)
    series: tuple[str, ...] = ()  # a study of several series; a view of one names it in `name`
    name: str | None = None
    number: int = 1  # of this series within the study (1 for the first)
    record: AcquisitionRecord | None = None  # how its generator records acquisitions (`acquisition_record`)

    @property
    def modality(self) -> str:
        return str(self.row["modality"])

    def views(self) -> list[ExportStudy]:
        """The study's series, each a single-series study of its own: its image, and its row with
        the contrast (and MR acquisition) that series had. A single-series study is its own view."""
        if not self.series:
            return [self]
        params = json.loads(self.row["params_json"]) if self.row.get("params_json") else {}
        acquisitions = params.get("series_acquisitions") or [None] * len(self.series)
        views = []
        for k, (name, acquisition) in enumerate(zip(self.series, acquisitions, strict=True)):
            row = {**self.row, "contrast": name}
            if acquisition is not None and self.record is not None:  # MR: each series' own sequence, timings and SNR
                row.update(self.record.series_columns(acquisition))
            views.append(replace(self, image=self.image[k], row=row, series=(), name=name, number=k + 1))
        return views

    def ras_affine(self) -> np.ndarray:
        """Voxel (x, y, z) indices to RAS+ millimetres, the NIfTI convention: LPS with x and y negated."""
        dz, dy, dx = self.spacing_mm
        return np.diag([-dx, -dy, dz, 1.0])


def acquisition_record(generator: str) -> AcquisitionRecord | None:
    """How `generator` records its studies' acquisition (its class's `acquisition`); None for one
    that records none, or that is not installed here (its MR studies export in research mode)."""
    try:
        return getattr(factory(generator), "acquisition", None)
    except GeneratorError:
        return None


def read(store: Store, row: dict[str, Any], record: AcquisitionRecord | None = None) -> ExportStudy:
    """The study of catalog `row`, checked against the row's checksum before anything is exported;
    `record`: how its generator records acquisitions (`acquisition_record`)."""
    group = row["image_path"].removesuffix(f"/{IMAGE_PATH}")
    try:
        image, label = read_arrays(store.zarr_store(group))
    except (OSError, KeyError, ValueError, RuntimeError) as exc:  # RuntimeError: a chunk that will not decode
        raise StorageError(
            f"study {row['study_id']}: cannot read {store.uri}/{group} ({exc}; python -m jobs.verify {store.uri})"
        ) from None
    if checksum(image, label) != row["checksum"]:
        raise StorageError(
            f"study {row['study_id']}: stored arrays do not match the catalog checksum "
            f"(python -m jobs.verify {store.uri} --repair)"
        )
    spacing = tuple(float(s) for s in row["spacing_mm"])
    series = tuple(row.get("series") or ())
    return ExportStudy(row["study_id"], image, label, spacing, row, series, record=record)  # type: ignore[arg-type]
