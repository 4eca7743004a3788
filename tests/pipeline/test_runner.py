"""End to end on a real local Ray: two worker actors, real files."""

import hashlib
import json
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
import ray
import torch
import zarr

from models import ParamError, StudySpec
from models.registry import create
from pipeline import catalog
from pipeline.errors import ConfigError
from pipeline.omezarr import checksum, validate
from pipeline.runner import NAMESPACE, generate
from pipeline.worker import generator_options
from tests.conftest import small_config

pytestmark = pytest.mark.usefixtures("ray_session")


def verify_every_row(uri: str) -> list[dict]:
    """Open every catalogued study with plain zarr; recompute its checksum from the arrays."""
    rows = catalog.open(uri).query().to_pylist()
    for r in rows:
        image = zarr.open_array(f"{uri}/{r['image_path']}", mode="r")[...]
        label = zarr.open_array(f"{uri}/{r['label_path']}", mode="r")[...]
        digest = hashlib.sha256(image.astype("<i2").tobytes() + label.tobytes()).hexdigest()
        assert digest == r["checksum"], r["study_id"]
        assert list(image.shape) == r["shape_zyx"] and str(image.dtype) == r["image_dtype"]
        group = zarr.open_group(f"{uri}/{r['image_path'].rsplit('/', 1)[0]}", mode="r")
        assert validate(group) == []
        assert (
            group.attrs["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"]
            == r["spacing_mm"]
        )
    return rows


def test_end_to_end_two_workers(tmp_path):
    cfg = small_config(tmp_path / "ds")
    summary = generate(cfg, progress=False)
    assert (summary.studies_written, summary.shards_run, summary.workers) == (8, 4, 2)
    rows = verify_every_row(cfg.storage.uri)
    assert [r["study_id"] for r in rows] == [f"s{i:09d}" for i in range(8)]
    assert len({r["worker"].split("@")[0] for r in rows}) == 2  # both actors worked
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["status"] == "complete" and meta["n_studies"] == 8


def test_a_study_regenerates_from_its_catalog_row(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=4")
    generate(cfg, progress=False)
    row = catalog.open(cfg.storage.uri).query("index = 3").to_pylist()[0]
    spec = StudySpec(row["study_id"], row["index"], row["seed"], row["generator"], json.loads(row["params_json"]))
    study = create(row["generator"], generator_options(cfg)).render(spec, torch.device("cpu"))
    assert checksum(study.image, study.label) == row["checksum"]


def test_rerun_renders_only_missing_shards(tmp_path):
    cfg = small_config(tmp_path / "ds")
    generate(cfg, progress=False)
    part = tmp_path / "ds" / "catalog" / "part-000002.parquet"
    kept = tmp_path / "ds" / "studies" / "000001" / "s000000002.zarr" / "0" / "c" / "0" / "0" / "0"
    mtime = kept.stat().st_mtime_ns
    before = catalog.open(cfg.storage.uri).query(columns=["study_id", "checksum"])
    part.unlink()
    summary = generate(cfg, progress=False)
    assert (summary.shards_run, summary.studies_written, summary.shards_skipped) == (1, 2, 3)
    assert kept.stat().st_mtime_ns == mtime
    assert catalog.open(cfg.storage.uri).query(columns=["study_id", "checksum"]).equals(before)
    nothing = generate(cfg, progress=False)
    assert nothing.shards_run == 0 and nothing.shards_skipped == 4


def test_a_different_config_into_the_same_root_is_refused(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=2")
    generate(cfg, progress=False)
    snapshot = {p: p.stat().st_mtime_ns for p in (tmp_path / "ds").rglob("*")}
    other = replace(cfg, dataset=replace(cfg.dataset, seed=99))
    with pytest.raises(ConfigError, match=r"different config"):
        generate(other, progress=False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "ds").rglob("*")} == snapshot


def test_an_actor_killed_mid_run_still_yields_exactly_n_studies(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=24", "generator.shape=[64,64,64]")
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.update(summary=generate(cfg, progress=False)))
    runner.start()
    killed = kill_one_worker_when(lambda: len(list((tmp_path / "ds" / "catalog").glob("part-*"))) >= 1)
    runner.join(timeout=120)
    assert killed, "no worker actor was found to kill"
    summary = outcome["summary"]
    assert summary.retries >= 1
    rows = verify_every_row(cfg.storage.uri)
    assert sorted(r["index"] for r in rows) == list(range(24))


def kill_one_worker_when(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["namespace"] == NAMESPACE]
            workers = [n for n in names if n.startswith("medsynth-") and "-w0-" in n]
            if workers:
                ray.kill(ray.get_actor(workers[0], namespace=NAMESPACE), no_restart=True)
                return True
        time.sleep(0.02)
    return False


def test_bad_generator_params_fail_before_anything_is_written(tmp_path):
    cfg = small_config(tmp_path / "ds", "generator.params.body_region=head")
    with pytest.raises(ParamError, match=r"generator.params.body_region"):
        generate(cfg, progress=False)
    assert not (tmp_path / "ds").exists()


def test_gpu_workers_on_a_cluster_without_gpus_are_refused(tmp_path):
    cfg = small_config(tmp_path / "ds", "ray.gpus_per_worker=1")
    with pytest.raises(ConfigError, match=r"ray.gpus_per_worker"):
        generate(cfg, progress=False)
    assert not (tmp_path / "ds").exists()


def test_sizes_and_volumes_in_the_catalog_match_storage(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=2")
    generate(cfg, progress=False)
    r = catalog.open(cfg.storage.uri).query().to_pylist()[0]
    group = tmp_path / "ds" / r["image_path"]
    assert r["image_bytes"] == sum(f.stat().st_size for f in group.rglob("*") if f.is_file())
    label = zarr.open_array(f"{cfg.storage.uri}/{r['label_path']}", mode="r")[...]
    voxel_ml = float(np.prod(r["spacing_mm"])) / 1000
    assert np.isclose(r["liver_ml"], np.count_nonzero(label == 1) * voxel_ml)
    labelled_ml = sum(v for k, v in r.items() if k.endswith("_ml"))
    assert np.isclose(labelled_ml, np.count_nonzero(label) * voxel_ml)
