import json

import nibabel as nib
import numpy as np
from monai.data import load_decathlon_datalist
from monai.transforms import LoadImage

from pipeline import catalog
from pipeline.export import export
from tests.pipeline.export import stored


def centroid_ras(volume: nib.Nifti1Image, mask: np.ndarray) -> np.ndarray:
    return nib.affines.apply_affine(volume.affine, np.argwhere(mask).mean(axis=0))


def test_ct_round_trips_voxel_exact_with_the_patient_frame(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    summary = export(cat, "nifti", tmp_path, where="index < 2", progress=False)
    assert (summary.studies, summary.files) == (2, 6)  # image + label per study, labels.json, datalist.json
    image, label, (dz, dy, dx) = stored(cat, "s000000001")
    volume = nib.load(tmp_path / "images" / "s000000001.nii.gz")
    labels = nib.load(tmp_path / "labels" / "s000000001.nii.gz")
    assert volume.get_data_dtype() == np.int16 and labels.get_data_dtype() == label.dtype
    assert np.array_equal(np.asarray(volume.dataobj), image.transpose(2, 1, 0))
    assert np.array_equal(np.asarray(labels.dataobj), label.transpose(2, 1, 0))
    assert np.allclose(volume.affine, np.diag([-dx, -dy, dz, 1.0])) and np.allclose(labels.affine, volume.affine)
    assert nib.aff2axcodes(volume.affine) == ("L", "P", "S")
    assert int(volume.header["sform_code"]) == 1 and int(volume.header["qform_code"]) == 1
    assert volume.header.get_xyzt_units()[0] == "mm"
    # Anatomy lands on the right side in world coordinates: liver on the patient's right (RAS x > 0
    # side relative to the spleen), heart above liver.
    names = {e["name"]: e["value"] for e in json.loads((tmp_path / "labels.json").read_text())["labels"]}
    data = np.asarray(labels.dataobj)
    liver, spleen = centroid_ras(labels, data == names["liver"]), centroid_ras(labels, data == names["spleen"])
    assert liver[0] > spleen[0]


def test_monai_loads_the_export_and_its_datalist(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    export(cat, "nifti", tmp_path, where="index IN (3, 5)", progress=False)
    items = load_decathlon_datalist(tmp_path / "datalist.json", data_list_key="training", base_dir=tmp_path)
    assert [item["study_id"] for item in items] == ["s000000003", "s000000005"]
    image, label, (dz, dy, dx) = stored(cat, "s000000005")
    loaded = LoadImage(reader="NibabelReader", image_only=True)(items[1]["image"])
    assert np.array_equal(loaded.numpy(), image.transpose(2, 1, 0))
    assert np.allclose(loaded.affine.numpy(), np.diag([-dx, -dy, dz, 1.0]))
    assert np.array_equal(
        LoadImage(reader="NibabelReader", image_only=True)(items[1]["label"]).numpy(), label.transpose(2, 1, 0)
    )
    datalist = json.loads((tmp_path / "datalist.json").read_text())
    assert datalist["labels"]["0"] == "background" and datalist["numTraining"] == 2
    sidecar = json.loads((tmp_path / "labels.json").read_text())
    assert sidecar["labels"] == cat.info.labels.to_json()


def test_mr_keeps_its_stored_integers(brain_dataset, tmp_path):
    cat = catalog.open(brain_dataset.storage.uri)
    export(cat, "nifti", tmp_path, where="index = 0", progress=False)
    image, label, _ = stored(cat, "s000000000")
    volume = nib.load(tmp_path / "images" / "s000000000.nii.gz")
    assert volume.get_data_dtype() == np.uint16
    assert np.array_equal(np.asarray(volume.dataobj), image.transpose(2, 1, 0))
    assert np.array_equal(np.asarray(nib.load(tmp_path / "labels" / "s000000000.nii.gz").dataobj), label.T)


def test_a_study_of_several_series_writes_one_image_per_series_and_one_label(series_dataset, tmp_path):
    from tests.conftest import SERIES

    cat = catalog.open(series_dataset.storage.uri)
    summary = export(cat, "nifti", tmp_path, where="index = 1", progress=False)
    assert (summary.studies, summary.files) == (1, 4 + 1 + 2)
    image, label, _ = stored(cat, "s000000001")
    for k, name in enumerate(SERIES):
        volume = nib.load(tmp_path / "images" / f"s000000001_{name}.nii.gz")
        assert np.array_equal(np.asarray(volume.dataobj), image[k].transpose(2, 1, 0))
    assert np.array_equal(np.asarray(nib.load(tmp_path / "labels/s000000001.nii.gz").dataobj), label.transpose(2, 1, 0))
    datalist = json.loads((tmp_path / "datalist.json").read_text())
    (entry,) = load_decathlon_datalist(tmp_path / "datalist.json", data_list_key="training")
    assert datalist["series"] == list(SERIES) and all(name in entry for name in SERIES)
    assert [str(p) for p in entry["image"]] == [str(entry[name]) for name in SERIES]
    stacked = LoadImage(image_only=True, ensure_channel_first=True)(entry["image"])  # series as channels
    assert tuple(stacked.shape) == (4, *image.shape[1:][::-1])
    assert np.array_equal(np.asarray(stacked[2]), image[2].transpose(2, 1, 0))
