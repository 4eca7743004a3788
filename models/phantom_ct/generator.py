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

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from models import quality, series
from models.anatomy import source
from models.base import ALL_DESCRIBED, RENDER_STREAM, BaseGenerator, GeneratorOptions, Study, StudySpec, study_rng
from models.measure import measure
from models.options import Choice, Param, Range, Setting, Subset, sample
from models.phantom_ct import anatomy, lesions, patient, qc
from models.phantom_ct.render import form_phases, paint
from models.phantom_ct.skeleton import VERTEBRAE
from models.phantom_ct.tissue import AGES, ALL_PHASES, PHASES, random_appearance, sample_phases

DEFAULT_SHAPE = (192, 256, 256)  # z, y, x
SHAPE_LIMITS = (16, 1024)
SPACING_LIMITS = (0.2, 10.0)

PARAMS: dict[str, Param] = {
    "body_region": Choice(tuple(patient.REGIONS), tuple(patient.REGIONS)),
    "contrast": Choice(ALL_PHASES, PHASES),  # delayed only when asked for
    "sex": Choice(("F", "M"), ("F", "M")),
    "age": Range(AGES, (20.0, 85.0)),  # organ size trends, bone density
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
    # physical: published HU per tissue and phase; random: SynthSeg-style, a random HU per tissue
    # (tissue.random_appearance). A list draws per study.
    "appearance": Choice(("physical", "random"), ("physical",)),
}
# Where the anatomy comes from; the masks' own parameters. Not drawn with PARAMS, so procedural
# studies keep the draws (and the bytes) they always had.
ANATOMY_PARAMS: dict[str, Param] = {"anatomy": Setting("phantom", allowed=("phantom", "masks")), **source.PARAMS}
# With several series (`generator.series`, contrast phases): drawn after everything else.
SERIES_PARAMS: dict[str, Param] = series.PARAMS

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


class PhantomCT(BaseGenerator):
    name = "phantom_ct"
    # 0.3.0: kidney cortex and medulla, spleen against the wall, vertebral arch and shell, bone HU by age
    # 0.4.0: muscle HU by age and sex, unenhanced kidney 23-39 HU (tissue.py's sources)
    # 0.5.0: the kidney's sinus hollows it, parenchyma 15.5 mm round it (Glodny 2009), pyramids round the sinus
    # 0.6.0: perirenal fat all round each kidney (over the wall muscles it meets, bent with the kidney)
    # 0.7.0: the hila face forward and in (Sakate 2009), the sinus opens only at the hilum (middle third)
    # 0.8.0: one place in the kidney's ranges for cortex and medulla (one parenchyma unenhanced; the cortex leads)
    # 0.9.0: one place in the liver's and the spleen's ranges (concordant, Piekarski 1980; liver 10 HU above, Park 2011)
    # 0.10.0: the bowel as a wall round its content (small bowel and duodenum: enteric fluid and gas)
    # 0.11.0: the spleen's convex face swept out onto the wall (no wedge of fat between them)
    version = "0.11.0"
    series_names = ALL_PHASES  # a study may hold several contrast phases of one patient
    # The common catalog columns its params fill (models.base.DESCRIBED), under the same names.
    describes: ClassVar[Mapping[str, str]] = ALL_DESCRIBED
    # Steerable values that also become catalog columns (beside the common ones it describes).
    default_shape, shape_limits, spacing_limits = DEFAULT_SHAPE, SHAPE_LIMITS, SPACING_LIMITS
    # Every parameter `generator.params` may hold, as parsed (docs/reference/generators.md is made from it).
    declared_params: ClassVar[dict[str, Param]] = {**PARAMS, **ANATOMY_PARAMS, **SERIES_PARAMS}
    columns: ClassVar[dict[str, str]] = {
        "habitus": "double",
        "inspiration": "double",
        "noise_hu": "double",
        "lesion_count": "int64",
        "appearance": "string",
    }

    def __init__(self, options: GeneratorOptions) -> None:
        super().__init__(options)  # shape, spacing and params, checked
        self.series = series.check(options.series, ALL_PHASES, self.name)
        series.refuse_options(self.series, options.params, steered=("contrast",))
        grid = (self.shape, self.spacing)
        self.label_dict, self.masks = patient.anatomy_setup(self.params, options, grid, LABELS, "phantom_ct")

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        drawn = sample(PARAMS, self.params, rng)
        setup = (self.shape, self.spacing, self.shape_given)
        params = {
            "modality": "CT",
            **patient.draw_patient(drawn, self.params["lesion_size_mm"], self.masks, setup, rng),
        }
        if self.series is not None:
            params.update(contrast=self.series[0], **series.draw(self.series, self.params["misregistration_mm"], rng))
        return params

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        """The study; with several series, one image per phase of the same anatomy (`form_phases`)."""
        p = spec.params
        spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
        phases = tuple(p.get("series") or (p["contrast"],))
        appearance = p.get("appearance", "physical")  # absent from the params of studies before 0.3.0
        physical = appearance == "physical"  # random HU: no published range to hold

        def attempt(rng: np.random.Generator) -> tuple[tuple, bool, tuple[str, ...]]:
            label, tissue = patient.draw_anatomy(p, rng, self.label_dict, self.masks, self.name)
            hus, texture = sample_phases(phases, p["age"], p["sex"], rng), None
            if not physical:
                hus, texture = random_appearance(len(phases), rng)
            images = form_phases(tissue, hus, spacing, p["noise_hu"], rng, texture)
            del tissue
            images = series.moved(images, p, spacing)
            measured = [measure(image, label, spacing, self.label_dict) for image in images]
            results = [
                qc.check(image, m.labels, phase, p["body_region"], p["qc_tolerance_hu"], physical)
                for image, m, phase in zip(images, measured, phases, strict=True)
            ]
            passed, failures = series.judged([(r.passed, r.failures) for r in results], p)
            return (label, images, measured), passed, failures

        (label, images, measured), checked = quality.until_passed(spec.seed, attempt)
        columns = {
            "habitus": p["habitus"],
            "inspiration": p["inspiration"],
            "noise_hu": p["noise_hu"],
            "lesion_count": len(p["lesions"]),
            "appearance": appearance,
        }
        return series.study(images, label, spacing, measured, checked, columns, p)

    def label_map(self, params: dict[str, Any], seed: int) -> tuple[np.ndarray, tuple[float, float, float]]:
        """Only the label map of a study (the anatomy `render` would draw first), and its spacing:
        what other generators condition on (`maisi_ct`). `params` as `sample_params` made them."""
        grid = patient.grid(params["shape"], params["spacing_mm"], params["z_center_mm"])
        label, _ = paint(grid, anatomy.build(patient.body(params), study_rng(seed, RENDER_STREAM)), self.label_dict)
        return label, grid.spacing
