"""Which dataset a catalog file belongs to: the identity every part (and compacted file) carries
in its Parquet key-value metadata, and the check every reader and writer makes of it.

A part says the config hash of its dataset, the dataset's name, its shard and the study range
[start, stop) it commits. A file belongs to the dataset at a root when its config hash is the
root's (`dataset.json`), a part's shard is the one in its file name, and its rows' `index` values
(from the footer's statistics, so no row is read) lie inside that shard's range and number exactly
its size. A part copied in from another dataset, or renamed to another shard, fails one of these;
parts that pass cannot hold the same study twice, since shards' ranges are disjoint. Parts
written before identities existed carry none; they are held to the range and size rules alone.

Footers are read once per file and catalog object (`Checked`), on a few threads, so a query
pays for the check once, not per call.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow.parquet as pq

from pipeline.catalog.sources import Sources
from pipeline.errors import CatalogError, StorageError
from pipeline.store.layout import COMPACTED_DIR, part_shard, shard_task
from pipeline.store.storage import Store, retry

KEY = b"medsynth"
THREADS = 16


@dataclass(frozen=True)
class Identity:
    config_hash: str
    dataset: str
    shard: int | None  # None: a compacted file (many shards)
    start: int | None
    stop: int | None

    def metadata(self) -> dict[bytes, bytes]:
        return {KEY: json.dumps(asdict(self), sort_keys=True).encode()}

    @classmethod
    def parse(cls, metadata: dict[bytes, bytes] | None) -> Identity | None:
        raw = (metadata or {}).get(KEY)
        if raw is None:
            return None
        data: dict[str, Any] = json.loads(raw)
        return cls(data["config_hash"], data["dataset"], data.get("shard"), data.get("start"), data.get("stop"))


@dataclass(frozen=True)
class Expected:
    """What a file of this dataset must say."""

    config_hash: str
    n_studies: int
    shard_size: int
    columns: tuple[str, ...] = ()  # the catalog's columns, as dataset.json declares them (empty: not checked)


def problem(store: Store, rel: str, expected: Expected) -> str | None:
    """Why the catalog file `rel` (a part, or a compacted file) does not belong, or None;
    `CatalogError` when it cannot be read at all (torn, or not Parquet)."""
    try:
        footer = retry(lambda: _footer(store, rel), f"{store.uri}/{rel}")
    except FileNotFoundError:
        return None  # gone since it was listed (a compaction removed it): nothing to judge
    except StorageError as exc:  # a torn or foreign file: pyarrow's parse error, as `retry` words it
        raise CatalogError(f"{store.uri}: a catalog part cannot be read ({str(exc)[:300]})") from None
    ident = Identity.parse(footer.metadata)
    if ident is not None and ident.config_hash != expected.config_hash:
        theirs = f"{ident.dataset!r}, config hash {ident.config_hash}"
        return f"belongs to another dataset ({theirs}, not {expected.config_hash})"
    if expected.columns:
        names = tuple(footer.schema.to_arrow_schema().names)
        if names != expected.columns:
            odd = sorted(set(names) ^ set(expected.columns)) or ["their order"]
            return f"has other columns than dataset.json declares ({odd[0]}); was dataset.json edited?"
    if rel.startswith(f"{COMPACTED_DIR}/"):  # a compacted file: its rows span many shards
        return None
    shard = part_shard(rel.rsplit("/", 1)[-1])
    if shard is None:
        return "is not named as a part (part-<shard>.parquet)"
    if ident is not None and ident.shard != shard:
        return f"is shard {ident.shard}'s part under the name of shard {shard}"
    task = shard_task(shard, expected.shard_size, expected.n_studies)
    if task.size <= 0:
        return f"is shard {shard}, past the dataset's {expected.n_studies} studies"
    low, high = _index_range(footer)
    if footer.num_rows != task.size or low is None or low < task.start or high >= task.stop:
        return (
            f"holds {footer.num_rows} rows with index {low}..{high}; "
            f"shard {shard} is studies {task.start}..{task.stop - 1}"
        )
    return None


def problems(store: Store, files: Sequence[str], expected: Expected) -> list[tuple[str, str]]:
    """Every catalog file of `files` that does not belong, with the reason, in file order."""
    if not files:
        return []
    with ThreadPoolExecutor(min(THREADS, max(1, len(files)))) as pool:
        reasons = list(pool.map(lambda rel: problem(store, rel, expected), files))
    return [(rel, why) for rel, why in zip(files, reasons, strict=True) if why is not None]


def files(found: Sources) -> list[str]:
    return [*found.parts, *found.compacted]


def refuse(store: Store, bad: list[tuple[str, str]]) -> None:
    if bad:
        rel, why = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise CatalogError(
            f"{store.uri}/{rel}: {why}{more}; move such files out of the catalog (python -m jobs.verify lists them all)"
        )


class Checked:
    """The catalog files already found to belong, per catalog object (files are immutable once
    committed; a repair rewrites a part with rows of the same dataset)."""

    def __init__(self) -> None:
        self.ok: set[str] = set()
        self.lock = threading.Lock()

    def ensure(self, store: Store, found: Sources, expected: Expected) -> None:
        with self.lock:
            todo = [f for f in files(found) if f not in self.ok]
        if not todo:
            return
        refuse(store, problems(store, todo, expected))
        with self.lock:
            self.ok.update(todo)

    def __getstate__(self) -> dict:
        return {"ok": set(self.ok)}

    def __setstate__(self, state: dict) -> None:
        self.ok, self.lock = set(state["ok"]), threading.Lock()


def _footer(store: Store, rel: str) -> pq.FileMetaData:
    with store.fs.open(store.path(rel), "rb") as handle:
        return pq.read_metadata(handle)


def _index_range(footer: pq.FileMetaData) -> tuple[int | None, int | None]:
    """The smallest and largest `index` of the file, from its row groups' statistics."""
    names = [footer.schema.column(i).name for i in range(footer.num_columns)]
    if "index" not in names:
        return None, None
    column = names.index("index")
    lows, highs = [], []
    for g in range(footer.num_row_groups):
        stats = footer.row_group(g).column(column).statistics
        if stats is None or not stats.has_min_max:
            return None, None
        lows.append(int(stats.min))
        highs.append(int(stats.max))
    return (min(lows), max(highs)) if lows else (None, None)
