"""`jobs.bench generate`: the pipeline against the bare render, one and two workers, and the
writer against raw encodes."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_generate_benchmark_writes_its_report(tmp_path):
    result, report = bench("generate", tmp_path)
    assert "pipeline_2w_over_1w" in result.stdout
    assert set(report) >= {"metrics", "ratios", "goals", "machine"}
    assert report["machine"]["cores"] >= 1 and report["machine"]["python"].startswith("3.11")
    assert set(report["goals"]) == {
        "pipeline_1w_over_bare_render",
        "pipeline_2w_over_1w",
        "write_over_raw_zstd",
        "write_over_raw_same_codec",
        "worker_peak_rss_gib",
    }
    assert all(v > 0 for v in report["metrics"].values())
