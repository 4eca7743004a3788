from pipeline.config import DatasetConfig
from pipeline.layout import ShardTask, part_path, part_shard, shard_task, study_path
from pipeline.planning import committed_shards, plan
from pipeline.storage import open_store


def test_layout_names():
    assert study_path(3, "s000000042") == "studies/000003/s000000042.zarr"
    assert part_path(3) == "catalog/part-000003.parquet"
    assert part_shard("part-000003.parquet") == 3
    assert part_shard(".part-000003.parquet.tmp-abc") is None
    assert shard_task(2, 16, 40) == ShardTask(2, 32, 40)


def test_plan_skips_exactly_the_committed_shards(tmp_path):
    store = open_store(str(tmp_path))
    dataset = DatasetConfig(n_studies=10, shard_size=3)
    todo, skipped = plan(dataset, store)
    assert [t.shard for t in todo] == [0, 1, 2, 3] and skipped == 0
    assert todo[-1] == ShardTask(3, 9, 10)
    store.commit(part_path(1), b"x")
    store.commit(part_path(3), b"x")
    store.write_atomic("catalog/.part-000002.parquet.tmp-1", b"partial")
    assert committed_shards(store) == {1, 3}
    todo, skipped = plan(dataset, store)
    assert [t.shard for t in todo] == [0, 2] and skipped == 2
