"""A small HTTP server on the loopback interface that feeds one study to neuroglancer.

It serves two things, each under its own prefix (the client itself is served by the PyPI
`neuroglancer` package's own server, see `pipeline.view`):

    /data/<key>           the objects of one study group, read from the dataset's store (local
                          or S3, with the user's own credentials, which never leave this process)
    /segments/info        the study's label names as neuroglancer segment properties

Zarr v3 sharded arrays are read with byte ranges (the shard index is a suffix range, each inner
chunk a ranged read), so every data response honours `Range: bytes=a-b`, `bytes=a-` and
`bytes=-n` with `206 Partial Content`, answers `HEAD` and CORS preflights, and sends CORS headers
(with Private Network Access's) so a neuroglancer client served from elsewhere, such as the
public demo, can read it too. Only the one study group is
reachable: any other key, or one that climbs out with `..`, is a 404.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.errors import StorageError
from pipeline.store.storage import Store

LOOPBACK = "127.0.0.1"
DATA_PREFIX = "/data/"
SEGMENTS_PREFIX = "/segments/"
JSON = "application/json"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Served:
    """What one server serves: one study group of `store`, and JSON documents."""

    store: Store
    group: str  # the study group's key relative to the store's root
    documents: dict[str, Any]  # path below /segments/ -> JSON value


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`[start, stop)` of a single `Range: bytes=...` header, None for the whole object; raises
    ValueError for a range that cannot be satisfied. Several ranges are answered whole (RFC 9110
    lets a server ignore Range)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        n = int(last)
        if n == 0:
            raise ValueError("empty suffix range")
        return max(size - n, 0), size
    start = int(first)
    stop = size if not last else min(int(last) + 1, size)
    if start >= size or stop <= start:
        raise ValueError(f"range {header} outside {size} bytes")
    return start, stop


class Handler(BaseHTTPRequestHandler):
    served: Served  # set on the subclass `serve` builds
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        return  # quiet: the job prints its link, not one line per chunk

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "range, x-requested-with")
        self.send_header("Access-Control-Expose-Headers", "content-range, content-length, accept-ranges")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Private-Network", "true")
        super().end_headers()

    def do_OPTIONS(self) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        try:
            found = self._resolve(path)
        except StorageError:
            self._status(HTTPStatus.BAD_GATEWAY)
            return
        if found is None:
            self._status(HTTPStatus.NOT_FOUND)
            return
        size, read, kind = found
        try:
            span = byte_range(self.headers.get("Range"), size)
        except ValueError:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, stop = span if span is not None else (0, size)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if span is not None else HTTPStatus.OK)
        if span is not None:
            self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(stop - start))
        self.end_headers()
        if body and stop > start:
            self.wfile.write(read(start, stop))

    def _status(self, status: HTTPStatus) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _resolve(self, path: str) -> tuple[int, Callable[[int, int], bytes], str] | None:
        """(size, read(start, stop), content type) of what `path` names, or None."""
        served = self.served
        if path.startswith(DATA_PREFIX):
            key = _inside(path[len(DATA_PREFIX) :])
            if key is None or not (key == served.group or key.startswith(served.group + "/")):
                return None
            if served.store.is_local and not _really_inside(served.store, key, served.group):
                return None  # a symbolic link planted in the group points elsewhere
            return _object(served.store, key)
        if path.startswith(SEGMENTS_PREFIX):
            document = served.documents.get(path[len(SEGMENTS_PREFIX) :])
            if document is None:
                return None
            data = json.dumps(document).encode()
            return len(data), lambda a, b: data[a:b], JSON
        return None


def _inside(key: str) -> str | None:
    """`key` normalised, or None when it is empty or climbs out of its folder."""
    if not key or key.startswith("/") or "\\" in key:
        return None
    normal = posixpath.normpath(key)
    if normal == "." or normal.startswith("../") or normal == "..":
        return None
    return normal


def _really_inside(store: Store, key: str, group: str) -> bool:
    """Whether the local file `key` is, links followed, inside the study `group`."""
    root = os.path.realpath(store.path(group))
    return os.path.realpath(store.path(key)).startswith(root + os.sep)


def _object(store: Store, key: str) -> tuple[int, Callable[[int, int], bytes], str] | None:
    path = store.path(key)
    try:
        info = store.fs.info(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"{store.uri}/{key}: {exc}") from None
    if info.get("type") != "file":
        return None
    size = int(info["size"])
    kind = JSON if key.endswith(".json") else "application/octet-stream"
    return size, lambda a, b: store.fs.cat_file(path, start=a, end=b), kind


class Server:
    """`Served` on 127.0.0.1 at `port` (0: any free port), in a background thread; a context manager."""

    def __init__(self, served: Served, port: int = 0) -> None:
        handler = type("StudyHandler", (Handler,), {"served": served})
        try:
            self.httpd = ThreadingHTTPServer((LOOPBACK, port), handler)
        except OSError as exc:
            raise StorageError(f"--port: cannot listen on {LOOPBACK}:{port} ({exc.strerror or exc})") from None
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="medsynth-view", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
