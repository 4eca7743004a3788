"""`jobs.bench stream`: StudyStream against tensorstore on the same patches (cold, warm, one thread;
locally and on the local S3 with and without 20 ms a request), against NIfTI read by MONAI, bytes
read against bytes overlapped, loader scaling."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_stream_benchmark_reports_its_ratios(tmp_path):
    _, report = bench("stream", tmp_path)
    against_tensorstore = {
        f"studystream_over_tensorstore{threads}_{kind}" for threads in ("", "_1thread") for kind in ("cold", "warm")
    }
    assert set(report["ratios"]) == {
        "stream_over_nifti_monai",
        "bytes_read_over_overlapped",
        "loader_2w_over_1w",
        "cpu_ms_per_patch_over_tensorstore",
        "s3_studystream_over_tensorstore",
        "s3_20ms_studystream_over_tensorstore",
        "s3_20ms_over_0ms_studystream",
        *against_tensorstore,
    }
    for latency in ("0ms", "20ms"):
        for reader in ("studystream", "tensorstore", "cache_cold", "cache_warm"):
            assert report["metrics"][f"s3_{latency}_{reader}_patches_per_s"] > 0
    assert all(report["metrics"][f"floor_{kind}_patches_per_s"] > 0 for kind in ("cold", "warm"))
    assert 1.0 <= report["ratios"]["bytes_read_over_overlapped"] < 1.5  # reads are exactly the chunks (and index)
    assert report["metrics"]["rss_growth_mib"] < 100
