"""`jobs.bench phantom`: one phantom_ct study per size on one core."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_phantom_benchmark_measures_both_sizes_on_one_core(tmp_path):
    _, report = bench("phantom", tmp_path)
    assert set(report["goals"]) == {"render_s_256x256x192", "render_s_512x512x256", "peak_gib_512x512x256"}
    assert all(v > 0 for v in report["metrics"].values())
