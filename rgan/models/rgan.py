"""RGAN (Esteban, Hyland, Rätsch 2017) networks: recurrent generator and discriminator."""

from __future__ import annotations

import flax.linen as nn
import jax

from rgan.models.rnn import ScanRNN


class Generator(nn.Module):
    """Per-step noise -> RNN -> per-step dense -> sigmoid.

    Call: z [batch, time, noise] (mask [batch, time] optional) -> [batch, time, features]
    in [0, 1]. The RNN runs for as many steps as z has, so any length can be sampled.
    """

    features: int
    cell: str = "gru"
    hidden: int = 24
    layers: int = 3

    @nn.compact
    def __call__(self, z: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        h = ScanRNN(self.cell, self.hidden, self.layers, name="rnn")(z, mask)
        return nn.sigmoid(nn.Dense(self.features, name="out")(h))


class Discriminator(nn.Module):
    """Sequence -> RNN -> one logit per step.

    Call: x [batch, time, features] (mask optional) -> logits [batch, time].
    """

    cell: str = "gru"
    hidden: int = 24
    layers: int = 3
    bidirectional: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        h = ScanRNN(self.cell, self.hidden, self.layers, self.bidirectional, name="rnn")(x, mask)
        return nn.Dense(1, name="out")(h)[..., 0]
