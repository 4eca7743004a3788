"""Export the studies a WHERE clause selects, checked in full before the first file is written."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm

from models import LabelDict
from pipeline.catalog import Catalog
from pipeline.errors import ConfigError
from pipeline.export import dicom, segmentation
from pipeline.export.nifti import NiftiWriter
from pipeline.export.volume import ROW_COLUMNS, ExportStudy, acquisition_record, read
from pipeline.store.storage import ensure_local_folder

FORMATS = ("nifti", "dicom")
MARKER = ".medsynth-export.json"  # which dataset and format a folder holds: never two mixed


@dataclass(frozen=True)
class ExportSummary:
    studies: int
    files: int
    bytes_written: int
    stored_bytes: int  # the same studies as OME-Zarr (image + label arrays)
    seconds: float


class Writer(Protocol):
    def write(self, study: ExportStudy) -> list[Path]: ...
    def finish(self) -> list[Path]: ...


@dataclass(frozen=True)
class DicomOptions:
    segmentation: str = "binary"  # SEG encoding: binary | labelmap
    compression: str = "none"  # pixel data: none | jpeg-ls (lossless)

    def check(self) -> None:
        if self.segmentation not in segmentation.TYPES:
            raise ConfigError(
                f"--segmentation: must be one of {', '.join(segmentation.TYPES)}, got {self.segmentation!r}"
            )
        if self.compression not in dicom.COMPRESSIONS:
            raise ConfigError(
                f"--compression: must be one of {', '.join(dicom.COMPRESSIONS)}, got {self.compression!r}"
            )


class DicomWriter:
    """`<study_id>/image/NNNN.dcm` (one per slice) and `<study_id>/segmentation.dcm`, plus `labels.json`."""

    def __init__(self, out: Path, labels: LabelDict, namespace: str, options: DicomOptions) -> None:
        self.out = out
        self.labels = labels
        self.namespace = namespace
        self.options = options

    def write(self, study: ExportStudy) -> list[Path]:
        """One image series per series of the study (one study, one frame of reference), then the
        segmentation, which references the first."""
        identity = dicom.StudyIdentity(study, self.namespace)
        paths: list[Path] = []
        first: list = []
        for view in study.views():
            slices = dicom.image_series(view, identity, self.options.compression)
            folder = "image" if view.name is None else f"image_{view.number:02d}_{view.name}"
            paths += dicom.write_series(slices, self.out / study.study_id / folder)
            first = first or slices
        seg = segmentation.segmentation(
            study.views()[0], self.labels, first, identity, self.options.segmentation, self.options.compression
        )
        return [*paths, segmentation.write(seg, self.out / study.study_id / "segmentation.dcm")]

    def finish(self) -> list[Path]:
        path = self.out / "labels.json"
        path.write_text(json.dumps({"name": self.labels.name, "labels": self.labels.to_json()}, indent=1) + "\n")
        return [path]


def export(
    cat: Catalog,
    fmt: str,
    out: Path,
    where: str | None = None,
    limit: int | None = None,
    progress: bool = True,
    dicom_options: DicomOptions = DicomOptions(),
) -> ExportSummary:
    """Write the selected studies to `out` as `fmt`; bad input raises before anything is written."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    dicom_options.check()
    # The columns that record each study's acquisition (an MR sequence) fill the DICOM MR attributes.
    record = acquisition_record(cat.info.generator)
    acquisition = [c for c in (record.columns if record is not None else ()) if c in cat.columns]
    columns = [*ROW_COLUMNS, *acquisition, "image_dtype", "image_bytes", "label_bytes"]
    if cat.info.series:
        columns.append("series")
    rows = cat.query(where, columns=columns, limit=limit).to_pylist()
    if not rows:
        raise ConfigError(f"--where: selects no studies of {cat.store.uri}")
    if fmt == "dicom":
        for row in rows:
            problem = dicom.check_exportable(row["modality"], np.dtype(row["image_dtype"]), row["study_id"])
            if problem:
                raise ConfigError(f"--format dicom: {problem}")
    source = {"dataset": cat.info.name, "config_hash": cat.info.config_hash, "format": fmt}
    existed = out.exists()
    fresh = _check_out(out, source)
    ensure_local_folder(out, "--out")
    writer: Writer = (
        NiftiWriter(out, cat.info.labels, cat.info.name, cat.info.series)
        if fmt == "nifti"
        else DicomWriter(out, cat.info.labels, cat.info.config_hash, dicom_options)
    )
    started = time.perf_counter()
    files: list[Path] = []
    try:
        for row in tqdm(rows, desc=f"export {fmt}", unit="study", disable=not progress):
            files += writer.write(read(cat.store, row, record))
        files += writer.finish()
        marker = out / MARKER
        marker.write_text(json.dumps(source, indent=1) + "\n")
    except BaseException:
        _undo(out, files, fresh, existed)
        raise
    return ExportSummary(
        studies=len(rows),
        files=len(files),
        bytes_written=sum(p.stat().st_size for p in files),
        stored_bytes=sum(r["image_bytes"] + r["label_bytes"] for r in rows),
        seconds=time.perf_counter() - started,
    )


def _check_out(out: Path, source: dict[str, str]) -> bool:
    """Whether `out` is fresh (absent or empty); a folder that holds anything but an earlier
    export of this dataset in this format is refused, so two exports never mix."""
    if not out.exists():
        return True
    if not out.is_dir():
        raise ConfigError(f"--out: {out} is a file, not a folder")
    if not any(out.iterdir()):
        return True
    try:
        held = json.loads((out / MARKER).read_text())
    except (OSError, ValueError):
        held = None
    if held != source:
        raise ConfigError(
            f"--out: {out} already holds other files (not an export of {source['dataset']} as {source['format']}); "
            "choose an empty folder"
        )
    return False


def _undo(out: Path, files: list[Path], fresh: bool, existed: bool) -> None:
    """After a failed export: a folder it made is removed, an empty one emptied again, an
    earlier export's loses what this run wrote."""
    if not existed:
        shutil.rmtree(out, ignore_errors=True)
    elif fresh:
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        return
    for path in files:
        path.unlink(missing_ok=True)
