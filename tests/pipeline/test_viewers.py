"""Studies open in viewers: read with ome-zarr-py, the reader behind napari's OME-Zarr plugin."""

import numpy as np
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Multiscales, Reader

from pipeline import catalog
from pipeline.store.omezarr import read_arrays


def opened(uri: str, index: int):
    """ome-zarr-py's image and label nodes of study `index`, the stored arrays and the catalog row."""
    cat = catalog.open(uri)
    row = cat.query(f"index = {index}", columns=["image_path", "spacing_mm"]).to_pylist()[0]
    group = row["image_path"].removesuffix("/0")
    nodes = list(Reader(parse_url(cat.store.path(group)))())
    (label_node,) = [n for n in nodes if any(isinstance(spec, Label) for spec in n.specs)]
    image, label = read_arrays(cat.store.zarr_store(group))
    return cat, row, nodes[0], label_node, image, label


def test_ome_zarr_py_finds_the_image_and_its_labels_at_the_right_scale(built_dataset):
    cat, row, image_node, label_node, image, label = opened(built_dataset.storage.uri, 2)
    assert any(isinstance(spec, Multiscales) for spec in image_node.specs)
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

    _, row, image_node, label_node, image, label = opened(series_dataset.storage.uri, 1)
    assert np.array_equal(np.asarray(image_node.data[0]), image) and image.shape[0] == len(SERIES)
    assert image_node.metadata["channel_names"] == list(SERIES)  # napari names its layers from these
    assert [a["name"] for a in image_node.metadata["axes"]] == ["c", "z", "y", "x"]
    assert np.array_equal(np.asarray(label_node.data[0])[0], label)
    for node in (image_node, label_node):
        (transforms,) = node.metadata["coordinateTransformations"]
        assert transforms == [{"type": "scale", "scale": [1.0, *row["spacing_mm"]]}]
