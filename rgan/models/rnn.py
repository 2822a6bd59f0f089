"""Stacked GRU/LSTM networks over batch-major sequences, built on `flax.linen.scan`.

All modules take `x: [batch, time, features]` and an optional `mask: [batch, time]`
(1 for real steps, 0 for padding). Recurrent carries are derived from the input
(`zeros_like` of a slice) rather than created from constants, so that inside
`jax.shard_map` they carry the same varying-over-'data' type as the per-step outputs.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

CELL_TYPES = ("gru", "lstm")


class GRUStep(nn.Module):
    """One GRU time step (same gate equations as `flax.linen.GRUCell`).

    carry: h [batch, hidden]; inputs: (x [batch, features], mask [batch, 1]).
    Masked (padded) steps keep the previous carry and output zeros.
    """

    hidden: int

    @nn.compact
    def __call__(self, h, inputs):
        x, mask = inputs
        dense_x = functools.partial(nn.Dense, self.hidden, use_bias=True)
        dense_h = functools.partial(
            nn.Dense, self.hidden, use_bias=False, kernel_init=nn.initializers.orthogonal()
        )
        r = nn.sigmoid(dense_x(name="ir")(x) + dense_h(name="hr")(h))
        z = nn.sigmoid(dense_x(name="iz")(x) + dense_h(name="hz")(h))
        # The candidate's recurrent term has its own bias because r multiplies it.
        n = jnp.tanh(dense_x(name="in")(x) + r * dense_h(name="hn", use_bias=True)(h))
        new_h = n + z * (h - n)  # == (1 - z) * n + z * h
        new_h = jnp.where(mask, new_h, h)
        return new_h, new_h * mask


class LSTMStep(nn.Module):
    """One LSTM time step with a forget-gate bias of 1 (as TensorFlow's and Keras' LSTMs).

    carry: (c, h) each [batch, hidden]; inputs: (x [batch, features], mask [batch, 1]).
    """

    hidden: int
    forget_bias: float = 1.0

    @nn.compact
    def __call__(self, carry, inputs):
        c, h = carry
        x, mask = inputs
        dense_x = functools.partial(nn.Dense, self.hidden, use_bias=True)
        dense_h = functools.partial(
            nn.Dense, self.hidden, use_bias=False, kernel_init=nn.initializers.orthogonal()
        )
        i = nn.sigmoid(dense_x(name="ii")(x) + dense_h(name="hi")(h))
        f = nn.sigmoid(dense_x(name="if")(x) + dense_h(name="hf")(h) + self.forget_bias)
        g = jnp.tanh(dense_x(name="ig")(x) + dense_h(name="hg")(h))
        o = nn.sigmoid(dense_x(name="io")(x) + dense_h(name="ho")(h))
        new_c = f * c + i * g
        new_h = o * jnp.tanh(new_c)
        new_c = jnp.where(mask, new_c, c)
        new_h = jnp.where(mask, new_h, h)
        return (new_c, new_h), new_h * mask


_STEPS = {"gru": GRUStep, "lstm": LSTMStep}


def zero_carry(cell: str, x: jax.Array, hidden: int):
    """Zero initial carry for `cell`, derived from `x: [batch, time, features]`."""
    h = jnp.zeros_like(x[:, 0, :1]) + jnp.zeros((hidden,), x.dtype)  # [batch, hidden]
    return (h, h) if cell == "lstm" else h


class RecurrentLayer(nn.Module):
    """One recurrent layer scanned over time; optionally runs right-to-left.

    x: [batch, time, features], mask: [batch, time, 1] -> [batch, time, hidden].
    """

    cell: str
    hidden: int
    reverse: bool = False
    unroll: int = 1

    @nn.compact
    def __call__(self, x, mask):
        scan = nn.scan(
            _STEPS[self.cell],
            variable_broadcast="params",
            split_rngs={"params": False},
            in_axes=1,
            out_axes=1,
            reverse=self.reverse,
            unroll=self.unroll,
        )
        _, ys = scan(self.hidden, name="step")(zero_carry(self.cell, x, self.hidden), (x, mask))
        return ys


class ScanRNN(nn.Module):
    """A stack of GRU or LSTM layers.

    Attributes:
      cell: "gru" or "lstm".
      hidden: hidden units per layer and direction.
      layers: number of stacked layers.
      bidirectional: run a second, right-to-left layer at each level and concatenate
        both directions (output width 2 * hidden).
      unroll: time steps per scan iteration (a speed knob; results are unchanged).

    Call: x [batch, time, features], mask [batch, time] (optional, 1 = real step)
      -> [batch, time, hidden * (2 if bidirectional else 1)]; padded steps are zero.
    """

    cell: str = "gru"
    hidden: int = 24
    layers: int = 1
    bidirectional: bool = False
    unroll: int = 1

    @nn.compact
    def __call__(self, x, mask=None):
        if self.cell not in _STEPS:
            raise ValueError(f"Unknown RNN cell {self.cell!r}; expected one of {CELL_TYPES}.")
        if x.ndim != 3:
            raise ValueError(f"ScanRNN expects x of shape [batch, time, features], got {x.shape}.")
        if mask is None:
            mask = jnp.ones_like(x[..., :1])
        else:
            mask = mask.astype(x.dtype)[..., None]
        for level in range(self.layers):
            forward = RecurrentLayer(self.cell, self.hidden, unroll=self.unroll, name=f"l{level}")(
                x, mask
            )
            if self.bidirectional:
                backward = RecurrentLayer(
                    self.cell, self.hidden, reverse=True, unroll=self.unroll, name=f"l{level}_rev"
                )(x, mask)
                forward = jnp.concatenate([forward, backward], axis=-1)
            x = forward
        return x
