"""`python -m jobs.bench phantom`: what one phantom_ct study costs on one core.

Each size renders in a fresh process pinned to a single core (`jobs.bench.onecore`), default
regions mixed: 256 x 256 x 192 (goal <= 3 s) and 512 x 512 x 256 (goal <= 15 s, <= 3 GiB).
"""

from __future__ import annotations

from jobs.bench.onecore import render_on_one_core
from jobs.bench.report import Goal, Report

SIZES = {"256x256x192": [192, 256, 256], "512x512x256": [256, 512, 512]}


def run(quick: bool = False) -> Report:
    report = Report("phantom", notes={"one_core": True})
    for name, shape in SIZES.items():
        n = 1 if quick else (6 if shape[1] == 256 else 3)
        if quick:
            shape = [s // 4 for s in shape]
        result = render_on_one_core("phantom_ct", shape, n)
        report.metrics[f"render_s_{name}"] = result["s_per_study"]
        report.metrics[f"peak_gib_{name}"] = result["peak_gib"]
    voxels = {name: shape[0] * shape[1] * shape[2] for name, shape in SIZES.items()}
    per_voxel = {name: report.metrics[f"render_s_{name}"] / voxels[name] for name in SIZES}
    report.ratios["per_voxel_cost_512_over_256"] = per_voxel["512x512x256"] / per_voxel["256x256x192"]
    report.goals = [
        Goal("render_s_256x256x192", "<=", 3.0),
        Goal("render_s_512x512x256", "<=", 15.0),
        Goal("peak_gib_512x512x256", "<=", 3.0),
    ]
    return report
