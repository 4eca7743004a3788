"""Where every object of a dataset lives: the names are fixed (old datasets must still read), and a
part's name maps back to its shard only when its own shard would write that name."""

from __future__ import annotations

import hashlib

from pipeline.store.layout import part_path, part_shard, shard_count, shard_folder, shard_task, study_path


def test_the_names_are_fixed():
    assert study_path(7, "s000000042") == "studies/000007/s000000042.zarr"
    assert part_path(7) == "catalog/part-000007.parquet"
    digest = hashlib.sha256(b"000007").hexdigest()[:4]
    assert shard_folder(7, prefix_hash=True) == f"studies/{digest}-000007"
    assert study_path(7, "s1", prefix_hash=True) == f"studies/{digest}-000007/s1.zarr"
    assert part_path(1_234_567) == "catalog/part-1234567.parquet"  # past six digits: no truncation


def test_a_part_name_maps_back_to_its_shard_only_when_its_shard_writes_it():
    assert part_shard("part-000007.parquet") == 7
    assert part_shard("part-1234567.parquet") == 1_234_567
    for other in ("part-0000007.parquet", "part-7.parquet", "part-000007.parquet.tmp", "compacted.json", ""):
        assert part_shard(other) is None
    assert all(part_shard(part_path(s).rsplit("/", 1)[-1]) == s for s in (0, 1, 999_999, 10**6))


def test_shard_tasks_cover_the_studies_once():
    n, size = 10, 4
    assert shard_count(n, size) == 3 and shard_count(8, 4) == 2 and shard_count(1, 100) == 1
    tasks = [shard_task(s, size, n) for s in range(shard_count(n, size))]
    assert [(t.start, t.stop, t.size) for t in tasks] == [(0, 4, 4), (4, 8, 4), (8, 10, 2)]
