"""Tissue properties: each table row drawn around its published mean, T1 longer at 3 T, mixtures
between their parts, marrow fattier with age, and the same study from the same stream."""

import numpy as np
import pytest

from models.mr.sequence import FIELD_CHOICES
from models.mr.tissue import FIELDS, INDEX, LIVER_PDFF_MAX, MEASURED, MIXED, NAMES, draw_liver_pdff, sample_properties


def test_every_table_row_is_drawn_near_its_published_mean():
    rng = np.random.default_rng(0)
    for f, field in enumerate(FIELDS):
        t1 = np.array([sample_properties(field, 50.0, rng).t1 for _ in range(200)])
        for name, m in MEASURED.items():
            if m.t1[f][0] > 1.0:
                assert np.median(t1[:, INDEX[name]]) == pytest.approx(m.t1[f][0], rel=0.05), name
    assert set(MIXED) | set(MEASURED) | {"venous_blood"} == set(NAMES)
    assert set(FIELD_CHOICES.values()) == set(FIELDS)


def test_t1_is_longer_at_three_tesla_for_soft_tissue():
    """de Bazelaire et al. 2004: abdominal T1 at 3.0 T is about a fifth longer than at 1.5 T."""
    for name in ("liver", "spleen", "kidney_cortex", "muscle"):
        m = MEASURED[name]
        assert m.t1[1][0] > m.t1[0][0], name


def test_a_mixture_lies_between_its_parts_and_venous_blood_is_blood():
    props = sample_properties(1.5, 50.0, np.random.default_rng(1))
    for name, parts in MIXED.items():
        values = [props.pd[INDEX[p]] for _, p in parts]
        assert min(values) - 1e-9 <= props.pd[INDEX[name]] <= max(values) + 1e-9, name
        t1s = [props.t1[INDEX[p]] for _, p in parts]
        assert min(t1s) - 1e-6 <= props.t1[INDEX[name]] <= max(t1s) + 1e-6, name
    assert props.t1[INDEX["venous_blood"]] == props.t1[INDEX["blood"]]


def test_marrow_fat_rises_with_age_and_draws_replay():
    young = np.mean([sample_properties(3.0, 25.0, np.random.default_rng(k)).fat[INDEX["marrow"]] for k in range(50)])
    old = np.mean([sample_properties(3.0, 75.0, np.random.default_rng(k)).fat[INDEX["marrow"]] for k in range(50)])
    assert old > young + 0.2
    a, b = (sample_properties(1.5, 40.0, np.random.default_rng(9)) for _ in range(2))
    assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("t1", "t2", "t2s", "pd", "fat"))


def test_liver_fat_is_drawn_as_the_uk_biobank_population_has_it():
    """Wilman et al. 2017, 4,949 adults: PDFF median 2.11 %, mean 3.91 %, skewed to high fat; the
    log-normal with that median and mean puts about a fifth above their 5.5 % cut-off."""
    rng = np.random.default_rng(0)
    pdff = np.array([draw_liver_pdff(rng) for _ in range(20000)])
    assert np.median(pdff) == pytest.approx(0.0211, rel=0.05)
    assert pdff.mean() == pytest.approx(0.0391, rel=0.08)
    assert 0.17 < (pdff > 0.055).mean() < 0.22
    assert pdff.min() > 0.0 and pdff.max() <= LIVER_PDFF_MAX
    props = sample_properties(3.0, 50.0, np.random.default_rng(2))
    fatty = props.with_fat("liver", 0.25)
    assert fatty.fat[INDEX["liver"]] == 0.25 and props.fat[INDEX["liver"]] == MEASURED["liver"].fat
