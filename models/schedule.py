"""Rendering a run of studies, with each study's CPU preparation done ahead of time.

A generator may be `Preparing` (`models.base`): `prepare(spec)` is the CPU work of a study that
needs no device (for `maisi_ct`, drawing the label map its GPU sampling is conditioned on).
`render_in_order` prepares the next study on a background thread while the current one renders,
so a GPU is not left waiting for the CPU between studies. `prepare` must be thread-safe and leave
its result where `render` finds it; `render` must also work for a spec that was never prepared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from models.base import Generator, Preparing, Study, StudySpec


def render_in_order(
    generator: Generator, specs: Sequence[StudySpec], device: torch.device
) -> Iterator[tuple[StudySpec, Study, float]]:
    """Yield (spec, study, seconds rendering it) in order; preparation overlaps the previous render."""
    if not isinstance(generator, Preparing):
        for spec in specs:
            started = time.perf_counter()
            study = generator.render(spec, device)
            yield spec, study, time.perf_counter() - started
        return
    with ThreadPoolExecutor(1, thread_name_prefix="medsynth-prepare") as pool:
        ahead: Future[None] | None = pool.submit(generator.prepare, specs[0]) if specs else None
        for i, spec in enumerate(specs):
            started = time.perf_counter()  # waiting for the preparation counts as rendering
            ahead.result()  # type: ignore[union-attr]  # raises what preparing raised
            ahead = pool.submit(generator.prepare, specs[i + 1]) if i + 1 < len(specs) else None
            study = generator.render(spec, device)
            yield spec, study, time.perf_counter() - started
