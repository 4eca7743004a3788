"""User label maps as anatomy: a folder or fsspec URI of NIfTI files, or a medsynth dataset.

The folder is opened through the factory (`models.folder`: the store's URI, credential and
endpoint checks, its retries), never by models themselves. The scan runs when a generator is
built (on the driver, before any work, and in every worker): it lists the masks, reads each
header (3-D, whole-number or float data, a spacing) and records each file's identity: the sha256
of a local file's bytes, the ETag of an object (S3 changes it whenever the bytes change). A
study's params carry the mask's name and identity; `load` refuses a file whose identity changed
since, so a study regenerates from its catalog row or not at all.

`load` returns the mask as a uint8 (z, y, x) label map in the dataset frame (LPS: x to the
patient's left, y posterior, z superior; `nibabel.as_closest_canonical` first, so an oblique
affine is snapped to its nearest axes), mapped through the vocabulary. A medsynth dataset's label
maps are already in that frame and vocabulary (its `labels/anatomy` arrays, with the spacing of
their OME-Zarr multiscales).
"""

from __future__ import annotations

import gzip
import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.anatomy.vocabulary import Vocabulary
from models.errors import GeneratorError, MedsynthError, ParamError
from models.folder import Folder, OpenFolder
from models.uri import problem as uri_problem
from models.uri import shown

FIELD = "params.masks"
SUFFIXES = (".nii", ".nii.gz")
DATASET_FILE = "dataset.json"  # a medsynth dataset root (pipeline.store.layout names the same file)
CACHED = 2  # masks kept decoded per process
SPACING_MM = (0.01, 50.0)  # a label map's voxel sides: a cell to a coarse 5 cm (absurd beyond)
_CHECKED: set[tuple[str, str, str, str]] = set()  # (root, name, identity, vocabulary) read whole once


@dataclass(frozen=True)
class MaskFile:
    name: str  # relative to the masks root
    identity: str  # "sha256:<hex>" or "etag:<value>"
    shape_zyx: tuple[int, int, int]
    spacing_zyx: tuple[float, float, float]
    kind: str  # "nifti" | "medsynth"


@dataclass(frozen=True)
class Mask:
    name: str
    label: np.ndarray  # uint8 (z, y, x), LPS, the generator's values
    spacing_zyx: tuple[float, float, float]
    counts: np.ndarray  # voxels per label value (256)


@dataclass(frozen=True)
class IndexFilter:
    """Which entries of MAISI's mask database to use, as MAISI's `find_masks` chooses them
    (`scripts/find_masks.py` of MAISI, MONAI tutorials): each entry's body regions span from its
    `top_region_index` to its `bottom_region_index` (one-hot over head, chest, abdomen, pelvis) and
    must cover every region asked for; its `label_list` must hold every label asked for; and masks
    with a tumour (MAISI labels 23, 24, 26, 27, 128) are skipped unless that tumour is asked for."""

    index: str  # path or URI of candidate_masks_flexible_size_and_spacing_*.json
    regions: tuple[str, ...] = ()
    labels: tuple[int, ...] = ()


REGIONS = ("head", "chest", "abdomen", "pelvis")  # MAISI's region_mapping_maisi, in index order
TUMOURS = (23, 24, 26, 27, 128)  # lung tumor, pancreatic tumor, hepatic tumor, colon cancer, bone lesion


class MaskSet:
    """The masks under one root, scanned once; `load` decodes one (a small per-process cache).
    `open_folder` opens the root (and a MAISI index's folder): the factory's, `models.folder`."""

    def __init__(
        self,
        uri: str,
        storage_options: dict[str, Any] | None = None,
        index: IndexFilter | None = None,
        *,
        open_folder: OpenFolder,
    ) -> None:
        if not isinstance(uri, str) or not uri.strip():
            raise ParamError(FIELD, f"must name a folder, URI or medsynth dataset of label maps, got {uri!r}")
        why = uri_problem(uri)  # the same rules as storage.uri: no credentials, query or pattern in it
        if why is not None:
            raise ParamError(FIELD, why)
        try:
            self.folder: Folder = open_folder(uri, storage_options)
        except MedsynthError as exc:
            raise ParamError(FIELD, f"cannot open {shown(uri)} ({_reason(exc, uri)})") from None
        self.uri, self.index, self.open_folder = uri, index, open_folder
        try:
            self.files = self._scan()
        except ParamError:
            raise
        except (MedsynthError, OSError) as exc:  # the store's one line: no credentials, access denied
            raise ParamError(FIELD, f"cannot read {shown(uri)} ({_reason(exc, uri)})") from None
        if not self.files:
            raise ParamError(FIELD, f"{uri} holds no label maps (*.nii, *.nii.gz, or a medsynth dataset)")
        self._cache: OrderedDict[tuple[str, str], Mask] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: the decoded masks and the lock stay behind."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cache = OrderedDict()
        self._lock = threading.Lock()

    def _scan(self) -> tuple[MaskFile, ...]:
        if not self.folder.is_folder():
            raise ParamError(FIELD, f"{self.uri} is not a folder")
        if self.index is not None:
            return self._indexed(self.index)
        if self.folder.exists(DATASET_FILE):
            return tuple(self._medsynth(group) for group in self._committed())
        return tuple(self._nifti(rel) for rel in self.folder.walk() if rel.endswith(SUFFIXES))

    def _indexed(self, index: IndexFilter) -> tuple[MaskFile, ...]:
        """The entries of a MAISI mask database that `index` keeps (sizes and spacings from it)."""
        where = "params.masks_index"
        parent, _, name = index.index.rpartition("/")
        try:
            entries = json.loads(self.open_folder(parent or ".", None).read(name))
        except (OSError, ValueError, MedsynthError) as exc:
            why = _reason(exc, index.index)
            raise ParamError(where, f"{shown(index.index)} is not a readable JSON mask database ({why})") from None
        if not isinstance(entries, list):
            raise ParamError(where, f"{index.index} must be a list of masks, as MAISI's candidate_masks_*.json")
        wanted = [REGIONS.index(r) for r in index.regions]
        kept = []
        for number, entry in enumerate(entries):
            try:
                top = list(entry["top_region_index"]).index(1)
                bottom = list(entry["bottom_region_index"]).index(1)
                labels = set(entry["label_list"])
                name, dim, spacing = str(entry["pseudo_label_filename"]), entry["dim"], entry["spacing"]
            except (KeyError, TypeError, ValueError):
                raise ParamError(where, f"{index.index}: entry {number} is not a MAISI mask entry") from None
            if any(not top <= r <= bottom for r in wanted) or not set(index.labels) <= labels:
                continue
            if any(t in labels and t not in index.labels for t in TUMOURS):
                continue
            shape = (int(dim[2]), int(dim[1]), int(dim[0]))
            zyx = (round(float(spacing[2]), 4), round(float(spacing[1]), 4), round(float(spacing[0]), 4))
            kept.append(MaskFile(name, self.folder.identity(name), shape, zyx, "nifti"))
        if not kept:
            raise ParamError(where, f"no mask of {index.index} covers {list(index.regions)} with {list(index.labels)}")
        return tuple(kept)

    def _nifti(self, name: str) -> MaskFile:
        image = _nifti(self.folder.read(name), name)
        if len(image.shape) != 3:
            raise ParamError(FIELD, f"{name} must be a 3-D label map, got shape {list(image.shape)}")
        kind = image.get_data_dtype()
        if kind.fields is not None or not np.issubdtype(kind, np.number) or np.issubdtype(kind, np.complexfloating):
            raise ParamError(FIELD, f"{name} must hold label values, got data of type {image.get_data_dtype()}")
        x, y, z = (int(n) for n in image.shape)
        dx, dy, dz = (round(float(s), 4) for s in image.header.get_zooms()[:3])
        _check_spacing(name, (dz, dy, dx))
        return MaskFile(name, self.folder.identity(name), (z, y, x), (dz, dy, dx), "nifti")

    def _committed(self) -> list[str]:
        """The study groups of a medsynth dataset that its catalog holds: shards that never
        committed are not read (the folder asks the factory's catalog)."""
        try:
            return self.folder.committed_studies()
        except MedsynthError as exc:
            raise ParamError(
                FIELD, f"{shown(self.uri)} is a medsynth dataset whose catalog cannot be read ({exc})"
            ) from None

    def _medsynth(self, name: str) -> MaskFile:
        stored = self.folder.study_labels(name)
        _check_spacing(name, stored.spacing_zyx)
        return MaskFile(name, stored.identity, stored.shape_zyx, stored.spacing_zyx, "medsynth")

    def file(self, name: str) -> MaskFile:
        for mask in self.files:
            if mask.name == name:
                return mask
        raise GeneratorError(f"{FIELD}: {name} is not among the masks of {self.uri} (was it removed?)")

    def check(self, vocabulary: Vocabulary) -> None:
        """Decode every mask once (per process) through `vocabulary`, so a fraction, a value with
        no mapping or a bad file stops the job before any work, naming the file."""
        for mask in self.files:
            key = (self.uri, mask.name, mask.identity, vocabulary.name)
            if key not in _CHECKED:
                self._decode(mask, mask.identity, vocabulary)
                _CHECKED.add(key)

    def load(self, name: str, identity: str, vocabulary: Vocabulary) -> Mask:
        key = (name, identity)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        mask = self._decode(self.file(name), identity, vocabulary)
        with self._lock:
            self._cache[key] = mask
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return mask

    def _decode(self, mask: MaskFile, identity: str, vocabulary: Vocabulary) -> Mask:
        nifti = mask.kind == "nifti"
        now = self.folder.identity(mask.name) if nifti else self.folder.study_labels(mask.name).identity
        if now != identity:
            raise GeneratorError(f"{FIELD}: {mask.name} changed since the study was planned ({identity} -> {now})")
        if mask.kind == "medsynth":
            try:
                label = np.asarray(self.folder.read_labels(mask.name)).astype(np.uint8)
            except (OSError, KeyError, ValueError, RuntimeError, MedsynthError) as exc:  # RuntimeError: a bad chunk
                why = f"{type(exc).__name__}; python -m jobs.verify {shown(self.uri)}"
                raise GeneratorError(f"{FIELD}: {mask.name} cannot be read ({why})") from None
            return _mask(mask.name, label, mask.spacing_zyx)
        import nibabel as nib

        image = nib.as_closest_canonical(_nifti(self.folder.read(mask.name), mask.name))
        ras = _whole(np.asanyarray(image.dataobj), mask.name)
        # RAS (x, y, z) -> LPS (z, y, x): flip x and y, reverse the axes.
        lps = np.ascontiguousarray(ras[::-1, ::-1, :].transpose(2, 1, 0))
        del ras
        x_ras = _midline_x(lps) if vocabulary.midline else None
        zooms = image.header.get_zooms()[:3]
        spacing = (round(float(zooms[2]), 4), round(float(zooms[1]), 4), round(float(zooms[0]), 4))
        return _mask(mask.name, vocabulary.apply(lps, mask.name, x_ras), spacing)


def _whole(data: np.ndarray, name: str) -> np.ndarray:
    """Label values as an integer array (as stored when they are integers already: no copy)."""
    if np.issubdtype(data.dtype, np.integer):
        return data
    values = np.rint(data)
    if not np.array_equal(values, data):
        raise GeneratorError(f"{FIELD}: {name} holds values that are not whole numbers")
    if values.size and (values.min() < 0 or values.max() > 65535):
        raise GeneratorError(f"{FIELD}: {name} holds values outside [0, 65535]")
    return values.astype(np.int32)


def _check_spacing(name: str, spacing: tuple[float, ...]) -> None:
    """A voxel spacing a body could be drawn at: finite, within `SPACING_MM` on every axis."""
    lo, hi = SPACING_MM
    if len(spacing) != 3 or not all(math.isfinite(v) and lo <= v <= hi for v in spacing):
        shown = ", ".join(f"{v:g}" for v in spacing)
        raise ParamError(FIELD, f"{name} has voxels of ({shown}) mm; a label map's must be within [{lo:g}, {hi:g}] mm")


def _mask(name: str, label: np.ndarray, spacing: tuple[float, float, float]) -> Mask:
    counts = np.bincount(label.ravel(), minlength=256)
    if not counts[1:].any():  # all background, as stored or once the vocabulary has mapped it
        raise GeneratorError(f"{FIELD}: {name} labels no voxel (every value is, or maps to, background)")
    return Mask(name, label, spacing, counts)


def _midline_x(lps: np.ndarray) -> np.ndarray:
    """RAS x of every voxel relative to the labelled tissue's centre, in voxels (positive: right)."""
    columns = np.flatnonzero(lps.any(axis=(0, 1)))
    centre = (columns[0] + columns[-1]) / 2.0 if columns.size else (lps.shape[2] - 1) / 2.0
    return np.broadcast_to(centre - np.arange(lps.shape[2], dtype=np.float64), lps.shape)


def _nifti(data: bytes, name: str) -> Any:
    import nibabel as nib

    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        nifti2 = raw[4:8] in (b"n+2\x00", b"ni2\x00")
        return nib.Nifti2Image.from_bytes(raw) if nifti2 else nib.Nifti1Image.from_bytes(raw)
    except Exception as exc:  # nibabel and gzip raise many types for a bad file
        raise ParamError(FIELD, f"{name} is not a readable NIfTI file ({type(exc).__name__}: {exc})") from None


__all__ = ["Mask", "MaskFile", "MaskSet"]


def _reason(exc: BaseException, uri: str) -> str:
    """Why opening or reading failed, for a message: a store's line without the config field it
    names for a dataset (`storage.uri: `), or another exception's type and first line; `uri`
    in it shown as `models.uri.shown` does."""
    text = (str(exc).strip().splitlines() or [""])[0].replace(uri, shown(uri))[:240]
    if isinstance(exc, MedsynthError):
        return re.sub(r"^storage\.[a-z_.]+: ", "", text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
