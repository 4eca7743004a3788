"""Manifest rows (one per study) and the Parquet part that commits a shard.

The schema is fixed per dataset, so every part of a dataset has the same columns; which columns,
and how a row fills each, is declared once in `pipeline.columns`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from models import LabelDict, Study, StudySpec
from models.measure import Measurements
from pipeline import columns
from pipeline.identity import Identity


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
    series: tuple[str, ...] = ()  # the series of every study (empty: one)

    @cached_property
    def declared(self) -> tuple[columns.Column, ...]:
        return columns.declare(self.labels, self.extra, self.series)


@dataclass(frozen=True)
class Filling:
    """What one study's row is filled from (`pipeline.columns` reads it)."""

    spec: StudySpec
    study: Study
    written: Written
    render_s: float
    context: RowContext

    def measured(self, k: int) -> Measurements:
        """The measurements of series `k` (0: the study's own for a single-series study)."""
        if self.study.series_measurements is not None:
            return self.study.series_measurements[k]
        if self.study.measurements is None:
            raise ValueError(f"study {self.spec.study_id} was not measured (the worker measures every study)")
        return self.study.measurements


def row(spec: StudySpec, study: Study, written: Written, render_s: float, context: RowContext) -> dict[str, Any]:
    filling = Filling(spec, study, written, render_s, context)
    return {c.name: c.fill(filling) for c in context.declared}


def encode_part(
    rows: list[dict[str, Any]],
    labels: LabelDict,
    extra: dict[str, str] | None = None,
    identity: Identity | None = None,
    series: Sequence[str] = (),
) -> bytes:
    """A shard's rows as one Parquet file (zstd, one row group, sorted by index), carrying the
    dataset identity it belongs to in its key-value metadata (`pipeline.identity`)."""
    table = pa.Table.from_pylist(sorted(rows, key=lambda r: r["index"]), schema=columns.schema(labels, extra, series))
    if identity is not None:
        table = table.replace_schema_metadata(identity.metadata())
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
