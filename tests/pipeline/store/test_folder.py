"""A folder of label maps read through the Store (`pipeline.store.folder`): what a generator's
masks are opened with. The same objects, names and identities on a local folder and on S3, a
medsynth dataset's committed studies and their label maps as zarr-python reads them, and a URI the
Store refuses refused here too, before anything is read."""

import hashlib

import numpy as np
import pytest
import s3fs
import zarr

from models.anatomy.masks import MaskSet
from models.errors import ParamError
from pipeline import catalog
from pipeline.errors import StorageError
from pipeline.store.folder import StoreFolder, open_folder


def make_files(root):
    (root / "sub").mkdir(parents=True)
    (root / "a.nii.gz").write_bytes(b"first")
    (root / "sub" / "b.nii").write_bytes(b"second")


def test_a_local_folder_lists_reads_and_identifies_by_sha256(tmp_path):
    make_files(tmp_path / "masks")
    folder = open_folder(str(tmp_path / "masks"))
    assert isinstance(folder, StoreFolder) and folder.is_folder()
    assert folder.walk() == ["a.nii.gz", "sub/b.nii"]
    assert folder.read("sub/b.nii") == b"second" and folder.exists("a.nii.gz") and not folder.exists("c.nii")
    assert folder.identity("a.nii.gz") == "sha256:" + hashlib.sha256(b"first").hexdigest()
    assert not open_folder(str(tmp_path / "nowhere")).is_folder()


def test_an_s3_folder_lists_reads_and_identifies_by_etag(tmp_path, s3):
    make_files(tmp_path / "masks")
    s3fs.S3FileSystem(endpoint_url=s3.endpoint).put(str(tmp_path / "masks"), f"{s3.bucket}/masks", recursive=True)
    folder = open_folder(s3.uri("masks"), s3.options)
    assert folder.is_folder() and folder.walk() == ["a.nii.gz", "sub/b.nii"]
    assert folder.read("a.nii.gz") == b"first"
    first = folder.identity("a.nii.gz")
    assert first.startswith("etag:") and first != folder.identity("sub/b.nii")


def test_a_medsynth_dataset_gives_its_committed_studies_and_their_label_maps(built_dataset):
    folder = open_folder(built_dataset.storage.uri)
    groups = folder.committed_studies()
    rows = catalog.open(built_dataset.storage.uri).query(columns=["label_path", "spacing_mm"]).to_pylist()
    by_group = {r["label_path"].removesuffix("/labels/anatomy/0"): r["spacing_mm"] for r in rows}
    assert groups == sorted(by_group)
    array = zarr.open_array(f"{built_dataset.storage.uri}/{groups[0]}/labels/anatomy/0", mode="r")
    assert np.array_equal(folder.read_labels(groups[0]), array[...])
    labels = folder.study_labels(groups[0])
    assert labels.shape_zyx == array.shape and labels.spacing_zyx == tuple(by_group[groups[0]])
    shard = f"{groups[0]}/labels/anatomy/0/c/0/0/0"
    assert labels.identity == "sha256:" + hashlib.sha256(folder.read(shard)).hexdigest()


@pytest.mark.parametrize(
    ("uri", "options", "why"),
    [
        ("memory://masks", None, r"memory:// cannot hold a dataset"),
        ("s3://", None, r"names no bucket"),
        ("/tmp/masks", {"endpoint_url": "http://127.0.0.1:9"}, r"'endpoint_url' means nothing for a local folder"),
    ],
)
def test_what_the_store_refuses_is_refused_before_anything_is_read(uri, options, why):
    with pytest.raises(StorageError, match=why):
        open_folder(uri, options)
    with pytest.raises(ParamError, match=rf"^generator\.params\.masks: cannot open .*{why}"):
        MaskSet(uri, options, open_folder=open_folder)
