"""A real scan from DICOM: one image series (a folder) and its DICOM Segmentation, or either beside
a NIfTI file, read onto the grid `jobs.evaluate` scores on.

The series is stacked by highdicom (`get_volume_from_series`: sorted along the slice normal, the
spacing checked regular, CT's Rescale Slope/Intercept applied, so CT is in HU; a multi-frame
Enhanced or Legacy Converted Enhanced image through `imread(...).get_volume()`); the Segmentation
(`segread`, BINARY, FRACTIONAL or LABELMAP) is read as one volume of segment numbers and matched to
the image's grid by permuting, flipping, padding and cropping only (highdicom's `match_geometry`:
no resampling, so a SEG drawn on another grid is refused, not interpolated). Both are then put in
the dataset frame as the NIfTI path does: (z, y, x) arrays, LPS, the nearest axes (highdicom's
`to_patient_orientation("HPL")`: axis 0 towards the head, 1 posterior, 2 to the patient's left).

A FRACTIONAL segment counts where its value is at least one half. Overlapping segments cannot be
one label map and are refused. The segment labels are the vocabulary `seg`: each Segment Label
(0062,0005), or where it is empty the Segmented Property Type's Code Meaning, is a label name,
written as medsynth's are ('Kidney_Right' and 'right kidney' are both
`right kidney`, TotalSegmentator's names as `--vocabulary totalsegmentator` maps them), and scans
whose Segmentations number their segments differently are renumbered onto one shared list of names.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import SegmentationStorage

from models.anatomy.vocabulary import maisi_name
from models.errors import first_line
from pipeline.errors import ConfigError
from pipeline.evaluate.volumes import Scan, checked, read_nifti, scan_name

SEG = "seg"  # the vocabulary that names labels by the Segmentations' own Segment Labels
ORIENTATION = "HPL"  # (z, y, x) LPS: the dataset frame
IMAGE_MODALITIES = frozenset({"CT", "MR"})
# Segmentation Storage and Label Map Segmentation Storage (DICOM PS3.4 Table B.5-1; the label map
# SOP Class came with Supplement 243, 2024, and pydicom 3.0 has no name for it).
SEG_CLASSES = frozenset({SegmentationStorage, "1.2.840.10008.5.1.4.1.1.66.7"})
LEVEL = re.compile(r"^[CTLS]\d{1,2}$", re.IGNORECASE)  # a vertebra's level keeps its capital


def is_dicom(path: str) -> bool:
    """Whether `path` is a folder (a DICOM series) or a DICOM file, rather than a NIfTI file."""
    p = Path(path)
    return p.is_dir() or (p.is_file() and pydicom.misc.is_dicom(p))


def read_scan(image_path: str, label_path: str) -> Scan:
    """The scan and its labels (either side DICOM or NIfTI), checked and on one grid; `names`
    holds the Segment Labels when the labels are a Segmentation."""
    image, modality = _image(image_path)
    labels, names = _labels(label_path)
    try:
        labels = labels.match_geometry(image)
    except (RuntimeError, ValueError):
        raise ConfigError(
            f"--labels: {label_path} is not on the grid of {image_path} (shape {list(labels.spatial_shape)} "
            f"against {list(image.spatial_shape)}, or another position; a label map is not resampled)"
        ) from None
    image, labels = image.to_patient_orientation(ORIENTATION), labels.to_patient_orientation(ORIENTATION)
    pixels, values = (np.ascontiguousarray(a) for a in checked(image.array, labels.array, image_path, label_path))
    spacing = tuple(float(s) for s in image.spacing)
    return Scan(scan_name(image_path), pixels, values, spacing, names=names, modality=modality)


def shared_names(scans: list[Scan], label_paths: tuple[str, ...]) -> tuple[list[Scan], dict[int, str]]:
    """The scans with their segments renumbered onto one list of names (1, 2, ... in name order),
    and that list: the vocabulary `seg`."""
    for scan, path in zip(scans, label_paths, strict=True):
        if scan.names is None:
            raise ConfigError(f"--vocabulary: {SEG} names labels by a DICOM Segmentation's segments; {path} is not one")
    every = sorted({name for scan in scans for name in scan.names.values()})
    value = {name: k for k, name in enumerate(every, start=1)}
    renumbered = []
    for scan in scans:
        lut = np.zeros(max([0, *scan.names]) + 1, dtype=np.int32)
        for number, name in scan.names.items():
            lut[number] = value[name]
        labels = lut[np.clip(scan.label, 0, len(lut) - 1)] * (scan.label < len(lut))
        renumbered.append(Scan(scan.name, scan.image, labels.astype(np.int32), scan.spacing, scan.names, scan.modality))
    return renumbered, {k: name for name, k in value.items()}


def segment_name(label: str) -> str:
    """A Segment Label as a label name: 'Right Kidney', 'kidney_right' -> 'right kidney';
    'Vertebrae_L1' -> 'vertebrae L1'; 'urinary_bladder' -> 'bladder'."""
    words = [w.upper() if LEVEL.match(w) else w.lower() for w in re.split(r"[\s_]+", label.strip()) if w]
    return maisi_name("_".join(words))


def _image(path: str):
    """(the image as a highdicom Volume, its DICOM modality or None for NIfTI)."""
    import highdicom as hd

    if not Path(path).is_dir():
        return _nifti(path, "--real"), None
    datasets = _series(path)
    try:
        if len(datasets) == 1 and int(datasets[0].get("NumberOfFrames", 1) or 1) > 1:  # one multi-frame image
            volume = hd.imread(datasets[0].filename).get_volume(dtype=np.float32)
        else:
            volume = hd.get_volume_from_series(datasets, dtype=np.float32)
    except (ValueError, RuntimeError, AttributeError, KeyError) as exc:
        raise ConfigError(f"--real: {path}: the series is not one regular 3-D volume ({first_line(exc)})") from None
    return volume, str(datasets[0].Modality)


def _series(folder: str) -> list[pydicom.Dataset]:
    """The one CT or MR image series in `folder` (its files, any names, one level deep): single-frame
    slices, or one multi-frame image (Enhanced or Legacy Converted Enhanced CT and MR)."""
    found: dict[str, list[pydicom.Dataset]] = {}
    for file in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        try:
            ds = pydicom.dcmread(file)
        except (InvalidDicomError, OSError, ValueError, EOFError):
            continue  # not a DICOM file: a DICOMDIR's neighbours, a README
        if str(ds.get("Modality", "")) in IMAGE_MODALITIES and "PixelData" in ds:
            found.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append(ds)
    if not found:
        raise ConfigError(f"--real: {folder} holds no CT or MR image series (DICOM files with pixels)")
    if len(found) > 1:
        sizes = ", ".join(f"{uid or 'no UID'} ({len(files)} files)" for uid, files in found.items())
        raise ConfigError(f"--real: {folder} holds {len(found)} series ({sizes}); give one series per folder")
    (datasets,) = found.values()
    return datasets


def _labels(path: str):
    """(the labels as a highdicom Volume, {segment number: label name} for a Segmentation, else None)."""
    import highdicom as hd

    if not Path(path).is_file():
        raise ConfigError(f"--labels: {path} is not a file")
    if not pydicom.misc.is_dicom(path):
        return _nifti(path, "--labels"), None
    try:
        seg = hd.seg.segread(path)
    except (InvalidDicomError, ValueError, AttributeError, KeyError):
        sop = str(pydicom.dcmread(path, stop_before_pixels=True).get("SOPClassUID", "none"))
        raise ConfigError(f"--labels: {path} is not a DICOM Segmentation (SOP Class {sop})") from None
    if seg.SOPClassUID not in SEG_CLASSES:
        raise ConfigError(f"--labels: {path} is not a DICOM Segmentation (SOP Class {seg.SOPClassUID})")
    names = {int(s.SegmentNumber): segment_name(_label(s)) for s in seg.SegmentSequence}
    try:
        if seg.SegmentationType == "FRACTIONAL":
            return _strongest(seg.get_volume(combine_segments=False, dtype=np.float32)), names
        return seg.get_volume(combine_segments=True, relabel=False, dtype=np.uint16), names
    except (RuntimeError, ValueError) as exc:
        reason = first_line(exc)
        raise ConfigError(f"--labels: {path}: its segments are not one label map on one grid ({reason})") from None


def _label(segment: pydicom.Dataset) -> str:
    """A segment's Segment Label, or where it has none its Segmented Property Type's meaning."""
    label = str(segment.get("SegmentLabel", "")).strip()
    types = segment.get("SegmentedPropertyTypeCodeSequence") or []
    return label or (str(types[0].get("CodeMeaning", "")) if types else "")


def _strongest(shares):
    """A FRACTIONAL Segmentation's volume (one channel per segment) as segment numbers: each voxel
    the segment holding most of it, where that is at least a half."""
    numbers = np.asarray(shares.get_channel_values(shares.channel_descriptors[0]), dtype=np.uint16)
    array = np.asarray(shares.array)
    labels = np.where(array.max(axis=-1) >= 0.5, numbers[array.argmax(axis=-1)], 0).astype(np.uint16)
    return shares.with_array(labels, channels={})


def _nifti(path: str, option: str):
    """A NIfTI file beside a DICOM one, read as the NIfTI path reads it, as a highdicom Volume."""
    import highdicom as hd
    import nibabel as nib

    data, affine = read_nifti(path, option)
    return hd.Volume.from_nibabel(nib.Nifti1Image(data, affine))
