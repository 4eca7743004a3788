"""The labelled muscles: erector spinae behind the spine either side, iliopsoas beside the lumbar
spine in front of them, gluteus maximus lowest and hindmost; all of them muscle tissue."""

from tests.models.phantom_ct.torso import torso


def test_each_muscle_lies_where_it_belongs_on_its_side():
    for index in range(3):
        t = torso(index)
        mid, spine = t.label.shape[2] / 2, t.centre("vertebrae L3")
        for side in ("left", "right"):
            back, psoas, glute = (t.centre(f"{side} {m}") for m in ("autochthon", "iliopsoas", "gluteus maximus"))
            for centre in (back, psoas, glute):
                assert (centre[2] > mid) == (side == "left"), (index, side)
            assert back[1] > spine[1] > psoas[1] - 5, (index, side)  # erector spinae posterior to the spine
            assert glute[0] < psoas[0] < back[0] + 40, (index, side)
            assert glute[1] > psoas[1], (index, side)


def test_the_muscles_are_muscle_tissue():
    t = torso(1)
    muscle = t.tissue_mask("muscle")
    for name in ("left autochthon", "right iliopsoas", "left gluteus maximus"):
        assert (t.mask(name) & muscle).sum() == t.mask(name).sum(), name
