"""The pelvis: hips either side above the femurs, the bladder in the midline in front of the
sacrum, and a prostate below the bladder in men only."""

from tests.models.phantom_ct.torso import torso


def test_hips_sit_above_the_femurs_on_their_side():
    for index in range(3):
        t = torso(index)
        mid = t.label.shape[2] / 2
        for side in ("left", "right"):
            hip, femur = t.centre(f"{side} hip"), t.centre(f"{side} femur")
            assert hip[0] > femur[0], (index, side)  # superior
            assert (hip[2] > mid) == (femur[2] > mid) == (side == "left"), (index, side)


def test_the_bladder_lies_in_the_midline_in_front_of_the_sacrum():
    for index in range(3):
        t = torso(index)
        bladder, sacrum = t.centre("bladder"), t.centre("sacrum")
        assert abs(bladder[2] - t.label.shape[2] / 2) < 0.1 * t.label.shape[2], index
        assert bladder[1] < sacrum[1] and bladder[0] < sacrum[0], index  # anterior, lower


def test_a_prostate_below_the_bladder_in_men_only():
    man, woman = torso(0, sex="M"), torso(0, sex="F")
    assert man.centre("prostate")[0] < man.centre("bladder")[0]
    assert not woman.mask("prostate").any() and woman.mask("bladder").any()
