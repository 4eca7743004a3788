"""`jobs.view` in a real browser: Debian's Chromium, headless (SwiftShader WebGL), opening the
`neuroglancer` package's own client on local and S3 datasets; and the command itself, end to end."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from pipeline import catalog
from pipeline.store.omezarr import LABEL_NAME
from pipeline.view import Viewer, open_view
from tests.conftest import REPO, build_in_process, small_config

READY_S = 90
PANELS = (slice(50, 900), slice(0, 890))  # the four panels, left of the layer side panel
CENTRE = (slice(200, 320), slice(160, 280))  # inside the body, in the axial panel (top left)


def wait_until(page, script: str) -> None:
    deadline = time.monotonic() + READY_S
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"neuroglancer never got to {script}"
        time.sleep(0.25)


def look(page) -> dict:
    """Colour and grey content of the panels in a screenshot."""
    rgb = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))[PANELS].astype(int)
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    centre = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("L"))[CENTRE].astype(float)
    return {"coloured": int((spread > 60).sum()), "contrast": float(centre.std()), "rgb": rgb}


def rendered(browser, viewer: Viewer) -> dict:
    """The page's console errors, its responses, and what it shows with and without the labels."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    # Chromium asks every server for /favicon.ico on its own; neuroglancer's server has none.
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and not str(m.location.get("url", "")).endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # neuroglancer sizes a shard with a HEAD and aborts it once the headers are in (it does the
    # same against its own tornado file server): the 200 is in `responses`, the abort is no failure.
    page.on(
        "requestfailed",
        lambda r: (
            None
            if (r.method, r.failure) == ("HEAD", "net::ERR_ABORTED")
            else problems.append(f"request failed: {r.method} {r.url} {r.failure}")
        ),
    )
    responses: list[tuple[int, str, str | None]] = []
    page.on("response", lambda r: responses.append((r.status, r.url, r.request.headers.get("range"))))
    page.goto(viewer.url)
    wait_until(page, "() => !!(window.viewer && window.viewer.isReady())")
    with_labels = look(page)
    text = page.inner_text("body")
    with viewer.client.txn() as s:
        s.layers[LABEL_NAME].visible = False
    wait_until(page, f"() => window.viewer.layerManager.getLayerByName('{LABEL_NAME}').visible === false")
    wait_until(page, "() => window.viewer.isReady()")
    time.sleep(0.5)
    image_only = look(page)
    page.close()
    return {"problems": problems, "responses": responses, "labels": with_labels, "image": image_only, "text": text}


def check(seen: dict, viewer: Viewer, data_origin: str) -> None:
    assert seen["problems"] == []
    bad = [(status, url) for status, url, _ in seen["responses"] if status >= 400 and not url.endswith("/favicon.ico")]
    assert bad == []
    ranged = [url for status, url, asked in seen["responses"] if status == 206 and asked and data_origin in url]
    assert any(f"/{LABEL_NAME}/0/c/" in url for url in ranged) and any("/0/c/" in url for url in ranged)
    # The window: tissue contrast inside the body (the full int16 range shows it flat grey).
    assert seen["image"]["contrast"] > 25, seen["image"]["contrast"]
    # The labels: coloured pixels appear with the segmentation layer and go with it (what stays is
    # neuroglancer's own: the yellow bounds, the red, green and blue axis lines).
    assert seen["labels"]["coloured"] > 3 * seen["image"]["coloured"] + 20_000, (
        seen["labels"]["coloured"],
        seen["image"]["coloured"],
    )
    # Their names come from the dictionary (the segment-properties source), in the layer's list.
    names = {lb.value: lb.name for lb in viewer.study.labels}
    (segmentation,) = [layer for layer in viewer.state["layers"] if layer["type"] == "segmentation"]
    shown = [names[int(v)] for v in segmentation["segments"]]
    assert shown and all(name in seen["text"] for name in shown[:5])


@pytest.mark.parametrize("dataset", ["built_dataset", "brain_dataset", "series_dataset"])
def test_a_study_renders_with_its_window_and_named_coloured_labels(dataset, browser, request):
    cfg = request.getfixturevalue(dataset)
    with open_view(catalog.open(cfg.storage.uri), "s000000001") as viewer:
        seen = rendered(browser, viewer)
        check(seen, viewer, viewer.data.url)
        if viewer.study.series:  # every series is a layer of its own, named in the layer bar
            assert all(f"{k + 1}. {name}" in seen["text"] for k, name in enumerate(viewer.study.series))


def test_each_series_layer_shows_its_own_series(series_dataset, browser):
    """The arterial layer, switched on alone, shows another image than the non-contrast one: the
    layers read their own positions on the series axis."""
    with open_view(catalog.open(series_dataset.storage.uri), "s000000001") as viewer:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(viewer.url)
        wait_until(page, "() => !!(window.viewer && window.viewer.isReady())")
        pictures = []
        for shown in ("1. non_contrast", "2. arterial"):
            with viewer.client.txn() as s:
                for layer in s.layers:
                    layer.visible = layer.name == shown
            wait_until(page, f"() => window.viewer.layerManager.getLayerByName('{shown}').visible === true")
            wait_until(page, "() => window.viewer.isReady()")
            time.sleep(0.5)
            pictures.append(look(page)["rgb"].astype(float))
        page.close()
        assert np.abs(pictures[0] - pictures[1]).mean() > 1.0, np.abs(pictures[0] - pictures[1]).mean()


@pytest.fixture
def s3_dataset(s3):
    cfg = small_config(s3.uri("ds"), *s3.overrides("ds")[1:], "dataset.n_studies=1", "dataset.shard_size=1")
    build_in_process(cfg)
    return catalog.open(cfg.storage.uri, s3.options)


def test_a_private_s3_study_is_read_through_the_server(s3_dataset, s3, browser):
    with open_view(s3_dataset, "s000000000") as viewer:
        assert s3.endpoint not in json.dumps(viewer.state)  # the browser never meets the bucket
        check(rendered(browser, viewer), viewer, viewer.data.url)


def test_a_public_s3_study_is_read_from_the_bucket_directly(s3_dataset, s3, browser):
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint)
    client.put_bucket_cors(
        Bucket=s3.bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["*"],
                    "AllowedMethods": ["GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["Content-Range", "Content-Length"],
                }
            ]
        },
    )
    for key in s3_dataset.store.walk("studies"):
        client.put_object_acl(Bucket=s3.bucket, Key=f"ds/{key}", ACL="public-read")
    with open_view(s3_dataset, "s000000000", direct=True) as viewer:
        assert viewer.state["layers"][0]["source"].startswith(f"zarr3://{s3.endpoint}/{s3.bucket}/ds/studies/")
        check(rendered(browser, viewer), viewer, s3.endpoint)


def test_the_command_prints_both_links_and_stops_on_ctrl_c(built_dataset, browser):
    command = [sys.executable, "-m", "jobs.view", built_dataset.storage.uri, "s000000003"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        assert lines[0].startswith("s000000003: CT, 48 x 48 x 48 voxels; data on http://127.0.0.1:"), lines
        assert lines[1].startswith("open http://127.0.0.1:") and "/v/" in lines[1]
        portable = lines[2].removeprefix("or, in any neuroglancer client: ").strip()
        assert portable.startswith("https://neuroglancer-demo.appspot.com/#!")
        page = browser.new_page()
        page.goto(lines[1].removeprefix("open ").strip())
        wait_until(page, "() => !!(window.viewer && window.viewer.isReady())")
        assert page.evaluate("() => window.viewer.layerManager.managedLayers.map(l => l.name)") == [
            "s000000003 CT",
            LABEL_NAME,
        ]
        page.close()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
