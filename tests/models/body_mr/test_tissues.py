"""The MR tissue of a torso's CT tissue map: every CT tissue maps to an MR one, a kidney from a mask
gets a cortex over its medulla and the heart a myocardial wall, and gadolinium reaches each
tissue as its CT enhancement says (the aorta fully, fat not at all)."""

import numpy as np

from models.body_mr.tissues import CORTEX_MM, CT_TO_MR, MYOCARDIUM_MM, gd_share, mr_tissue
from models.mr.tissue import INDEX, NAMES
from models.phantom_ct.tissue import TISSUE_INDEX, TISSUES


def test_every_ct_tissue_has_an_mr_tissue():
    assert {t.name for t in TISSUES} <= set(CT_TO_MR) and set(CT_TO_MR.values()) <= set(NAMES)
    ct = np.array([[[TISSUE_INDEX["fat"], TISSUE_INDEX["gas"], TISSUE_INDEX["liver"]]]], dtype=np.uint8)
    assert mr_tissue(ct, (1.0, 1.0, 1.0)).tolist() == [[[INDEX["fat"], INDEX["air"], INDEX["liver"]]]]


def test_a_solid_kidney_gets_a_cortex_and_the_heart_a_wall():
    ct = np.full((40, 64, 40), TISSUE_INDEX["fat"], dtype=np.uint8)
    ct[5:35, 5:25, 5:35] = TISSUE_INDEX["kidney"]  # a kidney from a mask: no pyramids painted
    ct[5:35, 30:60, 5:35] = TISSUE_INDEX["heart"]
    mr = mr_tissue(ct, (1.0, 1.0, 1.0))
    # A voxel k voxels inside the surface lies k + 1 mm from the fat: cortex up to CORTEX_MM.
    inside_cortex, past_cortex = 5 + int(CORTEX_MM) - 1, 5 + int(CORTEX_MM) + 1
    assert mr[20, inside_cortex, 20] == INDEX["kidney_cortex"] and mr[20, past_cortex, 20] == INDEX["kidney_medulla"]
    assert mr[20, 15, 20] == INDEX["kidney_medulla"]
    assert mr[20, 30 + int(MYOCARDIUM_MM) - 1, 20] == INDEX["heart_muscle"]
    assert mr[20, 45, 20] != INDEX["heart_muscle"]  # the chambers: blood
    painted = ct.copy()
    painted[15:25, 12:18, 15:25] = TISSUE_INDEX["kidney_medulla"]  # the phantom's own pyramids are kept
    kept = mr_tissue(painted, (1.0, 1.0, 1.0))
    assert kept[20, 8, 20] == INDEX["kidney_cortex"] and kept[20, 15, 20] == INDEX["kidney_medulla"]


def test_gadolinium_shares_follow_ct_enhancement():
    assert not gd_share(None).any()
    arterial, venous = gd_share("arterial"), gd_share("portal_venous")
    assert arterial[INDEX["blood"]] == 1.0 and arterial[INDEX["fat"]] == 0.0
    assert venous[INDEX["liver"]] > arterial[INDEX["liver"]] > 0  # the liver enhances most in the portal phase
    assert ((arterial >= 0) & (arterial <= 1.5)).all()
