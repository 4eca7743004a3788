"""MR quality control: the orderings the physics implies must hold in the image; noise-level
labels and close pairs are not ranked; a swapped pair fails, naming both."""

import numpy as np

from models.labels import maisi_ct_labels
from models.measure import LabelStats
from models.mr import qc


def stats(**medians: float) -> dict[str, LabelStats]:
    return {name: LabelStats(qc.MIN_VOXELS, 10.0, m, m) for name, m in medians.items()}


IMAGE = np.random.default_rng(0).integers(0, 3000, (16, 16, 16)).astype(np.uint16)  # passes image checks


def test_orderings_that_hold_pass_and_a_swapped_pair_fails_naming_both():
    expected = {"liver": 1.0, "spleen": 2.0, "gallbladder": 4.0}
    ok = qc.check(IMAGE, stats(liver=100, spleen=200, gallbladder=400), expected, noise=0.01)
    assert ok.passed and ok.pairs == 3
    bad = qc.check(IMAGE, stats(liver=300, spleen=200, gallbladder=400), expected, noise=0.01)
    assert not bad.passed and bad.failures == ("spleen median 200 not above liver 300 (expected 2 > 1)",)


def test_close_pairs_noise_level_and_small_labels_are_not_ranked():
    close = qc.check(IMAGE, stats(liver=200, spleen=100), {"liver": 1.0, "spleen": 1.2}, noise=0.01)
    assert close.passed and close.pairs == 0  # 20 % apart: within MARGIN
    floor = qc.check(IMAGE, stats(air=500, liver=100), {"air": 0.02, "liver": 1.0}, noise=0.05)
    assert floor.passed and "air" not in floor.expected  # below NOISE_MULTIPLE x noise
    few = {"liver": LabelStats(10, 0.1, 900, 900), **stats(spleen=100)}
    assert qc.check(IMAGE, few, {"liver": 1.0, "spleen": 4.0}, noise=0.01).pairs == 0


def test_expected_medians_carry_the_coil_field_and_skip_small_labels():
    labels = maisi_ct_labels()
    label = np.zeros((32, 32, 32), dtype=np.uint8)
    tissue = np.zeros((32, 32, 32), dtype=np.uint8)
    label[:, :16], tissue[:, :16] = labels.value("liver"), 2
    label[0, 16:, :2], tissue[0, 16:, :2] = labels.value("spleen"), 3  # 32 voxels: too few
    signals = np.array([0.0, 0.0, 0.5, 1.0], dtype=np.float32)
    coil = np.full((16, 16, 16), 2.0, dtype=np.float32)  # every other voxel per axis
    expected = qc.expected_medians(label, tissue, signals, coil, labels, ("liver", "spleen", "appendix"))
    assert list(expected) == ["liver"]  # the spleen has too few voxels, the appendix none
    assert abs(expected["liver"] - 1.0) <= 2.0 / (qc.LEVELS - 1)  # 0.5 x the coil's 2, to 1/LEVELS of the top
    assert qc.noise_level({"liver": 1.0}, 20.0) == 0.05 and qc.noise_level({}, 20.0) == 0.0
