"""Catalog compaction: `python -m jobs.compact URI` merges the committed parts into a few large
Parquet files, sorted for the usual filters, and switches readers to them in one atomic write.

    1. take `catalog/compact.lock` (created exclusively: one compaction at a time);
    2. read the catalog as readers see it (the previous compaction plus every part), sorted by
       `SORT`, and write it as files of `rows_per_file` rows in row groups of `row_group_rows`
       under `catalog/compacted/<generation>/`, with the dataset's exact schema;
    3. write `catalog/compacted.json` naming those files and the shards they hold: the switch;
    4. delete the parts it merged (only those unchanged since it read them) and generations older
       than the previous one (kept for readers still on it); release the lock.

A crash before 3 leaves an unused folder (removed by the next compaction); a crash after it leaves
parts whose rows equal the compacted ones, which readers take from the part (`pipeline.catalog.sources`).
Parts committed while it runs are not merged and stay visible. Shards merged into a compaction
count as committed for planning, so a rerun of `jobs.generate` does not make them again.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipeline.catalog import Catalog
from pipeline.catalog.identity import Identity
from pipeline.catalog.sources import Compaction, Sources, runs
from pipeline.config.fields import whole_number
from pipeline.errors import CatalogError, CommitConflict
from pipeline.store.layout import COMPACT_LOCK, COMPACTED_DIR, COMPACTED_FILE
from pipeline.store.storage import Store

# Sorted so that row-group statistics let readers skip most groups for the usual filters.
SORT = ("generator", "modality", "body_region", "contrast", "sex", "index")
ROWS_PER_FILE = 524_288
ROW_GROUP_ROWS = 65_536


@dataclass(frozen=True)
class Result:
    generation: str | None  # None: nothing to merge
    files: int
    rows: int
    bytes: int
    parts_merged: int
    parts_removed: int
    seconds: float

    def line(self, uri: str) -> str:
        if self.generation is None:
            return f"{uri}: nothing to compact (no parts outside the current compaction)"
        return (
            f"{uri}: merged {self.parts_merged} parts into {self.files} files ({self.rows} rows, "
            f"{self.bytes / 2**20:.1f} MiB) as {self.generation} in {self.seconds:.1f} s; "
            f"{self.parts_removed} parts removed"
        )


def compact(
    cat: Catalog,
    rows_per_file: int = ROWS_PER_FILE,
    row_group_rows: int = ROW_GROUP_ROWS,
    break_lock: bool = False,
) -> Result:
    started = time.perf_counter()
    store = cat.store
    whole_number("--rows-per-file", rows_per_file, 1, 100_000_000)
    whole_number("--row-group-rows", row_group_rows, 1, 10_000_000)
    _lock(store, break_lock)
    try:
        found = cat.sources()
        if not found.parts:
            return Result(None, 0, 0, 0, 0, 0, time.perf_counter() - started)
        stamps = {part: _stamp(store, part) for part in found.parts}
        previous = found.compaction
        generation = f"g{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        files, rows, size = _write(cat, found, generation, rows_per_file, row_group_rows)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        pointer = Compaction(generation, tuple(files), rows, runs(found.committed_shards()), SORT, now)
        store.write_atomic(COMPACTED_FILE, (json.dumps(pointer.to_json(), indent=1) + "\n").encode())
        removed = sum(_remove_if_unchanged(store, part, stamp) for part, stamp in stamps.items())
        keep = {generation, previous.generation if previous else generation}
        for old in store.list(COMPACTED_DIR):
            if old not in keep:
                store.remove(f"{COMPACTED_DIR}/{old}", recursive=True)
        return Result(generation, len(files), rows, size, len(found.parts), removed, time.perf_counter() - started)
    finally:
        store.remove(COMPACT_LOCK)


def _write(
    cat: Catalog, found: Sources, generation: str, rows_per_file: int, row_group_rows: int
) -> tuple[list[str], int, int]:
    """The sorted catalog as Parquet files in the store; returns their paths, rows and bytes."""
    order = ", ".join(f'"{c}"' for c in SORT if c in cat.columns)
    mark = Identity(cat.info.config_hash, cat.info.name, None, None, None)
    target = cat.schema.with_metadata(mark.metadata())  # compacted files say whose rows they hold
    con = duckdb.connect()
    files, rows, size = [], 0, 0
    with tempfile.TemporaryDirectory(prefix="medsynth-compact-") as tmp:
        cat.attach(con, found, spill=str(Path(tmp) / "spill"))  # sorts larger than memory spill here
        batches = con.sql(f"SELECT * FROM catalog ORDER BY {order}").to_arrow_reader(row_group_rows)
        writer, in_file, local = None, 0, Path(tmp) / "file.parquet"
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(local, target, compression="zstd", write_statistics=True)
            writer.write_batch(batch.cast(target), row_group_size=row_group_rows)
            in_file += batch.num_rows
            rows += batch.num_rows
            if in_file >= rows_per_file:
                writer.close()
                size += _upload(cat.store, local, generation, files)
                writer, in_file = None, 0
        if writer is not None:
            writer.close()
            size += _upload(cat.store, local, generation, files)
    con.close()
    return files, rows, size


def _upload(store: Store, local: Path, generation: str, files: list[str]) -> int:
    rel = f"{COMPACTED_DIR}/{generation}/part-{len(files):05d}.parquet"
    data = local.read_bytes()
    if store.is_local:
        os.makedirs(os.path.dirname(store.path(rel)), exist_ok=True)
    store.write_atomic(rel, data)
    files.append(rel)
    return len(data)


def _lock(store: Store, break_lock: bool) -> None:
    holder = {"host": socket.gethostname(), "pid": os.getpid(), "since": datetime.now(UTC).isoformat()}
    if break_lock:
        store.remove(COMPACT_LOCK)
    try:
        store.commit(COMPACT_LOCK, json.dumps(holder).encode())
    except CommitConflict:
        try:
            other = json.loads(store.read_bytes(COMPACT_LOCK))
            who = f"{other.get('host')}:{other.get('pid')} since {other.get('since')}"
        except (FileNotFoundError, ValueError):
            who = "another process"
        raise CatalogError(
            f"{store.uri}/{COMPACT_LOCK}: a compaction is running ({who}); if none is, rerun with --break-lock"
        ) from None


def _stamp(store: Store, rel: str) -> tuple:
    """What identifies this version of an object: size plus mtime (local) or ETag (S3)."""
    info = store.fs.info(store.path(rel))
    return (info.get("size"), info.get("mtime") or info.get("ETag") or info.get("LastModified"))


def _remove_if_unchanged(store: Store, rel: str, stamp: tuple) -> bool:
    """A part rewritten since it was merged (a repair) is kept: it holds newer rows."""
    try:
        if _stamp(store, rel) != stamp:
            return False
    except FileNotFoundError:
        return False
    store.remove(rel)
    return True
