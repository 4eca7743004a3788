"""Intensities: each preset orders the tissues as its sequence does, the two sides of a tissue share
one intensity, random contrast draws anything, and the gamma transform maps into [0, 1]."""

import numpy as np
import pytest

from models.brain_mr.intensity import CONTRASTS, PRESETS, gamma, kind, mixture, paint_intensities
from models.brain_mr.template import LABELS, VALUE


def mean_of(means: np.ndarray, name: str) -> float:
    return float(means[VALUE[f"left {name}"] if f"left {name}" in VALUE else VALUE[name]])


@pytest.mark.parametrize(
    ("contrast", "order"),
    [
        ("T1", ("cerebral white matter", "cortical grey matter", "csf")),
        ("T2", ("csf", "cortical grey matter", "cerebral white matter")),
        ("FLAIR", ("white matter hyperintensity", "cortical grey matter", "csf")),
    ],
)
def test_presets_order_the_tissues_as_their_sequence(contrast, order):
    for seed in range(5):
        means, _ = mixture(contrast, np.random.default_rng(seed))
        values = [mean_of(means, name) for name in order]
        assert values == sorted(values, reverse=True), (contrast, seed, values)


def test_both_sides_share_one_intensity_and_background_is_dark():
    for contrast in CONTRASTS:
        means, spreads = mixture(contrast, np.random.default_rng(1))
        for name, value in VALUE.items():
            if name.startswith("left "):
                right = VALUE[name.replace("left", "right")]
                assert (means[value], spreads[value]) == (means[right], spreads[right]), (contrast, name)
        assert means[0] == 0.0 and spreads[0] == 0.005


def test_every_label_kind_has_a_preset_and_random_draws_per_study():
    for contrast in set(CONTRASTS) - {"random"}:
        assert {kind(lb.name) for lb in LABELS} <= set(PRESETS[contrast]), contrast
    a, _ = mixture("random", np.random.default_rng(1))
    b, _ = mixture("random", np.random.default_rng(2))
    assert not np.allclose(a[1:], b[1:]) and (a[1:] >= 0.05).all() and (a[1:] <= 1.0).all()


def test_painted_intensities_and_gamma():
    label = np.zeros((16, 16, 16), dtype=np.uint8)
    label[4:12] = VALUE["csf"]
    means, spreads = np.zeros(256, np.float32), np.zeros(256, np.float32)
    means[VALUE["csf"]], spreads[VALUE["csf"]] = 0.8, 0.05
    image = paint_intensities(label, means, spreads, np.random.default_rng(0))
    assert abs(float(image[label > 0].mean()) - 0.8) < 0.01 and abs(float(image[label > 0].std()) - 0.05) < 0.01
    out = gamma(image, 0.0)
    assert out.min() >= 0.0 and abs(float(np.percentile(out[::4, ::4, ::4], 99.9)) - 1.0) < 1e-5
    darker = gamma(image, np.log(2.0))  # gamma 2 darkens mid-tones
    assert float(darker[label > 0].mean()) < float(out[label > 0].mean())
