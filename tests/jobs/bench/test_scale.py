"""`jobs.bench scale`: a million-row catalog queried against DuckDB direct, planning, and the cluster path."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_scale_benchmark_reports_queries_planning_and_the_cluster_path(tmp_path):
    _, report = bench("scale", tmp_path)
    assert set(report["goals"]) == {
        "query_selective_s_compacted",
        "query_aggregate_s_compacted",
        "selective_ours_over_duckdb_direct",
        "aggregate_ours_over_duckdb_direct",
        "plan_s",
        "plan_peak_gib",
        "two_nodes_over_local",
    }
    assert report["notes"]["studies"] == 20_000 and report["metrics"]["compacted_files"] == 1
    assert report["metrics"]["two_nodes_studies_per_s"] > 0 and report["metrics"]["plan_peak_gib"] > 0.05
