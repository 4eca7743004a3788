"""Clinical sequences: timings drawn within each protocol's range, field-dependent echo times
computed from the fat-water shift, fixed timings the sequence cannot run with refused, and one
gadolinium phase per study across its series."""

import numpy as np
import pytest

from models.errors import ParamError
from models.mr.sequence import (
    COLUMNS,
    PROTOCOLS,
    Sequence,
    check_timings,
    columns,
    draw_series,
    names,
    params,
    sample_sequence,
)
from models.options import parse_params


def test_draws_stay_within_each_protocols_clinical_range():
    rng = np.random.default_rng(0)
    for name, protocol in PROTOCOLS.items():
        for field in (1.5, 3.0):
            seq = sample_sequence(name, field, {}, None, rng)
            assert protocol.tr[0] <= seq.tr_ms <= protocol.tr[1], name
            assert protocol.flip[0] <= seq.flip_deg <= protocol.flip[1], name
            assert (seq.ti_ms is None) == (protocol.nulls is None and protocol.ti is None), name
            assert Sequence.from_json(seq.to_json()) == seq
    with pytest.raises(ParamError, match=r"^generator\.params\.field_strength_t: must be one of"):
        sample_sequence("T2w", 7.0, {}, None, rng)


def test_in_and_opposed_phase_echo_times_follow_the_fat_water_shift():
    """One fat-water phase cycle is 1 / (3.4 ppm x 42.577 MHz/T x B0): 4.6 ms at 1.5 T."""
    rng = np.random.default_rng(0)
    for field, (opposed, in_phase) in ((1.5, (2.30, 4.60)), (3.0, (1.15, 2.30))):
        assert sample_sequence("in_phase", field, {}, None, rng).te_ms == pytest.approx(in_phase, abs=0.02)
        assert sample_sequence("opposed_phase", field, {}, None, rng).te_ms == pytest.approx(opposed, abs=0.02)


def test_a_fixed_flip_angle_is_the_gradient_echo_excitation_and_spin_echo_keeps_90():
    rng = np.random.default_rng(0)
    assert sample_sequence("T2w", 1.5, {"flip_deg": 12.0}, None, rng).flip_deg == 90.0
    assert sample_sequence("T1w_fs", 1.5, {"flip_deg": 12.0}, None, rng).flip_deg == 12.0
    assert sample_sequence("MPRAGE", 3.0, {"flip_deg": 8.0}, None, rng).flip_deg == 8.0


def test_fixing_a_timing_keeps_every_other_draw():
    a = sample_sequence("T1w", 1.5, {}, None, np.random.default_rng(4))
    b = sample_sequence("T1w", 1.5, {"tr_ms": 500.0}, None, np.random.default_rng(4))
    assert b.tr_ms == 500.0 and (a.te_ms, a.flip_deg) == (b.te_ms, b.flip_deg)


def test_timings_a_sequence_cannot_run_with_are_refused_by_name():
    declared = params(("T1w", "T2w", "FLAIR"), ("T2w",))
    check_timings(parse_params(declared, {"sequence": "T2w"}))
    with pytest.raises(ParamError, match=r"^generator\.params\.te_ms: T2w needs TE < TR"):
        check_timings(parse_params(declared, {"sequence": "T2w", "tr_ms": 400.0, "te_ms": 450.0}))
    with pytest.raises(ParamError, match=r"^generator\.params\.tr_ms: T2w needs TE < TR"):
        check_timings(parse_params(declared, {"sequence": "T2w", "tr_ms": 50.0}))
    with pytest.raises(ParamError, match=r"^generator\.params\.ti_ms: FLAIR needs TI < TR"):
        check_timings(parse_params(declared, {"sequence": "FLAIR", "ti_ms": 4000.0, "tr_ms": 3000.0}))


def test_enhanced_variants_and_catalog_columns():
    assert names(("T1w", "T2w", "MPRAGE")) == ("T1w", "T2w", "MPRAGE", "T1w_gd", "MPRAGE_gd")
    assert columns(None, None) == dict.fromkeys(COLUMNS)
    seq = sample_sequence("T1w_gd", 3.0, {}, "arterial", np.random.default_rng(0))
    row = columns(seq, 30.0)
    assert set(row) == set(COLUMNS) and row["sequence"] == "T1w_gd" and row["snr"] == 30.0
    assert seq.gd_phase == "arterial" and 0.2 <= seq.gd_minutes <= 0.3 and seq.base == "T1w"


def test_the_series_of_a_study_share_one_injection():
    declared = params(names(("T1w", "T2w")), ("T2w",))
    parsed = parse_params(declared, {})
    drawn = draw_series(("T1w", "T1w_gd", "T2w"), declared, parsed, 1.5, np.random.default_rng(2))
    each = [a["sequence"] for a in drawn["series_acquisitions"]]
    assert [s["name"] for s in each] == ["T1w", "T1w_gd", "T2w"]
    assert [s["gd_phase"] is not None for s in each] == [False, True, False]
    assert drawn["sequence"] == each[0] and all(s["field_t"] == 1.5 for s in each)
