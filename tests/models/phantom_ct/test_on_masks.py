"""phantom_ct painting a user's label maps: any MAISI class gets a tissue, TotalSegmentator masks
come through, studies are deterministic and regenerate from their row."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from models.base import GeneratorOptions, StudySpec, make_spec
from models.errors import ParamError
from models.labels import maisi_ct_labels
from models.phantom_ct.generator import PhantomCT
from models.phantom_ct.label_tissue import tissue_of
from models.phantom_ct.tissue import TISSUE_INDEX
from pipeline.store.folder import open_folder
from tests.models.anatomy.maskfiles import phantom_label, renamed, write

CPU = torch.device("cpu")
TS = {1: 5, 3: 1, 5: 2, 14: 3, 4: 7, 6: 52, 7: 63, 12: 6}  # MAISI -> TotalSegmentator v2 values


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("ts")
    for index in range(2):
        label, spacing = phantom_label((40, 56, 56), index, body_region="abdomen")
        write(out / f"case{index}.nii.gz", renamed(label, TS), spacing, "RAS" if index else "LPS")
    return out


def generator(folder, **params) -> PhantomCT:
    given = {"anatomy": "masks", "masks": str(folder), "vocabulary": "totalsegmentator", **params}
    return PhantomCT(GeneratorOptions(shape=(40, 56, 56), params=given, open_folder=open_folder))


def test_every_maisi_class_has_a_tissue():
    for lb in maisi_ct_labels():
        assert tissue_of(lb.name) in TISSUE_INDEX, lb.name
    assert tissue_of("vertebrae L3") == "cancellous" and tissue_of("left iliac artery") == "aorta"


def test_studies_on_masks_are_deterministic_pass_qc_and_regenerate_from_their_row(folder):
    gen = generator(folder)
    spec = make_spec(gen, 7, 1)
    assert spec.params["mask"] in ("case0.nii.gz", "case1.nii.gz")
    assert spec.params["mask_identity"].startswith("sha256:") and "pose" in spec.params
    first = gen.render(spec, CPU)
    again = generator(folder).render(StudySpec.from_json(json.loads(json.dumps(spec.to_json()))), CPU)
    assert np.array_equal(first.image, again.image) and np.array_equal(first.label, again.label)
    assert first.qc.passed, first.qc
    present = set(np.unique(first.label).tolist())
    assert {1, 3, 5, 14, 200} <= present  # liver, spleen, kidneys, and the body outline added
    liver = first.image[first.label == 1]
    assert 40 <= np.median(liver) <= 140  # liver HU in any phase
    outside = first.image[first.label == 0]
    assert np.median(outside) < -900  # air around the body


def test_options_of_one_anatomy_are_refused_with_the_other(folder):
    with pytest.raises(ParamError, match=r"params.lesion_rate: shapes the procedural torso"):
        generator(folder, lesion_rate=0.5)
    with pytest.raises(ParamError, match=r"params.masks: is read only with params.anatomy=masks"):
        PhantomCT(GeneratorOptions(params={"masks": str(folder)}, open_folder=open_folder))
    with pytest.raises(ParamError, match=r"params.masks: must name the label maps"):
        PhantomCT(GeneratorOptions(params={"anatomy": "masks"}, open_folder=open_folder))


def test_a_grid_longer_than_the_masks_is_refused_before_any_work(folder):
    with pytest.raises(ParamError, match=r"spacing_mm: 40 slices of 9 mm .* do not fit in case0.nii.gz"):
        PhantomCT(
            GeneratorOptions(
                shape=(40, 56, 56),
                spacing_mm=(9.0, 5.0, 5.0),
                params={"anatomy": "masks", "masks": str(folder), "vocabulary": "totalsegmentator"},
                open_folder=open_folder,
            )
        )
