"""C-RNN-GAN (Mogren 2016): continuous recurrent GAN with a feedback generator and a
bidirectional discriminator.

The shared adversarial loop (rgan/families/adversarial.py) with its own networks:

- The generator's input at step t is [z_t, x_{t-1}]: its own previous output is fed back
  (x_{-1} = 0), through a custom `nn.scan` cell over the shared GRU/LSTM steps
  (rgan/models/crnngan.py).
- The discriminator is bidirectional: each step's decision sees the whole sequence; the
  decisions are averaged over time by the losses, as in the paper.
- `crnngan.feature_matching`: the generator's loss is, instead of -log D(G(z)), the squared
  distance between the batch means of the discriminator's last-layer features [T, 2H] on
  real and generated windows (Salimans et al. 2016; Mogren's `--feature_matching`). The
  batch means are pmean'd over devices inside the loss, so it is the global-batch loss.
  Mogren's other tricks (pausing the stronger network, pretraining, L2 regularization)
  are left out.

Config read here: model.{cell, hidden, layers}, crnngan.feature_matching, and what the
adversarial loop reads (not model.bidirectional_discriminator: this one always is).
"""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections

from rgan.families.adversarial import Networks, build_adversarial_family
from rgan.families.base import DataSpec, Family, noise_width
from rgan.models.crnngan import Generator
from rgan.models.rgan import Discriminator


def default_config() -> ml_collections.ConfigDict:
    """config.crnngan."""
    cg = ml_collections.ConfigDict()
    cg.feature_matching = False  # G matches D's mean last-layer features instead of the
    #                              adversarial loss (Salimans et al. 2016)
    return cg


def crnngan_networks(config: ml_collections.ConfigDict, spec: DataSpec) -> Networks:
    """C-RNN-GAN's feedback generator and RGAN's discriminator made bidirectional (the same
    parameter tree, 'rnn' and 'out', as the discriminator this family always had)."""
    model = config.model
    generator = Generator(spec.num_features, model.cell, model.hidden, model.layers)
    discriminator = Discriminator(
        model.cell, model.hidden, model.layers, bidirectional=True, unroll=model.get("unroll", 1)
    )
    z = jnp.zeros((1, spec.seq_len, noise_width(config, spec)))
    x = jnp.zeros((1, spec.seq_len, spec.num_features))
    return Networks(
        init_generator=lambda key: generator.init(key, z)["params"],
        init_discriminator=lambda key: discriminator.init(key, x)["params"],
        # Unconditional: the loop passes cond=None, which the generator does not take.
        generator=lambda params, z, cond, mask: generator.apply({"params": params}, z, mask),
        discriminator=lambda params, x, cond, mask: discriminator.apply(
            {"params": params}, x, None, mask
        ),
    )


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    return build_adversarial_family(
        "crnngan",
        config,
        spec,
        crnngan_networks(config, spec),
        feature_matching=config.crnngan.feature_matching,
    )
