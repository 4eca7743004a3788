"""`python -m jobs.bench series`: what a study of four series costs against one of one.

Same run, same patients:
- a 4-phase phantom_ct study (non-contrast, arterial, portal venous, delayed) against the
  single-series study at 192 x 256 x 256, one core, alternating study by study, three rounds:
  the time a worker spends on it (render, per-series measurements, OME-Zarr encoding; goal
  <= 1.6x, since the anatomy is drawn once) and its stored bytes (expected about 4x);
- 96^3 patches/s from StudyStream with 2 series stacked against 1 series, from the same 4-series
  studies (goal >= 0.5x: no worse than reading twice), alternating, three pairs.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from jobs.bench.report import WORKDIR, Goal, Report
from jobs.bench.stream import make_dataset
from models.phantom_ct.generator import DEFAULT_SHAPE
from pipeline.stream import StudyStream

PHASES = ("non_contrast", "arterial", "portal_venous", "delayed")
PATCH = (96, 96, 96)
REPEATS = 3

CHILD = r"""
import json, os, re, statistics, sys, time
os.sched_setaffinity(0, {0})
import torch
torch.set_num_threads(1)
from models import GeneratorOptions, make_spec
from models.registry import create
from pipeline.store.omezarr import IMAGE_PATH, LABEL_PATH, Encoding, encode_study, stored_bytes
from pipeline.run.worker import admit_study
shape, rounds, phases = json.loads(sys.argv[1]), int(sys.argv[2]), tuple(json.loads(sys.argv[3]))
params = {"body_region": "abdomen"}
cases = {"one": None, "four": phases}
built = {
    k: create("phantom_ct", GeneratorOptions(shape=tuple(shape), params=params, series=s)) for k, s in cases.items()
}
cpu, encoding = torch.device("cpu"), Encoding()
def one_study(key, g, i):
    spec = make_spec(g, 0, i)
    t0 = time.perf_counter()
    study = g.render(spec, cpu)
    t1 = time.perf_counter()
    admit_study(spec, study, g.label_dict, cases[key] or ())
    objects = encode_study(spec.study_id, study, g.label_dict, encoding, {})
    t2 = time.perf_counter()
    return t1 - t0, t2 - t0, stored_bytes(objects, IMAGE_PATH) + stored_bytes(objects, LABEL_PATH), study.qc.redraws
for key, g in built.items():
    one_study(key, g, 1000)  # warm
render, total, stored, redraws = ({k: [] for k in built} for _ in range(4))
for i in range(rounds):
    for key, g in built.items():
        r, t, b, q = one_study(key, g, i)
        render[key].append(r); total[key].append(t); stored[key].append(b); redraws[key].append(q)
peak_kib = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
med = lambda d: {k: statistics.median(v) for k, v in d.items()}
counts = {k: sum(v) for k, v in redraws.items()}
out = {"render_s": med(render), "total_s": med(total), "bytes": med(stored), "redraws": counts}
print(json.dumps({**out, "peak_gib": peak_kib / 2**20}))
"""


def run(quick: bool = False) -> Report:
    shape = [s // 4 for s in DEFAULT_SHAPE] if quick else list(DEFAULT_SHAPE)
    rounds = 1 if quick else 3
    report = Report("series", notes={"one_core": True, "shape_zyx": shape, "rounds": rounds, "series": list(PHASES)})
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(shape), str(rounds), json.dumps(PHASES)],
        capture_output=True,
        text=True,
        check=True,
    )
    timed = json.loads(done.stdout)
    m = report.metrics
    m["four_series_s"], m["one_series_s"] = timed["total_s"]["four"], timed["total_s"]["one"]
    m["four_series_render_s"], m["one_series_render_s"] = timed["render_s"]["four"], timed["render_s"]["one"]
    m["four_series_bytes"], m["one_series_bytes"] = timed["bytes"]["four"], timed["bytes"]["one"]
    m["qc_redraws"] = sum(timed["redraws"].values())
    m["peak_gib"] = timed["peak_gib"]
    report.ratios["four_over_one_time"] = m["four_series_s"] / m["one_series_s"]
    report.ratios["four_over_one_render"] = m["four_series_render_s"] / m["one_series_render_s"]
    report.ratios["four_over_one_bytes"] = m["four_series_bytes"] / m["one_series_bytes"]

    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    torch.set_num_threads(1)
    try:
        n_studies = 2 if quick else 4
        series = f"generator.series=[{','.join(PHASES)}]"
        uri = make_dataset(workdir / "ds", n_studies, shape, series, "generator.params.body_region=abdomen")
        patch = tuple(min(p, n) for p, n in zip(PATCH, shape, strict=True))
        per_study = 2 if quick else 8
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(1 if quick else REPEATS):  # alternating: this machine's speed drifts
            for n in (1, 2):
                rates[n].append(_stream_rate(uri, PHASES[:n], patch, per_study, n_studies))
        m["one_series_patches_per_s"] = statistics.median(rates[1])
        m["two_series_patches_per_s"] = statistics.median(rates[2])
        report.notes["patch"] = list(patch)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.ratios["two_over_one_patches_per_s"] = m["two_series_patches_per_s"] / m["one_series_patches_per_s"]
    report.goals = [
        Goal("four_over_one_time", "<=", 1.6),
        Goal("two_over_one_patches_per_s", ">=", 0.5),
    ]
    return report


def _stream_rate(uri: str, series: tuple[str, ...], patch: tuple[int, ...], per_study: int, n_studies: int) -> float:
    stream = StudyStream(uri, series=series, patch_size=patch, patches_per_study=per_study)
    started = time.perf_counter()
    count = sum(1 for _ in stream)
    return count / (time.perf_counter() - started) if count == per_study * n_studies else float("nan")
