"""C-RNN-GAN (Mogren 2016) networks.

Generator: at step t a stack of recurrent cells reads [z_t, x_{t-1}], the noise and its
own previous output (x_{-1} = 0), and a dense layer with a sigmoid emits x_t in [0, 1].
Feeding the output back makes each step's output depend on what was actually generated
before it, not only on the hidden state. Its cells are flax's (`nn.OptimizedLSTMCell`,
`nn.GRUCell`): ScanRNN's cells are internal to it, and this loop needs a cell it can call
one step at a time.

The discriminator is RGAN's (`rgan.models.rgan.Discriminator`) with bidirectional=True:
a logit at every step, each seeing the whole sequence, and the last layer's features
[batch, time, 2 * hidden] for the optional feature-matching generator loss.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

CELLS = {"gru": nn.GRUCell, "lstm": nn.OptimizedLSTMCell}


def zero_carry(cell: str, z: jax.Array, hidden: int):
    """Zero carry of one cell for z [batch, time, noise], derived from z so that under
    shard_map it varies over 'data' like the data: h [batch, hidden] (LSTM: (c, h))."""
    h = jnp.zeros_like(z[:, 0, :1]) + jnp.zeros((hidden,), z.dtype)
    return (h, h) if cell == "lstm" else h


class FeedbackStep(nn.Module):
    """One generator step: the cells of every layer, then the output layer.

    carry: (per-layer cell carries, x_prev [batch, features]);
    inputs: (z_t [batch, noise], mask_t [batch, 1]) -> (carry, x_t [batch, features]).
    Padded steps (mask 0) output zeros and leave the carry, x_prev included, unchanged.
    """

    features: int
    cell: str
    hidden: int
    layers: int

    @nn.compact
    def __call__(self, carry, inputs):
        cells, x_prev = carry
        z, mask = inputs
        h = jnp.concatenate([z, x_prev], axis=-1)
        keep = mask > 0  # [batch, 1]
        new_cells = []
        for level in range(self.layers):
            state, h = CELLS[self.cell](self.hidden, name=f"l{level}")(cells[level], h)
            state = jax.tree.map(lambda new, old: jnp.where(keep, new, old), state, cells[level])
            new_cells.append(state)
        x = nn.sigmoid(nn.Dense(self.features, name="out")(h))
        return (tuple(new_cells), jnp.where(keep, x, x_prev)), x * mask


class Generator(nn.Module):
    """Call: z [batch, time, noise] (mask [batch, time] optional) -> [batch, time, features]
    in [0, 1]. Runs for as many steps as z has, so any length can be sampled."""

    features: int
    cell: str = "lstm"
    hidden: int = 24
    layers: int = 2

    @nn.compact
    def __call__(self, z: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        if self.cell not in CELLS:
            raise ValueError(f"Unknown RNN cell {self.cell!r}; expected one of {tuple(CELLS)}.")
        mask = jnp.ones_like(z[..., :1]) if mask is None else mask.astype(z.dtype)[..., None]
        # Carries derived from z, so that under shard_map they vary over 'data' like z.
        cells = tuple(zero_carry(self.cell, z, self.hidden) for _ in range(self.layers))
        x_start = jnp.zeros_like(z[:, 0, :1]) + jnp.zeros((self.features,), z.dtype)
        scan = nn.scan(
            FeedbackStep,
            variable_broadcast="params",
            split_rngs={"params": False},
            in_axes=1,
            out_axes=1,
        )
        step = scan(self.features, self.cell, self.hidden, self.layers, name="feedback")
        _, x = step((cells, x_start), (z, mask))
        return x
