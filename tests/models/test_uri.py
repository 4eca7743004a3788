"""What a URI may hold and how one is shown: never credentials or a query string; an endpoint
that does not answer is said in seconds."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from infra.local.cluster import free_port
from models.uri import endpoint_problem, problem, shown


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://key:secret@bucket/data/ds?X-Amz-Signature=abc#frag", "s3://bucket/data/ds"),
        ("https://user:pw@host.example:9000/path?token=1", "https://host.example:9000/path"),
        ("/data/ds?x=1", "/data/ds"),
        ("./data/demo", "./data/demo"),
        ("C:/data/ds", "C:/data/ds"),
        ("s3://bucket:notaport/x", "s3://bucket/x"),
    ],
)
def test_shown_drops_credentials_queries_and_fragments(uri, expected):
    assert shown(uri) == expected


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("/data/ds\nrm", "control character"),
        ("/data/ds*", "file pattern"),
        ("s3://bucket/ds?token=1", "file pattern"),
        ("s3://key:secret@bucket/ds", "carries credentials"),
    ],
)
def test_problem_names_what_is_wrong_without_repeating_secrets(uri, says):
    found = problem(uri)
    assert found is not None and says in found and "secret" not in found


def test_plain_uris_have_no_problem():
    for uri in ("/data/ds", "s3://bucket/ds", "gs://b/x", "./rel/path", "mem://x"):
        assert problem(uri) is None


def test_an_endpoint_answers_or_is_said_not_to_within_the_timeout():
    class Quiet(BaseHTTPRequestHandler):
        def do_HEAD(self):  # http.server calls it by this name
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert endpoint_problem(f"http://127.0.0.1:{server.server_port}", 2.0) is None  # any status answers
    finally:
        server.shutdown()
    refused = endpoint_problem(f"http://127.0.0.1:{free_port()}", 2.0)
    assert refused is not None and refused.startswith("nothing answers at http://127.0.0.1")
    assert "must be http://host" in endpoint_problem("ftp://host/x", 1.0)
    assert "bad port" in endpoint_problem("http://host:99999", 1.0)

    with socket.socket() as silent:  # listens, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        said = endpoint_problem(f"http://127.0.0.1:{silent.getsockname()[1]}", 0.3)
    assert said is not None and "no answer within 0.3 s" in said
