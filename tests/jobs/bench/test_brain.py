"""`jobs.bench brain`: one brain_mr study at 1 mm on one core."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_brain_benchmark_times_one_core(tmp_path):
    _, report = bench("brain", tmp_path)
    assert set(report["goals"]) == {"render_s_1mm", "peak_gib_1mm"}
    assert report["metrics"]["render_s_1mm"] > 0 and report["metrics"]["template_setup_s"] > 0
