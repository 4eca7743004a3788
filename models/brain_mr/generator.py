"""`brain_mr`: SynthSeg-style domain-randomised brain MRI with voxel-exact labels. Weight-free.

Per study: a random affine and a smooth diffeomorphism deform the template's labels onto the
output grid (optionally mirrored, left and right swapped); optional lesions are painted in; every
label gets a Gaussian intensity from a contrast preset or fully random; a bias field and a gamma
transform follow; the scan's own resolution is simulated (blur, downsample, resample back) and
Rician noise added. The image is stored as uint16 (0-4095, like 12-bit MR). Half the studies
(`skull_strip_rate`) are then brain-extracted, as most pipelines and many public datasets deliver
brain images (`models.brain_mr.extraction`); their label maps still hold the whole head.

With `params.anatomy=masks` the labels come from a user's label maps instead of the template
(`models.anatomy`: FreeSurfer `aseg` volumes through `vocabulary=freesurfer`, or a brain_mr
dataset's own label maps), posed and deformed the same way; everything after the labels is the same.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, ClassVar

import numpy as np
import torch

from models import quality, series
from models.anatomy import source
from models.anatomy.place import Pose
from models.base import RENDER_STREAM, BaseGenerator, GeneratorOptions, Study, StudySpec, study_rng
from models.brain_mr import physics
from models.brain_mr.extraction import strip
from models.brain_mr.intensity import CONTRASTS, gamma, mixture, paint_intensities
from models.brain_mr.spatial import Warp, sample_warp, warp_labels
from models.brain_mr.template import LABELS, VALUE, template
from models.errors import ParamError
from models.measure import measure
from models.mr import render as mr_render
from models.mr import sequence as mr_sequence
from models.mr.acquisition import Acquisition, acquire, bias_field, sample_acquisition
from models.mr.record import MR_RECORD, MRRecord
from models.mr.sequence import Sequence
from models.mr.tissue import sample_properties
from models.options import Choice, Param, Range, Setting, sample

DEFAULT_SHAPE = (176, 208, 176)  # z, y, x at 1 mm: the adult head with room to rotate
SHAPE_LIMITS = (16, 512)
SPACING_LIMITS = (0.3, 8.0)
WHITE = (VALUE["left cerebral white matter"], VALUE["right cerebral white matter"])
BRAIN = (
    *WHITE,
    VALUE["left cortical grey matter"],
    VALUE["right cortical grey matter"],
    VALUE["left deep grey matter"],
    VALUE["right deep grey matter"],
)
TOP = 3000  # the brightest tissue's value in the stored uint16 image

PARAMS: dict[str, Param] = {
    "contrast": Choice((*CONTRASTS, "physics"), CONTRASTS),
    "rotation_deg": Range((0.0, 45.0), (15.0, 15.0)),  # largest rotation about each axis
    "scaling": Range((0.0, 0.5), (0.15, 0.15)),  # largest log-scale per axis (about +-16 %)
    "shear": Range((0.0, 0.2), (0.02, 0.02)),
    "deformation_mm": Range((0.0, 10.0), (3.0, 3.0)),  # largest velocity-field standard deviation
    "flip_rate": Range((0.0, 1.0), (0.5, 0.5)),  # chance of a left-right mirror (labels swapped)
    "bias": Range((0.0, 1.0), (0.0, 0.3)),
    "gamma": Range((0.0, 1.0), (0.2, 0.2)),  # standard deviation of log(gamma)
    "resolution_mm": Range((0.5, 8.0), (1.0, 4.0)),  # isotropic acquisitions
    "thickness_mm": Range((0.5, 10.0), (1.0, 8.0)),  # thick-slice acquisitions (one axis)
    "anisotropic": Range((0.0, 1.0), (0.5, 0.5)),  # chance an acquisition is thick-slice
    "noise": Range((0.0, 0.3), (0.01, 0.05)),
    "wmh_rate": Range((0.0, 1.0), (0.0, 0.0)),  # chance of white-matter hyperintensities
    "tumour_rate": Range((0.0, 1.0), (0.0, 0.0)),
    "tumour_mm": Range((4.0, 60.0), (10.0, 40.0)),  # tumour diameter
}
# Where the labels come from; drawn after PARAMS, so template studies keep their bytes. The pose
# of a mask is the warp brain_mr draws anyway (its own strengths), not the masks' defaults.
ANATOMY_PARAMS: dict[str, Param] = {
    "anatomy": Setting("template", allowed=("template", "masks")),
    **{k: v for k, v in source.PARAMS.items() if k not in PARAMS},
}


# Brain extraction (`models.brain_mr.extraction`), drawn last of all, so every other draw is as it was.
# Half the studies by default: a model should meet whole heads and brain-extracted ones alike.
EXTRACTION_PARAMS: dict[str, Param] = {
    "skull_strip_rate": Range((0.0, 1.0), (0.5, 0.5)),  # chance the image is brain-extracted
}


# `contrast=physics`: a clinical sequence on the tissue table (`models.mr`), drawn after everything
# else, so preset studies keep their bytes.
MR_PARAMS: dict[str, Param] = mr_sequence.params(
    mr_sequence.names(physics.SEQUENCES_BASE), physics.SEQUENCES_BASE, phases=("delayed",)
)


class BrainMR(BaseGenerator):
    name = "brain_mr"
    # 0.4.0: half the studies brain-extracted (params.skull_strip_rate, models.brain_mr.extraction)
    version = "0.4.0"  # 0.3.0: contrast=physics follows models.mr (muscle T1, fat on echo trains)
    # Several sequences of one head (`generator.series`): the physical ones, so contrast=physics.
    series_names = mr_sequence.names(physics.SEQUENCES_BASE)
    # The common catalog columns its params fill (models.base.DESCRIBED): a head has no sex or age here.
    describes: ClassVar[dict[str, str]] = {"contrast": "contrast", "body_region": "body_region"}
    default_shape, shape_limits, spacing_limits = DEFAULT_SHAPE, SHAPE_LIMITS, SPACING_LIMITS
    # Every parameter `generator.params` may hold, as parsed (docs/reference/generators.md is made from it).
    declared_params: ClassVar[dict[str, Param]] = {
        **PARAMS,
        **ANATOMY_PARAMS,
        **MR_PARAMS,
        **series.PARAMS,
        **EXTRACTION_PARAMS,
    }
    acquisition: ClassVar[MRRecord] = MR_RECORD  # what the export reads back (models.base.AcquisitionRecord)
    columns: ClassVar[dict[str, str]] = {
        "resolution_mm": "double",
        "noise": "double",
        "flipped": "bool",
        "lesion_count": "int64",
        "skull_stripped": "bool",
        **mr_sequence.COLUMNS,
    }

    def __init__(self, options: GeneratorOptions) -> None:
        super().__init__(options)  # shape, spacing and params, checked
        self.series = series.check(options.series, self.series_names, self.name)
        series.refuse_options(self.series, options.params, steered=mr_sequence.SERIES_STEERED)
        if self.series is not None:
            if self.params["contrast"] not in (CONTRASTS, ("physics",)):
                raise ParamError(
                    "params.contrast", "generator.series are physical sequences: contrast=physics or unset"
                )
            self.params["contrast"] = ("physics",)
        if "physics" in self.params["contrast"]:
            mr_sequence.check_timings(self.params)
        else:
            given = sorted(set(options.params) & set(MR_PARAMS))
            if given:
                raise ParamError(f"params.{given[0]}", "sets an MR sequence: only with params.contrast=physics")
        self.label_dict = LABELS
        self.masks: source.MaskAnatomy | None = None
        if self.params["anatomy"] == "masks":
            self.masks = source.MaskAnatomy(self.params, LABELS, None, options.open_folder)
            self.masks.check_grid(self.shape, self.spacing)
        else:
            source.refuse_mask_options(dict(options.params), own=tuple(PARAMS))

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        d = sample(PARAMS, self.params, rng)
        warp = sample_warp(rng, d["rotation_deg"], d["scaling"], d["shear"], d["deformation_mm"], d["flip_rate"])
        acq = sample_acquisition(rng, d["resolution_mm"], d["thickness_mm"], d["anisotropic"], d["noise"])
        lesions = {
            "wmh": bool(rng.random() < d["wmh_rate"]),
            "wmh_count": int(rng.integers(4, 16)),
            "tumour": bool(rng.random() < d["tumour_rate"]),
            "tumour_mm": d["tumour_mm"],
        }
        spacing = self.spacing or tuple(1.0 * n / s for n, s in zip(DEFAULT_SHAPE, self.shape, strict=True))
        placed = {"anatomy": "masks", **self.masks.sample(rng, _pose(warp))[1]} if self.masks is not None else {}
        mr = mr_sequence.draw(MR_PARAMS, self.params, rng) if d["contrast"] == "physics" else {}
        if self.series is not None:  # every series at the study's field; the first one's sequence is the study's
            field_t = Sequence.from_json(mr["sequence"]).field_t
            mr.update(mr_sequence.draw_series(self.series, MR_PARAMS, self.params, field_t, rng))
            mr.update(series.draw(self.series, self.params["misregistration_mm"], rng))
        strip_rate = sample(EXTRACTION_PARAMS, self.params, rng)["skull_strip_rate"]
        return {
            **mr,
            **placed,
            "modality": "MR",
            "contrast": d["contrast"],
            "body_region": "head",
            "warp": asdict(warp),
            "acquisition": asdict(acq),
            "lesions": lesions,
            "bias": d["bias"],
            "log_gamma": float(rng.normal(0.0, d["gamma"])),
            "shape": list(self.shape),
            "spacing_mm": [round(float(s), 4) for s in spacing],
            "skull_stripped": bool(rng.random() < strip_rate),
        }

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        p = spec.params
        if p["contrast"] == "physics":
            return self._render_physics(spec)
        rng = study_rng(spec.seed, RENDER_STREAM)
        label, warp, lesion_count = self._labels(p, rng)
        image = paint_intensities(label, *mixture(p["contrast"], rng), rng)
        bias_field(image, p["bias"], rng)
        image = gamma(image, p["log_gamma"])
        acq = Acquisition(tuple(p["acquisition"]["resolution_mm"]), p["acquisition"]["noise"])
        spacing = tuple(p["spacing_mm"])
        image = acquire(image, spacing, acq, rng)
        stored = np.clip(np.rint(image * TOP), 0, 4095).astype(np.uint16)
        if p.get("skull_stripped"):
            measurements = strip([stored], label, p, spacing)[1][0]
        else:
            measurements = measure(stored, label, spacing, LABELS)  # type: ignore[arg-type]
        columns = {
            "resolution_mm": max(acq.resolution_mm),
            "noise": acq.noise,
            "flipped": warp.flip,
            "lesion_count": lesion_count,
            "skull_stripped": bool(p.get("skull_stripped")),
            **mr_sequence.columns(None, None),
        }
        return Study(stored, label, spacing, measurements, columns=columns)  # type: ignore[arg-type]

    def _render_physics(self, spec: StudySpec) -> Study:
        """The labels as for every contrast, imaged by the drawn sequence on the tissue table;
        QC checks the orderings that sequence implies and redraws the render stream on failure."""
        p = spec.params
        spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
        resolution = tuple(p["acquisition"]["resolution_mm"])
        acquisitions = mr_render.acquisitions(p, resolution)  # type: ignore[arg-type]
        first = acquisitions[0][0]
        table, share = physics.tissue_table(), physics.gd_share()

        def attempt(rng: np.random.Generator) -> tuple[tuple, bool, tuple[str, ...]]:
            label, warp, lesion_count = self._labels(p, rng)
            tissue = table[label]
            props = sample_properties(first.field_t, None, rng)
            imaged = mr_render.image_series(
                tissue, label, LABELS, physics.CHECKED, acquisitions, props, lambda _: share, p, rng
            )
            return (label, warp, lesion_count, imaged), imaged.passed, imaged.failures

        (label, warp, lesion_count, imaged), checked = quality.until_passed(spec.seed, attempt)
        images, measured = imaged.images, imaged.measured
        if p.get("skull_stripped"):  # after QC, whose orderings include the scalp's
            images, measured = strip(images, label, p, spacing)
        columns = {
            "resolution_mm": max(resolution),
            "noise": None,
            "flipped": warp.flip,
            "lesion_count": lesion_count,
            "skull_stripped": bool(p.get("skull_stripped")),
            **mr_sequence.columns(first, acquisitions[0][1].snr),
        }
        return series.study(images, label, spacing, measured, checked, columns, p)

    def _labels(self, p: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, Warp, int]:
        """The study's label map (template or mask, warped, lesions painted), its warp and lesion count."""
        shape, spacing = tuple(p["shape"]), tuple(p["spacing_mm"])
        warp = Warp(**{k: tuple(v) if isinstance(v, list) else v for k, v in p["warp"].items()})
        if p.get("anatomy") == "masks":
            if self.masks is None:
                raise ParamError("params.anatomy", "this study was made from masks: build brain_mr with anatomy=masks")
            label = self.masks.label_map(p, shape, spacing, rng)
            warp = replace(warp, flip=bool(p["pose"]["flip"]))
        else:
            label = warp_labels(template(), warp, shape, spacing, rng)
        return label, warp, paint_lesions(label, spacing, p["lesions"], rng)


def _pose(warp: Warp) -> Pose:
    """brain_mr's warp as the pose of a mask (native size: no MNI shrink)."""
    return Pose(warp.rotation_deg, warp.scale, warp.shear, warp.translation_mm, warp.deformation_mm, warp.flip)


def paint_lesions(
    label: np.ndarray, spacing: tuple[float, ...], lesions: dict[str, Any], rng: np.random.Generator
) -> int:
    """White-matter hyperintensities (small ellipsoids in cerebral white matter) and a tumour (a
    sphere replacing brain tissue), each with its own label. Returns how many were painted."""
    painted = 0
    white = np.argwhere(np.isin(label, WHITE))
    if lesions["wmh"] and white.size:
        for _ in range(lesions["wmh_count"]):
            centre = white[rng.integers(len(white))]
            painted += _ellipsoid(
                label,
                centre,
                rng.uniform(2.0, 6.0, 3) / np.asarray(spacing),
                WHITE,
                VALUE["white matter hyperintensity"],
            )
    if lesions["tumour"] and white.size:
        centre = white[rng.integers(len(white))]
        radius = lesions["tumour_mm"] / 2.0 / np.asarray(spacing)
        painted += _ellipsoid(label, centre, radius, BRAIN, VALUE["tumour"])
    return painted


def _ellipsoid(label: np.ndarray, centre: np.ndarray, radii: np.ndarray, within: tuple[int, ...], value: int) -> int:
    lo = np.maximum(np.floor(centre - radii).astype(int), 0)
    hi = np.minimum(np.ceil(centre + radii).astype(int) + 1, label.shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    grids = np.ogrid[box]
    inside = sum(((g - c) / r) ** 2 for g, c, r in zip(grids, centre, radii, strict=True)) < 1.0
    inside &= np.isin(label[box], within)
    label[box][inside] = value
    return int(inside.any())
