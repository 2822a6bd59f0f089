"""Predictive score: the "original data" row of the Sines benchmark."""

from metrics_testing import sines, uniform_noise

from rgan.metrics import predictive_score

REAL = sines(1000, seed=0)


def test_reference_model_trained_on_real_sines_scores_0_094():
    # Full 5000 iterations (the training cost does not depend on the window count, so 1000
    # windows keep only the final test pass short). Published: .094 +- .001.
    assert abs(predictive_score(REAL, REAL, seed=0) - 0.094) < 0.01


def test_training_on_noise_predicts_real_data_worse():
    # Same shapes as above, so no recompilation; fewer iterations suffice for the gap.
    noise = uniform_noise(1000, seed=1)
    trained_on_real = predictive_score(REAL, REAL, seed=1, iterations=1000)
    trained_on_noise = predictive_score(REAL, noise, seed=1, iterations=1000)
    assert trained_on_noise > trained_on_real + 0.05
