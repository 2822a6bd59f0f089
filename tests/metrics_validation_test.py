"""Bad inputs fail early, before any training, with a message naming the problem."""

import numpy as np
import pytest
from metrics_testing import sines

from rgan import metrics
from rgan.metrics import validation

GOOD = sines(20, length=8, features=3, seed=0)


def _with(index, value):
    bad = GOOD.copy()
    bad[index] = value
    return bad


# Each scorer with the cheapest settings; every case fails before anything runs.
SCORERS = {
    "discriminative": lambda r, f: metrics.discriminative_score(r, f, seed=0, iterations=1),
    "predictive": lambda r, f: metrics.predictive_score(r, f, seed=0, iterations=1),
    "mmd2": lambda r, f: metrics.mmd2(r, f),
    "correlational": lambda r, f: metrics.correlational_score(r, f, seed=0),
    "context_fid": lambda r, f: metrics.context_fid(r, f, seed=0, iterations=1),
}

BAD_PAIRS = {
    "feature counts": (GOOD, GOOD[..., :2], r"3 features but fake has 2"),
    "lengths": (GOOD, GOOD[:, :6], r"8 time steps but fake ones have 6"),
    "not 3-D real": (GOOD[..., 0], GOOD, r"real must be 3-D \[windows, time, features\]"),
    "not 3-D fake": (GOOD, GOOD.reshape(20, -1), r"fake must be 3-D"),
    "NaN in real": (_with((3, 2, 1), np.nan), GOOD, r"real contains 1 NaN/inf"),
    "inf in fake": (GOOD, _with((0, 0, 0), np.inf), r"fake contains 1 NaN/inf"),
    "too few windows": (GOOD[:9], GOOD, r"real has 9 windows, fewer than the 10"),
    "original units": (GOOD * 100.0, GOOD, r"far outside the training scale \[0, 1\]"),
    "not numeric": (np.full((20, 8, 3), "a"), GOOD, r"real must be a numeric array"),
}


@pytest.mark.parametrize("scorer", sorted(SCORERS))
@pytest.mark.parametrize("case", sorted(BAD_PAIRS))
def test_bad_inputs_raise_value_error_naming_the_problem(scorer, case):
    real, fake, message = BAD_PAIRS[case]
    with pytest.raises(ValueError, match=message):
        SCORERS[scorer](real, fake)


def test_small_overshoot_of_generated_values_is_accepted():
    # Generators with a linear output overshoot [0, 1] a little; that is not an error.
    overshoot = np.clip(GOOD * 1.2 - 0.1, -0.2, 1.2)
    real, fake = validation.as_window_pair(GOOD, overshoot)
    assert real.dtype == fake.dtype == np.float32


def test_discriminative_score_needs_equal_counts():
    with pytest.raises(ValueError, match=r"real has 20 windows but fake has 15"):
        metrics.discriminative_score(GOOD, GOOD[:15], seed=0, iterations=1)


def test_predictive_score_needs_two_features():
    with pytest.raises(ValueError, match=r"needs at least 2 features"):
        metrics.predictive_score(GOOD[..., :1], GOOD[..., :1], seed=0, iterations=1)


@pytest.mark.parametrize("value", [0, -3, 2.5, True])
def test_iterations_must_be_a_positive_integer(value):
    with pytest.raises(ValueError, match=r"iterations must be a positive integer"):
        metrics.discriminative_score(GOOD, GOOD, seed=0, iterations=value)


def test_mmd2_rejects_a_non_positive_bandwidth():
    with pytest.raises(ValueError, match=r"bandwidth must be positive"):
        metrics.mmd2(GOOD, GOOD, bandwidth=0.0)
