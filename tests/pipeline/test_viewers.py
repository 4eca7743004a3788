"""Studies open in viewers: read with ome-zarr-py, the reader behind napari's OME-Zarr plugin."""

import numpy as np
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Multiscales, Reader

from pipeline import catalog
from pipeline.omezarr import read_arrays


def test_ome_zarr_py_finds_the_image_and_its_labels_at_the_right_scale(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    row = cat.query("index = 2", columns=["image_path", "spacing_mm"]).to_pylist()[0]
    group = row["image_path"].removesuffix("/0")
    nodes = list(Reader(parse_url(cat.store.path(group)))())
    image_node = nodes[0]
    (label_node,) = [n for n in nodes if any(isinstance(spec, Label) for spec in n.specs)]
    assert any(isinstance(spec, Multiscales) for spec in image_node.specs)
    image, label = read_arrays(cat.store.zarr_store(group))
    assert np.array_equal(np.asarray(image_node.data[0]), image)
    assert np.array_equal(np.asarray(label_node.data[0]), label)
    for node in (image_node, label_node):
        (transforms,) = node.metadata["coordinateTransformations"]
        assert transforms == [{"type": "scale", "scale": row["spacing_mm"]}]
        assert [a["unit"] for a in node.metadata["axes"]] == ["millimeter"] * 3
    names = {value: p["name"] for value, p in label_node.metadata["properties"].items()}
    assert names == {lb.value: lb.name for lb in cat.info.labels}
    assert set(label_node.metadata["color"]) == set(names)


def test_ome_zarr_py_finds_every_series_with_the_labels_over_them(series_dataset):
    from tests.conftest import SERIES

    cat = catalog.open(series_dataset.storage.uri)
    row = cat.query("index = 1", columns=["image_path", "spacing_mm"]).to_pylist()[0]
    group = row["image_path"].removesuffix("/0")
    nodes = list(Reader(parse_url(cat.store.path(group)))())
    image_node = nodes[0]
    (label_node,) = [n for n in nodes if any(isinstance(spec, Label) for spec in n.specs)]
    image, label = read_arrays(cat.store.zarr_store(group))
    assert np.array_equal(np.asarray(image_node.data[0]), image) and image.shape[0] == len(SERIES)
    assert image_node.metadata["channel_names"] == list(SERIES)  # napari names its layers from these
    assert [a["name"] for a in image_node.metadata["axes"]] == ["c", "z", "y", "x"]
    assert np.array_equal(np.asarray(label_node.data[0])[0], label)
    for node in (image_node, label_node):
        (transforms,) = node.metadata["coordinateTransformations"]
        assert transforms == [{"type": "scale", "scale": [1.0, *row["spacing_mm"]]}]
