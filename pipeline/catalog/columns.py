"""Every catalog column, declared once: its name, its Arrow type, how a study's row fills it, and
who reads it by default (the stream with each sample, `jobs.query`'s table).

The Parquet schema (`schema`), the manifest row (`pipeline.catalog.manifest.row`), the stream's row
columns (`stream_columns`) and the query's default table (`shown_columns`) all come from
`declare`. A dataset's columns are fixed by its config:

- the common columns (`COMMON`);
- the generator's own (its `columns`, steerable parameters);
- with several series (`generator.series`): `series`, the names in order, then for each series
  `intensity_mean_<series>`, `intensity_std_<series>` and `<label>_hu_<series>` (`<series>` in
  lower case: `liver_hu_arterial`, `intensity_mean_mprage_gd`);
- `<label>_ml` (volume) and `<label>_hu` (median intensity, of the first series) for every label.

Unsuffixed appearance columns (`contrast`, `intensity_mean`, `<label>_hu`, the generator's) describe
the first series, so queries written for one series keep their meaning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from models import LabelDict
from models.measure import Measurements
from pipeline.catalog.filling import Filling
from pipeline.store.omezarr import IMAGE_PATH, LABEL_PATH


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    fill: Callable[[Filling], Any]
    nullable: bool = True
    stream: bool = False  # read with every sample (pipeline.stream)
    shown: bool = False  # in jobs.query's table when no --columns are given

    @property
    def field(self) -> pa.Field:
        return pa.field(self.name, self.type, nullable=self.nullable)


def _described(column: str, kind: Callable[[Any], Any] | None = None) -> Callable[[Filling], Any]:
    """A common column the generator fills from the parameter it names in `describes`, as it is or
    converted by `kind` (null where it names none, or the study's params hold none)."""

    def fill(f: Filling) -> Any:
        param = f.context.describes.get(column)
        value = f.spec.params.get(param) if param is not None else None
        return kind(value) if kind is not None and value is not None else value

    return fill


COMMON: tuple[Column, ...] = (
    Column("study_id", pa.string(), lambda f: f.spec.study_id, False, stream=True, shown=True),
    Column("index", pa.int64(), lambda f: f.spec.index, False, stream=True),
    Column("shard", pa.int32(), lambda f: f.context.shard, False),
    Column("generator", pa.string(), lambda f: f.spec.generator, False, shown=True),
    Column("generator_version", pa.string(), lambda f: f.context.version, False),
    Column("modality", pa.string(), lambda f: str(f.spec.params.get("modality", "unknown")), False, True, True),
    Column("contrast", pa.string(), _described("contrast"), shown=True),
    Column("body_region", pa.string(), _described("body_region"), shown=True),
    Column("sex", pa.string(), _described("sex"), shown=True),
    Column("age", pa.float64(), _described("age", float), shown=True),
    Column("seed", pa.int64(), lambda f: f.spec.seed, False),
    Column("params_json", pa.string(), lambda f: json.dumps(f.spec.params, sort_keys=True), False),
    Column("shape_zyx", pa.list_(pa.int32()), lambda f: list(f.study.label.shape), False, stream=True),
    Column("spacing_mm", pa.list_(pa.float64()), lambda f: [float(s) for s in f.study.spacing_mm], False, True),
    Column("image_dtype", pa.string(), lambda f: str(f.study.image.dtype), False),
    Column("label_dtype", pa.string(), lambda f: str(f.study.label.dtype), False),
    Column("image_path", pa.string(), lambda f: f"{f.written.group_path}/{IMAGE_PATH}", False, stream=True),
    Column("label_path", pa.string(), lambda f: f"{f.written.group_path}/{LABEL_PATH}", False, stream=True),
    Column("image_bytes", pa.int64(), lambda f: f.written.image_bytes, False),
    Column("label_bytes", pa.int64(), lambda f: f.written.label_bytes, False),
    Column("checksum", pa.string(), lambda f: f.written.checksum, False),
    # Over labelled voxels, of the first series (z-score normalisation).
    Column("intensity_mean", pa.float64(), lambda f: f.measured(0).foreground_mean, stream=True),
    Column("intensity_std", pa.float64(), lambda f: f.measured(0).foreground_std, stream=True),
    Column("qc_pass", pa.bool_(), lambda f: bool(f.study.qc.passed), False, shown=True),
    Column("qc_redraws", pa.int32(), lambda f: int(f.study.qc.redraws), False),
    Column("render_s", pa.float64(), lambda f: f.render_s, False),
    Column("write_s", pa.float64(), lambda f: f.written.write_s, False),
    Column("worker", pa.string(), lambda f: f.context.worker),
    Column("created_at", pa.timestamp("us", tz="UTC"), lambda f: datetime.now(UTC), False),
)


def suffix(series: str) -> str:
    """How a series is named in its columns: `MPRAGE_gd` -> `mprage_gd`."""
    return series.lower()


COLUMN_TYPES = ("double", "int64", "string", "bool")  # the Arrow types a generator's own columns may have


def declare(labels: LabelDict, extra: dict[str, str] | None = None, series: Sequence[str] = ()) -> tuple[Column, ...]:
    """Every column of a dataset with these labels, generator columns (`extra`: name -> Arrow type
    name, "double", "int64", "string", "bool") and series (empty: one series)."""
    generator = [Column(name, pa.type_for_alias(kind), _generator_value(name)) for name, kind in (extra or {}).items()]
    per_series: list[Column] = []
    if series:
        per_series.append(Column("series", pa.list_(pa.string()), lambda f: list(f.study.series), False, stream=True))
    for k, name in enumerate(series):
        end = suffix(name)
        per_series += [
            Column(f"intensity_mean_{end}", pa.float64(), _foreground(k, "mean"), stream=True),
            Column(f"intensity_std_{end}", pa.float64(), _foreground(k, "std"), stream=True),
            *(Column(f"{lb.column}_hu_{end}", pa.float64(), _median(k, lb.name)) for lb in labels),
        ]
    volumes = [Column(f"{lb.column}_ml", pa.float64(), _volume(lb.name)) for lb in labels]
    medians = [Column(f"{lb.column}_hu", pa.float64(), _median(0, lb.name)) for lb in labels]
    columns = (*COMMON, *generator, *per_series, *volumes, *medians)
    names = [c.name for c in columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"catalog column {twice[0]!r} would be declared twice (a generator column or series name)")
    return columns


def schema(labels: LabelDict, extra: dict[str, str] | None = None, series: Sequence[str] = ()) -> pa.Schema:
    return pa.schema([c.field for c in declare(labels, extra, series)])


def stream_columns(series: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns the stream reads with every sample (no label or generator columns among them)."""
    empty = LabelDict("none", ())
    return tuple(c.name for c in declare(empty, None, series) if c.stream)


def shown_columns() -> tuple[str, ...]:
    return tuple(c.name for c in COMMON if c.shown)


def _generator_value(name: str) -> Callable[[Filling], Any]:
    return lambda f: f.study.columns.get(name)


def _foreground(k: int, which: str) -> Callable[[Filling], Any]:
    def fill(f: Filling) -> float:
        measured: Measurements = f.measured(k)
        return measured.foreground_mean if which == "mean" else measured.foreground_std

    return fill


def _median(k: int, label: str) -> Callable[[Filling], Any]:
    def fill(f: Filling) -> float | None:
        found = f.measured(k).labels.get(label)
        return float(found.median) if found is not None and found.voxels else None

    return fill


def _volume(label: str) -> Callable[[Filling], Any]:
    def fill(f: Filling) -> float:
        found = f.measured(0).labels.get(label)
        return float(found.volume_ml) if found is not None else 0.0

    return fill
