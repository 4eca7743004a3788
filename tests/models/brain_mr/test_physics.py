"""brain_mr with `contrast=physics`: clinical sequences on the tissue table order brain tissues as
their physics says, gadolinium enhances only the tumour, and the presets are untouched."""

from functools import cache

import numpy as np
import pytest
import torch

from models import GeneratorOptions, ParamError, make_spec
from models.brain_mr.template import VALUE
from models.registry import create

CPU = torch.device("cpu")
SMALL = (88, 104, 88)  # the default field of view at 2 mm
# Isotropic 2 mm scans: thick slices blur the ventricles into white matter (judged elsewhere: QC).
LESIONS = {"wmh_rate": 1.0, "tumour_rate": 1.0, "tumour_mm": [24.0, 30.0], "anisotropic": 0.0}
WM = ("left cerebral white matter", "right cerebral white matter")
GM = ("left cortical grey matter", "right cortical grey matter")
CSF = ("left lateral ventricle", "right lateral ventricle")


@cache
def studies(sequence: str, field: str = "1.5", n: int = 2):
    params = {"contrast": "physics", "sequence": sequence, "field_strength_t": field, "resolution_mm": 2.0, **LESIONS}
    g = create("brain_mr", GeneratorOptions(shape=SMALL, params=params))
    return [g.render(make_spec(g, 5, i), CPU) for i in range(n)]


def median(study, *names: str) -> float:
    return float(np.median(study.image[np.isin(study.label, [VALUE[n] for n in names])]))


@pytest.mark.parametrize("field", ["1.5", "3"])
@pytest.mark.parametrize("sequence", ["MPRAGE", "T1w"])
def test_t1_weighted_white_above_grey_above_csf(sequence, field):
    for s in studies(sequence, field):
        assert median(s, *WM) > median(s, *GM) > median(s, *CSF)
        assert s.qc.passed and s.columns["sequence"] == sequence


@pytest.mark.parametrize("field", ["1.5", "3"])
def test_t2_weighted_csf_above_grey_above_white_and_lesions_bright(field):
    for s in studies("T2w", field):
        assert median(s, *CSF) > median(s, *GM) > median(s, *WM)
        assert median(s, "white matter hyperintensity") > median(s, *WM)
        assert median(s, "tumour") > median(s, *GM)


@pytest.mark.parametrize("field", ["1.5", "3"])
def test_flair_darkens_csf_and_keeps_lesions_bright(field):
    for s in studies("FLAIR", field):
        assert median(s, *CSF) < 0.5 * median(s, *WM)
        assert median(s, "white matter hyperintensity") > median(s, *WM)
        assert s.columns["ti_ms"] > 1500


def test_proton_density_has_little_grey_white_contrast():
    for pd, t2 in zip(studies("PDw"), studies("T2w"), strict=True):
        assert abs(np.log(median(pd, *GM) / median(pd, *WM))) < abs(np.log(median(t2, *GM) / median(t2, *WM)))


def test_gadolinium_enhances_only_the_tumour():
    for pre, post in zip(studies("MPRAGE"), studies("MPRAGE_gd"), strict=True):
        assert np.array_equal(pre.label, post.label)
        ratio_pre = median(pre, "tumour") / median(pre, *WM)
        ratio_post = median(post, "tumour") / median(post, *WM)
        assert ratio_post > 1.5 * ratio_pre
        assert median(post, *GM) / median(post, *WM) == pytest.approx(median(pre, *GM) / median(pre, *WM), rel=0.1)


def test_presets_leave_the_acquisition_columns_empty():
    g = create("brain_mr", GeneratorOptions(shape=SMALL, params={"contrast": "T1"}))
    study = g.render(make_spec(g, 0, 0), CPU)
    assert study.columns["sequence"] is None and study.columns["tr_ms"] is None and study.columns["noise"] > 0


def test_sequence_options_need_contrast_physics():
    with pytest.raises(ParamError, match=r"params\.te_ms"):
        create("brain_mr", GeneratorOptions(shape=SMALL, params={"contrast": "T2", "te_ms": 90}))
    with pytest.raises(ParamError, match=r"params\.sequence"):
        create("brain_mr", GeneratorOptions(shape=SMALL, params={"contrast": "physics", "sequence": "STIR"}))


def test_series_of_one_head_share_labels_and_the_tumour_enhances_only_on_gd():
    options = GeneratorOptions(shape=(40, 48, 40), params={"tumour_rate": 1.0, "tumour_mm": [25, 35]}, series=SERIES)
    g = create("brain_mr", options)
    spec = make_spec(g, 5, 0)
    study = g.render(spec, torch.device("cpu"))
    assert study.series == SERIES and study.image.shape == (3, 40, 48, 40) and study.qc.passed
    assert spec.params["contrast"] == "physics" and spec.params["sequence"]["name"] == "MPRAGE"
    white = VALUE["left cerebral white matter"]
    tumour = VALUE["tumour"]
    ratio = [
        float(np.median(study.image[k][study.label == tumour]) / np.median(study.image[k][study.label == white]))
        for k in range(3)
    ]
    assert ratio[2] > 1.3 * ratio[0]  # MPRAGE_gd against MPRAGE: only the tumour takes gadolinium
    assert abs(ratio[1] - ratio[0]) > 0.05  # FLAIR is another contrast of the same head
    with pytest.raises(ParamError, match=r"^generator\.params\.contrast"):
        create("brain_mr", GeneratorOptions(shape=(40, 48, 40), params={"contrast": "T1"}, series=SERIES))


SERIES = ("MPRAGE", "FLAIR", "MPRAGE_gd")
