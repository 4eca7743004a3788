"""The object-storage readers `jobs.bench stream` compares (`jobs.bench.remote`): on one small
dataset copied to the local S3, StudyStream direct, through its cache (cold and warm) and
tensorstore each read every patch, with and without the added latency, in every repeat."""

import pytest

from jobs.bench import remote
from jobs.bench.readers import patches
from jobs.bench.stream import make_dataset

PATCH = (16, 24, 24)


@pytest.mark.bench
def test_every_reader_reads_every_patch_at_every_latency(tmp_path):
    dataset = make_dataset(tmp_path / "ds", 2, [32, 48, 48])
    boxes = patches(dataset, PATCH, 3)
    found = remote.compare(dataset, boxes, PATCH, 3, repeats=2)
    readers = ("studystream", "tensorstore", "cache_cold", "cache_warm")
    assert set(found) == {f"{ms}ms_{r}" for ms in remote.LATENCIES_MS for r in readers}
    for passes in found.values():
        assert len(passes) == 2 and all(seconds > 0 and server >= 0 for seconds, _, server in passes)
    # every request waited 20 ms: the direct reads with latency are slower than without
    assert min(s for s, _, _ in found["20ms_studystream"]) > min(s for s, _, _ in found["0ms_studystream"])
