"""Reading one sample (`StudyReader`): the same voxels as zarr-python on any box (edges padded),
classes mapped by name, and only the chunks a patch overlaps read."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import zarr

from pipeline.store.omezarr import overlapped_bytes
from pipeline.stream import StudyStream
from pipeline.stream.batch import BatchShape, SharedBatch
from pipeline.stream.config import StreamConfig
from pipeline.stream.reader import StudyReader, _lut, _split

PATCH = (32, 32, 32)


def rows(stream: StudyStream) -> list[dict]:
    """The stream's catalog rows, as the reader receives them."""
    n = len(next(iter(stream._columns.values())))
    return [{name: values[i] for name, values in stream._columns.items()} for i in range(n)]


def reader(stream: StudyStream, **keywords) -> StudyReader:
    config = StreamConfig(**{"normalize": "none", **keywords})
    return StudyReader(stream.store, stream.labels, config, stream.series)


@pytest.mark.parametrize("patch", [(32, 32, 32), (48, 80, 40), (64, 96, 96), (80, 100, 120)])
def test_patches_equal_zarr_python_on_random_boxes_edges_padded(uri, patch):
    """Every patch (some larger than the 64 x 96 x 96 volume) is zarr-python's slice of the same
    box: the image padded by its edge values, the label by background."""
    stream = StudyStream(uri, shuffle=False)
    read = reader(stream, patch_size=patch, seed=3)
    for r in rows(stream)[:3]:
        group = zarr.open_group(f"{uri}/{_split(r['image_path'])[0]}", mode="r")
        image, label = group["0"][...], group["labels/anatomy/0"][...]
        for k in range(3):
            sample = read.read(r, k, epoch=1)
            z, y, x = sample["origin"].tolist()
            box = (slice(z, z + patch[0]), slice(y, y + patch[1]), slice(x, x + patch[2]))
            pad = [(0, p - n) for p, n in zip(patch, image[box].shape, strict=True)]
            assert np.array_equal(sample["image"][0].numpy(), np.pad(image[box], pad, mode="edge").astype(np.float32))
            assert np.array_equal(sample["label"][0].numpy(), np.pad(label[box], pad))
            assert all(0 <= o <= max(n - p, 0) for o, n, p in zip((z, y, x), image.shape, patch, strict=True))


def test_classes_map_label_names_to_one_to_k_and_everything_else_to_zero(uri):
    stream = StudyStream(uri, shuffle=False)
    r = rows(stream)[0]
    values = {lb.name: lb.value for lb in stream.labels}
    mapped = reader(stream, classes=("spleen", "liver")).read(r, 0, 0)["label"][0].numpy()
    raw = reader(stream).read(r, 0, 0)["label"][0].numpy()
    expected = np.where(raw == values["spleen"], 1, np.where(raw == values["liver"], 2, 0))
    assert mapped.dtype == np.int64 and np.array_equal(mapped, expected) and {1, 2} <= set(np.unique(mapped))
    lut = _lut(stream.labels, ("liver",))
    assert lut.shape[0] >= 256 and lut[values["liver"]] == 1 and lut.sum() == 1


def test_a_path_splits_at_its_group():
    assert _split("studies/000001/s1.zarr/labels/anatomy/0") == ("studies/000001/s1.zarr", "labels/anatomy/0")
    assert _split("studies/000001/s1.zarr/0") == ("studies/000001/s1.zarr", "0")


def test_a_patch_reads_only_the_chunks_it_overlaps(uri):
    """Bytes zarr reads for a patch, against the compressed size of exactly the chunks it overlaps
    (read from the shard indexes), for image and label."""
    stream = StudyStream(uri, patch_size=PATCH, shuffle=False, normalize="none")
    reader = StudyReader(stream.store, stream.labels, stream.config)
    row = rows(stream)[2]
    reader.read(row, 0, 0)  # opens the arrays (their zarr.json), not counted below
    for patch in range(1, 6):
        before = reader.bytes_read[0]
        sample = reader.read(row, patch, 0)
        read = reader.bytes_read[0] - before
        origin = sample["origin"].tolist()
        overlapped = sum(overlapped_bytes(stream.store, row[p], origin, PATCH) for p in ("image_path", "label_path"))
        assert overlapped <= read <= 1.5 * overlapped, (read, overlapped)
    whole = sum(f.stat().st_size for f in (Path(uri) / row["image_path"]).rglob("c/*/*/*"))
    assert read < whole / 2


def test_a_patch_of_one_series_reads_only_that_series_chunks(series_dataset):
    uri = series_dataset.storage.uri
    stream = StudyStream(uri, series=("arterial",), patch_size=PATCH, shuffle=False, normalize="none")
    reader = StudyReader(stream.store, stream.labels, stream.config, stream.series)
    row = rows(stream)[1]
    reader.read(row, 0, 0)
    for patch in range(1, 5):
        before = reader.bytes_read[0]
        origin = reader.read(row, patch, 0)["origin"].tolist()
        read = reader.bytes_read[0] - before
        overlapped = overlapped_bytes(stream.store, row["image_path"], [1, *origin], [1, *PATCH])
        overlapped += overlapped_bytes(stream.store, row["label_path"], [0, *origin], [1, *PATCH])
        assert overlapped <= read <= 1.5 * overlapped, (read, overlapped)
        every = overlapped_bytes(stream.store, row["image_path"], [0, *origin], [4, *PATCH])
        assert read < 0.6 * every  # one of four series, not all of them


@pytest.mark.parametrize("patch", [(32, 32, 32), (80, 32, 40)])
def test_a_sample_read_into_a_batch_slot_is_the_sample_read_alone(uri, patch):
    """Into a slot of a worker's shared batch (padded or not, classes mapped or not), the sample
    is the one read on its own, and its tensors are the slot's."""
    stream = StudyStream(uri, shuffle=False)
    for keywords in ({}, {"classes": ("liver", "spleen")}):
        read = reader(stream, patch_size=patch, seed=5, normalize="ct", **keywords)
        image, label, dtype = read.sample_shapes(rows(stream)[0])
        batch = SharedBatch(BatchShape(2, image, label, dtype))
        for i, r in enumerate(rows(stream)[1:3]):
            alone, into = read.read(r, i, 0), read.read(r, i, 0, out=batch.slot(i))
            assert into["image"].data_ptr() == batch.slot(i).image.data_ptr()
            assert into["label"].data_ptr() == batch.slot(i).label.data_ptr()
            assert torch.equal(into["image"], alone["image"]) and torch.equal(into["label"], alone["label"])


def test_prefetch_asks_the_disk_for_what_the_read_decodes(uri, monkeypatch):
    stream = StudyStream(uri, shuffle=False)
    read = reader(stream, patch_size=PATCH, seed=2)
    advised: list[tuple[int, int]] = []
    real = os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, at, n, how: advised.append((fd, at)) or real(fd, at, n, how))
    r = rows(stream)[4]
    read.prefetch(r, 1, 0)
    assert len(advised) >= 2  # chunks of the label and of the image
    asked = len(advised)
    read.read(r, 1, 0)
    assert len(advised) == asked  # the read found every chunk it decodes asked for already
    read.read(r, 2, 0)
    assert len(advised) > asked  # another patch: chunks not asked for yet
