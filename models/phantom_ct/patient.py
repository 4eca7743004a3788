"""The patient of a procedural torso: build and organ sizes from sex, age and habitus, the field
of view of a body region, and the anatomy (label map and tissue map) of one study, procedural or
from a user's mask. Shared by `phantom_ct` and `body_mr`, which image the same patients."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.anatomy import source
from models.anatomy.body import BODY, add_body
from models.base import GeneratorOptions
from models.errors import ParamError
from models.labels import LabelDict, maisi_ct_labels
from models.phantom_ct import anatomy, lesions
from models.phantom_ct.body import Body
from models.phantom_ct.label_tissue import tissue_map
from models.phantom_ct.render import paint
from models.phantom_ct.shapes import Grid

# Cranio-caudal extent (reference mm above the pubic symphysis) of each field of view.
REGIONS: dict[str, tuple[float, float]] = {
    "chest": (430.0, 700.0),
    "abdomen": (225.0, 510.0),
    "pelvis": (-40.0, 250.0),
    "chest_abdomen_pelvis": (-40.0, 700.0),
}

# Linear organ sizes relative to the reference (male, 50 years): sex, then the per-year shrinkage
# of volume after 50 (CT volumetry: liver, spleen and kidneys lose roughly 0.5-0.7 % a year).
SEX_SIZE = {"M": {}, "F": {"liver": 0.975, "spleen": 0.95, "kidney": 0.96, "heart": 0.9, "lung": 0.97}}
VOLUME_LOSS_PER_YEAR = {"liver": 0.006, "spleen": 0.005, "kidney": 0.006}
ORGANS = ("liver", "spleen", "kidney", "lung", "heart", "stomach", "prostate")
# Parameters that shape the procedural torso only (refused with anatomy=masks).
PROCEDURAL_ONLY = ("lesion_rate", "lesion_kinds", "lesion_size_mm", "inplane_mm", "slice_mm", "body_region")
Setup = tuple[tuple[int, int, int], tuple[float, float, float] | None, bool]  # shape, fixed spacing, shape given


def anatomy_setup(
    parsed: dict[str, Any],
    options: GeneratorOptions,
    grid: tuple[tuple[int, int, int], tuple[float, float, float] | None],
    procedural: tuple[str, ...],
    name: str,
) -> tuple[LabelDict, source.MaskAnatomy | None]:
    """A torso generator's label dictionary and mask source: on masks (`parsed["anatomy"]`), all of
    MAISI's labels and the checked masks (the procedural parameters refused); otherwise the
    `procedural` labels and no masks (the mask parameters refused). `options`: as given."""
    given = options.params
    if parsed["anatomy"] == "masks":
        for param in PROCEDURAL_ONLY:
            if param in given:
                raise ParamError(f"params.{param}", "shapes the procedural torso: only with params.anatomy=phantom")
        labels = maisi_ct_labels()
        masks = source.MaskAnatomy(parsed, labels, "maisi", options.open_folder)
        masks.check_grid(*grid)
        return labels, masks
    source.refuse_mask_options(dict(given))
    return maisi_ct_labels().subset(list(procedural), name=name), None


def draw_patient(
    drawn: dict[str, Any],
    lesion_size_mm: tuple[float, float],
    masks: source.MaskAnatomy | None,
    setup: Setup,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The patient and field of view of one study, from the already `drawn` anatomy parameters
    (sex, age, habitus, ..., and the procedural ones): lesions, build and organ sizes, and the
    grid; or, on masks, the mask and its pose instead of the procedural parts."""
    shape, spacing, shape_given = setup
    if masks is not None:
        for name in PROCEDURAL_ONLY:
            drawn.pop(name)
        body = body_params(drawn, rng)
        mask, placed = masks.sample(rng)
        fitted = list(spacing) if spacing is not None else masks.fitted_spacing(mask, shape)
        return {
            "anatomy": "masks",
            "body_region": None,
            "lesions": [],
            **drawn,
            **body,
            **placed,
            "shape": list(shape),
            "spacing_mm": fitted,
        }
    drawn["lesions"] = lesions.sample(tuple(drawn.pop("lesion_kinds")), drawn.pop("lesion_rate"), lesion_size_mm, rng)
    drawn.pop("lesion_size_mm")
    body = body_params(drawn, rng)
    return {**drawn, **body, **geometry(drawn, body, shape, spacing, shape_given)}


def body_params(drawn: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
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


def body(p: dict[str, Any]) -> Body:
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


def grid(shape: list[int], spacing: list[float], z_center: float) -> Grid:
    nz, ny, nx = shape
    dz, dy, dx = spacing
    # Centre the field of view on the body axis in x, slightly posterior in y (the spine).
    origin = (-(nx - 1) * dx / 2.0, 10.0 - (ny - 1) * dy / 2.0, z_center - (nz - 1) * dz / 2.0)
    return Grid(shape=(nz, ny, nx), spacing=(dz, dy, dx), origin=origin)


def geometry(
    drawn: dict[str, Any],
    body: dict[str, Any],
    shape_zyx: tuple[int, int, int],
    fixed_spacing: tuple[float, float, float] | None,
    shape_given: bool,
) -> dict[str, Any]:
    """Shape, spacing and the z centre of the field of view of `drawn["body_region"]`."""
    z_lo, z_hi = (z * body["height_scale"] for z in REGIONS[drawn["body_region"]])
    fov = float(np.clip(2.0 * (165.0 * body["frame_scale"] + body["fat_mm"]) * 1.08, 300.0, 500.0))
    shape = list(shape_zyx)
    if fixed_spacing is not None:
        spacing = list(fixed_spacing)
    else:
        spacing = [(z_hi - z_lo) / shape[0], fov / shape[1], fov / shape[2]]
        if drawn["slice_mm"] is not None:
            spacing[0] = drawn["slice_mm"]
            shape[0] = shape[0] if shape_given else int(np.clip(np.ceil((z_hi - z_lo) / spacing[0]), 16, 1024))
        if drawn["inplane_mm"] is not None:
            spacing[1] = spacing[2] = drawn["inplane_mm"]
            if not shape_given:
                shape[1] = shape[2] = int(np.clip(np.ceil(fov / spacing[1]), 16, 512))
    return {
        "shape": shape,
        "spacing_mm": [round(float(s), 4) for s in spacing],
        "z_center_mm": round((z_lo + z_hi) / 2.0, 2),
    }


def draw_anatomy(
    p: dict[str, Any], rng: np.random.Generator, labels: LabelDict, masks: source.MaskAnatomy | None, generator: str
) -> tuple[np.ndarray, np.ndarray]:
    """The label map and the tissue map of one study, procedural or from its mask."""
    if p.get("anatomy") != "masks":
        return paint(grid(p["shape"], p["spacing_mm"], p["z_center_mm"]), anatomy.build(body(p), rng), labels)
    if masks is None:
        raise ParamError("params.anatomy", f"this study was made from masks: build {generator} with anatomy=masks")
    shape = (int(p["shape"][0]), int(p["shape"][1]), int(p["shape"][2]))
    spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
    label = masks.label_map(p, shape, spacing, rng)
    if not (label == BODY).any():
        add_body(label, spacing, p["fat_mm"])
    return label, tissue_map(label, labels)
