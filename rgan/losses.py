"""Pure loss functions on per-step values, averaged over time steps and the batch.

Padded steps of variable-length data are excluded through `mask: [batch, time]`. Inside
a per-device step, pass `axis_name` (rgan.collectives.AXIS) to average over the *global*
batch: sums and counts are psum'd, so devices holding sequences of different lengths
weigh each real step equally, exactly as one device would.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def masked_mean(
    values: jax.Array, mask: jax.Array | None = None, axis_name: str | None = None
) -> jax.Array:
    """Mean of `values: [batch, time, ...]` over the entries where `mask: [batch, time]` is 1."""
    if mask is None:
        mean = jnp.mean(values)
        return mean if axis_name is None else jax.lax.pmean(mean, axis_name)
    mask = mask.reshape(mask.shape + (1,) * (values.ndim - mask.ndim)).astype(values.dtype)
    mask = jnp.broadcast_to(mask, values.shape)
    total, count = jnp.sum(values * mask), jnp.sum(mask)
    if axis_name is not None:
        total, count = jax.lax.psum((total, count), axis_name)
    return total / jnp.maximum(count, 1.0)


def bce_with_logits(logits, target: float, mask=None, axis_name=None):
    """Binary cross-entropy of per-step `logits: [batch, time]` against a constant label."""
    losses = optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, target))
    return masked_mean(losses, mask, axis_name)


def discriminator_loss(real_logits, fake_logits, mask=None, fake_mask=None, axis_name=None):
    """Standard GAN discriminator loss: real -> 1, generated -> 0. Logits: [batch, time]."""
    return bce_with_logits(real_logits, 1.0, mask, axis_name) + bce_with_logits(
        fake_logits, 0.0, fake_mask, axis_name
    )


def generator_loss(fake_logits, mask=None, axis_name=None):
    """Non-saturating generator loss: -log D(G(z)). Logits: [batch, time]."""
    return bce_with_logits(fake_logits, 1.0, mask, axis_name)


def accuracy(logits, target: float, mask=None, axis_name=None):
    """Fraction of steps the discriminator classifies as `target` (threshold 0.5)."""
    correct = ((logits > 0).astype(jnp.float32) == target).astype(jnp.float32)
    return masked_mean(correct, mask, axis_name)


def feature_matching_loss(real_features, fake_features):
    """Squared L2 distance between batch means of features [batch, time, features]."""
    return jnp.sum((real_features.mean(axis=0) - fake_features.mean(axis=0)) ** 2)
