"""Patch reads straight from a single-shard Zarr v3 array, as this factory writes every array
(`pipeline.store.omezarr`: one shard object of inner chunks, bytes then blosc, zstd or nothing).

zarr-python 3.1 reads a box's inner chunks one after another through its event loop and reads the
shard index again for every slice. Here the index is read once per array (its crc32c checked), and
a box's inner chunks are fetched together: straight from a memory map of a local file, one batch
of ranged GETs on an object store (`pipeline.stream.ranges`: chunks stored together come in one
GET), then decoded with numcodecs (blosc and zstd release the GIL).

A local shard is mapped, not read with `pread`, and the kernel is told once per inner chunk, on its
first read, to fetch it (`POSIX_FADV_WILLNEED`): a warm read then decodes straight from the page
cache with no system call and no copy of the compressed bytes. Advising every read and `pread`
cost about 1 ms of CPU in a 96^3 patch's 7 with two decode threads (`jobs.bench stream`). Shard
files are never rewritten in place (zarr and the stream cache write a temporary file and rename
it), so a mapping stays valid while its array is open. The bytes on disk and the
format are zarr's: any array whose metadata is not that layout is read by zarr-python instead
(`open_shard` returns None).

A shard object that the array should have and that is missing is an error naming it (zarr would
read fill values); an inner chunk the shard index marks empty is the fill value, as zarr reads it.
Object-store requests are retried (by tensorstore, or as the Store retries its own).
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import product
from typing import Any

import fsspec
import numpy as np
from fsspec.implementations.local import LocalFileSystem
from numcodecs import Blosc, Zstd
from numcodecs.checksum32 import CRC32C

from pipeline.errors import StorageError
from pipeline.store.omezarr import shard_key
from pipeline.store.storage import retry
from pipeline.stream.ranges import FsspecRanges, Ranges

EMPTY = np.iinfo(np.uint64).max  # the shard index's (offset, nbytes) of a chunk never written
DECODERS = {"blosc": Blosc, "zstd": Zstd}
_THREADS = [os.cpu_count() or 1]  # decode threads per process (`set_threads`)
_POOL: list[tuple[int, ThreadPoolExecutor | None]] = [(0, None)]
_POOL_LOCK = threading.Lock()


@dataclass(frozen=True)
class Layout:
    """What a patch read needs of an array's zarr.json."""

    shape: tuple[int, ...]
    shard: tuple[int, ...]  # the one shard's shape (the whole array, rounded up to whole chunks)
    chunk: tuple[int, ...]  # the inner chunk
    dtype: np.dtype
    fill: Any
    codec: str | None  # "blosc", "zstd" or None (bytes only)

    @property
    def grid(self) -> tuple[int, ...]:
        """Inner chunks per axis in the shard (its index's shape)."""
        return tuple(s // c for s, c in zip(self.shard, self.chunk, strict=True))


def layout(meta: dict[str, Any]) -> Layout | None:
    """The layout of a zarr.json this reader knows (one shard over the whole array, C order,
    inner codecs bytes then at most one of blosc or zstd, index at the end with crc32c); None
    for anything else."""
    try:
        (sharding,) = meta["codecs"]
        config = sharding["configuration"]
        grid = meta["chunk_grid"]["configuration"]["chunk_shape"]
        inner = config["codecs"]
        names = [c["name"] for c in inner]
        endian = inner[0].get("configuration", {}).get("endian", "little")
        index_codecs = [c["name"] for c in config["index_codecs"]]
        dtype = np.dtype(meta["data_type"])
    except (KeyError, TypeError, ValueError):
        return None
    shape = tuple(int(n) for n in meta["shape"])
    shard = tuple(int(n) for n in grid)
    chunk = tuple(int(n) for n in config["chunk_shape"])
    whole = len(shard) == len(shape) == len(chunk) and all(
        s >= n and s % c == 0 for s, n, c in zip(shard, shape, chunk, strict=True)
    )
    if (
        sharding["name"] != "sharding_indexed"
        or not whole
        or config.get("index_location", "end") != "end"
        or index_codecs != ["bytes", "crc32c"]
        or names[0] != "bytes"
        or (dtype.itemsize > 1 and endian != "little")
        or len(names) > 2
        or (len(names) == 2 and names[1] not in DECODERS)
        or meta.get("chunk_key_encoding", {}).get("name", "default") != "default"
        or meta.get("chunk_key_encoding", {}).get("configuration", {}).get("separator", "/") != "/"
    ):
        return None
    fill = dtype.type(meta.get("fill_value", 0) or 0)
    return Layout(shape, shard, chunk, dtype.newbyteorder("<"), fill, names[1] if len(names) == 2 else None)


class ShardArray:
    """One array's shard: `read(window)` is `zarr.Array[window]` for a box of slices with
    steps of 1 (an int index for a leading axis allowed)."""

    def __init__(
        self,
        fs: fsspec.AbstractFileSystem,
        path: str,
        layout: Layout,
        where: str,
        counter: list[int],
        ranges: Ranges | None = None,
    ) -> None:
        self.fs, self.path, self.layout, self.where, self.counter = fs, path, layout, where, counter
        self.local = isinstance(fs, LocalFileSystem)
        self.ranges = ranges or FsspecRanges(fs)
        self._decoder = DECODERS[layout.codec]() if layout.codec else None
        self._chunk_size = math.prod(layout.chunk)  # values in an inner chunk (checked on every decode)
        self._mapped: tuple[int, mmap.mmap, memoryview] | None = None  # fd, map, a view of it
        self._lock = threading.Lock()
        self._index = self._read_index()
        self._advised = np.zeros(layout.grid, dtype=bool)

    def _read_index(self) -> np.ndarray:
        n = int(np.prod(self.layout.grid))
        size = 16 * n + 4
        try:
            tail = retry(lambda: self.fs.cat_file(self.path, start=-size), self.path)
        except FileNotFoundError:
            raise StorageError(f"{self.where}: its shard object {self.path} is missing") from None
        self.counter[0] += len(tail)
        try:
            body = CRC32C().decode(tail)
        except RuntimeError:
            raise StorageError(f"{self.where}: the shard index of {self.path} fails its checksum") from None
        return np.frombuffer(body, dtype="<u8").reshape((*self.layout.grid, 2))

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.read(key if isinstance(key, tuple) else (key,))

    def read(
        self, window: tuple[Any, ...], dtype: np.dtype | type | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """The box `window`, as `dtype` (default: the array's): converting while each chunk is
        placed saves a pass over the patch that a caller's own `astype` would make. `out`, an
        array of the box's shape (squeezed as the result is) and `dtype`, receives it instead of
        a new one."""
        starts, stops, squeeze = self._box(window)
        shape = [b - a for a, b in zip(starts, stops, strict=True)]
        dtype = np.dtype(dtype or self.layout.dtype)
        if out is None:
            out = np.empty(shape, dtype=dtype)
        elif out.dtype != dtype or out.size != math.prod(shape) or not out.flags.c_contiguous:
            raise ValueError(f"out: must be a contiguous {dtype} array of {math.prod(shape)} values")
        else:
            out = out.reshape(shape)
        stored = []
        for ids in self._chunks(starts, stops):
            if self._index[ids][0] == EMPTY:
                out[self._within(ids, starts, stops)[0]] = self.layout.fill  # never written: the fill value
            else:
                stored.append((ids, self._index[ids]))

        def place(ids: tuple[int, ...], data: bytes | memoryview) -> int:
            """Decode one chunk into its part of `out` (chunks fill disjoint parts: thread-safe)."""
            block = self._decode(data, ids)
            target, source = self._within(ids, starts, stops)
            out[target] = block[source]
            return len(data)

        if self.local:  # decode straight from the mapped file
            self._advise([ids for ids, _ in stored])
            view = self._map()[2]
            jobs = [lambda ids=ids, e=e: place(ids, view[int(e[0]) : int(e[0] + e[1])]) for ids, e in stored]
        else:  # one concurrent batch of ranged GETs, then the decodes
            fetched = self._fetch([e for _, e in stored])
            jobs = [lambda ids=ids, data=data: place(ids, data) for (ids, _), data in zip(stored, fetched, strict=True)]
        self.counter[0] += sum(_run(jobs))  # each job returns the bytes it decoded
        return out[squeeze] if squeeze else out

    def prefetch(self, window: tuple[Any, ...]) -> None:
        """Ask the kernel to start reading the chunks of `window` of a local shard that this
        array has not asked for yet, so that their I/O runs while other reads decode."""
        if self.local:
            starts, stops, _ = self._box(window)
            self._advise([ids for ids in self._chunks(starts, stops) if self._index[ids][0] != EMPTY])

    def _chunks(self, starts: list[int], stops: list[int]) -> Iterator[tuple[int, ...]]:
        """The inner chunks the box meets, in C order."""
        spans = [range(a // c, (b - 1) // c + 1) for a, b, c in zip(starts, stops, self.layout.chunk, strict=True)]
        return product(*spans)

    def _advise(self, chunks: list[tuple[int, ...]]) -> None:
        """`POSIX_FADV_WILLNEED` for each chunk not advised before: the kernel reads them in while
        the first decodes. Once per chunk: advice costs a system call even for cached pages."""
        fd = self._map()[0]
        for ids in chunks:
            if not self._advised[ids]:
                offset, nbytes = self._index[ids]
                os.posix_fadvise(fd, int(offset), int(nbytes), os.POSIX_FADV_WILLNEED)
                self._advised[ids] = True

    def _within(
        self, ids: tuple[int, ...], starts: list[int], stops: list[int]
    ) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
        """Where chunk `ids` meets the box: (its part of the box, the same part of the chunk)."""
        spans = [
            (max(a, i * c), min(b, (i + 1) * c), i * c, a)
            for a, b, i, c in zip(starts, stops, ids, self.layout.chunk, strict=True)
        ]
        return tuple(slice(lo - a, hi - a) for lo, hi, _, a in spans), tuple(
            slice(lo - o, hi - o) for lo, hi, o, _ in spans
        )

    def _box(self, window: tuple[Any, ...]) -> tuple[list[int], list[int], tuple[Any, ...]]:
        starts, stops, squeeze = [], [], []
        if Ellipsis in window:
            at = window.index(Ellipsis)
            window = (*window[:at], *(slice(None),) * (len(self.layout.shape) - len(window) + 1), *window[at + 1 :])
        full = (*window, *(slice(None),) * (len(self.layout.shape) - len(window)))
        for item, n in zip(full, self.layout.shape, strict=True):
            if isinstance(item, int | np.integer):
                i = int(item) + (n if item < 0 else 0)
                starts.append(i)
                stops.append(i + 1)
                squeeze.append(0)
            else:
                a, b, step = item.indices(n)
                if step != 1:
                    raise ValueError("a patch read takes slices with a step of 1")
                starts.append(a)
                stops.append(max(a, b))
                squeeze.append(slice(None))
        return starts, stops, tuple(squeeze) if any(s == 0 for s in squeeze) else ()

    def _fetch(self, entries: list[np.ndarray]) -> list[bytes | memoryview]:
        """The stored bytes of each chunk from an object store, all requested at once."""
        spans = [(int(offset), int(offset + nbytes)) for offset, nbytes in entries]
        try:
            return self.ranges.fetch(self.path, spans) if spans else []
        except FileNotFoundError:
            raise StorageError(f"{self.where}: its shard object {self.path} is missing") from None
        except StorageError as exc:
            raise StorageError(f"{self.where}: {exc}") from None

    def _map(self) -> tuple[int, mmap.mmap, memoryview]:
        """The local shard file: its descriptor (for read-ahead advice), a read-only map of it and
        a view of the map (slicing a view does not copy)."""
        with self._lock:
            if self._mapped is None:
                try:
                    fd = os.open(self.path, os.O_RDONLY)
                except FileNotFoundError:
                    raise StorageError(f"{self.where}: its shard object {self.path} is missing") from None
                try:
                    mapped = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
                except (OSError, ValueError) as exc:
                    os.close(fd)
                    raise StorageError(f"{self.where}: cannot map its shard object {self.path}: {exc}") from None
                self._mapped = (fd, mapped, memoryview(mapped))
            return self._mapped

    def _decode(self, data: bytes | memoryview, ids: tuple[int, ...]) -> np.ndarray:
        raw = self._decoder.decode(data) if self._decoder is not None else data
        block = np.frombuffer(raw, dtype=self.layout.dtype)
        if block.size != self._chunk_size:
            raise StorageError(f"{self.where}: inner chunk {list(ids)} of {self.path} decodes to {block.size} values")
        return block.reshape(self.layout.chunk)

    def close(self) -> None:
        """Closes the local file and its map (opened again on the next read). A map that a
        decode still reads from is left to be closed when that read lets go of it."""
        with self._lock:
            if self._mapped is not None:
                fd, mapped, view = self._mapped
                self._mapped = None
                view.release()
                os.close(fd)
                with contextlib.suppress(BufferError):  # still read: closed when that read lets go
                    mapped.close()

    def __del__(self) -> None:
        self.close()


def set_threads(n: int) -> None:
    """How many threads decode a read's chunks in this process (a DataLoader worker sets 1:
    its parallelism is the workers')."""
    _THREADS[0] = max(1, int(n))


def decode_threads() -> int:
    """How many threads decode a read's chunks in this process."""
    return _THREADS[0]


def _run(jobs: list[Callable[[], int]]) -> list[int]:
    """Every job's result: the jobs dealt round-robin into one group per decode thread, the
    calling thread running the first group itself. A hand-off per group, not per chunk: with
    one task per chunk the pool's own bookkeeping cost about 6 % of a read's CPU and its rate."""
    n = min(_THREADS[0], len(jobs))
    if n <= 1:
        return [job() for job in jobs]
    groups = [jobs[k::n] for k in range(n)]
    pending = [_pool().submit(lambda group=group: [job() for job in group]) for group in groups[1:]]
    done = [job() for job in groups[0]]
    return done + [result for future in pending for result in future.result()]


def _pool() -> ThreadPoolExecutor:
    """The process's decode threads (made again in a forked child, whose parent's threads are gone)."""
    with _POOL_LOCK:
        pid, pool = _POOL[0]
        if pool is None or pid != os.getpid():
            pool = ThreadPoolExecutor(_THREADS[0], thread_name_prefix="medsynth-decode")
            _POOL[0] = (os.getpid(), pool)
        return pool


def open_shard(
    fs: fsspec.AbstractFileSystem, array_root: str, where: str, counter: list[int], ranges: Ranges | None = None
) -> ShardArray | None:
    """The array at `array_root` (a path in `fs`) read directly, or None when its layout is not
    one this reader knows (zarr-python reads it then). `where` names the study in errors;
    `ranges` fetches chunks from an object store (`pipeline.stream.ranges`; default: fsspec's)."""
    try:
        meta = json.loads(retry(lambda: fs.cat_file(f"{array_root}/zarr.json"), array_root))
    except FileNotFoundError:
        raise StorageError(f"{where}: {array_root}/zarr.json is missing") from None
    found = layout(meta)
    if found is None:
        return None
    return ShardArray(fs, shard_key(array_root, len(found.shape)), found, where, counter, ranges)


__all__ = ["Layout", "ShardArray", "decode_threads", "layout", "open_shard", "set_threads"]
