"""The patient population generators share: the liver's fat."""

import numpy as np
import pytest

from models.errors import ParamError
from models.options import parse_params
from models.population import LIVER_PARAMS, LIVER_PDFF_MAX, draw_liver_pdff, liver_pdff


def test_liver_fat_is_drawn_as_the_uk_biobank_population_has_it():
    """Wilman et al. 2017, 4,949 adults: PDFF median 2.11 %, mean 3.91 %, skewed to high fat; the
    log-normal with that median and mean puts about a fifth above their 5.5 % cut-off."""
    rng = np.random.default_rng(0)
    pdff = np.array([draw_liver_pdff(rng) for _ in range(20000)])
    assert np.median(pdff) == pytest.approx(0.0211, rel=0.05)
    assert pdff.mean() == pytest.approx(0.0391, rel=0.08)
    assert 0.17 < (pdff > 0.055).mean() < 0.22
    assert pdff.min() > 0.0 and pdff.max() <= LIVER_PDFF_MAX


def test_a_set_liver_fat_is_kept_or_drawn_inside_its_bounds():
    rng = np.random.default_rng(1)
    assert liver_pdff(parse_params(LIVER_PARAMS, {"liver_pdff": 0.2}), rng) == 0.2
    bounded = [liver_pdff(parse_params(LIVER_PARAMS, {"liver_pdff": [0.1, 0.3]}), rng) for _ in range(50)]
    assert min(bounded) >= 0.1 and max(bounded) <= 0.3 and len(set(bounded)) > 1
    with pytest.raises(ParamError, match=r"liver_pdff"):
        parse_params(LIVER_PARAMS, {"liver_pdff": 0.9})
