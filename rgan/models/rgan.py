"""RGAN and RCGAN (Esteban, Hyland, Rätsch 2017) networks: a recurrent generator and a
recurrent discriminator, with an optional per-sequence condition.

RCGAN is RGAN with the condition vector `cond: [batch, C]` concatenated to the input at
every time step of both networks; with `cond=None` the networks are RGAN's.

The discriminator may also score the condition by projection (Miyato & Koyama, cGANs
with Projection Discriminator, ICLR 2018): each step's logit gains `<V cond, h_t>`, a
learned linear embedding of the condition dotted with the step's features. With the
condition only concatenated to the input, a discriminator can (and on the 3-class sines
did, on one CPU's rounding and not another's) learn to ignore it, and the generator then
drops a class; the projection term makes "does this sequence fit this condition" part of
every logit from the first step on.
"""

from __future__ import annotations

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp

from rgan.models.rnn import ScanRNN


def steps_to_end(x: jax.Array, mask: jax.Array | None, scale: int) -> jax.Array:
    """Each step's distance to its sequence's last step, / scale: [batch, time, 1].

    mask [batch, time] (1 = real step, the real steps first); None = every step is real.
    Padded steps get 0. Fed to the networks of variable-length data, it tells the
    generator how long the sequence it is making will be (it is cut at that length) and
    the causal discriminator which step is a sequence's last, so that how sequences end
    is learned, not only how they go on.
    """
    time = x.shape[1]
    lengths = (
        jnp.full(x.shape[:1], time, x.dtype)
        if mask is None
        else jnp.sum(mask, axis=1).astype(x.dtype)
    )
    remaining = lengths[:, None] - 1.0 - jnp.arange(time, dtype=x.dtype)[None, :]
    return (jnp.maximum(remaining, 0.0) / scale)[..., None]


def with_condition(x: jax.Array, cond: jax.Array | None) -> jax.Array:
    """x [batch, time, F], cond [batch, C] or None -> [batch, time, F + C]."""
    if cond is None:
        return x
    chex.assert_rank(cond, 2)
    chex.assert_equal_shape_prefix((x, cond), 1)
    repeated = jnp.broadcast_to(cond[:, None, :], x.shape[:2] + cond.shape[-1:])
    return jnp.concatenate([x, repeated.astype(x.dtype)], axis=-1)


class Generator(nn.Module):
    """[noise_t, cond] -> RNN -> per-step dense -> sigmoid.

    Call: z [batch, time, noise], cond [batch, C] or None (mask [batch, time] optional)
    -> [batch, time, features] in [0, 1]. The RNN runs for as many steps as z has, so any
    length can be sampled. `length_scale` > 0 adds `steps_to_end(z, mask, length_scale)`
    to the input (length-aware, for variable-length data).
    """

    features: int
    cell: str = "gru"
    hidden: int = 24
    layers: int = 3
    length_scale: int = 0
    unroll: int = 1  # ScanRNN's time steps per loop iteration (speed only)

    @nn.compact
    def __call__(self, z: jax.Array, cond=None, mask=None) -> jax.Array:
        inputs = with_condition(z, cond)
        if self.length_scale:
            inputs = jnp.concatenate([inputs, steps_to_end(z, mask, self.length_scale)], -1)
        h = ScanRNN(self.cell, self.hidden, self.layers, unroll=self.unroll, name="rnn")(
            inputs, mask
        )
        return nn.sigmoid(nn.Dense(self.features, name="out")(h))


class Discriminator(nn.Module):
    """[x_t, cond] -> RNN -> one logit per step.

    Call: x [batch, time, features], cond [batch, C] or None (mask optional)
    -> (logits [batch, time], last-layer features [batch, time, hidden (x2 bidirectional)]).
    `length_scale` > 0: length-aware, as the generator.
    """

    cell: str = "gru"
    hidden: int = 24
    layers: int = 3
    bidirectional: bool = False
    projection: bool = False  # add <V cond, h_t> to every step's logit (see module doc)
    length_scale: int = 0
    unroll: int = 1

    @nn.compact
    def __call__(self, x, cond=None, mask=None):
        inputs = with_condition(x, cond)
        if self.length_scale:
            inputs = jnp.concatenate([inputs, steps_to_end(x, mask, self.length_scale)], -1)
        h = ScanRNN(
            self.cell, self.hidden, self.layers, self.bidirectional, self.unroll, name="rnn"
        )(inputs, mask)
        logits = nn.Dense(1, name="out")(h)[..., 0]
        if self.projection and cond is not None:
            embedded = nn.Dense(h.shape[-1], use_bias=False, name="cond_projection")(cond)
            logits = logits + jnp.einsum("bth,bh->bt", h, embedded.astype(h.dtype))
        return logits, h
