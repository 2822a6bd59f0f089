"""Batch order as a pure function of (seed, step): resuming needs no iterator state.

The examples are visited in shuffled epochs. A global position `p` (counting examples
drawn since step 0) falls in epoch `p // N` at offset `p % N`; each epoch has its own
permutation seeded by (seed, epoch). Batches may straddle two epochs.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=4)
def _epoch_permutation(num_examples: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(num_examples)


def batch_indices(
    num_examples: int, batch_size: int, *, seed: int, step: int, rounds: int = 1
) -> np.ndarray:
    """Indices of the `rounds` global batches used by training step `step`.

    Returns: int64 [rounds, batch_size].
    """
    start = step * rounds * batch_size
    positions = np.arange(start, start + rounds * batch_size)
    epochs = positions // num_examples
    offsets = positions % num_examples
    out = np.empty_like(positions)
    for epoch in np.unique(epochs):
        chosen = epochs == epoch
        out[chosen] = _epoch_permutation(num_examples, seed, int(epoch))[offsets[chosen]]
    return out.reshape(rounds, batch_size)
