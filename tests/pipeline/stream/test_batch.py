"""A worker's batches (`pipeline.stream.batch`): samples read into consecutive slots of one shared
block are handed on without a copy, image and label in that one block; anything else is stacked
into shared memory in a worker; a StreamLoader's batches hold the voxels an in-process stream
reads, padded patches, mapped classes and a short last batch included."""

import numpy as np
import torch

from pipeline.stream import StreamLoader, StudyStream
from pipeline.stream import batch as batch_module
from pipeline.stream.batch import SharedBatch, SharedBatches, collate

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
    block = SharedBatch(3, SHAPE, SHAPE, np.dtype(np.int32))
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
    samples = filled(SharedBatch(2, SHAPE, SHAPE, np.dtype(np.uint8)), 2)
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
    blocks = SharedBatches(2, SHAPE, SHAPE, np.dtype(np.uint8))
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
