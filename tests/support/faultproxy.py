"""A fault-injecting HTTP/1.1 proxy on loopback, in front of a local S3 API.

Each request, independently and from a seeded generator, is:
- reset before it reaches the server (the client sees a connection reset),
- forwarded, but the connection reset instead of the response (the request *did* happen, the
  client cannot know: this is what makes idempotency and exclusive commits matter),
- answered by the proxy itself with `503 SlowDown`, as S3 does when throttling,
- or forwarded normally.

HTTP is parsed just enough to find message boundaries (Content-Length, chunked bodies,
`Expect: 100-continue`), so faults hit whole requests, never random bytes of a healthy stream.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from dataclasses import dataclass, field

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>"
)


@dataclass
class Counts:
    forwarded: int = 0
    reset_before: int = 0
    reset_after: int = 0
    slow_down: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def faults(self) -> int:
        return self.reset_before + self.reset_after + self.slow_down

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class FaultProxy:
    def __init__(self, upstream_port: int, rate: float = 0.05, seed: int = 0) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.rate = rate  # probability of each of the three faults, per request
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.counts = Counts()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.running = False
        self.server.close()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _roll(self) -> str:
        with self.rng_lock:
            x = self.rng.random()
        for i, fault in enumerate(("reset_before", "reset_after", "slow_down")):
            if x < self.rate * (i + 1):
                return fault
        return "forwarded"

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        upstream: socket.socket | None = None
        upstream_reader = None
        try:
            while True:
                request = read_message(reader, client=client)
                if request is None:
                    return
                fate = self._roll()
                self.counts.add(fate)
                if fate == "reset_before":
                    return reset(client)
                if fate == "slow_down":
                    client.sendall(slow_down_response())
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                    upstream_reader = upstream.makefile("rb")
                upstream.sendall(request.raw)
                response = read_message(upstream_reader, head_request=request.method == b"HEAD")
                if response is None:
                    return reset(client)
                if fate == "reset_after":
                    return reset(client)
                client.sendall(response.raw)
                if response.closes:
                    upstream.close()
                    upstream = None
        except OSError:
            return
        finally:
            if upstream is not None:
                upstream.close()
            client.close()


@dataclass
class Message:
    raw: bytes
    method: bytes
    closes: bool


def read_message(reader, client: socket.socket | None = None, head_request: bool = False) -> Message | None:
    """One HTTP/1.1 message (request when `client` is given, else response), re-serialised."""
    start = reader.readline()
    while start in (b"\r\n", b"\n"):
        start = reader.readline()
    if not start:
        return None
    headers = []
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        headers.append(line)
    fields = {h.split(b":", 1)[0].strip().lower(): h.split(b":", 1)[1].strip() for h in headers if b":" in h}
    is_request = client is not None
    if is_request and fields.get(b"expect", b"").lower() == b"100-continue":
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        headers = [h for h in headers if not h.lower().startswith(b"expect:")]
    if not is_request and start.split(b" ")[1:2] == [b"100"]:
        return read_message(reader, head_request=head_request)  # an interim response: skip it
    body = read_body(reader, fields, is_request, head_request, start)
    status_line = start.split(b" ")
    closes = fields.get(b"connection", b"").lower() == b"close" or start.startswith(b"HTTP/1.0")
    method = status_line[0] if is_request else b""
    return Message(start + b"".join(headers) + b"\r\n" + body, method, closes)


def read_body(reader, fields: dict, is_request: bool, head_request: bool, start: bytes) -> bytes:
    if not is_request and (
        head_request or start.split(b" ")[1][:1] == b"1" or start.split(b" ")[1] in (b"204", b"304")
    ):
        return b""
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        out = b""
        while True:
            size_line = reader.readline()
            out += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            chunk = reader.read(size + 2)
            out += chunk
            if size == 0:
                return out
    if b"content-length" in fields:
        return reader.read(int(fields[b"content-length"]))
    return b"" if is_request else reader.read()


def slow_down_response() -> bytes:
    head = (
        "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
        f"Content-Length: {len(SLOW_DOWN)}\r\nx-amz-request-id: fault-proxy\r\n\r\n"
    )
    return head.encode() + SLOW_DOWN


def reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset by peer'."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
