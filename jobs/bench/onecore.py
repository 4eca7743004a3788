"""Render timing on one core: a fresh process pinned to a single core (one torch thread,
single-worker FFTs), so seconds are one core's and peak memory is the whole process's."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

CHILD = r"""
import json, os, re, sys, time
os.sched_setaffinity(0, {0})
import torch
torch.set_num_threads(1)
from models import GeneratorOptions, make_spec
from models.registry import create
name, shape, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
g = create(name, GeneratorOptions(shape=tuple(shape)))
g.render(make_spec(g, 0, 1000), torch.device("cpu"))  # warm: one-off set-up is not a per-study cost
specs = [make_spec(g, 0, i) for i in range(n)]
started = time.perf_counter()
for spec in specs:
    g.render(spec, torch.device("cpu"))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forking parent.
peak_kib = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"s_per_study": (time.perf_counter() - started) / n, "peak_gib": peak_kib / 2**20}))
"""


def render_on_one_core(generator: str, shape: list[int], n: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, generator, json.dumps(shape), str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)
