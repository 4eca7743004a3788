"""The rows-only dataset the scale benchmark queries: a real dataset.json and one manifest part per
shard, readable by the catalog, every row a study of its shard."""

from jobs.bench import synthetic
from pipeline import catalog


def test_a_rows_only_dataset_reads_as_a_catalog(tmp_path):
    synthetic.build(tmp_path / "ds", n_studies=50, shard_size=16)
    cat = catalog.open(str(tmp_path / "ds"))
    rows = cat.query(columns=["index", "shard", "body_region", "liver_ml"]).to_pylist()
    assert [r["index"] for r in rows] == list(range(50))
    assert all(r["shard"] == r["index"] // 16 for r in rows)
    assert {r["body_region"] for r in rows} <= set(synthetic.CHOICES["body_region"])
    assert len(list((tmp_path / "ds" / "catalog").glob("part-*.parquet"))) == 4
    assert cat.count("liver_ml > 0") > 0
