"""phantom_ct's studies of several series: the contrast phases of one patient (`generator.series`)."""

import re
from functools import cache

import numpy as np
import pytest
import torch
from scipy import ndimage

from models import GeneratorOptions, ParamError, make_spec
from models.labels import maisi_ct_labels
from models.phantom_ct.tissue import HCC_WASHOUT
from models.registry import create
from tests.models.phantom_ct.test_generator import generator, rendered

CPU = torch.device("cpu")
VALUE = {lb.name: lb.value for lb in maisi_ct_labels()}

PHASES4 = ("non_contrast", "arterial", "portal_venous", "delayed")
TUMOUR = {"body_region": "abdomen", "lesion_rate": 1.0, "lesion_kinds": ["hepatic_tumor"], "lesion_size_mm": [35, 45]}


def phases(index: int, series=PHASES4, **params):
    g = create("phantom_ct", GeneratorOptions(shape=(48, 64, 64), params={**TUMOUR, **params}, series=series))
    spec = make_spec(g, 0, index)
    return g, spec, g.render(spec, CPU)


@cache
def four_phase(index: int):
    return phases(index)


def medians(study, k: int) -> dict[str, float]:
    return {name: s.median for name, s in study.series_measurements[k].labels.items() if s.voxels >= 20}


@pytest.mark.parametrize("index", [0, 1, 2])
def test_phases_share_one_anatomy_and_differ_only_where_contrast_reaches(index):
    _, spec, study = four_phase(index)
    assert study.series == PHASES4 and study.image.shape == (4, 48, 64, 64) and study.label.shape == (48, 64, 64)
    assert spec.params["contrast"] == "non_contrast" and spec.params["series"] == list(PHASES4)
    m = [medians(study, k) for k in range(4)]
    unenhanced, arterial, portal, delayed = m
    assert arterial["aorta"] > portal["aorta"] > delayed["aorta"] > unenhanced["aorta"] + 40
    assert portal["liver"] > delayed["liver"] > unenhanced["liver"] + 15
    assert arterial["spleen"] > unenhanced["spleen"] + 30
    # Fat and bone take no contrast: the same HU in every phase (noise apart). The body label's
    # fat (below -40 HU; its muscle, which enhances a little, is far above) is the same share of
    # the body and the same distribution in every phase.
    body = ndimage.binary_erosion(study.label == VALUE["body"], iterations=2)
    for k in (1, 2, 3):
        for name, within in (("body", 3), ("vertebrae L2", 8)):  # bone: textured, its median noisier
            if name in unenhanced:
                assert abs(m[k][name] - unenhanced[name]) <= within, (name, PHASES4[k])
        a, b = study.image[0][body].astype(float), study.image[k][body].astype(float)
        assert abs(np.mean(a < -40) - np.mean(b < -40)) < 0.02
        assert np.allclose(np.percentile(a[a < -40], [10, 50, 90]), np.percentile(b[b < -40], [10, 50, 90]), atol=3)
        assert not np.array_equal(study.image[0], study.image[k])  # noise is drawn per phase


@pytest.mark.parametrize("index", [0, 1, 2])
def test_the_hepatic_tumour_washes_in_then_out(index):
    _, _, study = four_phase(index)
    # Away from the tumour's edge, where partial volume mixes it with the liver round it.
    cores = {name: ndimage.binary_erosion(study.label == VALUE[name]) for name in ("liver", "hepatic tumor")}
    if cores["hepatic tumor"].sum() < 5:
        pytest.skip("tumour too small at this grid")
    m = [{name: float(np.median(study.image[k][core])) for name, core in cores.items()} for k in range(4)]
    _, arterial, portal, delayed = m
    assert arterial["hepatic tumor"] > arterial["liver"] + 10  # hypervascular: wash-in
    assert portal["hepatic tumor"] < portal["liver"]  # wash-out
    # delayed: the liver >= HCC_WASHOUT[0] x the tumour, within three standard errors of the
    # tumour core's median (noise and texture)
    tumour = study.image[3][cores["hepatic tumor"]].astype(float)
    error = 1.25 * tumour.std() / np.sqrt(tumour.size)
    assert delayed["hepatic tumor"] < delayed["liver"] / HCC_WASHOUT[0] + 3 * error
    assert delayed["hepatic tumor"] < delayed["liver"]


def test_quality_control_runs_on_every_phase():
    _, _, study = four_phase(0)
    assert study.qc.passed and len(study.series_measurements) == 4
    narrow = create(
        "phantom_ct", GeneratorOptions(shape=(48, 64, 64), params={**TUMOUR, "qc_tolerance_hu": -40}, series=PHASES4)
    )
    failed = narrow.render(make_spec(narrow, 0, 0), CPU)
    assert not failed.qc.passed and failed.qc.redraws == 3
    assert all(f.split(":", 1)[0] in PHASES4 for f in failed.qc.failures)


def test_misregistration_moves_each_later_phase_and_leaves_the_labels_on_the_first():
    g, spec, still = phases(1, series=("non_contrast", "portal_venous"))
    moved_g = create(
        "phantom_ct",
        GeneratorOptions(shape=(48, 64, 64), params={**TUMOUR, "misregistration_mm": 4.0}, series=g.series),
    )
    moved_spec = make_spec(moved_g, 0, 1)
    first, second = moved_spec.params["series_shift_mm"]
    assert first == [0.0, 0.0, 0.0] and 0 < np.linalg.norm(second) <= 4.0
    unmoved = {k: v for k, v in spec.params.items() if k != "series_shift_mm"}
    assert {k: v for k, v in moved_spec.params.items() if k != "series_shift_mm"} == unmoved
    moved = moved_g.render(moved_spec, CPU)
    assert np.array_equal(moved.label, still.label) and np.array_equal(moved.image[0], still.image[0])
    voxels = np.array(second) / np.array(spec.params["spacing_mm"])
    expected = ndimage.shift(still.image[1].astype(np.float32), voxels, order=1, mode="nearest")
    assert np.array_equal(moved.image[1], np.clip(np.rint(expected), -1024, 3071).astype(np.int16))


def test_delayed_is_a_phase_of_its_own_but_not_drawn_unless_asked():
    g = generator((32, 48, 48))
    drawn = {make_spec(g, 0, i).params["contrast"] for i in range(40)}
    assert drawn == {"non_contrast", "arterial", "portal_venous"}
    spec, study = rendered(0, (48, 64, 64), body_region="abdomen", contrast="delayed")
    assert spec.params["contrast"] == "delayed" and study.qc.passed


@pytest.mark.parametrize(
    ("series", "params", "field"),
    [
        (("arterial", "venous"), {}, "series[1]"),
        (("arterial", "arterial"), {}, "series"),
        (("arterial",), {"contrast": "arterial"}, "params.contrast"),
        (None, {"misregistration_mm": 1.0}, "params.misregistration_mm"),
        (("arterial",), {"misregistration_mm": 20}, "params.misregistration_mm"),
    ],
)
def test_series_options_are_checked_naming_the_field(series, params, field):
    with pytest.raises(ParamError, match=rf"^generator\.{re.escape(field)}:"):
        create("phantom_ct", GeneratorOptions(shape=(32, 48, 48), params=params, series=series))
