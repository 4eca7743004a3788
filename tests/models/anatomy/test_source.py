"""A generator's masks as anatomy: the parameters it refuses without masks, a vocabulary it must be
told for NIfTI, weights that must match the masks, a grid that must fit every mask in z, and draws
that replay from the stream."""

import numpy as np
import pytest

from models.anatomy.source import PARAMS, MaskAnatomy, refuse_mask_options
from models.errors import ParamError
from models.labels import maisi_ct_labels
from models.options import parse_params
from pipeline.store.folder import open_folder
from tests.models.anatomy.maskfiles import phantom_label, write

MAISI = maisi_ct_labels()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("masks")
    label, spacing = phantom_label((40, 48, 48), body_region="abdomen")
    write(root / "a.nii.gz", label, spacing)
    write(root / "b.nii.gz", label, spacing, orientation="RAS")
    return root, label.shape, spacing


def params(**given):
    return parse_params(PARAMS, given)


def test_mask_options_without_masks_are_refused_unless_the_generator_owns_them():
    refuse_mask_options({"flip_rate": 0.5}, own=("flip_rate",))
    with pytest.raises(ParamError, match=r"^generator\.params\.rotation_deg: is read only with params\.anatomy=masks"):
        refuse_mask_options({"rotation_deg": 5.0})


def test_what_a_set_of_masks_must_say(folder):
    root, _, _ = folder
    with pytest.raises(ParamError, match=r"^generator\.params\.masks: must name the label maps"):
        MaskAnatomy(params(), MAISI, None, open_folder)
    with pytest.raises(ParamError, match=r"^generator\.params\.masks: label maps are read through the factory's store"):
        MaskAnatomy(params(masks=str(root), vocabulary="maisi"), MAISI, None, None)  # no opener: models read nothing
    with pytest.raises(ParamError, match=r"^generator\.params\.vocabulary: must say what the values"):
        MaskAnatomy(params(masks=str(root)), MAISI, None, open_folder)
    with pytest.raises(ParamError, match=r"^generator\.params\.mask_weights: has 3 weights for 2 masks"):
        MaskAnatomy(params(masks=str(root), vocabulary="maisi", mask_weights=[1, 1, 1]), MAISI, None, open_folder)
    with pytest.raises(ParamError, match=r"^generator\.params\.masks_body_region: filters MAISI's mask database"):
        MaskAnatomy(
            params(masks=str(root), vocabulary="maisi", masks_body_region=["abdomen"]), MAISI, None, open_folder
        )


def test_a_grid_must_fit_in_every_mask_in_z_and_the_fitted_spacing_covers_it(folder):
    root, shape, spacing = folder
    anatomy = MaskAnatomy(params(masks=str(root)), MAISI, "maisi", open_folder)
    extent = shape[0] * spacing[0]
    anatomy.check_grid((40, 64, 64), (extent / 40, 1.0, 1.0))
    anatomy.check_grid((40, 64, 64), None)  # spacing fitted per mask: always fits
    with pytest.raises(ParamError, match=r"^generator\.spacing_mm: 40 slices of .* do not fit in a\.nii\.gz"):
        anatomy.check_grid((40, 64, 64), (extent / 40 * 1.1, 1.0, 1.0))
    mask = anatomy.masks.files[0]
    fitted = anatomy.fitted_spacing(mask, (20, 32, 32))
    assert fitted[0] == round(extent / 20, 4) and fitted[1] == fitted[2]


def test_draws_replay_and_weights_steer_them(folder):
    root, _, _ = folder
    anatomy = MaskAnatomy(params(masks=str(root)), MAISI, "maisi", open_folder)
    a = anatomy.sample(np.random.default_rng(3))
    b = anatomy.sample(np.random.default_rng(3))
    assert a[1] == b[1] and set(a[1]) == {"mask", "mask_identity", "pose"}
    only_b = MaskAnatomy(params(masks=str(root), mask_weights=[0, 1]), MAISI, "maisi", open_folder)
    assert {only_b.sample(np.random.default_rng(k))[1]["mask"] for k in range(10)} == {"b.nii.gz"}
    label = anatomy.label_map(a[1], (20, 32, 32), (4.0, 4.0, 4.0), np.random.default_rng(0))
    assert label.shape == (20, 32, 32) and (label == MAISI.value("liver")).any()
