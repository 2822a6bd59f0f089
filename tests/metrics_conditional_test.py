"""label_accuracy: a real-trained classifier's accuracy on generated windows, relative to
real ones: about 1 for a perfect class-conditional generator, about 1/K for one that
ignores the class."""

import numpy as np
import pytest

from rgan.metrics import label_accuracy

N, T, D, K = 200, 20, 3, 4


def _windows(labels, rng):
    """Class k: sines of frequency 0.05 (k + 1) with random phases, in [0.1, 0.9]."""
    t = np.arange(T)[None, :, None]
    freq = (labels[:, None, None] + 1) * 0.05
    phase = rng.uniform(0, 2 * np.pi, (len(labels), 1, D))
    return 0.5 + 0.4 * np.sin(2 * np.pi * freq * t + phase)


def test_sanity_values():
    rng = np.random.default_rng(0)
    labels = rng.integers(K, size=N)
    real = _windows(labels, rng)
    fresh = rng.integers(K, size=N)
    # A generator that makes each requested class: as recognisable as real windows.
    perfect = label_accuracy(real, labels, _windows(fresh, rng), fresh, seed=0)
    assert perfect["real"] > 0.9 and perfect["ratio"] > 0.85, perfect
    # One that ignores the requested class: chance (1/K) on generated windows.
    ignored = label_accuracy(real, labels, _windows(fresh, rng), rng.integers(K, size=N), seed=0)
    assert ignored["ratio"] < 0.45, ignored


def test_variable_lengths_ignore_the_padding():
    rng = np.random.default_rng(1)
    labels = rng.integers(K, size=N)
    real, fake = _windows(labels, rng), _windows(labels, rng)
    lengths = rng.integers(8, T + 1, size=N)
    padded = fake.copy()
    for i, n in enumerate(lengths):
        padded[i, n:] = rng.uniform(size=(T - n, D))  # junk past each length
    clean = fake.copy()
    for i, n in enumerate(lengths):
        clean[i, n:] = 0.0
    options = dict(seed=0, real_lengths=lengths, fake_lengths=lengths)
    a = label_accuracy(real, labels, padded, labels, **options)
    b = label_accuracy(real, labels, clean, labels, **options)
    assert a == b


def test_bad_labels_are_refused():
    rng = np.random.default_rng(2)
    real = _windows(np.zeros(10, int), rng)
    with pytest.raises(ValueError, match="Labels must be int"):
        label_accuracy(real, np.zeros(9, int), real, np.zeros(10, int), seed=0)
