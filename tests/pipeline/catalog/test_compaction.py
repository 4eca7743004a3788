"""Catalog compaction: same rows before and after, atomically switched, racing readers and
writers safe, repairs and later commits still seen, one compaction at a time, local and S3."""

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import catalog
from pipeline.catalog import compaction
from pipeline.catalog.manifest import encode_part
from pipeline.catalog.sources import sources
from pipeline.errors import CatalogError
from pipeline.run.planning import plan
from pipeline.store.layout import COMPACT_LOCK, COMPACTED_DIR, COMPACTED_FILE, part_path
from tests.conftest import build_in_process, small_config


@pytest.fixture
def root(built_dataset, tmp_path) -> Path:
    """A private copy of the session's 10-study dataset (3 shards: 4 + 4 + 2 studies)."""
    shutil.copytree(built_dataset.storage.uri, tmp_path / "ds")
    return tmp_path / "ds"


def snapshot(uri) -> list[dict]:
    return catalog.open(str(uri)).query().to_pylist()


def test_compaction_keeps_every_row_and_switches_readers(root, built_dataset):
    before = snapshot(root)
    result = compaction.compact(catalog.open(str(root)), rows_per_file=4, row_group_rows=2)
    assert (result.parts_merged, result.parts_removed, result.rows, result.files) == (3, 3, 10, 3)
    assert not list((root / "catalog").glob("part-*.parquet"))
    assert snapshot(root) == before
    pointer = json.loads((root / COMPACTED_FILE).read_text())
    assert pointer["shards"] == [[0, 3]] and pointer["rows"] == 10
    first = pq.ParquetFile(root / pointer["files"][0])
    assert first.metadata.num_row_groups == 2 and first.schema_arrow == catalog.open(str(root)).schema
    # Sorted for the usual filters: by body region (then contrast, sex, index) across the files.
    regions = [r for f in pointer["files"] for r in pq.read_table(root / f).column("body_region").to_pylist()]
    assert regions == sorted(regions)
    # The merged shards still count as made: a rerun plans nothing.
    todo = plan(built_dataset.dataset, catalog.open(str(root)).store)
    assert (list(todo.tasks()), todo.skipped) == ([], 3)


def test_parts_committed_later_and_repairs_are_seen(root, built_dataset):
    cfg = small_config(root, "dataset.n_studies=10", "dataset.shard_size=4")
    (root / "catalog" / "part-000002.parquet").unlink()  # shard 2 not made yet
    compaction.compact(catalog.open(str(root)))
    assert len(catalog.open(str(root))) == 8
    build_in_process(cfg, shards=[2])  # committed after the compaction
    assert [r["index"] for r in snapshot(root)] == list(range(10))

    cat = catalog.open(str(root))
    rows = cat.query("shard = 1").to_pylist()
    for r in rows:
        r["qc_pass"] = False  # a repair rewrites shard 1's part
    cat.store.write_atomic(part_path(1), encode_part(rows, cat.info.labels, cat.info.columns))
    after = snapshot(root)
    assert len(after) == 10 and [r["qc_pass"] for r in after if r["shard"] == 1] == [False] * 4
    assert sources(cat.store).superseded == (1,)


def test_a_crash_after_the_switch_leaves_no_duplicate(root):
    parts = {p.name: p.read_bytes() for p in (root / "catalog").glob("part-*.parquet")}
    before = snapshot(root)
    compaction.compact(catalog.open(str(root)))
    for name, data in parts.items():  # as if it died before deleting the parts it merged
        (root / "catalog" / name).write_bytes(data)
    assert snapshot(root) == before
    result = compaction.compact(catalog.open(str(root)))  # the next one cleans up
    assert result.parts_merged == 3 and snapshot(root) == before


def test_generations_older_than_the_previous_are_removed(root):
    cat = catalog.open(str(root))
    seen = []
    for shard in (0, 1, 2):
        rows = cat.query(f"shard = {shard}").to_pylist()
        cat.store.write_atomic(part_path(shard), encode_part(rows, cat.info.labels, cat.info.columns))
        seen.append(compaction.compact(cat).generation)
    assert sorted(p.name for p in (root / COMPACTED_DIR).iterdir()) == sorted(seen[-2:])
    assert len(snapshot(root)) == 10


def test_a_reader_that_raced_a_compaction_starts_again(root, monkeypatch):
    before = snapshot(root)
    cat = catalog.open(str(root))
    stale = sources(cat.store)  # listed before the compaction deleted these parts
    compaction.compact(catalog.open(str(root)))
    calls = []

    def racing(self):
        calls.append(1)
        return stale if len(calls) == 1 else sources(self.store)

    monkeypatch.setattr(catalog.Catalog, "sources", racing)
    assert cat.query().to_pylist() == before and len(calls) == 2


def test_one_compaction_at_a_time(root):
    cat = catalog.open(str(root))
    cat.store.commit(COMPACT_LOCK, b'{"host": "elsewhere", "pid": 7, "since": "earlier"}')
    with pytest.raises(CatalogError, match=r"compact\.lock: a compaction is running \(elsewhere:7 since earlier\)"):
        compaction.compact(cat)
    assert compaction.compact(cat, break_lock=True).parts_merged == 3
    assert not (root / COMPACT_LOCK).exists()


def test_nothing_to_do_is_said():
    assert compaction.Result(None, 0, 0, 0, 0, 0, 0.1).line("x").startswith("x: nothing to compact")


def test_compaction_on_s3(s3, tmp_path):
    cfg = small_config(s3.uri("ds"), *s3.overrides("ds"), "dataset.n_studies=6", "dataset.shard_size=2")
    build_in_process(cfg)
    cat = catalog.open(cfg.storage.uri, s3.options)
    before = cat.query().to_pylist()
    result = compaction.compact(cat)
    assert (result.parts_merged, result.parts_removed) == (3, 3)
    again = catalog.open(cfg.storage.uri, s3.options)
    assert again.query().to_pylist() == before and again.store.list("catalog", ".parquet") == []
    assert again.aggregate("count(*) AS n", group_by=["shard"]).column("n").to_pylist() == [2, 2, 2]
