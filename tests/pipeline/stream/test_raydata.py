"""The same source as a Ray Data dataset, on the session's real Ray."""

import pytest
import torch

from pipeline.errors import CatalogError
from pipeline.stream import StudyStream, ray_dataset
from tests.pipeline.stream.test_dataset import uri  # noqa: F401 - the module's dataset fixture

pytestmark = pytest.mark.usefixtures("ray_session")


def test_patches_through_iter_torch_batches_match_the_study_stream(uri):  # noqa: F811
    options = {"patch_size": (16, 16, 16), "patches_per_study": 2, "where": "index >= 2", "seed": 4}
    ds = ray_dataset(uri, **options)
    seen = {}
    for batch in ds.iter_torch_batches(batch_size=3):
        assert batch["image"].dtype == torch.float32 and batch["image"].shape[1:] == (1, 16, 16, 16)
        for i, index in enumerate(batch["index"].tolist()):
            seen[(f"s{index:09d}", int(batch["patch"][i]))] = (tuple(batch["origin"][i].tolist()), batch["image"][i])
    expected = {
        (s["study_id"], s["patch"]): (tuple(s["origin"].tolist()), s["image"]) for s in StudyStream(uri, **options)
    }
    assert seen.keys() == expected.keys()  # 4 studies x 2 patches, each once
    for k, (origin, image) in seen.items():
        assert origin == expected[k][0] and torch.equal(image, expected[k][1])


def test_whole_volumes_come_one_per_batch(uri):  # noqa: F811
    rows = list(ray_dataset(uri, where="index < 2").iter_torch_batches(batch_size=1))
    assert len(rows) == 2 and rows[0]["image"].shape == (1, 1, 64, 96, 96)


def test_a_bad_clause_fails_before_ray_works(uri):  # noqa: F811
    with pytest.raises(CatalogError, match="unknown column"):
        ray_dataset(uri, where="nosuch = 1")
