"""TimeGAN's synthetic sine benchmark (Yoon et al. 2019, `sine_data_generation`)."""

from __future__ import annotations

import numpy as np


def sine_windows(
    num_samples: int,
    seq_len: int,
    num_features: int,
    *,
    seed: int,
    freq_range: tuple[float, float] = (0.0, 0.1),
    phase_range: tuple[float, float] = (0.0, 0.1),
) -> np.ndarray:
    """Independent sines per sample and feature, in [0, 1].

    For each sample and feature, `freq ~ U(freq_range)` and `phase ~ U(phase_range)`;
    `x_t = sin(freq * t + phase)` for t = 0..seq_len-1, then `(x + 1) / 2`.

    Returns: float32 [num_samples, seq_len, num_features].
    """
    if num_samples < 1 or seq_len < 1 or num_features < 1:
        raise ValueError(
            "sine_windows needs positive num_samples, seq_len and num_features; got "
            f"{num_samples}, {seq_len}, {num_features}."
        )
    rng = np.random.default_rng(seed)
    freq = rng.uniform(*freq_range, size=(num_samples, 1, num_features))
    phase = rng.uniform(*phase_range, size=(num_samples, 1, num_features))
    t = np.arange(seq_len, dtype=np.float64)[None, :, None]
    return ((np.sin(freq * t + phase) + 1.0) / 2.0).astype(np.float32)
