"""Pure loss functions. Per-step logits/values are averaged over time (and the batch),
respecting a mask of real steps when the sequences are padded."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def masked_mean(values: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """Mean of `values: [batch, time, ...]` over the entries where `mask: [batch, time]` is 1."""
    if mask is None:
        return jnp.mean(values)
    mask = mask.reshape(mask.shape + (1,) * (values.ndim - mask.ndim)).astype(values.dtype)
    mask = jnp.broadcast_to(mask, values.shape)
    return jnp.sum(values * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def bce_with_logits(logits: jax.Array, target: float, mask: jax.Array | None = None):
    """Binary cross-entropy of per-step `logits: [batch, time]` against a constant label."""
    losses = optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, target))
    return masked_mean(losses, mask)


def discriminator_loss(real_logits, fake_logits, mask=None, fake_mask=None):
    """Standard GAN discriminator loss: real -> 1, generated -> 0. Logits: [batch, time]."""
    return bce_with_logits(real_logits, 1.0, mask) + bce_with_logits(fake_logits, 0.0, fake_mask)


def generator_loss(fake_logits, mask=None):
    """Non-saturating generator loss: -log D(G(z)). Logits: [batch, time]."""
    return bce_with_logits(fake_logits, 1.0, mask)


def accuracy(logits, target: float, mask=None):
    """Fraction of steps the discriminator classifies as `target` (threshold 0.5)."""
    predicted = (logits > 0).astype(jnp.float32)
    return masked_mean((predicted == target).astype(jnp.float32), mask)


def feature_matching_loss(real_features, fake_features):
    """Squared L2 distance between batch means of features [batch, time, features]."""
    return jnp.sum((real_features.mean(axis=0) - fake_features.mean(axis=0)) ** 2)
