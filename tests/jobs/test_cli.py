"""The `medsynth` console script runs the same jobs: a real generation and query end to end."""

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import ray

from jobs import cli
from tests.conftest import REPO

CONSOLE = Path(sys.executable).parent / "medsynth"


@pytest.mark.slow
@pytest.mark.usefixtures("ray_session")
def test_generate_then_query_through_the_console_script(tmp_path):
    assert CONSOLE.exists() or shutil.which("medsynth"), "the medsynth console script is not installed"
    uri = tmp_path / "ct"
    gen = subprocess.run(
        [
            str(CONSOLE),
            "generate",
            "dataset.n_studies=4",
            "dataset.shard_size=2",
            "generator.shape=[32,48,48]",
            "generator.params.body_region=abdomen",
            f"storage.uri={uri}",
            "ray.num_workers=2",
            f"ray.address={ray.get_runtime_context().gcs_address}",  # the session's Ray, as a cluster
            "--no-progress",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert gen.returncode == 0, gen.stderr
    assert "4 studies in 2 shards written" in gen.stdout
    query = subprocess.run(
        [
            str(CONSOLE),
            "query",
            str(uri),
            "liver_ml > 0 AND body_region = 'abdomen'",
            "--format",
            "json",
            "--limit",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert query.returncode == 0, query.stderr
    rows = [json.loads(line) for line in query.stdout.splitlines()]
    assert len(rows) == 3 and all(r["liver_ml"] > 0 for r in rows)


def test_unknown_job_is_exit_2():
    result = subprocess.run([sys.executable, "-m", "jobs.cli", "fly"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and "usage: medsynth" in result.stderr


@pytest.mark.parametrize("job", ["generate", "train", "query"])
def test_ctrl_c_prints_the_jobs_own_line_and_exits_130(job, monkeypatch, capsys):
    module = importlib.import_module(f"jobs.{job}")

    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "main", interrupted)
    assert cli.main([job]) == 130
    said = capsys.readouterr().err.strip()
    assert said == getattr(module, "INTERRUPTED", "interrupted")
    assert ("--resume" in said) == (job == "train") and ("shards" in said) == (job == "generate")


def test_the_suite_runs_outside_the_checkout():
    import os
    from pathlib import Path

    assert not Path.cwd().is_relative_to(REPO)  # `./data/demo`, the default storage.uri, is not the demo's
    assert not Path(os.environ["MEDSYNTH_BENCH_TMP"]).is_relative_to(REPO)
