"""Lesions: each allowed kind present at the given rate and size, recorded in full, and painted
only inside its host organ (so it never leaves it)."""

import numpy as np

from models.phantom_ct.lesions import KINDS, sample
from models.phantom_ct.patient import draw_anatomy
from models.phantom_ct.tissue import TISSUE_INDEX
from tests.models.phantom_ct.torso import torso


def test_the_rate_kinds_and_sizes_are_kept():
    rng = np.random.default_rng(0)
    assert sample(KINDS, 0.0, (5.0, 20.0), rng) == []
    every = sample(KINDS, 1.0, (5.0, 20.0), rng)
    assert [d["kind"] for d in every] == list(KINDS)
    assert all(5.0 <= d["diameter_mm"] <= 20.0 and d["level"].startswith("L") for d in every)
    only = sample(("kidney_cyst",), 1.0, (5.0, 20.0), rng)
    assert [d["kind"] for d in only] == ["kidney_cyst"]
    share = np.mean([len(sample(KINDS, 0.25, (5.0, 20.0), rng)) / len(KINDS) for _ in range(400)])
    assert 0.2 < share < 0.3


def test_the_draws_do_not_depend_on_the_kinds_allowed():
    """Each kind's draws happen whether or not it is allowed, so narrowing the kinds keeps the
    others' lesions as they were."""
    every = sample(KINDS, 1.0, (5.0, 20.0), np.random.default_rng(3))
    some = sample(("lung_tumor", "bone_lesion"), 1.0, (5.0, 20.0), np.random.default_rng(3))
    assert some == [d for d in every if d["kind"] in ("lung_tumor", "bone_lesion")]


def test_lesions_are_painted_only_over_their_host_tissue():
    """The same torso painted without its lesions: every lesion voxel was its host's tissue."""
    hosts = {"hepatic tumor": "liver", "lung tumor": "lung", "left kidney cyst": "kidney"}
    hosts |= {"right kidney cyst": "kidney", "bone lesion": "cancellous"}
    seen = set()
    for index in range(3):
        t = torso(index, shape=(128, 96, 96), lesion_rate=1.0, lesion_size_mm=(20.0, 30.0))
        plain = {**t.params, "lesions": []}
        _, before = draw_anatomy(plain, np.random.default_rng(index), t.labels, None, "phantom_ct")
        for name, host in hosts.items():
            lesion = t.mask(name)
            if lesion.any():
                seen.add(name)
                assert (before[lesion] == TISSUE_INDEX[host]).all(), (index, name)
    assert {"hepatic tumor", "lung tumor", "bone lesion"} <= seen
