"""Forming an MR image: the tissues rank as their signals say on each sequence, stored as 12-bit
with the body's top near STORED_TOP, noise at the SNR asked, and the fields shared between series."""

import numpy as np

from models.mr.image import STORED_MAX, STORED_TOP, Acquired, draw_fields, form_series, tissue_signals
from models.mr.sequence import sample_sequence
from models.mr.signal import signal
from models.mr.tissue import INDEX, sample_properties
from tests.models.mr.phantom import SPACING, phantom


def formed(name: str, snr: float = 40.0, seed: int = 0):
    tissue, label = phantom()
    rng = np.random.default_rng(seed)
    seq, props = sample_sequence(name, 1.5, {}, None, rng), sample_properties(1.5, 50.0, rng)
    fields = draw_fields(tissue.shape, SPACING, 0.0, rng)
    return tissue, form_series(tissue, label > 0, seq, props, SPACING, Acquired(SPACING, 0.0, snr), fields, rng)


def median(image: np.ndarray, tissue: np.ndarray, name: str) -> float:
    return float(np.median(image[tissue == INDEX[name]]))


def test_fluid_is_bright_on_t2_and_dark_on_t1():
    tissue, t2 = formed("T2w")
    _, t1 = formed("T1w")
    assert median(t2.image, tissue, "fluid") > median(t2.image, tissue, "liver") > median(t2.image, tissue, "muscle")
    assert median(t1.image, tissue, "liver") > median(t1.image, tissue, "fluid")
    assert median(t1.image, tissue, "fat") > median(t1.image, tissue, "muscle")  # fat is bright on T1


def test_the_image_is_twelve_bit_with_the_body_top_near_stored_top():
    tissue, f = formed("T2w")
    assert f.image.dtype == np.uint16 and int(f.image.max()) <= STORED_MAX
    body = tissue != INDEX["air"]
    assert abs(float(np.percentile(f.image[body], 99.8)) - STORED_TOP) < 0.05 * STORED_TOP
    assert f.coil.shape == tuple(-(-n // 2) for n in tissue.shape)


def test_noise_follows_the_snr_and_the_seed():
    tissue, low = formed("T2w", snr=10.0)
    _, high = formed("T2w", snr=100.0)
    core = np.zeros(tissue.shape, dtype=bool)
    core[12:20, 12:36, 12:20] = True  # inside the liver, away from its edges

    def cv(image):
        return float(image[core].std() / image[core].mean())

    assert cv(low.image) > 3 * cv(high.image)
    assert np.array_equal(formed("T2w", seed=3)[1].image, formed("T2w", seed=3)[1].image)


def test_flowing_blood_loses_signal_on_spin_echo_only():
    props = sample_properties(1.5, 50.0, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    spin, gradient = sample_sequence("T2w", 1.5, {}, None, rng), sample_sequence("T1w_fs", 1.5, {}, None, rng)
    assert tissue_signals(spin, props, 5.0)[INDEX["blood"]] < abs(signal(spin, props)[INDEX["blood"]])
    assert tissue_signals(gradient, props, 5.0)[INDEX["blood"]] == np.float32(signal(gradient, props)[INDEX["blood"]])
