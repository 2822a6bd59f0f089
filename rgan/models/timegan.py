"""TimeGAN (Yoon, Jarrett, van der Schaar 2019) networks.

Each is a stacked RNN followed by a per-step dense layer, as in the reference code:

    embedder:      X [B, T, D]      -> H     [B, T, hidden]  (sigmoid)
    recovery:      H [B, T, hidden] -> X~    [B, T, D]       (sigmoid)
    generator:     Z [B, T, D]      -> E^    [B, T, hidden]  (sigmoid)
    supervisor:    H [B, T, hidden] -> S(H)  [B, T, hidden]  (sigmoid; layers - 1 RNN layers)
    discriminator: H [B, T, hidden] -> logit [B, T]          (linear)

and, not in the reference (rgan.families.timegan's `data_discriminator_weight`):

    data discriminator: X [B, T, D] -> logit [B, T]            (linear)

The reference code's discriminator is causal (each step's logit reads steps <= t); the
paper's reads both ways (forward and backward hidden states at each step), which
`bidirectional_discriminator` gives.
"""

from __future__ import annotations

import flax.linen as nn
import jax

from rgan.models.rnn import ScanRNN


class RecurrentMap(nn.Module):
    """ScanRNN -> per-step Dense(`features`) -> optional sigmoid.

    Call: x [batch, time, in] (mask [batch, time] optional) -> [batch, time, features].
    """

    features: int
    cell: str = "gru"
    hidden: int = 24
    layers: int = 3
    sigmoid: bool = True
    bidirectional: bool = False  # each layer also reads right to left (ScanRNN)
    unroll: int = 1  # ScanRNN's time steps per loop iteration (speed only)

    @nn.compact
    def __call__(self, x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        h = ScanRNN(
            self.cell, self.hidden, self.layers, self.bidirectional, self.unroll, name="rnn"
        )(x, mask)
        y = nn.Dense(self.features, name="out")(h)
        return nn.sigmoid(y) if self.sigmoid else y


def timegan_networks(
    num_features: int,
    cell: str,
    hidden: int,
    layers: int,
    unroll: int = 1,
    bidirectional_discriminator: bool = False,
) -> dict:
    """The five networks by name, sized as in the reference implementation; with
    `bidirectional_discriminator`, D as the paper describes it (both directions)."""
    return {
        "embedder": RecurrentMap(hidden, cell, hidden, layers, unroll=unroll),
        "recovery": RecurrentMap(num_features, cell, hidden, layers, unroll=unroll),
        "generator": RecurrentMap(hidden, cell, hidden, layers, unroll=unroll),
        # The reference supervisor has one layer fewer than the others.
        "supervisor": RecurrentMap(hidden, cell, hidden, max(1, layers - 1), unroll=unroll),
        "discriminator": discriminator_network(
            cell, hidden, layers, unroll, bidirectional_discriminator
        ),
    }


def discriminator_network(
    cell: str, hidden: int, layers: int, unroll: int = 1, bidirectional: bool = False
) -> RecurrentMap:
    """A discriminator: [B, T, in] -> logits [B, T, 1], its first layer taking its width
    from the input: latents H for TimeGAN's D, data X for the data discriminator."""
    return RecurrentMap(
        1, cell, hidden, layers, sigmoid=False, bidirectional=bidirectional, unroll=unroll
    )
