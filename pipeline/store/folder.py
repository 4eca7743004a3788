"""A folder of label maps read through the Store: what the factory gives a generator to open one
(`models.folder`, `GeneratorOptions.open_folder`), so a user's masks pass the checks and retries
a dataset's own storage does (scheme, credentials in the URI, endpoint, transient errors).

A medsynth dataset as a folder of masks: its committed studies come from its catalog and their
label maps from their OME-Zarr arrays, as this factory wrote them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import zarr

from models.folder import StudyLabels
from pipeline import catalog
from pipeline.store.omezarr import LABEL_NAME, LABEL_PATH, shard_key
from pipeline.store.storage import Store, open_store, retry


@dataclass(frozen=True)
class StoreFolder:
    store: Store
    options: dict[str, Any]  # the storage options it was opened with (the catalog opens its own)

    @property
    def uri(self) -> str:
        return self.store.uri

    def is_folder(self) -> bool:
        return retry(lambda: self.store.fs.isdir(self.store.root), self.uri)

    def exists(self, rel: str) -> bool:
        return self.store.exists(rel)

    def walk(self) -> list[str]:
        return self.store.walk("")

    def read(self, rel: str) -> bytes:
        return self.store.read_bytes(rel)

    def identity(self, rel: str) -> str:
        """An object store's ETag (it changes whenever the bytes do); a file's sha256."""
        if not self.store.is_local:
            info = retry(lambda: self.store.fs.info(self.store.path(rel)), f"{self.uri}/{rel}")
            etag = info.get("ETag") or info.get("etag")
            if etag:
                return f"etag:{str(etag).strip(chr(34))}"
        return "sha256:" + hashlib.sha256(self.read(rel)).hexdigest()

    def committed_studies(self) -> list[str]:
        cat = catalog.open(self.uri, self.options)
        paths = cat.query(columns=["image_path"]).column("image_path").to_pylist()
        return sorted(str(p).rsplit("/", 1)[0] for p in paths)

    def study_labels(self, group: str) -> StudyLabels:
        """From the label group's OME multiscales (the spacing) and its array's metadata (the
        shape); the identity is its one shard object's (`pipeline.store.omezarr` writes one)."""
        ome = json.loads(self.read(f"{group}/labels/{LABEL_NAME}/zarr.json"))["attributes"]["ome"]
        scale = ome["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"]
        shape = json.loads(self.read(f"{group}/{LABEL_PATH}/zarr.json"))["shape"]
        identity = self.identity(shard_key(f"{group}/{LABEL_PATH}", len(shape)))
        spacing = tuple(float(s) for s in scale)  # the generator checks it is 3 sensible sides
        return StudyLabels(tuple(int(n) for n in shape), spacing, identity)  # type: ignore[arg-type]

    def read_labels(self, group: str) -> np.ndarray:
        return np.asarray(zarr.open_array(self.store.zarr_store(group), path=LABEL_PATH, mode="r")[...])


def open_folder(uri: str, options: dict[str, Any] | None = None) -> StoreFolder:
    """The folder at `uri` (`StorageError` for a URI or options the Store refuses)."""
    return StoreFolder(open_store(uri, options), dict(options or {}))


__all__ = ["StoreFolder", "open_folder"]
