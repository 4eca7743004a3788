"""A render judged by quality control, redrawn on failure: the loop every procedural generator runs.

Attempt k draws from the study's render stream with `attempt=k` (`models.base.study_rng`), so a
redraw is as deterministic as the first draw and a study regenerates from its row. After
`MAX_REDRAWS` failed redraws the last attempt is kept and its QC says it failed, with why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from models.base import QC, RENDER_STREAM, study_rng

MAX_REDRAWS = 3
T = TypeVar("T")
Attempt = Callable[[np.random.Generator], tuple[T, bool, tuple[str, ...]]]


def until_passed(seed: int, attempt: Attempt[T]) -> tuple[T, QC]:
    """Run `attempt` on the render stream of study `seed` until it passes QC or the redraws run out;
    `attempt(rng)` returns (its result, whether QC passed, the failures)."""
    for redraws in range(MAX_REDRAWS + 1):
        result, passed, failures = attempt(study_rng(seed, RENDER_STREAM, redraws))
        if passed:
            break
    return result, QC(passed, redraws, tuple(failures))
