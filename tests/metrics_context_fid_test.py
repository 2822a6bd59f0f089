"""Context-FID: small for two halves of one data set, large for noise; the Fréchet formula."""

import numpy as np
import pytest
from metrics_testing import sines, uniform_noise

from rgan.metrics import context_fid, frechet_distance

REAL = sines(2000, seed=0)


def test_real_half_is_close_and_noise_is_far():
    # 20 encoder iterations instead of TS2Vec's 200/600 keep this short: the compile of the
    # training loop (~15 s of CPU) is most of its time. The gap is already ~1000x.
    half = context_fid(REAL[:1000], REAL[1000:], seed=0, iterations=20)
    noise = context_fid(REAL[:1000], uniform_noise(1000, seed=1), seed=0, iterations=20)
    assert half < 0.05
    assert noise > 1.0


def test_frechet_distance_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12))
    b = rng.normal(size=(300, 12)) * 1.5 + 0.3
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(
        cov_a + cov_b - 2 * linalg.sqrtm(cov_a @ cov_b).real
    )
    assert np.isclose(frechet_distance(a, b), expected, rtol=1e-8)


def test_frechet_distance_of_rank_deficient_identical_sets_is_zero():
    # 50 points in 320 dimensions: singular covariances, where sqrtm can go complex. The
    # 270 zero eigenvalues come out as +-1e-14 and their square roots add ~1e-7 each.
    a = np.random.default_rng(1).normal(size=(50, 320))
    total_variance = np.trace(np.cov(a, rowvar=False))
    assert abs(frechet_distance(a, a)) < 1e-6 * total_variance
