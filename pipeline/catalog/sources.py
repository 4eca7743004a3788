"""Which Parquet files make up a dataset's catalog: the current compaction plus committed parts.

A compaction (`jobs.compact`) merges parts into a few large files and records, in
`catalog/compacted.json`, which files those are and which shards they hold. Readers use:

- the compacted files, minus the rows of any shard that also has a part present (a part always
  wins: it is a repair, or a leftover of a compaction that stopped before deleting it, whose rows
  are the same);
- every committed part.

The parts are listed *before* the pointer is read. A compaction switches the pointer before it
deletes the parts it merged, so a reader racing it either sees the old pointer with parts that may
vanish, or the new one: a vanished file makes the reader start again (`Catalog` does), and no row
can be missed or counted twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.errors import CatalogError
from pipeline.store.layout import CATALOG_DIR, COMPACTED_FILE, part_shard
from pipeline.store.storage import Store

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Compaction:
    generation: str
    files: tuple[str, ...]  # relative to the dataset root
    rows: int
    shards: tuple[tuple[int, int], ...]  # runs [start, stop) of the shards the files hold
    sort: tuple[str, ...]
    created_at: str

    def shard_set(self) -> set[int]:
        return {s for start, stop in self.shards for s in range(start, stop)}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "generation": self.generation,
            "files": list(self.files),
            "rows": self.rows,
            "shards": [list(run) for run in self.shards],
            "sort": list(self.sort),
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Compaction:
        return cls(
            generation=str(data["generation"]),
            files=tuple(str(f) for f in data["files"]),
            rows=int(data["rows"]),
            shards=tuple((int(a), int(b)) for a, b in data["shards"]),
            sort=tuple(str(c) for c in data["sort"]),
            created_at=str(data["created_at"]),
        )


@dataclass(frozen=True)
class Sources:
    parts: tuple[str, ...]  # relative to the dataset root
    compaction: Compaction | None
    superseded: tuple[int, ...]  # compacted shards whose part is present: the part's rows win

    @property
    def compacted(self) -> tuple[str, ...]:
        return self.compaction.files if self.compaction else ()

    def committed_shards(self) -> set[int]:
        found = {part_shard(p.rsplit("/", 1)[-1]) for p in self.parts}
        return {s for s in found if s is not None} | (self.compaction.shard_set() if self.compaction else set())


def sources(store: Store) -> Sources:
    names = [n for n in store.list(CATALOG_DIR, ".parquet") if part_shard(n) is not None]
    compaction = read_compaction(store)
    covered = compaction.shard_set() if compaction else set()
    superseded = sorted({part_shard(n) for n in names} & covered)  # type: ignore[arg-type]
    return Sources(tuple(f"{CATALOG_DIR}/{n}" for n in names), compaction, tuple(superseded))


def read_compaction(store: Store) -> Compaction | None:
    try:
        return Compaction.from_json(json.loads(store.read_bytes(COMPACTED_FILE)))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise CatalogError(f"{store.uri}/{COMPACTED_FILE} is corrupt ({type(exc).__name__}: {exc})") from None


def runs(shards: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted shard numbers as runs [start, stop): a million studies' shards in a few bytes."""
    out: list[list[int]] = []
    for s in sorted(set(shards)):
        if out and out[-1][1] == s:
            out[-1][1] = s + 1
        else:
            out.append([s, s + 1])
    return tuple((a, b) for a, b in out)
