import numpy as np

from models.measure import LabelStats
from models.phantom_ct import qc

IMAGE = np.arange(-8, 8, dtype=np.int16).reshape(2, 2, 4)  # some contrast: only the medians are judged


def stats(**medians):
    return {name.replace("_", " "): LabelStats(5000, volume, 0.0, median) for name, (median, volume) in medians.items()}


def test_medians_outside_the_phase_range_fail_and_are_named():
    good = stats(liver=(56.0, 1500.0), spleen=(45.0, 200.0), right_kidney=(35.0, 150.0), left_kidney=(33.0, 150.0))
    assert qc.check(IMAGE, good, "non_contrast", "abdomen", 25.0).passed
    bad = {**good, **stats(liver=(150.0, 1500.0))}
    result = qc.check(IMAGE, bad, "non_contrast", "abdomen", 25.0)
    assert not result.passed and result.failures[0].startswith("liver median 150 HU outside [50, 62]")
    enhanced = stats(
        liver=(140.0, 1500.0), spleen=(120.0, 200.0), right_kidney=(170.0, 150.0), left_kidney=(175.0, 150.0)
    )
    assert qc.check(IMAGE, enhanced, "portal_venous", "abdomen", 25.0).passed  # 140 is within 25 of 100-120
    assert not qc.check(IMAGE, good, "non_contrast", "abdomen", -6.0).passed  # a negative tolerance narrows


def test_missing_or_tiny_required_organs_fail():
    result = qc.check(IMAGE, stats(liver=(56.0, 300.0)), "non_contrast", "abdomen", 25.0)
    failures = " ".join(result.failures)
    assert "liver 300 ml, below 700 ml" in failures and "spleen 0 ml" in failures
    assert qc.check(IMAGE, {}, "non_contrast", "chest", 25.0).failures == ("heart 0 ml, below 250 ml",)


def test_a_constant_image_fails_whatever_its_medians():
    good = stats(liver=(56.0, 1500.0), spleen=(45.0, 200.0), right_kidney=(35.0, 150.0), left_kidney=(33.0, 150.0))
    result = qc.check(np.zeros((4, 4, 4), np.int16), good, "non_contrast", "abdomen", 25.0)
    assert not result.passed and result.failures == ("image is constant (0 everywhere)",)
