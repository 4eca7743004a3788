"""The generate job as a real process: bad input is one line and exit code 2 with nothing written
(the full table of bad input is test_bad_input.py), and credentials never reach any output."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import s3fs

from tests.conftest import REPO


def run_job(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


# One case through the console process itself (its exit code and stderr); every other case of bad
# input runs in-process with the same `main` and exit mapping, in test_bad_input.py's table.
@pytest.mark.parametrize(("override", "field"), [("dataset.n_studies=abc", "dataset.n_studies")])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, override, field):
    target = tmp_path / "ds"
    result = run_job("jobs.generate", f"storage.uri={target}", override, "--no-progress")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}"), result.stderr
    assert not target.exists()


@pytest.mark.slow
def test_credentials_never_reach_any_output(s3, tmp_path):
    """Fake credentials in the environment and in storage.options; none may appear in the bucket
    (dataset.json, parts, study metadata, chunks), the job's output or its Ray session logs."""
    from tests.conftest import FAKE_KEY_ID, FAKE_SECRET

    option_key, option_secret = "OPTIONKEYID00042", "option-secret-never-written"
    ray_tmp = tempfile.mkdtemp(prefix="msr-", dir="/tmp")
    env = {**os.environ, "RAY_TMPDIR": ray_tmp}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobs.generate",
            "dataset.n_studies=2",
            "dataset.shard_size=1",
            "generator.shape=[32,32,32]",
            *s3.overrides("secret"),
            f"storage.options.key={option_key}",
            f"storage.options.secret={option_secret}",
            "--no-progress",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    try:
        assert result.returncode == 0, result.stderr
        fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
        outputs = {path: fs.cat_file(path) for path in fs.find(f"{s3.bucket}/secret")}
        assert any(p.endswith("dataset.json") for p in outputs) and any(p.endswith(".parquet") for p in outputs)
        outputs["stdout"], outputs["stderr"] = result.stdout.encode(), result.stderr.encode()
        for log in Path(ray_tmp).rglob("*"):
            if log.is_file() and log.suffix in (".log", ".out", ".err", ".txt", ".json"):
                outputs[str(log)] = log.read_bytes()
        assert len(outputs) > 20
        for secret in (FAKE_KEY_ID, FAKE_SECRET, option_key, option_secret):
            leaks = [name for name, data in outputs.items() if secret.encode() in data]
            assert not leaks, f"{secret} leaked into {leaks}"
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)


def test_overrides_after_an_option_count_as_before_it(tmp_path):
    from jobs.generate import parse_args

    args = parse_args(["dataset.n_studies=2", "--no-progress", f"storage.uri={tmp_path}"])
    assert args.no_progress and args.overrides == ["dataset.n_studies=2", f"storage.uri={tmp_path}"]


def test_a_ray_address_nothing_answers_at_fails_in_seconds(tmp_path):
    started = time.monotonic()
    result = run_job("jobs.generate", f"storage.uri={tmp_path / 'ds'}", "ray.address=127.0.0.1:1", "--no-progress")
    assert result.returncode == 2 and time.monotonic() - started < 30, result.stderr
    assert (
        result.stderr.strip() == "error: ray.address: nothing answers at 127.0.0.1:1 ([Errno 111] Connection refused)"
    )
    assert not (tmp_path / "ds").exists()


def test_a_billion_studies_plan_in_seconds():
    started = time.monotonic()
    result = run_job("jobs.plan", "dataset.n_studies=1000000000", "dataset.shard_size=1", "--format", "json")
    assert result.returncode == 0 and time.monotonic() - started < 60, result.stderr
    assert '"shards": 1000000000' in result.stdout
