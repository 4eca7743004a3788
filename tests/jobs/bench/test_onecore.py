"""Render timing on one core: a fresh process pinned to one core reports seconds per study and its
own peak memory."""

from jobs.bench.onecore import render_on_one_core


def test_one_core_timing_of_a_small_study():
    found = render_on_one_core("phantom_ct", [32, 48, 48], 1)
    assert set(found) == {"s_per_study", "peak_gib"}
    assert 0 < found["s_per_study"] < 30 and 0.05 < found["peak_gib"] < 4
