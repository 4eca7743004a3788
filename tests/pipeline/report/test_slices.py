"""Orthogonal slices through the centre, superior up, with aspect in millimetres; CT in a soft-tissue
window; overlay colours from the dictionary with body and background transparent."""

import numpy as np

from models.labels import maisi_ct_labels
from pipeline.report.slices import OVERLAY_ALPHA, SOFT_TISSUE, overlay_colours, views, window


def test_three_views_through_the_centre_superior_up():
    image = np.arange(4 * 6 * 8, dtype=np.int16).reshape(4, 6, 8)
    label = (image % 3).astype(np.uint8)
    axial, coronal, sagittal = views(image, label, (5.0, 1.0, 2.0))
    assert (axial.name, coronal.name, sagittal.name) == ("axial", "coronal", "sagittal")
    assert np.array_equal(axial.image, image[2]) and axial.aspect == 0.5
    assert np.array_equal(coronal.image[0], image[-1, 3]) and coronal.aspect == 2.5  # top row: the highest slice
    assert np.array_equal(sagittal.label[-1], label[0, :, 4]) and sagittal.aspect == 5.0


def test_ct_is_shown_in_a_soft_tissue_window_and_mr_by_percentiles():
    assert window(np.zeros((2, 2, 2)), "CT") == SOFT_TISSUE == (-160.0, 240.0)  # W 400, L 40
    mr = np.linspace(0, 1000, 1000).reshape(10, 10, 10)
    low, high = window(mr, "MR")
    assert abs(low - 10) < 1 and abs(high - 990) < 1
    flat_low, flat_high = window(np.full((2, 2, 2), 7.0), "MR")
    assert flat_high > flat_low == 7.0


def test_overlay_colours_leave_body_and_background_transparent():
    labels = maisi_ct_labels()
    colours = overlay_colours(labels, 200)
    assert colours.shape == (201, 4) and colours[0, 3] == 0 and colours[labels.value("body"), 3] == 0
    liver = labels.value("liver")
    expected = np.array(next(lb.color for lb in labels if lb.name == "liver")) / 255.0
    assert np.allclose(colours[liver, :3], expected[:3]) and np.isclose(colours[liver, 3], expected[3] * OVERLAY_ALPHA)
    assert overlay_colours(labels, 2).shape == (3, 4)  # only the values present
