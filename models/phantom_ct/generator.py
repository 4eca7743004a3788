"""`phantom_ct`: a procedural torso CT with MAISI label indices. CPU only, weight-free."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models.base import RENDER_STREAM, GeneratorOptions, Study, StudySpec, study_rng
from models.errors import ParamError
from models.labels import LabelDict, maisi_ct_labels
from models.measure import measure
from models.options import Choice, Param, Range, parse_params, sample
from models.phantom_ct import anatomy
from models.phantom_ct.render import form_image, paint
from models.phantom_ct.shapes import Grid
from models.phantom_ct.tissue import PHASES, sample_hu

DEFAULT_SHAPE = (192, 256, 256)  # z, y, x
SHAPE_LIMITS = (16, 1024)
SPACING_LIMITS = (0.2, 10.0)

# Cranio-caudal extent (reference mm above the pubic symphysis) of each field of view.
REGIONS: dict[str, tuple[float, float]] = {
    "chest": (430.0, 700.0),
    "abdomen": (225.0, 510.0),
}

PARAMS: dict[str, Param] = {
    "body_region": Choice(tuple(REGIONS), tuple(REGIONS)),
    "contrast": Choice(PHASES, PHASES),
    "sex": Choice(("F", "M"), ("F", "M")),
    "age": Range((18.0, 90.0), (20.0, 85.0)),
    "habitus": Range((0.0, 1.0), (0.0, 1.0)),  # 0 lean .. 1 obese: subcutaneous fat, frame
    "inspiration": Range((0.0, 1.0), (0.6, 1.0)),  # breath-hold depth: lung volume, diaphragm
    "noise_hu": Range((0.0, 60.0), (8.0, 25.0)),  # image noise standard deviation (dose)
}

LABELS = (
    "body",
    "liver",
    "spleen",
    "stomach",
    "right kidney",
    "left kidney",
    "aorta",
    "inferior vena cava",
    "heart",
    "right lung upper lobe",
    "right lung middle lobe",
    "right lung lower lobe",
    "left lung upper lobe",
    "left lung lower lobe",
    "spinal cord",
    "left autochthon",
    "right autochthon",
    *(f"vertebrae {name}" for name, *_ in anatomy.VERTEBRAE),
    *(f"{side} rib {k}" for side in ("left", "right") for k in range(1, 13)),
    "sternum",
    "costal cartilages",
)

# Non-contrast reference volumes (ml) of the male reference body at organ scale 1 were tuned to
# published adult means; the scales below move them to the sampled sex (ICRP 89 / CT volumetry).
SEX_ORGAN_SCALE = {
    "M": {"liver": 1.0, "spleen": 1.0, "kidney": 1.0},
    "F": {"liver": 0.94, "spleen": 0.95, "kidney": 0.95},
}


class PhantomCT:
    name = "phantom_ct"
    version = "0.1.0"

    def __init__(self, options: GeneratorOptions) -> None:
        self.shape = _check_shape(options.shape)
        self.spacing = _check_spacing(options.spacing_mm)
        self.params = parse_params(PARAMS, options.params)
        self.label_dict: LabelDict = maisi_ct_labels().subset(list(LABELS), name="phantom_ct")

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        drawn = sample(PARAMS, self.params, rng)
        sex = drawn["sex"]
        habitus = drawn["habitus"]
        frame = (1.0 if sex == "M" else 0.93) * np.exp(rng.normal(0, 0.035)) * (1.0 + 0.06 * habitus)
        organs = {
            organ: float(SEX_ORGAN_SCALE[sex].get(organ, 1.0) * np.exp(rng.normal(0, 0.06)))
            for organ in ("liver", "spleen", "kidney", "lung", "heart", "stomach")
        }
        body = {
            "frame_scale": float(frame),
            "height_scale": float((1.0 if sex == "M" else 0.94) * np.exp(rng.normal(0, 0.03))),
            "fat_mm": float(4.0 + 38.0 * habitus + (4.0 if sex == "F" else 0.0) + rng.normal(0, 2.0)),
            "organ_scale": organs,
            "stomach_gas": float(rng.uniform(0.05, 0.5)),
        }
        geometry = self._geometry(drawn["body_region"], body)
        return {"modality": "CT", **drawn, **body, **geometry}

    def _geometry(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        z_lo, z_hi = (z * body["height_scale"] for z in REGIONS[region])
        if self.spacing is not None:
            spacing = self.spacing
        else:
            half_width = 165.0 * body["frame_scale"] + body["fat_mm"]
            fov = float(np.clip(2.0 * half_width * 1.08, 300.0, 500.0))
            spacing = ((z_hi - z_lo) / self.shape[0], fov / self.shape[1], fov / self.shape[2])
        return {
            "shape": list(self.shape),
            "spacing_mm": [round(float(s), 4) for s in spacing],
            "z_center_mm": round((z_lo + z_hi) / 2.0, 2),
        }

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        p = spec.params
        rng = study_rng(spec.seed, RENDER_STREAM)
        body = anatomy.Body(
            sex=p["sex"],
            frame_scale=p["frame_scale"],
            height_scale=p["height_scale"],
            fat_mm=p["fat_mm"],
            organ_scale=p["organ_scale"],
            inspiration=p["inspiration"],
            stomach_gas=p["stomach_gas"],
        )
        grid = _grid(p["shape"], p["spacing_mm"], p["z_center_mm"])
        label, tissue = paint(grid, anatomy.build(body, rng), self.label_dict)
        hu = sample_hu(p["contrast"], rng)
        image = form_image(tissue, hu, grid.spacing, p["noise_hu"], rng)
        return Study(
            image=image, label=label, spacing_mm=grid.spacing, meta=measure(image, label, grid.spacing, self.label_dict)
        )


def _grid(shape: list[int], spacing: list[float], z_center: float) -> Grid:
    nz, ny, nx = shape
    dz, dy, dx = spacing
    # Centre the field of view on the body axis in x, slightly posterior in y (the spine).
    origin = (-(nx - 1) * dx / 2.0, 10.0 - (ny - 1) * dy / 2.0, z_center - (nz - 1) * dz / 2.0)
    return Grid(shape=(nz, ny, nx), spacing=(dz, dy, dx), origin=origin)


def _check_shape(shape: tuple[int, int, int] | None) -> tuple[int, int, int]:
    if shape is None:
        return DEFAULT_SHAPE
    lo, hi = SHAPE_LIMITS
    if len(shape) != 3 or any(not lo <= int(n) <= hi for n in shape):
        raise ParamError("shape", f"phantom_ct makes 3 sizes (z, y, x) each within [{lo}, {hi}], got {list(shape)}")
    return (int(shape[0]), int(shape[1]), int(shape[2]))


def _check_spacing(spacing: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
    if spacing is None:
        return None
    lo, hi = SPACING_LIMITS
    if len(spacing) != 3 or any(not lo <= float(s) <= hi for s in spacing):
        raise ParamError(
            "spacing_mm", f"phantom_ct takes 3 spacings (z, y, x) in mm within [{lo}, {hi}], got {list(spacing)}"
        )
    return (float(spacing[0]), float(spacing[1]), float(spacing[2]))
