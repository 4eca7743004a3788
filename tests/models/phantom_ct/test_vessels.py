"""The great vessels: the aorta left of the inferior vena cava, both in front of the spine; the
aorta divides into the iliac arteries below the kidneys, each iliac vessel on its own side."""

from tests.models.phantom_ct.torso import torso


def test_the_aorta_runs_left_of_the_cava_in_front_of_the_spine():
    for index in range(3):
        t = torso(index)
        aorta, cava, spine = t.centre("aorta"), t.centre("inferior vena cava"), t.centre("vertebrae L2")
        assert aorta[2] > cava[2], index  # x grows to the patient's left
        assert aorta[1] < spine[1] and cava[1] < spine[1], index  # anterior


def test_the_iliac_vessels_branch_below_the_kidneys_on_their_sides():
    for index in range(3):
        t = torso(index)
        kidneys = min(t.centre("left kidney")[0], t.centre("right kidney")[0])
        mid = t.label.shape[2] / 2
        for side in ("left", "right"):
            for vessel in (f"{side} iliac artery", f"{side} iliac vena"):
                centre = t.centre(vessel)
                assert centre[0] < kidneys and (centre[2] > mid) == (side == "left"), (index, vessel)
