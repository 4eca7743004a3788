"""Which shards a run still has to make: exactly those without a committed manifest part (or
whose part a compaction has merged).

Work is assigned by shard number, never by worker rank, so a rerun on any cluster size plans
the same units and produces the same dataset.
"""

from __future__ import annotations

from pipeline.config import DatasetConfig
from pipeline.layout import ShardTask, shard_task
from pipeline.sources import sources
from pipeline.storage import Store


def committed_shards(store: Store) -> set[int]:
    """Shards with a part, or merged into the catalog's compaction (whose parts are deleted)."""
    return sources(store).committed_shards()


def plan(dataset: DatasetConfig, store: Store) -> tuple[list[ShardTask], int]:
    """Shards to run, in order, and how many were already committed."""
    done = committed_shards(store)
    todo = [
        shard_task(shard, dataset.shard_size, dataset.n_studies)
        for shard in range(dataset.n_shards)
        if shard not in done
    ]
    return todo, dataset.n_shards - len(todo)
