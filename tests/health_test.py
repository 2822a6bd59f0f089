"""Training health: each warning fires on a run made to fail that way, once, and the
monitor stays silent on healthy records (a healthy Sines run: tests/sample_test.py)."""

import math

import numpy as np
import pytest
from conftest import REPO
from testing import load_test_config

from rgan import train
from rgan.health import CHANCE_LOSS, MESSAGES, HealthMonitor, diversity_ratio
from rgan.metric_log import read_metrics

HEALTHY = {"d_loss": 1.30, "d_acc_real": 0.70, "d_acc_fake": 0.65, "g_loss": 0.80}


def _feed(monitor, records):
    return [monitor.update(i, r) for i, r in enumerate(records)]


def test_a_condition_must_hold_for_a_whole_window_and_warns_once(caplog):
    chance = {"d_loss": CHANCE_LOSS, "d_acc_real": 1.0, "d_acc_fake": 0.0, "g_loss": 0.69}
    monitor = HealthMonitor(window=3)
    flags = _feed(monitor, [chance, HEALTHY, chance, chance, chance, chance])
    assert [f["health_d_at_chance"] for f in flags] == [0, 0, 0, 0, 1, 1]
    assert caplog.text.count("cannot tell real from generated") == 1
    assert not any(f["health_d_wins"] or f["health_collapse"] for f in flags)


def test_d_wins_needs_the_generator_loss_to_climb():
    winning = [
        {"d_loss": 0.05, "d_acc_real": 1.0, "d_acc_fake": 1.0, "g_loss": g} for g in (3, 4, 5)
    ]
    assert _feed(HealthMonitor(window=3), winning)[-1]["health_d_wins"] == 1
    assert _feed(HealthMonitor(window=3), winning[::-1])[-1]["health_d_wins"] == 0


def test_collapse_is_a_fall_in_diversity_not_an_untrained_generator():
    untrained = [{**HEALTHY, "diversity_ratio": 0.12}] * 4  # never varied: not a collapse
    assert _feed(HealthMonitor(window=3), untrained)[-1]["health_collapse"] == 0
    fall = [0.12, 0.9, 0.95, 0.2, 0.15, 0.1]
    flags = _feed(HealthMonitor(window=3), [{**HEALTHY, "diversity_ratio": r} for r in fall])
    assert [f["health_collapse"] for f in flags] == [0, 0, 0, 0, 0, 1]
    identical = [{**HEALTHY, "diversity_ratio": 0.0}] * 3
    assert _feed(HealthMonitor(window=3), identical)[-1]["health_collapse"] == 1


def test_diversity_ratio_sanity_values():
    rng = np.random.default_rng(0)
    real = rng.uniform(size=(256, 24, 3))
    assert diversity_ratio(real, real[::-1]) == pytest.approx(1.0)
    assert diversity_ratio(real, np.repeat(real[:1], 256, axis=0)) == pytest.approx(0, abs=1e-9)
    assert diversity_ratio(real, 0.5 + 0.1 * (real - 0.5)) == pytest.approx(0.1, rel=1e-6)
    # Padded steps are left out: garbage past each length changes nothing.
    mask = np.ones((256, 24))
    mask[:, 20:] = 0
    noisy = real.copy()
    noisy[:, 20:] = 1e3 * rng.normal(size=(256, 4, 3))
    assert diversity_ratio(real, noisy, mask, mask) == pytest.approx(
        diversity_ratio(real[:, :20], real[:, :20])
    )


# Runs made to fail, each in the way its warning names (RGAN on Sines, 160 steps):
FAILING_RUNS = {
    # weight decay of 1000 x lr 1e-3 zeroes the discriminator at every step: it outputs ~0
    "health_d_at_chance": {
        "optim__discriminator__optimizer": "adamw",
        "optim__discriminator__weight_decay": 1000.0,
    },
    # a frozen generator against a fast discriminator
    "health_d_wins": {
        "optim__generator__learning_rate": 1e-9,
        "optim__discriminator__learning_rate": 1e-2,
    },
    # a learning rate of 1 saturates the generator's sigmoid: every window the same
    "health_collapse": {"optim__generator__learning_rate": 1.0},
}


@pytest.mark.parametrize("failure", sorted(FAILING_RUNS))
def test_each_warning_fires_on_a_run_made_to_fail_that_way(failure, tmp_path, caplog):
    caplog.set_level("WARNING")
    config = load_test_config(
        f"{REPO}/configs/sines_rgan.py:smoke",
        train__num_steps=160,
        train__log_every=20,
        train__checkpoint_every=160,
        train__plot_every=0,
        **FAILING_RUNS[failure],
    )
    train.train_and_evaluate(config, str(tmp_path))
    records = read_metrics(str(tmp_path))
    assert records[-1][failure] == 1.0, records[-1]
    assert all(math.isfinite(r["diversity_ratio"]) for r in records)
    first_words = MESSAGES[failure].split(":")[0]  # e.g. "The generator is collapsing"
    assert caplog.text.count(first_words) == 1  # warned, once
