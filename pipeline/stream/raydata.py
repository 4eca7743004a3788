"""The same source as a Ray Data dataset: catalog parts read by Ray Data, rows selected with the
catalog's WHERE language, studies or patches loaded in `map_batches` by a pool of actors.

    ds = ray_dataset("s3://bucket/ct-v1", where="qc_pass", patch_size=(96, 96, 96), patches_per_study=4)
    for batch in ds.iter_torch_batches(batch_size=8): ...

Samples are the StudyStream's (same patch for the same seed, epoch, study and k) without the
`study_id` string (it is `s%09d` of `index`), so every column converts to a tensor; their order is
Ray Data's (`random_shuffle` with the seed when `shuffle`). Whole volumes differ in shape, so they
come one per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import ray

from pipeline import catalog
from pipeline.catalog import Catalog, sql
from pipeline.catalog.columns import stream_columns
from pipeline.config.fields import build, whole_number
from pipeline.errors import CatalogError
from pipeline.stream.config import StreamConfig
from pipeline.stream.reader import StudyReader, check_labels, check_series


def ray_dataset(uri: str, concurrency: int = 2, **keywords: Any) -> ray.data.Dataset:
    config = build(StreamConfig, keywords, "")
    whole_number("concurrency", concurrency, 1, 1024)
    cat = catalog.open(uri, config.storage_options)
    check_labels(config, cat.info.labels)
    check_series(config, cat.info.series, uri)
    cat.count(config.where)  # a bad clause fails here, in one line, before Ray does any work
    found = cat.sources()
    pieces = []
    if found.compacted:  # without the shards whose present part supersedes them
        keep = f"shard NOT IN ({', '.join(map(str, found.superseded))})" if found.superseded else None
        pieces.append(_selected(cat, found.compacted, config.where, keep))
    if found.parts:
        pieces.append(_selected(cat, found.parts, config.where, None))
    if not pieces:
        raise CatalogError(f"{uri}: no committed studies yet")
    rows = pieces[0].union(*pieces[1:]) if len(pieces) > 1 else pieces[0]
    if config.shuffle:
        rows = rows.random_shuffle(seed=config.seed)
    return rows.map_batches(
        _Load,
        fn_constructor_args=(cat, config),
        batch_size=1 if config.patch_size is None else 4,
        batch_format="pyarrow",
        concurrency=(1, concurrency),  # scales with the input; no idle actors on small selections
    )


def _selected(cat: Catalog, files: Sequence[str], where: sql.Clauses, keep: str | None) -> ray.data.Dataset:
    paths = [cat.store.path(f) for f in files]
    rows = ray.data.read_parquet(paths, filesystem=cat.store.fs, schema=cat.schema)
    return rows.map_batches(_Select(where, keep, cat.info.series), batch_format="pyarrow", batch_size=None)


class _Select:
    """The WHERE clause applied to each block of catalog rows, by DuckDB as in jobs.query."""

    def __init__(self, where: sql.Clauses, keep: str | None = None, series: tuple[str, ...] = ()) -> None:
        self.where = where
        self.keep = keep
        self.columns = list(stream_columns(series))

    def __call__(self, block: pa.Table) -> pa.Table:
        con = sql.sealed()
        try:
            con.register("catalog", block)
            text = sql.select(self.columns, [self.where, self.keep])
            return con.sql(text).to_arrow_table()
        except duckdb.Error as exc:
            raise CatalogError(f"query: {sql.explain(exc)}") from None
        finally:
            con.close()


class _Load:
    """Loads each selected study's samples: patches_per_study patches, or the whole volume."""

    def __init__(self, cat: Catalog, config: StreamConfig) -> None:
        self.reader = StudyReader(cat.store, cat.info.labels, config, cat.info.series)
        self.per_study = config.patches_per_study
        self.epoch = config.epoch

    def __call__(self, rows: pa.Table) -> dict[str, np.ndarray]:
        samples = [self.reader.read(r, k, self.epoch) for r in rows.to_pylist() for k in range(self.per_study)]
        # Numbers only, so iter_torch_batches converts every column; the study id is s%09d of `index`.
        out: dict[str, np.ndarray] = {}
        for key in samples[0]:
            if key in ("study_id", "modality", "series"):  # strings; series_index says which
                continue
            values = [s[key] for s in samples]
            out[key] = np.stack([v.numpy() for v in values]) if hasattr(values[0], "numpy") else np.asarray(values)
        return out
