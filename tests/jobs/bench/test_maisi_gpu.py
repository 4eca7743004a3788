"""`jobs.bench maisi_gpu`: its workers run without Ray, importing nothing the GPU machine lacks."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

# What the GPU machine of the device tool lacks (its Python has torch, numpy, scipy, pyarrow, fsspec,
# tensorstore; monai, zarr, numcodecs, nibabel and omegaconf travel as wheels): the GPU bench's
# no-Ray part must run without them.
ABSENT_ON_THE_GPU_MACHINE = ("ray", "duckdb", "nilearn", "s3fs", "highdicom", "pydicom", "neuroglancer")
BLOCKER = f"""
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {ABSENT_ON_THE_GPU_MACHINE!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (absent on the GPU machine)")
sys.meta_path.insert(0, Absent())
"""
REHEARSAL = """
import torch
from jobs.bench import maisi_gpu
from jobs.bench.report import Report
from pipeline.config.job import load

if __name__ == "__main__":
    cfg = load([], [*maisi_gpu.generator_overrides("tiny", 1), "generator.shape=[32,256,256]",
                    "dataset.n_studies=2", "dataset.shard_size=1", "storage.uri=" + sys.argv[1]])
    seconds, written = maisi_gpu.run_workers(cfg, 2)
    assert written == 2 and seconds > 0, (written, seconds)
    import os
    print(sorted(os.listdir(sys.argv[1] + "/catalog")))
"""


@pytest.mark.bench
def test_the_gpu_bench_runs_its_workers_without_ray(tmp_path):
    """`jobs.bench maisi_gpu` imports nothing the GPU machine lacks, in the parent and in the spawned
    worker processes, and its workers (the factory's without Ray) write and commit their shards."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCKER)
    script = tmp_path / "rehearse.py"
    script.write_text("import sys\n" + REHEARSAL)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{REPO}"}
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "ds")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "['part-000000.parquet', 'part-000001.parquet']" in result.stdout
    blocked = subprocess.run([sys.executable, "-c", "import ray"], env=env, capture_output=True, text=True, timeout=60)
    assert "absent on the GPU machine" in blocked.stderr  # the blocker itself works
