import json
import re
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import CTImageStorage, JPEGLSLossless, MRImageStorage, RLELossless, SegmentationStorage

from models.mr.sequence import COLUMNS as MR_COLUMNS
from pipeline import catalog
from pipeline.export import DicomOptions, export
from pipeline.export.dicom import check_exportable
from tests.pipeline.export import stored

UID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


def read_series(folder: Path) -> list[pydicom.Dataset]:
    slices = [pydicom.dcmread(p) for p in sorted(folder.glob("*.dcm"))]
    return sorted(slices, key=lambda ds: float(ds.ImagePositionPatient[2]))


def label_map_from_seg(seg: pydicom.Dataset, shape: tuple[int, ...], dz: float) -> tuple[np.ndarray, dict[int, str]]:
    """Rebuild the label map from the SEG's frames with pydicom alone (segment -> label value via
    the 99MEDSYNTH code of each segment)."""
    values = {}
    names = {}
    for item in seg.SegmentSequence:
        (code,) = item.SegmentedPropertyTypeCodeSequence
        if int(item.SegmentNumber) == 0:  # LABELMAP's background segment (DCM 125040)
            assert code.CodeValue == "125040"
            continue
        assert code.CodingSchemeDesignator == "99MEDSYNTH"
        values[int(item.SegmentNumber)] = int(code.CodeValue)
        names[int(code.CodeValue)] = str(item.SegmentLabel)
    frames = seg.pixel_array.reshape(-1, *shape[1:])
    rebuilt = np.zeros(shape, dtype=np.uint16)
    lut = np.zeros(max(values) + 1, dtype=np.uint16)  # segment number -> label value
    lut[list(values)] = list(values.values())
    for frame, group in zip(frames, seg.PerFrameFunctionalGroupsSequence, strict=True):
        k = round(float(group.PlanePositionSequence[0].ImagePositionPatient[2]) / dz)
        if seg.SegmentationType == "LABELMAP":  # pixels are segment numbers
            rebuilt[k] = lut[frame]
            continue
        number = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        assert not np.any(rebuilt[k][frame > 0]), "segments overlap"
        rebuilt[k][frame > 0] = values[number]
    return rebuilt, names


def test_ct_series_and_segmentation_round_trip_exactly(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    summary = export(cat, "dicom", tmp_path, where="index = 2", progress=False)
    image, label, (dz, dy, dx) = stored(cat, "s000000002")
    assert summary.files == image.shape[0] + 2  # one per slice, the SEG, labels.json

    slices = read_series(tmp_path / "s000000002" / "image")
    assert len(slices) == image.shape[0]
    hu = np.stack([ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept) for ds in slices])
    assert np.array_equal(hu, image)
    first = slices[0]
    assert first.SOPClassUID == CTImageStorage and first.Modality == "CT" and first.RescaleType == "HU"
    assert [float(v) for v in first.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    assert np.allclose([float(v) for v in first.PixelSpacing], [dy, dx]) and float(first.SliceThickness) == dz
    assert np.allclose([float(ds.ImagePositionPatient[2]) for ds in slices], np.arange(len(slices)) * dz)
    assert str(first.PatientName).startswith("SYNTHETIC^") and first.PatientIdentityRemoved == "YES"
    assert "SYNTHETIC" in first.DeidentificationMethod
    assert len({ds.SOPInstanceUID for ds in slices}) == len(slices)
    assert len({(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID) for ds in slices}) == 1
    assert all(UID.match(u) and len(u) <= 64 for u in (first.StudyInstanceUID, first.SOPInstanceUID))

    seg = pydicom.dcmread(tmp_path / "s000000002" / "segmentation.dcm")
    assert seg.SOPClassUID == SegmentationStorage and seg.SegmentationType == "BINARY"
    assert seg.StudyInstanceUID == first.StudyInstanceUID and seg.FrameOfReferenceUID == first.FrameOfReferenceUID
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == first.SeriesInstanceUID
    assert str(seg.PatientName) == str(first.PatientName)
    rebuilt, names = label_map_from_seg(seg, label.shape, dz)
    assert np.array_equal(rebuilt, label)
    by_value = {lb.value: lb.name for lb in cat.info.labels}
    assert names == {int(v): by_value[int(v)] for v in np.unique(label) if v}


def test_labelmap_and_jpeg_ls_round_trip_exactly_under_their_own_uids(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    export(cat, "dicom", tmp_path / "plain", where="index = 4", progress=False)
    export(
        cat,
        "dicom",
        tmp_path / "jls",
        where="index = 4",
        progress=False,
        dicom_options=DicomOptions("labelmap", "jpeg-ls"),
    )
    image, label, (dz, _, _) = stored(cat, "s000000004")
    slices = read_series(tmp_path / "jls" / "s000000004" / "image")
    assert all(ds.file_meta.TransferSyntaxUID == JPEGLSLossless for ds in slices)
    hu = np.stack([ds.pixel_array.astype(np.int32) + int(ds.RescaleIntercept) for ds in slices])
    assert np.array_equal(hu, image)
    plain = read_series(tmp_path / "plain" / "s000000004" / "image")
    # Other bytes, other instances (issue 14): the same study, the same positions, new UIDs.
    assert not {ds.SOPInstanceUID for ds in slices} & {ds.SOPInstanceUID for ds in plain}
    assert [ds.ImagePositionPatient for ds in slices] == [ds.ImagePositionPatient for ds in plain]
    assert slices[0].StudyInstanceUID == plain[0].StudyInstanceUID
    assert sum(len(ds.PixelData) for ds in slices) < 0.7 * sum(len(ds.PixelData) for ds in plain)
    seg = pydicom.dcmread(tmp_path / "jls" / "s000000004" / "segmentation.dcm")
    assert seg.SegmentationType == "LABELMAP" and int(seg.NumberOfFrames) == label.shape[0]
    assert seg.file_meta.TransferSyntaxUID == RLELossless  # DCMTK refuses JPEG-LS for SEG
    rebuilt, names = label_map_from_seg(seg, label.shape, dz)
    assert np.array_equal(rebuilt, label) and len(names) == len(np.unique(label)) - 1


def test_uids_are_stable_across_exports_and_distinct_across_studies(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    export(cat, "dicom", tmp_path / "a", where="index IN (0, 1)", progress=False)
    export(cat, "dicom", tmp_path / "b", where="index = 1", progress=False)
    again = pydicom.dcmread(tmp_path / "b" / "s000000001" / "segmentation.dcm")
    before = pydicom.dcmread(tmp_path / "a" / "s000000001" / "segmentation.dcm")
    other = pydicom.dcmread(tmp_path / "a" / "s000000000" / "segmentation.dcm")
    assert again.SOPInstanceUID == before.SOPInstanceUID and again.StudyInstanceUID == before.StudyInstanceUID
    assert other.StudyInstanceUID != before.StudyInstanceUID
    assert json.loads((tmp_path / "a" / "labels.json").read_text())["labels"] == cat.info.labels.to_json()


def test_mr_series_round_trips(brain_dataset, tmp_path):
    cat = catalog.open(brain_dataset.storage.uri)
    export(cat, "dicom", tmp_path, where="index = 1", progress=False)
    image, label, (dz, _, _) = stored(cat, "s000000001")
    slices = read_series(tmp_path / "s000000001" / "image")
    assert slices[0].SOPClassUID == MRImageStorage and slices[0].Modality == "MR"
    assert np.array_equal(np.stack([ds.pixel_array for ds in slices]), image)
    rebuilt, names = label_map_from_seg(pydicom.dcmread(tmp_path / "s000000001" / "segmentation.dcm"), label.shape, dz)
    assert (np.array_equal(rebuilt, label) and "tumour" not in names) or "tumour" in {lb.name for lb in cat.info.labels}


def test_mr_attributes_are_the_rows_acquisition(body_mr_dataset, tmp_path):
    """Repetition, echo and inversion times, flip angle and field strength are the catalog row's;
    the scanning sequence names the sequence's family, fat saturation and contrast are declared."""
    cat = catalog.open(body_mr_dataset.storage.uri)
    export(cat, "dicom", tmp_path, progress=False)
    rows = cat.query("TRUE", columns=["study_id", *MR_COLUMNS]).to_pylist()
    families = set()
    for row in rows:
        ds = read_series(tmp_path / row["study_id"] / "image")[0]
        name = row["sequence"]
        assert ds.SequenceName == name
        assert float(ds.RepetitionTime) == pytest.approx(row["tr_ms"])
        assert float(ds.EchoTime) == pytest.approx(row["te_ms"])
        assert float(ds.FlipAngle) == pytest.approx(row["flip_deg"])
        assert float(ds.MagneticFieldStrength) == row["field_strength_t"]
        assert ("InversionTime" in ds) == (row["ti_ms"] is not None)
        if row["ti_ms"] is not None:
            assert float(ds.InversionTime) == pytest.approx(row["ti_ms"]) and "IR" in ds.ScanningSequence
        assert (ds.ScanOptions == "FS") == ("_fs" in name)
        assert ("ContrastBolusAgent" in ds) == name.endswith("_gd")
        families.add(tuple(ds.ScanningSequence) if ds["ScanningSequence"].VM > 1 else (ds.ScanningSequence,))
    assert {("SE",), ("GR",), ("SE", "IR")} <= families, families


@pytest.mark.parametrize(
    ("modality", "dtype", "problem"),
    [("CT", "int16", None), ("MR", "uint16", None), ("MR", "float16", "use --format nifti"), ("US", "uint8", "US")],
)
def test_what_dicom_can_hold(modality, dtype, problem):
    found = check_exportable(modality, np.dtype(dtype), "s1")
    assert found is None if problem is None else problem in found
