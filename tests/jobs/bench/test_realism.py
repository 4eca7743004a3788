"""`jobs.bench realism` in a clone without the real cases: one line naming what is missing, exit 2."""

import os
import subprocess
import sys

from tests.conftest import REPO


def test_the_realism_benchmark_without_its_real_cases_is_one_line_and_exit_2(tmp_path):
    """A user's clone has no ../shared: the benchmark names what is missing, and writes nothing."""
    env = {**os.environ, "MEDSYNTH_REAL_DATA": str(tmp_path / "absent")}
    result = subprocess.run(
        [sys.executable, "-m", "jobs.bench", "realism", "--quick", "--out", str(tmp_path / "out")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    missing = tmp_path / "absent" / "ct" / "example_ct_sm.nii.gz"
    assert result.stderr.strip().splitlines() == [
        f"error: MEDSYNTH_REAL_DATA: jobs.bench realism needs the real cases, {missing} is missing"
    ]
    assert not (tmp_path / "out").exists()
