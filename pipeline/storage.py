"""One dataset root on any fsspec filesystem: the URI is normalised here, once, and nowhere else.

A `Store` pairs an fsspec filesystem with a root path inside it. Everything below it speaks in
paths relative to that root. Two writes matter for correctness:

- `write_atomic`: readers see the old object or the new one, never a torn one (local: temp file
  and rename; object stores: a single PUT is already atomic).
- `commit`: as `write_atomic`, but refuses to replace an existing object, so a zombie worker's
  second commit of a shard is detected (`CommitConflict`) instead of silently rewriting it
  (local: hard link of the temp file; S3: `If-None-Match: *`).
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fsspec
import zarr.storage
from fsspec.implementations.local import LocalFileSystem
from zarr.abc.store import Store as ZarrStore

from pipeline.errors import CommitConflict, StorageError

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


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
        return self._call(rel, self.fs.exists, self.path(rel))

    def read_bytes(self, rel: str) -> bytes:
        return self._call(rel, self.fs.cat_file, self.path(rel))

    def size(self, rel: str) -> int:
        return int(self._call(rel, self.fs.size, self.path(rel)))

    def du(self, rel: str) -> int:
        """Total bytes under `rel` (a study group: the sum of its objects)."""
        return int(self._call(rel, self.fs.du, self.path(rel), total=True))

    def list(self, rel: str, suffix: str = "") -> list[str]:
        """Names (not paths) directly under `rel` ending in `suffix`; empty if `rel` is absent."""
        try:
            entries = self.fs.ls(self.path(rel), detail=False)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"cannot list {self.uri}/{rel}: {exc}") from None
        names = [str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries]
        return sorted(n for n in names if n.endswith(suffix) and not n.startswith("."))

    def write_atomic(self, rel: str, data: bytes) -> None:
        if self.is_local:
            tmp = self._local_temp(rel, data)
            os.replace(tmp, self.path(rel))
        else:
            self._call(rel, self.fs.pipe_file, self.path(rel), data)

    def commit(self, rel: str, data: bytes) -> None:
        """Write `rel` once; `CommitConflict` if it already exists."""
        if self.is_local:
            tmp = self._local_temp(rel, data)
            try:
                os.link(tmp, self.path(rel))
            except FileExistsError:
                raise CommitConflict(f"{self.uri}/{rel} already committed") from None
            finally:
                os.unlink(tmp)
            return
        try:
            self.fs.pipe_file(self.path(rel), data, mode="create")
        except FileExistsError:
            raise CommitConflict(f"{self.uri}/{rel} already committed") from None
        except OSError as exc:
            if "PreconditionFailed" in repr(exc) or "412" in repr(exc):
                raise CommitConflict(f"{self.uri}/{rel} already committed") from None
            raise StorageError(f"cannot commit {self.uri}/{rel}: {exc}") from None

    def remove(self, rel: str, recursive: bool = False) -> None:
        if self.exists(rel):
            self._call(rel, self.fs.rm, self.path(rel), recursive=recursive)

    def zarr_store(self, rel: str, read_only: bool = False) -> ZarrStore:
        """A Zarr store rooted at `rel` (a study group)."""
        if self.is_local:
            return zarr.storage.LocalStore(self.path(rel), read_only=read_only)
        return zarr.storage.FsspecStore.from_url(
            f"{self.fs.protocol[0] if isinstance(self.fs.protocol, tuple) else self.fs.protocol}://{self.path(rel)}",
            storage_options=getattr(self.fs, "storage_options", {}),
            read_only=read_only,
        )

    def ensure_writable(self) -> None:
        """Fail now, naming the URI, if the root cannot be created or written."""
        if self.is_local:
            existing = Path(self.root)
            while not existing.exists():
                existing = existing.parent
            if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                raise StorageError(f"storage.uri: {self.uri} is not writable ({existing} is read-only or not a folder)")

    def _local_temp(self, rel: str, data: bytes) -> str:
        final = Path(self.path(rel))
        tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex}"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write {self.uri}/{rel}: {exc.strerror or exc}") from None
        return str(tmp)

    def _call(self, rel: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageError(f"storage error on {self.uri}/{rel}: {exc}") from None


def open_store(uri: str, options: dict[str, Any] | None = None) -> Store:
    """Normalise `uri` (a local path, file://, s3://, or any fsspec protocol) into a `Store`."""
    options = dict(options or {})
    match = _SCHEME.match(uri)
    if match is None:
        if not uri.strip():
            raise StorageError("storage.uri: must not be empty")
        root = str(Path(uri).expanduser().resolve())
        return Store(LocalFileSystem(), root, root)
    scheme = match.group(1).lower()
    if scheme not in fsspec.available_protocols():
        raise StorageError(f"storage.uri: unknown scheme {scheme!r} in {_safe(uri)}")
    if urlsplit(uri).password is not None or "@" in urlsplit(uri).netloc:
        raise StorageError(f"storage.uri: {_safe(uri)} carries credentials; use storage.options or the environment")
    if scheme in ("file", "local"):
        return open_store(uri[len(match.group(0)) :] or "/", options)
    try:
        fs, path = fsspec.core.url_to_fs(uri, **options)
    except ImportError as exc:
        raise StorageError(f"storage.uri: the {scheme}:// backend is not installed ({exc})") from None
    except (TypeError, ValueError) as exc:
        raise StorageError(f"storage.options: not accepted for {_safe(uri)} ({exc})") from None
    path = path.rstrip("/")
    if not path:
        raise StorageError(f"storage.uri: {_safe(uri)} names no bucket or folder")
    return Store(fs, path, f"{scheme}://{path}")


def _safe(uri: str) -> str:
    """`uri` without any user:password@ part."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{parts.path}"
