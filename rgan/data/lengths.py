"""The distribution of sequence lengths of variable-length data.

A run fits it once (maximum likelihood: the empirical frequencies of each length) and
saves it; sampling draws each generated sequence's length from it, so generated
lengths follow the real ones. The generator itself runs for the longest length: its
RNNs are causal, so cutting a sequence at step L gives what a run of L steps would.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class LengthDistribution:
    """lengths: int [K] distinct lengths; probs: float [K] their frequencies."""

    lengths: np.ndarray
    probs: np.ndarray

    @classmethod
    def fit(cls, mask: np.ndarray) -> LengthDistribution:
        """From a mask [N, T] of real steps (1) and padding (0)."""
        counts = np.asarray(mask, bool).sum(axis=1)
        lengths, freq = np.unique(counts, return_counts=True)
        return cls(lengths=lengths.astype(np.int64), probs=freq / freq.sum())

    @property
    def max_length(self) -> int:
        return int(self.lengths.max())

    def sample(self, num: int, seed: int) -> np.ndarray:
        """int64 [num] lengths."""
        rng = np.random.default_rng([seed, 0x1E6])
        return rng.choice(self.lengths, size=num, p=self.probs)

    def to_dict(self) -> dict:
        return {"lengths": self.lengths.tolist(), "probs": self.probs.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> LengthDistribution:
        return cls(np.asarray(d["lengths"], np.int64), np.asarray(d["probs"], np.float64))


def mask_from_lengths(lengths: np.ndarray, max_len: int) -> np.ndarray:
    """int [N] -> float32 [N, max_len] with ones on the first `lengths[i]` steps."""
    return (np.arange(max_len)[None, :] < np.asarray(lengths)[:, None]).astype(np.float32)


def lengths_from_mask(mask):
    """float [N, T] (1 on each sequence's real steps) -> int32 [N], the inverse of
    `mask_from_lengths`. Array methods only, so it also runs on traced jax arrays."""
    return mask.sum(axis=1).round().astype("int32")
