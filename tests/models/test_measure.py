import numpy as np

from models.labels import maisi_ct_labels
from models.measure import measure

LABELS = maisi_ct_labels().subset(["liver", "spleen", "body"], name="t")


def test_integer_stats_are_exact():
    label = np.zeros((4, 4, 4), np.uint8)
    image = np.full((4, 4, 4), -1000, np.int16)
    label[0] = 1
    image[0] = np.arange(16, dtype=np.int16).reshape(4, 4) * 10
    label[1, :2] = 200
    image[1, :2] = 40
    stats = measure(image, label, (2.0, 1.0, 0.5), LABELS).labels
    assert stats["liver"].voxels == 16
    assert stats["liver"].volume_ml == 16 * 1.0 / 1000
    assert stats["liver"].mean == np.mean(np.arange(16) * 10)
    assert stats["liver"].median == 70.0  # lower median of 0..150 step 10
    assert stats["body"].voxels == 8 and stats["body"].median == 40
    assert stats["spleen"].voxels == 0 and np.isnan(stats["spleen"].median)


def test_float_stats_match_numpy():
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, (6, 6, 6)).astype(np.uint8)
    image = rng.normal(size=(6, 6, 6)).astype(np.float32)
    stats = measure(image, label, (1.0, 1.0, 1.0), LABELS).labels["liver"]
    assert stats.voxels == int(label.sum())
    assert np.isclose(stats.mean, image[label == 1].mean())
    assert np.isclose(stats.median, np.median(image[label == 1]))


def test_image_failures_name_non_finite_and_constant_images():
    from models.measure import image_failures

    assert image_failures(np.arange(8, dtype=np.int16)) == ()
    assert image_failures(np.full(8, 7, np.int16)) == ("image is constant (7 everywhere)",)
    nan = np.arange(8, dtype=np.float16)
    nan[3] = np.nan
    nan[5] = np.inf
    assert image_failures(nan) == ("image has 2 voxels that are NaN or infinite",)
