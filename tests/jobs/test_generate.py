"""The generate job from the command line: bad input is one line, exit 2, nothing written."""

import subprocess
import sys

import pytest

from tests.conftest import REPO


def run_job(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("dataset.n_studies=0", "dataset.n_studies"),
        ("dataset.n_studies=-1", "dataset.n_studies"),
        ("dataset.n_studies=abc", "dataset.n_studies"),
        ("dataset.shard_size=0", "dataset.shard_size"),
        ("generator.name=nope", "generator.name"),
        ("dataset.bogus=1", "dataset.bogus"),
        ("storage.uri=nosuch://x/y", "storage.uri"),
        ("generator.shape=[4,4,4]", "generator.shape"),
        ("generator.params.body_region=knee", "generator.params.body_region"),
        ("storage.codec=lzma", "storage.codec"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, override, field):
    target = tmp_path / "ds"
    result = run_job("jobs.generate", f"storage.uri={target}", override, "--no-progress")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}"), result.stderr
    assert not target.exists()


def test_missing_config_file(tmp_path):
    result = run_job("jobs.generate", "--config", str(tmp_path / "none.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr
