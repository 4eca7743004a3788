"""`maisi_ct`: NVIDIA MAISI (NV-Generate-CT) rectified-flow CT, conditioned on medsynth label maps.

The condition is a `phantom_ct` label map drawn from the same study parameters (same MAISI label
values), or a mask from a folder. Everything that can be wrong with the options (sizes, spacings,
the weights folder, the masks) is checked when the generator is built, so on the driver, before
any worker starts. Each worker loads the networks once, on its GPU, on its first study, and
draws the next study's label map on the CPU (`prepare`) while the GPU samples the current one.

Streams: the phantom's anatomy uses the study's render stream; the initial latent noise uses
`LATENT_STREAM`, sub-seeded by the attempt, so a study that fails quality control is redrawn
with new noise under the same label map, reproducibly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from models import series
from models.anatomy import source
from models.anatomy.body import BODY, add_body
from models.base import (
    ALL_DESCRIBED,
    QC,
    RENDER_STREAM,
    BaseGenerator,
    GeneratorOptions,
    Study,
    StudySpec,
    indexed,
    study_rng,
)
from models.errors import ParamError
from models.labels import LabelDict, maisi_ct_labels
from models.maisi_ct import masks, redraws, sizing, weights
from models.maisi_ct.conditioning import to_maisi
from models.maisi_ct.networks import KINDS, NETWORKS, build, definitions, maisi_config
from models.maisi_ct.sampler import Sampler
from models.options import Choice, Param, Setting, sample
from models.phantom_ct import PhantomCT

log = logging.getLogger(__name__)

# 0.6.0: phantom_ct 0.7.0 anatomy (the kidneys' hila face forward and in; the sinus opens only there).
# 0.5.0: phantom_ct 0.6.0 anatomy (perirenal fat all round each kidney).
# 0.4.0: phantom_ct 0.5.0 anatomy (the kidney's sinus). 0.3.0: phantom_ct 0.3.0 anatomy (spleen,
# kidneys, vertebrae). 0.2.0: larger decode windows on cards over 80 GB, the decode_plan column.
VERSION = "0.6.0"
LATENT_STREAM = 2  # fixed forever, or old datasets stop replaying
PREPARED_AHEAD = 2  # label maps held for studies not yet rendered
INFER = maisi_config("config_infer")
_X, _Y, _Z = (int(n) for n in INFER["output_size"])
DEFAULT_SHAPE = (_Z, _Y, _X)  # (z, y, x) from MAISI's (x, y, z)
MODALITIES = ("ct", "ct_wo_contrast", "ct_contrast")  # the CT codes of MAISI's modality_mapping.json
# phantom_ct parameters that shape the anatomy, passed through when the label map comes from it.
PHANTOM_PARAMS = (
    "body_region",
    "contrast",
    "sex",
    "age",
    "habitus",
    "inspiration",
    "bladder_fill",
    "lesion_rate",
    "lesion_kinds",
    "lesion_size_mm",
)
PHANTOM_IMAGE_ONLY = ("noise_hu", "inplane_mm", "slice_mm", "qc_tolerance_hu", "appearance")

PARAMS: dict[str, Param] = {
    # "auto": from the phantom's contrast phase (without / with contrast); "ct" for masks.
    "modality_code": Choice(("auto", *MODALITIES), ("auto",)),
}
SETTINGS: dict[str, Param] = {
    "network": Setting("maisi", allowed=NETWORKS),
    "weights_dir": Setting(None),  # null: reproducible random weights (tests, sizing)
    "label_source": Setting("phantom", allowed=("phantom", "masks")),
    "masks_dir": Setting(None),
    "num_inference_steps": Setting(int(INFER["num_inference_steps"]), limits=(1, 1000), integer=True),
    "max_redraws": Setting(3, limits=(0, 10), integer=True),
    # GiB the decode is planned for (`sizing.decode_plan`); null: this worker's share of its GPU.
    # The plan shapes the bytes: set it on a cluster of mixed GPUs to make every study alike.
    "decode_memory_gib": Setting(None, limits=(8.0, 4096.0)),
    "qc_tolerance_hu": Setting(0.0, limits=(-200.0, 2000.0)),
    "body_margin_mm": Setting(15.0, limits=(0.0, 100.0)),
    # Any user mask, resampled onto the MAISI grid (models.anatomy); label_source=masks takes masks
    # already at a MAISI size and spacing as they are.
    "anatomy": Setting("phantom", allowed=("phantom", "masks")),
    **source.PARAMS,
}


class MaisiCT(BaseGenerator):
    # Several series under one label map (`generator.series`): MAISI's CT modality codes, each
    # series with its own latent noise.
    series_names = MODALITIES
    # The common catalog columns (models.base.DESCRIBED) the phantom's anatomy params fill; masks leave them null.
    describes: ClassVar[Mapping[str, str]] = ALL_DESCRIBED

    name = "maisi_ct"
    # Every parameter `generator.params` may hold, as parsed (docs/reference/generators.md is made from it).
    declared_params: ClassVar[dict[str, Param]] = {**PARAMS, **SETTINGS, **series.PARAMS}
    default_shape = DEFAULT_SHAPE
    columns: ClassVar[dict[str, str]] = {
        "label_source": "string",
        "mask_file": "string",
        "modality_code": "string",
        "num_inference_steps": "int64",
        "decode_plan": "string",  # the decode's window shapes the bytes (`sizing.decode_plan`)
    }

    def __init__(self, options: GeneratorOptions) -> None:
        given = dict(options.params)
        known = {*self.declared_params, *PHANTOM_PARAMS}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ParamError(f"params.{unknown[0]}", f"unknown parameter (known: {', '.join(sorted(known))})")
        anatomy = {k: given.pop(k) for k in PHANTOM_PARAMS if k in given}
        super().__init__(replace(options, params=given))  # the grid within the base's limits, then MAISI's rules
        self.series = series.check(options.series, MODALITIES, "maisi_ct")
        series.refuse_options(self.series, options.params, steered=("modality_code",))
        self.defs = definitions(self.params["network"])
        self.source = self.params["label_source"]
        self._check_source(options, anatomy)
        sizing.check_size(self.shape, self.defs.size_multiple)
        if self.spacing is not None:
            sizing.check_spacing(self.spacing)
        self.weights_dir = _folder(self.params["weights_dir"])
        self.version = self._weights_version()
        self.anatomy: source.MaskAnatomy | None = None
        if self.params["anatomy"] == "masks":
            self.label_dict: LabelDict = maisi_ct_labels().subset(
                [lb.name for lb in maisi_ct_labels()], name="maisi_ct"
            )
            self.anatomy = source.MaskAnatomy(self.params, self.label_dict, "maisi", options.open_folder)
            self.anatomy.check_grid(self.shape, self.spacing)  # type: ignore[arg-type]
        elif self.source == "phantom":
            self.phantom = PhantomCT(replace(options, shape=self.shape, spacing_mm=None, params=anatomy, series=None))
            self.label_dict = self.phantom.label_dict
        else:
            self.masks_dir = _folder(self.params["masks_dir"])
            self.masks = masks.scan(self.masks_dir, self.defs.size_multiple)
            self.label_dict = _every_label()
        self._samplers: dict[str, Sampler] = {}
        self._prepared: dict[str, tuple[np.ndarray, tuple[float, float, float]]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: networks, prepared label maps and the lock are rebuilt where it lands."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_samplers", "_prepared", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._samplers, self._prepared, self._lock = {}, {}, threading.Lock()

    def _check_source(self, options: GeneratorOptions, anatomy: dict[str, Any]) -> None:
        if self.params["anatomy"] == "masks":
            if self.source != "phantom" or self.params["masks_dir"] is not None:
                raise ParamError("params.anatomy", "masks (resampled) and label_source=masks (as they are): pick one")
            if anatomy:
                raise ParamError(f"params.{next(iter(anatomy))}", "shapes phantom anatomy: not with anatomy=masks")
            return
        source.refuse_mask_options(dict(options.params))
        if self.source == "phantom" and self.params["masks_dir"] is not None:
            raise ParamError("params.masks_dir", "is read only with params.label_source=masks")
        if self.source == "masks":
            if self.params["masks_dir"] is None:
                raise ParamError("params.masks_dir", "must name a folder of NIfTI masks with label_source=masks")
            if anatomy:
                field = f"params.{next(iter(anatomy))}"
                raise ParamError(field, "shapes phantom anatomy: only with label_source=phantom")
            for field, value in (("shape", options.shape), ("spacing_mm", options.spacing_mm)):
                if value is not None:
                    raise ParamError(field, "must be null with label_source=masks (each mask has its own)")

    def _weights_version(self) -> str:
        """The version names the weights, so a dataset never mixes two sets."""
        if self.weights_dir is None:
            log.warning("maisi_ct: generator.params.weights_dir is null: random weights, images are noise")
            return f"{VERSION}+{self.defs.network}.random"
        weights.check(weights.read(self.weights_dir), self.defs, self.weights_dir)
        return f"{VERSION}+{self.defs.network}.{weights.fingerprint(self.weights_dir)[:12]}"

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        params = self._sample(rng)
        if self.series is not None:  # the first series' code is the study's
            params.update(
                modality_code=self.series[0], **series.draw(self.series, self.params["misregistration_mm"], rng)
            )
        return params

    def _sample(self, rng: np.random.Generator) -> dict[str, Any]:
        drawn = sample(PARAMS, self.params, rng)
        common = {"num_inference_steps": self.params["num_inference_steps"]}
        if self.anatomy is not None:
            mask, placed = self.anatomy.sample(rng)
            fitted = _fitted(self.anatomy.fitted_spacing(mask, self.shape))  # type: ignore[arg-type]
            return {
                "modality": "CT",
                "label_source": "anatomy",
                "anatomy": "masks",
                "mask_file": mask.name,
                **placed,
                "modality_code": "ct" if drawn["modality_code"] == "auto" else drawn["modality_code"],
                "shape": list(self.shape),
                "spacing_mm": list(self.spacing) if self.spacing is not None else fitted,
                **common,
            }
        if self.source == "masks":
            mask = self.masks[int(rng.integers(len(self.masks)))]
            code = "ct" if drawn["modality_code"] == "auto" else drawn["modality_code"]
            return {
                "modality": "CT",
                "label_source": "masks",
                "mask_file": mask.name,
                "modality_code": code,
                "shape": list(mask.shape_zyx),
                "spacing_mm": list(mask.spacing_zyx),
                **common,
            }
        anatomy = self.phantom.sample_params(rng)
        for key in PHANTOM_IMAGE_ONLY:
            anatomy.pop(key, None)
        anatomy["spacing_mm"] = list(self.spacing) if self.spacing is not None else _fitted(anatomy["spacing_mm"])
        code = drawn["modality_code"]
        if code == "auto":
            code = "ct_wo_contrast" if anatomy["contrast"] == "non_contrast" else "ct_contrast"
        return {**anatomy, "label_source": "phantom", "modality_code": code, **common}

    def prepare(self, spec: StudySpec) -> None:
        """Draw the study's label map (CPU only) so that `render` finds it ready."""
        condition = self._condition(spec)
        with self._lock:
            while len(self._prepared) >= PREPARED_AHEAD:
                self._prepared.pop(next(iter(self._prepared)))
            self._prepared[spec.study_id] = condition

    def _condition(self, spec: StudySpec) -> tuple[np.ndarray, tuple[float, float, float]]:
        p = spec.params
        if p["label_source"] == "anatomy":
            if self.anatomy is None:
                raise ParamError("params.anatomy", "this study was made from masks: build maisi_ct with anatomy=masks")
            shape = (int(p["shape"][0]), int(p["shape"][1]), int(p["shape"][2]))
            spacing = (float(p["spacing_mm"][0]), float(p["spacing_mm"][1]), float(p["spacing_mm"][2]))
            label = self.anatomy.label_map(p, shape, spacing, study_rng(spec.seed, RENDER_STREAM))
            if not (label == BODY).any():
                add_body(label, spacing, self.params["body_margin_mm"])
            return label, spacing
        if p["label_source"] == "masks":
            label = masks.load(self.masks_dir, _mask(self.masks, p["mask_file"]), self.params["body_margin_mm"])
            return label, tuple(float(s) for s in p["spacing_mm"])  # type: ignore[return-value]
        return self.phantom.label_map(p, spec.seed)

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        device = indexed(device)
        job = self._job(spec, device)
        steps, redraws_left = self.params["num_inference_steps"], self.params["max_redraws"]
        redraws.sample_study(self._sampler(device), job, steps, redraws_left, self.params["qc_tolerance_hu"], _latent)
        return self._study(job)

    def _job(self, spec: StudySpec, device: torch.device) -> redraws.Job:
        with self._lock:
            prepared = self._prepared.pop(spec.study_id, None)
        label, spacing = prepared if prepared is not None else self._condition(spec)
        label_xyz = to_maisi(label)
        plan = sizing.decode_plan(label_xyz.shape, self._decode_gib(device), self.defs.vae_stride)
        names = tuple(spec.params.get("series") or (spec.params["modality_code"],))
        return redraws.Job(spec.seed, spec.params, label, spacing, label_xyz, plan, names)

    def _study(self, job: redraws.Job) -> Study:
        p = job.params
        # Per-label measurements are left to the worker's writer threads, off the GPU's path.
        columns = {
            "label_source": p["label_source"],
            "mask_file": p.get("mask_file"),
            "modality_code": p["modality_code"],
            "num_inference_steps": p["num_inference_steps"],
            "decode_plan": job.plan.source,
        }
        t = job.timing
        times = {"steps_s": t.steps_s, "decode_s": t.decode_s, "decode_plan": job.plan.source}
        quality = QC(job.passed, job.attempt, job.failures)
        return series.study(job.images, job.label, job.spacing, None, quality, columns, p, times)

    def _decode_gib(self, device: torch.device) -> float | None:
        given = self.params["decode_memory_gib"]
        return float(given) if given is not None else _gpu_share_gib(device)

    def _sampler(self, device: torch.device) -> Sampler:
        """The networks on `device`, built and loaded on first use."""
        key = str(device)
        if key not in self._samplers:
            nets = {kind: build(self.defs, kind, device) for kind in KINDS}
            if self.weights_dir is None:
                weights.randomise(nets)
                scale_factor = 1.0
            else:
                checkpoints = weights.read(self.weights_dir)
                weights.load(nets, checkpoints)
                scale_factor = checkpoints.scale_factor
            self._samplers[key] = Sampler(self.defs, nets, scale_factor, device)
        return self._samplers[key]


def _every_label() -> LabelDict:
    """MAISI's whole dictionary, named for this generator (what a user's mask may hold)."""
    return maisi_ct_labels().subset([lb.name for lb in maisi_ct_labels()], name="maisi_ct")


def _fitted(spacing_zyx: list[float]) -> list[float]:
    """The phantom's field-of-view fit, held within MAISI's spacings."""
    z, y, x = spacing_zyx
    z = float(np.clip(z, *sizing.SPACING_Z))
    xy = float(np.clip(max(x, y), *sizing.SPACING_XY))
    return [round(z, 4), round(xy, 4), round(xy, 4)]


def _folder(value: str | None) -> Path | None:
    return None if value is None else Path(value).expanduser()


def _mask(found: tuple[masks.MaskFile, ...], name: str) -> masks.MaskFile:
    for mask in found:
        if mask.name == name:
            return mask
    raise ParamError("params.masks_dir", f"{name} is no longer in the masks folder")


def _gpu_share_gib(device: torch.device) -> float | None:
    """The GPU memory this process may use: the card's, times the share the worker holds
    (`pipeline.run.worker` sets it from `ray.gpus_per_worker`); None on the CPU."""
    if device.type != "cuda":
        return None
    device = indexed(device)  # torch's memory-fraction call refuses an index-less `cuda`
    total = torch.cuda.get_device_properties(device).total_memory / 2**30
    return total * torch.cuda.get_per_process_memory_fraction(device)


def _latent(seed: int, attempt: int, k: int) -> np.random.Generator:
    """The latent noise of series `k` (the first series' is the single-series study's)."""
    if k == 0:
        return study_rng(seed, LATENT_STREAM, attempt)
    return np.random.default_rng(np.random.SeedSequence([seed, LATENT_STREAM, attempt, k]))
