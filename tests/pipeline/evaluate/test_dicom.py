"""Real scans from DICOM: a series (single-frame slices or one multi-frame image) and its
Segmentation (medsynth's own export, dcmqi's, a FRACTIONAL one from highdicom) read exactly as the
NIfTI export of the same study, either side NIfTI, segment labels named as medsynth names labels;
what is not one scan is one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.sr.codedict import codes

from pipeline import catalog
from pipeline.errors import ConfigError
from pipeline.evaluate import dicom
from pipeline.evaluate.volumes import read_scan
from pipeline.export import DicomOptions, export

TOOLS = Path(sys.executable).parent  # dcmqi installs its binaries in the venv's bin
STUDY = "s000000002"


@pytest.fixture(scope="module")
def exported(built_dataset, tmp_path_factory) -> dict[str, Path]:
    """Study 2 of the CT dataset as NIfTI and as DICOM with a BINARY and a LABELMAP Segmentation,
    and study 3 as DICOM (another grid)."""
    cat = catalog.open(built_dataset.storage.uri)
    made = {}
    for key, fmt, index, options in (
        ("nifti", "nifti", 2, DicomOptions()),
        ("binary", "dicom", 2, DicomOptions("binary", "none")),
        ("labelmap", "dicom", 2, DicomOptions("labelmap", "none")),
        ("other", "dicom", 3, DicomOptions()),
    ):
        made[key] = tmp_path_factory.mktemp(key)
        export(cat, fmt, made[key], where=f"index = {index}", progress=False, dicom_options=options)
    return made


def nifti(exported) -> tuple[str, str]:
    return str(exported["nifti"] / "images" / f"{STUDY}.nii.gz"), str(exported["nifti"] / "labels" / f"{STUDY}.nii.gz")


def by_name(label: np.ndarray, names: dict[int, str]) -> dict[str, int]:
    """Voxels per label name."""
    values, counts = np.unique(label, return_counts=True)
    return {names[int(v)]: int(c) for v, c in zip(values, counts, strict=True) if v}


@pytest.mark.parametrize("kind", ["binary", "labelmap"])
def test_a_series_and_its_segmentation_read_as_the_nifti_export_of_the_same_study(exported, kind):
    study = exported[kind] / STUDY
    scan = dicom.read_scan(str(study / "image"), str(study / "segmentation.dcm"))
    reference = read_scan(*nifti(exported))
    assert scan.modality == "CT" and scan.name == "image"
    assert scan.spacing == pytest.approx(reference.spacing, abs=1e-4)
    assert np.array_equal(scan.image, reference.image)  # HU, the same orientation
    dictionary = {e["value"]: e["name"] for e in json.loads((exported["nifti"] / "labels.json").read_text())["labels"]}
    assert by_name(scan.label, scan.names) == by_name(reference.label, dictionary)
    lut = np.zeros(65536, dtype=np.int32)  # voxel for voxel: each stored value to its segment's number
    for number, name in scan.names.items():
        lut[[v for v, n in dictionary.items() if n == name]] = number
    assert np.array_equal(scan.label, lut[reference.label])


def test_a_multi_frame_image_reads_as_the_slices_it_was_converted_from(exported, tmp_path):
    """A Legacy Converted Enhanced CT Image (highdicom's converter) of the exported slices."""
    study = exported["binary"] / STUDY
    slices = [pydicom.dcmread(f) for f in sorted((study / "image").glob("*.dcm"))]
    (tmp_path / "enhanced").mkdir()
    hd.legacy.LegacyConvertedEnhancedCTImage(
        legacy_datasets=slices,
        series_instance_uid=hd.UID(),
        series_number=5,
        sop_instance_uid=hd.UID(),
        instance_number=1,
    ).save_as(tmp_path / "enhanced" / "ct.dcm")
    enhanced = dicom.read_scan(str(tmp_path / "enhanced"), str(study / "segmentation.dcm"))
    single = dicom.read_scan(str(study / "image"), str(study / "segmentation.dcm"))
    assert np.array_equal(enhanced.image, single.image) and np.array_equal(enhanced.label, single.label)
    assert enhanced.spacing == pytest.approx(single.spacing) and enhanced.modality == "CT"


def test_either_side_may_be_nifti(exported):
    study = exported["binary"] / STUDY
    image, labels = nifti(exported)
    both = dicom.read_scan(str(study / "image"), str(study / "segmentation.dcm"))
    series_and_nifti = dicom.read_scan(str(study / "image"), labels)
    nifti_and_seg = dicom.read_scan(image, str(study / "segmentation.dcm"))
    assert np.array_equal(series_and_nifti.label, read_scan(image, labels).label) and series_and_nifti.names is None
    assert np.array_equal(nifti_and_seg.label, both.label) and nifti_and_seg.names == both.names
    assert np.array_equal(nifti_and_seg.image, both.image) and nifti_and_seg.modality is None


def test_a_segmentation_written_by_dcmqi_is_read_by_its_segment_labels(exported, tmp_path):
    """itkimage2segimage (3D Slicer's DICOM SEG writer) from a NIfTI of two labels."""
    image, labels = nifti(exported)
    source = nib.load(labels)
    names = {e["name"]: e["value"] for e in json.loads((exported["nifti"] / "labels.json").read_text())["labels"]}
    stored = np.asarray(source.dataobj)
    two = np.zeros(stored.shape, dtype=np.uint8)
    two[stored == names["liver"]], two[stored == names["right kidney"]] = 1, 2
    assert (two == 1).any() and (two == 2).any()
    nib.save(nib.Nifti1Image(two, source.affine), tmp_path / "two.nii.gz")

    def segment(number: int, label: str, code: str, meaning: str) -> dict:
        coded = {"CodingSchemeDesignator": "SCT", "CodeValue": code, "CodeMeaning": meaning}
        category = {"CodingSchemeDesignator": "SCT", "CodeValue": "123037004", "CodeMeaning": "Anatomical Structure"}
        return {"labelID": number, "SegmentLabel": label, "SegmentDescription": label, "SegmentAlgorithmType": "MANUAL",
                "SegmentedPropertyCategoryCodeSequence": category, "SegmentedPropertyTypeCodeSequence": coded,
                "recommendedDisplayRGBValue": [200, 100, 50]}  # fmt: skip

    meta = {
        "ContentCreatorName": "Reader1",
        "ClinicalTrialSeriesID": "1",
        "ClinicalTrialTimePointID": "1",
        "SeriesDescription": "Segmentation",
        "SeriesNumber": "300",
        "InstanceNumber": "1",
        "segmentAttributes": [
            [segment(1, "Liver", "10200004", "Liver"), segment(2, "Kidney_Right", "9846003", "Right kidney")]
        ],
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    series = exported["binary"] / STUDY / "image"
    command = [TOOLS / "itkimage2segimage", "--inputImageList", tmp_path / "two.nii.gz", "--inputDICOMDirectory",
               series, "--inputMetadata", tmp_path / "meta.json", "--outputDICOM", tmp_path / "seg.dcm"]  # fmt: skip
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    scan = dicom.read_scan(str(series), str(tmp_path / "seg.dcm"))
    assert scan.names == {1: "liver", 2: "right kidney"}
    assert np.array_equal(scan.label, read_scan(image, str(tmp_path / "two.nii.gz")).label)


def test_a_fractional_segment_counts_where_it_holds_at_least_half_a_voxel(exported, tmp_path):
    series = sorted((exported["binary"] / STUDY / "image").glob("*.dcm"))
    sources = [pydicom.dcmread(f) for f in series]
    frames, rows, columns = len(sources), int(sources[0].Rows), int(sources[0].Columns)
    share = np.zeros((frames, rows, columns, 2), dtype=np.float32)
    share[2:5, 10:20, 10:20, 0] = 0.75  # segment 1: counts
    share[2:5, 30:40, 30:40, 1] = 0.25  # segment 2: too little anywhere
    share[6, 10:20, 10:20, 0], share[6, 10:20, 10:20, 1] = 0.5, 0.6  # both at least half: the larger
    described = [
        hd.seg.SegmentDescription(
            segment_number=k,
            segment_label=label,
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=code,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for k, label, code in ((1, "Spleen", codes.SCT.Spleen), (2, "Liver", codes.SCT.Liver))
    ]
    ordered = sorted(sources, key=lambda ds: float(ds.ImagePositionPatient[2]))
    by_uid = {ds.SOPInstanceUID: k for k, ds in enumerate(sources)}
    seg = hd.seg.Segmentation(
        source_images=ordered,
        pixel_array=share[[by_uid[ds.SOPInstanceUID] for ds in ordered]],
        segmentation_type=hd.seg.SegmentationTypeValues.FRACTIONAL,
        segment_descriptions=described,
        series_instance_uid=hd.UID(),
        series_number=9,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="test",
        manufacturer_model_name="test",
        software_versions="1",
        device_serial_number="1",
    )
    seg.save_as(tmp_path / "fractional.dcm")
    scan = dicom.read_scan(str(exported["binary"] / STUDY / "image"), str(tmp_path / "fractional.dcm"))
    assert scan.names == {1: "spleen", 2: "liver"}
    counts = by_name(scan.label, scan.names)
    assert counts == {"spleen": 3 * 100, "liver": 100}


@pytest.mark.parametrize(
    "label, name",
    [
        ("Liver", "liver"),
        ("Right Kidney", "right kidney"),
        ("kidney_right", "right kidney"),
        ("Vertebrae_L1", "vertebrae L1"),
        ("vertebrae l1", "vertebrae L1"),
        ("urinary_bladder", "bladder"),
        ("  left  rib 3 ", "left rib 3"),
    ],
)
def test_segment_labels_are_named_as_medsynth_names_labels(label, name):
    assert dicom.segment_name(label) == name


def test_scans_numbering_their_segments_differently_share_one_list_of_names(exported):
    study = exported["binary"] / STUDY
    one = dicom.read_scan(str(study / "image"), str(study / "segmentation.dcm"))
    flipped = {number: name for number, name in zip(one.names, reversed(one.names.values()), strict=True)}
    other = type(one)("other", one.image, one.label, one.spacing, flipped, "CT")
    (a, b), names = dicom.shared_names([one, other], ("one.dcm", "other.dcm"))
    assert sorted(names.values()) == sorted(one.names.values()) and list(names) == list(range(1, len(names) + 1))
    assert by_name(a.label, names) == by_name(one.label, one.names)
    assert by_name(b.label, names) == by_name(other.label, flipped)


def test_what_is_not_one_scan_and_its_segmentation_is_one_line(exported, tmp_path):
    study, other = exported["binary"] / STUDY, exported["other"] / "s000000003"
    seg = str(study / "segmentation.dcm")
    mixed = tmp_path / "mixed"
    shutil.copytree(study / "image", mixed)
    for f in (other / "image").glob("*.dcm"):
        shutil.copy(f, mixed / f"other-{f.name}")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not DICOM")
    a_slice = str(next((study / "image").glob("*.dcm")))
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4, 2), np.uint8), np.eye(4)), tmp_path / "frames.nii.gz")
    cases = [
        (str(mixed), seg, "--real: ", "holds 2 series"),
        (str(tmp_path / "empty"), seg, "--real: ", "holds no CT or MR image series"),
        (str(study / "image"), a_slice, "--labels: ", "is not a DICOM Segmentation"),
        (str(other / "image"), seg, "--labels: ", "is not on the grid of"),
        (str(study / "image"), str(tmp_path / "absent.dcm"), "--labels: ", "is not a file"),
        (str(study / "image"), str(tmp_path / "frames.nii.gz"), "--labels: ", "must be one 3-D volume"),
    ]
    for image, labels, option, says in cases:
        with pytest.raises(ConfigError) as found:
            dicom.read_scan(image, labels)
        assert str(found.value).startswith(option) and says in str(found.value) and "\n" not in str(found.value)
    nifti_scan = read_scan(*nifti(exported))
    with pytest.raises(ConfigError, match=r"^--vocabulary: seg names labels by a DICOM Segmentation's segments"):
        dicom.shared_names([nifti_scan], ("seg.nii.gz",))


def test_is_dicom_tells_a_series_or_a_dicom_file_from_nifti(exported):
    study = exported["binary"] / STUDY
    assert dicom.is_dicom(str(study / "image")) and dicom.is_dicom(str(study / "segmentation.dcm"))
    assert not any(dicom.is_dicom(p) for p in nifti(exported))
    assert not dicom.is_dicom(str(study / "absent"))
