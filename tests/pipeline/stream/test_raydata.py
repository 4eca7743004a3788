"""The same source as a Ray Data dataset, on the session's real Ray."""

import shutil

import pytest
import torch

from pipeline import catalog
from pipeline.catalog import compaction
from pipeline.catalog.manifest import encode_part
from pipeline.errors import CatalogError
from pipeline.store.layout import part_path
from pipeline.stream import StudyStream, ray_dataset

pytestmark = pytest.mark.usefixtures("ray_session")


def test_patches_through_iter_torch_batches_match_the_study_stream(uri):
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


def test_whole_volumes_come_one_per_batch(uri):
    rows = list(ray_dataset(uri, where="index < 2").iter_torch_batches(batch_size=1))
    assert len(rows) == 2 and rows[0]["image"].shape == (1, 1, 64, 96, 96)


def test_a_bad_clause_fails_before_ray_works(uri):
    with pytest.raises(CatalogError, match="unknown column"):
        ray_dataset(uri, where="nosuch = 1")


def test_a_compacted_catalog_streams_the_same_samples(uri, tmp_path):
    """Compacted files, a superseding part and a later part together: every study once."""
    copy = tmp_path / "ds"
    shutil.copytree(uri, copy)
    cat = catalog.open(str(copy))
    later = cat.query("shard = 1").to_pylist()
    (copy / part_path(1)).unlink()
    compaction.compact(cat)
    cat.store.write_atomic(part_path(1), encode_part(later, cat.info.labels, cat.info.columns))  # committed later
    shard0 = cat.query("shard = 0").to_pylist()
    cat.store.write_atomic(part_path(0), encode_part(shard0, cat.info.labels, cat.info.columns))  # supersedes
    options = {"patch_size": (16, 16, 16), "patches_per_study": 1, "seed": 1}
    indices = sorted(
        int(i) for b in ray_dataset(str(copy), **options).iter_torch_batches(batch_size=2) for i in b["index"]
    )
    assert indices == list(range(6))
    assert sorted(s["study_id"] for s in StudyStream(str(copy), **options)) == [f"s{i:09d}" for i in range(6)]


def test_series_come_stacked_as_in_the_study_stream(series_dataset):
    root = series_dataset.storage.uri
    options = {"series": ("portal_venous", "arterial"), "normalize": "none", "shuffle": False}
    batches = list(ray_dataset(root, where="index < 2", **options).iter_torch_batches(batch_size=1))
    assert len(batches) == 2 and batches[0]["image"].shape == (1, 2, 48, 64, 64)
    expected = {s["study_id"]: s for s in StudyStream(root, where="index < 2", **options)}
    for batch in batches:
        sample = expected[f"s{int(batch['index'][0]):09d}"]
        assert torch.equal(batch["image"][0], sample["image"]) and batch["series_index"][0].tolist() == [2, 1]
