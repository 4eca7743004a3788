"""Hounsfield units per tissue and contrast phase, from published CT figures.

Non-contrast ranges follow the usual CT references (air -1000; lung -900 to -600; fat -120 to -90;
water 0; liver 45-65; spleen 35-55; blood 30-50; cortical bone
500-1900). Arterial and portal venous ranges follow typical multiphase abdominal CT: aorta 150-350
HU arterial, liver parenchyma ~100-120 HU portal venous.

Bone, kidney and muscle have measurements of their own:
- Cancellous bone: L1 trabecular attenuation falls linearly with age by 2.5 HU a year, 226 +- 44 HU
  under 30 (Jang S, Graffy PM, Ziemlewicz TJ, et al. Opportunistic osteoporosis screening at
  routine abdominal and thoracic CT: normative L1 trabecular attenuation values in more than
  20 000 adults. Radiology 2019;291:360-367); drawn within one SD of 226 HU at 25 and lowered from
  there (`BONE_LOSS_HU_PER_YEAR`), about the same with and without contrast (ibid.).
- The vertebral body's cortical shell is 0.38 +- 0.06 mm thick (Eswaran SK, Gupta A, Adams MF,
  Keaveny TM. Cortical and trabecular load sharing in the human vertebral body. J Bone Miner Res
  2006;21:307-314), far below a CT voxel: a voxel of the painted shell (1.5 mm) holds a quarter of
  cortical bone and three quarters of marrow, so `vertebral_cortex` is that mixture's attenuation
  (0.25 x 700-1300 + 0.75 x cancellous), not solid cortical bone.
- Kidney cortex and medulla: unenhanced, the normal parenchyma reads 29.6 +- 3.0 HU (35 controls:
  PubMed 21388763, Eur J Radiol 2011, renal parenchymal attenuation in acute obstruction) and
  32.6 +- 3.4 HU (the unobstructed kidneys of 145 patients: AJR 2004;182:1251-1254), so 23-39 HU
  (both means +- 2 SD), cortex and medulla alike; in the corticomedullary phase (the arterial
  scan) the cortex enhances by 195-217 HU and leads the medulla by 110-140 HU, a lead that falls
  below 30 HU in the nephrographic phase, when the medulla has gained about 145 HU (Kim JK, Kim JH,
  Bae SJ, Cho KS. Multi-detector row CT of the kidney: optimizing scan delays for bolus tracking
  techniques of arterial, corticomedullary, and nephrographic phases. Eur J Radiol
  2007;63:420-426). A portal venous scan (60-80 s) falls at the nephrographic phase's start.
- Skeletal muscle: its attenuation falls as fat infiltrates it with age. At L3 on unenhanced CT
  women average 42.6, 38.1, 33.4, 29.3 and 25.2 HU at <45, 45-54, 55-64, 65-74 and >=75 years,
  SD 5.5-7.2: about 0.44 HU a year from 40 (1,859 women of the Framingham Heart Study, table 2
  of "Muscle reference values from thoracic and abdominal CT for sarcopenia assessment: the
  Framingham Heart Study", Invest Radiol 2024;59:259-270, PMC10920396). Young healthy men sit
  about 4 HU above young women (sarcopenia cut-offs, mean - 2 SD, 38.5 and 34.3 HU: Derstine BA,
  Holcombe SA, Ross BE, et al. Skeletal muscle cutoff values for sarcopenia diagnosis using T10
  to L5 measurements in a healthy US population. Sci Rep 2018;8:11369). The muscle range below
  is a man's under 40 (mean 46, SD 5.8 as a uniform draw), lowered per study by sex and age
  (`AGE_TRENDS`, `FEMALE_HU`).
Each study draws one value per tissue uniformly inside its range: a fixed, published envelope with
honest patient-to-patient and scanner-to-scanner spread. A study of several phases draws one
position per tissue inside its ranges, shared by every phase (the same patient: a tissue bright
for its range in one phase is so in all), so a tissue the agent does not reach keeps its value.

The delayed (equilibrium) phase, 3-5 min after injection, follows from the portal venous one:
iodine is a small extracellular agent whose plasma concentration washes out, so every tissue's
enhancement over its unenhanced value is the portal venous enhancement times DELAYED_FRACTION,
the ratio of the population plasma curve at 4 min to that at 1.1 min (Parker GJM et al., Magn
Reson Med 2006;56:993-1000, `models.mr.signal.blood_gd_mm`: 0.535 / 0.872 = 0.61). A
hypervascular hepatic tumour washes out faster than liver: in the delayed phase the adjacent
liver is 1.07-1.35 times the tumour (the percentage attenuation ratio: median 121 % for
hepatocellular carcinoma, and >= 107 % in every one of the 14 pathologically proven ones, in
PubMed 23255745, a quantitative definition of washout on triphasic MDCT), drawn per study.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PHASES = ("non_contrast", "arterial", "portal_venous")  # what a study draws from by default
ALL_PHASES = (*PHASES, "delayed")
DELAYED_FRACTION = 0.61
HCC_WASHOUT = (1.07, 1.35)  # liver over hepatic tumour, delayed phase

HURange = tuple[float, float]


@dataclass(frozen=True)
class Tissue:
    name: str
    non_contrast: HURange
    arterial: HURange | None = None  # None: contrast does not change it
    portal_venous: HURange | None = None
    texture_hu: float = 0.0  # standard deviation of the tissue's own texture

    def range(self, phase: str) -> HURange:
        if phase == "delayed":
            portal = self.range("portal_venous")
            return (
                self.non_contrast[0] + DELAYED_FRACTION * (portal[0] - self.non_contrast[0]),
                self.non_contrast[1] + DELAYED_FRACTION * (portal[1] - self.non_contrast[1]),
            )
        shifted = {"arterial": self.arterial, "portal_venous": self.portal_venous}.get(phase)
        return shifted or self.non_contrast


TISSUES: tuple[Tissue, ...] = (
    Tissue("air", (-1000, -1000)),
    Tissue("gas", (-1000, -960), texture_hu=4),
    Tissue("lung", (-870, -780), texture_hu=22),
    Tissue("fat", (-115, -95), texture_hu=7),
    Tissue("skin", (20, 50), texture_hu=6),
    Tissue("muscle", (36, 56), (41, 62), (46, 66), texture_hu=6),  # a man under 40; see AGE_TRENDS
    Tissue("visceral", (-105, -90), texture_hu=6),  # mesenteric and retroperitoneal fat
    Tissue("liver", (50, 62), (65, 80), (100, 120), texture_hu=5),
    Tissue("spleen", (40, 52), (90, 130), (110, 130), texture_hu=6),
    Tissue("kidney", (23, 39), (200, 250), (160, 200), texture_hu=7),  # the cortex
    Tissue("kidney_medulla", (23, 39), (70, 120), (135, 180), texture_hu=6),
    Tissue("aorta", (35, 48), (220, 330), (140, 180), texture_hu=3),
    Tissue("ivc", (35, 48), (50, 90), (120, 160), texture_hu=3),
    Tissue("svc", (35, 48), (250, 400), (130, 170), texture_hu=3),  # arm injection: dense in arterial
    Tissue("portal", (35, 48), (70, 110), (150, 190), texture_hu=3),
    Tissue("hepatic_vessel", (35, 48), (45, 70), (140, 180), texture_hu=3),  # hepatic veins
    Tissue("heart", (38, 50), (180, 280), (120, 160), texture_hu=7),
    Tissue("stomach_wall", (35, 48), (70, 100), (80, 110), texture_hu=5),
    Tissue("stomach_fluid", (5, 25), texture_hu=3),
    # The bowel's wall (a whole loop, wall and content together, before 0.10.0: 20-40, 40-60 and
    # 50-70 HU). Unenhanced it reads as soft tissue, like muscle; enhanced, the normal small-bowel
    # wall of 50 healthy adults (renal donors, water as oral contrast) read 118-120 +- 5 HU at 30 s
    # and 107-111 +- 3-4 HU at 60 s, duodenum, jejunum and ileum alike ("normal contrast enhancement
    # of the small bowel with biphasic spiral CT, using water as oral contrast agent").
    Tissue("bowel_wall", (35, 50), (113, 125), (104, 115), texture_hu=5),
    Tissue("colon_content", (-80, 20), texture_hu=55),  # stool
    Tissue("bile", (0, 20), texture_hu=3),
    Tissue("urine", (0, 15), texture_hu=3),
    Tissue("pancreas", (40, 52), (100, 130), (90, 110), texture_hu=8),
    Tissue("adrenal", (25, 40), (60, 80), (50, 70), texture_hu=5),
    Tissue("prostate", (30, 45), (50, 70), (60, 80), texture_hu=6),
    Tissue("esophagus", (30, 45), (50, 70), (60, 80), texture_hu=5),
    Tissue("airway_wall", (20, 45), (30, 55), (30, 60), texture_hu=5),
    Tissue("cortical", (700, 1300), texture_hu=60),
    Tissue("cancellous", (182, 270), texture_hu=35),  # at 25 years; falls with age (see sample_phases)
    Tissue("vertebral_cortex", (310, 530), texture_hu=40),  # a voxel of shell: 1/4 cortex, 3/4 marrow
    Tissue("marrow", (-30, 40), texture_hu=15),  # fatty marrow of the femoral shaft
    Tissue("cartilage", (90, 140), texture_hu=8),
    Tissue("disc", (70, 100), texture_hu=6),
    Tissue("csf", (2, 12), texture_hu=3),
    Tissue("cord", (30, 42), texture_hu=3),
    # Lesions: a hypervascular liver tumour (brighter than liver in arterial, washed out in portal
    # venous), a soft-tissue lung nodule, a simple renal cyst (no enhancement), a lytic bone lesion.
    Tissue("hepatic_tumor", (25, 40), (90, 130), (60, 85), texture_hu=10),
    Tissue("lung_tumor", (20, 45), (40, 70), (45, 75), texture_hu=8),
    Tissue("cyst", (0, 15), texture_hu=3),
    Tissue("bone_lesion", (40, 150), texture_hu=20),
    # Without oral contrast the bowel's lumen holds enteric fluid of water density, and gas (0.10.0;
    # last, so every earlier tissue keeps its index and its draw).
    Tissue("bowel_fluid", (0, 20), texture_hu=3),
)

TISSUE_INDEX: dict[str, int] = {t.name: i for i, t in enumerate(TISSUES)}
GUT = {"bowel_fluid": "stomach_fluid"}  # the last tissues, and whose place in the draw each takes
if tuple(t.name for t in TISSUES[-len(GUT) :]) != tuple(GUT):
    raise RuntimeError(f"phantom_ct tissues: {list(GUT)} must come last in TISSUES (sample_phases draws none for them)")


@dataclass(frozen=True)
class AgeTrend:
    """A tissue's HU falls by `hu_per_year` for every year of age past `from_age`."""

    tissue: str
    from_age: float
    hu_per_year: float

    def loss(self, age: float) -> float:
        return self.hu_per_year * max(age - self.from_age, 0.0)


# L1 trabecular bone loses 2.5 HU a year from its range at 25 (Jang et al. 2019), in the painted
# shell its marrow share (3/4) of that; muscle 0.44 HU a year from 40 (Framingham, above).
BONE_LOSS_HU_PER_YEAR = 2.5
BONE_AGE = 25.0
AGE_TRENDS = (
    AgeTrend("cancellous", BONE_AGE, BONE_LOSS_HU_PER_YEAR),
    AgeTrend("vertebral_cortex", BONE_AGE, 0.75 * BONE_LOSS_HU_PER_YEAR),
    AgeTrend("muscle", 40.0, 0.44),
)
FEMALE_HU = {"muscle": -4.0}  # Derstine et al. 2018: young women's muscle about 4 HU below men's
AGES = (18.0, 90.0)  # the ages a study may have (phantom_ct's `age` limits): the envelope QC holds over


def shift(age: float, sex: str) -> np.ndarray:
    """Each tissue's HU offset from its table range for a patient of `age` and `sex`."""
    out = np.zeros(len(TISSUES))
    for trend in AGE_TRENDS:
        out[TISSUE_INDEX[trend.tissue]] -= trend.loss(age)
    if sex == "F":
        for name, hu in FEMALE_HU.items():
            out[TISSUE_INDEX[name]] += hu
    return out


def envelope(name: str, phase: str) -> HURange:
    """`name`'s HU range in `phase` over every age and sex a study may have."""
    lo, hi = TISSUES[TISSUE_INDEX[name]].range(phase)
    lowest = min(float(shift(age, sex)[TISSUE_INDEX[name]]) for age in AGES for sex in ("F", "M"))
    return (lo + lowest, hi)


def sample_phases(phases: tuple[str, ...], age: float, sex: str, rng: np.random.Generator) -> list[np.ndarray]:
    """One study's HU per tissue index in each of `phases`: one uniform position per tissue (the
    kidney's cortex and medulla share one, as do liver and spleen) inside its ranges, shared by the
    phases, moved by the patient's age and sex (then the tumour's delayed washout, if asked)."""
    position = np.empty(len(TISSUES))
    position[: len(TISSUES) - len(GUT)] = rng.random(len(TISSUES) - len(GUT))
    # The bowel's fluid takes the stomach's fluid's place (the gut's fluid, one per patient): no draw
    # of its own, so every other tissue (and every later draw) is as before 0.10.0.
    for tissue, partner in GUT.items():
        position[TISSUE_INDEX[tissue]] = position[TISSUE_INDEX[partner]]
    # One kidney, one place in its ranges: unenhanced, cortex and medulla read as one parenchyma
    # (the measurements above are of the parenchyma, not of either part), and enhanced, the
    # cortex's lead stays inside the published 110-140 HU (arterial) and under 30 HU (portal),
    # where drawing the two apart could put the medulla above the cortex.
    position[TISSUE_INDEX["kidney_medulla"]] = position[TISSUE_INDEX["kidney"]]
    # Liver and spleen are concordant: a patient's liver reads high where the spleen does (100
    # normal adults, "in every instance": Piekarski J, Goldberg HI, Royal SA, Axel L, Moss AA.
    # Difference between liver and spleen CT numbers in the normal adult. Radiology
    # 1980;137:727-729); one place in both ranges keeps the unenhanced liver 10 HU above the spleen,
    # inside the 1-18 HU reference range of biopsy-proven non-steatotic livers (Park YS, Park SH,
    # Lee SS, et al. Radiology 2011;258:760-766), where two draws could put the spleen above the
    # liver, which reads as steatosis.
    position[TISSUE_INDEX["spleen"]] = position[TISSUE_INDEX["liver"]]
    washout = float(rng.uniform(*HCC_WASHOUT)) if "delayed" in phases else None
    offset = shift(age, sex)
    out = []
    for phase in phases:
        lo, hi = np.array([t.range(phase) for t in TISSUES], dtype=np.float64).T
        hu = lo + (hi - lo) * position  # numpy's uniform(lo, hi): the same doubles, one phase at a time
        hu += offset
        if phase == "delayed":
            hu[TISSUE_INDEX["hepatic_tumor"]] = hu[TISSUE_INDEX["liver"]] / washout
        out.append(hu.astype(np.float32))
    return out


def texture_table() -> np.ndarray:
    return np.array([t.texture_hu for t in TISSUES], dtype=np.float32)


# `appearance=random` (SynthSeg's recipe, Billot B et al., Med Image Anal 2023;86:102789): each
# tissue's mean drawn uniformly over the soft-tissue window and beyond, its texture scaled at
# random, so a model must learn shape and context rather than one grey level per organ. Air
# outside the body keeps its -1000 HU, so the body still meets the background.
RANDOM_HU = (-300.0, 400.0)
RANDOM_TEXTURE = (0.0, 3.0)  # factor on each tissue's own texture amplitude


def random_appearance(n_phases: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """One random HU table per phase, and one texture factor per tissue (shared by the phases)."""
    tables = []
    for _ in range(n_phases):
        hu = rng.uniform(*RANDOM_HU, len(TISSUES))
        hu[TISSUE_INDEX["air"]] = -1000.0
        tables.append(hu.astype(np.float32))
    return tables, rng.uniform(*RANDOM_TEXTURE, len(TISSUES)).astype(np.float32)
