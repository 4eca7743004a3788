"""Relaxation times, proton density and fat fraction of every tissue an MR study is made of, at
1.5 T and 3 T, from the published literature; and one study's draw around them.

Sources (mean +- SD as published; the SD is the study-to-study spread drawn here):

- [B] de Bazelaire C, Duhamel G, Rofsky N, Alsop D. MR imaging relaxation times of abdominal and
  pelvic tissues measured in vivo at 3.0 T: preliminary results. Radiology 2004;230:652-659.
  Table 1 (1.5 T and 3.0 T, six volunteers): kidney cortex and medulla, liver, spleen, pancreas,
  paravertebral muscle, L4 bone marrow, subcutaneous fat, prostate. The 3 T values are the
  abstract's; the 1.5 T values were transcribed from Table 1 (they average the 21 % shorter T1
  the abstract reports, 3 T over 1.5 T).
- [S] Stanisz GJ, Odrobina EE, Pun J, et al. T1, T2 relaxation and magnetization transfer in tissue
  at 3T. Magn Reson Med 2005;54:507-512. Table 1 (1.5 T and 3 T, 37 C, ex vivo): spinal cord, heart,
  cartilage, blood; the T2 of white and grey matter.
- [W] Wright PJ, Mougin OE, Totman JJ, et al. Water proton T1 measurements in brain tissue at 7, 3,
  and 1.5 T using IR-EPI, IR-TSE, and MPRAGE. MAGMA 2008;21:121-130 (in vivo, MPRAGE): white matter
  646 +- 32 and 838 +- 50 ms, grey matter 1197 +- 134 and 1607 +- 112 ms, putamen 1084 +- 63 and
  1332 +- 68 ms at 1.5 and 3 T. (Stanisz's ex-vivo brain T1 is longer and puts white matter below
  grey on a 1.5 T spin-echo T1, which no clinical image shows.)
- [L4] Lu H, Clingman C, Golay X, van Zijl P. Determining the longitudinal relaxation time (T1) of
  blood at 3.0 Tesla. Magn Reson Med 2004;52:679-682: T1 = 1 / (0.52 Hct + 0.38) s, here Hct 0.42.
- [L5] Lu H, Nagae-Poetscher LM, Golay X, et al. Routine clinical brain MRI sequences for use at
  3.0 Tesla. J Magn Reson Imaging 2005;22:13-22: CSF T1 4163 +- 263 ms at 3 T.
- [Bo] Bojorquez JZ, Bricq S, Acquitter C, et al. What are normal relaxation times of tissues at
  3 T? Magn Reson Imaging 2017;35:69-80: the spread of reported values (used as the floor of the
  drawn spread: no tissue is drawn tighter than MIN_SPREAD) and free water (CSF T2 about 2 s).
- [H] Hatabu H, Alsop DC, Listerud J, et al. T2* and proton density measurement of normal human
  lung parenchyma using submillisecond echo time gradient echo magnetic resonance imaging. Eur J
  Radiol 1999;29:245-252: lung T2* 2.1 ms at 1.5 T, proton density about 0.2 of water's (lung T1
  and T2 are nominal; proton density and T2* are what keep the lung dark).
- [D] Du J, Carl M, Bydder M, et al. Qualitative and quantitative ultrashort echo time imaging of
  cortical bone. J Magn Reson 2010;207:304-311: cortical bone T2* about 0.4 ms (its T1 and T2 are
  nominal here: a 0.4 ms T2* leaves no signal at clinical echo times whatever they are).
- [G] Griffith JF, Yeung DK, Antonio GE, et al. Vertebral marrow fat content and diffusion and
  perfusion indexes in women with varying bone density: MR evaluation. Radiology 2006;241:831-838:
  vertebral marrow fat fraction rises with age (about 0.3 young, 0.6 elderly).
- [Wi] Wilman HR, Kelly M, Garratt S, et al. Characterisation of liver fat in the UK Biobank
  cohort. PLoS One 2017;12:e0172921: the liver's proton density fat fraction (PDFF) in 4,949
  participants aged 45-73, centred between 1 and 2 %, median 2.11 %, mean 3.91 %, skewed towards
  high fat. body_mr draws it per study as a log-normal with that median and mean
  (`draw_liver_pdff`), which puts 19 % of studies above the study's high-liver-fat cut-off of
  5.5 %; the table's 0.02 stays where a generator draws none.
- Proton density: water mass fraction of the tissue (Woodard HQ, White DR. The composition of body
  tissues. Br J Radiol 1986;59:1209-1218), CSF 1.

Tissues without their own measurement are fast-exchange mixtures of measured ones (relaxation
rates and proton density averaged by fraction): cerebellum, brainstem, the
lesions, bowel content, stool, the intervertebral disc and the scalp. T2* is 1 / (1/T2 + R2'),
R2' = 20 s^-1 at 1.5 T and 40 s^-1 at 3 T (field-proportional static dephasing), except where a
tissue has its own (lung, cortical bone). Venous blood takes arterial blood's values (the
oxygenation dependence of its T2 is not modelled). All of it is in docs/generators/body_mr.md's table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELDS = (1.5, 3.0)
# [Wi]: median 2.11 %, mean 3.91 %; a log-normal's mean over its median is exp(sigma^2 / 2).
LIVER_PDFF_MEDIAN = 0.0211
LIVER_PDFF_SIGMA = float(np.sqrt(2.0 * np.log(3.91 / 2.11)))  # 1.11
LIVER_PDFF_MAX = 0.5
MIN_SPREAD = 0.04  # smallest study-to-study coefficient of variation drawn ([Bo]: reported values vary more)
MAX_SPREAD = 0.15
R2_PRIME = {1.5: 20.0, 3.0: 40.0}  # s^-1


@dataclass(frozen=True)
class Measured:
    """One tissue's published values: (mean, SD) in ms at 1.5 T and at 3 T."""

    t1: tuple[tuple[float, float], tuple[float, float]]
    t2: tuple[tuple[float, float], tuple[float, float]]
    pd: float
    fat: float = 0.0  # fat fraction of the signal (chemical shift, fat suppression)
    t2s: tuple[float, float] | None = None  # own T2* (ms) at 1.5 T and 3 T
    source: str = ""


HCT = 0.42
BLOOD_T1_3T = 1000.0 / (0.52 * HCT + 0.38)  # [L4]

MEASURED: dict[str, Measured] = {
    "air": Measured(((1.0, 0.0), (1.0, 0.0)), ((1.0, 0.0), (1.0, 0.0)), 0.0, source="no protons"),
    "lung": Measured(
        ((1200.0, 120.0), (1300.0, 130.0)),
        ((40.0, 4.0), (35.0, 4.0)),
        0.2,
        t2s=(2.1, 0.9),
        source="[H]; T1, T2 nominal",
    ),
    "liver": Measured(((586.0, 39.0), (809.0, 71.0)), ((46.0, 6.0), (34.0, 4.0)), 0.71, fat=0.02, source="[B]"),
    "spleen": Measured(((1057.0, 42.0), (1328.0, 31.0)), ((79.0, 15.0), (61.0, 9.0)), 0.79, source="[B]"),
    "pancreas": Measured(((584.0, 14.0), (725.0, 71.0)), ((46.0, 6.0), (43.0, 7.0)), 0.73, fat=0.03, source="[B]"),
    "kidney_cortex": Measured(((966.0, 58.0), (1142.0, 154.0)), ((87.0, 4.0), (76.0, 7.0)), 0.80, source="[B]"),
    "kidney_medulla": Measured(((1412.0, 58.0), (1545.0, 142.0)), ((85.0, 11.0), (81.0, 8.0)), 0.83, source="[B]"),
    # T1 from [S] (skeletal muscle): [B]'s paravertebral 856 / 898 ms lies far below the other
    # reports at 3 T ([Bo]; Gold GE et al., AJR 2004;183:343-351, about 1.4 s) and would put muscle
    # level with liver on a 3 T spoiled gradient echo, where every clinical image has liver brighter.
    "muscle": Measured(((1008.0, 20.0), (1412.0, 13.0)), ((27.0, 8.0), (29.0, 4.0)), 0.76, source="[S] T1, [B] T2"),
    "fat": Measured(
        ((343.0, 37.0), (382.0, 13.0)), ((58.0, 4.0), (68.0, 4.0)), 0.90, fat=0.9, source="[B] subcutaneous"
    ),
    "marrow": Measured(
        ((549.0, 52.0), (586.0, 73.0)), ((49.0, 8.0), (49.0, 4.0)), 0.80, fat=0.45, source="[B] L4, [G]"
    ),
    "prostate": Measured(((1317.0, 85.0), (1597.0, 42.0)), ((88.0, 8.0), (74.0, 9.0)), 0.83, source="[B]"),
    "white_matter": Measured(((646.0, 32.0), (838.0, 50.0)), ((72.0, 4.0), (69.0, 3.0)), 0.69, source="[W] T1, [S] T2"),
    "grey_matter": Measured(
        ((1197.0, 134.0), (1607.0, 112.0)), ((95.0, 8.0), (99.0, 7.0)), 0.80, source="[W] T1, [S] T2"
    ),
    "deep_grey_matter": Measured(
        ((1084.0, 63.0), (1332.0, 68.0)), ((83.5, 6.0), (84.0, 5.0)), 0.75, source="[W] putamen T1; T2 [S] GM-WM mean"
    ),
    "spinal_cord": Measured(((745.0, 37.0), (993.0, 47.0)), ((74.0, 6.0), (78.0, 2.0)), 0.72, source="[S]"),
    "heart_muscle": Measured(((1030.0, 34.0), (1471.0, 31.0)), ((40.0, 6.0), (47.0, 11.0)), 0.79, source="[S]"),
    "cartilage": Measured(((1024.0, 70.0), (1168.0, 18.0)), ((30.0, 4.0), (27.0, 3.0)), 0.70, source="[S]"),
    "blood": Measured(
        ((1441.0, 120.0), (BLOOD_T1_3T, 85.0)), ((290.0, 30.0), (275.0, 50.0)), 0.82, source="[S], 3 T T1 [L4]"
    ),
    "fluid": Measured(
        ((4000.0, 250.0), (4163.0, 263.0)),
        ((2000.0, 200.0), (2000.0, 200.0)),
        1.0,
        source="3 T T1 [L5]; 1.5 T, T2 nominal free water [Bo]",
    ),
    "cortical_bone": Measured(
        ((220.0, 30.0), (220.0, 30.0)), ((0.5, 0.1), (0.4, 0.1)), 0.15, t2s=(0.4, 0.4), source="[D] T2*; T1, T2 nominal"
    ),
}
# Tissues made of measured ones: (fraction, tissue) pairs, mixed in relaxation rate (fast exchange).
MIXED: dict[str, tuple[tuple[float, str], ...]] = {
    "cerebellum": ((0.6, "grey_matter"), (0.4, "white_matter")),  # cortex folia over the white-matter arbor
    "brainstem": ((0.7, "white_matter"), (0.3, "grey_matter")),
    "white_matter_lesion": ((0.6, "white_matter"), (0.4, "fluid")),  # gliosis, raised free water
    "brain_tumour": ((0.6, "grey_matter"), (0.4, "fluid")),  # cellular tumour with vasogenic oedema
    "hepatic_tumour": ((0.6, "liver"), (0.4, "fluid")),
    "lung_tumour": ((0.7, "muscle"), (0.3, "fluid")),
    "bone_lesion": ((0.6, "muscle"), (0.4, "fluid")),  # lytic: marrow fat replaced by water-rich tissue
    "bowel_content": ((0.8, "fluid"), (0.2, "muscle")),
    "stool": ((0.5, "fluid"), (0.5, "muscle")),
    "disc": ((0.5, "cartilage"), (0.5, "fluid")),  # water-rich nucleus within the annulus
    "scalp": ((0.6, "fat"), (0.4, "muscle")),
}
NAMES: tuple[str, ...] = (*MEASURED, *MIXED, "venous_blood")
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}


@dataclass(frozen=True)
class Properties:
    """One study's tissue properties, one entry per `NAMES` index: ms, and fractions of water's PD."""

    t1: np.ndarray
    t2: np.ndarray
    t2s: np.ndarray
    pd: np.ndarray
    fat: np.ndarray

    def with_t1(self, t1: np.ndarray) -> Properties:
        return Properties(t1, self.t2, self.t2s, self.pd, self.fat)

    def with_fat(self, tissue: str, fraction: float) -> Properties:
        fat = self.fat.copy()
        fat[INDEX[tissue]] = fraction
        return Properties(self.t1, self.t2, self.t2s, self.pd, fat)


def sample_properties(field_t: float, age: float | None, rng: np.random.Generator) -> Properties:
    """This study's values: each measured tissue drawn log-normally around its mean with its
    published spread (clipped to [MIN_SPREAD, MAX_SPREAD]); mixtures follow their parts."""
    f = FIELDS.index(field_t)
    n = len(NAMES)
    t1, t2, t2s, pd, fat = (np.zeros(n) for _ in range(5))
    for name, m in MEASURED.items():
        i = INDEX[name]
        (m1, s1), (m2, s2) = m.t1[f], m.t2[f]
        t1[i] = m1 * np.exp(rng.normal(0.0, _spread(s1, m1)))
        t2[i] = m2 * np.exp(rng.normal(0.0, _spread(s2, m2)))
        pd[i], fat[i] = m.pd, m.fat
        t2s[i] = m.t2s[f] if m.t2s is not None else 1000.0 / (1000.0 / t2[i] + R2_PRIME[field_t])
    if age is not None:  # [G]: marrow fat rises with age
        fat[INDEX["marrow"]] = float(np.clip(0.3 + 0.006 * (age - 25.0) + rng.normal(0.0, 0.05), 0.15, 0.8))
    for name, parts in MIXED.items():
        i = INDEX[name]
        for share, part in parts:
            j = INDEX[part]
            t1[i] += share / t1[j]
            t2[i] += share / t2[j]
            t2s[i] += share / t2s[j]
            pd[i] += share * pd[j]
            fat[i] += share * fat[j]
        t1[i], t2[i], t2s[i] = 1.0 / t1[i], 1.0 / t2[i], 1.0 / t2s[i]
    v, a = INDEX["venous_blood"], INDEX["blood"]
    t1[v], t2[v], t2s[v], pd[v], fat[v] = t1[a], t2[a], t2s[a], pd[a], fat[a]
    return Properties(t1, t2, t2s, pd, fat)


def draw_liver_pdff(rng: np.random.Generator) -> float:
    """One adult's liver proton density fat fraction: log-normal with [Wi]'s median and mean."""
    return float(min(LIVER_PDFF_MEDIAN * np.exp(rng.normal(0.0, LIVER_PDFF_SIGMA)), LIVER_PDFF_MAX))


def _spread(sd: float, mean: float) -> float:
    return float(np.clip(sd / mean, MIN_SPREAD, MAX_SPREAD)) if mean > 1.0 else 0.0
