"""Where every object of a dataset lives, relative to its root. The one place that names them.

dataset.json                          config snapshot, label dict, schema version, status
studies/<shard>/<study_id>.zarr       one OME-Zarr group per study
catalog/part-<shard>.parquet          one manifest part per committed shard (the commit)
catalog/compacted.json                which compacted files readers use, and the shards they hold
catalog/compacted/<generation>/*.parquet   the parts merged by `jobs.compact`
catalog/compact.lock                  held while a compaction runs
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

DATASET_FILE = "dataset.json"
STUDIES_DIR = "studies"
CATALOG_DIR = "catalog"
COMPACTED_FILE = f"{CATALOG_DIR}/compacted.json"
COMPACTED_DIR = f"{CATALOG_DIR}/compacted"
COMPACT_LOCK = f"{CATALOG_DIR}/compact.lock"
PART_PATTERN = re.compile(r"^part-(\d+)\.parquet$")


def shard_name(shard: int) -> str:
    return f"{shard:06d}"


def shard_folder(shard: int, prefix_hash: bool = False) -> str:
    if not prefix_hash:
        return f"{STUDIES_DIR}/{shard_name(shard)}"
    digest = hashlib.sha256(shard_name(shard).encode()).hexdigest()[:4]
    return f"{STUDIES_DIR}/{digest}-{shard_name(shard)}"


def study_path(shard: int, study_id: str, prefix_hash: bool = False) -> str:
    return f"{shard_folder(shard, prefix_hash)}/{study_id}.zarr"


def part_path(shard: int) -> str:
    return f"{CATALOG_DIR}/part-{shard_name(shard)}.parquet"


def part_shard(name: str) -> int | None:
    """The shard number of a part file name, or None for anything else in the catalog folder
    (a name only its own shard writes: `part-0000001.parquet`, a copy beside `part-000001`, is
    not a part; `jobs.verify` names it)."""
    match = PART_PATTERN.match(name)
    if not match:
        return None
    shard = int(match.group(1))
    return shard if name == part_path(shard).rsplit("/", 1)[-1] else None


@dataclass(frozen=True)
class ShardTask:
    """A unit of work and of commit: study indices [start, stop)."""

    shard: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def shard_count(n_studies: int, shard_size: int) -> int:
    """How many shards `n_studies` make at `shard_size` studies each (the last may be short)."""
    return -(-n_studies // shard_size)


def shard_task(shard: int, shard_size: int, n_studies: int) -> ShardTask:
    start = shard * shard_size
    return ShardTask(shard, start, min(start + shard_size, n_studies))
