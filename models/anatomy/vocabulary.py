"""Vocabularies: how the label values of a user's mask map onto a generator's label dictionary.

- `maisi`: the values are MAISI's own (identity), as in the label dictionary MAISI ships.
- `totalsegmentator`: TotalSegmentator v2's `total` task, 117 classes, as listed in its
  `totalsegmentator/map_to_binary.py` (`class_map["total"]`, wasserth/TotalSegmentator). Every class
  has a MAISI namesake: the side moves to the front (`kidney_left` -> `left kidney`,
  `rib_left_1` -> `left rib 1`) and `urinary_bladder` is MAISI's `bladder`.
- `totalsegmentator_mr`: TotalSegmentator's `total_mr` task, 50 classes (`class_map["total_mr"]`,
  same file), named as `totalsegmentator` names them. Some of its classes are wider than any one
  label of MAISI's (`vertebrae` is every vertebra, `lung_left` both left lobes): they keep their
  own names (`vertebrae`, `left lung`), which `jobs.evaluate`'s classes group by (`vertebrae` is
  every vertebra of the dataset's). It names real labels for `jobs.evaluate`; as a mask vocabulary
  it is refused, naming such a class (it has no one MAISI label to paint).
- `freesurfer`: the `aseg` values of FreeSurfer's colour table (`FreeSurferColorLUT.txt`) onto
  brain_mr's labels: cortex and hippocampus/amygdala -> cortical grey matter; thalamus, caudate,
  putamen, pallidum, accumbens and ventral DC -> deep grey matter; cerebellar cortex and white
  matter -> cerebellum; the inferior lateral ventricle and choroid plexus -> lateral ventricle;
  3rd, 4th, 5th ventricles, CSF and vessels -> csf; the optic chiasm -> brainstem (midline white
  matter); WM and non-WM hypointensities -> white matter hyperintensity (they are lesions that are
  dark on T1 and bright on FLAIR); the corpus callosum (251-255), which is midline, -> cerebral white
  matter of the side each voxel lies on.
- `synthseg`: SynthSeg's training label maps (BBillot/SynthSeg `data/training_label_maps/`):
  `freesurfer` plus the values those maps add, grouped as SynthSeg's own
  `data/labels_classes_priors/generation_classes.npy` keeps them apart. SynthSeg names one of
  them (507, extra-cerebral soft tissue, in `scripts/tutorials/2-generation_explained.py`); the
  others were read from the maps themselves, their layer order outward from the brain (which
  label each touches, how far outside the intracranial volume, how deep under the head's
  surface, where), over the shared maps: 25 / 57 (Left- / Right-Lesion in FreeSurfer's table) are
  lesions; 136, 137 / 163, 164 lie deep inside the left / right hemisphere 15-30 mm from the
  midline, within the brain (basal-ganglia depth): deep grey matter; 515 is the layer just outside
  the CSF (about 440 ml) and 516 lies inside it (the diploe): skull; 507 (soft tissue), 511 (the
  outermost sheet, touching the air) and 509 (anterior and low, against the air: the nose) are
  scalp; 508 (thin, behind the eyes, between soft tissue and bone: the optic nerves) is scalp, as
  brain_mr has no nerve outside the brain; 506 (two 6 ml globes in front of the brain, in soft
  tissue: the eyes) is fluid, brain_mr's csf; 512 (below the brainstem, wrapped in CSF: the spinal
  cord) is brainstem; 502, 514 and 530 (thin, between CSF, bone and soft tissue at the skull base)
  are csf, as brain_mr's template paints everything between brain and skull.
- a JSON file `{"<source value>": "<target label name>" | "background"}`.

A value present in a mask with no mapping is an error naming the file and the value: a label map is
never silently thinned out. Mapping a value to `background` (0) is how a user drops it on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.errors import GeneratorError, ParamError
from models.labels import LabelDict, maisi_ct_labels

BACKGROUND = "background"
FIELD = "params.vocabulary"
NAMES = ("maisi", "totalsegmentator", "totalsegmentator_mr", "freesurfer", "synthseg")

# TotalSegmentator v2, task `total` (class_map["total"] in totalsegmentator/map_to_binary.py).
TOTALSEGMENTATOR_V2: dict[int, str] = {
    1: "spleen", 2: "kidney_right", 3: "kidney_left", 4: "gallbladder", 5: "liver", 6: "stomach",
    7: "pancreas", 8: "adrenal_gland_right", 9: "adrenal_gland_left", 10: "lung_upper_lobe_left",
    11: "lung_lower_lobe_left", 12: "lung_upper_lobe_right", 13: "lung_middle_lobe_right",
    14: "lung_lower_lobe_right", 15: "esophagus", 16: "trachea", 17: "thyroid_gland", 18: "small_bowel",
    19: "duodenum", 20: "colon", 21: "urinary_bladder", 22: "prostate", 23: "kidney_cyst_left",
    24: "kidney_cyst_right", 25: "sacrum", 26: "vertebrae_S1", 27: "vertebrae_L5", 28: "vertebrae_L4",
    29: "vertebrae_L3", 30: "vertebrae_L2", 31: "vertebrae_L1", 32: "vertebrae_T12", 33: "vertebrae_T11",
    34: "vertebrae_T10", 35: "vertebrae_T9", 36: "vertebrae_T8", 37: "vertebrae_T7", 38: "vertebrae_T6",
    39: "vertebrae_T5", 40: "vertebrae_T4", 41: "vertebrae_T3", 42: "vertebrae_T2", 43: "vertebrae_T1",
    44: "vertebrae_C7", 45: "vertebrae_C6", 46: "vertebrae_C5", 47: "vertebrae_C4", 48: "vertebrae_C3",
    49: "vertebrae_C2", 50: "vertebrae_C1", 51: "heart", 52: "aorta", 53: "pulmonary_vein",
    54: "brachiocephalic_trunk", 55: "subclavian_artery_right", 56: "subclavian_artery_left",
    57: "common_carotid_artery_right", 58: "common_carotid_artery_left", 59: "brachiocephalic_vein_left",
    60: "brachiocephalic_vein_right", 61: "atrial_appendage_left", 62: "superior_vena_cava",
    63: "inferior_vena_cava", 64: "portal_vein_and_splenic_vein", 65: "iliac_artery_left",
    66: "iliac_artery_right", 67: "iliac_vena_left", 68: "iliac_vena_right", 69: "humerus_left",
    70: "humerus_right", 71: "scapula_left", 72: "scapula_right", 73: "clavicula_left", 74: "clavicula_right",
    75: "femur_left", 76: "femur_right", 77: "hip_left", 78: "hip_right", 79: "spinal_cord",
    80: "gluteus_maximus_left", 81: "gluteus_maximus_right", 82: "gluteus_medius_left",
    83: "gluteus_medius_right", 84: "gluteus_minimus_left", 85: "gluteus_minimus_right",
    86: "autochthon_left", 87: "autochthon_right", 88: "iliopsoas_left", 89: "iliopsoas_right",
    90: "brain", 91: "skull",
    **{91 + k: f"rib_left_{k}" for k in range(1, 13)},
    **{103 + k: f"rib_right_{k}" for k in range(1, 13)},
    116: "sternum", 117: "costal_cartilages",
}  # fmt: skip
TOTALSEGMENTATOR_RENAMED = {"urinary_bladder": "bladder"}
# TotalSegmentator, task `total_mr` (class_map["total_mr"], the same file, at commit 0e65a44).
TOTALSEGMENTATOR_MR: dict[int, str] = {
    1: "spleen", 2: "kidney_right", 3: "kidney_left", 4: "gallbladder", 5: "liver", 6: "stomach",
    7: "pancreas", 8: "adrenal_gland_right", 9: "adrenal_gland_left", 10: "lung_left", 11: "lung_right",
    12: "esophagus", 13: "small_bowel", 14: "duodenum", 15: "colon", 16: "urinary_bladder", 17: "prostate",
    18: "sacrum", 19: "vertebrae", 20: "intervertebral_discs", 21: "spinal_cord", 22: "heart", 23: "aorta",
    24: "inferior_vena_cava", 25: "portal_vein_and_splenic_vein", 26: "iliac_artery_left",
    27: "iliac_artery_right", 28: "iliac_vena_left", 29: "iliac_vena_right", 30: "humerus_left",
    31: "humerus_right", 32: "scapula_left", 33: "scapula_right", 34: "clavicula_left", 35: "clavicula_right",
    36: "femur_left", 37: "femur_right", 38: "hip_left", 39: "hip_right", 40: "gluteus_maximus_left",
    41: "gluteus_maximus_right", 42: "gluteus_medius_left", 43: "gluteus_medius_right",
    44: "gluteus_minimus_left", 45: "gluteus_minimus_right", 46: "autochthon_left", 47: "autochthon_right",
    48: "iliopsoas_left", 49: "iliopsoas_right", 50: "brain",
}  # fmt: skip

# FreeSurfer aseg values (FreeSurferColorLUT.txt) -> brain_mr label names; "side" splits at the midline.
FREESURFER_ASEG: dict[int, str] = {
    2: "left cerebral white matter", 41: "right cerebral white matter",
    3: "left cortical grey matter", 42: "right cortical grey matter",
    17: "left cortical grey matter", 53: "right cortical grey matter",  # hippocampus
    18: "left cortical grey matter", 54: "right cortical grey matter",  # amygdala
    4: "left lateral ventricle", 43: "right lateral ventricle",
    5: "left lateral ventricle", 44: "right lateral ventricle",  # inferior lateral ventricle
    31: "left lateral ventricle", 63: "right lateral ventricle",  # choroid plexus
    7: "left cerebellum", 46: "right cerebellum",  # cerebellar white matter
    8: "left cerebellum", 47: "right cerebellum",  # cerebellar cortex
    10: "left deep grey matter", 49: "right deep grey matter",  # thalamus
    11: "left deep grey matter", 50: "right deep grey matter",  # caudate
    12: "left deep grey matter", 51: "right deep grey matter",  # putamen
    13: "left deep grey matter", 52: "right deep grey matter",  # pallidum
    26: "left deep grey matter", 58: "right deep grey matter",  # accumbens area
    28: "left deep grey matter", 60: "right deep grey matter",  # ventral DC
    14: "csf", 15: "csf", 72: "csf", 24: "csf", 30: "csf", 62: "csf",  # ventricles 3-5, CSF, vessels
    16: "brainstem", 85: "brainstem",  # brain stem, optic chiasm
    77: "white matter hyperintensity", 78: "white matter hyperintensity",
    79: "white matter hyperintensity", 80: "white matter hyperintensity",
}  # fmt: skip
# SynthSeg's training maps: the values they add to FreeSurfer's (see the module docstring).
SYNTHSEG_EXTRA: dict[int, str] = {
    25: "white matter hyperintensity", 57: "white matter hyperintensity",  # Left-/Right-Lesion
    136: "left deep grey matter", 137: "left deep grey matter",
    163: "right deep grey matter", 164: "right deep grey matter",
    507: "scalp", 511: "scalp", 509: "scalp", 508: "scalp",
    515: "skull", 516: "skull",
    506: "csf", 502: "csf", 514: "csf", 530: "csf",
    512: "brainstem",
}  # fmt: skip
FREESURFER_MIDLINE: dict[int, tuple[str, str]] = {  # corpus callosum: (left, right) by the voxel's side
    v: ("left cerebral white matter", "right cerebral white matter") for v in (251, 252, 253, 254, 255)
}


def maisi_name(totalsegmentator: str) -> str:
    """A TotalSegmentator v2 class name as MAISI's label name."""
    name = TOTALSEGMENTATOR_RENAMED.get(totalsegmentator, totalsegmentator)
    words = name.split("_")
    for side in ("left", "right"):
        if side in words:
            words.remove(side)
            words.insert(0, side)
    return " ".join(words)


@dataclass(frozen=True)
class Vocabulary:
    """Source value -> target value, as a lookup table over 0..65535; unmapped values are -1."""

    name: str
    table: np.ndarray  # int32, -1 where a value has no mapping
    midline: dict[int, tuple[int, int]] = field(default_factory=dict)  # value -> (left, right) targets

    @property
    def lookup(self) -> np.ndarray:
        """uint8 value -> target value (unmapped values, already refused, as background)."""
        return np.where(self.table < 0, 0, self.table).astype(np.uint8)

    def apply(self, values: np.ndarray, where: str, x_ras: np.ndarray | None = None) -> np.ndarray:
        """`values` (whole numbers) mapped to uint8 target values; `x_ras`, when midline values
        occur, the RAS x of each voxel relative to the midline (positive: the patient's right)."""
        low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
        if low < 0 or high >= self.table.size:
            bad = low if low < 0 else high
            raise GeneratorError(f"{FIELD}: {where} holds the value {bad}, outside any label vocabulary")
        present = set(np.flatnonzero(np.bincount(values.ravel(), minlength=high + 1)).tolist())
        missing = sorted(v for v in present if self.table[v] < 0 and v not in self.midline)
        if missing:
            raise GeneratorError(
                f"{FIELD}: {where} holds the value {missing[0]}, which {self.name} does not map "
                f"(map it to a label, or to {BACKGROUND!r} on purpose, in a JSON vocabulary)"
            )
        out = self.lookup[values]
        for value, (left, right) in self.midline.items():
            if value not in present:
                continue
            at = values == value
            if at.any():
                side = x_ras[at] > 0 if x_ras is not None else np.zeros(int(at.sum()), dtype=bool)
                out[at] = np.where(side, right, left)
        return out


def load(spec: str, labels: LabelDict) -> Vocabulary:
    """The vocabulary `spec` names (one of `NAMES`, or a JSON file)
    onto `labels`; `ParamError` naming the field for an unknown name, file, value or label."""
    if spec == "maisi":
        return _table(spec, {lb.value: lb.name for lb in labels}, labels)
    name, names, midline = mapping(spec)
    return _table(name, names, labels, midline)


def mapping(spec: str) -> tuple[str, dict[int, str], dict[int, tuple[str, str]]]:
    """The vocabulary `spec` as names: (its name, source value -> target label name, midline
    source value -> (left, right) target names). `maisi` maps MAISI's values to its names."""
    if not isinstance(spec, str) or not spec.strip():
        raise ParamError(FIELD, f"must be one of {', '.join(NAMES)} or a JSON file, got {spec!r}")
    if spec == "maisi":
        return spec, {lb.value: lb.name for lb in maisi_ct_labels()}, {}
    if spec == "totalsegmentator":
        return spec, {v: maisi_name(n) for v, n in TOTALSEGMENTATOR_V2.items()}, {}
    if spec == "totalsegmentator_mr":
        return spec, {v: maisi_name(n) for v, n in TOTALSEGMENTATOR_MR.items()}, {}
    if spec == "freesurfer":
        return spec, dict(FREESURFER_ASEG), dict(FREESURFER_MIDLINE)
    if spec == "synthseg":
        return spec, {**FREESURFER_ASEG, **SYNTHSEG_EXTRA}, dict(FREESURFER_MIDLINE)
    if not spec.endswith(".json"):
        raise ParamError(FIELD, f"must be one of {', '.join(NAMES)} or a JSON file (*.json), got {spec!r}")
    try:
        raw = json.loads(Path(spec).expanduser().read_text())
    except (OSError, ValueError) as exc:
        raise ParamError(FIELD, f"{spec} is not a readable JSON file ({exc})") from None
    if not isinstance(raw, dict) or not raw:
        raise ParamError(FIELD, f"{spec} must hold an object {{source value: label name}}")
    names: dict[int, str] = {}
    for key, name in raw.items():
        try:
            value = int(key)
        except ValueError:
            raise ParamError(FIELD, f"{spec}: {key!r} is not a whole label value") from None
        if not 0 <= value <= 65535 or not isinstance(name, str):
            raise ParamError(FIELD, f"{spec}: {key!r} -> {name!r} must map a value in [0, 65535] to a label name")
        names[value] = name
    return Path(spec).name, names, {}


def identity(labels: LabelDict) -> Vocabulary:
    """The generator's own values (a medsynth dataset made with the same dictionary)."""
    return _table("identity", {lb.value: lb.name for lb in labels}, labels)


def _table(
    name: str, mapping: dict[int, str], labels: LabelDict, midline: dict[int, tuple[str, str]] | None = None
) -> Vocabulary:
    values = {lb.name: lb.value for lb in labels}
    values[BACKGROUND] = 0

    def target(label: str) -> int:
        if label not in values:
            raise ParamError(FIELD, f"{name} maps to {label!r}, which is not a label of {labels.name}")
        return values[label]

    table = np.full(65536, -1, dtype=np.int32)
    table[0] = 0
    for value, label in mapping.items():
        table[value] = target(label)
    sides = {v: (target(left), target(right)) for v, (left, right) in (midline or {}).items()}
    return Vocabulary(name, table, sides)
