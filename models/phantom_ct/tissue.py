"""Hounsfield units per tissue and contrast phase, from published CT figures.

Non-contrast ranges follow the usual CT references (air -1000; lung -900 to -600; fat -120 to -90;
water 0; muscle 35-55; liver 45-65; spleen 35-55; kidney 20-45; blood 30-50; cancellous bone
200-400; cortical bone 500-1900). Arterial and portal venous ranges follow typical multiphase
abdominal CT: aorta 150-350 HU arterial, liver parenchyma ~100-120 HU portal venous.
Each study draws one value per tissue uniformly inside its range: a fixed, published envelope with
honest patient-to-patient and scanner-to-scanner spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PHASES = ("non_contrast", "arterial", "portal_venous")

HURange = tuple[float, float]


@dataclass(frozen=True)
class Tissue:
    name: str
    non_contrast: HURange
    arterial: HURange | None = None  # None: contrast does not change it
    portal_venous: HURange | None = None
    texture_hu: float = 0.0  # standard deviation of the tissue's own texture

    def range(self, phase: str) -> HURange:
        shifted = {"arterial": self.arterial, "portal_venous": self.portal_venous}.get(phase)
        return shifted or self.non_contrast


TISSUES: tuple[Tissue, ...] = (
    Tissue("air", (-1000, -1000)),
    Tissue("gas", (-1000, -960), texture_hu=4),
    Tissue("lung", (-870, -780), texture_hu=22),
    Tissue("fat", (-115, -95), texture_hu=7),
    Tissue("skin", (20, 50), texture_hu=6),
    Tissue("muscle", (40, 52), (45, 58), (50, 62), texture_hu=6),
    Tissue("visceral", (-105, -90), texture_hu=6),  # mesenteric and retroperitoneal fat
    Tissue("liver", (50, 62), (65, 80), (100, 120), texture_hu=5),
    Tissue("spleen", (40, 52), (90, 130), (110, 130), texture_hu=6),
    Tissue("kidney", (28, 40), (140, 180), (150, 190), texture_hu=7),
    Tissue("aorta", (35, 48), (220, 330), (140, 180), texture_hu=3),
    Tissue("ivc", (35, 48), (50, 90), (120, 160), texture_hu=3),
    Tissue("svc", (35, 48), (250, 400), (130, 170), texture_hu=3),  # arm injection: dense in arterial
    Tissue("portal", (35, 48), (70, 110), (150, 190), texture_hu=3),
    Tissue("hepatic_vessel", (35, 48), (45, 70), (140, 180), texture_hu=3),  # hepatic veins
    Tissue("heart", (38, 50), (180, 280), (120, 160), texture_hu=7),
    Tissue("stomach_wall", (35, 48), (70, 100), (80, 110), texture_hu=5),
    Tissue("stomach_fluid", (5, 25), texture_hu=3),
    Tissue("bowel", (20, 40), (40, 60), (50, 70), texture_hu=8),  # fluid-filled loops, enhancing wall
    Tissue("colon_content", (-80, 20), texture_hu=55),  # stool
    Tissue("bile", (0, 20), texture_hu=3),
    Tissue("urine", (0, 15), texture_hu=3),
    Tissue("pancreas", (40, 52), (100, 130), (90, 110), texture_hu=8),
    Tissue("adrenal", (25, 40), (60, 80), (50, 70), texture_hu=5),
    Tissue("prostate", (30, 45), (50, 70), (60, 80), texture_hu=6),
    Tissue("esophagus", (30, 45), (50, 70), (60, 80), texture_hu=5),
    Tissue("airway_wall", (20, 45), (30, 55), (30, 60), texture_hu=5),
    Tissue("cortical", (700, 1300), texture_hu=60),
    Tissue("cancellous", (200, 350), texture_hu=45),  # young adult; falls with age (see sample_hu)
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
)

TISSUE_INDEX: dict[str, int] = {t.name: i for i, t in enumerate(TISSUES)}


# Trabecular bone loses ~2 HU a year after 35 (QCT/opportunistic CT screening figures).
BONE_LOSS_HU_PER_YEAR = 2.0


def sample_hu(phase: str, age: float, rng: np.random.Generator) -> np.ndarray:
    """One study's HU per tissue index, drawn uniformly inside each published range."""
    lo, hi = np.array([t.range(phase) for t in TISSUES], dtype=np.float64).T
    hu = rng.uniform(lo, hi)
    hu[TISSUE_INDEX["cancellous"]] -= BONE_LOSS_HU_PER_YEAR * max(age - 35.0, 0.0)
    return hu.astype(np.float32)


def texture_table() -> np.ndarray:
    return np.array([t.texture_hu for t in TISSUES], dtype=np.float32)
