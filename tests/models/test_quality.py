"""A render judged by QC and redrawn on failure, deterministically, as every procedural generator does."""

import numpy as np

from models.base import QC, RENDER_STREAM, study_rng
from models.quality import MAX_REDRAWS, until_passed


def test_attempt_k_draws_from_redraw_k_and_the_first_pass_is_kept():
    seen = []

    def attempt(rng: np.random.Generator):
        seen.append(rng.random())
        k = len(seen) - 1
        return f"attempt {k}", k == 2, () if k == 2 else (f"failure {k}",)

    result, qc = until_passed(7, attempt)
    assert (result, qc) == ("attempt 2", QC(True, 2, ()))
    assert seen == [study_rng(7, RENDER_STREAM, k).random() for k in range(3)]


def test_the_last_attempt_is_kept_and_marked_failed_when_the_redraws_run_out():
    calls = []

    def attempt(rng: np.random.Generator):
        calls.append(1)
        return len(calls), False, (f"liver out of range ({len(calls)})",)

    result, qc = until_passed(7, attempt)
    assert len(calls) == MAX_REDRAWS + 1 and result == MAX_REDRAWS + 1
    assert qc == QC(False, MAX_REDRAWS, (f"liver out of range ({MAX_REDRAWS + 1})",))
