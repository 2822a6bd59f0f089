"""Discriminative score: the reference sanity values and sensitivity to a wrong generator.

All cases share one shape (2500 vs 2500 Sines windows of 24 x 5) so the classifier's training
loop compiles once; iterations are a traced argument and do not recompile.
"""

import numpy as np
from metrics_testing import sines, uniform_noise

from rgan.metrics import discriminative_score

COUNT = 2500
REAL = sines(2 * COUNT, seed=0)


def test_reference_real_against_a_disjoint_half_of_itself_scores_near_zero():
    # The reference protocol, full size: 2000 iterations, 500 + 500 test windows.
    score = discriminative_score(REAL[:COUNT], REAL[COUNT:], seed=0)
    assert score < 0.05


def test_real_against_uniform_noise_scores_near_one_half():
    # 1000 iterations already separate noise completely; the full 2000 add nothing here.
    noise = uniform_noise(COUNT, seed=1)
    assert discriminative_score(REAL[:COUNT], noise, seed=0, iterations=1000) > 0.45


def test_a_mildly_wrong_generator_scores_worse_than_a_correct_one_beyond_the_spread():
    # Wrong: frequencies from U(0.02, 0.12) instead of U(0, 0.1), the same phases and
    # scale. 600 iterations (not 2000) keep the test short; the gap only widens with more.
    real = REAL[:COUNT]
    correct = sines(COUNT, seed=7)
    wrong = sines(COUNT, seed=7, freq_range=(0.02, 0.12))
    seeds = range(3)
    correct_scores = np.array(
        [discriminative_score(real, correct, seed=s, iterations=600) for s in seeds]
    )
    wrong_scores = np.array(
        [discriminative_score(real, wrong, seed=s, iterations=600) for s in seeds]
    )
    spread = max(np.ptp(correct_scores), np.ptp(wrong_scores))
    assert wrong_scores.min() > correct_scores.max()
    assert wrong_scores.mean() - correct_scores.mean() > spread


def test_same_seed_gives_the_same_score():
    real, fake = REAL[:COUNT], REAL[COUNT:]
    first = discriminative_score(real, fake, seed=3, iterations=50)
    assert discriminative_score(real, fake, seed=3, iterations=50) == first
