"""One study as one OME-Zarr 0.5 group (Zarr v3): image at `0`, labels at `labels/anatomy/0`.

Each array is written as a single shard object (the sharding codec) of inner chunks, so a patch
read touches only the inner chunks it overlaps while a whole study stays a handful of objects:
`zarr.json` x 5 plus one shard per array. The shard index carries a crc32c.

A study of several series is one multi-channel image: axes `c, z, y, x`, the series as channels
named in `omero`, inner chunks of one channel (1 x 64^3), so a patch of one series reads only
that series' chunks. Its label map has the same axes with `c` of 1 (NGFF: each dimension of a
label is the image's or 1). A study of one series keeps `z, y, x`.
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
from pipeline.store.storage import Store

OME_VERSION = "0.5"
IMAGE_PATH = "0"
LABEL_NAME = "anatomy"
LABEL_PATH = f"labels/{LABEL_NAME}/0"
AXES = ("z", "y", "x")
SERIES_AXES = ("c", *AXES)


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
        """Inner chunk and shard shape: one shard covers the whole array; a leading series axis
        is chunked one series at a time."""
        inner = (1, *self.chunk) if len(shape) == 4 else self.chunk
        chunk = tuple(min(c, n) for c, n in zip(inner, shape, strict=True))
        shard = tuple(-(-n // c) * c for n, c in zip(shape, chunk, strict=True))
        return chunk, shard


def checksum(image: np.ndarray, label: np.ndarray) -> str:
    """Hex sha256 of the image's bytes then the label's (C order, stored dtype, little-endian)."""
    digest = hashlib.sha256()
    for array in (image, label):
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        digest.update(memoryview(little).cast("B"))
    return digest.hexdigest()


def multiscales(name: str, spacing_mm: tuple[float, float, float], series: bool = False) -> list[dict[str, Any]]:
    axes = [{"name": axis, "type": "space", "unit": "millimeter"} for axis in AXES]
    scale = list(spacing_mm)
    if series:
        axes, scale = [{"name": "c", "type": "channel"}, *axes], [1.0, *scale]
    return [
        {
            "name": name,
            "axes": axes,
            "datasets": [{"path": IMAGE_PATH, "coordinateTransformations": [{"type": "scale", "scale": scale}]}],
            # OME-NGFF 0.5 asks (SHOULD; ngff-zarr's strict schema requires) the downscaling method and
            # its description: there is one level, so none.
            "type": "none",
            "metadata": {"description": "one resolution level, as rendered: no downscaling", "method": "none"},
        }
    ]


def omero(study: Study) -> dict[str, Any]:
    """The series as named channels, each windowed on its own 0.5-99.5 % range (viewers' defaults)."""
    channels = []
    for k, name in enumerate(study.series):
        image = study.series_image(k)
        low, high = (float(v) for v in np.percentile(image[:: max(image.shape[0] // 16, 1)], (0.5, 99.5)))
        info = np.iinfo(image.dtype) if np.issubdtype(image.dtype, np.integer) else np.finfo(image.dtype)
        window = {"min": float(info.min), "max": float(info.max), "start": low, "end": max(high, low + 1.0)}
        channels.append({"label": name, "active": k == 0, "color": "FFFFFF", "window": window})
    return {"channels": channels, "rdefs": {"model": "greyscale", "defaultZ": int(study.label.shape[0] // 2)}}


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
    series = bool(study.series)
    ome: dict[str, Any] = {"version": OME_VERSION, "multiscales": multiscales(name, spacing, series)}
    if series:
        ome["omero"] = omero(study)
    root = zarr.create_group(
        zarr.storage.MemoryStore(store_dict=objects), zarr_format=3, attributes={"ome": ome, "medsynth": extra}
    )
    _write_array(root, IMAGE_PATH, study.image, encoding)
    root.create_group("labels", attributes={"ome": {"version": OME_VERSION, "labels": [LABEL_NAME]}})
    root.create_group(
        f"labels/{LABEL_NAME}",
        attributes={
            "ome": {
                "version": OME_VERSION,
                "image-label": image_label(labels),
                "multiscales": multiscales(LABEL_NAME, spacing, series),
            }
        },
    )
    _write_array(root, LABEL_PATH, study.label[None] if series else study.label, encoding)
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
        dimension_names=SERIES_AXES if data.ndim == 4 else AXES,
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


def shard_key(array_path: str, ndim: int) -> str:
    """The one shard object of a single-shard array (Zarr v3's default chunk key encoding)."""
    return f"{array_path}/c/" + "/".join("0" * ndim)


def chunk_sizes(store: Store, array_path: str) -> np.ndarray:
    """Stored bytes of every inner chunk of a single-shard array, from its shard index (z, y, x
    grid; 0 for chunks that were never written because they hold only the fill value)."""
    meta = json.loads(store.read_bytes(f"{array_path}/zarr.json"))
    shape = meta["shape"]
    (sharding,) = [c for c in meta["codecs"] if c["name"] == "sharding_indexed"]
    grid = [-(-n // c) for n, c in zip(shape, sharding["configuration"]["chunk_shape"], strict=True)]
    n = int(np.prod(grid))
    shard = shard_key(array_path, len(grid))
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
    """The image as stored ((series, z, y, x) for several series) and the label map (z, y, x)."""
    group = open_study(store)
    label = np.asarray(group[LABEL_PATH][...])
    return np.asarray(group[IMAGE_PATH][...]), label[0] if label.ndim == 4 else label


def series_names(group: zarr.Group) -> tuple[str, ...]:
    """The series of a study group, in order (empty for a single-series study)."""
    channels = group.attrs.get("ome", {}).get("omero", {}).get("channels", [])
    return tuple(str(c.get("label")) for c in channels)


def validate(group: zarr.Group) -> list[str]:
    """Problems with the OME-Zarr 0.5 metadata of a study group (empty when valid)."""
    problems: list[str] = []
    ome = group.attrs.get("ome", {})
    if ome.get("version") != OME_VERSION:
        problems.append(f"ome.version is {ome.get('version')!r}, expected {OME_VERSION!r}")
    series = series_names(group)
    axes = SERIES_AXES if series else AXES
    scale = _check_multiscales(ome.get("multiscales"), "image", bool(series), problems)
    image = _check_array(group, IMAGE_PATH, axes, problems)
    labels_ome = _attrs(group, "labels", problems).get("ome", {})
    if LABEL_NAME not in labels_ome.get("labels", []):
        problems.append(f"labels group does not list {LABEL_NAME!r}")
    label_ome = _attrs(group, f"labels/{LABEL_NAME}", problems).get("ome", {})
    _check_image_label(label_ome.get("image-label"), problems)
    label_scale = _check_multiscales(label_ome.get("multiscales"), "label", bool(series), problems)
    label = _check_array(group, LABEL_PATH, axes, problems)
    if image is not None and series and image.shape[0] != len(series):
        problems.append(f"image has {image.shape[0]} series, omero names {len(series)}")
    if image is not None and label is not None:
        expected = (1, *image.shape[1:]) if series else image.shape
        if label.shape != expected:
            problems.append(f"label shape {label.shape} differs from {expected} (the image is {image.shape})")
    if scale is not None and label_scale is not None and scale != label_scale:
        problems.append(f"label scale {label_scale} differs from image scale {scale}")
    return problems


def _attrs(group: zarr.Group, path: str, problems: list[str]) -> dict[str, Any]:
    try:
        return dict(group[path].attrs)
    except KeyError:
        problems.append(f"missing group {path!r}")
        return {}


def _check_multiscales(value: Any, what: str, series: bool, problems: list[str]) -> list[float] | None:
    try:
        (entry,) = value
        axes = [(a["name"], a["type"], a.get("unit")) for a in entry["axes"]]
        (dataset,) = entry["datasets"]
        (transform,) = dataset["coordinateTransformations"]
    except (TypeError, KeyError, ValueError):
        problems.append(f"{what} multiscales metadata is missing or malformed")
        return None
    expected = [(axis, "space", "millimeter") for axis in AXES]
    if series:
        expected = [("c", "channel", None), *expected]
    if axes != expected:
        problems.append(f"{what} axes are {axes}, expected {'c (channel), ' if series else ''}z, y, x in millimetres")
    if dataset.get("path") != IMAGE_PATH or transform.get("type") != "scale":
        problems.append(f"{what} dataset must be path '0' with a scale transform")
    scale = transform.get("scale")
    if series and isinstance(scale, list) and scale[:1] == [1.0]:
        scale = scale[1:]  # the series axis is not spatial
    if not (isinstance(scale, list) and len(scale) == 3 and all(float(s) > 0 for s in scale)):
        problems.append(
            f"{what} scale {transform.get('scale')!r} is not {'1 then ' if series else ''}3 positive spacings"
        )
        return None
    return [float(s) for s in scale]


def _check_array(group: zarr.Group, path: str, axes: tuple[str, ...], problems: list[str]) -> zarr.Array | None:
    try:
        array = group[path]
    except KeyError:
        problems.append(f"missing array {path!r}")
        return None
    if not isinstance(array, zarr.Array) or array.ndim != len(axes):
        problems.append(f"{path!r} is not a {len(axes)}-D array")
        return None
    if tuple(array.metadata.dimension_names or ()) != axes:
        problems.append(f"{path!r} dimension_names are {array.metadata.dimension_names}, expected {axes}")
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
