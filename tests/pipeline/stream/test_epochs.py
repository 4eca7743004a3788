"""The epoch plan's promises, for any dataset size, world size, worker count and batch size."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stream.epochs import epoch_order, rank_order, worker_positions


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 60),
    per=st.integers(1, 4),
    world=st.integers(1, 5),
    workers=st.integers(1, 4),
    batch=st.integers(1, 5),
    seed=st.integers(0, 2**31),
    buffer=st.integers(1, 50),
)
def test_every_sample_exactly_once_per_epoch(n, per, world, workers, batch, seed, buffer):
    order = epoch_order(n, per, seed, 3, True, buffer)
    assert sorted(order.tolist()) == list(range(n * per))
    seen = []
    for rank in range(world):
        mine = rank_order(order, rank, world)
        assert abs(mine.size - order.size / world) < 1
        positions = [worker_positions(mine.size, 0, w, workers, batch) for w in range(workers)]
        flat = np.concatenate(positions) if positions else np.array([], dtype=np.int64)
        assert sorted(flat.tolist()) == list(range(mine.size))  # workers partition the rank's share
        seen += mine.tolist()
    assert sorted(seen) == list(range(n * per))  # ranks partition the epoch


@settings(max_examples=200, deadline=None)
@given(total=st.integers(0, 80), workers=st.integers(1, 4), batch=st.integers(1, 6), start=st.integers(0, 80))
def test_round_robin_batches_restore_the_rank_order_from_any_start(total, workers, batch, start):
    """Interleaving the workers' batches (what a DataLoader does) yields positions start, start+1, ..."""
    start = min(start, total)
    queues = [list(worker_positions(total, start, w, workers, batch)) for w in range(workers)]
    merged, w = [], 0
    while any(queues):
        if queues[w]:
            merged += queues[w][:batch]
            queues[w] = queues[w][batch:]
        w = (w + 1) % workers
    assert merged == list(range(start, total))


def test_order_depends_on_seed_and_epoch_only():
    a = epoch_order(50, 2, seed=1, epoch=0, shuffle=True, buffer=8)
    assert np.array_equal(a, epoch_order(50, 2, seed=1, epoch=0, shuffle=True, buffer=8))
    assert not np.array_equal(a, epoch_order(50, 2, seed=1, epoch=1, shuffle=True, buffer=8))
    assert not np.array_equal(a, epoch_order(50, 2, seed=2, epoch=0, shuffle=True, buffer=8))
    assert np.array_equal(epoch_order(5, 2, 1, 0, False, 8), np.arange(10))


def test_the_buffer_bounds_how_far_a_patch_moves_from_its_study():
    per, buffer = 4, 6
    order = epoch_order(200, per, seed=0, epoch=0, shuffle=True, buffer=buffer)
    studies = order // per
    first_seen = {}
    for position, study in enumerate(studies):
        first_seen.setdefault(study, position)
    spans = [max(np.flatnonzero(studies == s)) - first_seen[s] for s in first_seen]
    assert max(spans) < per + buffer  # a study's patches stay close together
    assert len({tuple(studies[i : i + per]) for i in range(0, 40, per)}) > 1  # but they do mix
