"""Tissue HU: published ranges by phase and age, and the random (SynthSeg-style) appearance."""

import numpy as np
import torch

from models import GeneratorOptions, make_spec
from models.phantom_ct.tissue import (
    AGES,
    BONE_AGE,
    BONE_LOSS_HU_PER_YEAR,
    RANDOM_HU,
    TISSUE_INDEX,
    TISSUES,
    envelope,
    random_appearance,
    sample_phases,
    shift,
)
from models.registry import create


def test_trabecular_bone_loses_its_published_rate_with_age():
    young = sample_phases(("non_contrast",), BONE_AGE, "M", np.random.default_rng(1))[0]
    old = sample_phases(("non_contrast",), BONE_AGE + 40, "M", np.random.default_rng(1))[0]
    loss = young[TISSUE_INDEX["cancellous"]] - old[TISSUE_INDEX["cancellous"]]
    assert np.isclose(loss, 40 * BONE_LOSS_HU_PER_YEAR)
    same = [i for i, t in enumerate(TISSUES) if t.name not in ("cancellous", "vertebral_cortex", "muscle")]
    assert np.array_equal(young[same], old[same])


def test_the_kidney_is_one_parenchyma_unenhanced_and_its_cortex_leads_as_published_when_enhanced():
    """Unenhanced, cortex and medulla read alike; the cortex leads by 110-140 HU in the arterial
    (corticomedullary) phase and by under 30 HU, never below the medulla, in the portal venous."""
    cortex, medulla = TISSUE_INDEX["kidney"], TISSUE_INDEX["kidney_medulla"]
    for seed in range(200):
        unenhanced, arterial, portal = sample_phases(
            ("non_contrast", "arterial", "portal_venous"), 50.0, "F", np.random.default_rng(seed)
        )
        assert unenhanced[cortex] == unenhanced[medulla]
        assert 110 <= arterial[cortex] - arterial[medulla] <= 140
        assert 0 <= portal[cortex] - portal[medulla] < 30


def test_liver_and_spleen_are_concordant_and_the_liver_reads_above_the_spleen_unenhanced():
    """Piekarski et al. 1980: a high liver goes with a high spleen; Park et al. 2011: a
    non-steatotic liver reads 1-18 HU above the spleen unenhanced."""
    liver, spleen = TISSUE_INDEX["liver"], TISSUE_INDEX["spleen"]
    draws = [sample_phases(("non_contrast",), 40.0, "M", np.random.default_rng(seed))[0] for seed in range(200)]
    differences = np.array([hu[liver] - hu[spleen] for hu in draws])
    assert (differences >= 1.0).all() and (differences <= 18.0).all()
    pairs = np.array([(hu[liver], hu[spleen]) for hu in draws])
    assert np.corrcoef(pairs.T)[0, 1] > 0.9


def test_the_bowel_wall_enhances_as_published_and_its_fluid_shares_the_stomachs_draw():
    """The normal small-bowel wall: 118-120 +- 5 HU at 30 s, 107-111 +- 3-4 HU at 60 s; enteric
    fluid of water density. The wall has the whole loop's place in the draw and the fluid the
    stomach's fluid's, so a study's other tissues read as before 0.10.0."""
    wall, fluid = TISSUE_INDEX["bowel_wall"], TISSUE_INDEX["bowel_fluid"]
    for seed in range(50):
        unenhanced, arterial, portal = sample_phases(
            ("non_contrast", "arterial", "portal_venous"), 50.0, "M", np.random.default_rng(seed)
        )
        assert 113 <= arterial[wall] <= 125 and 104 <= portal[wall] <= 115 and 35 <= unenhanced[wall] <= 50
        assert 0 <= unenhanced[fluid] <= 20 and unenhanced[fluid] == portal[fluid]
        place = (unenhanced[fluid] - 0) / 20, (unenhanced[TISSUE_INDEX["stomach_fluid"]] - 5) / 20
        assert np.isclose(*place, atol=1e-4)
        drawn = np.random.default_rng(seed).random(len(TISSUES) - 1)  # the draw without the fluid
        assert np.isclose(unenhanced[wall], 35 + 15 * drawn[wall], atol=1e-3)
        liver = TISSUE_INDEX["liver"]
        assert np.isclose(unenhanced[liver], 50 + 12 * drawn[liver], atol=1e-3)


def test_muscle_loses_attenuation_with_age_and_is_lower_in_women_as_published():
    """Framingham women at L3: 42.6 HU under 45, 25.2 at 75 and over (0.44 HU a year from 40);
    young women about 4 HU below young men (Derstine et al. 2018)."""
    muscle = TISSUE_INDEX["muscle"]

    def drawn(age: float, sex: str, phase: str = "non_contrast") -> float:
        return float(sample_phases((phase,), age, sex, np.random.default_rng(7))[0][muscle])

    assert np.isclose(drawn(30, "M"), drawn(40, "M"))  # no loss before 40
    assert np.isclose(drawn(40, "M") - drawn(80, "M"), 40 * 0.44, atol=1e-3)
    assert np.isclose(drawn(60, "M") - drawn(60, "F"), 4.0, atol=1e-3)
    enhancement = drawn(40, "M", "portal_venous") - drawn(40, "M")
    assert np.isclose(drawn(80, "F", "portal_venous") - drawn(80, "F"), enhancement)  # contrast adds alike
    # the population's means fall inside what a study of that age and sex may draw
    women = [(40, 42.6), (50, 38.1), (60, 33.4), (70, 29.3), (80, 25.2)]
    for age, mean in women:
        lo, hi = (float(v) for v in np.array(TISSUES[muscle].non_contrast) + shift(age, "F")[muscle])
        assert lo < mean < hi and abs((lo + hi) / 2 - mean) < 3.5, (age, lo, hi, mean)


def test_qc_holds_muscle_to_the_envelope_of_every_age():
    lo, hi = envelope("muscle", "non_contrast")
    assert lo <= float(TISSUES[TISSUE_INDEX["muscle"]].non_contrast[0] + shift(AGES[1], "F")[TISSUE_INDEX["muscle"]])
    assert hi == TISSUES[TISSUE_INDEX["muscle"]].non_contrast[1]
    assert envelope("liver", "portal_venous") == TISSUES[TISSUE_INDEX["liver"]].portal_venous


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
