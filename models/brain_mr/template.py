"""Brain anatomy from the MNI ICBM152 2009a symmetric templates that ship inside the nilearn wheel.

Only the grey- and white-matter probability maps are used, and only for anatomy (the T1 template's
intensities are never used). nilearn's copies are 1 mm, 197 x 233 x 189, skull-stripped. Labels
are derived as follows, in template (MNI, RAS) millimetres, on a grid padded by 24 mm all round:

- brain tissue: GM + WM probability >= 0.5;
- intracranial volume: the brain tissue closed (6 mm) and hole-filled, then grown by 2 mm;
- lateral ventricles: intracranial voxels not brain tissue, inside the filled brain, more than
  8 mm from its outer surface, above the axial plane z = -10 mm and within 30 mm of the midline;
- sulcal / extra-cerebral CSF: every other intracranial voxel that is not brain tissue;
- skull: 2 to 9 mm outside the intracranial volume; scalp: 9 to 15 mm outside it;
- cerebellum: brain tissue below z = -22 + 0.35 (y + 45) mm (a plane standing in for the
  tentorium) and behind y = -32 mm; brainstem: brain tissue within 14 mm of the midline, between
  y = -44 and -12 mm, below z = -6 mm, not cerebellum;
- deep grey matter (basal ganglia, thalamus): GM-dominant voxels within |x| < 32, -32 < y < 24,
  -14 < z < 22 mm, more than 9 mm from the brain's outer surface;
- cortical grey matter / cerebral white matter: the rest of the brain tissue, by the larger of
  the two probabilities;
- left / right: split at x = 0 (the template is symmetric).

Distances are counted in 1 mm steps of an 18-connected element (close to Euclidean). The result
is cached per process (deriving it takes about a second).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from models.errors import GeneratorError
from models.labels import Label, LabelDict, label_color

PAD_MM = 24
# Distances are counted in steps of this 18-connected element: within ~10 % of Euclidean, and an
# order of magnitude faster than distance transforms on the padded 15-million-voxel grid.
ROUND = ndimage.generate_binary_structure(3, 2)
NAMES = (
    "scalp",
    "skull",
    "csf",
    "left lateral ventricle",
    "right lateral ventricle",
    "left cortical grey matter",
    "right cortical grey matter",
    "left cerebral white matter",
    "right cerebral white matter",
    "left deep grey matter",
    "right deep grey matter",
    "left cerebellum",
    "right cerebellum",
    "brainstem",
    "white matter hyperintensity",
    "tumour",
)
LABELS = LabelDict("brain_mr", tuple(Label(i + 1, name, label_color(i + 1)) for i, name in enumerate(NAMES)))
VALUE = {lb.name: lb.value for lb in LABELS}
# Flipping left and right swaps these values.
MIRROR = {
    VALUE[f"left {n}"]: VALUE[f"right {n}"]
    for n in ("lateral ventricle", "cortical grey matter", "cerebral white matter", "deep grey matter", "cerebellum")
}


@dataclass(frozen=True)
class Template:
    labels: np.ndarray  # uint8, template voxel order (x, y, z) in RAS, padded
    origin_mm: tuple[float, float, float]  # RAS mm of voxel (0, 0, 0)
    head_box: tuple[tuple[int, int], ...]  # voxel range of the head (scalp included) per axis


def template_path(name: str) -> str:
    """The nilearn wheel's MNI ICBM152 2009a file `name` (t1, gm, wm)."""
    # Located, not imported: importing nilearn would pull in scikit-learn and pandas for nothing.
    spec = importlib.util.find_spec("nilearn")
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorError("generator.name: brain_mr needs the nilearn package (its MNI templates)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return str(folder / f"mni_icbm152_{name}_tal_nlin_sym_09a_converted.nii.gz")


def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    image = nib.load(template_path(name))
    return np.asarray(image.dataobj, dtype=np.float32) / 255.0, image.affine


@cache
def template() -> Template:
    gm, affine = _load("gm")
    wm, _ = _load("wm")
    gm, wm = (np.pad(v, PAD_MM) for v in (gm, wm))
    origin = tuple(float(o) - PAD_MM for o in affine[:3, 3])
    x, y, z = (origin[i] + np.arange(gm.shape[i], dtype=np.float32) for i in range(3))
    x, y, z = x[:, None, None], y[None, :, None], z[None, None, :]

    tissue = gm + wm >= 0.5
    filled = ndimage.binary_fill_holes(ndimage.binary_closing(tissue, ROUND, iterations=6))
    intracranial = _grow(filled, 2)
    skull = _grow(intracranial, 7)
    head = _grow(skull, 6)

    labels = np.zeros(gm.shape, dtype=np.uint8)
    labels[head & ~skull] = VALUE["scalp"]
    labels[skull & ~intracranial] = VALUE["skull"]
    labels[intracranial & ~tissue] = VALUE["csf"]
    side = np.broadcast_to(x < 0, gm.shape)
    deep_8mm = ndimage.binary_erosion(filled, ROUND, iterations=8)
    _paint(labels, deep_8mm & ~tissue & (z > -10) & (np.abs(x) < 30), side, "lateral ventricle")
    grey = tissue & (gm >= wm)
    _paint(labels, tissue & ~grey, side, "cerebral white matter")
    _paint(labels, grey, side, "cortical grey matter")
    deep = grey & (np.abs(x) < 32) & (y > -32) & (y < 24) & (z > -14) & (z < 22)
    deep &= ndimage.binary_erosion(deep_8mm, ROUND)
    _paint(labels, deep, side, "deep grey matter")
    cerebellum = tissue & (z < -22 + 0.35 * (y + 45)) & (y < -32)
    _paint(labels, cerebellum, side, "cerebellum")
    labels[tissue & ~cerebellum & (np.abs(x) < 14) & (y > -44) & (y < -12) & (z < -6)] = VALUE["brainstem"]

    head = np.argwhere(labels > 0)
    box = tuple((int(lo), int(hi) + 1) for lo, hi in zip(head.min(axis=0), head.max(axis=0), strict=True))
    return Template(labels=labels, origin_mm=origin, head_box=box)


def _grow(mask: np.ndarray, mm: int) -> np.ndarray:
    return ndimage.binary_dilation(mask, ROUND, iterations=mm)


def _paint(labels: np.ndarray, mask: np.ndarray, left: np.ndarray, name: str) -> None:
    labels[mask & left] = VALUE[f"left {name}"]
    labels[mask & ~left] = VALUE[f"right {name}"]
