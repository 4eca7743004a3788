"""A worker's batches, read straight into the shared memory that carries them to the trainer.

A DataLoader worker hands each batch to the training process through shared memory. Stacking the
samples into a new shared block after reading them copies every voxel once more (and touches a
fresh block's pages while copying): about a quarter of a worker's time on 96^3 patches. Instead a
worker allocates each batch's block first (`SharedBatch`: image [B, C, D, H, W] float32 and label
[B, 1, D, H, W] in one block, so the trainer receives one file descriptor a batch, not two), the
reader writes sample i straight into slot i (`pipeline.stream.reader`), and `collate` sees that
the samples are consecutive slots of one block and hands the block on without stacking.

Slots are dealt by a sample's place in the worker's sequence (`SharedBatches.slot(j)`: batch
j // B, slot j % B), which is how the DataLoader groups a worker's samples into batches, so a
batch is its block even when samples are read ahead on threads. A sample that cannot be read
into its slot (a label of another type) comes as ordinary tensors, and its batch is stacked.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import get_worker_info


@dataclass(frozen=True)
class Slot:
    """Where one sample goes: views of its batch's shared block."""

    image: torch.Tensor  # [C, D, H, W] float32
    label: torch.Tensor  # [1, D, H, W]


class SharedBatch:
    """One batch's image and label in one shared-memory block."""

    def __init__(self, size: int, image_shape: tuple[int, ...], label_shape: tuple[int, ...], label: np.dtype):
        itemsize = np.dtype(label).itemsize
        start = -(-size * math.prod(image_shape) * 4 // itemsize)  # the label's first element, after the image
        block = torch.UntypedStorage._new_shared(start * itemsize + size * math.prod(label_shape) * itemsize)
        self.image = torch.empty(0, dtype=torch.float32).set_(block, 0, (size, *image_shape))
        self.label = torch.empty(0, dtype=torch.from_numpy(np.empty(0, label)).dtype).set_(
            block, start, (size, *label_shape)
        )

    def slot(self, i: int) -> Slot:
        return Slot(self.image[i], self.label[i])


class SharedBatches:
    """A worker's batch blocks, made as their first slot is asked for and forgotten once every
    slot is dealt (the samples' views keep a block alive until the trainer has it)."""

    def __init__(self, size: int, image_shape: tuple[int, ...], label_shape: tuple[int, ...], label: np.dtype):
        self.size, self.image_shape, self.label_shape, self.label = size, image_shape, label_shape, label
        self._open: dict[int, tuple[SharedBatch, int]] = {}
        self._lock = threading.Lock()

    def slot(self, j: int) -> Slot:
        """Slot of the worker's j-th sample."""
        b, i = divmod(j, self.size)
        with self._lock:
            batch, dealt = self._open.get(b) or (
                SharedBatch(self.size, self.image_shape, self.label_shape, self.label),
                0,
            )
            if dealt + 1 == self.size:
                self._open.pop(b, None)
            else:
                self._open[b] = (batch, dealt + 1)
        return batch.slot(i)


def collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack image and label into [B, 1, D, H, W]; keep the small per-sample fields as lists.

    From a worker, image and label are in shared memory already (read into a `SharedBatch`, or
    stacked into a new block), so sending the batch to the trainer copies nothing; the few bytes
    of origin, spacing and ids are cheaper as plain lists (origin and spacing as tuples), which
    is what lets two workers scale on two cores."""
    batch: dict[str, Any] = {key: _stack([s[key] for s in samples]) for key in ("image", "label")}
    for key in samples[0]:
        if key not in batch:
            values = [s[key] for s in samples]
            batch[key] = [tuple(v.tolist()) if isinstance(v, torch.Tensor) else v for v in values]
    return batch


def _stack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """torch.stack: no copy when the tensors are consecutive slots of one block; in a DataLoader
    worker, otherwise, straight into a new shared block (as torch's own default_collate does)."""
    first = tensors[0]
    if _consecutive(tensors):
        return torch.empty(0, dtype=first.dtype).set_(
            first.untyped_storage(), first.storage_offset(), (len(tensors), *first.shape)
        )
    if get_worker_info() is None:
        return torch.stack(tensors)
    storage = first.untyped_storage()._new_shared(sum(t.nbytes for t in tensors), device=first.device)
    out = first.new(storage).view(len(tensors), *first.shape)
    return torch.stack(tensors, out=out)


def _consecutive(tensors: list[torch.Tensor]) -> bool:
    """Contiguous tensors of one shape and type lying back to back in one storage, in order."""
    first = tensors[0]
    base, step = first.untyped_storage().data_ptr(), first.numel()
    return all(
        t.is_contiguous()
        and t.dtype == first.dtype
        and t.shape == first.shape
        and t.untyped_storage().data_ptr() == base
        and t.storage_offset() == first.storage_offset() + k * step
        for k, t in enumerate(tensors)
    )


__all__ = ["SharedBatch", "SharedBatches", "Slot", "collate"]
