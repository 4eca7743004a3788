"""Which shards a run still has to make: exactly those without a committed manifest part (or
whose part a compaction has merged), after every catalog file is found to belong to the dataset.

Work is assigned by shard number, never by worker rank, so a rerun on any cluster size plans
the same units and produces the same dataset. The shards to make are yielded lazily: a plan for
a billion studies holds the committed shards, never a list of every shard.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.catalog import identity
from pipeline.catalog.sources import sources
from pipeline.config.job import DatasetConfig
from pipeline.store.layout import ShardTask, shard_task
from pipeline.store.storage import Store


@dataclass(frozen=True)
class Plan:
    dataset: DatasetConfig
    done: frozenset[int]  # committed shards within the dataset's range

    @property
    def skipped(self) -> int:
        return len(self.done)

    @property
    def n_todo(self) -> int:
        return self.dataset.n_shards - len(self.done)

    @property
    def studies_todo(self) -> int:
        d = self.dataset
        return d.n_studies - sum(shard_task(s, d.shard_size, d.n_studies).size for s in self.done)

    def tasks(self) -> Iterator[ShardTask]:
        """The shards to make, in order, one at a time."""
        d = self.dataset
        return (shard_task(s, d.shard_size, d.n_studies) for s in range(d.n_shards) if s not in self.done)


def committed_shards(store: Store) -> set[int]:
    """Shards with a part, or merged into the catalog's compaction (whose parts are deleted)."""
    return sources(store).committed_shards()


def plan(dataset: DatasetConfig, store: Store, expected: identity.Expected | None = None) -> Plan:
    """What is left of `dataset` at `store`; with `expected`, every catalog file there must
    belong to that dataset first (`CatalogError` naming the first that does not)."""
    found = sources(store)
    if expected is not None:
        identity.refuse(store, identity.problems(store, identity.files(found), expected))
    done = frozenset(s for s in found.committed_shards() if 0 <= s < dataset.n_shards)
    return Plan(dataset, done)
