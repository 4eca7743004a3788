"""body_mr: each sequence shows the contrasts its physics implies in the stored images, labels are
exactly the anatomy's, gadolinium phases enhance as they should, and quality control redraws."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from models import GeneratorOptions, ParamError, make_spec
from models.base import RENDER_STREAM, study_rng
from models.mr import qc
from models.mr.tissue import MEASURED
from models.phantom_ct import patient
from models.phantom_ct.tissue import TISSUE_INDEX
from models.registry import create

SHAPE = (48, 72, 72)
CPU = torch.device("cpu")
N = 3


def render(sequence: str, n: int = N, **params):
    """n abdominal studies on `sequence`: (spec, study, CT tissue map) each."""
    options = GeneratorOptions(shape=SHAPE, params={"sequence": sequence, "body_region": "abdomen", **params})
    g = create("body_mr", options)
    out = []
    for i in range(n):
        spec = make_spec(g, 11, i)
        study = g.render(spec, CPU)
        rng = study_rng(spec.seed, RENDER_STREAM, study.qc.redraws)
        label, tissue = patient.draw_anatomy(spec.params, rng, g.label_dict, None, "body_mr")
        out.append((spec, study, label, tissue))
    return out


def median(study, mask) -> float:
    return float(np.median(study.image[mask]))


def organ(study, name: str) -> float:
    return study.measurements.labels[name].median


@pytest.fixture(scope="module")
def batch():
    names = ("T1w", "T2w", "T1w_fs", "T2w_fs", "STIR", "in_phase", "opposed_phase", "PDw")
    # A lean liver (the table's fat fraction): a steatotic one is brighter on echo trains, where
    # fat is (test_the_liver_fat_is_drawn_per_study_and_recorded covers the drawn one).
    return {name: render(name, liver_pdff=MEASURED["liver"].fat) for name in names}


def test_labels_are_exactly_the_anatomy_and_images_uint16(batch):
    for studies in batch.values():
        for _, study, label, _ in studies:
            assert np.array_equal(study.label, label)
            assert study.image.dtype == np.uint16 and study.image.max() <= 4095


def test_t1_weighted_fat_is_brighter_than_liver_and_fluid_darker(batch):
    for _, s, _, tissue in batch["T1w"]:
        fat = median(s, tissue == TISSUE_INDEX["fat"])
        assert fat > organ(s, "liver") > organ(s, "gallbladder")


def test_t2_weighted_fluid_is_brightest_and_spleen_above_liver(batch):
    for _, s, _, _ in batch["T2w"]:
        assert organ(s, "gallbladder") > organ(s, "spleen") > organ(s, "liver")
        assert organ(s, "gallbladder") > max(organ(s, n) for n in ("liver", "spleen", "right kidney", "aorta"))


@pytest.mark.parametrize("suppressed, plain", [("T2w_fs", "T2w"), ("T1w_fs", "in_phase"), ("STIR", "T2w")])
def test_fat_is_dark_when_suppressed(batch, suppressed, plain):
    def fat_over_spleen(name):
        return np.median([median(s, t == TISSUE_INDEX["fat"]) / organ(s, "spleen") for _, s, _, t in batch[name]])

    assert fat_over_spleen(suppressed) < 0.5 * fat_over_spleen(plain)
    for _, s, _, tissue in batch[suppressed]:
        assert median(s, tissue == TISSUE_INDEX["fat"]) < organ(s, "spleen")


def test_opposed_phase_darkens_fatty_marrow_not_muscle(batch):
    """Vertebral marrow is part fat: its water and fat cancel on the opposed-phase echo."""

    def marrow_over_muscle(name):
        ratios = []
        for _, s, _, tissue in batch[name]:
            ratios.append(median(s, tissue == TISSUE_INDEX["cancellous"]) / organ(s, "left autochthon"))
        return np.median(ratios)

    assert marrow_over_muscle("opposed_phase") < 0.6 * marrow_over_muscle("in_phase")


def test_lungs_air_and_bowel_gas_are_dark_on_every_sequence(batch):
    for name, studies in batch.items():
        for _, s, label, tissue in studies:
            organs = [organ(s, n) for n in ("liver", "spleen", "right kidney")]
            gas = tissue == TISSUE_INDEX["gas"]
            if gas.sum() > 50:
                assert median(s, gas) < min(organs), name
            assert median(s, label == 0) < 0.2 * max(organs), name  # the Rician noise floor
    for _, s, _, _ in render("T2w", n=2, body_region="chest"):
        assert organ(s, "right lung lower lobe") < min(organ(s, "heart"), organ(s, "left autochthon"))


def test_gadolinium_enhances_the_aorta_and_a_hypervascular_tumour_washes_out():
    kw = {"lesion_rate": 1.0, "lesion_kinds": ["hepatic_tumor"], "lesion_size_mm": [25, 30], "field_strength_t": 1.5}
    kw["liver_pdff"] = MEASURED["liver"].fat  # a lean liver: a fatty one loses signal to fat saturation
    pre = render("T1w_fs", n=2, **kw)
    arterial = render("T1w_fs_gd", n=2, gd_phase="arterial", **kw)
    venous = render("T1w_fs_gd", n=2, gd_phase="portal_venous", **kw)
    for (_, p, _, _), (_, a, _, _), (_, v, _, _) in zip(pre, arterial, venous, strict=True):
        rel = [organ(s, "aorta") / organ(s, "left autochthon") for s in (p, a, v)]
        assert rel[1] > 1.5 * rel[0] and rel[2] > rel[0], rel
        tumour = [organ(s, "hepatic tumor") / organ(s, "liver") for s in (a, v)]
        assert tumour[0] > 1.0 > tumour[1], tumour
    for spec, study, _, _ in arterial:
        assert spec.params["contrast"] == "arterial" and study.columns["sequence"] == "T1w_fs_gd"


def test_columns_record_the_drawn_acquisition(batch):
    for name, studies in batch.items():
        for spec, study, _, _ in studies:
            seq = spec.params["sequence"]
            c = study.columns
            assert c["sequence"] == name and c["field_strength_t"] == seq["field_t"] in (1.5, 3.0)
            assert (c["tr_ms"], c["te_ms"], c["ti_ms"], c["flip_deg"]) == (
                seq["tr_ms"],
                seq["te_ms"],
                seq["ti_ms"],
                seq["flip_deg"],
            )
            assert (c["ti_ms"] is None) == (name not in ("STIR", "FLAIR")) and 15 <= c["snr"] <= 60


def test_fixed_timings_and_field_are_kept():
    (_, study, _, _), *_ = render("T2w", n=1, tr_ms=4500, te_ms=95, field_strength_t=3)
    assert (study.columns["tr_ms"], study.columns["te_ms"], study.columns["field_strength_t"]) == (4500, 95, 3.0)


def test_a_study_failing_qc_is_redrawn_deterministically(monkeypatch):
    real = qc.check
    calls = []

    def fail_first(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        return result if len(calls) % 2 == 0 else qc.Result(False, ("forced",), result.expected, result.pairs)

    monkeypatch.setattr(qc, "check", fail_first)
    first = render("T2w", n=1)[0][1]
    again = render("T2w", n=1)[0][1]
    assert first.qc.redraws == again.qc.redraws == 1 and first.qc.passed
    assert np.array_equal(first.image, again.image)


def test_qc_ranks_from_the_drawn_physics():
    (_, study, _, _), *_ = render("T2w", n=1)
    stats = study.measurements.labels
    big = sorted((n for n in stats if stats[n].voxels >= qc.MIN_VOXELS), key=lambda n: stats[n].median)[:3]
    assert len(big) == 3
    as_measured = {n: 0.1 * 2.0**k for k, n in enumerate(big)}  # each clearly brighter than the last
    result = qc.check(study.image, stats, as_measured, 0.001)
    assert result.passed and result.pairs == 3
    reversed_ = {n: 0.1 * 2.0**-k for k, n in enumerate(big)}
    result = qc.check(study.image, stats, reversed_, 0.001)
    assert not result.passed and len(result.failures) == 3 and all(big[0] in f for f in result.failures[1:])


def test_a_longer_echo_darkens_muscle_against_fluid_in_the_image():
    """Same patients (anatomy is drawn before the acquisition), TE 60 against TE 140 ms."""
    short = render("T2w", n=2, te_ms=60, tr_ms=4000, field_strength_t=1.5, snr=60)
    long = render("T2w", n=2, te_ms=140, tr_ms=4000, field_strength_t=1.5, snr=60)
    for (_, a, _, _), (_, b, _, _) in zip(short, long, strict=True):
        assert np.array_equal(a.label, b.label)
        before = organ(a, "left autochthon") / organ(a, "gallbladder")
        after = organ(b, "left autochthon") / organ(b, "gallbladder")
        assert after < 0.6 * before, (before, after)


def test_three_tesla_lowers_liver_against_muscle_on_t1_as_the_table_says():
    """The table's liver T1 grows 38 % from 1.5 to 3 T, muscle's 5 %: same patients, same timings."""
    fixed = {"tr_ms": 500, "te_ms": 10, "snr": 60, "bias": 0.0}
    low = render("T1w", n=2, field_strength_t=1.5, **fixed)
    high = render("T1w", n=2, field_strength_t=3, **fixed)
    for (_, a, _, _), (_, b, _, _) in zip(low, high, strict=True):
        assert organ(b, "liver") / organ(b, "left autochthon") < organ(a, "liver") / organ(a, "left autochthon")


def test_dixon_fat_shows_fat_and_a_fatty_liver_and_water_shows_the_rest():
    """The fat image is each voxel's fat signal: subcutaneous fat bright, lean organs at the noise
    floor, and a steatotic liver (PDFF 0.2) between them; the water image takes fat down instead."""
    fixed = {"field_strength_t": 1.5, "snr": 60, "bias": 0.0}
    fatty = render("dixon_fat", n=2, liver_pdff=0.2, **fixed)
    lean = render("dixon_fat", n=2, liver_pdff=0.0, **fixed)
    water = render("dixon_water", n=2, liver_pdff=0.0, **fixed)
    both = render("in_phase", n=2, liver_pdff=0.0, **fixed)  # the same patients (anatomy comes first)
    for (spec, f, _, tissue), (_, thin, _, _), (_, w, _, _), (_, b, _, _) in zip(fatty, lean, water, both, strict=True):
        fat = tissue == TISSUE_INDEX["fat"]
        assert spec.params["liver_pdff"] == f.columns["liver_pdff"] == 0.2
        assert median(f, fat) > 5 * organ(f, "spleen")
        assert organ(f, "liver") > 3 * organ(f, "spleen") and organ(f, "liver") < 0.5 * median(f, fat)
        assert organ(thin, "liver") < 1.5 * organ(thin, "spleen")  # a lean liver has next to no fat image
        kept = {n: organ(w, n) / organ(b, n) for n in ("liver", "spleen")}
        assert median(w, fat) / median(b, fat) < 0.5 * min(kept.values()), kept


def test_the_liver_fat_is_drawn_per_study_and_recorded():
    studies = render("in_phase", n=3)
    drawn = [spec.params["liver_pdff"] for spec, _, _, _ in studies]
    assert all(0.0 < v <= 0.5 for v in drawn) and len(set(drawn)) == 3
    assert [study.columns["liver_pdff"] for _, study, _, _ in studies] == drawn
    with pytest.raises(ParamError, match=r"^generator\.params\.liver_pdff:"):
        create("body_mr", GeneratorOptions(shape=SHAPE, params={"liver_pdff": 0.9}))


# --- several series: sequences of one patient -----------------------------------------------

SERIES = ("T1w_fs", "T2w", "opposed_phase", "T1w_fs_gd")


def test_sequences_of_one_study_share_the_patient_and_only_gd_series_enhance():
    params = {
        "body_region": "abdomen",
        "lesion_rate": 1.0,
        "lesion_kinds": ["hepatic_tumor"],
        "lesion_size_mm": [40, 50],
    }
    g = create("body_mr", GeneratorOptions(shape=SHAPE, params=params, series=SERIES))
    for i in range(2):
        spec = make_spec(g, 11, i)
        study = g.render(spec, CPU)
        assert study.series == SERIES and study.image.shape == (4, *SHAPE) and study.qc.passed
        each = spec.params["series_acquisitions"]
        assert [a["sequence"]["name"] for a in each] == list(SERIES)
        assert len({a["sequence"]["field_t"] for a in each}) == 1  # one scanner session
        assert [a["sequence"]["gd_minutes"] is not None for a in each] == [False, False, False, True]
        assert spec.params["sequence"] == each[0]["sequence"] and spec.params["contrast"] == "non_contrast"
        rng = study_rng(spec.seed, RENDER_STREAM, study.qc.redraws)
        label, _ = patient.draw_anatomy(spec.params, rng, g.label_dict, None, "body_mr")
        assert np.array_equal(study.label, label)  # one label map, exactly the anatomy's
        m = [{n: s.median for n, s in ms.labels.items() if s.voxels >= 20} for ms in study.series_measurements]
        before, after = m[0], m[3]  # the same fat-suppressed T1 sequence, before and after gadolinium
        muscle = "left autochthon"
        assert after["aorta"] / after[muscle] > 1.5 * before["aorta"] / before[muscle]
        if "hepatic tumor" in before:
            assert after["hepatic tumor"] / after[muscle] > 1.2 * before["hepatic tumor"] / before[muscle]
        assert m[1]["aorta"] < m[1]["liver"]  # T2w: a flow void (blood leaves the slice between the pulses)


@pytest.mark.parametrize(
    ("series", "params", "field"),
    [
        (("T1w", "FLAIR"), {}, "series[1]"),
        (("T1w",), {"sequence": "T2w"}, "params.sequence"),
        (("T1w", "T2w"), {"tr_ms": 500}, "params.tr_ms"),
    ],
)
def test_series_options_are_checked_naming_the_field(series, params, field):
    with pytest.raises(ParamError, match=rf"^generator\.{re.escape(field)}:"):
        create("body_mr", GeneratorOptions(shape=SHAPE, params=params, series=series))
