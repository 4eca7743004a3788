"""Fetching a shard's byte ranges: tensorstore for S3 when the storage options map onto its spec,
fsspec otherwise; both return the same bytes from the local S3, and a missing object is an error."""

import numpy as np
import pytest
import s3fs
from fsspec.implementations.local import LocalFileSystem

from pipeline.store.storage import S3_DEFAULTS, open_store
from pipeline.stream.ranges import FsspecRanges, TensorstoreS3, ranges_for, tensorstore_spec

BLOB = np.random.default_rng(3).integers(0, 256, 300_000, dtype=np.uint8).tobytes()


@pytest.fixture
def blob(s3):
    s3fs.S3FileSystem(endpoint_url=s3.endpoint).pipe(f"{s3.bucket}/shard", BLOB)
    return f"{s3.bucket}/shard"


def spans(rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    starts = rng.integers(0, len(BLOB) - 1, n)
    return [(int(a), int(min(len(BLOB), a + rng.integers(1, 40_000)))) for a in starts]


def test_both_ways_fetch_the_same_bytes(s3, blob):
    rng = np.random.default_rng(0)
    store = open_store(s3.uri("x"), s3.options)
    via_tensorstore, via_fsspec = ranges_for(store.fs), FsspecRanges(store.fs)
    assert isinstance(via_tensorstore, TensorstoreS3)
    for _ in range(5):
        asked = spans(rng, 12)
        expected = [BLOB[a:b] for a, b in asked]
        assert [bytes(p) for p in via_tensorstore.fetch(blob, asked)] == expected
        assert [bytes(p) for p in via_fsspec.fetch(blob, asked)] == expected


@pytest.mark.parametrize("way", ["tensorstore", "fsspec"])
def test_a_missing_object_is_file_not_found(s3, way):
    store = open_store(s3.uri("x"), s3.options)
    ranges = ranges_for(store.fs) if way == "tensorstore" else FsspecRanges(store.fs)
    with pytest.raises(FileNotFoundError):
        ranges.fetch(f"{s3.bucket}/no/such/shard", [(0, 10)])


def test_options_that_map_make_a_tensorstore_spec(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    defaults = dict(S3_DEFAULTS)
    assert tensorstore_spec({**defaults, "endpoint_url": "http://h:9000"}) == {
        "driver": "s3",
        "endpoint": "http://h:9000",
        "aws_credentials": {"type": "environment"},
    }
    assert tensorstore_spec({"client_kwargs": {"region_name": "eu-west-1"}, "anon": True}) == {
        "driver": "s3",
        "aws_region": "eu-west-1",
        "aws_credentials": {"type": "anonymous"},
    }
    assert tensorstore_spec({"profile": "lab", "requester_pays": True})["aws_credentials"] == {
        "type": "profile",
        "profile": "lab",
    }
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    for name in ("AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert tensorstore_spec({})["aws_credentials"] == {"type": "imds"}  # no keys, no files: an instance role
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x")
    assert tensorstore_spec({})["aws_credentials"] == {"type": "ecs"}
    (tmp_path / "credentials").write_text("[default]\n")
    assert tensorstore_spec({})["aws_credentials"] == {"type": "default"}  # the shared files first
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://env:9000")
    assert tensorstore_spec({})["endpoint"] == "http://env:9000"


@pytest.mark.parametrize(
    "options",
    [
        {"key": "id", "secret": "s"},  # explicit keys: tensorstore takes credentials from elsewhere only
        {"token": "t"},
        {"s3_additional_kwargs": {"ServerSideEncryption": "aws:kms"}},
        {"client_kwargs": {"verify": False}},
        {"config_kwargs": {"signature_version": "s3v4"}},
    ],
)
def test_options_without_a_tensorstore_counterpart_keep_fsspec(options):
    assert tensorstore_spec(options) is None


def test_stores_other_than_s3_use_fsspec(tmp_path, s3):
    assert isinstance(ranges_for(LocalFileSystem()), FsspecRanges)
    keyed = open_store(s3.uri("x"), {**s3.options, "key": "id", "secret": "s"})
    assert isinstance(ranges_for(keyed.fs), FsspecRanges)
