"""Sampling a group of maisi_ct studies in batches, each with its own quality-control redraws.

Every image of the group (each series of each study) is one latent to denoise. A round samples
the latents still owed, grouped by latent shape in batches of at most `batch`, in the group's
order; then each study's images are judged by MAISI's quality check. A study that fails is
redrawn in the next round with the noise of its next attempt, batched with the others that
failed, until it passes or has used its redraws. Because the sampler gives an image the same bits
in any batch (`models.maisi_ct.invariant`), a study's bytes are those of sampling it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models import series
from models.maisi_ct import qc
from models.maisi_ct.conditioning import from_maisi, spacing_to_maisi
from models.maisi_ct.networks import maisi_config
from models.maisi_ct.sampler import HU_MIN, Draw, Sampler, Timing
from models.maisi_ct.sizing import DecodePlan

Noise = Callable[[int, int, int], np.random.Generator]  # (seed, attempt, series index) -> its stream


@dataclass
class Job:
    """One study of the group: its label map and what its latest attempt gave."""

    seed: int
    params: dict[str, Any]
    label: np.ndarray  # (z, y, x), medsynth axes
    spacing: tuple[float, float, float]  # (z, y, x) mm
    label_xyz: np.ndarray  # MAISI axes
    plan: DecodePlan
    names: tuple[str, ...]  # the series (one: the study's modality code)
    attempt: int = 0
    images: list[np.ndarray] = field(default_factory=list)
    passed: bool = False
    failures: tuple[str, ...] = ()
    timing: Timing = field(default_factory=Timing)


def sample_group(
    sampler: Sampler, jobs: Sequence[Job], batch: int, steps: int, max_redraws: int, tolerance_hu: float, noise: Noise
) -> None:
    """Sample and judge every job, redrawing failures, until each passed or used its redraws."""
    owed = list(jobs)
    while owed:
        draws = [(job, k) for job in owed for k in range(len(job.names))]
        hus: dict[tuple[int, int], np.ndarray] = {}
        for chunk in _batches(sampler, draws, batch):
            made = sampler.sample_batch(
                [_draw(sampler, job, k, noise) for job, k in chunk],
                steps,
                chunk[0][0].plan,
                [job.timing for job, _ in chunk],
            )
            hus.update({(id(job), k): hu for (job, k), hu in zip(chunk, made, strict=True)})
        for job in owed:
            _judge(job, [hus[(id(job), k)] for k in range(len(job.names))], tolerance_hu)
        owed = [job for job in owed if not job.passed and job.attempt < max_redraws]
        for job in owed:
            job.attempt += 1


def _batches(sampler: Sampler, draws: list[tuple[Job, int]], batch: int) -> list[list[tuple[Job, int]]]:
    """The draws in order, grouped by latent shape and decode plan, cut into batches of `batch`."""
    kinds: dict[tuple[Any, ...], list[tuple[Job, int]]] = {}
    for job, k in draws:
        kinds.setdefault((sampler.latent_shape(job.label_xyz.shape), job.plan), []).append((job, k))
    return [same[i : i + batch] for same in kinds.values() for i in range(0, len(same), batch)]


def _draw(sampler: Sampler, job: Job, k: int, noise: Noise) -> Draw:
    shape = sampler.latent_shape(job.label_xyz.shape)
    latent = noise(job.seed, job.attempt, k).standard_normal(shape, dtype=np.float32)
    code = int(maisi_config("modality_mapping")[job.names[k]])
    return Draw(job.label_xyz, spacing_to_maisi(job.spacing), code, latent)


def _judge(job: Job, hus: list[np.ndarray], tolerance_hu: float) -> None:
    images = []
    for hu in hus:
        image = from_maisi(np.rint(hu).astype(np.int16))
        image[job.label == 0] = int(HU_MIN)
        images.append(image)
    job.images = series.moved(images, job.params, job.spacing)
    results = []
    for image in job.images:
        found = qc.check(image, job.label, tolerance_hu)
        results.append((found.passed, tuple(found.failures)))
    job.passed, job.failures = series.judged(results, job.params)
