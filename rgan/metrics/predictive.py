"""Predictive score (TimeGAN): train a GRU forecaster on synthetic data, test it on real."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from rgan.metrics import posthoc, validation


def predictive_score(
    real,
    fake,
    *,
    seed: int,
    iterations: int = 5000,
    batch_size: int = 128,
    real_lengths=None,
    fake_lengths=None,
) -> float:
    """Train-synthetic-test-real mean absolute error of a next-step GRU regressor.

    Inputs are features 0..D-2 at steps 0..T-2; the target is the last feature at steps
    1..T-1. A one-layer GRU (hidden max(1, D // 2)) with a dense sigmoid output per step is
    trained on the synthetic windows with mean absolute error and Adam (lr 1e-3) for
    `iterations` steps of `batch_size` windows drawn without replacement, then tested on all
    real windows: the score is the mean over windows of each window's MAE. Lower is better;
    the same model trained on real data gives the "original" row (Sines .094). One call is
    one repeat; report the mean and spread over seeds.

    Variable-length windows (padded to one length T) come with their lengths: as TimeGAN's
    `dynamic_rnn(sequence_length=...)`, a window of length L gives inputs at steps 0..L-2
    and targets at 1..L-1 only. Training minimises the MAE over the valid target entries
    of the batch; a real window's test MAE is the mean over its L-1 valid targets. Steps
    past a window's length (any values, NaN included) do not matter. With every length
    equal to T this is the fixed-length score.

    Args:
      real: [n_real, time, features] training windows in [0, 1]; features >= 2, time >= 2.
      fake: [n_fake, time, features] generated windows in [0, 1].
      seed: seeds the initialisation and the batches.
      iterations: training steps (5000 in the reference protocol).
      batch_size: windows per step (128 in the reference protocol).
      real_lengths: optional int [n_real] valid steps of each real window, in 2..time;
        None means every window is `time` long.
      fake_lengths: the same for `fake`, int [n_fake].

    Returns:
      The score (an MAE in the [0, 1] training scale).

    Raises:
      ValueError: bad inputs (see `validation`), lengths of the wrong shape or outside
        2..time, or a single feature: the reference model predicts the last feature from
        the others, so with D = 1 it has no input at all (TimeGAN's code would build a
        0-feature input and a 0-unit GRU).
    """
    real, fake, real_lengths, fake_lengths = validation.as_padded_window_pair(
        real, fake, real_lengths, fake_lengths, min_length=2
    )
    if real.shape[2] < 2:
        raise ValueError(
            "predictive_score needs at least 2 features: it predicts the last feature from "
            f"the others, and these windows have {real.shape[2]}; for univariate data use "
            "the discriminative score, MMD² and Context-FID instead"
        )
    error = _test_error(
        real,
        fake,
        real_lengths,
        fake_lengths,
        jax.random.key(seed),
        validation.positive_int(iterations, "iterations"),
        batch_size=validation.positive_int(batch_size, "batch_size"),
    )
    return float(error)


def _inputs_and_targets(windows: jax.Array) -> tuple[jax.Array, jax.Array]:
    """[n, T, D] -> (features 0..D-2 at steps 0..T-2 [n, T-1, D-1], last feature at 1..T-1
    [n, T-1])."""
    return windows[:, :-1, :-1], windows[:, 1:, -1]


@functools.partial(jax.jit, static_argnames=("batch_size",))
def _test_error(real, fake, real_lengths, fake_lengths, key, iterations, *, batch_size: int):
    """real, fake: [windows, time, features]; lengths: int [windows] each, or both None ->
    mean per-window test MAE on real: scalar."""
    if real_lengths is not None:
        return _masked_test_error(
            real, fake, real_lengths, fake_lengths, key, iterations, batch_size=batch_size
        )
    init_key, train_key = jax.random.split(key)
    train_x, train_y = _inputs_and_targets(fake)
    test_x, test_y = _inputs_and_targets(real)

    model = posthoc.GRURegressor(hidden=posthoc.hidden_size(real.shape[-1]))
    params = model.init(init_key, train_x[:1])
    batch = min(batch_size, train_x.shape[0])

    def loss_fn(params, step_key):
        indices = posthoc.sample_indices(step_key, train_x.shape[0], batch)
        return posthoc.mean_abs_error(model.apply(params, train_x[indices]), train_y[indices])

    params = posthoc.train_adam(loss_fn, params, train_key, iterations)
    per_window = jnp.mean(jnp.abs(model.apply(params, test_x) - test_y), axis=1)
    return jnp.mean(per_window)


def _masked_test_error(real, fake, real_lengths, fake_lengths, key, iterations, *, batch_size):
    """`_test_error` on valid steps only: a window of length L has L-1 (input, target) pairs,
    so the GRU runs L-1 steps and only those targets enter the losses."""
    init_key, train_key = jax.random.split(key)
    train_x, train_y = _inputs_and_targets(fake)
    test_x, test_y = _inputs_and_targets(real)
    train_steps, test_steps = fake_lengths - 1, real_lengths - 1
    train_mask = posthoc.step_mask(train_steps, train_y.shape[1])
    test_mask = posthoc.step_mask(test_steps, test_y.shape[1])

    model = posthoc.GRURegressor(hidden=posthoc.hidden_size(real.shape[-1]))
    params = model.init(init_key, train_x[:1])
    batch = min(batch_size, train_x.shape[0])

    def loss_fn(params, step_key):
        indices = posthoc.sample_indices(step_key, train_x.shape[0], batch)
        predictions = model.apply(params, train_x[indices], train_steps[indices])
        return posthoc.masked_mean_abs_error(predictions, train_y[indices], train_mask[indices])

    params = posthoc.train_adam(loss_fn, params, train_key, iterations)
    predictions = model.apply(params, test_x, test_steps)
    per_window = posthoc.masked_mean_abs_error(predictions, test_y, test_mask, axis=1)
    return jnp.mean(per_window)
