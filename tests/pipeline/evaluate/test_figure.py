"""The overlay figure: the scan's most labelled slice, its reference and each prediction with its
mean Dice, one panel each, written as a PNG named after the scan."""

import numpy as np
from PIL import Image

from pipeline.evaluate.figure import overlay
from pipeline.evaluate.volumes import Volume


def test_one_panel_per_prediction_on_the_most_labelled_slice(tmp_path):
    label = np.zeros((6, 40, 50), dtype=np.uint8)
    label[4, 10:30, 10:40] = 1  # slice 4 holds the most labelled voxels
    label[1, 5:8, 5:8] = 2
    scan = Volume("ct_a", np.random.default_rng(0).random((6, 40, 50), dtype=np.float32), label, (3.0, 1.0, 1.0))
    predictions = {"phantom_ct": label.copy(), "real": np.zeros_like(label)}
    path = overlay(scan, predictions, ["liver", "spleen"], {"phantom_ct": 0.5, "real": None}, tmp_path)
    assert path == tmp_path / "overlay_ct_a.png"
    width, height = Image.open(path).size
    assert width > 3 * height  # four panels side by side: scan, reference, two predictions
    (tmp_path / "one").mkdir()
    one = overlay(scan, {"phantom_ct": label}, ["liver", "spleen"], {"phantom_ct": 0.5}, tmp_path / "one")
    assert Image.open(one).size[0] < width
