"""`jobs.bench series`: four series against one, and two stacked series streamed against one."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_series_benchmark_times_four_series_against_one_and_streams_two_against_one(tmp_path):
    _, report = bench("series", tmp_path)
    assert set(report["goals"]) == {"four_over_one_time", "two_over_one_patches_per_s"}
    ratios = report["ratios"]
    assert set(ratios) == {
        "four_over_one_time",
        "four_over_one_render",
        "four_over_one_bytes",
        "two_over_one_patches_per_s",
    }
    assert 3.0 < ratios["four_over_one_bytes"] < 4.5  # four images, one label map
    assert all(v > 0 for v in ratios.values())
