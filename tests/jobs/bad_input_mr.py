"""Bad MR acquisition input (issue 16): body_mr and brain_mr's physics, one line and exit 2 before
any work, naming the parameter."""

from __future__ import annotations

from tests.jobs.bad_input_cases import Case, gen

BODY = ("generator.name=body_mr",)
BRAIN = ("generator.name=brain_mr", "generator.shape=[44,52,44]")

MR_CASES = [
    Case(f"mr {name}", "generate", gen(*where, *(f"generator.params.{o}" for o in override.split())), expect)
    for name, where, override, expect in (
        ("unknown sequence", BODY, "sequence=DWI", "generator.params.sequence: must be one of"),
        ("brain sequence on the body", BODY, "sequence=FLAIR", "generator.params.sequence: must be one of"),
        ("field 7 T", BODY, "field_strength_t=7", "generator.params.field_strength_t: must be one of"),
        ("TR NaN", BODY, "tr_ms=nan", "generator.params.tr_ms: must be a number or [lo, hi], got 'nan'"),
        ("TE reversed", BODY, "te_ms=[90,20]", "generator.params.te_ms: must be a number or [lo, hi] with lo <= hi"),
        ("TI absurd", BODY, "ti_ms=1e9", "generator.params.ti_ms: must lie within"),
        ("flip a string", BODY, "flip_deg=steep", "generator.params.flip_deg: must be a number"),
        ("SNR infinite", BODY, "snr=.inf", "generator.params.snr: must be a finite number, got inf"),
        ("gadolinium phase", BODY, "gd_phase=equilibrium", "generator.params.gd_phase: must be one of"),
        ("scan slice zero", BODY, "scan_slice_mm=0", "generator.params.scan_slice_mm: must lie within"),
        ("TR shorter than TE", BODY, "tr_ms=50", "generator.params.tr_ms: T2w needs TE < TR"),
        ("TI past TR", BODY, "sequence=STIR ti_ms=4000 tr_ms=3500", "generator.params.ti_ms: STIR needs TI < TR"),
        ("Dixon TR under its echo", BODY, "sequence=dixon_fat tr_ms=4", "params.tr_ms: dixon_fat needs TE < TR"),
        ("liver fat NaN", BODY, "liver_pdff=nan", "params.liver_pdff: must be a number or [lo, hi], got 'nan'"),
        ("liver fat over half", BODY, "liver_pdff=0.8", "generator.params.liver_pdff: must lie within [0, 0.5]"),
        ("brain sequence without physics", BRAIN, "te_ms=80", "generator.params.te_ms: sets an MR sequence"),
        ("brain STIR", BRAIN, "contrast=physics sequence=STIR", "generator.params.sequence"),
    )
]
