"""End to end on a real local Ray with two worker actors, on a local folder and on S3 (moto)."""

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import ray
import torch
import zarr

from models import ParamError, StudySpec
from pipeline import catalog
from pipeline.errors import ConfigError
from pipeline.run.runner import NAMESPACE, RunSummary, check_address, generate
from pipeline.run.worker import build_generator
from pipeline.store.layout import part_path
from pipeline.store.omezarr import checksum, validate
from pipeline.store.storage import open_store
from tests.conftest import small_config

pytestmark = pytest.mark.usefixtures("ray_session")


@dataclass(frozen=True)
class Target:
    uri: str
    overrides: tuple[str, ...]
    options: dict

    def config(self, *overrides: str):
        return small_config(self.uri, *self.overrides, *overrides)


@pytest.fixture(params=["local", "s3"])
def target(request, tmp_path) -> Target:
    if request.param == "local":
        return Target(str(tmp_path / "ds"), (), {})
    s3 = request.getfixturevalue("s3")
    return Target(s3.uri("ds"), (f"storage.options.endpoint_url={s3.endpoint}",), s3.options)


def verify_every_row(uri: str, options: dict) -> list[dict]:
    """Open every catalogued study with plain zarr and recompute its checksum from the arrays."""
    cat = catalog.open(uri, options)
    rows = cat.query().to_pylist()
    for r in rows:
        group = zarr.open_group(cat.store.zarr_store(r["image_path"].rsplit("/", 1)[0]), mode="r")
        image, label = group["0"][...], group["labels/anatomy/0"][...]
        digest = hashlib.sha256(image.astype("<i2").tobytes() + label.tobytes()).hexdigest()
        assert digest == r["checksum"], r["study_id"]
        assert list(image.shape) == r["shape_zyx"] and str(image.dtype) == r["image_dtype"]
        assert validate(group) == []
        scale = group.attrs["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"]
        assert scale == r["spacing_mm"]
    return rows


def test_end_to_end_two_workers(target):
    summary = generate(target.config(), progress=False)
    assert (summary.studies_written, summary.shards_run, summary.workers) == (8, 4, 2)
    rows = verify_every_row(target.uri, target.options)
    assert [r["study_id"] for r in rows] == [f"s{i:09d}" for i in range(8)]
    assert len({r["worker"].split("@")[0] for r in rows}) == 2  # both actors worked
    meta = json.loads(open_store(target.uri, target.options).read_bytes("dataset.json"))
    assert meta["status"] == "complete" and meta["n_studies"] == 8


def test_a_study_regenerates_from_its_catalog_row(target):
    cfg = target.config("dataset.n_studies=4")
    generate(cfg, progress=False)
    row = catalog.open(target.uri, target.options).query("index = 3").to_pylist()[0]
    spec = StudySpec(row["study_id"], row["index"], row["seed"], row["generator"], json.loads(row["params_json"]))
    assert row["generator"] == cfg.generator.name
    study = build_generator(cfg).render(spec, torch.device("cpu"))
    assert checksum(study.image, study.label) == row["checksum"]


def test_rerun_renders_only_missing_shards(target):
    cfg = target.config()
    generate(cfg, progress=False)
    store = open_store(target.uri, target.options)
    kept = "studies/000001/s000000002.zarr/0/c/0/0/0"
    kept_bytes = store.read_bytes(kept)
    before = catalog.open(target.uri, target.options).query(columns=["study_id", "checksum"])
    store.remove(part_path(2))
    summary = generate(cfg, progress=False)
    assert (summary.shards_run, summary.studies_written, summary.shards_skipped) == (1, 2, 3)
    assert store.read_bytes(kept) == kept_bytes
    assert catalog.open(target.uri, target.options).query(columns=["study_id", "checksum"]).equals(before)
    nothing = generate(cfg, progress=False)
    assert nothing.shards_run == 0 and nothing.shards_skipped == 4


def test_a_different_config_into_the_same_root_is_refused(target):
    cfg = target.config("dataset.n_studies=2")
    generate(cfg, progress=False)
    store = open_store(target.uri, target.options)
    snapshot = {p: store.read_bytes(p) for p in store.walk("")}
    other = replace(cfg, dataset=replace(cfg.dataset, seed=99))
    with pytest.raises(ConfigError, match="different config"):
        generate(other, progress=False)
    assert {p: store.read_bytes(p) for p in store.walk("")} == snapshot


def test_prefix_hash_spreads_shard_folders(target):
    cfg = target.config("dataset.n_studies=4", "storage.prefix_hash=true")
    generate(cfg, progress=False)
    rows = verify_every_row(target.uri, target.options)
    folders = [r["image_path"].split("/")[1] for r in rows]
    assert all(len(f) == len("abcd-000000") and f[4] == "-" for f in folders)
    assert len({f[:4] for f in folders}) == 2  # two shards, two different hash prefixes


def test_an_actor_killed_mid_run_still_yields_exactly_n_studies(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=24", "generator.shape=[64,64,64]")
    outcome: dict = {}
    leftovers, since = set(live_workers()), job_clock()
    runner = threading.Thread(target=lambda: outcome.update(summary=generate(cfg, progress=False)))
    runner.start()
    killed = kill_workers(1, tmp_path / "ds", leftovers, since)
    runner.join(timeout=120)
    assert killed == 1, "no worker actor was found to kill"
    assert outcome["summary"].retries >= 1
    rows = verify_every_row(cfg.storage.uri, {})
    assert sorted(r["index"] for r in rows) == list(range(24))


def live_workers() -> list[str]:
    """The names of the factory's worker actors alive on the session's Ray (any driver's)."""
    found = ray.util.list_named_actors(all_namespaces=True)
    return [a["name"] for a in found if a["namespace"] == NAMESPACE and a["name"].startswith("medsynth-")]


def _since(name: str, since: int) -> bool:
    """Whether actor `name`'s run began at or after `since` on the job clock (which wraps)."""
    return (int(name.split("-")[1]) - since) % 10**9 < 10**8


def job_clock() -> int:
    """The runner's job clock (`medsynth-<ms % 10**9>` names a run's actors) as of now."""
    return int(time.time() * 1000) % 10**9


def working_slots(uri: str | Path) -> set[str]:
    """The worker slots (`w0`, `w1`) that have committed a catalog part in the dataset at `uri`:
    an actor of such a slot got past starting up and was handed shards."""
    parts = Path(uri) / "catalog"
    found = sorted(parts.glob("part-*.parquet")) if parts.exists() else []
    return {w.split("@")[0] for p in found for w in pq.read_table(p, columns=["worker"])["worker"].to_pylist()}


def kill_workers(n: int, uri: str | Path, leftovers: set[str], since: int, timeout: float = 90.0) -> int:
    """Kill `n` worker actors of the run into `uri` started at `since` (`job_clock()`), one at a
    time, each once a new actor is up whose slot has committed a part. An actor still starting
    holds no shard, and killing it (under a loaded machine a slow starter is the first one listed
    while its twin already commits) costs the run no retry. `leftovers`: the actors alive before
    this run started (an earlier run's, which its closing `ray.kill` may still be taking down); an
    earlier run's replacement actor can also register its name only after that snapshot, so an
    actor whose run began before `since` is never this run's either, and never killed."""
    killed, seen = 0, set(leftovers)
    deadline = time.monotonic() + timeout
    while killed < n and time.monotonic() < deadline:
        working = working_slots(uri)
        fresh = [
            name
            for name in live_workers()
            if name not in seen and _since(name, since) and name.split("-")[2] in working
        ]
        if fresh:
            seen.add(fresh[0])
            try:
                ray.kill(ray.get_actor(fresh[0], namespace=NAMESPACE), no_restart=True)
                killed += 1
                time.sleep(0.5)
            except ValueError:
                pass  # it finished and went away between listing and killing
        time.sleep(0.02)
    return killed


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


def test_the_summary_line_gives_studies_per_hour_per_gpu():
    summary = RunSummary("/d", 10, 5, 0, shards_run=5, studies_written=10, wall_s=36.0, workers=2, gpus=0.5)
    assert "0.28 studies/s, 2000 studies/hour per GPU," in summary.line()
    assert "per GPU" not in RunSummary("/d", 10, 5, 0, studies_written=10, wall_s=36.0, workers=2).line()


@pytest.mark.parametrize("reply", [b"HTTP/1.1 400 Bad Request\r\n\r\n", b""], ids=["speaks HTTP/1", "closes"])
def test_an_address_where_something_else_listens_is_refused_at_once(reply):
    """Issue 28: Ray's own join retried for ever (deaf to SIGTERM) against a port that was not Ray's."""
    server = socket.create_server(("127.0.0.1", 0))
    host, port = server.getsockname()

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(64)
        conn.sendall(reply)
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(ConfigError, match=f"something answers at {host}:{port}, but not as a Ray cluster"):
        check_address(f"{host}:{port}", timeout_s=2.0)
    assert time.monotonic() - started < 2.0
    server.close()


def test_a_silent_listener_is_refused_within_the_timeout():
    server = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel's backlog), never speaks
    host, port = server.getsockname()
    started = time.monotonic()
    with pytest.raises(ConfigError, match=f"nothing answers at {host}:{port} \\(no answer within 0.5 s\\)"):
        check_address(f"{host}:{port}", timeout_s=0.5)
    assert time.monotonic() - started < 2.0
    server.close()


def test_the_local_clusters_gcs_passes_the_check(ray_session):
    """The real thing answers HTTP/2: the session's own Ray GCS."""
    address = ray.get_runtime_context().gcs_address
    check_address(address)
