"""Correlational score: near zero for resampled real data, large for independent channels."""

import numpy as np
import pytest
from metrics_testing import sines, uniform_noise

from rgan.metrics import correlational_score
from rgan.metrics.correlation import lag0_correlations

REAL = sines(4000, seed=0)


def test_real_against_itself_resampled_is_near_zero():
    # Two independent draws of 800 windows: 0.02-0.03 over seeds.
    assert all(correlational_score(REAL, REAL, seed=seed) < 0.05 for seed in range(5))


def test_independent_channel_noise_is_far():
    # The Sines channels are strongly correlated (all rise over 24 steps); noise is not.
    assert correlational_score(REAL, uniform_noise(4000, seed=1), seed=0) > 0.4


def test_correlations_follow_the_diffusion_ts_definition():
    windows = np.random.default_rng(0).normal(size=(6, 5, 3))
    standard = (windows - windows.mean(axis=(0, 1))) / windows.std(axis=(0, 1), ddof=1)
    expected = [
        np.mean(np.mean(standard[..., i] * standard[..., j], axis=1))
        for i in range(3)
        for j in range(i + 1)
    ]
    np.testing.assert_allclose(lag0_correlations(windows), expected)


def test_a_constant_generated_feature_gives_nan_with_a_warning():
    collapsed = REAL.copy()
    collapsed[..., 2] = 0.5
    with pytest.warns(RuntimeWarning, match=r"generated feature is constant"):
        assert np.isnan(correlational_score(REAL, collapsed, seed=0))
    with pytest.raises(ValueError, match=r"real feature is constant"):
        correlational_score(collapsed, REAL, seed=0)
