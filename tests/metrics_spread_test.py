"""rgan.metrics.feature_spread: generated-to-real standard deviation, feature by feature."""

import numpy as np
import pytest

from rgan.data import sine_windows
from rgan.metrics import feature_spread


def test_real_against_itself_keeps_every_feature_s_spread():
    real = sine_windows(200, 24, 3, seed=0)
    spread = feature_spread(real, real)
    assert spread["within"] == 1.0
    np.testing.assert_allclose(spread["ratios"], 1.0)
    np.testing.assert_allclose(spread["within_sequence"], 1.0)
    np.testing.assert_allclose(spread["changes"], 1.0)


def test_a_jittery_feature_shows_in_its_changes_not_in_its_spread():
    # Feature 1 gets small per-step noise: about the same spread, far rougher steps.
    real = sine_windows(200, 24, 3, seed=0)
    rng = np.random.default_rng(1)
    fake = real.copy()
    fake[..., 1] += rng.normal(0.0, 0.05, fake[..., 1].shape).astype(np.float32)
    spread = feature_spread(real, fake)
    assert 0.95 < spread["ratios"][1] < 1.1
    assert spread["changes"][1] > 3.0  # 5.6
    np.testing.assert_allclose(spread["changes"][::2], 1.0)


def test_a_squeezed_feature_falls_outside_the_band():
    real = sine_windows(200, 24, 3, seed=0)
    fake = real.copy()
    mean = fake[..., 1].mean()
    fake[..., 1] = mean + 0.5 * (fake[..., 1] - mean)  # half the spread
    fake[..., 2] = mean + 1.25 * (fake[..., 2] - mean)  # inside the band
    spread = feature_spread(real, fake)
    np.testing.assert_allclose(spread["ratios"], [1.0, 0.5, 1.25], rtol=1e-6)
    assert spread["within"] == pytest.approx(2 / 3)
    assert spread["min"] == pytest.approx(0.5) and spread["max"] == pytest.approx(1.25)


def test_a_frozen_generator_loses_both_spreads():
    # Real windows are phase-shifted sines; generated ones all the same constant.
    t = np.linspace(0, 2 * np.pi, 24, dtype=np.float32)
    real = 0.5 + 0.4 * np.sin(t[None, :, None] + np.linspace(0, 6, 100)[:, None, None])
    frozen = np.full_like(real, 0.5)
    spread = feature_spread(real.astype(np.float32), frozen)
    assert spread["ratios"] == [0.0] and spread["within_sequence"] == [0.0]
    assert spread["changes"] == [0.0]
    assert spread["within"] == 0.0


def test_only_valid_steps_count_and_constant_features():
    rng = np.random.default_rng(0)
    real = rng.uniform(size=(50, 10, 2)).astype(np.float32)
    real[..., 1] = 0.3  # a constant real feature
    lengths = rng.integers(3, 11, size=50)
    fake = real.copy()
    for i, n in enumerate(lengths):
        fake[i, n:] = np.nan if i % 2 else 50.0  # padding: anything
    spread = feature_spread(real, fake, real_lengths=lengths, fake_lengths=lengths)
    assert spread["ratios"] == [1.0, 1.0] and spread["within"] == 1.0
    assert spread["changes"] == [1.0, 1.0]  # the padding's jumps do not count
    fake[..., 1] = rng.uniform(size=fake.shape[:2])  # no longer constant
    spread = feature_spread(real, fake, real_lengths=lengths, fake_lengths=lengths)
    assert spread["ratios"][1] is None and spread["within"] == 0.5
