"""The benchmarks run and report what they promise (their numbers are checked by people, not here).

Each benchmark module has its test file here. Their smoke runs (`--quick`), and the GPU bench's
rehearsal without Ray, carry the `bench` mark: `make bench-smoke` runs them, and CI does, but
`make test` does not. What a benchmark relies on is checked by the unit tests of the code it
measures (objects per study: `tests/pipeline/run/test_sizing.py`; bytes a patch reads:
`tests/pipeline/stream/test_reader.py`)."""

import json
import subprocess
import sys

from tests.conftest import REPO


def bench(name: str, out) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `python -m jobs.bench NAME --quick` in a fresh process; its output and saved report."""
    result = subprocess.run(
        [sys.executable, "-m", "jobs.bench", name, "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result, json.loads((out / f"{name}.json").read_text())
