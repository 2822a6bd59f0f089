"""scripts/autoencoder_floor.py: TimeGAN's autoencoder floor and the texture measures."""

import importlib.util
import types

import jax
import numpy as np
import pytest
from absl import app
from conftest import REPO
from testing import max_abs_diff

from rgan import ensemble, train
from rgan.families import DataSpec, build_family
from rgan.models.timegan import timegan_networks
from rgan.sample import load_run

_spec = importlib.util.spec_from_file_location(
    "autoencoder_floor", REPO / "scripts/autoencoder_floor.py"
)
floor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floor)


def _smooth(rng, n, time=16, features=4):
    """Windows whose changes persist: integrated random walks, scaled into [0.2, 0.8]."""
    x = np.cumsum(np.cumsum(rng.normal(size=(n, time, features)), axis=1), axis=1)
    x = (x - x.min()) / (x.max() - x.min())
    return (0.2 + 0.6 * x).astype(np.float32)


def test_change_autocorrelation_gives_its_sanity_values():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(2000, 20, 3))
    assert np.allclose(floor.change_autocorrelation(noise), -0.5, atol=0.03)
    assert np.allclose(floor.change_autocorrelation(np.cumsum(noise, axis=1)), 0.0, atol=0.03)
    assert (floor.change_autocorrelation(_smooth(rng, 500)) > 0.9).all()
    zigzag = (-1.0) ** np.arange(20)[None, :, None] + 0.1 * noise
    assert (floor.change_autocorrelation(zigzag) < -0.95).all()
    constant = np.ones((10, 20, 2))
    assert (floor.change_autocorrelation(constant) == 0).all()


def test_texture_counts_only_the_steps_within_each_length():
    rng = np.random.default_rng(1)
    walks = np.cumsum(rng.normal(size=(300, 12, 2)), axis=1)
    lengths = rng.integers(4, 13, size=300)
    padded = np.where(np.arange(12)[None, :, None] < lengths[:, None, None], walks, np.nan)
    got = floor.change_autocorrelation(padded, lengths)
    pairs = [walks[i, : lengths[i]] for i in range(300)]
    changes = [np.diff(p, axis=0) for p in pairs]
    later = np.concatenate([c[1:] for c in changes])
    earlier = np.concatenate([c[:-1] for c in changes])
    expected = [np.corrcoef(later[:, f], earlier[:, f])[0, 1] for f in range(2)]
    assert np.allclose(got, expected, atol=1e-9)
    assert np.isfinite(floor.change_std(padded, lengths)).all()
    same = floor.texture(padded, padded, lengths, lengths)
    for name in ("change_std_ratio", "window_spread_ratio"):
        assert same[f"{name}_min"] == pytest.approx(1.0)
        assert same[f"{name}_max"] == pytest.approx(1.0)
    expected_spread = np.sqrt(
        np.mean(np.concatenate([(p - p.mean(0)) ** 2 for p in pairs]), axis=0)
    )
    assert np.allclose(floor.window_spread(padded, lengths), expected_spread, atol=1e-9)


def test_window_spread_sees_flat_windows_that_the_pooled_spread_does_not():
    """Windows at levels of std 1, each moving along a sine arc of amplitude 0.3: the same
    levels with arcs half as tall have nearly the same pooled std (1.008 against 1.026)
    but half the spread within windows."""
    rng = np.random.default_rng(3)
    levels = rng.normal(size=(2000, 1, 2))
    wiggle = np.sin(np.linspace(0, 3, 24))[None, :, None] * rng.choice([-1, 1], (2000, 1, 2))
    real, flat = levels + 0.3 * wiggle, levels + 0.15 * wiggle
    assert flat.std() / real.std() > 0.95
    ratio = floor.window_spread(flat) / floor.window_spread(real)
    assert np.allclose(ratio, 0.5, atol=1e-9)
    assert np.allclose(floor.window_spread(levels + 0 * wiggle), 0.0)


def test_a_perfect_round_trip_floors_near_zero_and_a_zigzag_one_high():
    real = _smooth(np.random.default_rng(2), 800)
    zigzag = 0.2 * (-1.0) ** np.arange(16)[None, :, None]
    # (A zig-zag of 0.05 scored .07 after 300 iterations and .5 after 1000; 0.2 leaves
    # the classifier a margin.)
    exact, _, _, _ = floor.floor_scores(real, lambda x, n: x, repeats=1, iterations=1500)
    rough, _, _, _ = floor.floor_scores(real, lambda x, n: x + zigzag, repeats=1, iterations=1500)
    assert exact[0] < 0.15  # .04: the two halves of one data set
    assert rough[0] > 0.35  # .5: every reconstruction zig-zags


def test_timegan_reconstructs_with_its_embedder_and_recovery(smoke_config):
    config = smoke_config("configs/sines_timegan.py", train__ema_decay=0.99)
    family = build_family(config, DataSpec(24, 5))
    params = family.init(jax.random.PRNGKey(0)).params
    nets = timegan_networks(5, config.model.cell, config.model.hidden, config.model.layers)
    x = jax.random.uniform(jax.random.PRNGKey(1), (3, 24, 5))
    hidden = nets["embedder"].apply({"params": params["embedder"]}, x)
    expected = nets["recovery"].apply({"params": params["recovery"]}, hidden)
    assert max_abs_diff(family.reconstruct(params, x), expected) < 1e-6
    rgan_family = build_family(smoke_config("configs/sines_rgan.py"), DataSpec(24, 5))
    assert rgan_family.reconstruct is None
    members = ensemble.ensemble_family(family, 2)
    with pytest.raises(ValueError, match="one member at a time"):
        members.reconstruct(params, x)


def test_a_trained_run_s_floor_and_table(smoke_config, tmp_path):
    config = smoke_config(
        "configs/sines_timegan.py",
        timegan__embedding_steps=20,
        timegan__supervised_steps=5,
        train__num_steps=5,
        train__plot_every=0,
    )
    train.train_and_evaluate(config, str(tmp_path))
    run = load_run(str(tmp_path))
    result = floor.run_floor(run, repeats=2, iterations=20)
    assert result["step"] == 30 and result["joint_iterations"] == 5
    assert len(result["floor"]["repeats"]) == 2
    assert 0.0 <= result["floor"]["mean"] <= 0.5
    assert 0.0 < result["reconstruction_rmse"] < 1.0
    for part in ("reconstruction", "generated"):
        assert 0 < result[part]["change_std_ratio_min"] <= result[part]["change_std_ratio_max"]
        assert -1.0 <= result[part]["change_autocorrelation"] <= 1.0
    results = {
        "name": "floor",
        "repeats": 2,
        "command": "python scripts/autoencoder_floor.py",
        "commit": "abc",
        "date": "2026-01-01",
        "runs": {"smoke": result},
    }
    table = floor.render_markdown(results)
    assert "| smoke | 30 (5) | " in table and "at commit `abc`" in table
    before_joint = {**result, "joint_iterations": 0, "generated": None}
    row = floor.render_markdown({**results, "runs": {"pretrained": before_joint}})
    assert "| pretrained | 30 (0) | " in row and "| – |" in row
    not_timegan = types.SimpleNamespace(
        family=types.SimpleNamespace(reconstruct=None),
        workdir="w",
        config=types.SimpleNamespace(family="rgan"),
    )
    with pytest.raises(app.UsageError, match="no autoencoder"):
        floor.run_floor(not_timegan, repeats=1)
