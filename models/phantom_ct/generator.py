"""`phantom_ct`: a procedural torso CT with MAISI label indices. CPU only, weight-free.

Sampling (`sample_params`) draws the patient and the acquisition; rendering builds the anatomy
from them plus fine per-organ jitter from the study's render stream, paints it, forms the image,
measures it and runs quality control, redrawing the render stream (not the patient) on failure.

With `params.anatomy=masks` the anatomy is a user's label map instead (`models.anatomy`): a mask
and a pose are drawn per study, the mask is placed on the grid, a body outline grown by the
patient's subcutaneous fat is added where the mask has none, and each label's tissue comes from
`label_tissue`; the image is formed exactly as for the procedural torso. The dictionary is then
all of MAISI's, so any MAISI-vocabulary mask (or TotalSegmentator's, mapped) is painted.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from models.anatomy import source
from models.anatomy.body import BODY, add_body
from models.base import QC, RENDER_STREAM, GeneratorOptions, Study, StudySpec, study_rng
from models.errors import ParamError
from models.labels import LabelDict, maisi_ct_labels
from models.measure import measure
from models.options import Choice, Param, Range, Setting, Subset, parse_params, sample
from models.phantom_ct import anatomy, lesions, qc
from models.phantom_ct.body import Body
from models.phantom_ct.label_tissue import tissue_map
from models.phantom_ct.render import form_image, paint
from models.phantom_ct.shapes import Grid
from models.phantom_ct.skeleton import VERTEBRAE
from models.phantom_ct.tissue import PHASES, sample_hu

DEFAULT_SHAPE = (192, 256, 256)  # z, y, x
SHAPE_LIMITS = (16, 1024)
SPACING_LIMITS = (0.2, 10.0)
MAX_REDRAWS = 3

# Cranio-caudal extent (reference mm above the pubic symphysis) of each field of view.
REGIONS: dict[str, tuple[float, float]] = {
    "chest": (430.0, 700.0),
    "abdomen": (225.0, 510.0),
    "pelvis": (-40.0, 250.0),
    "chest_abdomen_pelvis": (-40.0, 700.0),
}

PARAMS: dict[str, Param] = {
    "body_region": Choice(tuple(REGIONS), tuple(REGIONS)),
    "contrast": Choice(PHASES, PHASES),
    "sex": Choice(("F", "M"), ("F", "M")),
    "age": Range((18.0, 90.0), (20.0, 85.0)),  # organ size trends, bone density
    "habitus": Range((0.0, 1.0), (0.0, 1.0)),  # 0 lean .. 1 obese: subcutaneous and visceral fat
    "inspiration": Range((0.0, 1.0), (0.6, 1.0)),  # breath-hold depth: lung volume, diaphragm
    "bladder_fill": Range((0.0, 1.0), (0.2, 1.0)),
    "noise_hu": Range((0.0, 60.0), (8.0, 25.0)),  # image noise standard deviation (dose)
    "inplane_mm": Range((0.3, 3.0), None),  # null: fitted to the body; set: drawn, shape follows
    "slice_mm": Range((0.5, 8.0), None),  # null: fitted to the region
    "lesion_rate": Range((0.0, 1.0), (0.0, 0.0)),  # chance of each lesion kind per study
    "lesion_kinds": Subset(lesions.KINDS, lesions.KINDS),
    "lesion_size_mm": Range((2.0, 80.0), (8.0, 30.0)),  # diameter
    "qc_tolerance_hu": Range((-50.0, 500.0), (25.0, 25.0)),  # widens (negative: narrows) QC's HU ranges
}
# Where the anatomy comes from; the masks' own parameters. Not drawn with PARAMS, so procedural
# studies keep the draws (and the bytes) they always had.
ANATOMY_PARAMS: dict[str, Param] = {"anatomy": Setting("phantom", allowed=("phantom", "masks")), **source.PARAMS}
PROCEDURAL_ONLY = ("lesion_rate", "lesion_kinds", "lesion_size_mm", "inplane_mm", "slice_mm", "body_region")

LABELS = (
    "body",
    "liver",
    "hepatic vessel",
    "gallbladder",
    "spleen",
    "pancreas",
    "stomach",
    "duodenum",
    "small bowel",
    "colon",
    "esophagus",
    "right kidney",
    "left kidney",
    "right adrenal gland",
    "left adrenal gland",
    "bladder",
    "prostate",
    "aorta",
    "inferior vena cava",
    "superior vena cava",
    "portal vein and splenic vein",
    "left iliac artery",
    "right iliac artery",
    "left iliac vena",
    "right iliac vena",
    "heart",
    "trachea",
    "airway",
    "right lung upper lobe",
    "right lung middle lobe",
    "right lung lower lobe",
    "left lung upper lobe",
    "left lung lower lobe",
    "spinal cord",
    "left autochthon",
    "right autochthon",
    "left iliopsoas",
    "right iliopsoas",
    "left gluteus maximus",
    "right gluteus maximus",
    "sacrum",
    "left hip",
    "right hip",
    "left femur",
    "right femur",
    "sternum",
    "costal cartilages",
    *(f"vertebrae {name}" for name, *_ in VERTEBRAE),
    *(f"{side} rib {k}" for side in ("left", "right") for k in range(1, 13)),
    "hepatic tumor",
    "lung tumor",
    "left kidney cyst",
    "right kidney cyst",
    "bone lesion",
)

# Linear organ sizes relative to the reference (male, 50 years): sex, then the per-year shrinkage
# of volume after 50 (CT volumetry: liver, spleen and kidneys lose roughly 0.5-0.7 % a year).
SEX_SIZE = {"M": {}, "F": {"liver": 0.975, "spleen": 0.95, "kidney": 0.96, "heart": 0.9, "lung": 0.97}}
VOLUME_LOSS_PER_YEAR = {"liver": 0.006, "spleen": 0.005, "kidney": 0.006}
ORGANS = ("liver", "spleen", "kidney", "lung", "heart", "stomach", "prostate")


class PhantomCT:
    name = "phantom_ct"
    version = "0.2.0"
    # Steerable values that also become catalog columns (beside sex, age, contrast, body_region).
    columns: ClassVar[dict[str, str]] = {
        "habitus": "double",
        "inspiration": "double",
        "noise_hu": "double",
        "lesion_count": "int64",
    }

    def __init__(self, options: GeneratorOptions) -> None:
        self.shape_given = options.shape is not None
        self.shape = _check_shape(options.shape)
        self.spacing = _check_spacing(options.spacing_mm)
        self.params = parse_params({**PARAMS, **ANATOMY_PARAMS}, options.params)
        self.masks: source.MaskAnatomy | None = None
        if self.params["anatomy"] == "masks":
            for name in PROCEDURAL_ONLY:
                if name in options.params:
                    raise ParamError(f"params.{name}", "shapes the procedural torso: only with params.anatomy=phantom")
            self.label_dict: LabelDict = maisi_ct_labels()
            self.masks = source.MaskAnatomy(self.params, self.label_dict, "maisi")
            self.masks.check_grid(self.shape, self.spacing)
        else:
            source.refuse_mask_options(dict(options.params))
            self.label_dict = maisi_ct_labels().subset(list(LABELS), name="phantom_ct")

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        if self.masks is not None:
            return self._sample_on_masks(self.masks, rng)
        drawn = sample(PARAMS, self.params, rng)
        drawn["lesions"] = lesions.sample(
            tuple(drawn.pop("lesion_kinds")), drawn.pop("lesion_rate"), self.params["lesion_size_mm"], rng
        )
        drawn.pop("lesion_size_mm")
        body = _body_params(drawn, rng)
        return {"modality": "CT", **drawn, **body, **self._geometry(drawn, body)}

    def _sample_on_masks(self, masks: source.MaskAnatomy, rng: np.random.Generator) -> dict[str, Any]:
        drawn = sample(PARAMS, self.params, rng)
        for name in PROCEDURAL_ONLY:
            drawn.pop(name)
        body = _body_params(drawn, rng)
        mask, placed = masks.sample(rng)
        spacing = list(self.spacing) if self.spacing is not None else masks.fitted_spacing(mask, self.shape)
        return {
            "modality": "CT",
            "anatomy": "masks",
            "body_region": None,
            "lesions": [],
            **drawn,
            **body,
            **placed,
            "shape": list(self.shape),
            "spacing_mm": spacing,
        }

    def _geometry(self, drawn: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        z_lo, z_hi = (z * body["height_scale"] for z in REGIONS[drawn["body_region"]])
        fov = float(np.clip(2.0 * (165.0 * body["frame_scale"] + body["fat_mm"]) * 1.08, 300.0, 500.0))
        shape = list(self.shape)
        if self.spacing is not None:
            spacing = list(self.spacing)
        else:
            spacing = [(z_hi - z_lo) / shape[0], fov / shape[1], fov / shape[2]]
            if drawn["slice_mm"] is not None:
                spacing[0] = drawn["slice_mm"]
                shape[0] = shape[0] if self.shape_given else int(np.clip(np.ceil((z_hi - z_lo) / spacing[0]), 16, 1024))
            if drawn["inplane_mm"] is not None:
                spacing[1] = spacing[2] = drawn["inplane_mm"]
                if not self.shape_given:
                    shape[1] = shape[2] = int(np.clip(np.ceil(fov / spacing[1]), 16, 512))
        return {
            "shape": shape,
            "spacing_mm": [round(float(s), 4) for s in spacing],
            "z_center_mm": round((z_lo + z_hi) / 2.0, 2),
        }

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        p = spec.params
        spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
        for attempt in range(MAX_REDRAWS + 1):
            rng = study_rng(spec.seed, RENDER_STREAM, attempt)
            label, tissue = self._anatomy(p, rng)
            image = form_image(tissue, sample_hu(p["contrast"], p["age"], rng), spacing, p["noise_hu"], rng)
            del tissue
            measurements = measure(image, label, spacing, self.label_dict)
            result = qc.check(image, measurements.labels, p["contrast"], p["body_region"], p["qc_tolerance_hu"])
            if result.passed:
                break
        columns = {
            "habitus": p["habitus"],
            "inspiration": p["inspiration"],
            "noise_hu": p["noise_hu"],
            "lesion_count": len(p["lesions"]),
        }
        return Study(image, label, spacing, measurements, QC(result.passed, attempt, result.failures), columns)

    def _anatomy(self, p: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The label map and the tissue map of one study, procedural or from its mask."""
        if p.get("anatomy") != "masks":
            grid = _grid(p["shape"], p["spacing_mm"], p["z_center_mm"])
            return paint(grid, anatomy.build(_body(p), rng), self.label_dict)
        if self.masks is None:
            raise ParamError("params.anatomy", "this study was made from masks: build phantom_ct with anatomy=masks")
        shape = (int(p["shape"][0]), int(p["shape"][1]), int(p["shape"][2]))
        spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
        label = self.masks.label_map(p, shape, spacing, rng)
        if not (label == BODY).any():
            add_body(label, spacing, p["fat_mm"])
        return label, tissue_map(label, self.label_dict)

    def label_map(self, params: dict[str, Any], seed: int) -> tuple[np.ndarray, tuple[float, float, float]]:
        """Only the label map of a study (the anatomy `render` would draw first), and its spacing:
        what other generators condition on (`maisi_ct`). `params` as `sample_params` made them."""
        grid = _grid(params["shape"], params["spacing_mm"], params["z_center_mm"])
        label, _ = paint(grid, anatomy.build(_body(params), study_rng(seed, RENDER_STREAM)), self.label_dict)
        return label, grid.spacing


def _body_params(drawn: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """The patient's build and organ sizes, from sex, age and habitus plus individual spread."""
    sex, age, habitus = drawn["sex"], drawn["age"], drawn["habitus"]
    organs = {}
    for organ in ORGANS:
        size = SEX_SIZE[sex].get(organ, 1.0)
        loss = VOLUME_LOSS_PER_YEAR.get(organ, 0.0) * max(age - 50.0, 0.0)
        size *= max(1.0 - loss, 0.5) ** (1.0 / 3.0) * np.exp(rng.normal(0, 0.06))
        if organ == "prostate":  # benign growth with age
            size *= 1.0 + 0.008 * max(age - 45.0, 0.0)
        organs[organ] = round(float(size), 4)
    return {
        "frame_scale": round(
            float((1.0 if sex == "M" else 0.93) * np.exp(rng.normal(0, 0.035)) * (1.0 + 0.04 * habitus)), 4
        ),
        "height_scale": round(float((1.0 if sex == "M" else 0.94) * np.exp(rng.normal(0, 0.03))), 4),
        "fat_mm": round(float(max(4.0 + 38.0 * habitus + (4.0 if sex == "F" else 0.0) + rng.normal(0, 2.0), 2.0)), 2),
        "visceral_fat": round(
            float(np.clip(0.8 * habitus + (0.15 if sex == "M" else 0.0) + rng.normal(0, 0.05), 0, 1)), 3
        ),
        "organ_scale": organs,
        "stomach_gas": round(float(rng.uniform(0.05, 0.5)), 3),
    }


def _body(p: dict[str, Any]) -> Body:
    return Body(
        sex=p["sex"],
        age=p["age"],
        frame_scale=p["frame_scale"],
        height_scale=p["height_scale"],
        fat_mm=p["fat_mm"],
        visceral_fat=p["visceral_fat"],
        organ_scale=p["organ_scale"],
        inspiration=p["inspiration"],
        stomach_gas=p["stomach_gas"],
        bladder_fill=p["bladder_fill"],
        lesions=tuple(p["lesions"]),
    )


def _grid(shape: list[int], spacing: list[float], z_center: float) -> Grid:
    nz, ny, nx = shape
    dz, dy, dx = spacing
    # Centre the field of view on the body axis in x, slightly posterior in y (the spine).
    origin = (-(nx - 1) * dx / 2.0, 10.0 - (ny - 1) * dy / 2.0, z_center - (nz - 1) * dz / 2.0)
    return Grid(shape=(nz, ny, nx), spacing=(dz, dy, dx), origin=origin)


def _check_shape(shape: tuple[int, ...] | None) -> tuple[int, int, int]:
    if shape is None:
        return DEFAULT_SHAPE
    lo, hi = SHAPE_LIMITS
    if len(shape) != 3 or any(not lo <= int(n) <= hi for n in shape):
        raise ParamError("shape", f"phantom_ct makes 3 sizes (z, y, x) each within [{lo}, {hi}], got {list(shape)}")
    return (int(shape[0]), int(shape[1]), int(shape[2]))


def _check_spacing(spacing: tuple[float, ...] | None) -> tuple[float, float, float] | None:
    if spacing is None:
        return None
    lo, hi = SPACING_LIMITS
    if len(spacing) != 3 or any(not lo <= float(s) <= hi for s in spacing):
        raise ParamError(
            "spacing_mm", f"phantom_ct takes 3 spacings (z, y, x) in mm within [{lo}, {hi}], got {list(spacing)}"
        )
    return (float(spacing[0]), float(spacing[1]), float(spacing[2]))
