"""Manifest rows (one per study) and the Parquet part that commits a shard.

The schema is fixed per dataset, so every part of a dataset has the same columns; which columns,
and how a row fills each, is declared once in `pipeline.catalog.columns`.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from models import LabelDict, Study, StudySpec
from pipeline.catalog import columns
from pipeline.catalog.filling import Filling, RowContext, Written
from pipeline.catalog.identity import Identity


def row(spec: StudySpec, study: Study, written: Written, render_s: float, context: RowContext) -> dict[str, Any]:
    filling = Filling(spec, study, written, render_s, context)
    return {c.name: c.fill(filling) for c in _declared(context.labels, tuple(context.extra.items()), context.series)}


@functools.lru_cache(maxsize=16)  # once per shard's context, not per row
def _declared(
    labels: LabelDict, extra: tuple[tuple[str, str], ...], series: tuple[str, ...]
) -> tuple[columns.Column, ...]:
    return columns.declare(labels, dict(extra), series)


def encode_part(
    rows: list[dict[str, Any]],
    labels: LabelDict,
    extra: dict[str, str] | None = None,
    identity: Identity | None = None,
    series: Sequence[str] = (),
) -> bytes:
    """A shard's rows as one Parquet file (zstd, one row group, sorted by index), carrying the
    dataset identity it belongs to in its key-value metadata (`pipeline.catalog.identity`)."""
    table = pa.Table.from_pylist(sorted(rows, key=lambda r: r["index"]), schema=columns.schema(labels, extra, series))
    if identity is not None:
        table = table.replace_schema_metadata(identity.metadata())
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
