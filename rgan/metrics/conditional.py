"""Conditional label accuracy: do generated sequences belong to the class they were asked for?

A GRU classifier is trained on real windows with their class labels and then labels
held-out real windows and generated ones (each with the class it was generated for). Its
accuracy on generated windows relative to its accuracy on real ones says how much of the
classes' difference the generator reproduces: 1 = as recognisable as real data, 1/K =
nothing beyond the class frequencies (the classification counterpart of TSTR, Esteban et
al. 2017, read the other way round: train on real, test on synthetic).
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from rgan.metrics import posthoc, validation

TRAIN_FRACTION = 0.8


class _GRULabeller(nn.Module):
    """One GRU layer; its final state goes through a dense layer to K class logits."""

    hidden: int
    classes: int

    @nn.compact
    def __call__(self, x, lengths=None):
        """x: [batch, time, features] (lengths int [batch]) -> logits [batch, classes]."""
        final_state, _ = posthoc.GRU(self.hidden)(x, lengths)
        return nn.Dense(self.classes)(final_state)


def label_accuracy(
    real,
    real_labels,
    fake,
    fake_labels,
    *,
    seed: int,
    iterations: int = 2000,
    batch_size: int = 128,
    real_lengths=None,
    fake_lengths=None,
) -> dict[str, float]:
    """Accuracy of a real-trained classifier on real and on generated windows.

    A random 80% of the real windows trains a one-layer GRU (hidden max(8, D)) with a
    dense softmax head on its final state, by Adam (lr 1e-3, cross-entropy) for
    `iterations` steps of `batch_size` windows. One call is one repeat.

    Args:
      real: [N, T, D] real windows in [0, 1]; real_labels: int [N] in 0..K-1.
      fake: [M, T, D] generated windows; fake_labels: int [M], the class each was
        generated for.
      seed: seeds the split, the initialisation and the batches.
      real_lengths, fake_lengths: optional int [N], [M] valid steps of padded windows.

    Returns:
      {"real": accuracy on the held-out 20% of real windows, "fake": accuracy on the
       generated windows, "ratio": fake / real}.
    """
    real, fake, real_lengths, fake_lengths = validation.as_padded_window_pair(
        real, fake, real_lengths, fake_lengths, min_windows=2
    )
    real_labels = np.asarray(real_labels, np.int32)
    fake_labels = np.asarray(fake_labels, np.int32)
    if real_labels.shape != (real.shape[0],) or fake_labels.shape != (fake.shape[0],):
        raise ValueError(
            f"Labels must be int [N] and [M] for {real.shape[0]} real and {fake.shape[0]} "
            f"generated windows; got shapes {real_labels.shape} and {fake_labels.shape}."
        )
    classes = int(max(real_labels.max(), fake_labels.max())) + 1
    real_accuracy, fake_accuracy = _accuracies(
        real,
        jnp.asarray(real_labels),
        fake,
        jnp.asarray(fake_labels),
        real_lengths,
        fake_lengths,
        jax.random.key(seed),
        validation.positive_int(iterations, "iterations"),
        batch_size=validation.positive_int(batch_size, "batch_size"),
        classes=classes,
    )
    real_accuracy, fake_accuracy = float(real_accuracy), float(fake_accuracy)
    return {
        "real": real_accuracy,
        "fake": fake_accuracy,
        "ratio": fake_accuracy / max(real_accuracy, 1e-12),
    }


@functools.partial(jax.jit, static_argnames=("batch_size", "classes"))
def _accuracies(
    real,
    real_labels,
    fake,
    fake_labels,
    real_lengths,
    fake_lengths,
    key,
    iterations,
    *,
    batch_size: int,
    classes: int,
):
    """-> (held-out real accuracy, generated accuracy), scalars."""
    split_key, init_key, train_key = jax.random.split(key, 3)
    count = real.shape[0]
    train_count = max(1, int(count * TRAIN_FRACTION))
    order = jax.random.permutation(split_key, count)
    train, test = order[:train_count], order[train_count:]
    masked = real_lengths is not None

    def lengths_of(rows):
        return real_lengths[rows] if masked else None

    model = _GRULabeller(hidden=max(8, real.shape[-1]), classes=classes)
    params = model.init(init_key, real[:1])
    batch = min(batch_size, train_count)

    def loss_fn(params, step_key):
        rows = train[posthoc.sample_indices(step_key, train_count, batch)]
        logits = model.apply(params, real[rows], lengths_of(rows))
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, real_labels[rows]))

    params = posthoc.train_adam(loss_fn, params, train_key, iterations)

    def accuracy(x, labels, lengths):
        predicted = jnp.argmax(model.apply(params, x, lengths), axis=-1)
        return jnp.mean((predicted == labels).astype(jnp.float32))

    real_accuracy = accuracy(real[test], real_labels[test], lengths_of(test))
    return real_accuracy, accuracy(fake, fake_labels, fake_lengths)
