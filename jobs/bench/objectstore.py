"""An object store for benchmarks: moto's S3 API in its own process, and a proxy in front of it
that adds a fixed latency to every request (what a cloud object store's first byte costs).

Both run as separate processes so that serving S3 does not share the measured process's GIL, as
a real object store would not. The proxy delays each piece of a request on its way to the server
by `latency_ms`, keeping order; requests on different connections are delayed concurrently, as
round trips to a remote store overlap.

    with LocalS3() as s3, Latency(s3.endpoint, 20) as slow:
        fs = s3fs.S3FileSystem(endpoint_url=slow.endpoint)
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from types import TracebackType

BUCKET = "bench"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(endpoint: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local object store at {endpoint} exited while starting")
        try:
            urllib.request.urlopen(f"{endpoint}/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the local object store at {endpoint} did not answer within {seconds:.0f} s")


class LocalS3:
    """moto's S3 server (`python -m moto.server`) on a free port of 127.0.0.1, with one bucket
    `BUCKET`; fake credentials are set in this process's environment (moto takes any)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """The server's process (its CPU time is the benchmark's to read)."""
        if self._process is None:
            raise RuntimeError("the local S3 is not started")
        return self._process.pid

    def __enter__(self) -> LocalS3:
        for name, value in CREDENTIALS.items():
            os.environ.setdefault(name, value)
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self.endpoint, self._process)
        request = urllib.request.Request(f"{self.endpoint}/{BUCKET}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)


class Latency:
    """A TCP proxy on a free port in front of `upstream` (http://host:port) that holds every piece
    of a request `latency_ms` before passing it on; its `endpoint` replaces the upstream's."""

    def __init__(self, upstream: str, latency_ms: float) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(port))
        self.latency_ms = latency_ms
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Latency:
        host, port = self.upstream  # this file runs as a script: it imports nothing but the stdlib
        command = [sys.executable, __file__, str(self.port), host, str(port), str(self.latency_ms / 1000)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.endpoint, self._process)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)


async def _proxy(port: int, upstream: tuple[str, int], delay: float) -> None:
    async def connect(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(*upstream)
            await asyncio.gather(_delayed(client_in, server_out, delay), _pipe(server_in, client_out))
        except ConnectionError:
            client_out.close()

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def _delayed(source: asyncio.StreamReader, sink: asyncio.StreamWriter, delay: float) -> None:
    """Each piece read from `source` reaches `sink` `delay` seconds later, in order (pieces read
    within one delay are held concurrently, not one after another)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            sink.write(data)
            await sink.drain()
        sink.close()

    sender = asyncio.create_task(send())
    try:
        while data := await source.read(1 << 16):
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    finally:
        queue.put_nowait((0.0, b""))
        await sender


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(1 << 16):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        sink.close()


__all__ = ["BUCKET", "Latency", "LocalS3", "free_port"]

if __name__ == "__main__":  # the proxy's own process: port, upstream host, upstream port, delay (s)
    asyncio.run(_proxy(int(sys.argv[1]), (sys.argv[2], int(sys.argv[3])), float(sys.argv[4])))
