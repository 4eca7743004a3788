"""`python -m jobs.bench mr`: what an MR study from tissue physics costs on one core.

In a fresh process pinned to one core, alternating study by study, three rounds (default sequence
mixes, one-off set-up done before timing):

- body_mr at 192 x 256 x 256 (goal <= 1.5 s per study) against phantom_ct on the same grid, the
  same patients and anatomy code: the ratio is what MR image formation costs over CT's;
- brain_mr `contrast=physics` at 1 mm, 176 x 208 x 176 (goal <= 1.5 s) against phantom_ct on
  that grid, and against brain_mr's own presets.

Peak memory of each MR generator alone, in a process of its own (goal <= 2 GiB; `--quick` reports
the timing processes' peaks instead).
"""

from __future__ import annotations

import json
import subprocess
import sys

from jobs.bench.report import Goal, Report
from models.body_mr.generator import DEFAULT_SHAPE as BODY_SHAPE
from models.brain_mr.generator import DEFAULT_SHAPE as BRAIN_SHAPE

CHILD = r"""
import json, os, re, statistics, sys, time
os.sched_setaffinity(0, {0})
import torch
torch.set_num_threads(1)
from models import GeneratorOptions, make_spec
from models.registry import create
cases, rounds = json.loads(sys.argv[1]), int(sys.argv[2])
cpu = torch.device("cpu")
built = {k: create(name, GeneratorOptions(shape=tuple(shape), params=p)) for k, (name, shape, p) in cases.items()}
for g in built.values():
    g.render(make_spec(g, 0, 1000), cpu)  # warm: templates, caches
times = {key: [] for key in built}
redraws = {key: 0 for key in built}
for i in range(rounds):
    for key, g in built.items():
        spec = make_spec(g, 0, i)
        t = time.perf_counter()
        study = g.render(spec, cpu)
        times[key].append(time.perf_counter() - t)
        redraws[key] += study.qc.redraws
peak_kib = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
seconds = {k: statistics.median(v) for k, v in times.items()}
print(json.dumps({"s": seconds, "redraws": redraws, "peak_gib": peak_kib / 2**20}))
"""
PHYSICS = {"contrast": "physics"}


def child(cases: dict[str, tuple[str, list[int], dict]], rounds: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cases), str(rounds)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def run(quick: bool = False) -> Report:
    body = [s // 4 for s in BODY_SHAPE] if quick else list(BODY_SHAPE)
    brain = [s // 4 for s in BRAIN_SHAPE] if quick else list(BRAIN_SHAPE)
    rounds = 1 if quick else 3
    report = Report("mr", notes={"one_core": True, "body_zyx": body, "brain_zyx": brain, "rounds": rounds})
    timed = child({"phantom_ct": ("phantom_ct", body, {}), "body_mr": ("body_mr", body, {})}, rounds)
    brains = child(
        {
            "phantom_ct": ("phantom_ct", brain, {}),
            "brain_physics": ("brain_mr", brain, PHYSICS),
            "brain_presets": ("brain_mr", brain, {}),
        },
        rounds,
    )
    m = report.metrics
    m["body_mr_s"], m["phantom_ct_body_grid_s"] = timed["s"]["body_mr"], timed["s"]["phantom_ct"]
    m["brain_physics_s"], m["phantom_ct_brain_grid_s"] = brains["s"]["brain_physics"], brains["s"]["phantom_ct"]
    m["brain_presets_s"] = brains["s"]["brain_presets"]
    m["qc_redraws"] = timed["redraws"]["body_mr"] + brains["redraws"]["brain_physics"]
    if quick:  # the timing processes' peaks (each also held another generator): checks that it runs
        m["peak_gib_body_mr"], m["peak_gib_brain_physics"] = timed["peak_gib"], brains["peak_gib"]
    else:
        m["peak_gib_body_mr"] = child({"body_mr": ("body_mr", body, {})}, 1)["peak_gib"]
        m["peak_gib_brain_physics"] = child({"brain_physics": ("brain_mr", brain, PHYSICS)}, 1)["peak_gib"]
    report.ratios["body_mr_over_phantom_ct"] = m["body_mr_s"] / m["phantom_ct_body_grid_s"]
    report.ratios["brain_physics_over_phantom_ct"] = m["brain_physics_s"] / m["phantom_ct_brain_grid_s"]
    report.ratios["brain_physics_over_presets"] = m["brain_physics_s"] / m["brain_presets_s"]
    report.goals = [
        Goal("body_mr_s", "<=", 1.5),
        Goal("brain_physics_s", "<=", 1.5),
        Goal("peak_gib_body_mr", "<=", 2.0),
        Goal("peak_gib_brain_physics", "<=", 2.0),
    ]
    return report
