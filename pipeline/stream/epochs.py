"""The order of an epoch's samples, and who reads which: pure arithmetic, no I/O.

A sample is (study position, patch k). An epoch's order is derived from (seed, epoch) alone:
studies are permuted, each expands into its patches, and a bounded shuffle lets every sample move
at most `shuffle_buffer` places, mixing patches of neighbouring studies while keeping a study's
reads close together. That global sequence is dealt to ranks round-robin (rank r takes positions
r, r + R, ...), and within a rank to DataLoader workers by whole batches (worker w takes batches
w, w + W, ...), which is exactly how a DataLoader interleaves its workers' batches. So the
consumer sees the rank's sequence in order, and resuming after s samples is dealing the rest.
"""

from __future__ import annotations

import numpy as np


def epoch_order(n_studies: int, per_study: int, seed: int, epoch: int, shuffle: bool, buffer: int) -> np.ndarray:
    """Sample ids (study position * per_study + k) of the whole epoch, in order."""
    ids = np.arange(n_studies * per_study, dtype=np.int64)
    if not shuffle:
        return ids
    rng = np.random.default_rng(np.random.SeedSequence([seed, epoch]))
    studies = rng.permutation(n_studies)
    ids = (studies[:, None] * per_study + np.arange(per_study)[None, :]).ravel()
    if buffer > 1:
        # Each sample moves by less than `buffer` places: sort by position plus a uniform jitter.
        ids = ids[np.argsort(np.arange(ids.size) + rng.uniform(0, buffer, ids.size), kind="stable")]
    return ids


def rank_order(order: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """This rank's share: every world_size-th sample, so ranks differ by at most one sample."""
    return order[rank::world_size]


def worker_positions(n: int, start: int, worker: int, n_workers: int, batch_size: int) -> np.ndarray:
    """Positions in the rank's sequence that `worker` reads, resuming at `start`: whole batches
    worker, worker + n_workers, ... of the remaining sequence."""
    remaining = np.arange(start, n, dtype=np.int64)
    batch = (remaining - start) // batch_size
    return remaining[batch % n_workers == worker]
