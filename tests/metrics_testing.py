"""Test-only data for the metrics tests (not a test module itself)."""

from __future__ import annotations

import numpy as np


def sines(
    count: int,
    length: int = 24,
    features: int = 5,
    *,
    seed: int,
    freq_range: tuple[float, float] = (0.0, 0.1),
) -> np.ndarray:
    """TimeGAN's Sines windows: [count, length, features] float32 in [0, 1].

    For each window and feature, freq and phase ~ U(0, 0.1) (freq from `freq_range`);
    x_t = sin(freq * t + phase) for t = 0..length-1, then (x + 1) / 2.
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(*freq_range, size=(count, 1, features))
    phase = rng.uniform(0.0, 0.1, size=(count, 1, features))
    steps = np.arange(length)[None, :, None]
    return ((np.sin(freq * steps + phase) + 1.0) / 2.0).astype(np.float32)


def uniform_noise(count: int, length: int = 24, features: int = 5, *, seed: int) -> np.ndarray:
    """Independent U(0, 1) values: [count, length, features] float32."""
    return np.random.default_rng(seed).uniform(size=(count, length, features)).astype(np.float32)
