import json
import shutil

import pytest
import s3fs

from jobs import verify as verify_job
from jobs.cli import run
from pipeline import catalog
from pipeline.run.verify import repair, stored_config, verify
from tests.conftest import build_in_process, small_config


@pytest.fixture
def dataset(built_dataset, tmp_path):
    """A private copy of the session's small dataset (10 studies, shards of 4)."""
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root)
    return root


def corrupt(path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i : i + 32] = bytes(b ^ 0xFF for b in data[i : i + 32])
    path.write_bytes(bytes(data))


def test_a_clean_dataset_verifies(dataset):
    report = verify(catalog.open(str(dataset)))
    assert report.ok and report.n_studies == 10
    assert report.committed_shards == report.expected_shards == 3
    assert report.uncommitted_groups == 0


def test_findings_name_each_bad_study(dataset):
    corrupt(dataset / "studies/000000/s000000001.zarr/0/c/0/0/0")
    (dataset / "studies/000001/s000000005.zarr/labels/anatomy/0/c/0/0/0").unlink()
    meta = dataset / "studies/000002/s000000008.zarr/zarr.json"
    doc = json.loads(meta.read_text())
    doc["attributes"]["ome"]["version"] = "0.4"
    meta.write_text(json.dumps(doc))
    report = verify(catalog.open(str(dataset)))
    bad = {f.study_id: f.problem for f in report.findings}
    assert set(bad) == {"s000000001", "s000000005", "s000000008"}
    assert "ome.version" in bad["s000000008"]
    assert "s000000001" in "\n".join(report.lines())


def running(dataset) -> None:
    """dataset.json as a generation still under way (or interrupted) leaves it."""
    doc = json.loads((dataset / "dataset.json").read_text())
    (dataset / "dataset.json").write_text(json.dumps({**doc, "status": "running"}))


def test_orphan_groups_of_uncommitted_shards_are_counted(dataset):
    running(dataset)
    (dataset / "catalog/part-000001.parquet").unlink()
    report = verify(catalog.open(str(dataset)))
    assert report.ok and report.n_studies == 6
    assert (report.committed_shards, report.expected_shards, report.uncommitted_groups) == (2, 3, 4)


def dangling_catalog(dataset) -> None:
    shutil.rmtree(dataset / "catalog")
    (dataset / "catalog").symlink_to(dataset / "nowhere")


def half_a_compaction(dataset) -> None:
    from pipeline.catalog.compaction import compact

    compact(catalog.open(str(dataset)), rows_per_file=2, row_group_rows=2)
    pointer = dataset / "catalog/compacted.json"
    doc = json.loads(pointer.read_text())
    assert len(doc["files"]) > 2
    pointer.write_text(json.dumps({**doc, "files": doc["files"][: len(doc["files"]) // 2]}))


@pytest.mark.parametrize(
    "damage, said",
    [
        (lambda d: (d / "catalog/part-000001.parquet").unlink(), "1 of 3 shards have no catalog rows"),
        (dangling_catalog, "3 of 3 shards have no catalog rows"),
        (half_a_compaction, "catalog rows"),
        (
            lambda d: shutil.copy(d / "catalog/part-000001.parquet", d / "catalog/part-0000001.parquet"),
            "catalog/part-0000001.parquet: not a part name this dataset writes",
        ),
    ],
    ids=["deleted part", "dangling catalog link", "compaction pointer listing half its files", "duplicated part"],
)
def test_verify_compares_the_catalog_with_what_the_dataset_says_it_holds(dataset, damage, said, capsys):
    """Issue 28: each of these verified clean (and a duplicated part gave rows twice)."""
    damage(dataset)
    assert run(verify_job.main, [str(dataset)]) == 1
    assert said in capsys.readouterr().out
    rows = catalog.open(str(dataset)).query(columns=["study_id"]).column("study_id").to_pylist()
    assert len(rows) == len(set(rows))  # no reader counts a study twice


def test_repair_renders_exactly_the_bad_studies_again(dataset):
    cat = catalog.open(str(dataset))
    before = {r["study_id"]: r["checksum"] for r in cat.query().to_pylist()}
    untouched = dataset / "studies/000000/s000000002.zarr/0/c/0/0/0"
    untouched_mtime = untouched.stat().st_mtime_ns
    corrupt(dataset / "studies/000000/s000000001.zarr/0/c/0/0/0")
    (dataset / "studies/000002/s000000009.zarr/0/zarr.json").unlink()
    report = verify(cat)
    assert repair(cat, report, stored_config(cat, str(dataset), {})) == [0, 2]
    again = catalog.open(str(dataset))
    assert verify(again).ok
    assert {r["study_id"]: r["checksum"] for r in again.query().to_pylist()} == before
    assert untouched.stat().st_mtime_ns == untouched_mtime


def test_verify_cli_exit_codes_and_repair(dataset, capsys):
    assert run(verify_job.main, [str(dataset)]) == 0
    corrupt(dataset / "studies/000001/s000000006.zarr/labels/anatomy/0/c/0/0/0", at=0.3)
    capsys.readouterr()
    assert run(verify_job.main, [str(dataset)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("s000000006 (shard 1):")
    assert run(verify_job.main, [str(dataset), "--repair"]) == 0
    assert "repaired shards [1]" in capsys.readouterr().out
    assert run(verify_job.main, [str(dataset)]) == 0


def test_verify_and_repair_on_s3(s3):
    cfg = small_config(s3.uri("ds"), *s3.overrides("ds"), "dataset.n_studies=4")
    build_in_process(cfg)
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
    fs.rm(f"{s3.bucket}/ds/studies/000001/s000000003.zarr/0/c/0/0/0")
    cat = catalog.open(s3.uri("ds"), s3.options)
    report = verify(cat)
    assert [f.study_id for f in report.findings] == ["s000000003"]
    repair(cat, report, stored_config(cat, s3.uri("ds"), s3.options))
    assert verify(catalog.open(s3.uri("ds"), s3.options)).ok


@pytest.mark.parametrize("threads", [0, -1, 2.5, "8", True])
def test_python_callers_get_the_same_checks_as_the_cli(dataset, threads):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="--threads: must be a whole number"):
        verify(catalog.open(str(dataset)), threads=threads)


def test_the_checksum_covers_every_series(series_dataset, tmp_path):
    """Damage the last series' bytes only (its inner chunks sit last in the shard): verify names it."""
    root = tmp_path / "ds"
    shutil.copytree(series_dataset.storage.uri, root)
    assert verify(catalog.open(str(root))).ok
    shard = root / "studies/000001/s000000002.zarr/0/c/0/0/0/0"
    cat = catalog.open(str(root))
    row = cat.query("index = 2", columns=["image_path"]).to_pylist()[0]
    from pipeline.store.omezarr import chunk_sizes

    sizes = chunk_sizes(cat.store, row["image_path"])
    last = int(sizes[3].sum())
    data = bytearray(shard.read_bytes())
    end = len(data) - (16 * sizes.size + 4)  # the chunks, then the shard index
    for i in range(end - last // 2, end - last // 2 + 8):
        data[i] ^= 0xFF
    shard.write_bytes(bytes(data))
    cat = catalog.open(str(root))
    report = verify(cat)
    assert {f.study_id for f in report.findings} == {"s000000002"}
    before = {r["study_id"]: r["checksum"] for r in cat.query(columns=["study_id", "checksum"]).to_pylist()}
    assert repair(cat, report, stored_config(cat, str(root), {})) == [1]  # regenerated from its row
    again = catalog.open(str(root))
    assert verify(again).ok
    assert {r["study_id"]: r["checksum"] for r in again.query(columns=["study_id", "checksum"]).to_pylist()} == before
