from pipeline.config.job import DatasetConfig
from pipeline.run.planning import committed_shards, plan
from pipeline.store.layout import ShardTask, part_path, part_shard, shard_task, study_path
from pipeline.store.storage import open_store


def test_layout_names():
    assert study_path(3, "s000000042") == "studies/000003/s000000042.zarr"
    assert part_path(3) == "catalog/part-000003.parquet"
    assert part_shard("part-000003.parquet") == 3
    assert part_shard(".part-000003.parquet.tmp-abc") is None
    assert shard_task(2, 16, 40) == ShardTask(2, 32, 40)


def test_plan_skips_exactly_the_committed_shards(tmp_path):
    store = open_store(str(tmp_path))
    dataset = DatasetConfig(n_studies=10, shard_size=3)
    todo = plan(dataset, store)
    tasks = list(todo.tasks())
    assert [t.shard for t in tasks] == [0, 1, 2, 3] and todo.skipped == 0 and todo.studies_todo == 10
    assert tasks[-1] == ShardTask(3, 9, 10)
    store.commit(part_path(1), b"x")
    store.commit(part_path(3), b"x")
    store.write_atomic("catalog/.part-000002.parquet.tmp-1", b"partial")
    assert committed_shards(store) == {1, 3}
    todo = plan(dataset, store)
    assert [t.shard for t in todo.tasks()] == [0, 2] and todo.skipped == 2
    assert todo.n_todo == 2 and todo.studies_todo == 6  # shard 3 holds the one study 9


def test_a_billion_shards_are_planned_lazily(tmp_path):
    import tracemalloc

    store = open_store(str(tmp_path))
    store.commit(part_path(1), b"x")
    tracemalloc.start()
    todo = plan(DatasetConfig(n_studies=10**9, shard_size=1), store)
    first = [task for _, task in zip(range(3), todo.tasks(), strict=False)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [t.shard for t in first] == [0, 2, 3] and todo.n_todo == 10**9 - 1
    assert todo.studies_todo == 10**9 - 1
    assert peak < 10 * 2**20, peak  # a list of every shard would take tens of GB
