"""The label map as a DICOM Segmentation: one segment per label present, numbered in value order,
named and coded by the dictionary, abnormal structures so categorised; unknown values refused."""

import dataclasses

import numpy as np
import pytest
from pydicom.sr.codedict import codes

from pipeline import catalog
from pipeline.export import dicom
from pipeline.export.segmentation import CODING_SCHEME, segmentation
from pipeline.export.volume import ROW_COLUMNS, read


@pytest.fixture(scope="module")
def study(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    row = cat.query("index = 0", columns=list(ROW_COLUMNS)).to_pylist()[0]
    return cat, read(cat.store, row)


def test_segments_follow_the_label_values_present(study):
    cat, s = study
    identity = dicom.StudyIdentity(s, cat.info.config_hash)
    seg = segmentation(s, cat.info.labels, dicom.image_series(s, identity), identity)
    present = [int(v) for v in np.unique(s.label) if v]
    by_value = cat.info.labels.by_value()
    items = list(seg.SegmentSequence)
    assert [int(i.SegmentNumber) for i in items] == list(range(1, len(present) + 1))
    assert [str(i.SegmentLabel) for i in items] == [by_value[v].name for v in present]
    types = [i.SegmentedPropertyTypeCodeSequence[0] for i in items]
    assert [(c.CodingSchemeDesignator, int(c.CodeValue)) for c in types] == [(CODING_SCHEME, v) for v in present]
    categories = {str(i.SegmentLabel): i.SegmentedPropertyCategoryCodeSequence[0].CodeValue for i in items}
    assert categories["liver"] == codes.SCT.AnatomicalStructure.value
    assert seg.SegmentationType == "BINARY" and seg.PatientIdentityRemoved == "YES"


def test_a_tumour_is_a_morphologically_abnormal_structure(series_dataset):
    cat = catalog.open(series_dataset.storage.uri)
    row = cat.query("index = 0", columns=[*ROW_COLUMNS, "series"]).to_pylist()[0]
    s = read(cat.store, row).views()[0]
    identity = dicom.StudyIdentity(s, cat.info.config_hash)
    seg = segmentation(s, cat.info.labels, dicom.image_series(s, identity), identity, kind="labelmap")
    categories = {
        str(i.SegmentLabel): i.SegmentedPropertyCategoryCodeSequence[0].CodeValue for i in seg.SegmentSequence
    }
    assert categories["hepatic tumor"] == codes.SCT.MorphologicallyAbnormalStructure.value
    assert seg.SegmentationType == "LABELMAP"


def test_a_value_outside_the_dictionary_is_refused(study):
    cat, s = study
    label = s.label.copy()
    label[0, 0, 0] = 250
    odd = dataclasses.replace(s, label=label)
    identity = dicom.StudyIdentity(odd, cat.info.config_hash)
    with pytest.raises(ValueError, match=rf"study {s.study_id}: label values \[250\] are not in the dictionary"):
        segmentation(odd, cat.info.labels, dicom.image_series(odd, identity), identity)
