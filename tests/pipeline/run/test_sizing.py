"""Sizing before running: the arithmetic, the scaling, and measuring a sample here."""

import pytest

from pipeline.errors import ConfigError
from pipeline.run.sizing import PIPELINE_EFFICIENCY, SERIES_MARGINAL, Sample, estimate, measure, nearest, shipped
from tests.conftest import small_config

SAMPLE = Sample("phantom_ct", (100, 100, 100), "blosc-zstd", 900.0, 100.0, 7, 2000.0, 50.0, 2.0, "cpu", "test")


def test_estimate_adds_up():
    cfg = small_config("/tmp/unused", "dataset.n_studies=1000", "dataset.shard_size=64")
    plan = estimate(cfg, SAMPLE, workers=4)
    assert plan.shards == 16 and plan.objects == 1000 * 7 + 16 + 2
    assert plan.catalog_parts_bytes == 16 * 2000 + 1000 * 50 and plan.catalog_compacted_bytes == 50_000
    assert plan.dataset_bytes == 1000 * 1000 + plan.catalog_parts_bytes
    assert plan.studies_per_s == pytest.approx(4 * PIPELINE_EFFICIENCY / 2.0)
    assert plan.hours == pytest.approx(1000 / plan.studies_per_s / 3600)
    assert plan.put_per_s == pytest.approx(plan.studies_per_s * (7 + 1 / 64))
    assert "1,000 in 16 shards of 64" in plan.table()
    gpu = estimate(cfg, Sample(**{**SAMPLE.__dict__, "device": "gpu"}), workers=4)
    assert gpu.studies_per_s == pytest.approx(2.0) and "GPU-hours" in gpu.table()
    with pytest.raises(ConfigError, match="--workers"):
        estimate(cfg, SAMPLE, workers=0)


def test_samples_scale_with_voxels_from_the_nearest_shape():
    small = Sample(**{**SAMPLE.__dict__, "shape": (50, 50, 50), "render_s": 0.3})
    picked = nearest([SAMPLE, small], "phantom_ct", (100, 100, 200), "blosc-zstd")
    assert picked.render_s == pytest.approx(4.0) and picked.image_bytes == pytest.approx(1800.0)
    assert nearest([SAMPLE, small], "phantom_ct", (40, 40, 40), "zstd").shape == (40, 40, 40)
    with pytest.raises(ConfigError, match="no measured sample of 'brain_mr'"):
        nearest([SAMPLE], "brain_mr", (10, 10, 10), "zstd")


def test_every_built_in_generator_ships_a_sample():
    found = {s.generator for s in shipped()}
    assert found >= {"phantom_ct", "brain_mr", "maisi_ct"}
    assert all(s.image_bytes > 0 and s.render_s > 0 and s.objects == 7 for s in shipped())


def test_measuring_renders_and_encodes_like_a_worker():
    cfg = small_config("/tmp/unused", "generator.shape=[32,48,48]")
    sample = measure(cfg, 3, "here")
    assert sample.shape == (32, 48, 48) and sample.objects == 7 and sample.device == "cpu"
    assert 0 < sample.label_bytes < sample.image_bytes < 32 * 48 * 48 * 2
    assert sample.row_bytes > 0 and sample.part_fixed_bytes > sample.row_bytes and sample.render_s > 0


def test_a_plan_of_several_series_scales_the_image_bytes_and_the_time():
    cfg = small_config("/tmp/unused", "dataset.n_studies=1000", "generator.series=[non_contrast,arterial,delayed]")
    plan = estimate(cfg, SAMPLE, workers=1)
    assert plan.sample.series == 3 and plan.sample.image_bytes == pytest.approx(3 * 900.0)
    assert plan.sample.label_bytes == 100.0 and plan.objects == 1000 * 7 + 500 + 2  # still one shard per array
    assert plan.sample.render_s == pytest.approx(2.0 * (1 + 2 * SERIES_MARGINAL))
    measured = measure(
        small_config("/tmp/unused", "generator.shape=[32,48,48]", "generator.series=[arterial,delayed]"), 2, "here"
    )
    assert measured.series == 2 and measured.shape == (32, 48, 48)
    assert estimate(cfg, measured, workers=1).sample.image_bytes == pytest.approx(measured.image_bytes * 3 / 2)
