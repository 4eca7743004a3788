"""brain_mr on FreeSurfer aseg volumes and on another brain_mr dataset's label maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.base import GeneratorOptions, make_spec
from models.brain_mr.generator import BrainMR
from models.brain_mr.template import VALUE
from pipeline.store.folder import open_folder
from tests.models.anatomy.maskfiles import renamed, write

CPU = torch.device("cpu")
SHAPE = (44, 52, 44)
ASEG = {  # brain_mr label -> FreeSurfer aseg value (FreeSurferColorLUT.txt)
    "left cortical grey matter": 3,
    "right cortical grey matter": 42,
    "left cerebral white matter": 2,
    "right cerebral white matter": 41,
    "left lateral ventricle": 4,
    "right lateral ventricle": 43,
    "left deep grey matter": 10,
    "right deep grey matter": 49,
    "left cerebellum": 8,
    "right cerebellum": 47,
    "brainstem": 16,
    "csf": 24,
}


@pytest.fixture(scope="module")
def asegs(tmp_path_factory):
    template = BrainMR(GeneratorOptions(shape=SHAPE, open_folder=open_folder))
    out = tmp_path_factory.mktemp("aseg")
    study = template.render(make_spec(template, 0, 0), CPU)
    write(out / "sub-01_aseg.nii.gz", renamed(study.label, {VALUE[k]: v for k, v in ASEG.items()}), study.spacing_mm)
    return out, study


def test_aseg_volumes_become_brain_mr_studies(asegs):
    folder, _ = asegs
    params = {"anatomy": "masks", "masks": str(folder), "vocabulary": "freesurfer", "flip_rate": 0.0}
    gen = BrainMR(GeneratorOptions(shape=SHAPE, params=params, open_folder=open_folder))
    spec = make_spec(gen, 1, 0)
    study = gen.render(spec, CPU)
    again = BrainMR(GeneratorOptions(shape=SHAPE, params=params, open_folder=open_folder)).render(spec, CPU)
    assert np.array_equal(study.image, again.image) and np.array_equal(study.label, again.label)
    present = set(np.unique(study.label).tolist())
    assert {VALUE[name] for name in ASEG} <= present
    white = np.median(study.image[study.label == VALUE["left cerebral white matter"]])
    csf = np.median(study.image[study.label == VALUE["csf"]])
    assert white != csf  # the contrast painted on the mask's labels


def test_a_brain_mr_dataset_is_a_source_of_masks(brain_dataset):
    params = {"anatomy": "masks", "masks": brain_dataset.storage.uri, "deformation_mm": 0.0}
    gen = BrainMR(GeneratorOptions(shape=SHAPE, params=params, open_folder=open_folder))
    assert len(gen.masks.masks.files) == 3  # type: ignore[union-attr]
    study = gen.render(make_spec(gen, 2, 0), CPU)
    assert VALUE["left cerebral white matter"] in np.unique(study.label)


def test_nifti_masks_must_say_what_their_values_mean(asegs):
    from models.errors import ParamError

    folder, _ = asegs
    with pytest.raises(ParamError, match=r"params.vocabulary: must say what the values of .* mean"):
        BrainMR(
            GeneratorOptions(shape=SHAPE, params={"anatomy": "masks", "masks": str(folder)}, open_folder=open_folder)
        )
