"""Brain extraction: a stripped study is black outside the intracranial volume and unchanged
inside it, on presets and physical sequences alike; its labels still hold the whole head."""

import numpy as np
import pytest
import torch

from models import GeneratorOptions, make_spec
from models.brain_mr.extraction import extract, intracranial
from models.brain_mr.template import VALUE
from models.registry import create

CPU = torch.device("cpu")
SMALL = (88, 104, 88)


def head() -> np.ndarray:
    """Nested shells on a 40^3 grid: brain, CSF, skull, scalp; and an eye (CSF) outside the skull."""
    z, y, x = np.ogrid[:40, :40, :40]
    r = np.sqrt((z - 20) ** 2 + (y - 20) ** 2 + (x - 20) ** 2)
    label = np.zeros((40, 40, 40), np.uint8)
    label[r < 18] = VALUE["scalp"]
    label[r < 15] = VALUE["skull"]
    label[r < 12] = VALUE["csf"]
    label[r < 10] = VALUE["left cerebral white matter"]
    label[2:5, 18:22, 18:22] = VALUE["csf"]  # the eye: fluid in the scalp, not inside the skull
    return label


def test_the_intracranial_volume_is_the_brain_and_its_csf_not_the_eye():
    label = head()
    inside = intracranial(label)
    assert inside[20, 20, 20] and inside[20, 20, 31]  # brain, and the CSF round it
    assert not inside[3, 20, 20]  # the eye, fluid though it is
    assert not inside[20, 20, 34] and not inside[20, 20, 37] and not inside[0, 0, 0]  # skull, scalp, air
    assert inside.sum() == np.isin(label[5:, :, :], [VALUE["csf"], VALUE["left cerebral white matter"]]).sum()


def test_extract_blacks_out_the_rest_of_the_head_in_every_image():
    label = head()
    images = [np.full(label.shape, 700, np.uint16), np.full(label.shape, 90, np.uint16)]
    extract(images, [intracranial(label)] * 2)
    for image, value in zip(images, (700, 90), strict=True):
        assert (image[intracranial(label)] == value).all()
        assert (image[~intracranial(label)] == 0).all()


def render(index: int, rate: float, **params):
    g = create("brain_mr", GeneratorOptions(shape=SMALL, params={"skull_strip_rate": rate, **params}))
    spec = make_spec(g, 0, index)
    return spec, g.render(spec, CPU)


@pytest.mark.parametrize("params", [{"contrast": "T1"}, {"contrast": "physics", "sequence": "MPRAGE"}])
def test_a_stripped_study_is_the_whole_head_study_masked(params):
    spec, stripped = render(2, 1.0, **params)
    whole_spec, whole = render(2, 0.0, **params)
    assert spec.params["skull_stripped"] and not whole_spec.params["skull_stripped"]
    assert stripped.columns["skull_stripped"] and not whole.columns["skull_stripped"]
    assert np.array_equal(stripped.label, whole.label)  # the anatomy is the same head
    inside = intracranial(whole.label)
    assert np.array_equal(stripped.image[inside], whole.image[inside])
    assert (stripped.image[~inside] == 0).all()
    assert whole.image[whole.label == VALUE["scalp"]].mean() > 100  # the scalp was there to remove
    scalp = stripped.measurements.labels["scalp"]
    assert scalp.voxels > 0 and scalp.median == 0  # measured on the image as stored
    # z-score statistics over the labelled voxels the image still shows, not the blacked-out head
    shown = stripped.image[inside & (stripped.label > 0)].astype(np.float64)
    assert stripped.measurements.foreground_mean == pytest.approx(shown.mean(), rel=1e-3)
    assert stripped.measurements.foreground_std == pytest.approx(shown.std(), rel=1e-2)
    assert stripped.measurements.foreground_mean > 1.2 * stripped.image[stripped.label > 0].mean()


def test_the_rate_decides_per_study_and_leaves_other_draws_alone():
    g = create("brain_mr", GeneratorOptions(shape=SMALL))
    drawn = [make_spec(g, 0, i).params for i in range(40)]
    share = np.mean([p["skull_stripped"] for p in drawn])
    assert 0.25 < share < 0.75  # half by default
    never = create("brain_mr", GeneratorOptions(shape=SMALL, params={"skull_strip_rate": 0.0}))
    for i, p in enumerate(drawn[:5]):
        q = make_spec(never, 0, i).params
        assert not q["skull_stripped"]
        assert {k: v for k, v in p.items() if k != "skull_stripped"} == {
            k: v for k, v in q.items() if k != "skull_stripped"
        }


def test_each_misregistered_series_is_stripped_where_its_own_head_is():
    options = GeneratorOptions(
        shape=SMALL, series=("MPRAGE", "T2w"), params={"skull_strip_rate": 1.0, "misregistration_mm": 4.0}
    )
    g = create("brain_mr", options)
    spec = make_spec(g, 0, 1)
    study = g.render(spec, CPU)
    shifts = spec.params["series_shift_mm"]
    assert any(a != b for a, b in zip(*shifts, strict=True))  # the two series sit apart
    blacked = [image == 0 for image in study.image]
    assert not np.array_equal(blacked[0], blacked[1])  # each series' mask moved with it
    inside = intracranial(study.label)
    for k in range(2):
        moved = np.argwhere(~blacked[k]).mean(axis=0) - np.argwhere(inside).mean(axis=0)
        expected = np.asarray(shifts[k]) / np.asarray(spec.params["spacing_mm"])
        assert np.allclose(moved, expected, atol=0.6), (k, moved, expected)
