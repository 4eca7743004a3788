"""The readers `jobs.bench stream` compares (`jobs.bench.readers`): on one small dataset, StudyStream,
tensorstore and the floor read the patches StudyStream yields, and StudyStream and tensorstore
return the same voxels (the comparison refuses to report readers that disagree)."""

from pathlib import Path

import numpy as np
import pytest

from jobs.bench.readers import compare, drop_page_cache, patches, studystream, tensorstore
from jobs.bench.stream import make_dataset

PATCH = (16, 24, 24)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("readers") / "ds", 2, [32, 48, 48])


def test_tensorstore_reads_the_voxels_studystream_yields(dataset):
    boxes = patches(dataset, PATCH, 3)
    assert len(boxes) == 6 and all(len(origin) == 3 for _, _, origin in boxes)
    ours, theirs = studystream(dataset, PATCH, 3)(), tensorstore(dataset, boxes, PATCH, 1)()
    assert len(ours) == len(theirs) == 4
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_every_reader_is_timed_cold_and_warm_in_every_repeat(dataset):
    drop_page_cache(Path(dataset))  # harmless without root: advice, not a command
    found = compare(dataset, PATCH, 3, repeats=2)
    names = ("studystream", "tensorstore", "floor", "studystream_1thread", "tensorstore_1thread")
    assert set(found) == {f"{n}_{k}" for n in names for k in ("cold", "warm")}
    assert all(len(passes) == 2 and all(seconds > 0 for seconds, _, _ in passes) for passes in found.values())
