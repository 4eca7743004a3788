"""Signal equations: each tissue's signal on one drawn sequence, from its T1, T2, T2*, proton
density and fat fraction; and gadolinium's shortening of T1.

- Spin echo / turbo spin echo: S = PD (1 - 2 exp(-(TR - TE/2)/T1) + exp(-TR/T1)) exp(-TE/T2).
- Spoiled gradient echo (Ernst): S = PD sin(a) (1 - E1) / (1 - cos(a) E1) exp(-TE/T2*), E1 = exp(-TR/T1).
- Two-point Dixon: the spoiled gradient echo at the in-phase echo time, and at the opposed-phase
  one multiplied by (1 - 2 f), f the fat fraction: water and fat signals subtract (signed, so
  that a voxel mixing fat and water cancels when the image is formed: the India-ink edge). Its
  separated images are their half sum and half difference: water the in-phase signal times
  (1 - f), fat times f (`dixon_water`, `dixon_fat`; Dixon WT, Radiology 1984;153:189-194).
- Inversion recovery (STIR, FLAIR): S = PD (1 - 2 exp(-TI/T1) + exp(-TR/T1)) exp(-TE/T2), signed;
  the image is its magnitude.
- MPRAGE: an inversion, then `readouts` spoiled excitations every echo spacing, the centre one at
  TI (linear ordering), then recovery to the end of the cycle; the longitudinal magnetisation is
  followed through each train in closed form (Mz -> M_inf + (Mz - M_inf)(cos(a) E1)^k, Deichmann R
  et al., NeuroImage 2000;12:112-127) over eight cycles, which reach the steady state.
- Fat saturation multiplies the fat share of the signal by the drawn residual.

Gadolinium (an extracellular agent, gadobutrol): 1/T1 = 1/T1_0 + r1 C with r1 = 5.2 /mM/s at
1.5 T and 5.0 at 3 T in plasma (Szomolanyi P et al., Invest Radiol 2019;54:559-564). The blood
concentration C_b(t) is Parker's population arterial input function (Parker GJM et al., Magn
Reson Med 2006;56:993-1000, 0.1 mmol/kg); a tissue's concentration is C_b(t) times its share of
blood's, given by the generator (`enhancement`). T2 shortening at these doses is not modelled.
"""

from __future__ import annotations

import numpy as np

from models.mr.sequence import Sequence
from models.mr.tissue import INDEX, Properties

R1_PER_MM_S = {1.5: 5.2, 3.0: 5.0}
TRAINS = ("SE", "IR")  # spin-echo families, run clinically as turbo / single-shot echo trains
FAT_TRAIN_T2_MS = 143.0
FLOW_CM_S = 15.0
FAT = INDEX["fat"]
INVERSION_EFFICIENCY = 0.96
CYCLES = 8


def blood_gd_mm(minutes: float) -> float:
    """Parker's AIF: two Gaussians (first and second pass) plus an exponential washout under a sigmoid."""
    a, t, s = (0.809, 0.330), (0.17046, 0.365), (0.0563, 0.132)
    alpha, beta, slope, tau = 1.050, 0.1685, 38.078, 0.483
    passes = sum(
        a[k] / (s[k] * np.sqrt(2 * np.pi)) * np.exp(-((minutes - t[k]) ** 2) / (2 * s[k] ** 2)) for k in (0, 1)
    )
    return float(passes + alpha * np.exp(-beta * minutes) / (1.0 + np.exp(-slope * (minutes - tau))))


def enhance(props: Properties, sequence: Sequence, share: np.ndarray) -> Properties:
    """`props` after gadolinium at the sequence's phase; `share`: each tissue's concentration as a
    fraction of blood's at that phase (0 where the agent does not reach)."""
    if sequence.gd_minutes is None:
        return props
    conc = blood_gd_mm(sequence.gd_minutes) * share  # mM
    r1 = 1000.0 / props.t1 + R1_PER_MM_S[sequence.field_t] * conc  # s^-1
    return props.with_t1(1000.0 / r1)


def signal(seq: Sequence, p: Properties) -> np.ndarray:
    """Each tissue's signal (signed; proton density 1, fully relaxed, gives 1 on spin echo)."""
    if seq.family in TRAINS and seq.fat_sat_residual is None:  # saturated fat has no echoes to keep
        p = echo_train(p)
    if seq.family == "SE":
        out = p.pd * (1 - 2 * np.exp(-(seq.tr_ms - seq.te_ms / 2) / p.t1) + np.exp(-seq.tr_ms / p.t1))
        out = out * np.exp(-seq.te_ms / p.t2)
    elif seq.family == "GRE":
        out = _spoiled(p.pd, p.t1, seq.tr_ms, seq.flip_deg) * np.exp(-seq.te_ms / p.t2s)
        if seq.base == "opposed_phase":
            out = out * (1.0 - 2.0 * p.fat)
        elif seq.base == "dixon_water":
            out = out * (1.0 - p.fat)
        elif seq.base == "dixon_fat":
            out = out * p.fat
    elif seq.family == "IR":
        ti = float(seq.ti_ms or 0.0)
        out = p.pd * (1 - 2 * np.exp(-ti / p.t1) + np.exp(-seq.tr_ms / p.t1)) * np.exp(-seq.te_ms / p.t2)
    else:
        out = _mprage(seq, p) * np.exp(-seq.te_ms / p.t2s)
    if seq.fat_sat_residual is not None:
        out = out * (1.0 - p.fat * (1.0 - seq.fat_sat_residual))
    return out


def echo_train(p: Properties) -> Properties:
    """Fat's T2 as an echo train of refocusing pulses sees it: the train suppresses J-coupling
    modulation and diffusion-mediated dephasing, so fat stays bright on turbo and single-shot spin
    echo where a conventional spin echo shows it intermediate (Henkelman RM, Hardy PA, Bishop JE,
    Poon CS, Plewes DB. Why fat is bright in RARE and fast spin-echo imaging. J Magn Reson Imaging
    1992;2:533-540). Measured on one 3 T scanner, subcutaneous fat's T2 runs from 41 ms to 143 ms
    by sequence, rising with the echo-train length (Pai A, Li X, Majumdar S. A comparative study at
    3 Tesla of sequence dependence of T2 quantitation in the knee. Magn Reson Imaging
    2008;26:1215-1220): clinical body T2 sequences run long trains, so fat takes FAT_TRAIN_T2_MS
    and each tissue's T2 moves towards it by its fat fraction."""
    fat_t2 = p.t2[FAT]
    factor = 1.0 + p.fat * (FAT_TRAIN_T2_MS / fat_t2 - 1.0)
    return Properties(p.t1, p.t2 * factor, p.t2s, p.pd, p.fat)  # T2*: gradient echoes, no train


def washout(seq: Sequence, slice_mm: float) -> float:
    """The share of flowing blood's spin-echo signal left: blood excited by the 90-degree pulse
    that has left the slice before the 180-degree one, TE/2 later, gives no echo, S = 1 - v (TE/2)
    / thickness (Bradley WG Jr, Waluch V. Blood flow: magnetic resonance imaging. Radiology
    1985;154:443-450), at FLOW_CM_S, the order of the portal vein's mean velocity (864 +- 188 ml/min
    supine, Brown HS et al., Gut 1989;30:503-509, through a vein about 12 mm wide: 13 cm/s); the
    aorta is faster, its void the deeper for it. Gradient echoes have no refocusing pulse, so
    inflow keeps their blood bright: 1."""
    if seq.family not in TRAINS:
        return 1.0
    travelled_mm = FLOW_CM_S * 10.0 * seq.te_ms / 2000.0
    return float(max(0.0, 1.0 - travelled_mm / max(slice_mm, 1e-6)))


def sensitivities(seq: Sequence, p: Properties) -> tuple[np.ndarray, np.ndarray]:
    """d ln|S| / d ln T1 and d ln|S| / d ln T2 per tissue (central differences): how much of a
    tissue's per-voxel relaxation variation reaches its signal on this sequence."""
    step = 0.02
    out = []
    for which in ("t1", "t2"):
        up, down = (_scaled(p, which, 1.0 + s) for s in (step, -step))
        hi, lo = np.abs(signal(seq, up)), np.abs(signal(seq, down))
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where((hi > 0) & (lo > 0), (np.log(hi) - np.log(lo)) / (2 * step), 0.0)
        out.append(np.clip(g, -3.0, 3.0))
    return out[0], out[1]


def _scaled(p: Properties, which: str, factor: float) -> Properties:
    if which == "t1":
        return p.with_t1(p.t1 * factor)
    return Properties(p.t1, p.t2 * factor, p.t2s * factor, p.pd, p.fat)


def _spoiled(pd: np.ndarray, t1: np.ndarray, tr: float, flip_deg: float) -> np.ndarray:
    a = np.deg2rad(flip_deg)
    e1 = np.exp(-tr / t1)
    return pd * np.sin(a) * (1 - e1) / (1 - np.cos(a) * e1)


def _mprage(seq: Sequence, p: Properties) -> np.ndarray:
    a = np.deg2rad(seq.flip_deg)
    n, esp = int(seq.readouts or 176), float(seq.echo_spacing_ms or 7.0)
    ti = float(seq.ti_ms or 900.0)
    before = max(ti - (n // 2) * esp, 0.0)  # inversion to the first excitation
    after = max(seq.tr_ms - before - n * esp, 0.0)  # last excitation to the next inversion
    e = np.exp(-esp / p.t1)
    m_inf = (1 - e) / (1 - np.cos(a) * e)  # the train's own steady state (per excitation, just before it)
    decay = np.cos(a) * e
    mz = np.ones_like(p.t1)
    centre = mz
    for _ in range(CYCLES):
        mz = -INVERSION_EFFICIENCY * mz
        mz = 1 - (1 - mz) * np.exp(-before / p.t1)
        centre = m_inf + (mz - m_inf) * decay ** (n // 2)
        mz = m_inf + (mz - m_inf) * decay**n
        mz = 1 - (1 - mz) * np.exp(-after / p.t1)
    return p.pd * np.sin(a) * centre
