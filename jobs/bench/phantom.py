"""`python -m jobs.bench phantom`: what one phantom_ct study costs on one core.

Each size renders in a fresh process pinned to a single core (one torch thread, single-worker
FFTs), so seconds are one core's and the peak resident memory is the whole process's, imports
included: 256 x 256 x 192 (goal <= 3 s) and 512 x 512 x 256 (goal <= 15 s, <= 3 GiB).
"""

from __future__ import annotations

import json
import subprocess
import sys

from jobs.bench.report import Goal, Report

CHILD = """
import json, os, resource, sys, time
os.sched_setaffinity(0, {0})
import torch
torch.set_num_threads(1)
from models import GeneratorOptions, make_spec
from models.registry import create
shape, n = json.loads(sys.argv[1]), int(sys.argv[2])
g = create("phantom_ct", GeneratorOptions(shape=tuple(shape)))
specs = [make_spec(g, 0, i) for i in range(n)]
g.render(make_spec(g, 0, 1000), torch.device("cpu"))  # warm: first-call costs are not per study
started = time.perf_counter()
for spec in specs:
    g.render(spec, torch.device("cpu"))
print(json.dumps({"s_per_study": (time.perf_counter() - started) / n,
                  "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "regions": [s.params["body_region"] for s in specs]}))
"""
SIZES = {"256x256x192": [192, 256, 256], "512x512x256": [256, 512, 512]}


def run(quick: bool = False) -> Report:
    report = Report("phantom", notes={"one_core": True})
    for name, shape in SIZES.items():
        n = 1 if quick else (6 if shape[1] == 256 else 3)
        if quick:
            shape = [s // 4 for s in shape]
        result = json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps(shape), str(n)], capture_output=True, text=True, check=True
            ).stdout
        )
        report.metrics[f"render_s_{name}"] = result["s_per_study"]
        report.metrics[f"peak_gib_{name}"] = result["peak_gib"]
        report.notes[f"regions_{name}"] = result["regions"]
    voxels = {name: shape[0] * shape[1] * shape[2] for name, shape in SIZES.items()}
    per_voxel = {name: report.metrics[f"render_s_{name}"] / voxels[name] for name in SIZES}
    report.ratios["per_voxel_cost_512_over_256"] = per_voxel["512x512x256"] / per_voxel["256x256x192"]
    report.goals = [
        Goal("render_s_256x256x192", "<=", 3.0),
        Goal("render_s_512x512x256", "<=", 15.0),
        Goal("peak_gib_512x512x256", "<=", 3.0),
    ]
    return report
