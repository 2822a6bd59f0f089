"""Discriminative score (TimeGAN): how well a fresh GRU classifier tells real from synthetic."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from rgan.metrics import posthoc, validation

TRAIN_FRACTION = 0.8


def discriminative_score(
    real,
    fake,
    *,
    seed: int,
    iterations: int = 2000,
    batch_size: int = 128,
    real_lengths=None,
    fake_lengths=None,
) -> float:
    """|accuracy - 0.5| of a post-hoc GRU classifier; lower is better, 0 is perfect.

    Real and synthetic windows are each split 80/20 at random, independently. A one-layer
    GRU (hidden max(1, D // 2)) with a dense logit on its final state is trained with binary
    cross-entropy (real -> 1, synthetic -> 0; the two batch means are summed) by Adam
    (lr 1e-3) for `iterations` steps, each on `batch_size` real plus `batch_size` synthetic
    windows drawn without replacement from the 80% parts. The score is |accuracy - 0.5| on
    the two 20% parts together at threshold 0.5. One call is one repeat; report the mean and
    spread over seeds.

    Variable-length windows (padded to one length T) come with their lengths: as TimeGAN's
    `dynamic_rnn(sequence_length=...)`, the classifier reads each window's GRU state at its
    last valid step, so the steps past a window's length (its padding, any values, NaN
    included) do not matter. With every length equal to T this is the fixed-length score.

    Args:
      real: [windows, time, features] training windows in [0, 1].
      fake: [windows, time, features] generated windows in [0, 1], as many as `real`.
      seed: seeds the splits, the initialisation and the batches.
      iterations: training steps (2000 in the reference protocol).
      batch_size: windows per class per step (128 in the reference protocol).
      real_lengths: optional int [windows] valid steps of each real window, in 1..time;
        None means every window is `time` long.
      fake_lengths: the same for `fake`.

    Returns:
      The score in [0, 0.5].

    Raises:
      ValueError: bad windows (see `validation`), or lengths of the wrong shape or range.
    """
    real, fake, real_lengths, fake_lengths = validation.as_padded_window_pair(
        real, fake, real_lengths, fake_lengths, same_count=True
    )
    accuracy = _test_accuracy(
        real,
        fake,
        real_lengths,
        fake_lengths,
        jax.random.key(seed),
        validation.positive_int(iterations, "iterations"),
        batch_size=validation.positive_int(batch_size, "batch_size"),
    )
    return float(abs(float(accuracy) - 0.5))


@functools.partial(jax.jit, static_argnames=("batch_size",))
def _test_accuracy(
    real, fake, real_lengths, fake_lengths, key, iterations, *, batch_size: int
) -> jax.Array:
    """real, fake: [windows, time, features]; lengths: int [windows] each, or both None ->
    held-out accuracy of the classifier: scalar."""
    real_split_key, fake_split_key, init_key, train_key = jax.random.split(key, 4)
    (real_train, real_train_lengths), (real_test, real_test_lengths) = _split(
        real, real_lengths, real_split_key
    )
    (fake_train, fake_train_lengths), (fake_test, fake_test_lengths) = _split(
        fake, fake_lengths, fake_split_key
    )
    masked = real_lengths is not None

    model = posthoc.GRUClassifier(hidden=posthoc.hidden_size(real.shape[-1]))
    params = model.init(init_key, real[:1])
    # With fewer training windows than a batch, TimeGAN's permutation[:128] takes them all.
    real_batch = min(batch_size, real_train.shape[0])
    fake_batch = min(batch_size, fake_train.shape[0])

    def loss_fn(params, step_key):
        real_key, fake_key = jax.random.split(step_key)
        real_indices = posthoc.sample_indices(real_key, real_train.shape[0], real_batch)
        fake_indices = posthoc.sample_indices(fake_key, fake_train.shape[0], fake_batch)
        x = jnp.concatenate([real_train[real_indices], fake_train[fake_indices]])
        lengths = None
        if masked:
            lengths = jnp.concatenate(
                [real_train_lengths[real_indices], fake_train_lengths[fake_indices]]
            )
        # One pass over both halves: the GRU treats windows independently.
        logits = model.apply(params, x, lengths)
        real_logits, fake_logits = logits[:real_batch], logits[real_batch:]
        return jnp.mean(
            optax.sigmoid_binary_cross_entropy(real_logits, jnp.ones_like(real_logits))
        ) + jnp.mean(optax.sigmoid_binary_cross_entropy(fake_logits, jnp.zeros_like(fake_logits)))

    params = posthoc.train_adam(loss_fn, params, train_key, iterations)
    # sigmoid(logit) > 0.5 exactly when logit > 0.
    correct = jnp.sum(model.apply(params, real_test, real_test_lengths) > 0) + jnp.sum(
        model.apply(params, fake_test, fake_test_lengths) <= 0
    )
    return correct / (real_test.shape[0] + fake_test.shape[0])


def _split(windows: jax.Array, lengths: jax.Array | None, key: jax.Array):
    """[n, T, D] and lengths [n] (or None) -> a random split as in TimeGAN:
    (([int(0.8 n), T, D], lengths or None), ([n - int(0.8 n), T, D], lengths or None))."""
    count = windows.shape[0]
    train_count = int(count * TRAIN_FRACTION)
    order = jax.random.permutation(key, count)
    train, test = order[:train_count], order[train_count:]
    if lengths is None:
        return (windows[train], None), (windows[test], None)
    return (windows[train], lengths[train]), (windows[test], lengths[test])
