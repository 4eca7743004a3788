"""User masks as the condition: checked from their headers up front, reoriented, given a body."""

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from models import GeneratorError, ParamError
from models.maisi_ct import masks

SHAPE_XYZ = (256, 256, 32)
SPACING_XYZ = (1.5, 1.5, 5.0)


def ras_mask() -> np.ndarray:
    """x grows to the patient's right, y anterior (RAS): a liver on the right, a spleen on the left."""
    data = np.zeros(SHAPE_XYZ, dtype=np.uint8)
    data[160:200, 100:150, 4:28] = 1  # liver: right half
    data[60:90, 100:140, 4:28] = 3  # spleen: left half
    return data


def write(path: Path, data: np.ndarray, flip: bool = False, dtype=np.uint8) -> None:
    """The same anatomy stored RAS, or stored LPS (flipped array, negated affine)."""
    affine = np.diag([*SPACING_XYZ, 1.0])
    affine[:3, 3] = [-(n - 1) * s / 2 for n, s in zip(data.shape, SPACING_XYZ, strict=True)]
    if flip:
        data = data[::-1, ::-1, :]
        affine[:2, :2] *= -1
        affine[:2, 3] *= -1
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.ascontiguousarray(data).astype(dtype), affine), path)


def test_scan_reads_sizes_and_spacings_in_medsynth_order(tmp_path):
    write(tmp_path / "b.nii.gz", ras_mask())
    write(tmp_path / "sub" / "a.nii", ras_mask(), flip=True)
    (tmp_path / "notes.txt").write_text("ignored")
    found = masks.scan(tmp_path, 32)
    assert [m.name for m in found] == ["b.nii.gz", "sub/a.nii"]
    assert all(m.shape_zyx == (32, 256, 256) and m.spacing_zyx == (5.0, 1.5, 1.5) for m in found)


def test_ras_and_lps_files_of_the_same_anatomy_load_identically(tmp_path):
    write(tmp_path / "ras.nii.gz", ras_mask())
    write(tmp_path / "lps.nii.gz", ras_mask(), flip=True)
    a, b = masks.scan(tmp_path, 32)
    label_a, label_b = masks.load(tmp_path, a, 15.0), masks.load(tmp_path, b, 15.0)
    assert np.array_equal(label_a, label_b) and label_a.shape == (32, 256, 256)
    liver_x = np.argwhere(label_a == 1)[:, 2].mean()
    assert liver_x < 128  # medsynth's x grows to the patient's left: the liver is at small x


def test_a_body_is_added_where_missing_and_kept_where_present(tmp_path):
    write(tmp_path / "m.nii.gz", ras_mask())
    (mask,) = masks.scan(tmp_path, 32)
    label = masks.load(tmp_path, mask, 15.0)
    organs = masks.load(tmp_path, mask, 0.0)
    assert np.array_equal(label[label != masks.BODY], organs[label != masks.BODY])  # organs untouched
    assert (label == 1).sum() == (ras_mask() == 1).sum()
    body = label == masks.BODY
    assert body[16, 120, 128]  # between the organs: inside their outline
    assert not body[16, 5, 5] and not body[0].any()  # outside, and slices without tissue
    # Within 15 mm (10 voxels) of the liver's outer edge (RAS x = 199, medsynth x = 56), not beyond.
    assert body[16, 130, 56 - 9] and not body[16, 130, 56 - 12]

    with_body = ras_mask()
    with_body[50:210, 90:160, 4:28][with_body[50:210, 90:160, 4:28] == 0] = masks.BODY
    write(tmp_path / "m.nii.gz", with_body)
    assert np.array_equal(masks.load(tmp_path, mask, 15.0), masks.load(tmp_path, mask, 0.0))


@pytest.mark.parametrize(
    ("shape", "spacing", "says"),
    [
        ((256, 256, 48), SPACING_XYZ, "multiple of 32"),
        ((256, 200, 32), SPACING_XYZ, "x = y"),
        (SHAPE_XYZ, (1.5, 1.5, 6.0), "z spacing"),
    ],
)
def test_a_mask_maisi_cannot_take_is_named(tmp_path, shape, spacing, says):
    write(tmp_path / "good.nii.gz", ras_mask())
    affine = np.diag([*spacing, 1.0])
    nib.save(nib.Nifti1Image(np.zeros(shape, dtype=np.uint8), affine), tmp_path / "bad.nii.gz")
    with pytest.raises(ParamError) as err:
        masks.scan(tmp_path, 32)
    assert "generator.params.masks_dir (bad.nii.gz)" in str(err.value) and says in str(err.value)


def test_empty_missing_and_unreadable(tmp_path):
    with pytest.raises(ParamError, match="is not a folder"):
        masks.scan(tmp_path / "nope", 32)
    with pytest.raises(ParamError, match="holds no NIfTI masks"):
        masks.scan(tmp_path, 32)
    (tmp_path / "broken.nii.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ParamError, match=r"broken\.nii\.gz is not a readable NIfTI"):
        masks.scan(tmp_path, 32)


def test_fractional_label_values_are_refused_at_load(tmp_path):
    data = ras_mask().astype(np.float32)
    data[170, 120, 10] = 1.5
    write(tmp_path / "f.nii.gz", data, dtype=np.float32)
    (mask,) = masks.scan(tmp_path, 32)
    with pytest.raises(GeneratorError, match=r"f\.nii\.gz must hold whole label values"):
        masks.load(tmp_path, mask, 15.0)


def test_a_slice_with_a_line_of_tissue_gets_a_margin_not_a_hull():
    label = np.zeros((1, 40, 40), dtype=np.uint8)
    label[0, 20, 10:30] = 5  # collinear: no hull
    masks.add_body(label, (5.0, 1.0, 1.0), 3.0)
    assert label[0, 23, 20] == masks.BODY and label[0, 24, 20] == 0 and label[0, 20, 20] == 5
