"""`jobs.bench stream`: StudyStream against NIfTI read by MONAI, bytes read against bytes overlapped, loader scaling."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_stream_benchmark_reports_its_ratios(tmp_path):
    _, report = bench("stream", tmp_path)
    assert set(report["ratios"]) == {"stream_over_nifti_monai", "bytes_read_over_overlapped", "loader_2w_over_1w"}
    assert 1.0 <= report["ratios"]["bytes_read_over_overlapped"] < 1.5  # reads are exactly the chunks (and index)
    assert report["metrics"]["rss_growth_mib"] < 100
