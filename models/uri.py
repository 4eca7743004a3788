"""What a URI may hold, and how one appears in messages: never its credentials or query string.

Shared by the dataset's storage (`pipeline.store.storage`) and the mask sources (`models.anatomy.masks`),
the two places a user names a place to read from or write to, and whether an S3-compatible
endpoint answers at all (both name one).
"""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

# DuckDB reads a Parquet path with these as a glob pattern, so a root holding one would match (and
# mix in) other datasets' files; `?` also starts a query string (a signature, a token).
GLOB_CHARACTERS = frozenset("*?[]{}")
ENDPOINT_TIMEOUT_S = 5.0  # an endpoint that says nothing in this long is not there


def shown(uri: str) -> str:
    """`uri` fit for a message: scheme, host, port and path; no user:password@, query or fragment."""
    parts = urlsplit(uri)
    if not parts.scheme or len(parts.scheme) == 1:  # a local path (or a Windows drive letter)
        return uri.split("?", 1)[0][:200]
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def problem(uri: str) -> str | None:
    """Why `uri` cannot name one place plainly, or None: a control character (a newline ends a
    path early in some tools), a glob or query character, or credentials in the URI itself."""
    control = next((c for c in uri if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if control is not None:
        return f"holds the control character {control!r}; name the folder plainly"
    glob = sorted(GLOB_CHARACTERS.intersection(uri))
    if glob:
        return f"holds {''.join(glob)!r}, read as a file pattern or a query string; name the folder plainly"
    parts = urlsplit(uri)
    if parts.scheme and len(parts.scheme) > 1 and "@" in parts.netloc:
        return f"{shown(uri)} carries credentials; use the options or the environment"
    return None


def endpoint_problem(url: str, timeout_s: float) -> str | None:
    """Why nothing answers at the endpoint `url`, within seconds (instead of an S3 client's
    minutes of retries): not http(s), no such host, a refused connection, or silence; or None.
    Anything else counts as an answer (any HTTP status, and a connection reset, which is
    something there that the client's retries may get through)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be http://host[:port] or https://..., got {shown(url)}"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"bad port in {shown(url)}"
    try:
        if parts.scheme == "https":  # a TCP answer is enough: no TLS set-up of our own
            socket.create_connection((parts.hostname, port), timeout=timeout_s).close()
            return None
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=timeout_s)
        try:
            connection.request("HEAD", "/")
            connection.getresponse()
        finally:
            connection.close()
    except (ConnectionRefusedError, TimeoutError, socket.gaierror) as exc:
        reason = f"no answer within {timeout_s:g} s" if isinstance(exc, TimeoutError) else str(exc)
        return f"nothing answers at {shown(url)} ({reason})"
    except (OSError, http.client.HTTPException):
        return None  # it answered, if badly: the S3 client's retries deal with a flaky endpoint
    return None
