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

Under a StreamLoader the blocks are also reused (`BlockPool`). A fresh block per batch costs the
worker a new shared-memory file and a page fault for each of its pages (about 1,100 a 96^3
patch), and the trainer a file-descriptor handshake with the worker (a connection to the worker's
resource-sharer thread, an HMAC challenge, `SCM_RIGHTS`) and a map and unmap: with two workers on
two cores, the trainer's share of that was most of what kept them from scaling. A pooled block
goes to the trainer whole the first time (`PooledBatch` with its storage) and by number after
that. The trainer (`ReceivedBlocks`) builds the batch's tensors over its own owner object and
gives the block back, through a flag in a small shared array, when the last tensor or view of
that batch is freed: a block is never written while the trainer can still see the batch it
carried. A worker whose pool is all in the trainer's hands takes a fresh block as before.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch.utils.data import get_worker_info

POOLED = "pooled"  # a collated batch's key for a pooled block, unpacked by the StreamLoader
POOL_BLOCKS = 8  # most blocks a worker reuses: the batches queued and held at once fit easily


@dataclass(frozen=True)
class Slot:
    """Where one sample goes: views of its batch's shared block."""

    image: torch.Tensor  # [C, D, H, W] float32
    label: torch.Tensor  # [1, D, H, W]


@dataclass(frozen=True)
class BatchShape:
    """A batch of `size` samples: image [C, D, H, W] float32 and label [1, D, H, W] of `label` type."""

    size: int
    image: tuple[int, ...]
    label: tuple[int, ...]
    label_dtype: np.dtype


class SharedBatch:
    """One batch's image and label in one shared-memory block; `key`: its number in a worker's pool."""

    def __init__(self, shape: BatchShape, key: int | None = None):
        itemsize = np.dtype(shape.label_dtype).itemsize
        start = -(-shape.size * math.prod(shape.image) * 4 // itemsize)  # the label's first element
        block = torch.UntypedStorage._new_shared(start * itemsize + shape.size * math.prod(shape.label) * itemsize)
        self.key, self.sent = key, False
        self.label_offset = start * itemsize
        self.image = torch.empty(0, dtype=torch.float32).set_(block, 0, (shape.size, *shape.image))
        self.label = torch.empty(0, dtype=torch.from_numpy(np.empty(0, shape.label_dtype)).dtype).set_(
            block, start, (shape.size, *shape.label)
        )

    def slot(self, i: int) -> Slot:
        return Slot(self.image[i], self.label[i])


class SharedBatches:
    """A worker's batch blocks, taken as their first slot is asked for (from `pool` when given)
    and forgotten once every slot is dealt (the samples' views keep a block alive until the
    trainer has it)."""

    def __init__(self, shape: BatchShape, pool: BlockPool | None = None):
        self.shape, self.pool = shape, pool
        self._open: dict[int, tuple[SharedBatch, int]] = {}
        self._lock = threading.Lock()

    def slot(self, j: int) -> Slot:
        """Slot of the worker's j-th sample."""
        b, i = divmod(j, self.shape.size)
        with self._lock:
            batch, dealt = self._open.get(b) or (self._take(), 0)
            if dealt + 1 == self.shape.size:
                self._open.pop(b, None)
            else:
                self._open[b] = (batch, dealt + 1)
        return batch.slot(i)

    def _take(self) -> SharedBatch:
        return (self.pool.take(self.shape) if self.pool is not None else None) or SharedBatch(self.shape)


class BlockPool:
    """A worker's reusable blocks, and which of them the trainer still holds.

    `in_use`: this worker's row of the StreamLoader's shared flags, one per block: set here when
    a block is taken, cleared by the trainer (`ReceivedBlocks`) when it has let go of the batch
    the block carried. Each flag has one writer per transition, so no lock is shared."""

    registry: ClassVar[dict[int, tuple[BlockPool, SharedBatch]]] = {}  # this process's pooled blocks by address

    def __init__(self, worker: int, in_use: torch.Tensor) -> None:
        self.worker = worker
        self.in_use = in_use.numpy()
        self.blocks: list[SharedBatch] = []

    def take(self, shape: BatchShape) -> SharedBatch | None:
        """A block the trainer has given back, a new one while the pool has room, else None."""
        for block in self.blocks:
            if not self.in_use[block.key]:
                self.in_use[block.key] = 1
                return block
        if len(self.blocks) == self.in_use.size:
            return None
        block = SharedBatch(shape, key=len(self.blocks))
        self.in_use[block.key] = 1
        self.blocks.append(block)
        BlockPool.registry[block.image.untyped_storage().data_ptr()] = (self, block)
        return block

    @staticmethod
    def find(tensor: torch.Tensor) -> tuple[BlockPool, SharedBatch] | None:
        """The pool and block `tensor` lies in, in a worker of a StreamLoader."""
        return BlockPool.registry.get(tensor.untyped_storage().data_ptr())


@dataclass(frozen=True)
class PooledBatch:
    """A batch in a worker's pooled block: the block's storage the first time, its number after."""

    worker: int
    block: int
    storage: torch.UntypedStorage | None
    n: int
    image_shape: tuple[int, ...]
    label_shape: tuple[int, ...]
    label_dtype: torch.dtype
    label_offset: int  # bytes

    @staticmethod
    def of(samples: list[dict[str, Any]]) -> PooledBatch | None:
        """The batch, when `samples` are slots 0.. of one pooled block of this worker, in order."""
        info = get_worker_info()
        images, labels = [s["image"] for s in samples], [s["label"] for s in samples]
        found = BlockPool.find(images[0]) if info is not None else None
        if found is None:
            return None
        pool, block = found
        whole = _consecutive(images) and _consecutive(labels) and images[0].storage_offset() == 0
        if not (whole and labels[0].data_ptr() == block.label.data_ptr()):
            pool.in_use[block.key] = 0  # the batch is stacked (copied) out of it: the block is free
            return None
        storage = None if block.sent else block.image.untyped_storage()
        block.sent = True
        shapes = (tuple(images[0].shape), tuple(labels[0].shape))
        return PooledBatch(pool.worker, block.key, storage, len(samples), *shapes, labels[0].dtype, block.label_offset)


class ReceivedBlocks:
    """The trainer's side of the workers' pools for one pass: each block's storage as first
    received, and the shared flags through which a block goes back once its batch is freed.
    `pin`: page-lock a pooled batch's tensors (copies: the block goes back at once)."""

    def __init__(self, n_workers: int, pin: bool = False) -> None:
        self.pin = pin
        self.in_use = torch.zeros((max(n_workers, 1), POOL_BLOCKS), dtype=torch.int8).share_memory_()
        self._flags = self.in_use.numpy()
        self._storages: dict[tuple[int, int], torch.UntypedStorage] = {}

    def unpack(self, batch: dict[str, Any]) -> dict[str, Any]:
        """`batch` with image and label in place of a `PooledBatch`: tensors over an owner of
        their own, whose freeing (every view of them gone) gives the block back."""
        pooled: PooledBatch | None = batch.pop(POOLED, None)
        if pooled is None:
            return batch
        key = (pooled.worker, pooled.block)
        if pooled.storage is not None:
            self._storages[key] = pooled.storage
        storage = self._storages[key]
        owner = torch.empty(0, dtype=torch.uint8).set_(storage, 0, (storage.nbytes(),)).numpy()
        weakref.finalize(owner, _give_back, self._flags, key)
        data = torch.from_numpy(owner)
        image_bytes = pooled.n * math.prod(pooled.image_shape) * 4
        label_bytes = pooled.n * math.prod(pooled.label_shape) * pooled.label_dtype.itemsize
        image = data[:image_bytes].view(torch.float32).view(pooled.n, *pooled.image_shape)
        label = data[pooled.label_offset : pooled.label_offset + label_bytes].view(pooled.label_dtype)
        label = label.view(pooled.n, *pooled.label_shape)
        if self.pin:
            image, label = image.pin_memory(), label.pin_memory()
        return {"image": image, "label": label, **batch}


def _give_back(flags: np.ndarray, key: tuple[int, int]) -> None:
    flags[key] = 0


def collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack image and label into [B, 1, D, H, W]; keep the small per-sample fields as lists.

    From a worker, image and label are in shared memory already (read into a `SharedBatch`, or
    stacked into a new block), so sending the batch to the trainer copies nothing; the few bytes
    of origin, spacing and ids are cheaper as plain lists (origin and spacing as tuples), which
    is what lets two workers scale on two cores."""
    pooled = PooledBatch.of(samples)
    batch: dict[str, Any] = (
        {POOLED: pooled} if pooled else {key: _stack([s[key] for s in samples]) for key in ("image", "label")}
    )
    for key in samples[0]:
        if key not in ("image", "label"):
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


__all__ = [
    "BatchShape",
    "BlockPool",
    "PooledBatch",
    "ReceivedBlocks",
    "SharedBatch",
    "SharedBatches",
    "Slot",
    "collate",
]
