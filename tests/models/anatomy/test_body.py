"""A body outline for masks without one: the convex outline of each slice's labelled tissue, grown
by the margin, fills only unlabelled voxels; a slice of nothing stays empty."""

import numpy as np

from models.anatomy.body import BODY, add_body


def test_the_outline_is_convex_grown_by_the_margin_and_keeps_every_label():
    label = np.zeros((3, 60, 60), dtype=np.uint8)
    label[1, 20:30, 20:25] = 1  # two organs with a gap between them
    label[1, 20:30, 35:40] = 2
    label[2, 30, 30] = 3  # a single voxel: no area to take a hull of
    before = label.copy()
    add_body(label, (5.0, 1.0, 1.0), margin_mm=4.0)
    assert (label[before > 0] == before[before > 0]).all()  # labels untouched
    assert (label[1, 20:30, 25:35] == BODY).all()  # the gap is inside the hull
    assert label[1, 25, 16] == BODY and label[1, 25, 43] == BODY  # 4 mm out on either side
    assert label[1, 25, 14] == 0 and label[1, 14, 25] == 0  # beyond the margin
    assert label[0].sum() == 0  # nothing labelled: nothing added
    assert label[2, 30, 33] == BODY and label[2, 30, 35] == 0  # a point grown by a 4 mm disc


def test_the_margin_is_in_millimetres_per_axis():
    label = np.zeros((1, 40, 40), dtype=np.uint8)
    label[0, 18:22, 18:22] = 1
    add_body(label, (1.0, 2.0, 1.0), margin_mm=6.0)  # y voxels are 2 mm
    body = np.argwhere(label[0] == BODY)
    assert body[:, 0].min() == 18 - 3 and body[:, 1].min() == 18 - 6
