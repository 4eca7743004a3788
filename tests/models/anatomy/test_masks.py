"""Mask sets: NIfTI in either orientation read into the dataset frame, a medsynth dataset's label
maps, S3, and every bad file refused by name before any work."""

from __future__ import annotations

import gzip
import json
import shutil

import nibabel as nib
import numpy as np
import pytest
import s3fs

from models.anatomy import vocabulary
from models.anatomy.masks import MaskSet
from models.errors import GeneratorError, ParamError
from models.labels import maisi_ct_labels
from pipeline import catalog
from pipeline.store.folder import open_folder
from pipeline.store.omezarr import read_arrays
from tests.models.anatomy.maskfiles import phantom_label, renamed, write

MAISI = maisi_ct_labels()
IDENTITY = vocabulary.identity(MAISI)
LIVER = 1


@pytest.fixture(scope="module")
def torso():
    return phantom_label((48, 64, 64), body_region="abdomen")


def load(folder, name: str, vocab=IDENTITY):
    masks = MaskSet(str(folder), open_folder=open_folder)
    return masks.load(name, masks.file(name).identity, vocab)


def test_either_orientation_reads_back_as_the_same_lps_map_with_the_liver_on_the_right(tmp_path, torso):
    label, spacing = torso
    write(tmp_path / "lps.nii.gz", label, spacing, "LPS")
    write(tmp_path / "sub" / "ras.nii", label, spacing, "RAS", dtype=np.int16)
    masks = MaskSet(str(tmp_path), open_folder=open_folder)
    assert [f.name for f in masks.files] == ["lps.nii.gz", "sub/ras.nii"]
    assert all(f.shape_zyx == label.shape and f.spacing_zyx == pytest.approx(spacing, abs=1e-4) for f in masks.files)
    for name in ("lps.nii.gz", "sub/ras.nii"):
        got = load(tmp_path, name)
        assert np.array_equal(got.label, label), name
        liver_x = np.argwhere(got.label == LIVER)[:, 2].mean()
        assert liver_x < (label.shape[2] - 1) / 2  # x grows to the patient's left: the liver is right


def test_totalsegmentator_values_are_mapped_to_maisi(tmp_path, torso):
    label, spacing = torso
    to_ts = {1: 5, 3: 1, 5: 2, 14: 3}  # liver, spleen, right and left kidney in TotalSegmentator v2
    write(tmp_path / "ts.nii.gz", renamed(label, to_ts), spacing)
    got = load(tmp_path, "ts.nii.gz", vocabulary.load("totalsegmentator", MAISI))
    assert np.array_equal(got.label, renamed(label, {v: v for v in to_ts}))


def test_a_medsynth_dataset_gives_its_stored_label_maps(built_dataset):
    masks = MaskSet(built_dataset.storage.uri, open_folder=open_folder)
    cat = catalog.open(built_dataset.storage.uri)
    assert len(masks.files) == len(cat)
    first = masks.files[0]
    got = masks.load(first.name, first.identity, vocabulary.identity(cat.info.labels))
    _, stored = read_arrays(cat.store.zarr_store(first.name))
    assert np.array_equal(got.label, stored) and got.spacing_zyx == pytest.approx(first.spacing_zyx)


def test_only_a_datasets_committed_studies_are_masks(built_dataset, tmp_path):
    """Issue 28: the groups of a shard that never committed (its part gone) used to be read too."""
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root)
    (root / "catalog" / "part-000001.parquet").unlink()
    names = [m.name for m in MaskSet(str(root), open_folder=open_folder).files]
    assert len(names) == 6 and not any(n.startswith("studies/000001/") for n in names)
    assert (root / "studies" / "000001").is_dir()  # the uncommitted groups are still there


def test_masks_on_s3_are_listed_read_and_identified_by_etag(tmp_path, torso, s3):
    label, spacing = torso
    write(tmp_path / "a.nii.gz", label, spacing)
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
    fs.put(str(tmp_path / "a.nii.gz"), f"{s3.bucket}/masks/a.nii.gz")
    masks = MaskSet(f"s3://{s3.bucket}/masks", {"endpoint_url": s3.endpoint}, open_folder=open_folder)
    (found,) = masks.files
    assert found.identity.startswith("etag:")
    assert np.array_equal(masks.load("a.nii.gz", found.identity, IDENTITY).label, label)


def test_a_changed_file_is_refused_rather_than_used(tmp_path, torso):
    label, spacing = torso
    path = write(tmp_path / "a.nii.gz", label, spacing)
    masks = MaskSet(str(tmp_path), open_folder=open_folder)
    identity = masks.files[0].identity
    write(path, np.roll(label, 1, axis=2), spacing)
    with pytest.raises(GeneratorError, match=r"params.masks: a.nii.gz changed since the study was planned"):
        masks.load("a.nii.gz", identity, IDENTITY)


def test_unmapped_values_and_fractions_are_errors_naming_the_file(tmp_path, torso):
    label, spacing = torso
    write(tmp_path / "odd.nii.gz", renamed(label, {1: 250}), spacing)  # 250: no MAISI label
    with pytest.raises(GeneratorError, match=r"odd.nii.gz holds the value 250"):
        load(tmp_path, "odd.nii.gz")
    write(tmp_path / "half.nii.gz", label.astype(np.float32) + 0.5, spacing, dtype=np.float32)
    with pytest.raises(GeneratorError, match=r"half.nii.gz holds values that are not whole numbers"):
        load(tmp_path, "half.nii.gz")


def test_bad_folders_and_files_are_refused_when_the_set_is_built(tmp_path):
    with pytest.raises(ParamError, match=r"holds no label maps"):
        MaskSet(str(tmp_path), open_folder=open_folder)
    with pytest.raises(ParamError, match=r"is not a folder"):
        MaskSet(str(tmp_path / "nowhere"), open_folder=open_folder)
    (tmp_path / "broken.nii.gz").write_bytes(gzip.compress(b"not a nifti header at all"))
    with pytest.raises(ParamError, match=r"broken.nii.gz is not a readable NIfTI file"):
        MaskSet(str(tmp_path), open_folder=open_folder)
    (tmp_path / "broken.nii.gz").unlink()
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4, 2), np.uint8), np.eye(4)), tmp_path / "four.nii.gz")
    with pytest.raises(ParamError, match=r"four.nii.gz must be a 3-D label map, got shape \[4, 4, 4, 2\]"):
        MaskSet(str(tmp_path), open_folder=open_folder)
    for bad in ("", None, 3):
        with pytest.raises(ParamError, match=r"params.masks"):
            MaskSet(bad, open_folder=open_folder)  # type: ignore[arg-type]


def maisi_database(folder, torso) -> str:
    """Three masks in the layout of MAISI's mask database (an index JSON beside their folder)."""
    label, spacing = torso
    entries = []
    for name, top, bottom, labels in (
        ("masks/chest_only.nii.gz", 1, 1, [28, 115]),  # chest: lungs, heart
        ("masks/abdomen.nii.gz", 1, 3, [1, 3, 5, 14]),  # chest to pelvis, liver, spleen, kidneys
        ("masks/with_tumour.nii.gz", 2, 2, [1, 26]),  # abdomen, liver with a hepatic tumour
    ):
        write(folder / name, label, spacing)
        entries.append({
            "pseudo_label_filename": name,
            "top_region_index": [int(i == top) for i in range(4)],
            "bottom_region_index": [int(i == bottom) for i in range(4)],
            "label_list": labels,
            "dim": list(label.shape[::-1]),
            "spacing": list(spacing[::-1]),
        })  # fmt: skip
    index = folder / "candidate_masks_flexible_size_and_spacing_3.json"
    index.write_text(json.dumps(entries))
    return str(index)


def test_maisis_mask_database_is_filtered_as_find_masks_does(tmp_path, torso):
    from models.anatomy.masks import IndexFilter

    index = maisi_database(tmp_path, torso)
    names = lambda f: [m.name for m in MaskSet(str(tmp_path), index=f, open_folder=open_folder).files]  # noqa: E731
    assert names(IndexFilter(index)) == ["masks/chest_only.nii.gz", "masks/abdomen.nii.gz"]  # no tumours
    assert names(IndexFilter(index, ("abdomen",), (1,))) == ["masks/abdomen.nii.gz"]
    assert names(IndexFilter(index, ("abdomen",), (26,))) == ["masks/with_tumour.nii.gz"]
    with pytest.raises(ParamError, match=r"params.masks_index: no mask of .* covers \['head'\]"):
        MaskSet(str(tmp_path), index=IndexFilter(index, ("head",)), open_folder=open_folder)
    (tmp_path / "bad.json").write_text('[{"dim": 3}]')
    with pytest.raises(ParamError, match=r"entry 0 is not a MAISI mask entry"):
        MaskSet(str(tmp_path), index=IndexFilter(str(tmp_path / "bad.json")), open_folder=open_folder)


def test_weights_steer_the_draw_and_must_match_the_masks(tmp_path, torso):
    from models.anatomy.source import PARAMS, MaskAnatomy
    from models.options import parse_params

    label, spacing = torso
    write(tmp_path / "a.nii.gz", label, spacing)
    write(tmp_path / "b.nii.gz", label, spacing)
    params = parse_params(PARAMS, {"masks": str(tmp_path), "mask_weights": [0, 1]})
    anatomy = MaskAnatomy(params, MAISI, "maisi", open_folder)
    rng = np.random.default_rng(0)
    assert {anatomy.sample(rng)[0].name for _ in range(20)} == {"b.nii.gz"}
    with pytest.raises(ParamError, match=r"params.mask_weights: has 3 weights for 2 masks"):
        MaskAnatomy(
            parse_params(PARAMS, {"masks": str(tmp_path), "mask_weights": [1, 1, 1]}), MAISI, "maisi", open_folder
        )
    with pytest.raises(ParamError, match=r"params.mask_weights: weights must be >= 0 and not all 0"):
        parse_params(PARAMS, {"masks": str(tmp_path), "mask_weights": [0, 0]})
    with pytest.raises(ParamError, match=r"params.masks_body_region: filters MAISI's mask database"):
        MaskAnatomy(
            parse_params(PARAMS, {"masks": str(tmp_path), "masks_body_region": "chest"}), MAISI, "maisi", open_folder
        )
