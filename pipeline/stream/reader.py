"""Reading one sample: a whole study, or a patch that touches only the Zarr chunks it overlaps.

Arrays are opened lazily and kept in a small per-process LRU; a patch is a plain slice of the
sharded array, which zarr turns into a read of the shard index plus one ranged read per inner
chunk overlapped. Balanced sampling also reads the study's label map once per process (a label map
compresses ~60x, so it is a few percent of the study's bytes) to find voxels to centre on.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
import zarr
from fsspec.implementations.local import LocalFileSystem
from zarr.abc.store import ByteRequest
from zarr.core.buffer import Buffer, BufferPrototype
from zarr.storage import WrapperStore

from models import LabelDict
from pipeline.catalog.columns import suffix
from pipeline.errors import ConfigError, StorageError
from pipeline.store.storage import Store
from pipeline.stream.batch import Slot
from pipeline.stream.cache import StudyCache
from pipeline.stream.config import StreamConfig
from pipeline.stream.once import Once
from pipeline.stream.ranges import Ranges, ranges_for
from pipeline.stream.shards import ShardArray, open_shard

SERIES_STREAM = 1  # the "random" series draw's own stream of (seed, epoch, index, patch)
POSITIVE_SAMPLE = 4096  # positive voxels remembered per study for balanced sampling
OPEN_ARRAYS = 16  # per process
LOCAL = LocalFileSystem()
Readable = ShardArray | zarr.Array  # what a patch is sliced from


class CountingStore(WrapperStore):
    """Counts the bytes zarr reads through it (the benchmark's and the tests' witness)."""

    def __init__(self, store: Any, counter: list[int] | None = None) -> None:
        super().__init__(store)
        self.counter = counter if counter is not None else [0]

    def _with_store(self, store: Any) -> CountingStore:
        return CountingStore(store, self.counter)

    async def get(self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None) -> Buffer | None:
        buffer = await self._store.get(key, prototype, byte_range)
        self.counter[0] += len(buffer) if buffer is not None else 0
        return buffer

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        buffers = await self._store.get_partial_values(prototype, key_ranges)
        self.counter[0] += sum(len(b) for b in buffers if b is not None)
        return buffers


class StudyReader:
    """Turns (catalog row, patch k) into a sample dict. One per process."""

    def __init__(self, store: Store, labels: LabelDict, config: StreamConfig, series: tuple[str, ...] = ()) -> None:
        self.store = store
        self.config = config
        self.series = series  # the dataset's (empty: one series, 3-D arrays)
        self.cache = (
            StudyCache(root=Path(config.cache_dir).expanduser(), limit_bytes=int(config.cache_limit_gb * 2**30))
            if config.cache_dir and not store.is_local
            else None
        )
        self.class_lut = _lut(labels, config.classes) if config.classes else None
        positive = config.pos_labels or tuple(lb.name for lb in labels if lb.name != "body")
        self.positive_lut = _lut(labels, positive) > 0
        self.bytes_read = [0]
        self._arrays: OrderedDict[str, Readable] = OrderedDict()
        self._positives: OrderedDict[int, np.ndarray] = OrderedDict()
        self._opening = Once()
        self._lock = threading.Lock()
        self._threads: ThreadPoolExecutor | None = None
        self._fetcher: Ranges | None = None

    def read(self, r: dict[str, Any], patch: int, epoch: int, out: Slot | None = None) -> dict[str, Any]:
        """Sample `patch` of `epoch` of the study in catalog row `r` (the whole volume without a
        patch size): a function of (seed, epoch, study index, patch) and the data alone. Safe to
        call from several threads at once (`StudyStream` reads ahead on an object store). With
        `out` (a worker's `pipeline.stream.batch` slot), image and label are written into it and
        the sample's tensors are its views."""
        if self.cache is None:
            return self._read(r, patch, epoch, self._array, remote=not self.store.is_local, out=out)
        group = _split(r["image_path"])[0]
        for _ in range(3):
            try:
                sample = self._read(r, patch, epoch, self._array, remote=False, out=out)
            except StorageError:  # a file of the copy gone: evicted under us, or truly missing
                if self.cache.holds(self.store, group):
                    raise
            else:
                if self.cache.holds(self.store, group):
                    return sample
            self._forget(group)  # evicted under us: fetch it again and reread
        # Evicted three times over: read from the store itself, arrays opened for this read only.
        opened: dict[str, Readable] = {}

        def uncached(path: str, where: str) -> Readable:
            if path not in opened:
                opened[path] = self._open(path, where, cached=False)
            return opened[path]

        return self._read(r, patch, epoch, uncached, remote=True, out=out)

    def _forget(self, group: str) -> None:
        with self._lock:
            for path in [p for p in self._arrays if p.startswith(f"{group}/")]:
                del self._arrays[path]

    def sample_shapes(self, r: dict[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...], np.dtype]:
        """A patch sample's image shape [C, D, H, W], label shape [1, D, H, W] and label type, the
        same for every study of the dataset (the label type is read from row `r`'s label array)."""
        if self.config.patch_size is None:
            raise ConfigError("patch_size: a stream of whole volumes has no one sample shape")
        wanted = self.config.series
        channels = len(wanted) if isinstance(wanted, tuple | list) else 1
        if self.class_lut is not None:
            dtype = self.class_lut.dtype
        else:
            label = self._array(r["label_path"], f"study {r['study_id']}")
            stored = label.layout.dtype if isinstance(label, ShardArray) else label.dtype
            dtype = np.dtype(np.uint8) if stored == np.uint8 else np.dtype(np.int32)
        return (channels, *self.config.patch_size), (1, *self.config.patch_size), dtype

    def chosen(self, r: dict[str, Any], patch: int, epoch: int) -> list[int]:
        """The series (indices into the dataset's) that sample `patch` of `epoch` stacks."""
        wanted = self.config.series
        if wanted is None:
            return [0]
        if wanted == "random":
            key = [self.config.seed, epoch, r["index"], patch, SERIES_STREAM]
            return [int(np.random.default_rng(np.random.SeedSequence(key)).integers(len(self.series)))]
        return [self.series.index(name) for name in wanted]

    def _read(
        self,
        r: dict[str, Any],
        patch: int,
        epoch: int,
        array: Callable[[str, str], Readable],
        remote: bool,
        out: Slot | None = None,
    ) -> dict[str, Any]:
        """The sample, its arrays from `array(path, study)`; `remote`: requests to an object
        store, so the image's and the label's go out together; `out`: where to write it."""
        where = f"study {r['study_id']}"
        if remote:
            opening = self._pool().submit(array, r["label_path"], where)
            image, label = array(r["image_path"], where), opening.result()
        else:
            image, label = array(r["image_path"], where), array(r["label_path"], where)
        chosen = self.chosen(r, patch, epoch)
        origin, label_box, boxes = self._boxes(r, patch, epoch, label, chosen)
        size = self.config.patch_size
        fits = size is not None and all(o + p <= n for o, p, n in zip(origin, size, r["shape_zyx"], strict=True))
        into = out.image.numpy() if out is not None and fits else None  # read straight into the slot

        def pixels(box: tuple[Any, ...], c: int) -> np.ndarray:  # float32 as it is placed, when read directly
            if isinstance(image, ShardArray):
                return image.read(box, np.float32, out=None if into is None else into[c])
            return image[box]

        if remote:  # an object store: the image's requests go out while the label's do
            pending = [self._pool().submit(pixels, box, c) for c, box in enumerate(boxes)]
            label_raw = label[label_box]
            raw = [p.result() for p in pending]
        else:  # a local file (its chunks asked of the disk ahead by `prefetch`, with one decode thread)
            label_raw, raw = label[label_box], [pixels(box, c) for c, box in enumerate(boxes)]
        label_data = _pad(label_raw, self.config.patch_size, edge=False)
        channels = [
            self._normalize(_pad(data, self.config.patch_size), r, k) for data, k in zip(raw, chosen, strict=True)
        ]
        classes = self._classes(label_data)
        if out is not None and classes.dtype == out.label.numpy().dtype:
            for c, data in enumerate(channels):
                if into is None or not np.shares_memory(data, into[c]):  # padded, or read by zarr
                    out.image.numpy()[c] = data
            out.label.numpy()[0] = classes
            image_tensor, label_tensor = out.image, out.label
        else:
            image_tensor = torch.from_numpy(channels[0][None] if len(channels) == 1 else np.stack(channels))
            label_tensor = torch.from_numpy(classes)[None]
        sample = {
            "image": image_tensor,
            "label": label_tensor,
            "study_id": r["study_id"],
            "index": r["index"],
            "modality": r["modality"],
            "patch": patch,
            "origin": torch.tensor(origin, dtype=torch.int64),
            "spacing_mm": torch.tensor(r["spacing_mm"], dtype=torch.float32),
        }
        if self.series:
            sample["series"] = ",".join(self.series[k] for k in chosen)
            sample["series_index"] = torch.tensor(chosen, dtype=torch.int64)
        return sample

    def prefetch(self, r: dict[str, Any], patch: int, epoch: int) -> None:
        """Ask the disk for the chunks that `read(r, patch, epoch)` will decode, and return: a
        local stream calls it for the next sample on a thread while this one decodes. Arrays not
        read directly (and object stores, which read ahead whole samples) are left alone."""
        if not self.store.is_local:  # (a local store has no cache)
            return
        where = f"study {r['study_id']}"
        image, label = self._array(r["image_path"], where), self._array(r["label_path"], where)
        _, label_box, boxes = self._boxes(r, patch, epoch, label, self.chosen(r, patch, epoch))
        for array, box in [(label, label_box)] + [(image, b) for b in boxes]:
            if isinstance(array, ShardArray):
                array.prefetch(box)

    def _boxes(
        self, r: dict[str, Any], patch: int, epoch: int, label: Readable, chosen: list[int]
    ) -> tuple[tuple[int, ...], tuple[Any, ...], list[tuple[Any, ...]]]:
        """Sample `patch`'s origin, its label box (the series axis of 1 included, in a dataset of
        several series) and the image box of each chosen series."""
        if self.config.patch_size is None:
            origin: tuple[int, ...] = (0, 0, 0)
            window: tuple[slice, ...] = (slice(None),) * 3
        else:
            rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, epoch, r["index"], patch]))
            origin = self._origin(r, rng, label)
            window = tuple(slice(o, o + p) for o, p in zip(origin, self.config.patch_size, strict=True))
        lead = (0,) if self.series else ()
        return origin, (*lead, *window), [(*((k,) if self.series else ()), *window) for k in chosen]

    def _pool(self) -> ThreadPoolExecutor:
        """Made on first use in the process that reads (a DataLoader worker's own, after fork):
        an image read or array open beside each read that may run at once."""
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.config.read_ahead + 1, thread_name_prefix="medsynth-read")
            return self._threads

    def _ranges(self) -> Ranges:
        """How this reader's direct reads fetch chunks from its object store (one per reader)."""
        with self._lock:
            if self._fetcher is None:
                self._fetcher = ranges_for(self.store.fs)
            return self._fetcher

    def _array(self, path: str, where: str) -> Readable:
        """The array at `path`, kept open in a small LRU; opened once when several reads ask for
        it at the same time."""
        with self._lock:
            if path in self._arrays:
                self._arrays.move_to_end(path)
                return self._arrays[path]
        with self._opening.per(path):  # a second read of `path` waits here, then finds it open
            with self._lock:
                if path in self._arrays:
                    return self._arrays[path]
            array = self._open(path, where, cached=self.cache is not None)
            with self._lock:
                self._arrays[path] = array
                while len(self._arrays) > OPEN_ARRAYS:
                    self._arrays.popitem(last=False)
        return array

    def _open(self, path: str, where: str, cached: bool) -> Readable:
        """The array at `path` (from the cache's local copy when `cached`): read directly from
        its shard (`pipeline.stream.shards`) when it is laid out as this factory writes arrays,
        through zarr-python otherwise."""
        group, array_path = _split(path)
        if cached and self.cache is not None:
            fs, root = LOCAL, str(self.cache.local(self.store, group))
        else:
            fs, root = self.store.fs, self.store.path(group)
        ranges = None if isinstance(fs, LocalFileSystem) else self._ranges()
        array: Readable | None = open_shard(fs, f"{root}/{array_path}", where, self.bytes_read, ranges)
        if array is None:  # not the factory's layout: zarr-python, on a store made only for it
            base = zarr.storage.LocalStore(root, read_only=True) if cached else self.store.zarr_store(group)
            array = zarr.open_array(CountingStore(base, self.bytes_read), path=array_path, mode="r", zarr_format=3)
        return array

    def _origin(self, r: dict[str, Any], rng: np.random.Generator, label: Readable) -> tuple[int, int, int]:
        shape, patch = r["shape_zyx"], self.config.patch_size
        high = [max(n - p, 0) for n, p in zip(shape, patch, strict=True)]
        if self.config.sampling == "balanced" and rng.random() < self.config.pos_fraction:
            positives = self._positive_voxels(r, label)
            if positives.size:
                centre = np.unravel_index(positives[rng.integers(positives.size)], shape)
                return tuple(int(np.clip(c - p // 2, 0, h)) for c, p, h in zip(centre, patch, high, strict=True))
        return tuple(int(rng.integers(0, h + 1)) for h in high)

    def _positive_voxels(self, r: dict[str, Any], label: Readable) -> np.ndarray:
        """A fixed random sample of the study's positive voxels (flat indices), cached."""
        key = r["index"]
        with self._lock:
            found = self._positives.get(key)
        if found is None:  # two threads may both compute it: the same sample, by its seed
            flat = np.flatnonzero(self.positive_lut[label[0] if self.series else label[...]])
            rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, key]))
            found = rng.choice(flat, min(flat.size, POSITIVE_SAMPLE), replace=False) if flat.size else flat
            with self._lock:
                self._positives[key] = found
                while len(self._positives) > 256:
                    self._positives.popitem(last=False)
        return found

    def _normalize(self, data: np.ndarray, r: dict[str, Any], k: int = 0) -> np.ndarray:
        """float32, normalised in place: one conversion, no further copies of the patch; z-scores
        by series `k`'s own statistics."""
        out = data if data.dtype == np.float32 else data.astype(np.float32)  # a direct read is float32 already
        mode = self.config.normalize
        if mode == "auto":
            mode = "ct" if r["modality"] == "CT" else "zscore"
        if mode == "ct":
            lo, hi = self.config.window
            np.clip(out, lo, hi, out=out)
            out -= np.float32(lo)
            out *= np.float32(1.0 / (hi - lo))
        elif mode == "zscore":
            end = f"_{suffix(self.series[k])}" if self.series else ""
            mean, std = r[f"intensity_mean{end}"], r[f"intensity_std{end}"]
            if mean is None or not std:
                mean, std = float(out.mean()), float(out.std()) or 1.0
            out -= np.float32(mean)
            out *= np.float32(1.0 / std)
        return out

    def _classes(self, label: np.ndarray) -> np.ndarray:
        if self.class_lut is not None:
            return self.class_lut[label]
        return label if label.dtype == np.uint8 else label.astype(np.int32)


def _pad(data: np.ndarray, patch: tuple[int, ...] | None, edge: bool = True) -> np.ndarray:
    """A patch read near the far end of a smaller volume, padded to `patch` (the image by its
    edge values, the label with background)."""
    if patch is None or data.shape == tuple(patch):
        return data
    pad = [(0, p - n) for p, n in zip(patch, data.shape, strict=True)]
    return np.pad(data, pad, mode="edge") if edge else np.pad(data, pad)


def check_series(config: StreamConfig, series: tuple[str, ...], uri: str) -> None:
    """`series` names series of the dataset (checked when the stream is made)."""
    if config.series is None:
        return
    if not series:
        raise ConfigError(f"series: {uri} holds one series per study; leave series=None")
    if config.series == "random":
        return
    for name in config.series:
        if name not in series:
            raise ConfigError(f"series: no series {name!r} in {uri} (it has {list(series)})")


def check_labels(config: StreamConfig, labels: LabelDict) -> None:
    """`classes` and `pos_labels` name labels of the dataset (checked when the stream is made,
    not later inside a DataLoader worker)."""
    known = {lb.name for lb in labels}
    for option in ("classes", "pos_labels"):
        for name in getattr(config, option) or ():
            if name not in known:
                raise ConfigError(f"{option}: no label {name!r} in this dataset's dictionary {labels.name!r}")


def _lut(labels: LabelDict, names: Iterable[str]) -> np.ndarray:
    """Label value -> 1..K for `names` in order, 0 for every other value (covers all of uint8)."""
    values = {lb.name: lb.value for lb in labels}
    lut = np.zeros(max([255, *values.values()]) + 1, dtype=np.int64)
    for k, name in enumerate(names, start=1):
        lut[values[name]] = k
    return lut


def _split(path: str) -> tuple[str, str]:
    """'studies/000001/s1.zarr/labels/anatomy/0' -> ('studies/000001/s1.zarr', 'labels/anatomy/0')."""
    group, _, array_path = path.partition(".zarr/")
    return f"{group}.zarr", array_path
