"""maisi_ct conditioned on any user mask, resampled onto a MAISI grid (tiny network, CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models import GeneratorOptions, ParamError, make_spec
from models.registry import create
from pipeline.store.folder import open_folder
from tests.models.anatomy.maskfiles import phantom_label, write

CPU = torch.device("cpu")
SHAPE = (32, 256, 256)
FAST = {"network": "tiny", "num_inference_steps": 2, "max_redraws": 0}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A mask at no MAISI size or spacing: 40 x 56 x 56 at about 7 mm."""
    out = tmp_path_factory.mktemp("any-size")
    label, spacing = phantom_label((40, 56, 56), body_region="abdomen")
    write(out / "small.nii.gz", label, spacing, "RAS")
    return out, label


def test_any_mask_is_resampled_onto_the_maisi_grid_and_conditions_the_image(folder):
    path, _ = folder
    params = {**FAST, "anatomy": "masks", "masks": str(path)}
    g = create("maisi_ct", GeneratorOptions(shape=SHAPE, params=params, open_folder=open_folder))
    spec = make_spec(g, 0, 0)
    assert spec.params["label_source"] == "anatomy" and spec.params["mask_file"] == "small.nii.gz"
    study = g.render(spec, CPU)
    assert study.label.shape == SHAPE and study.image.shape == SHAPE
    dz, dy, dx = study.spacing_mm
    assert 0.5 <= dx == dy <= 3.0 and 0.5 <= dz <= 5.0  # within MAISI's spacings
    kept = set(np.unique(study.label).tolist())
    assert {1, 3, 5, 14} <= kept and 200 in kept  # liver, spleen, kidneys, the body
    assert (study.image[study.label == 0] == -1000).all()
    again = create("maisi_ct", GeneratorOptions(shape=SHAPE, params=params, open_folder=open_folder)).render(spec, CPU)
    assert np.array_equal(again.image, study.image) and np.array_equal(again.label, study.label)


def test_the_two_mask_routes_are_exclusive(folder):
    path, _ = folder
    with pytest.raises(ParamError, match=r"params.anatomy: masks \(resampled\) and label_source=masks"):
        both = {**FAST, "anatomy": "masks", "masks": str(path), "label_source": "masks", "masks_dir": str(path)}
        create("maisi_ct", GeneratorOptions(params=both, open_folder=open_folder))
    with pytest.raises(ParamError, match=r"params.masks: is read only with params.anatomy=masks"):
        create("maisi_ct", GeneratorOptions(shape=SHAPE, params={**FAST, "masks": str(path)}, open_folder=open_folder))
