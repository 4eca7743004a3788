"""Smooth random fields: unit variance, correlated over the length asked, the same for the same
seed, and a coarse field that upsamples to the shape asked."""

import numpy as np

from models.phantom_ct.fields import coarse_field, field_on, smooth_field


def correlation(field: np.ndarray, lag: int, axis: int) -> float:
    a = np.moveaxis(field, axis, 0)
    return float(np.corrcoef(a[:-lag].ravel(), a[lag:].ravel())[0, 1])


def test_a_smooth_field_has_unit_variance_and_its_correlation_length():
    field = smooth_field((32, 32, 32), (4.0, 1.0, 1.0), np.random.default_rng(0))
    assert field.dtype == np.float32 and abs(float(field.std()) - 1.0) < 1e-4
    assert correlation(field, 2, axis=0) > 0.75 > correlation(field, 2, axis=2)  # longer along z
    assert np.array_equal(field, smooth_field((32, 32, 32), (4.0, 1.0, 1.0), np.random.default_rng(0)))


def test_a_coarse_field_upsamples_to_the_shape_and_stays_smooth():
    rng = np.random.default_rng(1)
    field = coarse_field((40, 30, 20), 6.0, rng)
    assert field.shape == (40, 30, 20) and field.dtype == np.float32
    assert 0.5 < float(field.std()) <= 1.05
    assert correlation(field, 3, axis=1) > 0.6
    fine = coarse_field((10, 10, 10), (0.4, 0.4, 0.4), np.random.default_rng(1))  # step 1: no upsampling
    assert fine.shape == (10, 10, 10) and abs(float(fine.std()) - 1.0) < 1e-4


def test_a_field_on_coordinates_is_fixed_by_its_seed():
    x = np.arange(0, 40, 2.0)[None, None, :]
    y = np.arange(0, 30, 2.0)[None, :, None]
    z = np.arange(0, 20, 4.0)[:, None, None]
    a, b, c = field_on(x, y, z, 10.0, seed=5), field_on(x, y, z, 10.0, seed=5), field_on(x, y, z, 10.0, seed=6)
    assert a.shape == (5, 15, 20) and np.array_equal(a, b) and not np.array_equal(a, c)
