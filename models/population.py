"""Who the studies' patients are, where more than one generator draws it: the liver's fat.

- [Wi] Wilman HR, Kelly M, Garratt S, et al. Characterisation of liver fat in the UK Biobank
  cohort. PLoS One 2017;12:e0172921: the liver's proton density fat fraction (PDFF) in 4,949
  participants aged 45-73, centred between 1 and 2 %, median 2.11 %, mean 3.91 %, skewed towards
  high fat. A study draws it as a log-normal with that median and mean (`draw_liver_pdff`), which
  puts 19 % of studies above the study's high-liver-fat cut-off of 5.5 %.

body_mr shows it as MR sees fat (`models.mr.tissue`), phantom_ct as CT does (`models.phantom_ct.tissue`);
both record it in the catalog column `liver_pdff`, and `generator.params.liver_pdff` fixes or bounds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from models.options import Param, Range, sample

# [Wi]: median 2.11 %, mean 3.91 %; a log-normal's mean over its median is exp(sigma^2 / 2).
LIVER_PDFF_MEDIAN = 0.0211
LIVER_PDFF_SIGMA = float(np.sqrt(2.0 * np.log(3.91 / 2.11)))  # 1.11
LIVER_PDFF_MAX = 0.5
# null: drawn from the population; a number or [lo, hi] fixes or bounds it.
LIVER_PARAMS: dict[str, Param] = {"liver_pdff": Range((0.0, LIVER_PDFF_MAX), None)}


def draw_liver_pdff(rng: np.random.Generator) -> float:
    """One adult's liver proton density fat fraction: log-normal with [Wi]'s median and mean."""
    return float(min(LIVER_PDFF_MEDIAN * np.exp(rng.normal(0.0, LIVER_PDFF_SIGMA)), LIVER_PDFF_MAX))


def liver_pdff(params: Mapping[str, Any], rng: np.random.Generator) -> float:
    """A study's liver fat: as `params["liver_pdff"]` sets it, else drawn from the population."""
    pdff = sample(LIVER_PARAMS, params, rng)["liver_pdff"]
    return round(draw_liver_pdff(rng) if pdff is None else pdff, 4)
