"""Vocabularies onto the generators' dictionaries: every official class lands on a label, and a
value nobody mapped stops the job with the file and the value named."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from models.anatomy import vocabulary
from models.brain_mr.template import LABELS as BRAIN
from models.errors import GeneratorError, ParamError
from models.labels import maisi_ct_labels
from tests.support.realscan import REAL

MAISI = maisi_ct_labels()
VALUES = {lb.name: lb.value for lb in BRAIN}


def test_every_totalsegmentator_v2_class_has_its_maisi_namesake():
    vocab = vocabulary.load("totalsegmentator", MAISI)
    assert len(vocabulary.TOTALSEGMENTATOR_V2) == 117
    targets = {v: int(vocab.table[v]) for v in vocabulary.TOTALSEGMENTATOR_V2}
    assert all(t > 0 for t in targets.values())
    assert len(set(targets.values())) == 117  # no two classes fall on one label
    names = {lb.value: lb.name for lb in MAISI}
    assert names[targets[5]] == "liver" and names[targets[2]] == "right kidney"
    assert names[targets[92]] == "left rib 1" and names[targets[115]] == "right rib 12"
    assert names[targets[21]] == "bladder" and names[targets[23]] == "left kidney cyst"
    assert names[targets[10]] == "left lung upper lobe" and names[targets[26]] == "vertebrae S1"


def test_totalsegmentator_mr_names_its_classes_and_groups_every_vertebra_as_one():
    from pipeline.evaluate import classes

    name, names, midline = vocabulary.mapping("totalsegmentator_mr")
    assert (name, midline) == ("totalsegmentator_mr", {})
    assert len(names) == 50 and names[2] == "right kidney" and names[23] == "aorta" and names[10] == "left lung"
    groups = classes.resolve(classes.parse("kidney,vertebrae"), MAISI, set(names.values()), name)
    assert groups[0].real == ("left kidney", "right kidney")
    assert groups[1].real == ("vertebrae",) and "vertebrae L1" in groups[1].dataset
    with pytest.raises(ParamError, match="'left lung', which is not a label of"):
        vocabulary.load("totalsegmentator_mr", MAISI)  # no one MAISI label to paint a whole lung with


def test_synthseg_adds_the_training_maps_values_to_freesurfer_by_tissue():
    vocab = vocabulary.load("synthseg", BRAIN)
    names = {lb.value: lb.name for lb in BRAIN}
    by_value = {v: names[int(vocab.table[v])] for v in (507, 511, 515, 516, 506, 512, 136, 163, 25, 2, 42)}
    assert by_value == {
        507: "scalp", 511: "scalp", 515: "skull", 516: "skull", 506: "csf", 512: "brainstem",
        136: "left deep grey matter", 163: "right deep grey matter", 25: "white matter hyperintensity",
        2: "left cerebral white matter", 42: "right cortical grey matter",
    }  # fmt: skip
    assert vocab.midline.keys() == vocabulary.FREESURFER_MIDLINE.keys()  # the corpus callosum still splits
    with pytest.raises(GeneratorError, match="freesurfer does not map"):
        vocabulary.load("freesurfer", BRAIN).apply(np.array([2, 507]), "a SynthSeg map")


@pytest.mark.skipif(not (REAL / "brain_label_maps").is_dir(), reason="no ../shared/data/real (a user's clone)")
def test_synthseg_maps_every_value_of_synthseg_s_own_training_maps():
    vocab = vocabulary.load("synthseg", BRAIN)
    for path in sorted((REAL / "brain_label_maps").glob("*.nii.gz"))[:3]:
        values = np.unique(np.asarray(nib.load(path).dataobj)).astype(np.int64)
        mapped = vocab.apply(values, path.name, x_ras=np.zeros(values.size))
        assert set(mapped.tolist()) >= {VALUES["skull"], VALUES["scalp"], VALUES["csf"]}


def test_freesurfer_aseg_lands_on_brain_labels_and_splits_the_corpus_callosum_by_side():
    vocab = vocabulary.load("freesurfer", BRAIN)
    names = {lb.value: lb.name for lb in BRAIN}
    assert names[int(vocab.table[2])] == "left cerebral white matter"
    assert names[int(vocab.table[42])] == "right cortical grey matter"
    assert names[int(vocab.table[49])] == "right deep grey matter"  # thalamus
    assert names[int(vocab.table[77])] == "white matter hyperintensity"
    values = np.array([251, 251, 3])
    x_ras = np.array([5.0, -5.0, 0.0])  # positive: the patient's right
    out = vocab.apply(values, "aseg.nii.gz", x_ras)
    assert [names[int(v)] for v in out] == [
        "right cerebral white matter",
        "left cerebral white matter",
        "left cortical grey matter",
    ]


def test_a_value_without_mapping_names_the_file_and_the_value():
    vocab = vocabulary.load("maisi", MAISI.subset(["liver", "spleen"], name="two"))
    with pytest.raises(GeneratorError, match=r"params.vocabulary: case7.nii.gz holds the value 6, which maisi"):
        vocab.apply(np.array([0, 1, 3, 6]), "case7.nii.gz")


def test_a_json_vocabulary_maps_names_and_drops_on_purpose(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"1": "liver", "2": "background", "7": "spleen"}))
    vocab = vocabulary.load(str(path), MAISI)
    assert vocab.apply(np.array([0, 1, 2, 7]), "m.nii").tolist() == [0, 1, 0, 3]
    with pytest.raises(GeneratorError, match=r"holds the value 9, which mine.json does not map"):
        vocab.apply(np.array([9]), "m.nii")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"1": "no such organ"}', "maps to 'no such organ', which is not a label"),
        ('{"one": "liver"}', "'one' is not a whole label value"),
        ('{"1": 5}', "must map a value in"),
        ("[1, 2]", "must hold an object"),
        ("{not json", "is not a readable JSON file"),
    ],
)
def test_bad_json_vocabularies_are_refused_by_field(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ParamError, match=message):
        vocabulary.load(str(path), MAISI)


@pytest.mark.parametrize("spec", ["totalseg", "", "x.txt", 3, None])
def test_unknown_vocabularies_are_refused(spec):
    with pytest.raises(ParamError, match=r"params.vocabulary"):
        vocabulary.load(spec, MAISI)  # type: ignore[arg-type]
