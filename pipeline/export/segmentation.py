"""The label map as a DICOM Segmentation (highdicom) that references the exported image series.

One segment per label present in the study, numbered 1..n in label-value order, each with the
label's name as Segment Label, its dictionary colour as the recommended display colour, and a
coded type: SNOMED CT "Anatomical structure" or "Morphologically abnormal structure" (tumours,
lesions, cysts) as category, and the label itself in the private coding scheme 99MEDSYNTH (code
value = the label's value in `labels.json`).

Two encodings: BINARY (the default: one bit-packed frame per segment and slice it touches, empty
frames left out; every DICOM viewer reads it) and LABELMAP (DICOM 2024: one frame per slice whose
pixels are segment numbers; several times smaller and faster to write when a study has dozens
of labels, read by newer viewers only).
"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
from highdicom.coding_schemes import CodingSchemeIdentificationItem
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from models import LabelDict
from pipeline.export.dicom import IDENTITY_NOTE, MANUFACTURER, StudyIdentity
from pipeline.export.volume import ExportStudy

CODING_SCHEME = "99MEDSYNTH"
ABNORMAL = ("tumor", "tumour", "lesion", "cyst", "nodule")
TYPES = {"binary": hd.seg.SegmentationTypeValues.BINARY, "labelmap": hd.seg.SegmentationTypeValues.LABELMAP}
# The SEG's transfer syntax per `--compression`. DCMTK (dcmqi, 3D Slicer) refuses JPEG-LS for
# Segmentation objects ("uses lossy compression, not supported"), but reads RLE Lossless, so a
# compressed LABELMAP is RLE; BINARY frames stay bit-packed (highdicom compresses only FRACTIONAL
# and LABELMAP frames, and one bit per pixel is compact already).
SEG_TRANSFER_SYNTAXES = {"none": ExplicitVRLittleEndian, "jpeg-ls": RLELossless}


def segmentation(
    study: ExportStudy,
    labels: LabelDict,
    source: list[Dataset],
    identity: StudyIdentity,
    kind: str = "binary",
    compression: str = "none",
) -> Dataset:
    """The SEG of `study`. JPEG-LS applies to LABELMAP frames; BINARY frames stay bit-packed (one
    bit per pixel already, and highdicom compresses only FRACTIONAL and LABELMAP frames)."""
    present = [int(v) for v in np.unique(study.label) if v != 0]
    by_value = labels.by_value()
    unknown = [v for v in present if v not in by_value]
    if unknown:
        raise ValueError(f"study {study.study_id}: label values {unknown} are not in the dictionary")
    variant = f"{kind}/{compression}"  # another encoding is another object: other UIDs (the same one: the same)
    numbers = np.zeros(int(study.label.max()) + 1, dtype=np.uint16)
    numbers[present] = np.arange(1, len(present) + 1)
    algorithm = hd.AlgorithmIdentificationSequence(
        name=f"medsynth {study.row['generator']}",
        version=str(study.row["generator_version"]),
        family=codes.cid7162.ArtificialIntelligence,
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=by_value[value].name,
            segmented_property_category=_category(by_value[value].name),
            segmented_property_type=Code(str(value), CODING_SCHEME, by_value[value].name),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
            tracking_uid=identity.uid(f"segment/{value}"),
            tracking_id=by_value[value].name,
            display_color=hd.color.CIELabColor.from_rgb(*by_value[value].color[:3]),
        )
        for number, value in enumerate(present, start=1)
    ]
    seg = hd.seg.Segmentation(
        source_images=source,
        pixel_array=numbers[study.label],
        segmentation_type=TYPES[kind],
        transfer_syntax_uid=SEG_TRANSFER_SYNTAXES[compression] if kind == "labelmap" else ExplicitVRLittleEndian,
        segment_descriptions=descriptions,
        series_instance_uid=identity.uid(f"segmentation-series/{variant}"),
        series_number=2,
        sop_instance_uid=identity.uid(f"segmentation/{variant}"),
        # Type 2 in Content Identification (DCMTK warns when absent); a one-component person name
        content_creator_name=f"{MANUFACTURER}^",
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=str(study.row["generator"]),
        software_versions=str(study.row["generator_version"]),
        device_serial_number="0",
        content_label="LABELS",
        content_description=f"medsynth {labels.name} label map",
        series_description=f"medsynth {labels.name} labels",
        coding_schemes=[CodingSchemeIdentificationItem(CODING_SCHEME, name="medsynth label dictionary")],
    )
    seg.PatientIdentityRemoved = "YES"
    seg.DeidentificationMethod = IDENTITY_NOTE
    _pin(seg, identity, variant)
    return seg


def _pin(seg: Dataset, identity: StudyIdentity, variant: str) -> None:
    """What highdicom stamps from the clock or a random source, fixed from the study instead, so a
    re-export with the same options is byte-identical."""
    organization = identity.uid(f"dimension-organization/{variant}")
    for item in seg.DimensionOrganizationSequence:
        item.DimensionOrganizationUID = organization
    for item in seg.DimensionIndexSequence:
        item.DimensionOrganizationUID = organization
    seg.SeriesDate = seg.ContentDate = seg.InstanceCreationDate = identity.date
    seg.SeriesTime = seg.ContentTime = seg.InstanceCreationTime = identity.time
    for item in seg.get("ContributingEquipmentSequence", []):  # highdicom records itself with "now"
        if "ContributionDateTime" in item:
            item.ContributionDateTime = identity.date + identity.time


def write(seg: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(path, enforce_file_format=True)
    return path


def _category(name: str) -> Code:
    if any(word in name.lower() for word in ABNORMAL):
        return codes.SCT.MorphologicallyAbnormalStructure
    return codes.SCT.AnatomicalStructure
