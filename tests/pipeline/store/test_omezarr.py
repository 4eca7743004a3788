import hashlib
import json
import os
import shutil

import numpy as np
import pytest
import zarr
from ngff_zarr.validate import validate as ngff_validate

from models import Study
from models.labels import maisi_ct_labels
from pipeline.store.omezarr import Encoding, checksum, open_study, read_arrays, validate, write_study
from pipeline.store.storage import open_store

LABELS = maisi_ct_labels().subset(["liver", "spleen", "body"], name="t")


def make_study(shape=(40, 50, 60)) -> Study:
    rng = np.random.default_rng(0)
    image = rng.integers(-1000, 1500, shape).astype(np.int16)
    label = rng.choice(np.array([0, 1, 3, 200], np.uint8), size=shape)
    return Study(image, label, (2.5, 0.8, 0.7))


@pytest.fixture
def written(tmp_path):
    store = open_store(str(tmp_path))
    study = make_study()
    sizes = write_study(
        store,
        "s.zarr",
        "s",
        study,
        LABELS,
        Encoding(chunk=(16, 32, 32)),
        {"checksum": checksum(study.image, study.label)},
    )
    return tmp_path / "s.zarr", study, sizes


def test_round_trip_is_exact(written):
    path, study, _ = written
    image, label = read_arrays(zarr.storage.LocalStore(path))
    assert np.array_equal(image, study.image) and image.dtype == np.int16
    assert np.array_equal(label, study.label) and label.dtype == np.uint8


def test_metadata_is_valid_ome_zarr_0_5(written):
    path, study, _ = written
    group = open_study(zarr.storage.LocalStore(path))
    assert validate(group) == []
    ms = group.attrs["ome"]["multiscales"][0]
    assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"]
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == list(study.spacing_mm)
    label_meta = group["labels/anatomy"].attrs["ome"]["image-label"]
    assert {p["label-value"]: p["name"] for p in label_meta["properties"]} == {1: "liver", 3: "spleen", 200: "body"}
    assert all(len(c["rgba"]) == 4 for c in label_meta["colors"])


def test_ngff_zarrs_strict_0_5_schema_accepts_image_and_labels(written):
    """ngff-zarr's strict schema turns the spec's SHOULDs into musts (multiscales `type`, `metadata`)."""
    path, _, _ = written
    group = open_study(zarr.storage.LocalStore(path))
    labels = group["labels/anatomy"]
    ngff_validate(dict(group.attrs), version="0.5", model="image", strict=True)
    ngff_validate(dict(labels.attrs), version="0.5", model="image", strict=True)
    ngff_validate(dict(labels.attrs), version="0.5", model="label", strict=True)


def test_each_array_is_one_sharded_object(written):
    path, _, (image_bytes, label_bytes) = written
    objects = sorted(os.path.relpath(os.path.join(d, f), path) for d, _, files in os.walk(path) for f in files)
    assert objects == [
        "0/c/0/0/0",
        "0/zarr.json",
        "labels/anatomy/0/c/0/0/0",
        "labels/anatomy/0/zarr.json",
        "labels/anatomy/zarr.json",
        "labels/zarr.json",
        "zarr.json",
    ]
    # Stored bytes of an array: its shard object plus its zarr.json.
    assert image_bytes == os.path.getsize(path / "0/c/0/0/0") + os.path.getsize(path / "0/zarr.json")
    label_dir = path / "labels/anatomy/0"
    assert label_bytes == os.path.getsize(label_dir / "c/0/0/0") + os.path.getsize(label_dir / "zarr.json")
    codecs = zarr.open_array(zarr.storage.LocalStore(path / "0")).metadata.codecs
    assert codecs[0].to_dict()["name"] == "sharding_indexed"


def test_checksum_is_recomputable_with_plain_zarr(written):
    path, _, _ = written
    group = zarr.open_group(str(path), mode="r")
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(group["0"][...]).astype("<i2").tobytes())
    digest.update(np.ascontiguousarray(group["labels/anatomy/0"][...]).tobytes())
    assert digest.hexdigest() == group.attrs["medsynth"]["checksum"]


@pytest.mark.parametrize("codec", ["zstd", "blosc-lz4", "none"])
def test_other_codecs_round_trip(tmp_path, codec):
    study = make_study((20, 20, 20))
    store = open_store(str(tmp_path))
    write_study(store, "s.zarr", "s", study, LABELS, Encoding(chunk=(8, 8, 8), codec=codec, level=5), {})
    image, label = read_arrays(store.zarr_store("s.zarr"))
    assert np.array_equal(image, study.image) and np.array_equal(label, study.label)


def test_validate_reports_broken_metadata(written):
    path, _, _ = written
    group = zarr.open_group(str(path), mode="r+")
    group.attrs["ome"] = {"version": "0.4", "multiscales": []}
    problems = validate(group)
    assert any("ome.version" in p for p in problems)
    assert any("multiscales" in p for p in problems)


def test_a_study_of_several_series_is_one_multichannel_image(series_dataset, tmp_path):
    """(series, z, y, x) named in omero, one series per inner chunk, one shard object per array,
    and a label map of the same axes with a series axis of 1 (NGFF: a label's dimension is the
    image's or 1)."""
    from tests.conftest import SERIES

    root = f"{series_dataset.storage.uri}/studies/000000/s000000001.zarr"
    group = open_study(zarr.storage.LocalStore(root, read_only=True))
    assert validate(group) == []
    image, label = group["0"], group["labels/anatomy/0"]
    assert image.shape == (4, 48, 64, 64) and image.chunks == (1, 32, 32, 32) and image.shards == (4, 64, 64, 64)
    assert tuple(image.metadata.dimension_names) == ("c", "z", "y", "x")
    assert label.shape == (1, 48, 64, 64) and tuple(label.metadata.dimension_names) == ("c", "z", "y", "x")
    ome = group.attrs["ome"]
    assert [c["label"] for c in ome["omero"]["channels"]] == list(SERIES)
    (scale,) = ome["multiscales"][0]["datasets"][0]["coordinateTransformations"]
    assert ome["multiscales"][0]["axes"][0] == {"name": "c", "type": "channel"} and scale["scale"][0] == 1.0
    assert os.listdir(f"{root}/0/c") == ["0"] and os.listdir(f"{root}/0/c/0/0/0") == ["0"]  # one shard object
    arrays = read_arrays(zarr.storage.LocalStore(root, read_only=True))
    assert arrays[0].shape == (4, 48, 64, 64) and arrays[1].shape == (48, 64, 64)
    # A series axis that disagrees with its names is reported.
    copy = tmp_path / "study.zarr"
    shutil.copytree(root, copy)
    doc = json.loads((copy / "zarr.json").read_text())
    doc["attributes"]["ome"]["omero"]["channels"].pop()
    (copy / "zarr.json").write_text(json.dumps(doc))
    problems = validate(open_study(zarr.storage.LocalStore(str(copy), read_only=True)))
    assert any("omero names 3" in p for p in problems), problems
