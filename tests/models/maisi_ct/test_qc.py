"""MAISI's per-organ median-HU check."""

import numpy as np

from models.maisi_ct import qc


def organs(liver_hu: int, lung_hu: int) -> tuple[np.ndarray, np.ndarray]:
    label = np.zeros((20, 40, 40), dtype=np.uint8)
    image = np.full(label.shape, -1000, dtype=np.int16)
    label[:, :20, :20], image[:, :20, :20] = 1, liver_hu  # liver, 8000 voxels
    label[:, 20:, :20], image[:, 20:, :20] = 28, lung_hu  # one lung lobe
    label[:, 20:, 20:], image[:, 20:, 20:] = 32, lung_hu  # another: pooled with it
    label[:2, :2, 20:22], image[:2, :2, 20:22] = 3, 900  # spleen, too small to judge
    return image, label


def test_plausible_medians_pass():
    result = qc.check(*organs(60, -850))
    assert result.passed and result.medians == {"liver": 60.0, "lung": -850.0}


def test_an_implausible_organ_fails_naming_it_and_tolerance_widens_the_range():
    image, label = organs(400, -850)
    result = qc.check(image, label)
    assert not result.passed and len(result.failures) == 1 and result.failures[0].startswith("liver median 400")
    assert qc.check(image, label, tolerance_hu=250.0).passed


def test_median_is_exact():
    values = np.array([-5, 3, 3, 100, 7], dtype=np.int16)
    assert qc._median(values) == float(np.median(values))
