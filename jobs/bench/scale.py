"""`python -m jobs.bench scale`: the catalog at a million studies, planning, and the cluster path.

1. A rows-only dataset of 1,000,000 studies in parts of 64 (15,625 parts; `jobs.bench.synthetic`).
2. A selective query (abdomen studies in the top 0.1 % of liver volume, every column) and an
   aggregate (count, mean liver volume, median age by body region and contrast) through
   `pipeline.catalog`, before compaction and after it; after, also DuckDB reading the same
   compacted files directly with no sandbox, as the baseline (goals: under 1 s, within 1.5x).
3. `python -m jobs.plan` for the million studies against that dataset, in a fresh process: wall
   time and peak memory (goals: under 5 s, under 1 GiB).
4. jobs.generate throughput on a one-node and a two-node Ray cluster on this machine (each node
   one CPU, `infra/local/cluster.sh`) and on the local path (a local Ray with both cores): the
   cluster path against the local one (goal >= 0.9).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from infra.local.cluster import LocalCluster
from jobs.bench import synthetic
from jobs.bench.report import RESULTS, Goal, Report
from pipeline import catalog
from pipeline.catalog import compaction

REPO = RESULTS.parents[1]
SHARD = 64
AGGREGATES = "count(*) AS n, avg(liver_ml) AS liver_ml, median(age) AS age"
GROUPS = ["body_region", "contrast"]


def run(quick: bool = False) -> Report:
    n = 20_000 if quick else 1_000_000
    report = Report("scale", notes={"studies": n, "shard_size": SHARD})
    work = Path(tempfile.mkdtemp(prefix="medsynth-scale-"))
    try:
        catalog_and_planning(report, work / "rows", n)
        # Quick: small studies, so the cluster path is checked in seconds, not measured.
        cluster(report, work, 4, ["generator.shape=[48,64,64]"]) if quick else cluster(report, work, 24, [])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.goals = [
        Goal("query_selective_s_compacted", "<=", 1.0),
        Goal("query_aggregate_s_compacted", "<=", 1.0),
        Goal("selective_ours_over_duckdb_direct", "<=", 1.5),
        Goal("aggregate_ours_over_duckdb_direct", "<=", 1.5),
        Goal("plan_s", "<=", 5.0),
        Goal("plan_peak_gib", "<=", 1.0),
        Goal("two_nodes_over_local", ">=", 0.9),
    ]
    return report


def catalog_and_planning(report: Report, root: Path, n: int) -> None:
    started = time.perf_counter()
    synthetic.build(root, n, SHARD)
    report.metrics["build_s"] = time.perf_counter() - started
    cat = catalog.open(str(root))
    liver = cat.aggregate("quantile_cont(liver_ml, 0.999) AS q").column("q")[0].as_py()
    selective = f"body_region = 'abdomen' AND liver_ml > {liver:.3f}"
    report.notes["selective"] = selective
    report.metrics["query_selective_s_parts"] = seconds(lambda: cat.query(selective))
    report.metrics["query_aggregate_s_parts"] = seconds(lambda: cat.aggregate(AGGREGATES, GROUPS))
    report.metrics["plan_s_parts"], report.metrics["plan_peak_gib_parts"] = plan_process(root, n)

    started = time.perf_counter()
    result = compaction.compact(cat)
    report.metrics["compact_s"] = time.perf_counter() - started
    report.metrics["compacted_files"] = result.files
    report.metrics["compacted_mib"] = result.bytes / 2**20
    files = [str(root / f) for f in cat.sources().compacted]
    direct = duckdb.connect()
    source, group = f"read_parquet({files})", ", ".join(GROUPS)
    direct_selective = f"SELECT * FROM {source} WHERE {selective} ORDER BY index"
    direct_aggregate = f"SELECT {group}, {AGGREGATES} FROM {source} GROUP BY {group} ORDER BY {group}"
    runs: dict[str, list[float]] = {k: [] for k in ("ours_sel", "direct_sel", "ours_agg", "direct_agg")}
    rows = {}
    for _ in range(5):  # alternating, so drift in the machine's state hits both alike
        runs["ours_sel"].append(seconds(lambda: rows.setdefault("ours", cat.query(selective))))
        runs["direct_sel"].append(seconds(lambda: direct.sql(direct_selective).to_arrow_table()))
        runs["ours_agg"].append(seconds(lambda: cat.aggregate(AGGREGATES, GROUPS)))
        runs["direct_agg"].append(seconds(lambda: direct.sql(direct_aggregate).to_arrow_table()))
    report.notes["selective_rows"] = rows["ours"].num_rows
    med = {k: statistics.median(v) for k, v in runs.items()}
    report.metrics["query_selective_s_compacted"] = med["ours_sel"]
    report.metrics["query_aggregate_s_compacted"] = med["ours_agg"]
    report.metrics["duckdb_direct_selective_s"] = med["direct_sel"]
    report.metrics["duckdb_direct_aggregate_s"] = med["direct_agg"]
    report.ratios["selective_ours_over_duckdb_direct"] = med["ours_sel"] / med["direct_sel"]
    report.ratios["aggregate_ours_over_duckdb_direct"] = med["ours_agg"] / med["direct_agg"]
    report.ratios["selective_parts_over_compacted"] = report.metrics["query_selective_s_parts"] / med["ours_sel"]
    report.ratios["aggregate_parts_over_compacted"] = report.metrics["query_aggregate_s_parts"] / med["ours_agg"]
    report.metrics["plan_s"], report.metrics["plan_peak_gib"] = plan_process(root, n)


def seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def plan_process(root: Path, n: int) -> tuple[float, float]:
    """`python -m jobs.plan` for `n` studies against `root`, in a fresh process: seconds, peak GiB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forking (large) parent.
    code = (
        "import re, runpy, sys\n"
        f"sys.argv = ['jobs.plan', 'dataset.n_studies={n}', 'dataset.shard_size={SHARD}', 'storage.uri={root}']\n"
        "try:\n    runpy.run_module('jobs.plan', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('PEAK', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    if done.returncode != 0 or "PEAK" not in done.stdout or "shards committed" not in done.stdout:
        raise RuntimeError(f"jobs.plan failed: {done.stdout[-500:]} {done.stderr[-2000:]}")
    peak_kib = int(done.stdout.rsplit("PEAK", 1)[1].split()[0])
    return wall, peak_kib / 2**20


def cluster(report: Report, work: Path, n: int, overrides: list[str]) -> None:
    """Studies/s of the same job on the local path, one Ray node and two (one CPU each)."""
    args = [f"dataset.n_studies={n}", "dataset.shard_size=2", *overrides]
    report.metrics["local_2cpu_studies_per_s"] = generate(work / "local", [*args, "ray.num_workers=2"], {})
    for nodes, workers in (("one_node", 1), ("two_nodes", 2)):
        with LocalCluster(worker_nodes=workers - 1) as env:
            report.metrics[f"{nodes}_studies_per_s"] = generate(
                work / nodes, [*args, "ray.address=auto", f"ray.num_workers={workers}"], env
            )
    report.ratios["two_nodes_over_local"] = (
        report.metrics["two_nodes_studies_per_s"] / report.metrics["local_2cpu_studies_per_s"]
    )
    report.ratios["two_nodes_over_one_node"] = (
        report.metrics["two_nodes_studies_per_s"] / report.metrics["one_node_studies_per_s"]
    )


def generate(uri: Path, args: list[str], env: dict[str, str]) -> float:
    full = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_AUTH_MODE")} | env
    command = [sys.executable, "-m", "jobs.generate", f"storage.uri={uri}", *args, "--no-progress"]
    done = subprocess.run(command, cwd=REPO, env=full, capture_output=True, text=True, timeout=900)
    match = re.search(r"([\d.]+) studies/s", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"jobs.generate failed: {done.stdout[-500:]} {done.stderr[-2000:]}")
    return float(match.group(1))
