"""A mask placed on a study's output grid: a random pose (SynthSeg's spatial augmentation) and a
label-aware nearest-neighbour resampling.

The output grid is centred on the mask's labelled tissue (the body, or the brain), so the field of
view is cropped or padded around it as the generators' own anatomy is; padding is background. For
every output voxel the pose gives a point of the mask (an affine: rotation, scaling, shear and a
translation; then a smooth diffeomorphic displacement; then an optional left-right mirror whose
labels swap sides) and the voxel takes the label nearest to it. Nearest-neighbour sampling keeps
each label's expected volume, leaves labels whole numbers, and with an identity pose at the mask's
own spacing it is an integer shift: the labels come through exactly.

Coarser output grids can lose thin structures entirely. A label with at least `KEEP_VOXELS`
voxels in the mask that nearest sampling lost is looked for again with `k` points per output voxel
along each axis that is `k` times coarser, and takes the voxels where it was hit most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from models.anatomy.masks import Mask
from models.anatomy.warp import separable_zyx
from models.labels import LabelDict

KEEP_VOXELS = 100
SLAB = 16  # output slices sampled at once
MAX_SUPERSAMPLE = 4


@dataclass(frozen=True)
class Pose:
    """One study's spatial transform of its mask (JSON-able; recorded in `params_json`)."""

    rotation_deg: tuple[float, float, float]  # about z, y, x
    scale: tuple[float, float, float]  # z, y, x
    shear: tuple[float, float, float]
    translation_mm: tuple[float, float, float]  # z, y, x
    deformation_mm: float  # standard deviation of the velocity field
    flip: bool

    @classmethod
    def identity(cls) -> Pose:
        return cls((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pose:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def inverse(self) -> np.ndarray:
        """Output mm -> mask mm (z, y, x), the inverse of the anatomy's forward transform."""
        rotation = Rotation.from_euler("zyx", self.rotation_deg, degrees=True).as_matrix()
        shear = np.eye(3)
        shear[0, 1], shear[0, 2], shear[1, 2] = self.shear
        return np.linalg.inv(rotation @ shear @ np.diag(self.scale))


def sample_pose(
    rng: np.random.Generator,
    rotation_deg: float,
    scaling: float,
    shear: float,
    deformation_mm: float,
    flip_rate: float,
    translation_mm: float,
) -> Pose:
    """A pose within the given strengths (largest rotation per axis, largest log-scale, shear,
    velocity-field standard deviation, chance of a mirror, translation standard deviation)."""
    return Pose(
        rotation_deg=tuple(float(v) for v in rng.uniform(-rotation_deg, rotation_deg, 3)),  # type: ignore[arg-type]
        scale=tuple(float(v) for v in np.exp(rng.uniform(-scaling, scaling, 3))),  # type: ignore[arg-type]
        shear=tuple(float(v) for v in rng.uniform(-shear, shear, 3)),  # type: ignore[arg-type]
        translation_mm=tuple(float(v) for v in rng.normal(0.0, translation_mm, 3)),  # type: ignore[arg-type]
        deformation_mm=float(rng.uniform(0.0, deformation_mm)),
        flip=bool(rng.random() < flip_rate),
    )


def place(
    mask: Mask,
    shape: tuple[int, int, int],
    spacing: tuple[float, float, float],
    pose: Pose,
    labels: LabelDict,
    rng: np.random.Generator,
) -> np.ndarray:
    """The mask's labels on the output grid (uint8, z, y, x), posed by `pose`."""
    out_spacing = np.asarray(spacing, dtype=np.float64)
    src_spacing = np.asarray(mask.spacing_zyx, dtype=np.float64)
    half = (np.asarray(shape) - 1) / 2.0
    centre = _centre(mask.label, half * out_spacing / src_spacing, np.isclose(out_spacing, src_spacing))
    inverse = pose.inverse().astype(np.float32)
    field = separable_zyx(shape, spacing, pose.deformation_mm, rng) if pose.deformation_mm > 0 else None
    swap = _side_swap(labels) if pose.flip else None
    flat = np.append(mask.label.ravel(), np.uint8(0))  # the last entry answers every point outside
    outside = flat.size - 1
    size = np.asarray(mask.label.shape)
    scale = (1.0 / src_spacing).astype(np.float32)
    shift = (centre + 0.5).astype(np.float32)  # floor(x + 0.5): ties one way, so even shares stay even
    mirror = np.float32(-1.0 if pose.flip else 1.0)

    def sample(offset: np.ndarray) -> np.ndarray:
        """Nearest mask labels at every output voxel centre moved by `offset` (voxels)."""
        axes = [
            ((np.arange(n, dtype=np.float32) + offset[a] - half[a]) * out_spacing[a] - pose.translation_mm[a]).astype(
                np.float32
            )
            for a, n in enumerate(shape)
        ]
        out = np.empty(shape, dtype=np.uint8)
        for z0 in range(0, shape[0], SLAB):
            z = axes[0][z0 : z0 + SLAB, None, None]
            index = np.zeros((len(z), shape[1], shape[2]), dtype=np.intp if flat.size >= 2**31 else np.int32)
            valid = np.ones(index.shape, dtype=bool)
            for c in range(3):  # the affine, axis by axis: no (n, 3) point arrays
                q = inverse[c, 0] * z + inverse[c, 1] * axes[1][None, :, None] + inverse[c, 2] * axes[2][None, None, :]
                if field is not None:
                    q = q + field[c, z0 : z0 + SLAB]
                if c == 2:
                    q *= mirror
                i = np.floor(q * scale[c] + shift[c]).astype(index.dtype)
                valid &= (i >= 0) & (i < size[c])
                index = index * size[c] + i
            out[z0 : z0 + SLAB] = flat[np.where(valid, index, outside)]
        return out

    label = sample(np.zeros(3))
    _keep_thin_labels(label, mask, out_spacing / src_spacing, sample)
    return swap[label] if swap is not None else label


def _keep_thin_labels(label: np.ndarray, mask: Mask, ratio: np.ndarray, sample: Any) -> None:
    """Give back, in place, the labels of the mask that sampling lost (see the module's doc)."""
    kept = np.bincount(label.ravel(), minlength=256)
    lost = [v for v in range(1, 256) if mask.counts[v] >= KEEP_VOXELS and kept[v] == 0]
    steps = np.clip(np.ceil(ratio - 1e-6).astype(int), 1, MAX_SUPERSAMPLE)
    if not lost or steps.max() == 1:
        return
    hits = {v: np.zeros(label.shape, dtype=np.uint8) for v in lost}
    axes = [(np.arange(k) + 0.5) / k - 0.5 for k in steps]
    for dz in axes[0]:
        for dy in axes[1]:
            for dx in axes[2]:
                seen = sample(np.array([dz, dy, dx]))
                for value, count in hits.items():
                    count += seen == value
    for value, count in hits.items():
        best = count.max()
        if best:
            label[count >= max(1, (best + 1) // 2)] = value


def _centre(label: np.ndarray, reach: np.ndarray, equal: np.ndarray) -> np.ndarray:
    """Where (mask index) the output grid's centre falls, per axis: the mask's own centre where the
    grid holds the whole mask (so an identity pose copies it exactly), else the labelled tissue's
    centre, kept far enough in that the grid crops the mask rather than run past it. On axes of
    equal spacing it is snapped so that an identity pose is an integer shift (exact labels)."""
    lo, hi = _bounds(label)
    size = np.asarray(label.shape, dtype=np.float64)
    middle = (size - 1) / 2.0
    tissue = np.clip((lo + hi) / 2.0, np.minimum(reach, middle), np.maximum(size - 1 - reach, middle))
    wanted = np.where(reach >= middle, middle, tissue)
    return np.where(equal, reach + np.rint(wanted - reach), wanted)


def _bounds(label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last labelled index per axis (the whole array when nothing is labelled)."""
    found = [np.flatnonzero(label.any(axis=tuple(a for a in range(3) if a != axis))) for axis in range(3)]
    if any(f.size == 0 for f in found):
        return np.zeros(3), np.asarray(label.shape, dtype=np.float64) - 1
    return np.array([f[0] for f in found], dtype=np.float64), np.array([f[-1] for f in found], dtype=np.float64)


def _side_swap(labels: LabelDict) -> np.ndarray:
    """A lookup table swapping every `left ...` label with its `right ...` namesake."""
    table = np.arange(256, dtype=np.uint8)
    values = {lb.name: lb.value for lb in labels}
    for name, value in values.items():
        if name.startswith("left "):
            other = values.get("right " + name.removeprefix("left "))
            if other is not None:
                table[value], table[other] = other, value
    return table
