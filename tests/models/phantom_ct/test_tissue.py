"""Tissue HU: published ranges by phase and age, and the random (SynthSeg-style) appearance."""

import numpy as np
import torch

from models import GeneratorOptions, make_spec
from models.phantom_ct.tissue import (
    BONE_AGE,
    BONE_LOSS_HU_PER_YEAR,
    RANDOM_HU,
    TISSUE_INDEX,
    TISSUES,
    random_appearance,
    sample_phases,
)
from models.registry import create


def test_trabecular_bone_loses_its_published_rate_with_age():
    young = sample_phases(("non_contrast",), BONE_AGE, np.random.default_rng(1))[0]
    old = sample_phases(("non_contrast",), BONE_AGE + 40, np.random.default_rng(1))[0]
    loss = young[TISSUE_INDEX["cancellous"]] - old[TISSUE_INDEX["cancellous"]]
    assert np.isclose(loss, 40 * BONE_LOSS_HU_PER_YEAR)
    same = [i for i, t in enumerate(TISSUES) if t.name not in ("cancellous", "vertebral_cortex")]
    assert np.array_equal(young[same], old[same])


def test_random_appearance_draws_every_tissue_but_air_anew():
    tables, texture = random_appearance(2, np.random.default_rng(0))
    assert len(tables) == 2 and texture.shape == (len(TISSUES),)
    for hu in tables:
        assert hu[TISSUE_INDEX["air"]] == -1000.0
        others = np.delete(hu, TISSUE_INDEX["air"])
        assert RANDOM_HU[0] <= others.min() and others.max() <= RANDOM_HU[1]
    assert not np.array_equal(tables[0], tables[1])  # each phase its own contrast


def test_a_random_appearance_study_passes_qc_and_says_so():
    options = {"body_region": "abdomen", "contrast": "portal_venous", "noise_hu": 8.0}
    medians = {}
    for appearance in ("physical", "random"):
        g = create("phantom_ct", GeneratorOptions(shape=(48, 64, 64), params={**options, "appearance": appearance}))
        spec = make_spec(g, 0, 1)
        study = g.render(spec, torch.device("cpu"))
        assert study.qc.passed and study.columns["appearance"] == appearance
        medians[appearance] = {n: s.median for n, s in study.measurements.labels.items() if s.voxels > 100}
        assert np.array_equal(study.label, g.render(spec, torch.device("cpu")).label)
    shared = medians["physical"].keys() & medians["random"].keys()
    moved = [abs(medians["physical"][n] - medians["random"][n]) > 30 for n in shared]
    assert len(shared) >= 5 and np.mean(moved) > 0.5
