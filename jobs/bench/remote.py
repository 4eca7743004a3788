"""The same patches read from object storage, for `jobs.bench stream` (issue 32): the dataset
copied to moto's S3 (`jobs.bench.objectstore`, its own process), then read by StudyStream directly,
through its `cache_dir` (cold: an empty cache; warm: the same stream's next pass) and by
tensorstore's `zarr3` driver on its `s3` key-value store, each with and without 20 ms added to every
request by a proxy. Both readers get the same read-ahead: StudyStream's `read_ahead` samples at
once, and tensorstore's patches loaded through the same `read_ahead` helper. One untimed pass of
each comes first (client set-up, moto's first touch); then every repeat makes fresh readers, so
opening the arrays is part of each pass."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil
import s3fs
import tensorstore as ts

from jobs.bench.objectstore import BUCKET, Latency, LocalS3
from jobs.bench.readers import Box
from pipeline.stream import StudyStream
from pipeline.stream.config import StreamConfig
from pipeline.stream.dataset import read_ahead

LATENCIES_MS = (0, 20)
AHEAD = StreamConfig.read_ahead  # StudyStream's default, given to both readers
Pass = tuple[float, float, float]  # seconds, CPU seconds here, CPU seconds of the S3 server


def compare(
    uri: str, boxes: list[Box], patch: tuple[int, int, int], per_study: int, repeats: int
) -> dict[str, list[Pass]]:
    """{"<latency>ms_<reader>": [pass, ...]} for reader in studystream, tensorstore, cache_cold,
    cache_warm, readers in rotated order each repeat."""
    found: dict[str, list[Pass]] = {}
    with LocalS3() as s3:
        s3fs.S3FileSystem(endpoint_url=s3.endpoint).put(uri, f"{BUCKET}/ds", recursive=True)
        server = psutil.Process(s3.pid)
        for latency in LATENCIES_MS:
            with Latency(s3.endpoint, latency) as slow:
                endpoint = slow.endpoint if latency else s3.endpoint
                readers: dict[str, Callable[[str | None], Callable[[], int]]] = {
                    "studystream": lambda _, e=endpoint: studystream(e, patch, per_study, None),
                    "tensorstore": lambda _, e=endpoint: tensorstore(e, boxes, patch),
                    "cache": lambda cache, e=endpoint: studystream(e, patch, per_study, cache),
                }
                for name in ("studystream", "tensorstore"):
                    readers[name](None)()  # untimed
                names = list(readers)
                for repeat in range(repeats):
                    for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
                        cache = tempfile.mkdtemp() if name == "cache" else None  # empty: cold
                        try:
                            read = readers[name](cache)
                            kinds = ("cache_cold", "cache_warm") if name == "cache" else (name,)
                            for kind in kinds:
                                found.setdefault(f"{latency}ms_{kind}", []).append(_timed(read, server, len(boxes)))
                        finally:
                            if cache is not None:
                                shutil.rmtree(cache, ignore_errors=True)
    return found


def _timed(read: Callable[[], int], server: psutil.Process, expected: int) -> Pass:
    started, cpu, served = time.perf_counter(), time.process_time(), _cpu(server)
    count = read()
    if count != expected:
        raise RuntimeError(f"a reader read {count} patches, expected {expected}")
    return time.perf_counter() - started, time.process_time() - cpu, _cpu(server) - served


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def studystream(endpoint: str, patch: tuple[int, int, int], per_study: int, cache: str | None) -> Callable[[], int]:
    stream = StudyStream(
        f"s3://{BUCKET}/ds",
        patch_size=patch,
        patches_per_study=per_study,
        normalize="none",
        storage_options={"endpoint_url": endpoint},
        cache_dir=cache,
    )

    def read() -> int:
        return sum(1 for _ in stream)

    return read


def tensorstore(endpoint: str, boxes: list[Box], patch: tuple[int, int, int]) -> Callable[[], int]:
    """tensorstore on the same S3, `AHEAD` patches loading at once (label and image together)."""
    context = ts.Context({"data_copy_concurrency": {"limit": os.cpu_count() or 1}})
    opened: dict[str, Any] = {}
    lock = threading.Lock()

    def array(path: str) -> Any:
        with lock:
            if path not in opened:
                kvstore = {
                    "driver": "s3",
                    "bucket": BUCKET,
                    "path": f"ds/{path}/",
                    "endpoint": endpoint,
                    "aws_region": "us-east-1",
                    "aws_credentials": {"type": "environment"},
                }
                opened[path] = ts.open({"driver": "zarr3", "kvstore": kvstore}, context=context, read=True)
        return opened[path]

    def load(k: int) -> int:
        image, label, origin = boxes[k]
        window = tuple(slice(o, o + p) for o, p in zip(origin, patch, strict=True))
        label_array, image_array = array(label), array(image)
        for future in [label_array.result()[window].read(), image_array.result()[window].read()]:
            future.result()
        return 1

    def read() -> int:
        return sum(read_ahead(load, range(len(boxes)), AHEAD))

    return read


__all__ = ["LATENCIES_MS", "compare"]
