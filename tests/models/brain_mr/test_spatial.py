"""The spatial transform: an identity warp lays the template's head on the grid, scaling keeps the
brain within +-20 % of adult volume, a flip swaps the hemispheres' labels, and every output voxel
holds one template label."""

import dataclasses

import numpy as np

from models.brain_mr.spatial import NATIVE_SCALE, Warp, sample_warp, warp_labels
from models.brain_mr.template import LABELS, MIRROR, VALUE, template

SHAPE, SPACING = (44, 52, 44), (4.0, 4.0, 4.0)
IDENTITY = Warp((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, False)


def test_sampled_scalings_keep_the_brain_adult_sized():
    rng = np.random.default_rng(0)
    for _ in range(200):
        warp = sample_warp(rng, rotation=15.0, scaling=0.3, shear=0.02, deformation=3.0, flip_rate=0.5)
        assert 0.8 - 1e-9 <= float(np.prod(warp.scale)) <= 1.25 + 1e-9
        assert all(abs(r) <= 15.0 for r in warp.rotation_deg) and 0.0 <= warp.deformation_mm <= 3.0
    assert np.allclose(IDENTITY.matrix(), np.eye(3) / NATIVE_SCALE)


def test_an_identity_warp_lays_the_head_on_the_grid_with_the_left_on_the_left():
    labels = warp_labels(template(), IDENTITY, SHAPE, SPACING, np.random.default_rng(0))
    assert labels.shape == SHAPE and labels.dtype == np.uint8
    assert set(np.unique(labels).tolist()) <= {0, *(lb.value for lb in LABELS)}
    left = np.argwhere(labels == VALUE["left cerebral white matter"])[:, 2].mean()
    right = np.argwhere(labels == VALUE["right cerebral white matter"])[:, 2].mean()
    assert left > right  # x grows to the patient's left (LPS)
    assert labels[0].sum() == 0 or (labels[0] > 0).mean() < 0.5  # the grid frames the head


def test_a_flip_mirrors_the_head_and_swaps_left_and_right_labels():
    plain = warp_labels(template(), IDENTITY, SHAPE, SPACING, np.random.default_rng(0))
    flipped_warp = dataclasses.replace(IDENTITY, flip=True)
    flipped = warp_labels(template(), flipped_warp, SHAPE, SPACING, np.random.default_rng(0))
    for left, right in list(MIRROR.items())[:3]:
        assert abs(int((plain == left).sum()) - int((flipped == right).sum())) <= 0.1 * (plain == left).sum()
    # The mirrored head with its sides renamed: a left label stays on the patient's left, where the
    # mirror image of the right hemisphere now lies.
    left, right = VALUE["left cerebral white matter"], VALUE["right cerebral white matter"]
    flipped_left = np.argwhere(flipped == left)[:, 2].mean()
    assert flipped_left > SHAPE[2] / 2
    assert abs(flipped_left - (SHAPE[2] - 1 - np.argwhere(plain == right)[:, 2].mean())) < 2.0


def test_a_deformation_moves_labels_but_keeps_every_voxel_one_label():
    plain = warp_labels(template(), IDENTITY, SHAPE, SPACING, np.random.default_rng(0))
    bent = Warp((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 4.0, False)
    deformed = warp_labels(template(), bent, SHAPE, SPACING, np.random.default_rng(0))
    changed = float((deformed != plain).mean())
    assert 0.01 < changed < 0.3 and set(np.unique(deformed).tolist()) <= {0, *(lb.value for lb in LABELS)}
