"""The torso's painting order: the body wall first, lesions last, every label one of the
dictionary's, and the same structures from the same stream."""

import numpy as np

from models.phantom_ct import anatomy
from models.phantom_ct.patient import body
from tests.models.phantom_ct.torso import torso


def test_the_wall_comes_first_and_lesions_last():
    t = torso(0, lesion_rate=1.0)
    structures = anatomy.build(body(t.params), np.random.default_rng(0))
    assert [s.tissue for s in structures[:4]] == ["skin", "fat", "muscle", "visceral"]
    n = len(t.params["lesions"])
    lesion_labels = {"hepatic tumor", "lung tumor", "bone lesion", "left kidney cyst", "right kidney cyst"}
    assert n >= 1 and {s.label for s in structures[-n:]} <= lesion_labels
    known = {lb.name for lb in t.labels}
    assert {s.label for s in structures if s.label is not None} <= known


def test_the_same_stream_builds_the_same_torso():
    t = torso(1)
    a = anatomy.build(body(t.params), np.random.default_rng(7))
    b = anatomy.build(body(t.params), np.random.default_rng(7))
    c = anatomy.build(body(t.params), np.random.default_rng(8))
    assert a == b and a != c
