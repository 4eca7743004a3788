"""A worker's batches (`pipeline.stream.batch`): samples read into consecutive slots of one shared
block are handed on without a copy, image and label in that one block; anything else is stacked
into shared memory in a worker; a StreamLoader's batches hold the voxels an in-process stream
reads, padded patches, mapped classes and a short last batch included; under a StreamLoader a
worker's blocks are reused once the trainer has freed the batch a block carried, and never before."""

import gc

import numpy as np
import pytest
import torch

from pipeline.stream import StreamLoader, StudyStream
from pipeline.stream import batch as batch_module
from pipeline.stream.batch import (
    POOL_BLOCKS,
    POOLED,
    BatchShape,
    BlockPool,
    ReceivedBlocks,
    SharedBatch,
    SharedBatches,
    collate,
)

SHAPE = (1, 4, 6, 8)


def filled(block: SharedBatch, n: int) -> list[dict]:
    samples = []
    for i in range(n):
        slot = block.slot(i)
        slot.image.copy_(torch.full(SHAPE, float(i)))
        slot.label.copy_(torch.full(SHAPE, i + 1, dtype=slot.label.dtype))
        samples.append(
            {"image": slot.image, "label": slot.label, "study_id": f"s{i}", "origin": torch.tensor([i, 0, 0])}
        )
    return samples


def test_slots_of_one_block_are_handed_on_without_a_copy():
    block = SharedBatch(BatchShape(3, SHAPE, SHAPE, np.dtype(np.int32)))
    for n in (3, 2):  # a whole batch and a short last one
        samples = filled(block, n)
        batch = collate(samples)
        assert batch["image"].data_ptr() == block.image.data_ptr() and batch["image"].shape == (n, *SHAPE)
        assert batch["label"].dtype == torch.int32 and batch["label"].data_ptr() == block.label.data_ptr()
        assert batch["image"].is_shared() and batch["image"].untyped_storage().data_ptr() == (
            batch["label"].untyped_storage().data_ptr()
        )  # one block: one file descriptor for the trainer to receive
        assert torch.equal(batch["image"], torch.stack([s["image"] for s in samples]))
        assert torch.equal(batch["label"], torch.stack([s["label"] for s in samples]))
        assert batch["study_id"] == [f"s{i}" for i in range(n)] and batch["origin"][1] == (1, 0, 0)


def test_samples_out_of_order_or_from_elsewhere_are_stacked(monkeypatch):
    samples = filled(SharedBatch(BatchShape(2, SHAPE, SHAPE, np.dtype(np.uint8))), 2)
    swapped = collate(samples[::-1])
    assert swapped["image"].data_ptr() != samples[1]["image"].data_ptr()  # not the block: a copy
    assert torch.equal(swapped["image"], torch.stack([samples[1]["image"], samples[0]["image"]]))
    own = [{"image": torch.rand(SHAPE), "label": torch.ones(SHAPE, dtype=torch.uint8)} for _ in range(2)]
    assert not collate(own)["image"].is_shared()
    monkeypatch.setattr(batch_module, "get_worker_info", lambda: object())  # as in a DataLoader worker
    in_worker = collate(own)
    for key in ("image", "label"):
        assert in_worker[key].is_shared() and torch.equal(in_worker[key], torch.stack([s[key] for s in own]))


def test_a_workers_samples_are_dealt_slots_by_their_place():
    blocks = SharedBatches(BatchShape(2, SHAPE, SHAPE, np.dtype(np.uint8)))
    second, first = blocks.slot(1), blocks.slot(0)  # read ahead: the second sample asks first
    third = blocks.slot(2)
    assert first.image.data_ptr() + first.image.nbytes == second.image.data_ptr()
    assert third.image.untyped_storage().data_ptr() != first.image.untyped_storage().data_ptr()
    assert list(blocks._open) == [1]  # batch 0 fully dealt: forgotten, its samples keep it alive


def test_a_stream_loaders_batches_are_what_the_stream_reads_in_process(uri):
    options = {
        "patch_size": (80, 32, 32),  # deeper than the 64-slice volumes: padded
        "patches_per_study": 2,
        "classes": ("liver", "spleen"),
        "seed": 4,
    }
    expected = list(StudyStream(uri, **options))
    loader = StreamLoader(StudyStream(uri, **options), batch_size=5, num_workers=2)
    batches = list(loader)
    assert [len(b["study_id"]) for b in batches] == [5, 5, 2]
    at = 0
    for batch in batches:
        mine = expected[at : at + len(batch["study_id"])]
        at += len(mine)
        assert batch["study_id"] == [s["study_id"] for s in mine]
        # read into one block in the worker, received as one: the stacking path makes two
        assert batch["image"].untyped_storage().data_ptr() == batch["label"].untyped_storage().data_ptr()
        for key in ("image", "label"):
            assert batch[key].dtype == mine[0][key].dtype
            assert torch.equal(batch[key], torch.stack([s[key] for s in mine])), key


def test_a_stream_loader_stacks_series_as_channels_in_its_slots(series_dataset):
    options = {"series": ("arterial", "portal_venous"), "patch_size": (16, 32, 32), "patches_per_study": 2, "seed": 1}
    expected = list(StudyStream(series_dataset.storage.uri, **options))
    loader = StreamLoader(StudyStream(series_dataset.storage.uri, **options), batch_size=3, num_workers=2)
    got = list(loader)
    assert sum(len(b["study_id"]) for b in got) == len(expected)
    assert all(b["image"].untyped_storage().data_ptr() == b["label"].untyped_storage().data_ptr() for b in got)
    image = torch.cat([b["image"] for b in got])
    assert image.shape[1] == 2 and torch.equal(image, torch.stack([s["image"] for s in expected]))
    assert torch.equal(torch.cat([b["label"] for b in got]), torch.stack([s["label"] for s in expected]))


class Worker:
    """What `get_worker_info()` gives a DataLoader worker: enough for `collate`."""

    id, num_workers = 0, 1


def test_a_pooled_block_goes_to_the_trainer_once_and_comes_back_when_its_batch_is_freed(monkeypatch):
    monkeypatch.setattr(batch_module, "get_worker_info", lambda: Worker())
    received = ReceivedBlocks(1)
    blocks = SharedBatches(BatchShape(2, SHAPE, SHAPE, np.dtype(np.uint8)), BlockPool(0, received.in_use[0]))
    sent = collate(filled_slots(blocks, 0, 2))
    assert "image" not in sent and sent[POOLED].storage is not None  # the block itself, the first time
    batch = received.unpack(sent)
    assert torch.equal(batch["image"][1], torch.full(SHAPE, 1.0)) and batch["label"].dtype == torch.uint8
    assert torch.equal(batch["label"][0], torch.full(SHAPE, 1, dtype=torch.uint8)) and batch["study_id"][1] == "s1"
    first = batch["image"].data_ptr()
    view = batch["image"][1]  # a view outlives its batch: the block stays the trainer's
    del batch, sent
    gc.collect()
    assert received.in_use[0, 0] == 1
    other = collate(filled_slots(blocks, 2, 2))  # batch 1 takes a new block
    assert other[POOLED].block == 1
    del view
    gc.collect()
    assert received.in_use[0, 0] == 0  # the last view freed: given back
    again = collate(filled_slots(blocks, 4, 2, value=7.0))
    assert again[POOLED].block == 0 and again[POOLED].storage is None  # by number only
    reused = received.unpack(again)
    assert reused["image"].data_ptr() == first and torch.equal(reused["image"][0], torch.full(SHAPE, 7.0))


def test_a_pool_the_trainer_holds_whole_gives_fresh_blocks(monkeypatch):
    monkeypatch.setattr(batch_module, "get_worker_info", lambda: Worker())
    received = ReceivedBlocks(1)
    blocks = SharedBatches(BatchShape(1, SHAPE, SHAPE, np.dtype(np.uint8)), BlockPool(0, received.in_use[0]))
    held = [received.unpack(collate(filled_slots(blocks, j, 1, value=float(j)))) for j in range(POOL_BLOCKS + 2)]
    assert received.in_use.all()
    for j, batch in enumerate(held):  # the two past the pool came stacked in fresh blocks, as before
        assert torch.equal(batch["image"][0], torch.full(SHAPE, float(j)))
    assert len({b["image"].data_ptr() for b in held}) == POOL_BLOCKS + 2


def test_a_pooled_block_whose_batch_is_stacked_out_of_it_is_free_again(monkeypatch):
    monkeypatch.setattr(batch_module, "get_worker_info", lambda: Worker())
    received = ReceivedBlocks(1)
    blocks = SharedBatches(BatchShape(2, SHAPE, SHAPE, np.dtype(np.uint8)), BlockPool(0, received.in_use[0]))
    samples = filled_slots(blocks, 0, 2)
    stacked = collate(samples[::-1])  # not slots 0, 1 in order: copied
    assert POOLED not in stacked and received.in_use[0, 0] == 0
    assert torch.equal(stacked["image"][0], samples[1]["image"])


def filled_slots(blocks: SharedBatches, j: int, n: int, value: float | None = None) -> list[dict]:
    """Samples j .. j + n - 1 of a worker, read into their slots: image i (or `value`), label i + 1."""
    samples = []
    for i in range(j, j + n):
        slot = blocks.slot(i)
        slot.image.copy_(torch.full(SHAPE, float(i - j) if value is None else value))
        slot.label.copy_(torch.full(SHAPE, i - j + 1, dtype=slot.label.dtype))
        samples.append({"image": slot.image, "label": slot.label, "study_id": f"s{i - j}"})
    return samples


@pytest.mark.parametrize("keep", ["every batch", "a view of every third"])
def test_a_stream_loader_reuses_blocks_only_once_the_trainer_lets_go(uri, keep):
    options = {"patch_size": (32, 32, 32), "patches_per_study": 8, "seed": 2}
    expected = list(StudyStream(uri, **options))
    loader = StreamLoader(StudyStream(uri, **options), batch_size=2, num_workers=1)
    held, pooled, at = [], 0, 0
    for k, batch in enumerate(loader):
        n = len(batch["study_id"])
        mine = expected[at : at + n]
        assert torch.equal(batch["image"], torch.stack([s["image"] for s in mine]))  # as it arrives
        # a pooled batch is a view of the trainer's one mapping of the block; a fresh block is
        # received as a shared storage of its own
        pooled += not batch["image"].is_shared()
        if keep == "every batch":
            held.append((at, batch["image"], batch["label"]))
        elif k % 3 == 0:
            held.append((at, batch["image"][:1], batch["label"][:1]))
        at += n
        del batch
    assert at == len(expected) == 48
    for start, image, label in held:  # nothing the trainer kept was written over
        assert torch.equal(image, torch.stack([s["image"] for s in expected[start : start + len(image)]]))
        assert torch.equal(label, torch.stack([s["label"] for s in expected[start : start + len(label)]]))
    if keep == "every batch":
        assert pooled == POOL_BLOCKS  # the pool, then fresh blocks
    else:
        assert pooled > POOL_BLOCKS  # blocks came back and were read into again
