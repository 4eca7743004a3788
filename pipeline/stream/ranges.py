"""How a direct patch read fetches byte ranges of a shard object from an object store.

Two ways, one protocol (`Ranges.fetch(path, spans) -> the bytes of each span`):

- `TensorstoreS3`: S3 through tensorstore's `s3` key-value store, one batch of ranged reads per call
  (tensorstore merges ranges at most 4,095 bytes apart and retries on its own). Its HTTP client
  runs outside the GIL: on the project's S3 benchmark it costs about a third of the client CPU per
  patch that botocore does, which is what lets a direct read keep pace with tensorstore itself.
- `FsspecRanges`: any fsspec file system (GCS, Azure, S3 with options tensorstore cannot take),
  one concurrent `cat_ranges` batch with the same merging, retried as the Store retries.

`ranges_for(fs)` picks the first for S3 when every storage option maps onto a tensorstore spec
(endpoint, region, anonymous access, a named profile, requester pays); explicit keys, session
tokens, server-side encryption settings or anything else keep botocore, which honours them all.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Protocol

import fsspec

from pipeline.errors import StorageError
from pipeline.store.storage import S3_DEFAULTS, retry

# Ranges merged as tensorstore's S3 key-value store merges a batch: at most 4,095 bytes apart, up
# to 128 MiB a request (tensorstore/kvstore/s3/s3_key_value_store.cc, GetBatchReadCoalescingOptions).
GAP = 4095
MERGED = 128 * 2**20
S3_PROTOCOLS = ("s3", "s3a")
# s3fs options a tensorstore S3 spec expresses (`tensorstore_spec`); any other keeps fsspec.
MAPPED = {"endpoint_url", "client_kwargs", "anon", "profile", "requester_pays", "config_kwargs"}
Span = tuple[int, int]  # [start, end) in bytes


class Ranges(Protocol):
    def fetch(self, path: str, spans: list[Span]) -> list[bytes | memoryview]:
        """The bytes of each span of the object at `path` (bucket/key), in order. A missing
        object raises FileNotFoundError."""
        ...


def coalesce(spans: list[Span]) -> list[tuple[int, int, list[int]]]:
    """Spans merged where the gap between them is at most `GAP` and the merged span stays within
    `MERGED`: (start, end, the indices of the spans it holds)."""
    order = sorted(range(len(spans)), key=lambda k: spans[k][0])
    merged: list[tuple[int, int, list[int]]] = []
    for k in order:
        start, end = spans[k]
        if merged and start - merged[-1][1] <= GAP and max(end, merged[-1][1]) - merged[-1][0] <= MERGED:
            first, last, members = merged[-1]
            merged[-1] = (first, max(last, end), [*members, k])
        else:
            merged.append((start, end, [k]))
    return merged


class FsspecRanges:
    def __init__(self, fs: fsspec.AbstractFileSystem) -> None:
        self.fs = fs

    def fetch(self, path: str, spans: list[Span]) -> list[bytes | memoryview]:
        if not spans:
            return []
        merged = coalesce(spans)
        starts, ends = [a for a, _, _ in merged], [b for _, b, _ in merged]
        found = retry(lambda: self.fs.cat_ranges([path] * len(merged), starts, ends, on_error="raise"), path)
        pieces: list[bytes | memoryview] = [b""] * len(spans)
        for (start, _, members), data in zip(merged, found, strict=True):
            view = memoryview(data)
            for k in members:
                a, b = spans[k]
                pieces[k] = view[a - start : b - start]
        return pieces


class TensorstoreS3:
    """S3 through tensorstore: one key-value store per spec, bucket and process, shared by every
    reader of the process (made again in a child process: tensorstore's threads do not survive
    a fork)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def fetch(self, path: str, spans: list[Span]) -> list[bytes | memoryview]:
        import tensorstore as ts

        bucket, _, key = path.partition("/")
        store = _kvstore({**self.spec, "bucket": bucket})
        batch = ts.Batch()
        futures = [store.read(key, byte_range=slice(a, b), batch=batch) for a, b in spans]
        batch.submit()
        pieces: list[bytes | memoryview] = []
        for future in futures:
            try:
                result = future.result()
            except ValueError as exc:  # tensorstore's status, after its own retries
                raise StorageError(f"reading {path} from S3 failed: {str(exc).splitlines()[0][:300]}") from None
            if result.state == "missing":
                raise FileNotFoundError(path)
            pieces.append(result.value)
        return pieces


_KVSTORES: dict[tuple[int, str], Any] = {}
_KVSTORES_LOCK = threading.Lock()


def _kvstore(spec: dict[str, Any]) -> Any:
    import tensorstore as ts

    key = (os.getpid(), json.dumps(spec, sort_keys=True))
    with _KVSTORES_LOCK:
        if key not in _KVSTORES:
            try:
                _KVSTORES[key] = ts.KvStore.open(spec).result()
            except ValueError as exc:
                raise StorageError(f"S3 bucket {spec['bucket']!r}: {str(exc).splitlines()[0][:300]}") from None
        return _KVSTORES[key]


def tensorstore_spec(options: dict[str, Any]) -> dict[str, Any] | None:
    """A tensorstore `s3` key-value store spec (less its bucket) that reaches what s3fs reaches
    with `options`, or None when an option has no tensorstore counterpart."""
    if (
        set(options) - MAPPED
        or options.get("config_kwargs", S3_DEFAULTS["config_kwargs"]) != S3_DEFAULTS["config_kwargs"]
    ):
        return None  # the factory's retry settings are the only config_kwargs it mirrors (its own retries)
    client = dict(options.get("client_kwargs") or {})
    endpoint = client.pop("endpoint_url", None) or options.get("endpoint_url")
    region = client.pop("region_name", None)
    if client:
        return None
    spec: dict[str, Any] = {"driver": "s3"}
    endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        spec["endpoint"] = str(endpoint)
    if region:
        spec["aws_region"] = str(region)
    if options.get("requester_pays"):
        spec["requester_pays"] = True
    spec["aws_credentials"] = _credentials(options)
    return spec


def _credentials(options: dict[str, Any]) -> dict[str, str]:
    """Where tensorstore takes credentials from: where botocore found them, in botocore's order
    (environment, shared files, container, instance). The catalog was already read through
    botocore, so they are there. Naming the source, rather than tensorstore's `default` chain,
    keeps its profile reader from logging errors about absent ~/.aws files on every process of
    a cluster whose machines have instance roles."""
    env = os.environ
    if options.get("anon"):
        return {"type": "anonymous"}
    if options.get("profile"):
        return {"type": "profile", "profile": str(options["profile"])}
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return {"type": "environment"}
    files = [env.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), env.get("AWS_CONFIG_FILE", "~/.aws/config")]
    if env.get("AWS_PROFILE") or any(os.path.isfile(os.path.expanduser(f)) for f in files):
        return {"type": "default"}  # the shared files, then the rest of the chain
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return {"type": "ecs"}
    return {"type": "imds"}  # an EC2 instance's role


def ranges_for(fs: fsspec.AbstractFileSystem) -> Ranges:
    """How reads of `fs`'s objects fetch ranges: tensorstore for S3 when the options map, fsspec else."""
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    if any(p in S3_PROTOCOLS for p in protocols):
        spec = tensorstore_spec(dict(getattr(fs, "storage_options", {}) or {}))
        if spec is not None:
            return TensorstoreS3(spec)
    return FsspecRanges(fs)


__all__ = ["GAP", "MERGED", "FsspecRanges", "Ranges", "TensorstoreS3", "coalesce", "ranges_for", "tensorstore_spec"]
