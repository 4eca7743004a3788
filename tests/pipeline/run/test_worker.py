import pickle

import numpy as np
import pytest
import torch
import zarr

from models import GeneratorError, Study, StudySpec
from models.base import QC
from models.labels import maisi_ct_labels
from pipeline.run.worker import ShardResult, ShardWorker, admit_study, worker_device
from pipeline.store import layout
from pipeline.store.omezarr import checksum, read_arrays
from tests.conftest import small_config


def test_run_writes_every_study_then_commits(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=5", "dataset.shard_size=3")
    worker = ShardWorker(cfg, "t")
    result = worker.run(layout.shard_task(1, 3, 5))
    assert (result.shard, result.n_studies, result.already_committed) == (1, 2, False)
    assert sorted(p.name for p in (tmp_path / "ds" / "studies" / "000001").iterdir()) == [
        "s000000003.zarr",
        "s000000004.zarr",
    ]
    assert (tmp_path / "ds" / "catalog" / "part-000001.parquet").exists()
    assert result.bytes_written > 0


def test_a_second_commit_of_a_shard_is_harmless(tmp_path):
    cfg = small_config(tmp_path / "ds")
    task = layout.shard_task(0, 2, 8)
    first = ShardWorker(cfg, "a").run(task)
    part = (tmp_path / "ds" / "catalog" / "part-000000.parquet").read_bytes()
    zombie = ShardWorker(cfg, "b").run(task)
    assert not first.already_committed and zombie.already_committed
    assert (tmp_path / "ds" / "catalog" / "part-000000.parquet").read_bytes() == part
    # The zombie rewrote the studies with identical bytes.
    group = zarr.open_group(str(tmp_path / "ds" / "studies/000000/s000000000.zarr"), mode="r")
    image, label = read_arrays(group.store)
    assert checksum(image, label) == group.attrs["medsynth"]["checksum"]


def test_admit_study_enforces_the_generator_contract():
    labels = maisi_ct_labels().subset(["liver"], name="t")
    spec = StudySpec("s000000001", 1, 1, "x", {})
    image = np.zeros((4, 4, 4), np.int16)
    good = np.ones((4, 4, 4), np.uint8)
    admit_study(spec, Study(image, good, (1.0, 1.0, 1.0)), labels)
    with pytest.raises(GeneratorError, match=r"study s000000001 .*label values \[7\]"):
        admit_study(spec, Study(image, good * 7, (1.0, 1.0, 1.0)), labels)
    with pytest.raises(GeneratorError, match=r"equal 3-D shapes"):
        admit_study(spec, Study(image, good[:2], (1.0, 1.0, 1.0)), labels)
    with pytest.raises(GeneratorError, match=r"dtypes"):
        admit_study(spec, Study(image.astype(np.int64), good, (1.0, 1.0, 1.0)), labels)
    with pytest.raises(GeneratorError, match=r"spacing"):
        admit_study(spec, Study(image, good, (1.0, 0.0, 1.0)), labels)


def test_objects_crossing_ray_pickle():
    task = layout.shard_task(3, 4, 100)
    assert pickle.loads(pickle.dumps(task)) == task
    result = ShardResult(3, 4, 1.0, 0.5, 1000, 2.0, "w0@node")
    assert pickle.loads(pickle.dumps(result)) == result


def test_a_brain_mr_shard_lands_as_uint16_mr_studies_that_verify(brain_dataset):
    from pipeline import catalog
    from pipeline.run.verify import verify

    cat = catalog.open(brain_dataset.storage.uri)
    rows = cat.query().to_pylist()
    assert [r["modality"] for r in rows] == ["MR"] * 3 and {r["contrast"] for r in rows} == {"T1"}
    assert {r["image_dtype"] for r in rows} == {"uint16"} and rows[0]["shape_zyx"] == [44, 52, 44]
    assert rows[0]["left_cerebral_white_matter_ml"] > 100 and rows[0]["left_cerebral_white_matter_hu"] > 0
    assert "resolution_mm" in rows[0] and rows[0]["flipped"] in (True, False)
    assert verify(cat).ok


@pytest.mark.parametrize(
    ("image", "failure"),
    [
        (np.zeros((4, 4, 4), np.int16), "image is constant (0 everywhere)"),
        (np.full((4, 4, 4), np.nan, np.float16), "image has 64 voxels that are NaN or infinite"),
    ],
)
def test_a_constant_or_non_finite_image_fails_qc_whatever_the_generator_said(image, failure):
    spec = StudySpec("s000000000", 0, 1, "test", {"modality": "CT"})
    label = np.zeros((4, 4, 4), np.uint8)
    label[1:3, 1:3, 1:3] = 1
    study = Study(image, label, (1.0, 1.0, 1.0), qc=QC(True, 0, ()))
    admit_study(spec, study, maisi_ct_labels())
    assert study.qc.passed is False and study.qc.failures == (failure,)


def test_a_gpu_worker_holds_an_indexed_device_and_its_share_of_the_gpu(tmp_path, fake_cuda):
    # Ray shows an actor its own GPUs only; the first is the current device, named by its index.
    cfg = small_config(tmp_path / "ds", "ray.gpus_per_worker=0.5")
    worker = ShardWorker(cfg, "gpu")
    assert worker.device == torch.device("cuda", 0)
    assert fake_cuda.fractions == {0: 0.5}
    assert worker_device(1) == torch.device("cuda", 0) and fake_cuda.fractions == {0: 0.5}  # a whole GPU: no cap
    assert worker_device(0) == torch.device("cpu")
