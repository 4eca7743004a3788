"""Dice, HD95 and where each class went, per class; None where a class is absent."""

import numpy as np
import pytest

from pipeline.evaluate.metrics import dice, mean, scores


def test_dice_and_the_95th_percentile_surface_distance_in_millimetres():
    reference = np.zeros((20, 20, 20), dtype=np.uint8)
    reference[5:15, 5:15, 5:15] = 1
    predicted = np.zeros_like(reference)
    predicted[6:16, 5:15, 5:15] = 1  # one slice off along z, 3 mm apart
    predicted[0, 0, 0] = 2  # a class the reference lacks
    found = scores(predicted, reference, 3, (3.0, 1.0, 1.0))
    assert found["dice"] == [pytest.approx(0.9), None, None]
    assert found["hd95_mm"][0] == pytest.approx(3.0)
    missed = scores(np.zeros_like(reference), reference, 1, (1.0, 1.0, 1.0))
    assert missed == {"dice": [0.0], "hd95_mm": [None], "called": [[1.0, 0.0]]}


def test_each_class_row_says_what_its_voxels_were_called():
    """A confusion row per reference class: the shares called background, itself, each other class."""
    reference = np.zeros((4, 4, 10), dtype=np.uint8)
    reference[..., :5] = 1  # 80 voxels of class 1
    predicted = np.zeros_like(reference)
    predicted[..., :2] = 1  # 32 found
    predicted[..., 2:3] = 2  # 16 called class 2; the other 32 background
    found = scores(predicted, reference, 3, (1.0, 1.0, 1.0))
    assert found["called"] == [[0.4, 0.4, 0.2, 0.0], None, None]
    assert found["dice"] == dice(predicted, reference, 3) == [pytest.approx(0.4 * 80 * 2 / (80 + 32)), None, None]


def test_mean_skips_what_is_undefined():
    assert mean([0.5, None, 1.0, float("nan")]) == 0.75 and mean([None]) is None
