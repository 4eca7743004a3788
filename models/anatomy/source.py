"""`generator.params.anatomy=masks`: a generator's label maps drawn from a user's masks.

One object per generator: it declares the parameters (shared by every generator that takes
masks), scans the masks when the generator is built, draws a mask and a pose per study
(`sample`, from the params stream) and places the mask on the study's grid (`label_map`, from
the render stream). Everything a study needs to be made again is in its params: the mask's name
and identity, and the pose.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.anatomy import vocabulary
from models.anatomy.masks import REGIONS, IndexFilter, MaskFile, MaskSet
from models.anatomy.place import Pose, place, sample_pose
from models.errors import ParamError
from models.folder import OpenFolder
from models.labels import LabelDict, maisi_ct_labels
from models.options import Param, Setting, Subset, Weights
from models.uri import ENDPOINT_TIMEOUT_S, endpoint_problem

IDENTITY = "identity"  # the generator's own label values (a medsynth dataset of the same generator)
PARAMS: dict[str, Param] = {
    "masks": Setting(None),  # folder, fsspec URI, or medsynth dataset root
    "masks_endpoint_url": Setting(None),  # S3-compatible endpoint of `masks` (credentials: environment)
    "vocabulary": Setting(None),  # a name of `vocabulary.NAMES` | identity | a JSON file
    "rotation_deg": Setting(10.0, limits=(0.0, 45.0)),  # largest rotation about each axis
    "scaling": Setting(0.1, limits=(0.0, 0.5)),  # largest log-scale per axis
    "shear": Setting(0.01, limits=(0.0, 0.2)),
    "deformation_mm": Setting(2.0, limits=(0.0, 10.0)),  # largest velocity-field standard deviation
    "translation_mm": Setting(5.0, limits=(0.0, 50.0)),  # standard deviation per axis
    "flip_rate": Setting(0.0, limits=(0.0, 1.0)),  # chance of a left-right mirror, sides swapped
    "mask_weights": Weights(),  # relative chance of each mask (in the order masks are listed)
    "masks_check": Setting("all", allowed=("all", "headers")),  # read every mask whole up front, or not
    # MAISI's own mask database: its candidate_masks_*.json, with `masks` its unzipped folder.
    "masks_index": Setting(None),
    "masks_body_region": Subset(REGIONS, ()),
    "masks_labels": Subset(tuple(lb.name for lb in maisi_ct_labels()), ()),
}
MASK_ONLY = tuple(PARAMS)
POSE_STRENGTHS = ("rotation_deg", "scaling", "shear", "deformation_mm", "flip_rate", "translation_mm")
Z_SLACK = 1.02  # the grid may reach 2 % past a mask's extent in z (rounding of spacings)


def refuse_mask_options(given: dict[str, Any], own: tuple[str, ...] = ()) -> None:
    """A mask option given without `anatomy=masks` is an error naming it (`own`: the generator's
    parameters of the same name, which it reads either way)."""
    for name in MASK_ONLY:
        if name in given and name not in own:
            raise ParamError(f"params.{name}", "is read only with params.anatomy=masks")


class MaskAnatomy:
    def __init__(
        self,
        params: dict[str, Any],
        labels: LabelDict,
        default_vocabulary: str | None,
        open_folder: OpenFolder | None,
    ) -> None:
        """`default_vocabulary` None: NIfTI masks must name theirs (no value set is safe to assume).
        `open_folder`: the generator's `GeneratorOptions.open_folder` (the factory's store)."""
        if params["masks"] is None:
            raise ParamError("params.masks", "must name the label maps to use with params.anatomy=masks")
        if open_folder is None:
            raise ParamError(
                "params.masks",
                "label maps are read through the factory's store: build the generator with "
                "GeneratorOptions(open_folder=pipeline.store.folder.open_folder), as jobs.generate does",
            )
        options = {"endpoint_url": params["masks_endpoint_url"]} if params["masks_endpoint_url"] else {}
        if options:
            why = endpoint_problem(str(options["endpoint_url"]), ENDPOINT_TIMEOUT_S)
            if why is not None:
                raise ParamError("params.masks_endpoint_url", why)
        self.labels = labels
        name = params["vocabulary"] or default_vocabulary
        index = None
        if params["masks_index"] is not None:
            values = [lb.value for lb in maisi_ct_labels() if lb.name in params["masks_labels"]]
            index = IndexFilter(params["masks_index"], tuple(params["masks_body_region"]), tuple(values))
        elif params["masks_body_region"] or params["masks_labels"]:
            raise ParamError("params.masks_body_region", "filters MAISI's mask database: set params.masks_index")
        self.masks = MaskSet(params["masks"], options, index, open_folder=open_folder)
        self.weights = params["mask_weights"]
        if self.weights is not None and len(self.weights) != len(self.masks.files):
            raise ParamError(
                "params.mask_weights",
                f"has {len(self.weights)} weights for {len(self.masks.files)} masks (one per mask, in listed order)",
            )
        if all(f.kind == "medsynth" for f in self.masks.files) and params["vocabulary"] is None:
            name = IDENTITY
        if name is None:
            raise ParamError(
                "params.vocabulary",
                f"must say what the values of {params['masks']} mean (e.g. freesurfer, a JSON file, or identity)",
            )
        self.vocabulary = vocabulary.identity(labels) if name == IDENTITY else vocabulary.load(name, labels)
        if params["masks_check"] == "all":
            self.masks.check(self.vocabulary)
        self.strengths = {k: params[k] for k in POSE_STRENGTHS}

    def check_grid(self, shape: tuple[int, int, int], spacing: tuple[float, float, float] | None) -> None:
        """A grid of fixed spacing must lie within every mask's field of view in z: padding a body
        with air above and below would cut it off where no scan does."""
        if spacing is None:
            return
        for mask in self.masks.files:
            extent = mask.shape_zyx[0] * mask.spacing_zyx[0]
            if shape[0] * spacing[0] > extent * Z_SLACK:
                raise ParamError(
                    "spacing_mm",
                    f"{shape[0]} slices of {spacing[0]:g} mm ({shape[0] * spacing[0]:.0f} mm) do not fit in "
                    f"{mask.name}, which covers {extent:.0f} mm in z; use fewer slices or thinner ones",
                )

    def sample(self, rng: np.random.Generator, pose: Pose | None = None) -> tuple[MaskFile, dict[str, Any]]:
        """A mask and its pose (drawn from the strengths, unless the generator drew its own)."""
        if self.weights is None:
            mask = self.masks.files[int(rng.integers(len(self.masks.files)))]
        else:
            chance = np.asarray(self.weights) / sum(self.weights)
            mask = self.masks.files[int(rng.choice(len(self.masks.files), p=chance))]
        pose = pose or sample_pose(rng, **self.strengths)
        return mask, {"mask": mask.name, "mask_identity": mask.identity, "pose": pose.to_json()}

    def fitted_spacing(self, mask: MaskFile, shape: tuple[int, int, int]) -> list[float]:
        """The mask's whole field of view on `shape`: its z extent, its larger in-plane extent."""
        nz, ny, nx = mask.shape_zyx
        dz, dy, dx = mask.spacing_zyx
        inplane = max(ny * dy / shape[1], nx * dx / shape[2])
        return [round(nz * dz / shape[0], 4), round(inplane, 4), round(inplane, 4)]

    def label_map(
        self, params: dict[str, Any], shape: tuple[int, int, int], spacing: tuple[float, float, float], rng: Any
    ) -> np.ndarray:
        mask = self.masks.load(params["mask"], params["mask_identity"], self.vocabulary)
        return place(mask, shape, spacing, Pose.from_json(params["pose"]), self.labels, rng)


__all__ = ["MASK_ONLY", "PARAMS", "MaskAnatomy"]
