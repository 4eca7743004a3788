"""`body_mr`: MRI of chest, abdomen and pelvis from tissue physics. CPU only, weight-free.

The patient and anatomy are `phantom_ct`'s (the same `body_region`, sex, age, habitus and lesion
parameters, or a user's masks with `params.anatomy=masks`); its tissue map becomes MR tissues
(`models.body_mr.tissues`). Each study draws a field strength and a clinical sequence with its
timings (`models.mr.sequence`), its tissues' relaxation times around the published table
(`models.mr.tissue`), gadolinium at a phase for `_gd` sequences, a coil field, its scan
resolution and slice thickness and an SNR; the image is the signal equations evaluated on the
tissue map (`models.mr.image`). Labels are the anatomy's, exactly. Quality control checks that the
orderings of label medians the drawn physics implies hold (`models.mr.qc`), redrawing the render
stream on failure. Images are uint16, like brain_mr.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from models import quality, series
from models.base import ALL_DESCRIBED, BaseGenerator, GeneratorOptions, Study, StudySpec
from models.body_mr.tissues import gd_share, mr_tissue
from models.mr import render as mr_render
from models.mr import sequence as mr_sequence
from models.mr.record import MR_RECORD, MRRecord
from models.mr.sequence import Sequence
from models.mr.tissue import LIVER_PDFF_MAX, draw_liver_pdff, sample_properties
from models.options import Param, Range, sample
from models.phantom_ct import patient
from models.phantom_ct import qc as ct_qc
from models.phantom_ct.generator import ANATOMY_PARAMS, LABELS, SHAPE_LIMITS, SPACING_LIMITS
from models.phantom_ct.generator import PARAMS as CT_PARAMS

DEFAULT_SHAPE = (192, 256, 256)
SEQUENCES = mr_sequence.names(
    ("T1w", "T2w", "PDw", "T1w_fs", "T2w_fs", "in_phase", "opposed_phase", "dixon_water", "dixon_fat", "STIR")
)

ANATOMY = ("body_region", "sex", "age", "habitus", "inspiration", "bladder_fill", "inplane_mm", "slice_mm")
LESIONS = ("lesion_rate", "lesion_kinds", "lesion_size_mm")
PATIENT_PARAMS: dict[str, Param] = {name: CT_PARAMS[name] for name in (*ANATOMY, *LESIONS)}
MR_PARAMS: dict[str, Param] = mr_sequence.params(SEQUENCES, SEQUENCES)
SCAN_PARAMS: dict[str, Param] = {
    "bias": Range((0.0, 1.0), (0.05, 0.25)),  # standard deviation of the log coil / B1 field
    "scan_inplane_mm": Range((0.3, 4.0), (1.0, 2.0)),  # the scan's own in-plane resolution
    "scan_slice_mm": Range((0.5, 10.0), (3.0, 6.0)),  # and slice thickness
}
# The liver's proton density fat fraction (steatosis): null draws the adult population's
# (`models.mr.tissue.draw_liver_pdff`, UK Biobank); a number or [lo, hi] fixes or bounds it.
LIVER_PARAMS: dict[str, Param] = {"liver_pdff": Range((0.0, LIVER_PDFF_MAX), None)}
PARAMS: dict[str, Param] = {**PATIENT_PARAMS, **LIVER_PARAMS, **MR_PARAMS, **SCAN_PARAMS}
# Labels QC ranks: phantom_ct's checked organs, the prostate and the hepatic tumour.
CHECKED = (*ct_qc.CHECKED, "prostate", "hepatic tumor")


class BodyMR(BaseGenerator):
    name = "body_mr"
    # 0.6.0: phantom_ct 0.7.0 anatomy (the kidneys' hila face forward and in; the sinus opens only there)
    # 0.5.0: phantom_ct 0.6.0 anatomy (perirenal fat all round each kidney)
    # 0.4.0: phantom_ct 0.5.0 anatomy (the kidney's sinus)
    # 0.7.0: Dixon water and fat images (`dixon_water`, `dixon_fat`); the liver's fat fraction drawn per study
    # 0.8.0: phantom_ct 0.10.0 anatomy (the bowel's wall round enteric fluid)
    # 0.9.0: phantom_ct 0.11.0 anatomy (the spleen's convex face on the wall)
    version = "0.9.0"  # 0.3.0: muscle T1 (Stanisz), fat on echo trains, flow voids; 0.2.0: phantom_ct 0.3.0
    series_names = SEQUENCES  # a study may hold several sequences of one patient
    # The common catalog columns its params fill (models.base.DESCRIBED), under the same names.
    describes: ClassVar[Mapping[str, str]] = ALL_DESCRIBED
    default_shape, shape_limits, spacing_limits = DEFAULT_SHAPE, SHAPE_LIMITS, SPACING_LIMITS
    # Every parameter `generator.params` may hold, as parsed (docs/reference/generators.md is made from it).
    declared_params: ClassVar[dict[str, Param]] = {**PARAMS, **ANATOMY_PARAMS, **series.PARAMS}
    acquisition: ClassVar[MRRecord] = MR_RECORD  # what the export reads back (models.base.AcquisitionRecord)
    columns: ClassVar[dict[str, str]] = {
        **mr_sequence.COLUMNS,
        "habitus": "double",
        "inspiration": "double",
        "lesion_count": "int64",
        "liver_pdff": "double",
    }

    def __init__(self, options: GeneratorOptions) -> None:
        super().__init__(options)  # shape, spacing and params, checked
        mr_sequence.check_timings(self.params)
        self.series = series.check(options.series, SEQUENCES, self.name)
        series.refuse_options(self.series, options.params, steered=mr_sequence.SERIES_STEERED)
        grid = (self.shape, self.spacing)
        self.label_dict, self.masks = patient.anatomy_setup(self.params, options, grid, LABELS, "body_mr")

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        drawn = sample(PATIENT_PARAMS, self.params, rng)
        setup = (self.shape, self.spacing, self.shape_given)
        person = patient.draw_patient(drawn, self.params["lesion_size_mm"], self.masks, setup, rng)
        acquisition = mr_sequence.draw(MR_PARAMS, self.params, rng)
        seq = Sequence.from_json(acquisition["sequence"])
        scan = sample(SCAN_PARAMS, self.params, rng)
        params = {
            "modality": "MR",
            **person,
            **acquisition,
            "contrast": seq.gd_phase or "non_contrast",
            "bias": round(float(scan["bias"]), 4),
            "scan_resolution_mm": [round(float(v), 3) for v in (scan["scan_slice_mm"], *[scan["scan_inplane_mm"]] * 2)],
        }
        if self.series is not None:  # every series at the study's field; the first one's sequence is the study's
            params.update(mr_sequence.draw_series(self.series, MR_PARAMS, self.params, seq.field_t, rng))
            params["contrast"] = Sequence.from_json(params["sequence"]).gd_phase or "non_contrast"
            params.update(series.draw(self.series, self.params["misregistration_mm"], rng))
        pdff = sample(LIVER_PARAMS, self.params, rng)["liver_pdff"]
        params["liver_pdff"] = round(draw_liver_pdff(rng) if pdff is None else pdff, 4)
        return params

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        p = spec.params
        spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
        acquisitions = mr_render.acquisitions(p, tuple(p["scan_resolution_mm"]))  # type: ignore[arg-type]
        first = acquisitions[0][0]

        def share(seq: Sequence) -> float:
            return gd_share(seq.gd_phase)

        def attempt(rng: np.random.Generator) -> tuple[tuple, bool, tuple[str, ...]]:
            label, ct_tissue = patient.draw_anatomy(p, rng, self.label_dict, self.masks, self.name)
            tissue = mr_tissue(ct_tissue, spacing)
            del ct_tissue
            props = sample_properties(first.field_t, p["age"], rng).with_fat("liver", p["liver_pdff"])
            imaged = mr_render.image_series(tissue, label, self.label_dict, CHECKED, acquisitions, props, share, p, rng)
            return (label, imaged), imaged.passed, imaged.failures

        (label, imaged), checked = quality.until_passed(spec.seed, attempt)
        columns = {
            **mr_sequence.columns(first, acquisitions[0][1].snr),
            "habitus": p["habitus"],
            "inspiration": p["inspiration"],
            "lesion_count": len(p["lesions"]),
            "liver_pdff": p["liver_pdff"],
        }
        return series.study(imaged.images, label, spacing, imaged.measured, checked, columns, p)
