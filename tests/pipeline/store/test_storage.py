"""Every store behaves the same: one suite, run on a local folder and on S3 (moto)."""

import errno
import io
import os
import pickle

import pyarrow.parquet as pq
import pytest

from pipeline.errors import CommitConflict, StorageError
from pipeline.store.storage import describe, is_transient, open_store, retry


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_store(str(tmp_path / "ds"))
    s3 = request.getfixturevalue("s3")
    return open_store(s3.uri("ds"), s3.options)


def test_atomic_write_read_and_list(store):
    store.write_atomic("a/b.json", b"one")
    store.write_atomic("a/b.json", b"two")
    assert store.read_bytes("a/b.json") == b"two"
    assert store.list("a") == ["b.json"]
    assert store.list("nothing-here") == []
    assert store.exists("a/b.json") and not store.exists("a/c.json")


def test_put_objects_writes_exactly_those_objects(store):
    objects = {"zarr.json": b"{}", "0/zarr.json": b"{}", "0/c/0/0/0": os.urandom(5000)}
    store.put_objects("studies/000000/s1.zarr", objects)
    assert store.walk("studies") == sorted(f"studies/000000/s1.zarr/{k}" for k in objects)
    assert store.read_bytes("studies/000000/s1.zarr/0/c/0/0/0") == objects["0/c/0/0/0"]


def test_commit_is_exclusive(store):
    store.commit("catalog/part-000001.parquet", b"first")
    with pytest.raises(CommitConflict):
        store.commit("catalog/part-000001.parquet", b"second")
    assert store.read_bytes("catalog/part-000001.parquet") == b"first"
    assert store.list("catalog") == ["part-000001.parquet"]
    assert store.walk("catalog") == ["catalog/part-000001.parquet"]  # no temp files left


def test_ensure_writable_leaves_nothing(store):
    store.ensure_writable()
    assert store.walk("") == []


def test_store_pickles(store):
    store.write_atomic("x", b"1")
    again = pickle.loads(pickle.dumps(store))
    assert again.root == store.root and again.uri == store.uri
    assert again.read_bytes("x") == b"1"


def test_local_paths_and_file_uris_normalise_to_the_same_root(tmp_path):
    a = open_store(str(tmp_path / "ds"))
    b = open_store(f"file://{tmp_path}/ds")
    assert a.root == b.root == str(tmp_path / "ds")
    assert a.is_local and a.uri == a.root


def test_missing_bucket_is_named(s3):
    store = open_store("s3://no-such-bucket/ds", s3.options)
    with pytest.raises(StorageError, match=r"s3://no-such-bucket/ds cannot be written: its bucket does not exist"):
        store.ensure_writable()


def test_missing_credentials_are_named(s3, monkeypatch):
    import s3fs

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    s3fs.S3FileSystem.clear_instance_cache()
    store = open_store(s3.uri("ds"), s3.options)
    with pytest.raises(StorageError, match=r"^storage.uri: no credentials for s3://medsynth-test/ds"):
        store.exists("dataset.json")


def test_transient_errors_are_retried_and_permanent_ones_are_not():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        return "ok"

    assert retry(flaky, "s3://b/x") == "ok" and len(calls) == 3
    assert is_transient(TimeoutError()) and is_transient(OSError(errno.EIO, "SlowDown"))
    assert not is_transient(PermissionError("AccessDenied"))
    assert describe(PermissionError("Access Denied"), "s3://b/x") == "storage.uri: access denied to s3://b/x"

    def denied():
        calls.append(1)
        raise PermissionError("Access Denied")

    calls.clear()
    with pytest.raises(StorageError, match="access denied to s3://b/x"):
        retry(denied, "s3://b/x")
    assert len(calls) == 1  # failed fast


def test_a_bug_inside_a_storage_operation_is_not_worded_as_a_storage_error():
    calls = []

    def buggy():
        calls.append(1)
        return None + 1  # a TypeError: the caller's bug, which no retry and no "storage error" line hides

    with pytest.raises(TypeError):
        retry(buggy, "s3://b/x")
    assert len(calls) == 1
    with pytest.raises(StorageError, match=r"storage error on s3://b/x: Parquet magic bytes"):
        retry(lambda: pq.read_metadata(io.BytesIO(b"not parquet")), "s3://b/x")  # the store's bytes: worded


def test_a_root_below_a_file_is_not_writable(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="not writable"):
        open_store(str(tmp_path / "file" / "ds")).ensure_writable()


@pytest.mark.parametrize("uri", ["nosuch://bucket/x", "s3://", ""])
def test_bad_uris_are_storage_errors(uri):
    with pytest.raises(StorageError, match=r"storage.uri"):
        open_store(uri)


def test_credentials_in_the_uri_are_refused_without_echoing_them():
    with pytest.raises(StorageError, match="carries credentials") as info:
        open_store("s3://AKIA:hunter2@bucket/prefix")
    assert "hunter2" not in str(info.value)
