"""Real scans read into the dataset frame, resampled and normalised alike."""

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from pipeline.errors import ConfigError
from pipeline.evaluate.volumes import normalize, read_scan, resample
from tests.support.realscan import write_nifti


def test_a_scan_reads_into_the_dataset_frame_whatever_its_orientation(tmp_path):
    lps = np.zeros((6, 8, 10), dtype=np.int16)  # z, y, x: one marked voxel, patient left, posterior, top
    lps[5, 7, 9] = 100
    image = write_nifti(tmp_path / "a.nii.gz", lps, (3.0, 2.0, 1.0))
    labels = write_nifti(tmp_path / "a_seg.nii.gz", (lps > 0).astype(np.uint8) * 5, (3.0, 2.0, 1.0))
    scan = read_scan(str(image), str(labels))
    assert scan.image.shape == (6, 8, 10) and scan.spacing == (3.0, 2.0, 1.0) and scan.name == "a"
    assert scan.image[5, 7, 9] == 100 and scan.label[5, 7, 9] == 5
    # The same voxels stored LPS-first (flipped axes in the affine) read the same.
    ras = nib.load(image)
    flipped = nib.Nifti1Image(ras.get_fdata()[::-1, ::-1], ras.affine @ np.diag([-1, -1, 1, 1]) + _shift(ras))
    nib.save(flipped, tmp_path / "b.nii.gz")
    nib.save(
        nib.Nifti1Image(np.asarray(nib.load(labels).dataobj)[::-1, ::-1], flipped.affine), tmp_path / "b_seg.nii.gz"
    )
    again = read_scan(str(tmp_path / "b.nii.gz"), str(tmp_path / "b_seg.nii.gz"))
    assert np.array_equal(again.image, scan.image) and np.array_equal(again.label, scan.label)


def _shift(image) -> np.ndarray:
    """The translation that keeps voxel positions when two axes are reversed."""
    shift = np.zeros((4, 4))
    shift[:3, 3] = image.affine[:3, :3] @ (np.array(image.shape) - 1) * np.array([1, 1, 0])
    return shift


@pytest.mark.parametrize(
    "bad, says",
    [
        ("grid", "is not on the grid"),
        ("nan", "NaN or infinite"),
        ("fraction", "not whole numbers"),
        ("missing", "is not a file"),
        ("text", "not a readable NIfTI"),
    ],
)
def test_scans_it_refuses(tmp_path, bad, says):
    good = np.zeros((4, 5, 6), dtype=np.float32)
    image = write_nifti(tmp_path / "i.nii.gz", good, (1.0, 1.0, 1.0))
    labels = write_nifti(tmp_path / "l.nii.gz", good.astype(np.uint8), (1.0, 1.0, 1.0))
    if bad == "grid":
        labels = write_nifti(tmp_path / "l.nii.gz", np.zeros((4, 5, 7), np.uint8), (1.0, 1.0, 1.0))
    elif bad == "nan":
        image = write_nifti(tmp_path / "i.nii.gz", np.full((4, 5, 6), np.nan, np.float32), (1.0, 1.0, 1.0))
    elif bad == "fraction":
        labels = write_nifti(tmp_path / "l.nii.gz", np.full((4, 5, 6), 1.5, np.float32), (1.0, 1.0, 1.0))
    elif bad == "missing":
        labels = tmp_path / "absent.nii.gz"
    elif bad == "text":
        (tmp_path / "t.nii.gz").write_text("not a volume")
        image = tmp_path / "t.nii.gz"
    with pytest.raises(ConfigError, match=says):
        read_scan(str(image), str(labels))


def test_resampling_keeps_the_extent_and_labels_stay_labels():
    label = np.zeros((20, 30, 30), dtype=np.uint8)
    label[6:15, 10:20, 10:20] = 3
    out = resample(label, (1.5, 1.5, 1.5), (3.0, 3.0, 3.0), labels=True)
    assert out.shape == (10, 15, 15) and set(np.unique(out)) == {0, 3}
    assert np.argwhere(out == 3).min(axis=0).tolist() == [3, 5, 5]  # from 9 mm: the first 3 mm voxel centred inside
    image = np.random.default_rng(0).normal(0.0, 10.0, (40, 40, 40)).astype(np.float32)
    smooth = resample(image, (1.0, 1.0, 1.0), (2.0, 2.0, 2.0))
    assert smooth.shape == (20, 20, 20) and smooth.std() < image.std() / 2  # averaged, as a thicker slice is
    assert resample(image, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)) is image


def test_a_coarser_label_is_the_class_that_covers_most_of_the_voxel_not_the_one_at_its_centre():
    label = np.ones((9, 9, 9), dtype=np.uint8)
    label[1, 1, 1] = 2  # the centre of the first 3 mm voxel, 1 of its 27
    label[3:6, 3:6, 3:6] = 4
    label[5, 5, 5] = 3  # 26 of the middle voxel's 27 are 4, a corner 3
    label[6:9, 6:9, 8] = 5  # 9 of the last voxel's 27, not its centre
    out = resample(label, (1.0, 1.0, 1.0), (3.0, 3.0, 3.0), labels=True)
    assert out.dtype == label.dtype and out.shape == (3, 3, 3)
    assert out[0, 0, 0] == 1 and out[1, 1, 1] == 4 and out[2, 2, 2] == 1
    assert set(np.unique(out)) == {1, 4}
    upsampled = resample(out, (3.0, 3.0, 3.0), (1.0, 1.0, 1.0), labels=True)
    assert upsampled.shape == (9, 9, 9) and set(np.unique(upsampled)) == {1, 4}  # nearest: no class is blended away


def test_the_share_of_each_class_is_computed_in_its_box_as_it_would_be_over_the_whole_volume():
    rng = np.random.default_rng(1)
    for _ in range(8):
        shape = tuple(int(n) for n in rng.integers(8, 50, 3))
        label = np.full(shape, 3, dtype=np.int32)  # the most common class need not be 0
        for value in (0, 1, 2, 4, 5):
            z, y, x = (int(rng.integers(0, n)) for n in shape)
            label[max(z - 7, 0) : z + 9, max(y - 5, 0) : y + 12, max(x - 9, 0) : x + 4] = value
        spacing = tuple(float(s) for s in rng.uniform(0.6, 2.5, 3))
        factors = 3.0 / np.asarray(spacing)
        coarse = tuple(max(round(n / f), 1) for n, f in zip(shape, factors, strict=True))
        best, expected = np.full(coarse, -1.0, dtype=np.float32), np.zeros(coarse, dtype=np.int32)
        for value in np.unique(label):  # every class filtered over the whole volume
            share = ndimage.gaussian_filter((label == value).astype(np.float32), (factors - 1.0) / 2.0)
            share = ndimage.affine_transform(share, factors, 0.5 * factors - 0.5, coarse, order=1, mode="nearest")
            larger = share > best
            expected[larger], best[larger] = value, share[larger]
        np.testing.assert_array_equal(resample(label, spacing, (3.0, 3.0, 3.0), labels=True), expected)


def test_ct_is_windowed_and_mr_scaled_by_its_percentiles():
    ct = normalize(np.array([-1000.0, -250.0, 50.0, 350.0, 2000.0]), "CT", (-250.0, 350.0))
    assert ct.tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])
    mr = normalize(np.linspace(0.0, 1000.0, 1001), "MR", (-250.0, 350.0))
    assert mr.min() == 0.0 and mr.max() == 1.0 and mr[500] == pytest.approx(0.5, abs=0.01)
    assert normalize(np.zeros(10), "MR", (0.0, 1.0)).max() == 0.0  # a flat image does not divide by zero
