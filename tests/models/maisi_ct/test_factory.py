"""maisi_ct through the whole factory: Ray actors load the networks once, write OME-Zarr studies
that regenerate byte for byte from their catalog rows, and bad weights stop the job before any
actor starts."""

import json

import pytest
import torch
import zarr

from models import StudySpec
from models.maisi_ct import weights
from models.maisi_ct.networks import KINDS, build, definitions
from pipeline import catalog
from pipeline.run.runner import generate
from pipeline.run.worker import build_generator
from pipeline.store.omezarr import checksum, validate
from tests.conftest import small_config

pytestmark = pytest.mark.usefixtures("ray_session")

MAISI = (
    "generator.name=maisi_ct",
    "generator.shape=[32,256,256]",
    "generator.params.network=tiny",
    "generator.params.num_inference_steps=2",
    "generator.params.max_redraws=0",
    "storage.chunk=[32,128,128]",
    "dataset.n_studies=2",
    "dataset.shard_size=1",
)


def test_actors_generate_catalogue_and_the_rows_regenerate(tmp_path):
    folder = tmp_path / "weights"
    nets = {kind: build(definitions("tiny"), kind) for kind in KINDS}
    weights.randomise(nets)
    weights.save(nets, 0.9, folder)
    cfg = small_config(tmp_path / "ds", *MAISI, f"generator.params.weights_dir={folder}")
    summary = generate(cfg, progress=False)
    assert (summary.studies_written, summary.workers, summary.retries) == (2, 2, 0)

    cat = catalog.open(cfg.storage.uri)
    rows = cat.query("label_source = 'phantom' AND num_inference_steps = 2").to_pylist()
    assert len(rows) == 2
    version = f"0.6.0+tiny.{weights.fingerprint(folder)[:12]}"
    generator = build_generator(cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(int(cfg.ray.cpus_per_worker))  # float sums on the CPU depend on the thread count
    try:
        for r in rows:
            check_row(cat, generator, r, version)
    finally:
        torch.set_num_threads(threads)


def check_row(cat, generator, r: dict, version: str) -> None:
    assert r["generator_version"] == version and r["image_dtype"] == "int16" and r["label_dtype"] == "uint8"
    assert r["modality_code"] in ("ct_contrast", "ct_wo_contrast") and r["qc_pass"] is False
    assert r["decode_plan"] == "config_infer"  # MAISI's default on a CPU
    group = zarr.open_group(cat.store.zarr_store(r["image_path"].rsplit("/", 1)[0]), mode="r")
    assert validate(group) == []
    spec = StudySpec(r["study_id"], r["index"], r["seed"], r["generator"], json.loads(r["params_json"]))
    study = generator.render(spec, torch.device("cpu"))
    assert (group["labels/anatomy/0"][...] == study.label).all()
    assert (group["0"][...] == study.image).all() and checksum(study.image, study.label) == r["checksum"]
