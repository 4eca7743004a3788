"""Rendering a run of studies, with each study's CPU preparation done ahead of time, in batches
where the generator renders several at once.

A generator may be `Preparing` (`models.base`): `prepare(spec)` is the CPU work of a study that needs no device (for
`maisi_ct`, drawing the label map its GPU sampling is conditioned on). `render_in_order` prepares
the next group of studies on a background thread while the current group renders, so a GPU is not
left waiting for the CPU between studies. `prepare` must be thread-safe and leave its result where
`render` finds it; `render` must also work for a spec that was never prepared. A `Batching`
generator with `batch` > 1 renders consecutive groups of that many studies together; a study's
bytes do not depend on its group, so a shard may be cut anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from models.base import Batching, Generator, Preparing, Study, StudySpec


def batch_size(generator: Generator) -> int:
    """How many studies `generator` renders at once (1 unless it is `Batching`)."""
    return int(generator.batch) if isinstance(generator, Batching) else 1


def render_in_order(
    generator: Generator, specs: Sequence[StudySpec], device: torch.device
) -> Iterator[tuple[StudySpec, Study, float]]:
    """Yield (spec, study, seconds rendering it) in order; preparation overlaps the previous render.
    A study rendered in a group is given an equal share of the group's seconds."""
    size = batch_size(generator)
    groups = [list(specs[i : i + size]) for i in range(0, len(specs), size)]
    if not isinstance(generator, Preparing):
        for group in groups:
            yield from _rendered(generator, group, device, time.perf_counter())
        return
    with ThreadPoolExecutor(1, thread_name_prefix="medsynth-prepare") as pool:

        def prepare(group: list[StudySpec]) -> None:
            for spec in group:
                generator.prepare(spec)

        ahead: Future[None] | None = pool.submit(prepare, groups[0]) if groups else None
        for i, group in enumerate(groups):
            started = time.perf_counter()  # waiting for the preparation counts as rendering
            ahead.result()  # type: ignore[union-attr]  # raises what preparing raised
            ahead = pool.submit(prepare, groups[i + 1]) if i + 1 < len(groups) else None
            yield from _rendered(generator, group, device, started)


def _rendered(
    generator: Generator, group: list[StudySpec], device: torch.device, started: float
) -> Iterator[tuple[StudySpec, Study, float]]:
    alone = len(group) == 1
    studies = [generator.render(group[0], device)] if alone else generator.render_batch(group, device)  # type: ignore[attr-defined]
    seconds = (time.perf_counter() - started) / len(group)
    for spec, study in zip(group, studies, strict=True):
        yield spec, study, seconds
