import os
import pickle

import pytest

from pipeline.errors import CommitConflict, StorageError
from pipeline.storage import open_store


def test_local_paths_and_file_uris_normalise_to_the_same_root(tmp_path):
    a = open_store(str(tmp_path / "ds"))
    b = open_store(f"file://{tmp_path}/ds")
    assert a.root == b.root == str(tmp_path / "ds")
    assert a.is_local and a.uri == a.root


def test_atomic_write_and_read(tmp_path):
    store = open_store(str(tmp_path / "ds"))
    store.write_atomic("a/b.json", b"one")
    store.write_atomic("a/b.json", b"two")
    assert store.read_bytes("a/b.json") == b"two"
    assert store.list("a") == ["b.json"]
    assert not [n for n in os.listdir(tmp_path / "ds" / "a") if n.startswith(".")]


def test_commit_is_exclusive(tmp_path):
    store = open_store(str(tmp_path))
    store.commit("catalog/part-000001.parquet", b"first")
    with pytest.raises(CommitConflict):
        store.commit("catalog/part-000001.parquet", b"second")
    assert store.read_bytes("catalog/part-000001.parquet") == b"first"
    assert os.listdir(tmp_path / "catalog") == ["part-000001.parquet"]


def test_unwritable_root_is_reported_with_its_uri(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        store = open_store(str(locked / "ds"))
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(StorageError, match=r"not writable"):
            store.ensure_writable()
        with pytest.raises(StorageError, match=str(locked / "ds")):
            store.write_atomic("dataset.json", b"{}")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("uri", ["nosuch://bucket/x", "s3://", ""])
def test_bad_uris_are_storage_errors(uri):
    with pytest.raises(StorageError, match=r"storage.uri"):
        open_store(uri)


def test_credentials_in_the_uri_are_refused_without_echoing_them():
    with pytest.raises(StorageError, match=r"carries credentials") as info:
        open_store("s3://AKIA:hunter2@bucket/prefix")
    assert "hunter2" not in str(info.value)


def test_a_root_below_a_file_is_not_writable(tmp_path):
    (tmp_path / "file").write_text("x")
    store = open_store(str(tmp_path / "file" / "ds"))
    with pytest.raises(StorageError, match=r"not writable"):
        store.ensure_writable()


def test_store_pickles(tmp_path):
    store = open_store(str(tmp_path))
    again = pickle.loads(pickle.dumps(store))
    assert again.root == store.root and again.is_local
