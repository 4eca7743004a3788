"""The MR tissue of every voxel of a torso, from the tissue map `phantom_ct` paints (procedural or
from a user's mask), and each tissue's share of blood's gadolinium concentration by phase.

Mapping choices (docs/generators/body_mr.md lists them):
- CT's `gas` and `air` are air; `visceral` and `fat` are fat; the femoral shaft's fatty `marrow`
  is fat; cancellous bone is (red and yellow) marrow; `cortical` is cortical bone;
- the kidney's cortex and medullary pyramids are the phantom's own (`kidney`, `kidney_medulla`);
  a kidney without pyramids (a user's mask) has its outer CORTEX_MM as cortex and the rest medulla;
- the vertebral body's painted cortical shell (`vertebral_cortex`) is cortical bone: the dark
  rim a vertebra shows on every sequence;
- the heart's outer MYOCARDIUM_MM is myocardium, the rest blood (the phantom's heart is one
  solid; normal left-ventricular wall thickness is under 12 mm, Lang RM et al., J Am Soc
  Echocardiogr 2015;28:1-39);
- the aorta is arterial blood; the caval, portal and hepatic veins venous blood (flowing: a
  spin echo's flow void is `models.mr.signal.washout`; inflow enhancement is not modelled);
- stomach, oesophagus and skin are muscle (smooth muscle and dermis: no abdominal relaxometry of
  their own); the adrenal glands are liver, which they match on routine sequences;
- stomach and small-bowel content is fluid-rich bowel content, colon content stool; bile, urine,
  cerebrospinal fluid and cysts are fluid.

Gadolinium and iodine are both small extracellular agents with the same distribution, so a
tissue's share of blood's concentration at a phase is its CT enhancement over the aorta's in that
phase (the midpoints of `phantom_ct.tissue`'s ranges); the delayed phase takes the portal venous
shares.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from models.mr.tissue import INDEX, NAMES
from models.phantom_ct.tissue import TISSUE_INDEX, TISSUES

CORTEX_MM = 6.0
MYOCARDIUM_MM = 10.0

CT_TO_MR: dict[str, str] = {
    "air": "air",
    "gas": "air",
    "lung": "lung",
    "fat": "fat",
    "skin": "muscle",
    "muscle": "muscle",
    "visceral": "fat",
    "liver": "liver",
    "spleen": "spleen",
    "kidney": "kidney_cortex",
    "kidney_medulla": "kidney_medulla",
    "aorta": "blood",
    "ivc": "venous_blood",
    "svc": "venous_blood",
    "portal": "venous_blood",
    "hepatic_vessel": "venous_blood",
    "heart": "blood",
    "stomach_wall": "muscle",
    "stomach_fluid": "bowel_content",
    "bowel_wall": "muscle",
    "colon_content": "stool",
    "bile": "fluid",
    "urine": "fluid",
    "pancreas": "pancreas",
    "adrenal": "liver",
    "prostate": "prostate",
    "esophagus": "muscle",
    "airway_wall": "cartilage",
    "cortical": "cortical_bone",
    "vertebral_cortex": "cortical_bone",
    "cancellous": "marrow",
    "marrow": "fat",
    "cartilage": "cartilage",
    "disc": "disc",
    "csf": "fluid",
    "cord": "spinal_cord",
    "hepatic_tumor": "hepatic_tumour",
    "lung_tumor": "lung_tumour",
    "cyst": "fluid",
    "bone_lesion": "bone_lesion",
    "bowel_fluid": "bowel_content",
}
TABLE = np.array([INDEX[CT_TO_MR[t.name]] for t in TISSUES], dtype=np.uint8)

# MR tissue -> the CT tissue whose enhancement it shares (absent: the agent does not reach it).
ENHANCES_AS: dict[str, str] = {
    "liver": "liver",
    "spleen": "spleen",
    "pancreas": "pancreas",
    "kidney_cortex": "kidney",
    "kidney_medulla": "kidney_medulla",
    "muscle": "muscle",
    "heart_muscle": "muscle",
    "blood": "aorta",
    "venous_blood": "ivc",
    "prostate": "prostate",
    "hepatic_tumour": "hepatic_tumor",
    "lung_tumour": "lung_tumor",
    "bone_lesion": "bone_lesion",
}


def mr_tissue(ct_tissue: np.ndarray, spacing_mm: tuple[float, float, float]) -> np.ndarray:
    """MR tissue indices (`models.mr.tissue.NAMES`) of a `phantom_ct` tissue map."""
    tissue = TABLE[ct_tissue]
    if not (ct_tissue == TISSUE_INDEX["kidney_medulla"]).any():  # a kidney from a mask: one solid
        kidney = ct_tissue == TISSUE_INDEX["kidney"]
        tissue[kidney] = INDEX["kidney_medulla"]
        _outer_shell(tissue, kidney, spacing_mm, CORTEX_MM, INDEX["kidney_cortex"])
    _outer_shell(tissue, ct_tissue == TISSUE_INDEX["heart"], spacing_mm, MYOCARDIUM_MM, INDEX["heart_muscle"])
    return tissue


def gd_share(phase: str | None) -> np.ndarray:
    """Each MR tissue's gadolinium concentration as a fraction of arterial blood's at `phase`."""
    share = np.zeros(len(NAMES))
    if phase is None:
        return share
    ct_phase = "arterial" if phase == "arterial" else "portal_venous"

    def rise(name: str) -> float:
        t = TISSUES[TISSUE_INDEX[name]]
        return float(np.mean(t.range(ct_phase)) - np.mean(t.range("non_contrast")))

    for mr_name, ct_name in ENHANCES_AS.items():
        share[INDEX[mr_name]] = max(rise(ct_name), 0.0) / rise("aorta")
    return share


def _outer_shell(
    tissue: np.ndarray, inside: np.ndarray, spacing_mm: tuple[float, float, float], thickness_mm: float, value: int
) -> None:
    """Set `value` on the voxels of `inside` within `thickness_mm` of its surface (its box only)."""
    found = [np.argwhere(inside.any(axis=other)) for other in ((1, 2), (0, 2), (0, 1))]
    if any(f.size == 0 for f in found):
        return
    box = tuple(slice(max(int(f.min()) - 1, 0), int(f.max()) + 2) for f in found)
    region = inside[box]
    depth = ndimage.distance_transform_edt(region, sampling=spacing_mm)
    tissue[box][region & (depth <= thickness_mm)] = value
