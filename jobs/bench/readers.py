"""The same patches read four ways, for `jobs.bench stream` (issue 32): StudyStream; tensorstore's
`zarr3` driver (the best reader of these files); a raw-decode floor (pread the chunks and blosc
decode them, one thread, no library); cold (a fresh reader after the dataset's files are dropped
from the page cache) and warm (the same reader's next pass). Every reader returns the same voxels
(checked on the first pass)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import tensorstore as ts
from numcodecs import Blosc

from pipeline.store.omezarr import shard_key
from pipeline.stream import StudyStream, shards
from pipeline.stream.shards import EMPTY, layout

Box = tuple[str, str, tuple[int, ...]]  # image path, label path, origin
PASS = tuple[float, float, list[np.ndarray]]  # seconds, CPU seconds, the voxels of the first patches


def drop_page_cache(root: Path) -> None:
    """Tell the kernel to drop every file of the dataset from the page cache (no root needed)."""
    for path in root.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def patches(uri: str, patch: tuple[int, int, int], per_study: int) -> list[Box]:
    """The patches `StudyStream(uri, patch_size=patch, patches_per_study=per_study)` yields, in order."""
    stream = StudyStream(uri, patch_size=patch, patches_per_study=per_study, normalize="none")
    paths = {row["study_id"]: (row["image_path"], row["label_path"]) for row in stream.rows.to_pylist()}
    return [(*paths[s["study_id"]], tuple(s["origin"].tolist())) for s in stream]


def timed(read: Callable[[], list[np.ndarray]]) -> PASS:
    started, cpu = time.perf_counter(), time.process_time()
    voxels = read()
    return time.perf_counter() - started, time.process_time() - cpu, voxels


def studystream(uri: str, patch: tuple[int, int, int], per_study: int) -> Callable[[], list[np.ndarray]]:
    stream = StudyStream(uri, patch_size=patch, patches_per_study=per_study, normalize="none")

    def read() -> list[np.ndarray]:
        kept = []
        for sample in stream:
            if len(kept) < 4:
                kept += [sample["label"][0].numpy(), sample["image"][0].numpy()]
        return kept

    return read


def tensorstore(
    uri: str, boxes: list[Box], patch: tuple[int, int, int], threads: int
) -> Callable[[], list[np.ndarray]]:
    limits = {"limit": threads}
    context = ts.Context({"data_copy_concurrency": limits, "file_io_concurrency": limits})
    opened: dict[str, Any] = {}

    def array(path: str) -> Any:
        if path not in opened:
            spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": f"{uri}/{path}"}}
            opened[path] = ts.open(spec, context=context, read=True).result()
        return opened[path]

    def read() -> list[np.ndarray]:
        kept = []
        for image, label, origin in boxes:
            window = tuple(slice(o, o + p) for o, p in zip(origin, patch, strict=True))
            futures = [array(label)[window].read(), array(image)[window].read()]
            arrays = [f.result() for f in futures]
            if len(kept) < 4:
                kept += arrays
        return kept

    return read


def floor(uri: str, boxes: list[Box], patch: tuple[int, int, int]) -> Callable[[], list[np.ndarray]]:
    """The least any reader must do: pread each overlapped chunk's bytes and decompress them (one
    thread, no library but the codec, no assembly into a patch). Returns no voxels to compare."""
    indexes: dict[str, tuple[int, np.ndarray, tuple[int, ...]]] = {}
    blosc = Blosc()

    def index(path: str) -> tuple[int, np.ndarray, tuple[int, ...]]:
        if path not in indexes:
            found = layout(json.loads(Path(f"{uri}/{path}/zarr.json").read_bytes()))
            if found is None or found.codec != "blosc":
                raise RuntimeError(f"{path}: the floor reads the factory's blosc shards only")
            fd = os.open(shard_key(f"{uri}/{path}", len(found.shape)), os.O_RDONLY)
            n = int(np.prod(found.grid))
            tail = os.pread(fd, 16 * n + 4, os.fstat(fd).st_size - 16 * n - 4)
            indexes[path] = (fd, np.frombuffer(tail[:-4], "<u8").reshape((*found.grid, 2)), found.chunk)
        return indexes[path]

    def read() -> list[np.ndarray]:
        for image, label, origin in boxes:
            for path in (label, image):
                fd, entries, chunk = index(path)
                spans = [range(o // c, (o + p - 1) // c + 1) for o, p, c in zip(origin, patch, chunk, strict=True)]
                for ids in product(*spans):
                    offset, nbytes = entries[ids]
                    if offset != EMPTY:
                        blosc.decode(os.pread(fd, int(nbytes), int(offset)))
        return []

    return read


def one_thread(run: Callable[[], PASS]) -> PASS:
    """`run` with one decode thread in StudyStream, as in a DataLoader worker."""
    shards.set_threads(1)
    try:
        return run()
    finally:
        shards.set_threads(os.cpu_count() or 1)


def compare(uri: str, patch: tuple[int, int, int], per_study: int, repeats: int) -> dict[str, list[PASS]]:
    """Every reader's cold and warm pass, `repeats` times, readers in rotated order each time:
    {"<reader>_cold": [...], "<reader>_warm": [...]}. Raises if two readers' voxels differ."""
    boxes = patches(uri, patch, per_study)
    n = os.cpu_count() or 1
    readers: dict[str, Callable[[], Callable[[], list[np.ndarray]]]] = {
        "studystream": lambda: studystream(uri, patch, per_study),
        "tensorstore": lambda: tensorstore(uri, boxes, patch, n),
        "floor": lambda: floor(uri, boxes, patch),
        "studystream_1thread": lambda: studystream(uri, patch, per_study),
        "tensorstore_1thread": lambda: tensorstore(uri, boxes, patch, 1),
    }
    found: dict[str, list[PASS]] = {}
    names = list(readers)
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            drop_page_cache(Path(uri))
            read = readers[name]()
            run = (
                (lambda r=read: one_thread(lambda: timed(r)))
                if name == "studystream_1thread"
                else (lambda r=read: timed(r))
            )
            for kind in ("cold", "warm"):
                found.setdefault(f"{name}_{kind}", []).append(run())
    reference = found["tensorstore_warm"][0][2]
    for name, passes in found.items():
        voxels = passes[0][2]
        if voxels and any(not np.array_equal(a, b) for a, b in zip(voxels, reference, strict=True)):
            raise RuntimeError(f"{name} read other voxels than tensorstore")
    return found


__all__ = ["compare", "drop_page_cache", "floor", "one_thread", "patches", "studystream", "tensorstore", "timed"]
