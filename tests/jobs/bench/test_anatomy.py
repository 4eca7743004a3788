"""`jobs.bench anatomy`: a user's mask as anatomy against the procedural torso, with its goals."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_anatomy_benchmark_measures_masks_against_the_procedural_torso(tmp_path):
    _, report = bench("anatomy", tmp_path)
    assert set(report["goals"]) == {"anatomy_masks_s", "peak_gib_masks", "study_masks_over_phantom"}
    assert set(report["ratios"]) == {"anatomy_masks_over_phantom", "study_masks_over_phantom"}
    assert all(v > 0 for v in report["metrics"].values())
