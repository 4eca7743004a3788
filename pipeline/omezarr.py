"""One study as one OME-Zarr 0.5 group (Zarr v3): image at `0`, labels at `labels/anatomy/0`.

Each array is written as a single shard object (the sharding codec) of inner chunks, so a patch
read touches only the inner chunks it overlaps while a whole study stays a handful of objects:
`zarr.json` x 5 plus one shard per array. The shard index carries a crc32c.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import zarr
from zarr.abc.store import Store as ZarrStore
from zarr.codecs import BloscCodec, BloscShuffle, ZstdCodec

from models import LabelDict, Study
from pipeline.storage import Store

OME_VERSION = "0.5"
IMAGE_PATH = "0"
LABEL_NAME = "anatomy"
LABEL_PATH = f"labels/{LABEL_NAME}/0"
AXES = ("z", "y", "x")


@dataclass(frozen=True)
class Encoding:
    """How arrays are laid out and compressed (`storage.chunk`, `storage.codec`, `storage.level`)."""

    chunk: tuple[int, int, int] = (64, 64, 64)
    codec: str = "blosc-zstd"
    level: int = 3

    def compressors(self, dtype: np.dtype) -> tuple:
        if self.codec == "none":
            return ()
        if self.codec == "zstd":
            return (ZstdCodec(level=self.level),)
        cname = self.codec.removeprefix("blosc-")
        # Byte shuffle groups the high bytes of int16 HU together: faster and ~15% smaller than
        # plain zstd on CT. One-byte label maps gain nothing from it.
        shuffle = BloscShuffle.shuffle if dtype.itemsize > 1 else BloscShuffle.noshuffle
        return (BloscCodec(cname=cname, clevel=min(self.level, 9), shuffle=shuffle, typesize=dtype.itemsize),)

    def chunks_for(self, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Inner chunk and shard shape: one shard covers the whole array."""
        chunk = tuple(min(c, n) for c, n in zip(self.chunk, shape, strict=True))
        shard = tuple(-(-n // c) * c for n, c in zip(shape, chunk, strict=True))
        return chunk, shard


def checksum(image: np.ndarray, label: np.ndarray) -> str:
    """Hex sha256 of the image's bytes then the label's (C order, stored dtype, little-endian)."""
    digest = hashlib.sha256()
    for array in (image, label):
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        digest.update(memoryview(little).cast("B"))
    return digest.hexdigest()


def multiscales(name: str, spacing_mm: tuple[float, float, float]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "axes": [{"name": axis, "type": "space", "unit": "millimeter"} for axis in AXES],
            "datasets": [
                {"path": IMAGE_PATH, "coordinateTransformations": [{"type": "scale", "scale": list(spacing_mm)}]}
            ],
        }
    ]


def image_label(labels: LabelDict) -> dict[str, Any]:
    return {
        "colors": [{"label-value": lb.value, "rgba": list(lb.color)} for lb in labels],
        "properties": [{"label-value": lb.value, "name": lb.name} for lb in labels],
        "source": {"image": "../../"},
    }


def encode_study(
    name: str, study: Study, labels: LabelDict, encoding: Encoding, extra: dict[str, Any]
) -> dict[str, bytes]:
    """Every object of the study's group, encoded in memory: `{key relative to the group: bytes}`.

    Encoding in memory and uploading the finished objects is what keeps a study at seven PUTs
    and no reads: zarr writing straight to an object store would also HEAD and LIST as it goes."""
    objects: dict[str, Any] = {}
    spacing = tuple(float(s) for s in study.spacing_mm)
    root = zarr.create_group(
        zarr.storage.MemoryStore(store_dict=objects),
        zarr_format=3,
        attributes={"ome": {"version": OME_VERSION, "multiscales": multiscales(name, spacing)}, "medsynth": extra},
    )
    _write_array(root, IMAGE_PATH, study.image, encoding)
    root.create_group("labels", attributes={"ome": {"version": OME_VERSION, "labels": [LABEL_NAME]}})
    root.create_group(
        f"labels/{LABEL_NAME}",
        attributes={
            "ome": {
                "version": OME_VERSION,
                "image-label": image_label(labels),
                "multiscales": multiscales(LABEL_NAME, spacing),
            }
        },
    )
    _write_array(root, LABEL_PATH, study.label, encoding)
    return {key: buffer.to_bytes() for key, buffer in objects.items()}


def _write_array(root: zarr.Group, path: str, data: np.ndarray, encoding: Encoding) -> None:
    chunk, shard = encoding.chunks_for(data.shape)
    array = root.create_array(
        path,
        shape=data.shape,
        dtype=data.dtype,
        chunks=chunk,
        shards=shard,
        compressors=encoding.compressors(data.dtype),
        fill_value=0,
        dimension_names=AXES,
    )
    array[...] = data


def write_study(
    store: Store, group: str, name: str, study: Study, labels: LabelDict, encoding: Encoding, extra: dict[str, Any]
) -> tuple[int, int]:
    """Encode `study` and put its objects under `group` (a retry overwrites them with identical
    bytes); returns the stored bytes of the image and of the label array."""
    objects = encode_study(name, study, labels, encoding, extra)
    store.put_objects(group, objects)
    return stored_bytes(objects, IMAGE_PATH), stored_bytes(objects, LABEL_PATH)


def stored_bytes(objects: dict[str, bytes], array_path: str) -> int:
    """Bytes of one array of an encoded study: its chunk or shard objects plus its zarr.json."""
    return sum(len(data) for key, data in objects.items() if key.startswith(f"{array_path}/"))


def chunk_sizes(store: Store, array_path: str) -> np.ndarray:
    """Stored bytes of every inner chunk of a single-shard array, from its shard index (z, y, x
    grid; 0 for chunks that were never written because they hold only the fill value)."""
    meta = json.loads(store.read_bytes(f"{array_path}/zarr.json"))
    shape = meta["shape"]
    (sharding,) = [c for c in meta["codecs"] if c["name"] == "sharding_indexed"]
    grid = [-(-n // c) for n, c in zip(shape, sharding["configuration"]["chunk_shape"], strict=True)]
    n = int(np.prod(grid))
    shard = f"{array_path}/c/" + "/".join("0" * len(grid))
    if not store.exists(shard):
        return np.zeros(grid, dtype=np.int64)
    index_bytes = 16 * n + 4  # (offset, nbytes) uint64 pairs, then a crc32c
    tail = store.fs.cat_file(store.path(shard), start=-index_bytes)
    pairs = np.frombuffer(tail[:-4], dtype="<u8").reshape(n, 2)
    sizes = np.where(pairs[:, 0] == np.iinfo(np.uint64).max, 0, pairs[:, 1])
    return sizes.astype(np.int64).reshape(grid)


def overlapped_bytes(store: Store, array_path: str, origin: Sequence[int], size: Sequence[int]) -> int:
    """Stored bytes of exactly the inner chunks that the box at `origin` of `size` overlaps."""
    sizes = chunk_sizes(store, array_path)
    meta = json.loads(store.read_bytes(f"{array_path}/zarr.json"))
    (sharding,) = [c for c in meta["codecs"] if c["name"] == "sharding_indexed"]
    inner = sharding["configuration"]["chunk_shape"]
    window = tuple(slice(o // c, (o + n - 1) // c + 1) for o, n, c in zip(origin, size, inner, strict=True))
    return int(sizes[window].sum())


def open_study(store: ZarrStore) -> zarr.Group:
    return zarr.open_group(store, mode="r", zarr_format=3)


def read_arrays(store: ZarrStore) -> tuple[np.ndarray, np.ndarray]:
    group = open_study(store)
    return np.asarray(group[IMAGE_PATH][...]), np.asarray(group[LABEL_PATH][...])


def validate(group: zarr.Group) -> list[str]:
    """Problems with the OME-Zarr 0.5 metadata of a study group (empty when valid)."""
    problems: list[str] = []
    ome = group.attrs.get("ome", {})
    if ome.get("version") != OME_VERSION:
        problems.append(f"ome.version is {ome.get('version')!r}, expected {OME_VERSION!r}")
    scale = _check_multiscales(ome.get("multiscales"), "image", problems)
    image = _check_array(group, IMAGE_PATH, problems)
    labels_ome = _attrs(group, "labels", problems).get("ome", {})
    if LABEL_NAME not in labels_ome.get("labels", []):
        problems.append(f"labels group does not list {LABEL_NAME!r}")
    label_ome = _attrs(group, f"labels/{LABEL_NAME}", problems).get("ome", {})
    _check_image_label(label_ome.get("image-label"), problems)
    label_scale = _check_multiscales(label_ome.get("multiscales"), "label", problems)
    label = _check_array(group, LABEL_PATH, problems)
    if image is not None and label is not None and image.shape != label.shape:
        problems.append(f"label shape {label.shape} differs from image shape {image.shape}")
    if scale is not None and label_scale is not None and scale != label_scale:
        problems.append(f"label scale {label_scale} differs from image scale {scale}")
    return problems


def _attrs(group: zarr.Group, path: str, problems: list[str]) -> dict[str, Any]:
    try:
        return dict(group[path].attrs)
    except KeyError:
        problems.append(f"missing group {path!r}")
        return {}


def _check_multiscales(value: Any, what: str, problems: list[str]) -> list[float] | None:
    try:
        (entry,) = value
        axes = [(a["name"], a["type"], a.get("unit")) for a in entry["axes"]]
        (dataset,) = entry["datasets"]
        (transform,) = dataset["coordinateTransformations"]
    except (TypeError, KeyError, ValueError):
        problems.append(f"{what} multiscales metadata is missing or malformed")
        return None
    if axes != [(axis, "space", "millimeter") for axis in AXES]:
        problems.append(f"{what} axes are {axes}, expected z, y, x in millimetres")
    if dataset.get("path") != IMAGE_PATH or transform.get("type") != "scale":
        problems.append(f"{what} dataset must be path '0' with a scale transform")
    scale = transform.get("scale")
    if not (isinstance(scale, list) and len(scale) == 3 and all(float(s) > 0 for s in scale)):
        problems.append(f"{what} scale {scale!r} is not 3 positive spacings")
        return None
    return [float(s) for s in scale]


def _check_array(group: zarr.Group, path: str, problems: list[str]) -> zarr.Array | None:
    try:
        array = group[path]
    except KeyError:
        problems.append(f"missing array {path!r}")
        return None
    if not isinstance(array, zarr.Array) or array.ndim != 3:
        problems.append(f"{path!r} is not a 3-D array")
        return None
    if tuple(array.metadata.dimension_names or ()) != AXES:
        problems.append(f"{path!r} dimension_names are {array.metadata.dimension_names}, expected {AXES}")
    return array


def _check_image_label(value: Any, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append("labels/anatomy has no image-label metadata")
        return
    colors, properties = value.get("colors", []), value.get("properties", [])
    if not colors or not all("label-value" in c and len(c.get("rgba", [])) == 4 for c in colors):
        problems.append("image-label colors must each have a label-value and an rgba")
    if not properties or not all("label-value" in p and p.get("name") for p in properties):
        problems.append("image-label properties must each have a label-value and a name")
