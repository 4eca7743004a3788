"""`python -m jobs.bench brain`: what one brain_mr study costs on one core at 1 mm.

Renders at the default 176 x 208 x 176 (1 mm) in a fresh process pinned to a single core
(`jobs.bench.onecore`): seconds per study (goal <= 3 s) and peak memory (goal <= 2 GiB). The
template's one-off derivation is done before timing; it is measured on its own.
"""

from __future__ import annotations

import time

from jobs.bench.onecore import render_on_one_core
from jobs.bench.report import Goal, Report
from models.brain_mr.generator import DEFAULT_SHAPE


def run(quick: bool = False) -> Report:
    shape = [s // 2 for s in DEFAULT_SHAPE] if quick else list(DEFAULT_SHAPE)
    report = Report("brain", notes={"shape_zyx": shape, "spacing_mm": 1.0 if not quick else 2.0})
    started = time.perf_counter()
    from models.brain_mr.template import template

    template()
    report.metrics["template_setup_s"] = time.perf_counter() - started
    result = render_on_one_core("brain_mr", shape, 2 if quick else 8)
    report.metrics["render_s_1mm"] = result["s_per_study"]
    report.metrics["peak_gib_1mm"] = result["peak_gib"]
    report.goals = [Goal("render_s_1mm", "<=", 3.0), Goal("peak_gib_1mm", "<=", 2.0)]
    return report
