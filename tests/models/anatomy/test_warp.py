"""Smooth displacement fields: their size follows the standard deviation asked, they are smooth,
the separable upsampling equals the trilinear one, and the same stream gives the same field."""

import numpy as np

from models.anatomy.warp import displacement, displacement_zyx, separable_zyx

SHAPE, SPACING = (24, 32, 40), (2.0, 2.0, 2.0)


def test_the_field_is_smooth_and_scales_with_its_standard_deviation():
    small = displacement_zyx(SHAPE, SPACING, 1.0, np.random.default_rng(0))
    large = displacement_zyx(SHAPE, SPACING, 4.0, np.random.default_rng(0))
    assert small.shape == (3, *SHAPE) and small.dtype == np.float32
    assert 3.0 < float(np.abs(large).mean() / np.abs(small).mean()) < 5.0
    # No folding: along each axis, a voxel's displacement changes by less than its 2 mm width.
    for k in range(3):
        assert float(np.diff(large[k], axis=k).min()) > -SPACING[k], k
    assert np.array_equal(small, displacement_zyx(SHAPE, SPACING, 1.0, np.random.default_rng(0)))


def test_the_separable_upsampling_is_the_same_field():
    a = displacement_zyx(SHAPE, SPACING, 3.0, np.random.default_rng(5))
    b = separable_zyx(SHAPE, SPACING, 3.0, np.random.default_rng(5))
    assert np.allclose(a, b, atol=1e-4)


def test_the_ras_field_is_the_lps_one_with_x_and_y_negated():
    zyx = displacement_zyx(SHAPE, SPACING, 2.0, np.random.default_rng(1))
    ras = displacement(SHAPE, SPACING, 2.0, np.random.default_rng(1))
    assert ras.shape == (*SHAPE, 3)
    assert np.array_equal(ras[..., 0], -zyx[2]) and np.array_equal(ras[..., 1], -zyx[1])
    assert np.array_equal(ras[..., 2], zyx[0])
