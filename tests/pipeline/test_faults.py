"""Real failures the factory must survive: killed actors, a killed driver, a flaky S3, broken
disks and a lost node. Each ends with exactly N unique studies that all verify."""

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray

from infra.local.cluster import LocalCluster
from pipeline import catalog
from pipeline.config.job import load
from pipeline.errors import StorageError
from pipeline.run.runner import generate
from pipeline.run.verify import verify
from pipeline.run.worker import ShardWorker
from pipeline.store.layout import shard_task
from tests.conftest import REPO, small_config
from tests.pipeline.run.test_runner import job_clock, kill_workers, live_workers
from tests.support.faultproxy import FaultProxy


def assert_complete(uri: str, n: int, options: dict | None = None) -> list[dict]:
    cat = catalog.open(uri, options)
    report = verify(cat)
    assert report.ok, report.lines()
    rows = cat.query(columns=["study_id", "index", "checksum", "worker"]).to_pylist()
    assert sorted(r["index"] for r in rows) == list(range(n))
    return rows


@pytest.mark.usefixtures("ray_session")
def test_a_worker_killed_three_times_still_yields_n_studies(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=40", "generator.shape=[96,96,96]")
    outcome: dict = {}
    leftovers, since = set(live_workers()), job_clock()
    runner = threading.Thread(target=lambda: outcome.update(summary=generate(cfg, progress=False)))
    runner.start()
    killed = kill_workers(3, tmp_path / "ds", leftovers, since)
    runner.join(timeout=300)
    assert killed == 3
    assert outcome["summary"].retries >= 1
    assert_complete(cfg.storage.uri, 40)


def cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "jobs.generate", *args, "--no-progress"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.slow
@pytest.mark.usefixtures("ray_session")
def test_driver_sigkilled_then_rerun_matches_an_uninterrupted_run(tmp_path):
    n, shards = 24, 12
    args = [f"dataset.n_studies={n}", "dataset.shard_size=2", "generator.shape=[48,64,64]", "ray.num_workers=2"]
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    joined = f"ray.address={ray.get_runtime_context().gcs_address}"  # the CLI drivers join the session's Ray
    driver = cli(*args, joined, f"storage.uri={crashed}", start_new_session=True)
    parts = crashed / "catalog"
    deadline = time.monotonic() + 120
    while not (parts.exists() and len(list(parts.glob("part-*"))) >= 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    # The dead driver's actors die with it (Ray kills an owner's actors): wait until none is left,
    # so that none can commit a shard after the count below.
    deadline = time.monotonic() + 30
    while live_workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not live_workers(), "the killed driver's actors outlived it"
    committed = len(list(parts.glob("part-*")))
    assert 2 <= committed < shards, "the driver was not killed mid-job"

    rerun = cli(*args, joined, f"storage.uri={crashed}")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"({committed} of {shards} shards already committed)" in out
    assert f"{n - 2 * committed} studies in {shards - committed} shards written" in out

    # The uninterrupted run, from the same config in this process (the session's Ray): the same bytes.
    generate(load([], [*args, f"storage.uri={clean}"]), progress=False)
    crashed_rows = assert_complete(str(crashed), n)
    clean_rows = assert_complete(str(clean), n)
    strip = [(r["study_id"], r["checksum"]) for r in crashed_rows]
    assert strip == [(r["study_id"], r["checksum"]) for r in clean_rows]


@pytest.mark.usefixtures("ray_session")
def test_s3_resets_and_throttling_are_survived(s3, moto_endpoint):
    upstream_port = int(moto_endpoint.rsplit(":", 1)[1])
    proxy = FaultProxy(upstream_port, rate=0.04, seed=7)
    try:
        cfg = small_config(s3.uri("flaky"), "dataset.n_studies=12", f"storage.options.endpoint_url={proxy.endpoint}")
        summary = generate(cfg, progress=False)
    finally:
        proxy.close()
    assert summary.studies_written == 12
    assert proxy.counts.faults >= 5, proxy.counts  # the faults really happened
    assert proxy.counts.reset_after >= 1 and proxy.counts.slow_down >= 1, proxy.counts
    assert_complete(s3.uri("flaky"), 12, s3.options)


def test_an_unwritable_root_fails_clearly_and_writes_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cfg = small_config(blocker / "ds")
    with pytest.raises(StorageError, match=r"storage.uri: .* is not writable"):
        generate(cfg, progress=False)
    assert blocker.read_text() == "not a folder"


def test_a_catalog_folder_that_cannot_be_written_leaves_no_part(tmp_path):
    cfg = small_config(tmp_path / "ds")
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "catalog").write_text("a file where the catalog folder should be")
    worker = ShardWorker(cfg, "t")
    with pytest.raises(StorageError, match=r"cannot write .*catalog/part-000000.parquet"):
        worker.run(shard_task(0, 2, 8))
    assert (tmp_path / "ds" / "catalog").read_text().startswith("a file")


PART_WRITE_UNDER_FILE_SIZE_LIMIT = """
import resource, signal, sys, tempfile
from pipeline.store.layout import shard_task
from pipeline.run.worker import ShardWorker
from tests.conftest import small_config
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of a signal
cfg = small_config(sys.argv[1], "generator.shape=[16,16,16]")
# Measure, on a scratch copy, the largest study object and the part: the limit goes between them.
probe = ShardWorker(small_config(tempfile.mkdtemp(), "generator.shape=[16,16,16]"), "probe")
probe.run(shard_task(0, 2, 8))
sizes = {p: p.stat().st_size for p in __import__("pathlib").Path(probe.store.root).rglob("*") if p.is_file()}
largest_object = max(size for p, size in sizes.items() if ".zarr" in str(p))
part = max(size for p, size in sizes.items() if p.suffix == ".parquet")
assert largest_object < part, (largest_object, part)
limit = (largest_object + part) // 2
print(limit, flush=True)
worker = ShardWorker(cfg, "t")
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
worker.run(shard_task(0, 2, 8))
"""


def test_a_part_that_cannot_be_fully_written_leaves_nothing_behind(tmp_path):
    """A real short write (file size limit, as on a full disk): no part, no torn temp file."""
    result = subprocess.run(
        [sys.executable, "-c", PART_WRITE_UNDER_FILE_SIZE_LIMIT, str(tmp_path / "ds")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "StorageError: cannot write" in result.stderr and "part-000000.parquet" in result.stderr, result.stderr
    limit = int(result.stdout.split()[0])
    assert sorted(p.name for p in (tmp_path / "ds" / "studies" / "000000").iterdir()) == [
        "s000000000.zarr",
        "s000000001.zarr",
    ]
    assert list((tmp_path / "ds" / "catalog").iterdir()) == []
    assert max(p.stat().st_size for p in (tmp_path / "ds" / "studies").rglob("*") if p.is_file()) < limit
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == resource.RLIM_INFINITY  # only the child was limited


def committed_nodes(parts) -> set[str]:
    """The nodes named by the committed parts' rows so far (a part is complete once it exists)."""
    found = set()
    for part in parts.glob("part-*.parquet") if parts.exists() else ():
        with contextlib.suppress(OSError, pa.ArrowInvalid):
            found |= {w.split("@")[1] for w in pq.read_table(part, columns=["worker"]).column("worker").to_pylist()}
    return found


@pytest.mark.slow
def test_two_node_cluster_spreads_work_and_survives_losing_a_node(tmp_path):
    cluster = LocalCluster(worker_nodes=1)
    with cluster as printed:
        env = {**cluster.env, **printed}
        uri = tmp_path / "ds"
        args = ["ray.address=auto", "dataset.n_studies=24", "dataset.shard_size=2", "generator.shape=[64,96,96]"]
        driver = cli(*args, f"storage.uri={uri}", env=env)
        parts = uri / "catalog"
        deadline = time.monotonic() + 120
        # Lose the worker node once both nodes have committed work (under load its actor can start
        # after the head's first shards): then the spread is there to see, and the loss comes mid-run.
        while not (len(committed_nodes(parts)) >= 2 or len(list(parts.glob("part-*"))) >= 6):
            assert time.monotonic() < deadline, "no shard committed in 120 s"
            time.sleep(0.05)
        assert driver.poll() is None, "the job ended before the node was lost"
        killed = cluster.run("kill-worker")
        assert killed.returncode == 0, killed.stderr
        _, err = driver.communicate(timeout=300)
        assert driver.returncode == 0, err
        rows = assert_complete(str(uri), 24)
        nodes = {r["worker"].split("@")[1] for r in rows}
        assert len(nodes) == 2, "studies were not rendered on both nodes"
