"""`jobs.bench mr`: each MR generator against phantom_ct on the same grid."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_mr_benchmark_times_both_mr_generators_against_phantom_ct(tmp_path):
    _, report = bench("mr", tmp_path)
    assert set(report["goals"]) == {"body_mr_s", "brain_physics_s", "peak_gib_body_mr", "peak_gib_brain_physics"}
    assert set(report["ratios"]) == {
        "body_mr_over_phantom_ct",
        "brain_physics_over_phantom_ct",
        "brain_physics_over_presets",
    }
    assert all(v > 0 for v in report["ratios"].values())
