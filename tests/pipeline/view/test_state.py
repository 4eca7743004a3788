"""The viewer state of a study: its window, its labels' names and colours, its millimetre scale,
and links that carry it whole."""

from __future__ import annotations

import json
from urllib.parse import unquote

import numpy as np
import pytest

from pipeline import catalog
from pipeline.errors import CatalogError, StorageError
from pipeline.report.slices import SOFT_TISSUE, window
from pipeline.store.omezarr import read_arrays
from pipeline.store.storage import open_store
from pipeline.view.state import describe, direct_url, link, segment_properties, state

DATA = "http://127.0.0.1:9/data/g"
SEGMENTS = "http://127.0.0.1:9/segments/"


def stored(cfg, study_id: str) -> tuple[np.ndarray, np.ndarray]:
    cat = catalog.open(cfg.storage.uri)
    group = describe(cat, study_id).group
    return read_arrays(cat.store.zarr_store(group))


def test_a_ct_opens_in_the_soft_tissue_window_at_the_study_scale(built_dataset):
    view = describe(catalog.open(built_dataset.storage.uri), "s000000002")
    assert view.window == SOFT_TISSUE
    got = state(view, DATA, SEGMENTS)
    image, segmentation = got["layers"]
    assert image["source"] == f"zarr3://{DATA}/"
    assert image["shaderControls"]["normalized"]["range"] == [-160.0, 240.0]
    assert "invlerp normalized" in image["shader"]
    dz, dy, dx = view.spacing_mm
    assert got["dimensions"] == {"x": [dx * 1e-3, "m"], "y": [dy * 1e-3, "m"], "z": [dz * 1e-3, "m"]}
    nz, ny, nx = view.shape_zyx
    assert got["position"] == [nx / 2, ny / 2, nz / 2]
    assert segmentation["source"] == [f"zarr3://{DATA}/labels/anatomy/", "precomputed://http://127.0.0.1:9/segments"]


def test_labels_carry_the_dictionary_colours_and_names_and_only_present_ones_show(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    view = describe(cat, "s000000002")
    _, label = stored(built_dataset, "s000000002")
    assert set(view.present) == set(np.unique(label).tolist()) - {0}
    segmentation = state(view, DATA, SEGMENTS)["layers"][1]
    by_value = {lb.value: lb for lb in cat.info.labels}
    for value, colour in segmentation["segmentColors"].items():
        r, g, b, _ = by_value[int(value)].color
        assert colour == f"#{r:02x}{g:02x}{b:02x}"
    assert set(segmentation["segmentColors"]) == {str(v) for v in view.present}
    body = next(lb.value for lb in cat.info.labels if lb.name == "body")
    assert str(body) not in segmentation["segments"]  # it covers everything; listed, switched off
    assert set(segmentation["segments"]) == {str(v) for v in view.present} - {str(body)}
    properties = segment_properties(cat.info.labels)["inline"]
    names = dict(zip(properties["ids"], properties["properties"][0]["values"], strict=True))
    assert names == {str(lb.value): lb.name for lb in cat.info.labels}
    assert names[segmentation["segments"][0]] == by_value[int(segmentation["segments"][0])].name


def test_an_mr_opens_between_its_1st_and_99th_percentiles(brain_dataset):
    view = describe(catalog.open(brain_dataset.storage.uri), "s000000001")
    image, _ = stored(brain_dataset, "s000000001")
    assert view.modality == "MR"
    assert view.window == pytest.approx(window(image, "MR"))  # a small study is read whole
    assert view.window[1] > view.window[0] > float(image.min()) - 1e-6


def test_the_link_carries_the_whole_state(built_dataset):
    got = state(describe(catalog.open(built_dataset.storage.uri), "s000000000"), DATA, SEGMENTS)
    url = link("https://neuroglancer-demo.appspot.com", got)
    assert url.startswith("https://neuroglancer-demo.appspot.com/#!%7B")
    assert " " not in url and '"' not in url
    assert json.loads(unquote(url.split("#!", 1)[1])) == got


def test_unknown_and_odd_study_ids_are_refused_by_name(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    for bad in ("s999999999", "s000000000' OR '1'='1"):
        with pytest.raises(CatalogError, match="STUDY_ID: no study"):
            describe(cat, bad)
    for bad in ("", "  ", None, 3):
        with pytest.raises(CatalogError, match="STUDY_ID: must be a study id"):
            describe(cat, bad)  # type: ignore[arg-type]


def test_direct_links_read_the_bucket_itself(s3):
    assert direct_url(open_store("s3://my-bucket/data/ct", {})) == "https://my-bucket.s3.amazonaws.com/data/ct"
    assert direct_url(open_store(s3.uri("ds"), s3.options)) == f"{s3.endpoint}/{s3.bucket}/ds"
    with pytest.raises(StorageError, match=r"--direct: .* is not on S3"):
        direct_url(open_store("/tmp/somewhere"))


def test_a_study_of_several_series_gets_a_layer_per_series(series_dataset):
    from tests.conftest import SERIES

    view = describe(catalog.open(series_dataset.storage.uri), "s000000001")
    assert view.series == SERIES and len(view.windows) == 4
    *images, segmentation = state(view, DATA, SEGMENTS)["layers"]
    assert [layer["name"] for layer in images] == [f"{k + 1}. {name}" for k, name in enumerate(SERIES)]
    assert [layer["localPosition"] for layer in images] == [[0.5], [1.5], [2.5], [3.5]]
    assert [layer["visible"] for layer in images] == [True, False, False, False]
    assert all(layer["source"] == f"zarr3://{DATA}/" for layer in images) and segmentation["type"] == "segmentation"
