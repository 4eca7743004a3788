"""One dataset root on any fsspec filesystem: the URI is normalised here, once, and nowhere else.

A `Store` pairs an fsspec filesystem with a root path inside it; everything below it speaks in
paths relative to that root. Three writes matter for correctness:

- `put_objects`: a study's finished objects, each atomic (local: temp file and rename; object
  stores: one PUT per object, which is atomic already). Locally these are not fsynced: a crashed
  process loses nothing the kernel already has, and after a machine crash `jobs.verify --repair`
  re-renders whatever did not reach the disk. Parts and dataset.json are fsynced.
- `write_atomic`: readers see the old object or the new one, never a torn one.
- `commit`: as `write_atomic`, but refuses to replace an existing object, so a zombie worker's
  second commit of a shard is detected (`CommitConflict`) instead of silently rewriting it
  (local: hard link of the temp file; S3: `If-None-Match: *`).

Transient errors (connection resets, 5xx, throttling) are retried with exponential backoff, inside
the S3 client and once more around each operation; permanent ones (no bucket, access denied, no
credentials) raise `StorageError` at once, naming the URI.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import fsspec
import zarr.storage
from fsspec.implementations.local import LocalFileSystem
from zarr.abc.store import Store as ZarrStore

from models.errors import first_line
from models.uri import ENDPOINT_TIMEOUT_S, endpoint_problem, shown
from models.uri import problem as uri_problem
from pipeline.errors import CommitConflict, StorageError

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
# botocore's "standard" retry mode backs off on 5xx, SlowDown/throttling and connection errors.
S3_DEFAULTS: dict[str, Any] = {"config_kwargs": {"retries": {"max_attempts": 10, "mode": "standard"}}}
ATTEMPTS = 4  # around each operation, on top of the client's own retries
NETWORK_MODULES = ("botocore", "aiobotocore", "aiohttp")  # an object store client's errors: may be transient
BACKEND_MODULES = (*NETWORK_MODULES, "s3fs", "gcsfs", "adlfs", "fsspec", "pyarrow")  # errors of a store or its bytes
# Where a dataset can live: stores every process of a cluster sees (Ray workers write, the driver
# and readers read). Others fsspec knows are refused by name, with the reason when it is known.
SHARED_SCHEMES = ("file", "local", "s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "hdfs", "webhdfs", "sftp")
IN_PROCESS = {
    "memory": "it lives inside one process, so Ray workers' writes would vanish",
    "http": "it is read-only",
    "https": "it is read-only",
    "zip": "it is an archive, written in one piece",
    "tar": "it is an archive, written in one piece",
}
T = TypeVar("T")


@dataclass(frozen=True)
class Store:
    fs: fsspec.AbstractFileSystem
    root: str
    uri: str  # for messages and records: never holds credentials

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def exists(self, rel: str) -> bool:
        return self._retry(rel, lambda: self.fs.exists(self.path(rel)))

    def read_bytes(self, rel: str) -> bytes:
        return self._retry(rel, lambda: self.fs.cat_file(self.path(rel)))

    def list(self, rel: str, suffix: str = "") -> list[str]:
        """Names (not paths) directly under `rel` ending in `suffix`; empty if `rel` is absent."""
        try:
            entries = self._retry(rel, lambda: self.fs.ls(self.path(rel), detail=False, refresh=True))
        except FileNotFoundError:
            return []
        names = [str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries]
        return sorted(n for n in names if n.endswith(suffix) and not n.startswith("."))

    def walk(self, rel: str) -> list[str]:
        """Every object below `rel`, as paths relative to the root."""
        try:
            found = self._retry(rel, lambda: self.fs.find(self.path(rel)))
        except FileNotFoundError:
            return []
        return sorted(str(p)[len(self.root) + 1 :] for p in found)

    def put_objects(self, prefix: str, objects: dict[str, bytes]) -> None:
        """Write every `{key: data}` below `prefix`, each object atomically; concurrent on S3."""
        if self.is_local:
            for key, data in objects.items():
                os.replace(self._local_temp(f"{prefix}/{key}", data, durable=False), self.path(f"{prefix}/{key}"))
            return
        batch = {self.path(f"{prefix}/{key}"): data for key, data in objects.items()}
        self._retry(prefix, lambda: self.fs.pipe(batch))

    def write_atomic(self, rel: str, data: bytes) -> None:
        if self.is_local:
            os.replace(self._local_temp(rel, data), self.path(rel))
        else:
            self._retry(rel, lambda: self.fs.pipe_file(self.path(rel), data))

    def commit(self, rel: str, data: bytes) -> None:
        """Write `rel` once; `CommitConflict` if it already exists."""
        if self.is_local:
            tmp = self._local_temp(rel, data)
            try:
                os.link(tmp, self.path(rel))
            except FileExistsError:
                raise CommitConflict(f"{self.uri}/{rel} already committed") from None
            except OSError as exc:
                raise StorageError(f"cannot commit {self.uri}/{rel}: {exc.strerror or exc}") from None
            finally:
                os.unlink(tmp)
            return
        try:
            # A retried PUT whose first attempt landed meets its own object: that is a conflict
            # with identical content, which callers treat as "already committed" anyway.
            self._retry(rel, lambda: self.fs.pipe_file(self.path(rel), data, mode="create"))
        except FileExistsError:
            raise CommitConflict(f"{self.uri}/{rel} already committed") from None

    def remove(self, rel: str, recursive: bool = False) -> None:
        if self.exists(rel):
            self._retry(rel, lambda: self.fs.rm(self.path(rel), recursive=recursive))

    def zarr_store(self, rel: str, read_only: bool = True) -> ZarrStore:
        """A Zarr store rooted at `rel` (a study group), for reading."""
        if self.is_local:
            return zarr.storage.LocalStore(self.path(rel), read_only=read_only)
        protocol = self.fs.protocol[0] if isinstance(self.fs.protocol, tuple) else self.fs.protocol
        return zarr.storage.FsspecStore.from_url(
            f"{protocol}://{self.path(rel)}", storage_options=self.fs.storage_options, read_only=read_only
        )

    def ensure_writable(self) -> None:
        """Fail now, naming the URI, if the root cannot be created or written. Writes nothing that stays."""
        if self.is_local:
            existing = Path(self.root)
            while not existing.exists():
                existing = existing.parent
            if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                raise StorageError(f"storage.uri: {self.uri} is not writable ({existing} is read-only or not a folder)")
            return
        probe = f".medsynth-probe-{uuid.uuid4().hex}"
        try:
            self.write_atomic(probe, b"")
        except FileNotFoundError:
            raise StorageError(f"storage.uri: {self.uri} cannot be written: its bucket does not exist") from None
        self._retry(probe, lambda: self.fs.rm_file(self.path(probe)))

    def _local_temp(self, rel: str, data: bytes, durable: bool = True) -> str:
        final = Path(self.path(rel))
        tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex}"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                handle.write(data)
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError):  # the temp file may not even have been created
                tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write {self.uri}/{rel}: {exc.strerror or exc}") from None
        return str(tmp)

    def _retry(self, rel: str, operation: Callable[[], T]) -> T:
        return retry(operation, f"{self.uri}/{rel}" if rel else self.uri)


def ensure_local_folder(folder: Path, option: str) -> None:
    """Create the local output `folder` and prove it writable with a probe file that does not stay;
    `StorageError` naming `option` and the folder otherwise."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".medsynth-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StorageError(f"{option}: cannot write to {folder} ({exc.strerror or exc})") from None


def retry(operation: Callable[[], T], where: str, attempts: int = ATTEMPTS) -> T:
    """Run `operation`; retry transient failures with jittered exponential backoff.

    `FileNotFoundError` and `FileExistsError` pass through untouched (callers decide what a
    missing or existing object means); other permanent errors of the store become one
    `StorageError` line; anything else (a bug: `TypeError`, `AttributeError`, ...) is raised as is."""
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except (FileNotFoundError, FileExistsError):
            raise
        except Exception as exc:
            if not is_store_error(exc):
                raise
            if not is_transient(exc) or attempt == attempts:
                raise StorageError(describe(exc, where)) from None
            delay = min(0.2 * 2**attempt, 5.0) * (0.5 + random.random())
            log.warning(
                "transient storage error on %s (%s); retry %d/%d in %.1f s",
                where,
                type(exc).__name__,
                attempt,
                attempts - 1,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


def is_store_error(exc: BaseException) -> bool:
    """Whether `exc` comes from the store or the bytes it holds (an OS or network error, a value
    the backend refused, a file that does not parse, an object store client's own errors), not
    from a bug in the caller."""
    return isinstance(exc, OSError | ValueError | StorageError) or type(exc).__module__.startswith(BACKEND_MODULES)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, PermissionError | NotADirectoryError | IsADirectoryError | StorageError):
        return False
    if _is_credentials_error(exc):
        return False
    return isinstance(exc, OSError | ConnectionError | TimeoutError) or type(exc).__module__.startswith(NETWORK_MODULES)


def describe(exc: BaseException, where: str) -> str:
    if _is_credentials_error(exc):
        return (
            f"storage.uri: no credentials for {where} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "storage.options.profile, or storage.options.anon=true)"
        )
    if isinstance(exc, PermissionError):
        return f"storage.uri: access denied to {where}"
    text = first_line(exc)
    return f"storage error on {where}: {text}"


def _is_credentials_error(exc: BaseException) -> bool:
    try:
        from botocore.exceptions import NoCredentialsError, PartialCredentialsError
    except ImportError:
        return False
    return isinstance(exc, NoCredentialsError | PartialCredentialsError)


def _check_literal(uri: str) -> None:
    """A URI names one place (`models.uri.problem`), or is refused without being echoed."""
    why = uri_problem(uri)
    if why is not None:
        raise StorageError(f"storage.uri: {why}")


def open_store(uri: str, options: dict[str, Any] | None = None) -> Store:
    """Normalise `uri` (a local path, file://, s3://, or another shared fsspec store) into a `Store`."""
    if not isinstance(uri, str):
        raise StorageError(f"storage.uri: must be a string, got {type(uri).__name__}")
    if options is not None and not isinstance(options, dict):
        raise StorageError(f"storage.options: must be a mapping, got {type(options).__name__}")
    options = dict(options or {})
    _check_literal(uri)
    match = _SCHEME.match(uri)
    if match is None:
        if not uri.strip():
            raise StorageError("storage.uri: must not be empty")
        if options:
            raise StorageError(
                f"storage.options: {sorted(options)[0]!r} means nothing for a local folder ({uri[:80]!r}); "
                "options are for object stores"
            )
        try:
            root = str(Path(uri).expanduser().resolve())
        except (RuntimeError, OSError) as exc:  # `~nosuchuser/x`: no such home folder
            raise StorageError(f"storage.uri: {uri[:80]!r} cannot be resolved to a folder ({exc})") from None
        return Store(LocalFileSystem(), root, root)
    scheme = match.group(1).lower()
    if scheme not in fsspec.available_protocols():
        raise StorageError(f"storage.uri: unknown scheme {scheme!r} in {shown(uri)}")
    if scheme not in SHARED_SCHEMES:
        why = IN_PROCESS.get(scheme, "it is not a shared, writable object store or file system")
        raise StorageError(
            f"storage.uri: {scheme}:// cannot hold a dataset ({why}); use a local path or one of "
            f"{', '.join(s + '://' for s in SHARED_SCHEMES)}"
        )
    if scheme in ("file", "local"):
        return open_store(uri[len(match.group(0)) :] or "/", options)
    if scheme in ("s3", "s3a"):
        options = {**S3_DEFAULTS, **options}
        if options.get("endpoint_url"):
            check_endpoint(str(options["endpoint_url"]))
    try:
        fs, path = fsspec.core.url_to_fs(uri, **options)
    except ImportError as exc:
        raise StorageError(f"storage.uri: the {scheme}:// backend is not installed ({exc})") from None
    except (TypeError, ValueError) as exc:
        raise StorageError(f"storage.options: not accepted for {shown(uri)} ({exc})") from None
    path = path.rstrip("/")
    if not path or (scheme in ("s3", "s3a", "gs", "gcs", "az", "abfs") and not urlsplit(uri).netloc):
        raise StorageError(f"storage.uri: {shown(uri)} names no bucket")
    return Store(fs, path, f"{scheme}://{path}")


@functools.lru_cache(maxsize=64)
def check_endpoint(url: str, timeout_s: float = ENDPOINT_TIMEOUT_S) -> None:
    """Fail in seconds, naming the endpoint, when nothing answers at `url` (`models.uri.endpoint_problem`);
    checked once per endpoint and process."""
    why = endpoint_problem(url, timeout_s)
    if why is not None:
        raise StorageError(f"storage.options.endpoint_url: {why}")
