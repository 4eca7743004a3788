"""Random training patches of volumes held in memory, the same way for synthetic, real and noise.

Each epoch visits every volume `per_volume` times in an order drawn from (seed, epoch); each patch
is fixed by (seed, epoch, volume, k): with probability `pos_fraction` it is centred on a voxel of
one class, the class drawn uniformly among those the volume holds (nnU-Net's foreground
oversampling: a small organ is centred as often as the liver), otherwise placed uniformly. A
volume smaller than the patch is padded at its far end (image by its edge, label with background);
`pad_to_patch` pads a whole volume for inference the same way, so the model never meets padding
it was not trained on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset

from pipeline.evaluate.volumes import Volume

POSITIVES = 4096  # voxels remembered per class and volume to centre patches on


class Patches(IterableDataset):
    def __init__(
        self, volumes: list[Volume], patch: tuple[int, int, int], per_volume: int, seed: int, pos_fraction: float = 0.5
    ) -> None:
        self.volumes = volumes
        self.patch = patch
        self.per_volume = per_volume
        self.seed = seed
        self.pos_fraction = pos_fraction
        self.epoch = 0
        rng = np.random.default_rng(seed)
        self.positives = [_by_class(v.label, rng) for v in volumes]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.volumes) * self.per_volume

    def __iter__(self) -> Iterator[dict[str, Any]]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self))
        for sample in order:
            index, k = divmod(int(sample), self.per_volume)
            yield self.patch_of(index, k)

    def patch_of(self, index: int, k: int) -> dict[str, Any]:
        volume = self.volumes[index]
        rng = np.random.default_rng([self.seed, self.epoch, index, k])
        high = [max(n - p, 0) for n, p in zip(volume.label.shape, self.patch, strict=True)]
        by_class = self.positives[index]
        if by_class and rng.random() < self.pos_fraction:
            positives = by_class[int(rng.integers(len(by_class)))]
            centre = np.unravel_index(positives[rng.integers(positives.size)], volume.label.shape)
            origin = [int(np.clip(c - p // 2, 0, h)) for c, p, h in zip(centre, self.patch, high, strict=True)]
        else:
            origin = [int(rng.integers(0, h + 1)) for h in high]
        window = tuple(slice(o, o + p) for o, p in zip(origin, self.patch, strict=True))
        image = pad_to_patch(volume.image[window], self.patch, "edge")
        label = pad_to_patch(volume.label[window], self.patch)
        return {"image": torch.from_numpy(image)[None], "label": torch.from_numpy(label.astype(np.int64))[None]}


def _by_class(label: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """A sample of each present class's voxels (flat indices), in class order."""
    found = []
    for k in np.unique(label):
        if k == 0:
            continue
        flat = np.flatnonzero(label == k)
        found.append(rng.choice(flat, POSITIVES, replace=False) if flat.size > POSITIVES else flat)
    return found


def pad_to_patch(data: np.ndarray, patch: tuple[int, int, int], mode: str = "constant") -> np.ndarray:
    """`data` grown at its far end to at least `patch` along each axis (`edge`: repeating its last
    plane; `constant`: zeros)."""
    widths = [(0, max(p - n, 0)) for p, n in zip(patch, data.shape, strict=True)]
    if not any(w for _, w in widths):
        return np.ascontiguousarray(data)
    return np.pad(data, widths, mode=mode)  # type: ignore[call-overload]
