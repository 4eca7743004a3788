"""Direct shard reads (`pipeline.stream.shards`) read the voxels zarr-python reads, on random
boxes of arrays as the factory writes them (every codec, a series axis, edges, chunks never
written), from a local folder and from S3; anything else is left to zarr; a missing shard object
or a corrupt index is an error naming the study, never fill values."""

import os

import numpy as np
import pytest
import s3fs
import zarr
from fsspec.implementations.local import LocalFileSystem

from pipeline.errors import StorageError
from pipeline.store.omezarr import Encoding, _write_array, shard_key
from pipeline.stream.ranges import GAP, FsspecRanges, TensorstoreS3, coalesce, ranges_for
from pipeline.stream.shards import layout, open_shard


def write(root, path: str, data: np.ndarray, encoding: Encoding) -> str:
    group = zarr.open_group(zarr.storage.LocalStore(root), mode="a", zarr_format=3)
    _write_array(group, path, data, encoding)
    return f"{root}/{path}"


def volume(shape, dtype, rng) -> np.ndarray:
    data = (
        rng.integers(-1000, 1500, shape).astype(dtype) if dtype == np.int16 else rng.integers(0, 9, shape).astype(dtype)
    )
    data[..., : shape[-3] // 3, :, :] = 0  # whole inner chunks of fill: never written
    return data


def boxes(shape, rng, n=25):
    for _ in range(n):
        start = [int(rng.integers(0, s)) for s in shape]
        stop = [int(rng.integers(a + 1, s + 1)) for a, s in zip(start, shape, strict=True)]
        yield tuple(slice(a, b) for a, b in zip(start, stop, strict=True))


@pytest.mark.parametrize("codec", ["blosc-zstd", "blosc-lz4", "zstd", "none"])
@pytest.mark.parametrize(
    ("shape", "dtype"), [((37, 50, 45), np.int16), ((37, 50, 45), np.uint8), ((2, 20, 33, 18), np.int16)]
)
def test_random_boxes_read_what_zarr_reads(tmp_path, codec, shape, dtype):
    rng = np.random.default_rng(len(shape) * 7 + np.dtype(dtype).itemsize)
    data = volume(shape, dtype, rng)
    root = write(tmp_path, "a", data, Encoding(chunk=(16, 16, 16), codec=codec))
    direct = open_shard(LocalFileSystem(), root, "study s1", [0])
    assert direct is not None
    stored = zarr.open_array(root, mode="r")
    for box in boxes(shape, rng):
        assert np.array_equal(direct[box], stored[box]), box
        as_float = direct.read(box, np.float32)  # converted as each chunk is placed
        assert as_float.dtype == np.float32 and np.array_equal(as_float, stored[box].astype(np.float32)), box
        into = np.full(as_float.size, np.nan, np.float32)  # a caller's memory (a batch's slot)
        assert np.shares_memory(direct.read(box, np.float32, out=into), into)
        assert np.array_equal(into.reshape(as_float.shape), as_float), box
    assert np.array_equal(direct[...], data)
    if len(shape) == 4:
        assert np.array_equal(direct[(1, slice(3, 9))], stored[1, 3:9])  # a series picked by an int


def test_a_read_into_memory_of_another_type_or_size_is_refused(tmp_path):
    direct = open_shard(LocalFileSystem(), write(tmp_path, "a", np.ones((8, 8, 8), np.int16), Encoding()), "s", [0])
    for wrong in (np.empty(8 * 8 * 8, np.float64), np.empty(7, np.int16), np.empty((8, 8, 16), np.int16)[..., ::2]):
        with pytest.raises(ValueError, match="out: must be a contiguous int16 array of 512 values"):
            direct.read((slice(None),) * 3, out=wrong)


def test_bytes_read_are_counted_and_empty_chunks_cost_nothing(tmp_path):
    data = np.zeros((32, 32, 32), np.uint8)
    data[16:, 16:, 16:] = 3
    root = write(tmp_path, "a", data, Encoding(chunk=(16, 16, 16)))
    counter = [0]
    direct = open_shard(LocalFileSystem(), root, "study s1", counter)
    index_bytes = counter[0]
    assert index_bytes == 8 * 16 + 4
    assert not direct[0:16, 0:16, 0:16].any() and counter[0] == index_bytes  # an empty chunk: no read
    assert (direct[16:, 16:, 16:] == 3).all() and counter[0] > index_bytes


@pytest.mark.parametrize("way", ["tensorstore", "fsspec"])
def test_s3_reads_what_zarr_reads(tmp_path, s3, way):
    rng = np.random.default_rng(5)
    data = volume((30, 40, 40), np.int16, rng)
    root = write(tmp_path, "a", data, Encoding(chunk=(16, 16, 16)))
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
    fs.put(root, f"{s3.bucket}/ds/a", recursive=True)
    ranges = ranges_for(fs) if way == "tensorstore" else FsspecRanges(fs)
    assert isinstance(ranges, TensorstoreS3 if way == "tensorstore" else FsspecRanges)
    direct = open_shard(fs, f"{s3.bucket}/ds/a", "study s1", [0], ranges)
    for box in boxes(data.shape, rng, 10):
        assert np.array_equal(direct[box], data[box]), box


def test_ranges_close_together_are_merged_as_tensorstore_merges_them():
    b = 51 + GAP  # GAP + 1 bytes after the first range ends: apart
    c = b + 100 + GAP  # GAP bytes after the second ends: together
    d = c + 101 + GAP
    ranges = [(b, b + 100), (0, 50), (c, c + 100), (d, d + 100)]
    assert coalesce(ranges) == [(0, 50, [1]), (b, c + 100, [0, 2]), (d, d + 100, [3])]
    assert coalesce([(0, 10), (5, 8)]) == [(0, 10, [0, 1])]  # one inside another
    assert coalesce([]) == []


def test_s3_reads_a_box_in_fewer_requests_than_chunks(tmp_path, s3):
    """Inner chunks lying together in the shard come in one ranged GET."""
    data = np.arange(32 * 32 * 32, dtype=np.int16).reshape(32, 32, 32)
    root = write(tmp_path, "a", data, Encoding(chunk=(16, 16, 16)))
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
    fs.put(root, f"{s3.bucket}/ds/a", recursive=True)
    direct = open_shard(fs, f"{s3.bucket}/ds/a", "study s1", [0])
    asked: list[int] = []
    cat_ranges = fs.cat_ranges
    fs.cat_ranges = lambda paths, *args, **kwargs: asked.append(len(paths)) or cat_ranges(paths, *args, **kwargs)
    assert np.array_equal(direct[:, :, :], data)
    assert asked == [1]  # all eight chunks, back to back in the shard: one request


def test_a_local_shard_is_read_from_its_map_and_advised_to_the_kernel_once(tmp_path, monkeypatch):
    first = np.arange(32 * 32 * 32, dtype=np.int16).reshape(32, 32, 32)
    root = write(tmp_path, "a", first, Encoding(chunk=(16, 16, 16)))
    advised = []
    real = os.posix_fadvise
    monkeypatch.setattr(
        os, "posix_fadvise", lambda fd, offset, n, how: advised.append(offset) or real(fd, offset, n, how)
    )
    monkeypatch.setattr(os, "pread", lambda *a: pytest.fail("a mapped shard is not read with pread"))
    direct = open_shard(LocalFileSystem(), root, "study s1", [0])
    assert np.array_equal(direct[4:20, :, 10:30], first[4:20, :, 10:30])
    assert len(advised) == 8  # every chunk the box meets, once
    assert np.array_equal(direct[...], first)
    assert len(advised) == 8  # a warm read asks the kernel for nothing

    direct.close()
    direct.close()  # twice is harmless
    assert np.array_equal(direct[...], first)  # mapped again
    zarr.open_array(root, mode="r+")[...] = -first  # zarr writes a new shard file and renames it over
    assert np.array_equal(direct[...], first)  # the open map keeps the file it mapped


def test_a_missing_shard_or_a_corrupt_index_names_the_study(tmp_path):
    root = write(tmp_path, "a", np.ones((20, 20, 20), np.int16), Encoding(chunk=(16, 16, 16)))
    shard = tmp_path / shard_key("a", 3)
    body = shard.read_bytes()
    shard.write_bytes(body[:-5] + bytes([body[-5] ^ 0xFF]) + body[-4:])
    with pytest.raises(StorageError, match=r"^study s7: the shard index of .* fails its checksum"):
        open_shard(LocalFileSystem(), root, "study s7", [0])
    shard.unlink()
    with pytest.raises(StorageError, match=r"^study s7: its shard object .*c/0/0/0 is missing"):
        open_shard(LocalFileSystem(), root, "study s7", [0])


def test_a_layout_it_does_not_know_is_left_to_zarr(tmp_path):
    zarr.create_array(zarr.storage.LocalStore(tmp_path / "plain"), shape=(8, 8, 8), chunks=(4, 4, 4), dtype="int16")
    assert open_shard(LocalFileSystem(), str(tmp_path / "plain"), "study s1", [0]) is None  # not sharded
    assert layout({"codecs": []}) is None


@pytest.mark.parametrize("way", ["tensorstore", "fsspec"])
def test_a_shard_object_gone_from_s3_after_opening_names_the_study(tmp_path, s3, way):
    root = write(tmp_path, "a", np.ones((20, 20, 20), np.int16), Encoding(chunk=(16, 16, 16)))
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
    fs.put(root, f"{s3.bucket}/ds/a", recursive=True)
    ranges = ranges_for(fs) if way == "tensorstore" else FsspecRanges(fs)
    direct = open_shard(fs, f"{s3.bucket}/ds/a", "study s9", [0], ranges)
    assert (direct[0:4, 0:4, 0:4] == 1).all()
    fs.rm(f"{s3.bucket}/ds/{shard_key('a', 3)}")
    fs.invalidate_cache()
    with pytest.raises(StorageError, match=r"^study s9: its shard object .* is missing"):
        direct[0:4, 0:4, 0:4]
