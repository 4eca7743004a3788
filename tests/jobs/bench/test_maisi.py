"""`jobs.bench maisi`: the tiny networks per part of the cost model, against MAISI's loop."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_maisi_benchmark_checks_its_cost_model(tmp_path):
    _, report = bench("maisi", tmp_path)
    assert set(report["goals"]) == {"cost_model_error", "decode_ours_140g_error_over_maisi_default_256x256x32"}
    assert report["metrics"]["tiny_step_s_256x256x32"] > 0 and report["metrics"]["tiny_decode_s_256x256x32"] > 0
    assert report["notes"]["decode_plan_ours_140g"] == "peaks_140g_64x64x8"
    assert report["ratios"]["step_speedup_vs_maisi_loop_256x256x32"] > 0
