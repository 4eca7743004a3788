"""Benchmarks run and report what they promise (their numbers are checked by people, not here).

Their smoke runs (`--quick`), and the GPU bench's rehearsal without Ray, carry the `bench` mark:
`make bench-smoke` runs them, and CI does, but `make test` does not (they took about 4 of its 14
minutes). What a benchmark relies on is checked
by the unit tests of the code it measures (objects per study: `tests/pipeline/test_sizing.py`;
bytes a patch reads: `tests/pipeline/stream/test_dataset.py`)."""

import json
import os
import subprocess
import sys

import pytest

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


@pytest.mark.bench
def test_generate_benchmark_writes_its_report(tmp_path):
    result, report = bench("generate", tmp_path)
    assert "pipeline_2w_over_1w" in result.stdout
    assert set(report) >= {"metrics", "ratios", "goals", "machine"}
    assert report["machine"]["cores"] >= 1 and report["machine"]["python"].startswith("3.11")
    assert set(report["goals"]) == {
        "pipeline_1w_over_bare_render",
        "pipeline_2w_over_1w",
        "write_over_raw_zstd",
        "write_over_raw_same_codec",
        "worker_peak_rss_gib",
    }
    assert all(v > 0 for v in report["metrics"].values())


@pytest.mark.bench
def test_storage_benchmark_counts_objects_and_requests(tmp_path):
    _, report = bench("storage", tmp_path)
    assert report["metrics"]["s3_objects_per_study"] == 7 == report["metrics"]["local_objects_per_study"]
    # 7 objects per study, plus one manifest part per shard of 4 studies: nothing else (no HEAD, no LIST)
    assert report["metrics"]["s3_puts_per_study"] == 7.25
    assert report["notes"]["s3_requests"] == {"PutObject": 29}
    assert set(report["ratios"]) == {"local_pipeline_over_raw", "tmpfs_pipeline_over_raw", "s3_pipeline_over_raw"}


@pytest.mark.bench
def test_stream_benchmark_reports_its_ratios(tmp_path):
    _, report = bench("stream", tmp_path)
    assert set(report["ratios"]) == {"stream_over_nifti_monai", "bytes_read_over_overlapped", "loader_2w_over_1w"}
    assert 1.0 <= report["ratios"]["bytes_read_over_overlapped"] < 1.5  # reads are exactly the chunks (and index)
    assert report["metrics"]["rss_growth_mib"] < 100


@pytest.mark.bench
def test_phantom_benchmark_measures_both_sizes_on_one_core(tmp_path):
    _, report = bench("phantom", tmp_path)
    assert set(report["goals"]) == {"render_s_256x256x192", "render_s_512x512x256", "peak_gib_512x512x256"}
    assert all(v > 0 for v in report["metrics"].values())


@pytest.mark.bench
def test_brain_benchmark_times_one_core(tmp_path):
    _, report = bench("brain", tmp_path)
    assert set(report["goals"]) == {"render_s_1mm", "peak_gib_1mm"}
    assert report["metrics"]["render_s_1mm"] > 0 and report["metrics"]["template_setup_s"] > 0


@pytest.mark.bench
def test_mr_benchmark_times_both_mr_generators_against_phantom_ct(tmp_path):
    _, report = bench("mr", tmp_path)
    assert set(report["goals"]) == {"body_mr_s", "brain_physics_s", "peak_gib_body_mr", "peak_gib_brain_physics"}
    assert set(report["ratios"]) == {
        "body_mr_over_phantom_ct",
        "brain_physics_over_phantom_ct",
        "brain_physics_over_presets",
    }
    assert all(v > 0 for v in report["ratios"].values())


@pytest.mark.bench
def test_maisi_benchmark_checks_its_cost_model(tmp_path):
    _, report = bench("maisi", tmp_path)
    assert set(report["goals"]) == {"cost_model_error", "decode_ours_140g_error_over_maisi_default_256x256x32"}
    assert report["metrics"]["tiny_step_s_256x256x32"] > 0 and report["metrics"]["tiny_decode_s_256x256x32"] > 0
    assert report["notes"]["decode_plan_ours_140g"] == "peaks_140g_64x64x8"
    assert report["ratios"]["step_speedup_vs_maisi_loop_256x256x32"] > 0


@pytest.mark.bench
def test_scale_benchmark_reports_queries_planning_and_the_cluster_path(tmp_path):
    _, report = bench("scale", tmp_path)
    assert set(report["goals"]) == {
        "query_selective_s_compacted",
        "query_aggregate_s_compacted",
        "selective_ours_over_duckdb_direct",
        "aggregate_ours_over_duckdb_direct",
        "plan_s",
        "plan_peak_gib",
        "two_nodes_over_local",
    }
    assert report["notes"]["studies"] == 20_000 and report["metrics"]["compacted_files"] == 1
    assert report["metrics"]["two_nodes_studies_per_s"] > 0 and report["metrics"]["plan_peak_gib"] > 0.05


@pytest.mark.bench
def test_export_benchmark_measures_every_format_against_render(tmp_path):
    _, report = bench("export", tmp_path)
    for name in ("ct", "brain"):
        for way in ("nifti", "dicom_binary", "dicom_labelmap", "dicom_labelmap_jpegls"):
            assert report["metrics"][f"{name}_{way}_s_per_study"] > 0
            assert report["ratios"][f"{name}_{way}_bytes_over_omezarr"] > 0.5
        assert report["metrics"][f"{name}_report_s"] > 0


@pytest.mark.bench
def test_series_benchmark_times_four_series_against_one_and_streams_two_against_one(tmp_path):
    _, report = bench("series", tmp_path)
    assert set(report["goals"]) == {"four_over_one_time", "two_over_one_patches_per_s"}
    ratios = report["ratios"]
    assert set(ratios) == {
        "four_over_one_time",
        "four_over_one_render",
        "four_over_one_bytes",
        "two_over_one_patches_per_s",
    }
    assert 3.0 < ratios["four_over_one_bytes"] < 4.5  # four images, one label map
    assert all(v > 0 for v in ratios.values())


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
from pipeline.config import load

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
