"""A maisi_ct study judged by MAISI's quality check and redrawn with its next attempt's noise:
every redraw taken while it fails, none once it passes, the same redraws every time."""

import numpy as np

from models.base import QC
from tests.models.maisi_ct.test_generator import CPU, generator, rendered


def test_failed_quality_control_redraws_the_noise_reproducibly():
    """Random weights never pass MAISI's organ medians: every redraw is taken, each new noise."""
    _, spec, first = rendered()
    assert (first.qc.passed, first.qc.redraws) == (False, 0)
    assert first.qc.failures and all(" median " in f for f in first.qc.failures)
    g = generator(max_redraws=1)
    redrawn = g.render(spec, CPU)
    assert redrawn.qc.redraws == 1 and not redrawn.qc.passed
    assert np.array_equal(redrawn.label, first.label) and not np.array_equal(redrawn.image, first.image)
    assert np.array_equal(g.render(spec, CPU).image, redrawn.image)


def test_a_study_that_passes_is_not_redrawn():
    _, spec, first = rendered()
    passed = generator(max_redraws=3, qc_tolerance_hu=2000.0).render(spec, CPU)
    assert passed.qc == QC(True, 0, ())
    assert np.array_equal(passed.image, first.image)
