"""The scan: magnitude noise is Rician, a thick-slice scan blurs along its slices only, the coil
field is smooth and centred on one, and an anisotropic scan is thick along one axis."""

import numpy as np

from models.mr.acquisition import coil_field, resample, rician, rician_fast, sample_acquisition, scan


def test_noise_on_an_empty_image_has_the_rayleigh_mean():
    """|complex Gaussian of sigma| has mean sigma * sqrt(pi / 2) (the noise floor of air)."""
    empty = np.zeros((32, 32, 32), dtype=np.float32)
    for noisy in (rician(empty, 2.0, np.random.default_rng(0)), rician_fast(empty, 2.0, np.random.default_rng(0))):
        assert abs(float(noisy.mean()) - 2.0 * np.sqrt(np.pi / 2)) < 0.03
    bright = np.full((32, 32, 32), 100.0, dtype=np.float32)
    assert abs(float(rician(bright, 2.0, np.random.default_rng(0)).std()) - 2.0) < 0.05  # Gaussian when bright


def test_a_thick_slice_scan_blurs_along_its_slices_only():
    image = np.zeros((40, 40, 40), dtype=np.float32)
    image[20, :, :] = 1.0  # one bright slice
    image[:, :, 20] += 1.0  # and one bright sagittal plane
    seen = resample(image, (1.0, 1.0, 1.0), (5.0, 1.0, 1.0))
    assert seen.shape == image.shape
    assert seen[20, 5, 5] < 0.5 and seen[22, 5, 5] > 0.05  # smeared along z
    assert seen[5, 5, 20] > 0.9 and seen[5, 5, 22] < 0.05  # still sharp across x
    assert resample(image, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)) is image
    noisy = scan(image, (1.0, 1.0, 1.0), (5.0, 1.0, 1.0), 0.01, np.random.default_rng(0))
    assert noisy.shape == image.shape and noisy[20, 5, 5] < 0.5


def test_the_coil_field_is_smooth_and_around_one():
    field = coil_field((32, 32, 32), 0.2, np.random.default_rng(0))
    assert field.min() > 0 and 0.7 < float(np.median(field)) < 1.4
    assert float(np.abs(np.diff(field, axis=0)).max()) < 0.1  # no edges


def test_an_anisotropic_scan_is_thick_along_one_axis():
    rng = np.random.default_rng(0)
    thick = sample_acquisition(rng, 1.0, 6.0, anisotropic=1.0, noise=0.02)
    assert sorted(thick.resolution_mm)[-1] == 6.0 and all(0.9 <= r <= 1.3 for r in sorted(thick.resolution_mm)[:2])
    iso = sample_acquisition(rng, 1.2, 6.0, anisotropic=0.0, noise=0.02)
    assert iso.resolution_mm == (1.2, 1.2, 1.2) and iso.noise == 0.02
