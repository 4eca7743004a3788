import nibabel as nib
import numpy as np
import pydicom

from jobs import export
from jobs.cli import run
from pipeline import catalog
from tests.conftest import build_in_process, small_config
from tests.pipeline.export import stored


def test_cli_exports_nifti_and_prints_the_cost(built_dataset, tmp_path, capsys):
    out = tmp_path / "nifti"
    code = run(export.main, [built_dataset.storage.uri, "--format", "nifti", "--out", str(out), "--where", "index < 3"])
    assert code == 0
    captured = capsys.readouterr()
    assert "3 studies exported as nifti" in captured.out and "x the OME-Zarr" in captured.out
    assert "export nifti" in captured.err  # the progress bar
    assert sorted(p.name for p in (out / "images").iterdir()) == [f"s00000000{i}.nii.gz" for i in range(3)]


def test_exports_from_s3(s3, tmp_path):
    cfg = small_config(s3.uri("ds"), *s3.overrides("ds")[1:], "dataset.n_studies=2", "dataset.shard_size=2")
    build_in_process(cfg)
    out = tmp_path / "dicom"
    args = [s3.uri("ds"), "--format", "dicom", "--out", str(out), "--compression", "jpeg-ls"]
    args += ["--no-progress", "-o", f"endpoint_url={s3.endpoint}"]
    assert run(export.main, args) == 0
    cat = catalog.open(s3.uri("ds"), s3.options)
    image, _, _ = stored(cat, "s000000001")
    slices = sorted(
        (pydicom.dcmread(p) for p in (out / "s000000001" / "image").glob("*.dcm")), key=lambda d: d.InstanceNumber
    )
    hu = np.stack([d.pixel_array.astype(np.int32) + int(d.RescaleIntercept) for d in slices])
    assert np.array_equal(hu, image) and slices[0].file_meta.TransferSyntaxUID.is_compressed
    nifti = [s3.uri("ds"), "--format", "nifti", "--out", str(tmp_path / "nifti"), "-o", f"endpoint_url={s3.endpoint}"]
    assert run(export.main, nifti) == 0
    assert nib.load(tmp_path / "nifti" / "images" / "s000000000.nii.gz").shape == image.shape[::-1]
