"""Manifest rows (one per study) and the Parquet part that commits a shard.

The schema is fixed per dataset: the common columns below, the generator's own columns (its
steerable parameters, declared in its `columns`), then `<label>_ml` (volume) and `<label>_hu`
(median intensity) for every label of the generator's dictionary, so every part of a dataset has
the same columns.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from models import LabelDict, Study, StudySpec
from pipeline.identity import Identity

BASE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("study_id", pa.string(), nullable=False),
    pa.field("index", pa.int64(), nullable=False),
    pa.field("shard", pa.int32(), nullable=False),
    pa.field("generator", pa.string(), nullable=False),
    pa.field("generator_version", pa.string(), nullable=False),
    pa.field("modality", pa.string(), nullable=False),
    pa.field("contrast", pa.string()),
    pa.field("body_region", pa.string()),
    pa.field("sex", pa.string()),
    pa.field("age", pa.float64()),
    pa.field("seed", pa.int64(), nullable=False),
    pa.field("params_json", pa.string(), nullable=False),
    pa.field("shape_zyx", pa.list_(pa.int32()), nullable=False),
    pa.field("spacing_mm", pa.list_(pa.float64()), nullable=False),
    pa.field("image_dtype", pa.string(), nullable=False),
    pa.field("label_dtype", pa.string(), nullable=False),
    pa.field("image_path", pa.string(), nullable=False),
    pa.field("label_path", pa.string(), nullable=False),
    pa.field("image_bytes", pa.int64(), nullable=False),
    pa.field("label_bytes", pa.int64(), nullable=False),
    pa.field("checksum", pa.string(), nullable=False),
    pa.field("intensity_mean", pa.float64()),  # over labelled voxels (z-score normalisation)
    pa.field("intensity_std", pa.float64()),
    pa.field("qc_pass", pa.bool_(), nullable=False),
    pa.field("qc_redraws", pa.int32(), nullable=False),
    pa.field("render_s", pa.float64(), nullable=False),
    pa.field("write_s", pa.float64(), nullable=False),
    pa.field("worker", pa.string()),
    pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
)


def schema(labels: LabelDict, extra: dict[str, str] | None = None) -> pa.Schema:
    """`extra`: the generator's columns, name -> Arrow type name ("double", "int64", "string")."""
    generator_fields = [pa.field(name, pa.type_for_alias(kind)) for name, kind in (extra or {}).items()]
    volume_fields = [pa.field(f"{lb.column}_ml", pa.float64()) for lb in labels]
    intensity_fields = [pa.field(f"{lb.column}_hu", pa.float64()) for lb in labels]
    return pa.schema([*BASE_FIELDS, *generator_fields, *volume_fields, *intensity_fields])


@dataclass(frozen=True)
class Written:
    """What the writer learned about a stored study."""

    group_path: str
    image_bytes: int
    label_bytes: int
    checksum: str
    write_s: float


@dataclass(frozen=True)
class RowContext:
    """What every row of one shard shares."""

    shard: int
    version: str
    worker: str
    labels: LabelDict
    extra: dict[str, str] = field(default_factory=dict)  # the generator's columns and their types


def row(spec: StudySpec, study: Study, written: Written, render_s: float, context: RowContext) -> dict[str, Any]:
    p = spec.params
    if study.measurements is None:
        raise ValueError(f"study {spec.study_id} was not measured (the worker measures every study)")
    stats = study.measurements.labels
    out: dict[str, Any] = {
        "study_id": spec.study_id,
        "index": spec.index,
        "shard": context.shard,
        "generator": spec.generator,
        "generator_version": context.version,
        "modality": str(p.get("modality", "unknown")),
        "contrast": p.get("contrast"),
        "body_region": p.get("body_region"),
        "sex": p.get("sex"),
        "age": float(p["age"]) if p.get("age") is not None else None,
        "seed": spec.seed,
        "params_json": json.dumps(p, sort_keys=True),
        "shape_zyx": list(study.image.shape),
        "spacing_mm": [float(s) for s in study.spacing_mm],
        "image_dtype": str(study.image.dtype),
        "label_dtype": str(study.label.dtype),
        "image_path": f"{written.group_path}/0",
        "label_path": f"{written.group_path}/labels/anatomy/0",
        "image_bytes": written.image_bytes,
        "label_bytes": written.label_bytes,
        "checksum": written.checksum,
        "intensity_mean": study.measurements.foreground_mean,
        "intensity_std": study.measurements.foreground_std,
        "qc_pass": bool(study.qc.passed),
        "qc_redraws": int(study.qc.redraws),
        "render_s": render_s,
        "write_s": written.write_s,
        "worker": context.worker,
        "created_at": datetime.now(UTC),
    }
    values = study.columns
    for name in context.extra:
        out[name] = values.get(name)
    for lb in context.labels:
        found = stats.get(lb.name)
        out[f"{lb.column}_ml"] = float(found.volume_ml) if found is not None else 0.0
        out[f"{lb.column}_hu"] = float(found.median) if found is not None and found.voxels else None
    return out


def encode_part(
    rows: list[dict[str, Any]],
    labels: LabelDict,
    extra: dict[str, str] | None = None,
    identity: Identity | None = None,
) -> bytes:
    """A shard's rows as one Parquet file (zstd, one row group, sorted by index), carrying the
    dataset identity it belongs to in its key-value metadata (`pipeline.identity`)."""
    table = pa.Table.from_pylist(sorted(rows, key=lambda r: r["index"]), schema=schema(labels, extra))
    if identity is not None:
        table = table.replace_schema_metadata(identity.metadata())
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
