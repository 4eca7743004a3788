"""One maisi_ct study: each of its series sampled, the study judged by MAISI's quality check, and
redrawn with the noise of its next attempt until it passes or has used its redraws.

Every image (each series) is one latent, sampled on its own (`models.maisi_ct.sampler`).
"""

from __future__ import annotations

from collections.abc import Callable
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
    """One study: its label map and what its latest attempt gave."""

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


def sample_study(sampler: Sampler, job: Job, steps: int, max_redraws: int, tolerance_hu: float, noise: Noise) -> None:
    """Sample and judge `job`, redrawing it until it passed or used its redraws."""
    while True:
        draws = [_draw(sampler, job, k, noise) for k in range(len(job.names))]
        hus = [sampler.sample(draw, steps, job.plan, job.timing) for draw in draws]
        _judge(job, hus, tolerance_hu)
        if job.passed or job.attempt >= max_redraws:
            return
        job.attempt += 1


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
