"""`jobs.bench storage`: the storage layer against plain writes of the same objects, and the requests it makes."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_storage_benchmark_counts_objects_and_requests(tmp_path):
    _, report = bench("storage", tmp_path)
    assert report["metrics"]["s3_objects_per_study"] == 7 == report["metrics"]["local_objects_per_study"]
    # 7 objects per study, plus one manifest part per shard of 4 studies: nothing else (no HEAD, no LIST)
    assert report["metrics"]["s3_puts_per_study"] == 7.25
    assert report["notes"]["s3_requests"] == {"PutObject": 29}
    assert set(report["ratios"]) == {"local_pipeline_over_raw", "tmpfs_pipeline_over_raw", "s3_pipeline_over_raw"}
