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


def class_sine_windows(
    num_samples: int,
    seq_len: int,
    num_features: int,
    num_classes: int,
    *,
    seed: int,
    class_weights: tuple[float, ...] = (),
    freq_max: float = 0.1,
    phase_range: tuple[float, float] = (0.0, 0.1),
) -> tuple[np.ndarray, np.ndarray]:
    """Sines whose frequency band is the class: a labelled version of `sine_windows`.

    (0, freq_max) is split into `num_classes` equal bands; class c draws every frequency
    of its windows from the middle half of band c, so neighbouring classes are separated
    by a gap of half a band and look different by eye (over 24 steps with freq_max=0.3:
    a rising arc, about half a period, about a full period).

    Args:
      class_weights: relative class frequencies (normalized here); () = balanced.
        Counts are rounded so that they sum to `num_samples` (largest remainders).

    Returns:
      (windows float32 [num_samples, seq_len, num_features] in [0, 1],
       labels int64 [num_samples] in [0, num_classes), in shuffled order).
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1; got {num_classes}.")
    labels = _balanced_labels(num_samples, num_classes, class_weights, seed)
    rng = np.random.default_rng([seed, num_classes])
    width = freq_max / num_classes
    low = (labels + 0.25) * width  # the middle half of band c: [c + 1/4, c + 3/4] * width
    freq = rng.uniform(size=(num_samples, 1, num_features)) * (width / 2) + low[:, None, None]
    phase = rng.uniform(*phase_range, size=(num_samples, 1, num_features))
    t = np.arange(seq_len, dtype=np.float64)[None, :, None]
    windows = ((np.sin(freq * t + phase) + 1.0) / 2.0).astype(np.float32)
    return windows, labels


def _balanced_labels(num: int, num_classes: int, weights, seed: int) -> np.ndarray:
    """int64 [num] labels with class counts proportional to `weights`, shuffled."""
    weights = np.ones(num_classes) if len(weights) == 0 else np.asarray(weights, np.float64)
    if weights.shape != (num_classes,) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(
            f"config.data.sine_class_weights must be {num_classes} non-negative numbers "
            f"(one per class, not all 0), or empty for balanced classes; got {tuple(weights)}."
        )
    exact = num * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    # Hand the rounding remainder to the classes with the largest fractional parts.
    counts[np.argsort(counts - exact)[: num - counts.sum()]] += 1
    labels = np.repeat(np.arange(num_classes), counts)
    return np.random.default_rng([seed, num_classes, 1]).permutation(labels)
