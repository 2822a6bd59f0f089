"""C-RNN-GAN (Mogren 2016): continuous recurrent GAN with a feedback generator and a
bidirectional discriminator.

Differences from RGAN (rgan/families/rgan.py), whose training loop this follows
(`train.d_steps` discriminator updates, then one generator update; non-saturating
losses on per-step logits averaged over time):

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

Config read here: model.{cell, hidden, layers, noise_dim}, train.{num_steps, d_steps},
optim.{generator, discriminator}, crnngan.feature_matching.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import optax

from rgan import losses
from rgan.collectives import AXIS, pmean, value_and_mean_grad
from rgan.families.base import (
    DataSpec,
    Family,
    Phase,
    adversarial_noise,
    init_generator_and_discriminator,
    uniform_noise,
)
from rgan.models.crnngan import Discriminator, Generator
from rgan.optim import make_optimizer
from rgan.state import GANState


def global_feature_matching(real_features, fake_features):
    """Squared distance of the global-batch mean features. features: [B, T, H] -> scalar.

    The means are over the sequences of all devices. (Padded steps of variable-length data
    are zero in both: generated sequences take the real batch's mask.)
    """
    real_mean = pmean(jnp.mean(real_features, axis=0, keepdims=True))
    fake_mean = pmean(jnp.mean(fake_features, axis=0, keepdims=True))
    # Means over a batch axis of size 1 are the identity: the loss of the global means.
    return losses.feature_matching_loss(real_mean, fake_mean)


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    model = config.model
    feature_matching = config.crnngan.feature_matching
    noise_dim = model.noise_dim or spec.num_features
    generator = Generator(spec.num_features, model.cell, model.hidden, model.layers)
    discriminator = Discriminator(model.cell, model.hidden, model.layers)
    num_steps = config.train.num_steps
    d_steps = config.train.d_steps
    if d_steps < 1:
        raise ValueError(f"config.train.d_steps must be >= 1; got {d_steps}.")
    g_opt = make_optimizer(config.optim.generator, num_steps, name="optim.generator")
    d_opt = make_optimizer(
        config.optim.discriminator, num_steps * d_steps, name="optim.discriminator"
    )
    noise = uniform_noise(noise_dim)

    def apply_g(params, z, mask=None):
        return generator.apply({"params": params}, z, mask)

    def apply_d(params, x, mask=None):
        """-> (logits [B, T], last-layer features [B, T, 2 * hidden])."""
        return discriminator.apply({"params": params}, x, mask)

    def generate(params, key, num, length, cond=None):
        """-> [num, length, features] in [0, 1]."""
        del cond  # unconditional (families.build_family refuses a cond)
        return apply_g(params["generator"], noise(key, num, length))

    z = jnp.zeros((1, spec.seq_len, noise_dim))
    x = jnp.zeros((1, spec.seq_len, spec.num_features))
    init = init_generator_and_discriminator(
        lambda key: generator.init(key, z)["params"],
        lambda key: discriminator.init(key, x)["params"],
        g_opt,
        d_opt,
    )

    make_noise = adversarial_noise(noise, d_steps)

    def discriminator_update(params, opt_state, batch, z):
        mask = batch.get("mask")
        fake = apply_g(params["generator"], z, mask)

        def loss_fn(d_params):
            real_logits, _ = apply_d(d_params, batch["x"], mask)
            fake_logits, _ = apply_d(d_params, fake, mask)
            loss = losses.discriminator_loss(real_logits, fake_logits, mask, mask, AXIS)
            return loss, (real_logits, fake_logits)

        (loss, (real_logits, fake_logits)), grads = value_and_mean_grad(loss_fn, has_aux=True)(
            params["discriminator"]
        )
        updates, new_opt = d_opt.update(grads, opt_state["discriminator"], params["discriminator"])
        metrics = {
            "d_loss": loss,
            "d_acc_real": losses.accuracy(real_logits, 1.0, mask, AXIS),
            "d_acc_fake": losses.accuracy(fake_logits, 0.0, mask, AXIS),
            "d_grad_norm": optax.tree.norm(grads),
        }
        return (
            {**params, "discriminator": optax.apply_updates(params["discriminator"], updates)},
            {**opt_state, "discriminator": new_opt},
            metrics,
        )

    def generator_update(params, opt_state, z, real_batch):
        mask = real_batch.get("mask")
        d_params = params["discriminator"]
        if feature_matching:
            _, real_features = apply_d(d_params, real_batch["x"], mask)

        def loss_fn(g_params):
            fake = apply_g(g_params, z, mask)
            fake_logits, fake_features = apply_d(d_params, fake, mask)
            adversarial = losses.generator_loss(fake_logits, mask, AXIS)
            if not feature_matching:
                return adversarial, {}
            matching = global_feature_matching(real_features, fake_features)
            return matching, {"g_loss_adversarial": adversarial}

        (loss, aux), grads = value_and_mean_grad(loss_fn, has_aux=True)(params["generator"])
        updates, new_opt = g_opt.update(grads, opt_state["generator"], params["generator"])
        new_params = optax.apply_updates(params["generator"], updates)
        metrics = {"g_loss": loss, "g_grad_norm": optax.tree.norm(grads), **aux}
        return {**params, "generator": new_params}, {**opt_state, "generator": new_opt}, metrics

    def step(state: GANState, batches, noise_batch, key):
        del key  # all randomness is the noise, drawn outside the step
        params, opt_state = state.params, state.opt_state
        d_metrics = []
        for batch, z in zip(batches, noise_batch["d"], strict=True):
            params, opt_state, m = discriminator_update(params, opt_state, batch, z)
            d_metrics.append(m)
        params, opt_state, g_metrics = generator_update(
            params, opt_state, noise_batch["g"], batches[-1]
        )
        metrics = {**jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *d_metrics), **g_metrics}
        metrics = pmean(metrics)
        new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
        return new_state, metrics

    phase = Phase("adversarial", num_steps, step, make_noise, real_batches=d_steps)
    return Family("crnngan", (phase,), init, generate)
