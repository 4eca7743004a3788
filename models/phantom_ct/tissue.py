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
    Tissue("visceral", (-105, -90), texture_hu=6),  # mesenteric fat; bowel-like mottle added on top
    Tissue("liver", (50, 62), (65, 80), (100, 120), texture_hu=5),
    Tissue("spleen", (40, 52), (90, 130), (110, 130), texture_hu=6),
    Tissue("kidney", (28, 40), (140, 180), (150, 190), texture_hu=7),
    Tissue("aorta", (35, 48), (220, 330), (140, 180), texture_hu=3),
    Tissue("ivc", (35, 48), (50, 90), (120, 160), texture_hu=3),
    Tissue("heart", (38, 50), (180, 280), (120, 160), texture_hu=7),
    Tissue("stomach_wall", (35, 48), (70, 100), (80, 110), texture_hu=5),
    Tissue("stomach_fluid", (5, 25), texture_hu=3),
    Tissue("cortical", (700, 1300), texture_hu=60),
    Tissue("cancellous", (200, 350), texture_hu=45),
    Tissue("cartilage", (90, 140), texture_hu=8),
    Tissue("disc", (70, 100), texture_hu=6),
    Tissue("csf", (2, 12), texture_hu=3),
    Tissue("cord", (30, 42), texture_hu=3),
)

TISSUE_INDEX: dict[str, int] = {t.name: i for i, t in enumerate(TISSUES)}
BOWEL_HU: HURange = (25, 45)  # soft tissue of the bowel loops mottling the visceral fat


def sample_hu(phase: str, rng: np.random.Generator) -> np.ndarray:
    """One study's HU per tissue index, drawn uniformly inside each published range."""
    lo, hi = np.array([t.range(phase) for t in TISSUES], dtype=np.float64).T
    return rng.uniform(lo, hi).astype(np.float32)


def texture_table() -> np.ndarray:
    return np.array([t.texture_hu for t in TISSUES], dtype=np.float32)
