"""RGAN (Esteban, Hyland, Rätsch 2017): recurrent generator vs recurrent discriminator.

Losses are the non-saturating GAN losses on per-step logits, averaged over time steps
(and over the global batch; padded steps of variable-length data are left out, and the
generated sequences take the lengths of the real batch they are scored against).
Each training step makes `train.d_steps` discriminator updates (each on its own real
batch and noise) followed by one generator update.

Config read here: model.{cell, hidden, layers, noise_dim}, train.{num_steps, d_steps},
optim.generator, optim.discriminator.
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
from rgan.models.rgan import Discriminator, Generator
from rgan.optim import make_optimizer
from rgan.state import GANState


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    model = config.model
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

    def generate(params, key, num, length, cond=None):
        """-> [num, length, features] in [0, 1]."""
        del cond  # unconditional
        return generator.apply({"params": params["generator"]}, noise(key, num, length))

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
        fake = generator.apply({"params": params["generator"]}, z, mask)

        def loss_fn(d_params):
            real_logits = discriminator.apply({"params": d_params}, batch["x"], mask)
            fake_logits = discriminator.apply({"params": d_params}, fake, mask)
            loss = losses.discriminator_loss(real_logits, fake_logits, mask, mask, AXIS)
            return loss, (real_logits, fake_logits)

        (loss, (real_logits, fake_logits)), grads = value_and_mean_grad(loss_fn, has_aux=True)(
            params["discriminator"]
        )
        updates, new_opt = d_opt.update(grads, opt_state["discriminator"], params["discriminator"])
        new_params = optax.apply_updates(params["discriminator"], updates)
        metrics = {
            "d_loss": loss,
            "d_acc_real": losses.accuracy(real_logits, 1.0, mask, AXIS),
            "d_acc_fake": losses.accuracy(fake_logits, 0.0, mask, AXIS),
            "d_grad_norm": optax.tree.norm(grads),
        }
        return (
            {**params, "discriminator": new_params},
            {**opt_state, "discriminator": new_opt},
            metrics,
        )

    def generator_update(params, opt_state, z, mask):
        def loss_fn(g_params):
            fake = generator.apply({"params": g_params}, z, mask)
            fake_logits = discriminator.apply({"params": params["discriminator"]}, fake, mask)
            return losses.generator_loss(fake_logits, mask, AXIS)

        loss, grads = value_and_mean_grad(loss_fn)(params["generator"])
        updates, new_opt = g_opt.update(grads, opt_state["generator"], params["generator"])
        new_params = optax.apply_updates(params["generator"], updates)
        metrics = {"g_loss": loss, "g_grad_norm": optax.tree.norm(grads)}
        return {**params, "generator": new_params}, {**opt_state, "generator": new_opt}, metrics

    def step(state: GANState, batches, noise_batch, key):
        del key  # RGAN draws all its randomness as noise outside the step.
        params, opt_state = state.params, state.opt_state
        d_metrics = []
        for batch, z in zip(batches, noise_batch["d"], strict=True):
            params, opt_state, m = discriminator_update(params, opt_state, batch, z)
            d_metrics.append(m)
        params, opt_state, g_metrics = generator_update(
            params, opt_state, noise_batch["g"], batches[-1].get("mask")
        )
        metrics = {**jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *d_metrics), **g_metrics}
        metrics = pmean(metrics)
        new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
        return new_state, metrics

    phase = Phase("adversarial", num_steps, step, make_noise, real_batches=d_steps)
    return Family("rgan", (phase,), init, generate)
