"""Placing a mask on a grid: exact where nothing needs resampling, volumes kept at equal or finer
spacing, no structure lost at coarser spacing, poses deterministic, mirrors that keep sides right."""

from __future__ import annotations

import numpy as np
import pytest

from models.anatomy.masks import Mask
from models.anatomy.place import KEEP_VOXELS, Pose, place, sample_pose
from models.labels import maisi_ct_labels
from pipeline.store.folder import open_folder
from tests.models.anatomy.maskfiles import phantom_label

MAISI = maisi_ct_labels()
VALUE = {lb.name: lb.value for lb in MAISI}


@pytest.fixture(scope="module")
def torso() -> Mask:
    label, spacing = phantom_label((64, 96, 96), body_region="abdomen")
    return Mask("torso", label, spacing, np.bincount(label.ravel(), minlength=256))


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def centroid_x(label: np.ndarray, name: str) -> float:
    return float(np.argwhere(label == VALUE[name])[:, 2].mean())


def test_an_identity_pose_at_the_masks_own_grid_copies_it_exactly(torso):
    out = place(torso, torso.label.shape, torso.spacing_zyx, Pose.identity(), MAISI, rng())
    assert np.array_equal(out, torso.label)


def test_a_larger_grid_pads_with_background_around_the_tissue(torso):
    nz, ny, nx = torso.label.shape
    out = place(torso, (nz, ny + 20, nx + 20), torso.spacing_zyx, Pose.identity(), MAISI, rng())
    assert np.array_equal(np.bincount(out.ravel(), minlength=256)[1:], torso.counts[1:])
    assert not out[:, :5].any() and not out[:, :, :5].any()


@pytest.mark.parametrize("finer", [1.3, 1.6, 2.0])
def test_finer_grids_keep_each_labels_volume_within_5_percent(torso, finer):
    """Labels of 1,000 voxels or more; thinner ones (a rib one or two voxels thick) can be off by
    up to 30 % at a ratio that is not whole (measured; see docs/masks.md)."""
    spacing = tuple(s / finer for s in torso.spacing_zyx)
    shape = tuple(round(n * finer) for n in torso.label.shape)
    out = place(torso, shape, spacing, Pose.identity(), MAISI, rng())  # type: ignore[arg-type]
    ratio = np.prod(spacing) / np.prod(torso.spacing_zyx)
    counts = np.bincount(out.ravel(), minlength=256)
    for value in np.flatnonzero(torso.counts[1:] >= 1000) + 1:
        assert counts[value] * ratio == pytest.approx(torso.counts[value], rel=0.05), value


def test_coarser_grids_lose_no_structure_of_100_voxels(torso):
    spacing = tuple(s * 3 for s in torso.spacing_zyx)
    shape = tuple(max(n // 3, 8) for n in torso.label.shape)
    out = place(torso, shape, spacing, Pose.identity(), MAISI, rng())  # type: ignore[arg-type]
    kept = set(np.unique(out).tolist())
    assert {int(v) for v in np.flatnonzero(torso.counts >= KEEP_VOXELS)} - {0} <= kept


def test_poses_are_deterministic_and_deform(torso):
    pose = sample_pose(rng(3), 10.0, 0.1, 0.01, 3.0, 0.0, 4.0)
    assert pose == sample_pose(rng(3), 10.0, 0.1, 0.01, 3.0, 0.0, 4.0)
    assert Pose.from_json(pose.to_json()) == pose
    a = place(torso, torso.label.shape, torso.spacing_zyx, pose, MAISI, rng(5))
    b = place(torso, torso.label.shape, torso.spacing_zyx, pose, MAISI, rng(5))
    assert np.array_equal(a, b) and not np.array_equal(a, torso.label)
    assert (a > 0).mean() == pytest.approx((torso.label > 0).mean(), rel=0.35)


def test_a_mirror_swaps_sides_so_each_sided_label_stays_on_its_side(torso):
    mirrored = Pose((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, True)
    out = place(torso, torso.label.shape, torso.spacing_zyx, mirrored, MAISI, rng())
    middle = (torso.label.shape[2] - 1) / 2
    for name in ("right kidney", "right iliopsoas"):  # x grows to the patient's left (LPS)
        assert centroid_x(torso.label, name) < middle and centroid_x(out, name) < middle
    for name in ("left kidney", "left iliopsoas"):
        assert centroid_x(torso.label, name) > middle and centroid_x(out, name) > middle
    assert centroid_x(out, "liver") > middle  # an unsided organ is mirrored: why CT's flip_rate is 0


@pytest.mark.parametrize(("step", "spacing"), [((1, 1, 1), (1.0, 1.0, 1.0)), ((3, 3, 3), (3.0, 3.0, 3.0)),
                                               ((5, 1, 1), (5.0, 1.0, 1.0))])  # fmt: skip
def test_one_anatomy_at_1mm_3mm_or_5mm_slices_lands_on_a_grid_alike(tmp_path, step, spacing):
    """The same anatomy written at 1 mm, 3 mm and with 5 mm slices (RAS files), read back and
    placed on one 2 mm grid: the liver's volume agrees within 5 % and stays on the patient's right."""
    from models.anatomy import vocabulary
    from models.anatomy.masks import MaskSet
    from tests.models.anatomy.maskfiles import write

    label, _ = phantom_label((90, 96, 96), body_region="abdomen")  # taken as 1 mm voxels
    coarse = label[:: step[0], :: step[1], :: step[2]]
    write(tmp_path / "m.nii.gz", coarse, spacing, "RAS")
    masks = MaskSet(str(tmp_path), open_folder=open_folder)
    mask = masks.load("m.nii.gz", masks.files[0].identity, vocabulary.identity(MAISI))
    out = place(mask, (45, 48, 48), (2.0, 2.0, 2.0), Pose.identity(), MAISI, rng())
    liver_ml = (out == VALUE["liver"]).sum() * 8 / 1000
    assert liver_ml == pytest.approx((label == VALUE["liver"]).sum() / 1000, rel=0.05)
    assert centroid_x(out, "liver") < (48 - 1) / 2
