"""`ray job submit --working-dir .` against the two-node cluster of infra/local: the packaging
users rely on on any cluster (the repository shipped as the job's working directory)."""

import subprocess
import time

import pytest

from infra.local.cluster import LocalCluster
from pipeline import catalog
from tests.conftest import REPO


def submit(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """`ray job submit`, again while the head's job agent is still starting (Ray answers 500)."""
    deadline = time.monotonic() + 60
    while True:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        if "No available agent to submit job" not in done.stderr or time.monotonic() > deadline:
            return done
        time.sleep(2)


@pytest.mark.slow
def test_ray_job_submit_ships_the_working_dir_and_runs_generate(tmp_path):
    cluster = LocalCluster(worker_nodes=1)
    with cluster as printed:
        env = {**cluster.env, "RAY_AUTH_MODE": printed["RAY_AUTH_MODE"], "RAY_ADDRESS": printed["RAY_JOB_ADDRESS"]}
        uri = tmp_path / "ds"  # absolute: the job runs in a copy of the working dir, elsewhere
        job = [
            "ray", "job", "submit", "--working-dir", ".", "--",
            "python", "-m", "jobs.generate", "ray.address=auto", "ray.num_workers=2",
            "dataset.n_studies=8", "dataset.shard_size=2", "generator.shape=[48,48,48]",
            f"storage.uri={uri}", "--no-progress",
        ]  # fmt: skip
        done = submit(job, env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "8 studies in 4 shards written" in done.stdout and "succeeded" in done.stdout + done.stderr
        rows = catalog.open(str(uri)).query().to_pylist()
        assert [r["index"] for r in rows] == list(range(8))
        # The code that ran is the uploaded copy of this checkout, not the installed one.
        where = [*job[:6], "python", "-c", "import jobs.generate as g; print('RAN', g.__file__)"]
        done = submit(where, env)
        ran = done.stdout.split("RAN ", 1)[1].split()[0]
        assert "runtime_resources" in ran and not ran.startswith(str(REPO)), ran
