"""Clinical MR sequences: what each is, the parameter ranges it is run with, one study's draw,
and the catalog columns every MR generator fills from it.

Ranges are those of routine clinical protocols at 1.5 and 3 T (spin-echo T1 TR 400-700 / TE 8-15
ms; turbo spin-echo T2 TR 3000-6000 / TE 80-120; PD TR 2000-4000 / TE 15-35; 3D spoiled gradient
echo T1 with fat saturation TR 3-6 / TE 1.2-2.5 / 9-15 degrees; 2D dual-echo gradient echo TR
100-200 / 60-80 degrees; FLAIR TR 8000-11000 / TE 80-140; MPRAGE inversion cycle 1900-2500 ms, TI
800-1100, 7-10 degrees, echo spacing 6.5-9 ms; Westbrook C, Talbot J. MRI in Practice, 5th ed.,
Wiley 2019, and the ADNI MPRAGE protocol: TR 2300, TI 900, 9 degrees).

Two-point Dixon (`dixon_water`, `dixon_fat`: Dixon WT. Simple proton spectroscopic imaging.
Radiology 1984;153:189-194; Ma J. Dixon techniques for water and fat imaging. J Magn Reson Imaging
2008;28:543-558) separates the water and the fat image from an in-phase and an opposed-phase echo
of one 3D spoiled gradient echo. Its flip angles are the 3D T1 sequence's above (9-15 degrees); its
TR, 5.5-7.5 ms, is that sequence's lengthened to hold both echoes at 1.5 T (the in-phase one at
4.6 ms) and their readouts. The images are formed at the in-phase echo's T2* decay.

Field-dependent timings are computed, not tabulated:
- in-phase and opposed-phase echo times from the fat-water shift, 3.4 ppm of 42.577 MHz/T x B0
  (the main methylene peak): 4.6 / 2.3 ms at 1.5 T, 2.3 / 1.15 ms at 3 T;
- the inversion time of STIR and FLAIR nulls fat or fluid at the table's mean T1 of that field,
  TI = T1 ln(2 / (1 + exp(-TR/T1))), within +-3 % (a protocol's TI is set for the nominal tissue,
  so a patient's own T1 is nulled imperfectly, as on a scanner).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from models.errors import ParamError
from models.mr.tissue import FIELDS, MEASURED
from models.options import Choice, Param, Range, sample

GAMMA_MHZ_PER_T = 42.577
FAT_SHIFT_PPM = 3.4
GD = "_gd"
PHASES = ("arterial", "portal_venous", "delayed")
Span = tuple[float, float]


@dataclass(frozen=True)
class Protocol:
    family: str  # SE (spin echo / turbo spin echo), GRE (spoiled gradient echo), IR, MPRAGE
    tr: Span
    te: Span
    flip: Span = (90.0, 90.0)
    nulls: str | None = None  # IR: the tissue the inversion time nulls
    ti: Span | None = None  # MPRAGE: inversion to the centre of k-space
    fat_sat: bool = False
    echo: str | None = None  # GRE: "in" or "opposed" phase echo time


PROTOCOLS: dict[str, Protocol] = {
    "T1w": Protocol("SE", (400.0, 700.0), (8.0, 15.0)),
    "T2w": Protocol("SE", (3000.0, 6000.0), (80.0, 120.0)),
    "PDw": Protocol("SE", (2000.0, 4000.0), (15.0, 35.0)),
    "T1w_fs": Protocol("GRE", (3.0, 6.0), (1.2, 2.5), (9.0, 15.0), fat_sat=True),
    "T2w_fs": Protocol("SE", (3000.0, 6000.0), (70.0, 100.0), fat_sat=True),
    "in_phase": Protocol("GRE", (100.0, 200.0), (0.0, 0.0), (60.0, 80.0), echo="in"),
    "opposed_phase": Protocol("GRE", (100.0, 200.0), (0.0, 0.0), (60.0, 80.0), echo="opposed"),
    "dixon_water": Protocol("GRE", (5.5, 7.5), (0.0, 0.0), (9.0, 15.0), echo="in"),
    "dixon_fat": Protocol("GRE", (5.5, 7.5), (0.0, 0.0), (9.0, 15.0), echo="in"),
    "STIR": Protocol("IR", (3000.0, 6000.0), (30.0, 70.0), nulls="fat"),
    "FLAIR": Protocol("IR", (8000.0, 11000.0), (80.0, 140.0), nulls="fluid"),
    "MPRAGE": Protocol("MPRAGE", (1900.0, 2500.0), (2.5, 4.0), (7.0, 10.0), ti=(800.0, 1100.0)),
}
ENHANCEABLE = ("T1w", "T1w_fs", "MPRAGE")  # T1-weighted: gadolinium shortens T1 and brightens
ESPACING_MS: Span = (6.5, 9.0)  # MPRAGE echo spacing
READOUTS = (160, 192)  # MPRAGE excitations per inversion
FAT_SAT_RESIDUAL: Span = (0.03, 0.12)  # fraction of fat signal left by spectral saturation


def names(base: tuple[str, ...]) -> tuple[str, ...]:
    """`base` and the contrast-enhanced variant of each T1-weighted one."""
    return (*base, *(f"{n}{GD}" for n in base if n in ENHANCEABLE))


@dataclass(frozen=True)
class Sequence:
    """One study's acquisition: the sequence and every timing it was run with (ms, degrees)."""

    name: str
    family: str
    field_t: float
    tr_ms: float
    te_ms: float
    ti_ms: float | None
    flip_deg: float
    fat_sat_residual: float | None = None  # None: no fat saturation
    echo_spacing_ms: float | None = None  # MPRAGE
    readouts: int | None = None
    gd_phase: str | None = None  # contrast-enhanced: the phase after injection
    gd_minutes: float | None = None

    @property
    def base(self) -> str:
        return self.name.removesuffix(GD)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sequence:
        return cls(**data)


# The catalog columns of every MR generator (one declaration: body_mr and brain_mr both use it).
COLUMNS: dict[str, str] = {
    "sequence": "string",
    "field_strength_t": "double",
    "tr_ms": "double",
    "te_ms": "double",
    "ti_ms": "double",
    "flip_deg": "double",
    "snr": "double",
}


def columns(sequence: Sequence | None, snr: float | None) -> dict[str, Any]:
    if sequence is None:
        return dict.fromkeys(COLUMNS)
    return {
        "sequence": sequence.name,
        "field_strength_t": sequence.field_t,
        "tr_ms": sequence.tr_ms,
        "te_ms": sequence.te_ms,
        "ti_ms": sequence.ti_ms,
        "flip_deg": sequence.flip_deg,
        "snr": snr,
    }


def sample_sequence(
    name: str, field_t: float, fixed: dict[str, float | None], phase: str | None, rng: np.random.Generator
) -> Sequence:
    """Draw `name`'s timings at `field_t` from its clinical ranges; `fixed` (tr_ms, te_ms, ti_ms,
    flip_deg) overrides a range where not None. `phase` is the gadolinium phase of a `_gd` one."""
    if field_t not in FIELDS:
        raise ParamError("params.field_strength_t", f"must be one of {list(FIELDS)}, got {field_t!r}")
    base = name.removesuffix(GD)
    protocol = PROTOCOLS[base]
    tr = _draw(fixed.get("tr_ms"), protocol.tr, rng)
    te = _draw(fixed.get("te_ms"), protocol.te if protocol.echo is None else _echo(protocol.echo, field_t), rng)
    # A fixed flip angle is the gradient-echo excitation's; spin-echo sequences keep their 90 degrees.
    flip = _draw(fixed.get("flip_deg") if protocol.family in ("GRE", "MPRAGE") else None, protocol.flip, rng)
    ti = None
    if protocol.nulls is not None:
        ti = _draw(fixed.get("ti_ms"), _null_ti(protocol.nulls, field_t, tr), rng)
    elif protocol.ti is not None:
        ti = _draw(fixed.get("ti_ms"), protocol.ti, rng)
    residual = float(rng.uniform(*FAT_SAT_RESIDUAL)) if protocol.fat_sat else None
    spacing = readouts = None
    if protocol.family == "MPRAGE":
        spacing = round(float(rng.uniform(*ESPACING_MS)), 3)
        readouts = int(rng.integers(READOUTS[0], READOUTS[1] + 1))
    gd_minutes = None
    if name.endswith(GD):
        gd_minutes = round(float(rng.uniform(*PHASE_MINUTES[phase or "delayed"])), 3)
    return Sequence(
        name=name,
        family=protocol.family,
        field_t=field_t,
        tr_ms=round(tr, 3),
        te_ms=round(te, 3),
        ti_ms=None if ti is None else round(ti, 2),
        flip_deg=round(flip, 2),
        fat_sat_residual=residual,
        echo_spacing_ms=spacing,
        readouts=readouts,
        gd_phase=phase if name.endswith(GD) else None,
        gd_minutes=gd_minutes,
    )


# Minutes after the bolus arrives (the time axis of Parker's AIF, `models.mr.signal`): late arterial
# (about 35 s after injection), portal venous (60-75 s), delayed (3-5 min).
PHASE_MINUTES: dict[str, Span] = {"arterial": (0.2, 0.3), "portal_venous": (0.9, 1.2), "delayed": (3.0, 5.0)}


def _echo(kind: str, field_t: float) -> Span:
    period_ms = 1000.0 / (FAT_SHIFT_PPM * GAMMA_MHZ_PER_T * field_t)  # one fat-water phase cycle
    te = period_ms if kind == "in" else period_ms / 2.0
    return (te, te)


def _null_ti(tissue: str, field_t: float, tr: float) -> Span:
    t1 = MEASURED[tissue].t1[FIELDS.index(field_t)][0]
    ti = t1 * np.log(2.0 / (1.0 + np.exp(-tr / t1)))
    return (0.97 * ti, 1.03 * ti)


def _draw(fixed: float | None, span: Span, rng: np.random.Generator) -> float:
    value = float(rng.uniform(*span)) if span[1] > span[0] else span[0]  # drawn even when fixed: streams replay
    return float(fixed) if fixed is not None else value


FIELD_CHOICES = {"1.5": 1.5, "3": 3.0, "3.0": 3.0}


def params(allowed: tuple[str, ...], default: tuple[str, ...], phases: tuple[str, ...] = PHASES) -> dict[str, Param]:
    """The steerable parameters of an MR acquisition, for a generator offering `allowed` sequences
    (and `phases` after gadolinium). Timings left null are drawn from each sequence's clinical range."""
    return {
        "sequence": Choice(allowed, default),
        "field_strength_t": Choice(tuple(FIELD_CHOICES), ("1.5", "3")),
        "tr_ms": Range((1.0, 20000.0), None),
        "te_ms": Range((0.5, 500.0), None),
        "ti_ms": Range((10.0, 5000.0), None),
        "flip_deg": Range((1.0, 180.0), None),
        "gd_phase": Choice(phases, phases),  # only for `_gd` sequences
        "snr": Range((2.0, 1000.0), (15.0, 60.0)),
    }


def check_timings(parsed: dict[str, Any]) -> None:
    """Refuse, before any work, fixed timings a chosen sequence cannot run with: an echo or
    inversion time that is not shorter than the repetition time (`parsed` as `params(...)` parse)."""
    for name in parsed["sequence"]:
        protocol = PROTOCOLS[name.removesuffix(GD)]
        for field_t in sorted({FIELD_CHOICES[f] for f in parsed["field_strength_t"]}):
            tr = parsed["tr_ms"] or protocol.tr
            te = parsed["te_ms"] or (protocol.te if protocol.echo is None else _echo(protocol.echo, field_t))
            if te[1] >= tr[0]:
                field = "params.te_ms" if parsed["te_ms"] else "params.tr_ms"
                raise ParamError(field, f"{name} needs TE < TR: TE up to {te[1]:g} ms, TR from {tr[0]:g} ms")
            # Inversion sequences only; a nulling TI (protocol.ti None) is always < TR unless fixed.
            ti = (parsed["ti_ms"] or protocol.ti) if protocol.nulls or protocol.ti else None
            if ti is not None and ti[1] >= tr[0]:
                field = "params.ti_ms" if parsed["ti_ms"] else "params.tr_ms"
                raise ParamError(field, f"{name} needs TI < TR: TI up to {ti[1]:g} ms, TR from {tr[0]:g} ms")


def draw(declared: dict[str, Param], parsed: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One study's acquisition (JSON): its sequence's timings and its SNR, from `params(...)`."""
    d = sample(declared, parsed, rng)
    fixed = {k: d[k] for k in ("tr_ms", "te_ms", "ti_ms", "flip_deg")}
    phase = d["gd_phase"] if d["sequence"].endswith(GD) else None
    seq = sample_sequence(d["sequence"], FIELD_CHOICES[d["field_strength_t"]], fixed, phase, rng)
    return {"sequence": seq.to_json(), "snr": round(float(d["snr"]), 3)}


# What `generator.series` decides for every series of an MR study, refused as parameters with it.
SERIES_STEERED = ("sequence", "tr_ms", "te_ms", "ti_ms", "flip_deg")


def draw_series(
    names: tuple[str, ...], declared: dict[str, Param], parsed: dict[str, Any], field_t: float, rng: np.random.Generator
) -> dict[str, Any]:
    """The params of a study's series: each one's acquisition (JSON, as `draw` makes one) in
    `series_acquisitions` (its sequence's timings at the study's field strength, gadolinium at one
    phase drawn for the study on `_gd` series only: one injection, and its own SNR), and the first
    one's as the study's own `sequence` and `snr`."""
    phase = declared["gd_phase"].sample(parsed["gd_phase"], rng)
    each = []
    for name in names:
        seq = sample_sequence(name, field_t, {}, phase if name.endswith(GD) else None, rng)
        each.append({"sequence": seq.to_json(), "snr": round(float(declared["snr"].sample(parsed["snr"], rng)), 3)})
    return {**each[0], "series_acquisitions": each}
