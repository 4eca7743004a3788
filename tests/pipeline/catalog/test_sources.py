"""Which files make up a catalog: committed parts, the current compaction, and the parts that
supersede compacted shards; a corrupt pointer is an error naming it."""

from __future__ import annotations

import json

import pytest

from pipeline.catalog.sources import Compaction, read_compaction, runs, sources
from pipeline.errors import CatalogError
from pipeline.store.layout import COMPACTED_FILE, part_path
from pipeline.store.storage import open_store

COMPACTION = Compaction("g1", ("catalog/compacted/g1/0.parquet",), 12, ((0, 3),), ("index",), "2026-12-06T00:00:00Z")


@pytest.fixture
def store(tmp_path):
    (tmp_path / "catalog").mkdir()
    return open_store(str(tmp_path))


def put(store, rel: str, data: bytes = b"x") -> None:
    store.write_atomic(rel, data)


def test_parts_alone(store):
    for shard in (0, 2):
        put(store, part_path(shard))
    put(store, "catalog/part-0000001.parquet")  # not a name its shard writes
    put(store, "catalog/notes.parquet")
    found = sources(store)
    assert found.parts == (part_path(0), part_path(2))
    assert (found.compaction, found.compacted, found.superseded) == (None, (), ())
    assert found.committed_shards() == {0, 2}


def test_a_part_of_a_compacted_shard_supersedes_it(store):
    put(store, COMPACTED_FILE, json.dumps(COMPACTION.to_json()).encode())
    put(store, part_path(1))  # a repair of compacted shard 1
    put(store, part_path(5))  # committed after the compaction
    found = sources(store)
    assert found.compaction == COMPACTION and found.compacted == COMPACTION.files
    assert found.superseded == (1,)
    assert found.committed_shards() == {0, 1, 2, 5}


def test_the_pointer_round_trips_and_a_corrupt_one_is_named(store):
    assert read_compaction(store) is None
    assert Compaction.from_json(json.loads(json.dumps(COMPACTION.to_json()))) == COMPACTION
    for bad in (b"{not json", b"{}", json.dumps({**COMPACTION.to_json(), "shards": [[0]]}).encode()):
        put(store, COMPACTED_FILE, bad)
        with pytest.raises(CatalogError, match=f"{COMPACTED_FILE} is corrupt"):
            sources(store)


def test_shard_runs():
    assert runs([5, 0, 1, 2, 7, 6, 9]) == ((0, 3), (5, 8), (9, 10))
    assert runs([3, 3, 3]) == ((3, 4),)
    assert runs([]) == ()
    assert Compaction("g", (), 0, runs(range(0, 10**6, 2)[:3]), (), "").shard_set() == {0, 2, 4}
