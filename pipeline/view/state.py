"""A neuroglancer viewer state for one study: what `jobs.view` puts in its link.

- The image layer reads the study's OME-Zarr group (`zarr3://`), in the window the report and
  `jobs.preview` use (`pipeline.report.slices.window`): CT in a soft-tissue window (W 400, L 40),
  other modalities between their 1st and 99th percentiles.
- The segmentation layer reads `labels/anatomy`, colours each label as the dataset's label
  dictionary does, and names it through a segment-properties source (neuroglancer does not read
  OME-Zarr's `image-label` names or colours). Every label present is shown except `body`, which
  covers the whole patient; it is listed and can be switched on.
- The global coordinate space is the study's voxel spacing in metres (neuroglancer's unit), so the
  scale bar reads millimetres, and the view opens at the volume's centre.
- A study of several series gets one image layer per series, named by it, each at its own
  position on the series axis (neuroglancer makes an OME-Zarr `channel` axis the local dimension
  `c'`) with its own window; the first is shown, the others a click away.

Formats: neuroglancer's JSON state (`src/viewer_state` in google/neuroglancer), its
`neuroglancer_segment_properties` info file (`src/datasource/precomputed/segment_properties.md`),
and the link form `<client>/#!<url-quoted JSON>` its Python package writes (`neuroglancer.url_state`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import numpy as np
import zarr

from models import LabelDict
from models.labels import Label
from pipeline.catalog import Catalog, sql
from pipeline.errors import CatalogError, StorageError
from pipeline.report.slices import SOFT_TISSUE, window
from pipeline.store.omezarr import IMAGE_PATH, LABEL_NAME
from pipeline.store.storage import Store

HIDDEN_BY_DEFAULT = ("body",)
PANEL_PIXELS = 320  # a cross-section panel of the 4-panel layout, about, at 1200 x 900
WINDOW_SAMPLE = 1 << 22  # voxels read to place an MR window (a strided subsample)
SHADER = "#uicontrol invlerp normalized\nvoid main() {\n  emitGrayscale(normalized());\n}\n"
ROW = ("study_id", "image_path", "modality", "shape_zyx", "spacing_mm")
_LINK_SAFE = "~@#$&()*!+=:;,.?/'"  # what neuroglancer.url_state leaves unquoted


@dataclass(frozen=True)
class StudyView:
    """What the viewer state needs to know of one study."""

    study_id: str
    group: str  # the study's OME-Zarr group, relative to the dataset root
    modality: str
    shape_zyx: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    window: tuple[float, float]  # of the first series
    labels: LabelDict
    present: tuple[int, ...]  # label values with a volume in the catalog row
    series: tuple[str, ...] = ()  # a study of several series, and the window of each
    windows: tuple[tuple[float, float], ...] = ()


def describe(catalog: Catalog, study_id: str) -> StudyView:
    """The study `study_id` of `catalog` (`CatalogError` naming it when there is no such study)."""
    if not isinstance(study_id, str) or not study_id.strip():
        raise CatalogError(f"STUDY_ID: must be a study id such as s000000000, got {study_id!r}")
    labels = catalog.info.labels
    volumes = [f"{lb.column}_ml" for lb in labels]
    table = catalog.query(f"study_id = {sql.literal(study_id)}", columns=[*ROW, *volumes], limit=1)
    if table.num_rows == 0:
        raise CatalogError(f"STUDY_ID: no study {study_id[:64]!r} in {catalog.store.uri}")
    row = table.to_pylist()[0]
    group = str(row["image_path"]).removesuffix(f"/{IMAGE_PATH}")
    present = tuple(lb.value for lb in labels if (row[f"{lb.column}_ml"] or 0) > 0)
    modality = str(row["modality"])
    series = catalog.info.series
    windows = tuple(study_window(catalog.store, group, modality, k) for k in range(len(series)))
    return StudyView(
        study_id=study_id,
        group=group,
        modality=modality,
        shape_zyx=tuple(int(n) for n in row["shape_zyx"]),  # type: ignore[arg-type]
        spacing_mm=tuple(float(s) for s in row["spacing_mm"]),  # type: ignore[arg-type]
        window=windows[0] if windows else study_window(catalog.store, group, modality),
        labels=labels,
        present=present,
        series=series,
        windows=windows,
    )


def study_window(store: Store, group: str, modality: str, series: int = 0) -> tuple[float, float]:
    """The display window of the study's image (of its series `series` when it has several); other
    modalities than CT read a strided subsample."""
    if modality == "CT":
        return SOFT_TISSUE
    try:
        array = zarr.open_array(store.zarr_store(group), path=IMAGE_PATH, mode="r")
        lead = (series,) if array.ndim == 4 else ()
        step = max(1, round((int(np.prod(array.shape[-3:])) / WINDOW_SAMPLE) ** (1 / 3)))
        sample = np.asarray(array[(*lead, slice(None, None, step), slice(None, None, step), slice(None, None, step))])
    except (OSError, ValueError, KeyError) as exc:
        raise StorageError(f"{store.uri}/{group}: cannot read the image ({exc})") from None
    return window(sample, modality)


def segment_properties(labels: LabelDict) -> dict[str, Any]:
    """The label dictionary as neuroglancer's inline segment properties (id -> name)."""
    return {
        "@type": "neuroglancer_segment_properties",
        "inline": {
            "ids": [str(lb.value) for lb in labels],
            "properties": [{"id": "label", "type": "label", "values": [lb.name for lb in labels]}],
        },
    }


def hex_colour(label: Label) -> str:
    r, g, b = label.color[:3]
    return f"#{r:02x}{g:02x}{b:02x}"


def state(view: StudyView, data_url: str, segments_url: str) -> dict[str, Any]:
    """The viewer state; `data_url` is where the study's group is read over HTTP(S) (or `s3://`),
    `segments_url` the folder holding the segment properties' `info`."""
    nz, ny, nx = view.shape_zyx
    dz, dy, dx = view.spacing_mm
    base = data_url.rstrip("/")
    names = {lb.value: lb.name for lb in view.labels}
    shown = [v for v in view.present if names[v] not in HIDDEN_BY_DEFAULT]
    extent = max(nx * dx, ny * dy, nz * dz) / min(dx, dy, dz)  # the longest side, in the finest voxels
    return {
        "dimensions": {"x": [dx * 1e-3, "m"], "y": [dy * 1e-3, "m"], "z": [dz * 1e-3, "m"]},
        "position": [nx / 2, ny / 2, nz / 2],
        "crossSectionScale": extent / PANEL_PIXELS,
        "projectionScale": 2 * extent,
        "layers": [
            *image_layers(view, base),
            {
                "type": "segmentation",
                "name": LABEL_NAME,
                "source": [f"zarr3://{base}/labels/{LABEL_NAME}/", f"precomputed://{segments_url.rstrip('/')}"],
                "segments": [str(v) for v in shown],
                "segmentColors": {str(lb.value): hex_colour(lb) for lb in view.labels if lb.value in view.present},
                "tab": "segments",
            },
        ],
        "selectedLayer": {"layer": LABEL_NAME, "visible": True},
        "layout": "4panel",
    }


def image_layers(view: StudyView, base: str) -> list[dict[str, Any]]:
    """The study's image layer, or one per series (the first visible)."""
    source = f"zarr3://{base}/"
    if not view.series:
        lo, hi = view.window
        name = f"{view.study_id} {view.modality}"
        return [{"type": "image", "name": name, "source": source, "shader": SHADER, "shaderControls": _range(lo, hi)}]
    return [
        {
            "type": "image",
            "name": f"{k + 1}. {series}",
            "source": source,
            "localPosition": [k + 0.5],  # the centre of series k on the series axis (c')
            "shader": SHADER,
            "shaderControls": _range(*window),
            "visible": k == 0,
        }
        for k, (series, window) in enumerate(zip(view.series, view.windows, strict=True))
    ]


def _range(lo: float, hi: float) -> dict[str, Any]:
    return {"normalized": {"range": [lo, hi]}}


def link(client_url: str, viewer_state: dict[str, Any]) -> str:
    """`<client>/#!<state>`: the form neuroglancer's own links take."""
    text = json.dumps(viewer_state, separators=(",", ":"), allow_nan=False)
    return f"{client_url.rstrip('/')}/#!{quote(text, safe=_LINK_SAFE)}"


def direct_url(store: Store) -> str:
    """Where a browser reads the dataset's objects itself: an S3 bucket that is public, or whose
    CORS and policy let the viewer's origin read it. Other stores are served through `jobs.view`."""
    protocol = store.fs.protocol[0] if isinstance(store.fs.protocol, tuple) else store.fs.protocol
    if protocol not in ("s3", "s3a"):
        raise StorageError(f"--direct: {store.uri} is not on S3; a browser reads it through jobs.view's server")
    options = store.fs.storage_options
    endpoint = options.get("endpoint_url") or (options.get("client_kwargs") or {}).get("endpoint_url")
    if endpoint:
        return f"{str(endpoint).rstrip('/')}/{quote(store.root)}"
    bucket, _, key = store.root.partition("/")
    return f"https://{bucket}.s3.amazonaws.com/{quote(key)}".rstrip("/")
