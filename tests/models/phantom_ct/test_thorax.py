"""The chest as anatomy has it: two lobes on the left and three on the right, all within the
lungs; the heart between the lungs and above the liver; the oesophagus behind the heart and the
trachea above the heart."""

from tests.models.phantom_ct.torso import torso


def test_the_left_lung_has_two_lobes_and_the_right_three():
    for index in range(3):
        t = torso(index)
        present = {lb.name for lb in t.labels if "lung" in lb.name and "lobe" in lb.name and t.mask(lb.name).any()}
        assert present == {
            "left lung upper lobe",
            "left lung lower lobe",
            "right lung upper lobe",
            "right lung middle lobe",
            "right lung lower lobe",
        }, index
        for name in present:
            side = t.centre(name)[2]
            assert (side > t.label.shape[2] / 2) == name.startswith("left"), (index, name)  # x grows to the left
        lung = t.tissue_mask("lung")
        for name in present:
            assert (t.mask(name) & ~lung).sum() <= 0.01 * t.mask(name).sum(), (index, name)


def test_the_heart_sits_between_the_lungs_above_the_liver():
    for index in range(3):
        t = torso(index)
        heart = t.centre("heart")
        left, right = t.centre("left lung upper lobe"), t.centre("right lung upper lobe")
        assert right[2] < heart[2] < left[2] + 2, index
        assert heart[0] > t.centre("liver")[0], index  # superior
        assert t.centre("esophagus")[1] > heart[1], index  # posterior
        assert t.centre("trachea")[0] > heart[0], index
