"""The viewer's data server over real HTTP: byte ranges as zarr's sharded reads ask for them, CORS,
and nothing outside the one study group."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import StorageError
from pipeline.store.storage import open_store
from pipeline.view.server import Served, Server, byte_range

GROUP = "studies/000000/s000000001.zarr"
SHARD = f"{GROUP}/0/c/0/0/0"


@pytest.fixture(scope="module")
def server(built_dataset) -> Iterator[Server]:
    store = open_store(built_dataset.storage.uri)
    served = Served(store, GROUP, {"info": {"@type": "neuroglancer_segment_properties"}})
    with Server(served) as running:
        yield running


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_byte_range_reads_every_form_a_client_sends():
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-9", 100) == (0, 10)
    assert byte_range("bytes=90-", 100) == (90, 100)
    assert byte_range("bytes=-20", 100) == (80, 100)
    assert byte_range("bytes=-500", 100) == (0, 100)
    assert byte_range("bytes=50-5000", 100) == (50, 100)
    assert byte_range("bytes=0-1,5-6", 100) is None  # several ranges: answered whole
    for bad in ("bytes=100-", "bytes=100-200", "bytes=9-3", "bytes=-0"):
        with pytest.raises(ValueError):
            byte_range(bad, 100)


def test_whole_objects_and_ranges_come_back_byte_exact(server, built_dataset):
    data = (Path(built_dataset.storage.uri) / SHARD).read_bytes()
    status, headers, body = fetch(f"{server.url}/data/{SHARD}")
    assert (status, body) == (200, data)
    assert headers["Accept-Ranges"] == "bytes" and headers["Access-Control-Allow-Origin"] == "*"
    status, headers, body = fetch(f"{server.url}/data/{SHARD}", Range="bytes=10-19")
    assert (status, body, headers["Content-Range"]) == (206, data[10:20], f"bytes 10-19/{len(data)}")
    status, headers, body = fetch(f"{server.url}/data/{SHARD}", Range="bytes=-16")  # a shard index
    n = len(data)
    assert (status, body, headers["Content-Range"]) == (206, data[-16:], f"bytes {n - 16}-{n - 1}/{n}")
    status, headers, _ = fetch(f"{server.url}/data/{SHARD}", Range=f"bytes={len(data)}-")
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(data)}")
    status, headers, body = fetch(f"{server.url}/data/{SHARD}", method="HEAD")
    assert (status, int(headers["Content-Length"]), body) == (200, len(data), b"")
    meta = json.loads(fetch(f"{server.url}/data/{GROUP}/zarr.json")[2])
    assert meta["attributes"]["ome"]["version"] == "0.5"


def test_preflights_are_answered_for_range_reads_from_any_origin(server):
    status, headers, _ = fetch(
        f"{server.url}/data/{SHARD}",
        method="OPTIONS",
        Origin="https://neuroglancer-demo.appspot.com",
        **{"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"},
    )
    assert status == 204
    assert "range" in headers["Access-Control-Allow-Headers"]
    assert "content-range" in headers["Access-Control-Expose-Headers"]
    assert headers["Access-Control-Allow-Private-Network"] == "true"


@pytest.mark.parametrize(
    "path",
    [
        "/data/studies/000000/s000000000.zarr/zarr.json",  # another study of the same dataset
        "/data/dataset.json",
        f"/data/{GROUP}/../../../dataset.json",
        f"/data/{GROUP}/%2e%2e/%2e%2e/%2e%2e/dataset.json",
        f"/data/{GROUP}/0/c/9/9/9",  # an absent chunk: zarr's fill value
        "/data/",
        "/segments/other",
        "/",
    ],
)
def test_nothing_outside_the_study_group_is_served(server, path):
    assert fetch(f"{server.url}{path}")[0] == 404


def test_a_link_planted_in_the_group_is_not_followed_out_of_it(built_dataset, tmp_path):
    """Issue 28: a symbolic link inside the study group used to serve the file it points at."""
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root, symlinks=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the dataset")
    (root / GROUP / "leak").symlink_to(secret)
    (root / GROUP / "inner").symlink_to(root / GROUP / "zarr.json")  # a link within the group is fine
    with Server(Served(open_store(str(root)), GROUP, {})) as running:
        assert fetch(f"{running.url}/data/{GROUP}/leak")[0] == 404
        status, _, body = fetch(f"{running.url}/data/{GROUP}/inner")
        assert status == 200 and body == (root / GROUP / "zarr.json").read_bytes()


def test_documents_are_served_as_json(server):
    status, headers, body = fetch(f"{server.url}/segments/info")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"@type": "neuroglancer_segment_properties"}


def test_a_busy_port_is_one_clear_error(server, built_dataset):
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(StorageError, match=f"--port: cannot listen on 127.0.0.1:{port}"):
        Server(Served(open_store(built_dataset.storage.uri), GROUP, {}), port)
