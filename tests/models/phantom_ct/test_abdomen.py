"""The abdomen's organs as a reader of a CT knows them: kidneys with a cortex that leads the
medulla in the arterial (corticomedullary) phase; small-bowel loops in front of the kidneys."""

import functools

import numpy as np
from scipy import ndimage

from models.phantom_ct.abdomen import PARENCHYMA_MM, PERIRENAL_MM
from tests.models.phantom_ct.test_generator import VALUE, rendered

SHAPE = (96, 128, 128)
MUSCLES = ("iliopsoas", "autochthon")  # the labelled muscles behind and beside the kidneys


@functools.cache
def abdomen(index: int, contrast: str):
    return rendered(index, SHAPE, body_region="abdomen", contrast=contrast, noise_hu=8.0)[1]


def _kidney_spread(study) -> float:
    """Interdecile range of HU inside the kidneys, away from their edges."""
    inside = (study.label == VALUE["left kidney"]) | (study.label == VALUE["right kidney"])
    core = study.image[ndimage.binary_erosion(inside)].astype(float)
    return float(np.subtract(*np.percentile(core, [90, 10])))


def test_the_kidney_cortex_leads_the_medulla_in_the_arterial_phase():
    """Kim JK et al., Eur J Radiol 2007: 110-140 HU between cortex and medulla at the
    corticomedullary phase, about 30 HU unenhanced."""
    for index in range(2):
        arterial, plain = _kidney_spread(abdomen(index, "arterial")), _kidney_spread(abdomen(index, "non_contrast"))
        assert arterial > 70 and arterial > plain + 40, (index, arterial, plain)


def test_small_bowel_stays_in_front_of_the_kidneys():
    for index in range(2):
        study = abdomen(index, "portal_venous")
        kidneys = (study.label == VALUE["left kidney"]) | (study.label == VALUE["right kidney"])
        bowel = study.label == VALUE["small bowel"]
        if not bowel.any():
            continue
        assert np.argwhere(bowel)[:, 1].mean() < np.argwhere(kidneys)[:, 1].mean()


def test_the_kidney_wraps_its_sinus_in_parenchyma_15_mm_thick():
    """Glodny et al., BMC Urol 2009 (1,040 MDCT scans): parenchyma 15-16 mm thick round the renal
    sinus. A solid bean (phantom_ct before 0.5.0) held a ball of 33-46 mm; the sinus it wraps,
    opening at the hilum, is fat."""
    for index in range(2):
        study = abdomen(index, "non_contrast")
        spacing = study.spacing_mm
        for side in ("left kidney", "right kidney"):
            kidney = study.label == VALUE[side]
            thickest = 2 * ndimage.distance_transform_edt(kidney, sampling=spacing).max()
            assert thickest <= 2 * PARENCHYMA_MM + max(spacing), (index, side, thickest)
            wrapped = ndimage.binary_closing(kidney, ndimage.generate_binary_structure(3, 1), iterations=4) & ~kidney
            sinus_ml = np.count_nonzero(wrapped & (study.image < -50)) * np.prod(spacing) / 1000
            assert sinus_ml > 9.0, (index, side, sinus_ml)


def test_perirenal_fat_keeps_every_muscle_off_the_kidney():
    """The renal fascia closes the perirenal fat round the kidney, apart from the psoas and the back
    muscles (Meyers, Dynamic Radiology of the Abdomen): phantom_ct before 0.6.0 let them cut it flat
    and touch it with no fat between."""
    for index in range(2):
        study = abdomen(index, "non_contrast")
        muscles = np.isin(study.label, [VALUE[f"{side} {m}"] for side in ("left", "right") for m in MUSCLES])
        away = ndimage.distance_transform_edt(~muscles, sampling=study.spacing_mm)
        for side in ("left kidney", "right kidney"):
            nearest = away[study.label == VALUE[side]].min()
            assert nearest >= 0.5 * PERIRENAL_MM, (index, side, nearest)
