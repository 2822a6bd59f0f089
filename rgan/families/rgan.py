"""RGAN (Esteban, Hyland, Rätsch 2017): recurrent generator vs recurrent discriminator.

The training loop is the shared adversarial one (rgan/families/adversarial.py):
`train.d_steps` discriminator updates, each on its own real batch and noise, then one
generator update; the `gan.loss` objective (non-saturating by default, as in the paper)
on per-step logits averaged over time steps and the global batch. Padded steps of
variable-length data are left out, and generated sequences take the lengths of the real
batch they are scored against.

Config read here: model.{cell, hidden, layers, bidirectional_discriminator}, and what the
adversarial loop reads.
"""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections

from rgan.families.adversarial import Networks, build_adversarial_family
from rgan.families.base import DataSpec, Family, noise_width
from rgan.models.rgan import Discriminator, Generator


def rnn_networks(
    config: ml_collections.ConfigDict, spec: DataSpec, condition_dim: int = 0, projection=False
) -> Networks:
    """RGAN's generator and discriminator; with `condition_dim` > 0, RCGAN's. On
    variable-length data with `model.length_aware`, both see each step's distance to the
    sequence's end (rgan/models/rgan.py)."""
    model = config.model
    length_scale = spec.seq_len if model.length_aware and spec.variable_length else 0
    unroll = model.get("unroll", 1)
    generator = Generator(
        spec.num_features,
        model.cell,
        model.hidden,
        model.layers,
        length_scale=length_scale,
        unroll=unroll,
    )
    discriminator = Discriminator(
        model.cell,
        model.hidden,
        model.layers,
        bidirectional=model.get("bidirectional_discriminator", False),
        projection=projection,
        length_scale=length_scale,
        unroll=unroll,
    )
    z = jnp.zeros((1, spec.seq_len, noise_width(config, spec)))
    x = jnp.zeros((1, spec.seq_len, spec.num_features))
    cond = jnp.zeros((1, condition_dim)) if condition_dim else None
    return Networks(
        init_generator=lambda key: generator.init(key, z, cond)["params"],
        init_discriminator=lambda key: discriminator.init(key, x, cond)["params"],
        generator=lambda params, z, cond, mask: generator.apply({"params": params}, z, cond, mask),
        discriminator=lambda params, x, cond, mask: discriminator.apply(
            {"params": params}, x, cond, mask
        ),
    )


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    return build_adversarial_family("rgan", config, spec, rnn_networks(config, spec))
