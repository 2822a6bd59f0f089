"""What every family promises the trainer, checked on each (and on the loop's options).

- One step of every phase on 4 devices equals one step on 1, with plain SGD: Adam
  normalizes a gradient's scale away, so a gradient summed instead of averaged over
  devices (or a missing `pmean`) would pass under Adam and fails here.
- A run stopped after a few steps (inside each phase) and resumed ends bit-identical to an
  uninterrupted one.
- A causal family samples at any length; a family that says it is not causal is refused.
- Conditional families take a condition; the others refuse one.

conftest.py provides 4 simulated CPU devices.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest
from testing import assert_trees_equal, max_abs_diff, with_plain_sgd

from rgan import parallel, train
from rgan.data import build_dataset
from rgan.families import DataSpec, build_family
from rgan.metric_log import read_metrics
from rgan.sample import load_run

CASES = {
    "rgan": (
        "configs/sines_rgan.py",
        {
            "train__d_steps": 2,
            "gan__label_smoothing": 0.1,
            "gan__moment_weight": 1.0,
            "gan__moment_differences": 2,  # second differences' moments, psum'd too
            "gan__moment_within_windows": True,  # deviations from each window's mean too
            "gan__step_moment_weight": 1.0,
        },
    ),
    "rgan_hinge_lstm_last_step": (
        "configs/sines_rgan.py",
        {
            "gan__loss": "hinge",
            "model__cell": "lstm",
            "gan__last_step_weight": 0.5,
            "model__bidirectional_discriminator": True,
        },
    ),
    "rgan_wgan_gp_ema_noise": (
        "configs/sines_rgan.py",
        {"gan__loss": "wgan_gp", "train__ema_decay": 0.99, "gan__instance_noise": 0.1},
    ),
    "rcgan": (
        "configs/sines3_rcgan.py",
        {
            "train__d_steps": 2,
            "gan__step_moment_weight": 1.0,
            "gan__class_moments": True,  # a loop over classes, psum'd over devices
        },
    ),
    "rcgan_dp": ("configs/sines_rcgan.py", {"rcgan__dp": True, "data__sine_classes": 2}),
    "crnngan_fm": ("configs/sines_crnngan.py", {"crnngan__feature_matching": True}),
    "timegan_ema_bidirectional_packed_last_step": (
        "configs/sines_timegan.py",
        {
            "train__ema_decay": 0.99,
            "model__bidirectional_discriminator": True,
            "timegan__discriminator_pack": 2,  # packs of consecutive sequences, per device
            "timegan__last_step_weight": 0.5,
        },
    ),
}


def _config(smoke_config, case, **overrides):
    path, case_overrides = CASES[case]
    return smoke_config(path, **{**case_overrides, **overrides})


def _real_batches(data, count, size):
    """`count` real batches of `size` windows, with the data's conditions and mask."""
    return tuple(data.batch(slice(i * size, (i + 1) * size)) for i in range(count))


def _one_step(family, phase, state, batches, size, seq_len, devices):
    mesh = parallel.make_mesh(devices)
    step = parallel.sharded_step(phase, mesh, size, seq_len, donate=False)
    new_state, metrics = step(parallel.replicate(state, mesh), parallel.global_batch(batches, mesh))
    # Fetched before the next multi-device program is dispatched (see rgan/train.py).
    return jax.device_get((new_state, metrics))


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_phase_on_four_devices_equals_one_with_plain_sgd(smoke_config, case):
    assert len(jax.devices()) == 4
    config = with_plain_sgd(_config(smoke_config, case, train__batch_size=32))
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features, data.condition_dim))
    state = jax.device_get(jax.jit(family.init)(jax.random.PRNGKey(0)))
    for index, phase in enumerate(family.phases):
        # Each phase starts from the state of its first step.
        state = state.replace(step=np.int32(family.phase_start(index)))
        batches = _real_batches(data, phase.real_batches, 32)
        state4, metrics4 = _one_step(family, phase, state, batches, 32, data.seq_len, jax.devices())
        state1, metrics1 = _one_step(
            family, phase, state, batches, 32, data.seq_len, jax.devices()[:1]
        )
        assert max_abs_diff(state4.params, state1.params) < 1e-5, phase.name
        assert max_abs_diff(state4.opt_state, state1.opt_state) < 1e-5, phase.name
        for name in metrics1:
            np.testing.assert_allclose(metrics4[name], metrics1[name], rtol=1e-5, atol=1e-6)
        # The step really moved the parameters (the comparison is not vacuous).
        assert max_abs_diff(state1.params, state.params) > 1e-4, phase.name
        state = state1


@pytest.mark.parametrize("case", sorted(CASES))
def test_resume_after_a_few_steps_is_bit_identical(smoke_config, case, tmp_path):
    # TimeGAN: phases of 3 + 3 + 4 steps, stopped and resumed inside each of them.
    stops = (2, 5, 8) if case.startswith("timegan") else (4,)
    config = _config(
        smoke_config,
        case,
        train__num_steps=4 if case.startswith("timegan") else 8,
        timegan__embedding_steps=3,
        timegan__supervised_steps=3,
        train__log_every=2,
        train__checkpoint_every=100,
        train__plot_every=0,
    )
    uninterrupted, _ = train.Trainer(config, str(tmp_path / "full")).run()
    for stop in stops:
        state, _ = train.Trainer(config, str(tmp_path / "split")).run(stop_at=stop)
        assert int(state.step) == stop
    state, history = train.Trainer(config, str(tmp_path / "split")).run()
    assert int(state.step) == int(uninterrupted.step) == (10 if case.startswith("timegan") else 8)
    assert history[0]["step"] > stops[-1]  # the last call really resumed
    assert_trees_equal(uninterrupted.params, state.params)
    assert_trees_equal(uninterrupted.opt_state, state.opt_state)
    # metrics.jsonl holds each logged step once, continuing across the resumes, with the
    # uninterrupted run's records (timings aside).
    split, full = (read_metrics(str(tmp_path / name)) for name in ("split", "full"))
    steps = [r["step"] for r in split]
    assert steps == sorted(set(steps)) == [r["step"] for r in full]
    timing = ("steps_per_sec", "time")
    assert [{k: v for k, v in r.items() if k not in timing} for r in split] == [
        {k: v for k, v in r.items() if k not in timing} for r in full
    ]
    if case == "rgan_wgan_gp_ema_noise":  # the moving average trails the raw weights
        assert max_abs_diff(state.params["generator_ema"], state.params["generator"]) > 1e-6
    if case.startswith("timegan_ema"):  # ... of each network on TimeGAN's sampling path
        for name in ("generator", "supervisor", "recovery"):
            average = state.params["sampler_ema"][name]
            assert max_abs_diff(average, state.params[name]) > 1e-6, name
    run = load_run(str(tmp_path / "split"))
    assert run.weights == ("ema" if "_ema" in case else "raw")
    _check_sampling(run, case)


def _check_sampling(run, case):
    """Conditions and other lengths, as the family describes itself."""
    assert run.family.conditional == case.startswith("rcgan")
    assert run.family.causal
    longer = run.sample_scaled(5, length=run.seq_len + 7, seed=1)
    assert longer.shape == (5, run.seq_len + 7, len(run.feature_names))
    assert np.isfinite(longer).all()
    params, key = run.state.params, jax.random.PRNGKey(0)
    generated = run.generate(4, seed=2)  # the structure every family returns
    assert generated.values.shape == (4, run.seq_len, len(run.feature_names))
    assert generated.lengths is None  # fixed-length data: every sequence is seq_len long
    assert (generated.conditions is not None) == run.family.conditional
    if run.family.conditional:
        cond = np.eye(run.conditions.dim)[np.zeros(3, int)]
        generated = run.family.generate(params, key, 3, 6, cond)
        assert generated.values.shape[:2] == (3, 6)
        np.testing.assert_array_equal(generated.conditions, cond)
    else:
        with pytest.raises(ValueError, match="unconditional"):
            run.family.generate(params, key, 3, 6, np.ones((3, 2)))
    not_causal = dataclasses.replace(run, family=dataclasses.replace(run.family, causal=False))
    assert not_causal.sample_scaled(2, seed=1).shape[1] == run.seq_len
    with pytest.raises(ValueError, match="causal"):
        not_causal.sample_scaled(2, length=run.seq_len + 1)
