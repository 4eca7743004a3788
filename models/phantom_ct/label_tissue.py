"""The tissue of every MAISI label, for CT painted on a label map that came from elsewhere.

The procedural torso pairs each structure with its tissue as it builds it; a user's mask has only
labels. Each of MAISI's classes gets the tissue of `phantom_ct.tissue` whose published HU (and
enhancement per phase) it shares. Approximations, all documented in docs/masks.md:

- brain -> `cord` (grey/white matter and cord are both about 30-40 HU unenhanced);
- thyroid -> `cartilage` (iodine-rich thyroid is about 90-120 HU before contrast);
- pulmonary veins, left atrial appendage -> `heart` (the left-heart blood pool's phases);
- arteries (brachiocephalic, subclavian, carotid, iliac) -> `aorta`; systemic veins -> `ivc`;
- trachea, airway -> `gas` (their lumen); stomach -> `stomach_wall`;
- duodenum, small bowel and colon -> a one-voxel `bowel_wall` where the loop meets another label,
  round `bowel_fluid` (the colon: `colon_content`, stool), as the procedural torso paints them
  (with no gas: a mask does not say where it lies);
- pancreatic tumour and colon cancer -> `lung_tumor` (a soft-tissue mass, mildly enhancing);
- bones -> `cancellous`, with a one-voxel `cortical` shell where the bone meets anything else;
- `body` and unlabelled voxels inside the body -> `fat`; outside it -> `air`;
- any other class (including MAISI's `dummy` placeholders) -> `muscle`, a soft-tissue default.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from models.labels import LabelDict
from models.phantom_ct.tissue import TISSUE_INDEX

EXACT = {
    "liver": "liver",
    "spleen": "spleen",
    "pancreas": "pancreas",
    "aorta": "aorta",
    "inferior vena cava": "ivc",
    "superior vena cava": "svc",
    "portal vein and splenic vein": "portal",
    "hepatic vessel": "hepatic_vessel",
    "gallbladder": "bile",
    "esophagus": "esophagus",
    "stomach": "stomach_wall",
    "duodenum": "bowel_wall",
    "small bowel": "bowel_wall",
    "colon": "bowel_wall",
    "bladder": "urine",
    "prostate": "prostate",
    "heart": "heart",
    "pulmonary vein": "heart",
    "left atrial appendage": "heart",
    "brachiocephalic trunk": "aorta",
    "trachea": "gas",
    "airway": "gas",
    "brain": "cord",
    "spinal cord": "cord",
    "thyroid gland": "cartilage",
    "costal cartilages": "cartilage",
    "hepatic tumor": "hepatic_tumor",
    "lung tumor": "lung_tumor",
    "pancreatic tumor": "lung_tumor",
    "colon cancer primaries": "lung_tumor",
    "bone lesion": "bone_lesion",
    "body": "fat",
}
BONES = ("vertebrae", "rib", "sacrum", "hip", "femur", "humerus", "scapula", "clavicula", "skull", "sternum")
CONTENT = {"colon": "colon_content"}  # what fills a bowel label inside its wall; any other: enteric fluid
MUSCLES = ("gluteus", "autochthon", "iliopsoas")


def tissue_of(name: str) -> str:
    """The tissue of the MAISI label `name`."""
    if name in EXACT:
        return EXACT[name]
    words = name.split()
    if "kidney" in words:
        return "cyst" if "cyst" in words else "kidney"
    if "adrenal" in words:
        return "adrenal"
    if "lung" in words:
        return "lung"
    if any(bone in words for bone in BONES):
        return "cancellous"
    if any(muscle in words for muscle in MUSCLES):
        return "muscle"
    if "artery" in words:
        return "aorta"
    if "vein" in words or "vena" in words:
        return "ivc"
    return "muscle"


def tissue_table(labels: LabelDict) -> np.ndarray:
    """Label value -> tissue index (256 entries; background is air)."""
    table = np.full(256, TISSUE_INDEX["muscle"], dtype=np.uint8)
    table[0] = TISSUE_INDEX["air"]
    for lb in labels:
        table[lb.value] = TISSUE_INDEX[tissue_of(lb.name)]
    return table


def tissue_map(label: np.ndarray, labels: LabelDict) -> np.ndarray:
    """The tissue of every voxel of `label` (which holds a body label): bones with a cortex, the
    bowel a wall round its content."""
    table = tissue_table(labels)
    tissue = table[label]
    bone = tissue == TISSUE_INDEX["cancellous"]
    if bone.any():
        tissue[bone & ~_interior(label, bone)] = TISSUE_INDEX["cortical"]
    bowel = tissue == TISSUE_INDEX["bowel_wall"]
    if bowel.any():
        content = np.zeros(256, dtype=np.uint8)
        for lb in labels:
            content[lb.value] = TISSUE_INDEX[CONTENT.get(lb.name, "bowel_fluid")]
        lumen = _interior(label, bowel)
        tissue[lumen] = content[label[lumen]]
    return tissue


def _interior(label: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The voxels of `mask` whose six neighbours are all in it and carry their label (each
    structure its own shell)."""
    same = np.ones(label.shape, dtype=bool)
    for axis in range(3):
        for step in (1, -1):
            same &= np.roll(label, step, axis=axis) == label
    return same & ndimage.binary_erosion(mask, border_value=1)
