"""RCGAN (Esteban, Hyland, Rätsch 2017): conditional recurrent GAN, optionally with a
differentially private discriminator.

Differences from RGAN (rgan/families/rgan.py), whose training loop this follows
(`train.d_steps` discriminator updates, each on its own real batch and noise, then one
generator update; non-saturating losses on per-step logits averaged over time):

- Both networks see the sequence's condition vector `cond: [C]` concatenated to their
  input at every step (rgan/models/rcgan.py). Generated sequences are conditioned on the
  conditions of the real batch they are scored against, so they follow the data's
  condition distribution. Without conditions in the data (C = 0) this is RGAN.
- `rcgan.dp`: the discriminator is trained with DP-SGD (rgan/privacy_sgd.py). Only the
  loss on *real* windows touches the data, so its per-example gradients are clipped to
  `dp_l2_clip` and noised (sigma = `dp_noise_multiplier`); the loss on generated windows
  is a function of the generator, itself trained only through the private discriminator,
  and is added unclipped. The generator is private by post-processing. The budget
  (epsilon at `dp_delta`) is computed by `privacy_budget` (rgan/privacy_accountant.py),
  logged when training starts and saved with every checkpoint. The guarantee covers the
  sequences; the conditions are treated as public (the generator is fed the batch's
  conditions, and the run saves their empirical distribution for sampling), as in the
  paper's experiments.
- `rcgan.projection`: the discriminator also scores the condition by projection
  (rgan/models/rcgan.py), so it cannot ignore it; off reproduces the paper.
- The paper's networks are single-layer LSTMs; here they follow `config.model` (the RCGAN
  configs set model.cell = "lstm").

Config read here: model.{cell, hidden, layers, noise_dim}, train.{num_steps, d_steps,
batch_size}, optim.{generator, discriminator}, rcgan.{projection, dp, dp_noise_multiplier,
dp_l2_clip, dp_delta}.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import optax

from rgan import losses, privacy_accountant
from rgan.collectives import AXIS, pmean, value_and_mean_grad
from rgan.families.base import (
    DataSpec,
    Family,
    Phase,
    adversarial_noise,
    init_generator_and_discriminator,
    uniform_noise,
)
from rgan.models.rcgan import Discriminator, Generator
from rgan.optim import make_optimizer
from rgan.privacy_sgd import private_mean_grad
from rgan.state import GANState


def check_condition(cond, num: int, condition_dim: int) -> None:
    """Raises a ValueError that says what `cond` must be for a run with `condition_dim`."""
    if condition_dim == 0:
        if cond is not None:
            raise ValueError(
                "This RCGAN was trained without conditions (the data had none), so it takes "
                "no cond; drop it, or train on conditional data (config.data.sine_classes or "
                "config.data.conditions_path)."
            )
        return
    if cond is not None and tuple(cond.shape) != (num, condition_dim):
        raise ValueError(
            f"cond must have shape [num, condition_dim] = [{num}, {condition_dim}]; got "
            f"{tuple(cond.shape)}. Pass one condition vector of width {condition_dim} per "
            "sequence (one-hot for class labels)."
        )


def privacy_budget(config: ml_collections.ConfigDict, num_examples: int) -> dict | None:
    """The (epsilon, delta) that `config`'s whole run spends on `num_examples` windows.

    One discriminator update is one DP-SGD step at sampling rate batch / num_examples;
    a run makes `train.num_steps * train.d_steps` of them. None when `rcgan.dp` is off.
    """
    if config.family != "rcgan" or not config.rcgan.dp:
        return None
    rc = config.rcgan
    sampling_rate = min(1.0, config.train.batch_size / num_examples)
    steps = config.train.num_steps * config.train.d_steps
    epsilon = privacy_accountant.dp_sgd_epsilon(
        sampling_rate=sampling_rate,
        noise_multiplier=rc.dp_noise_multiplier,
        steps=steps,
        delta=rc.dp_delta,
    )
    return {
        "epsilon": epsilon,
        "delta": rc.dp_delta,
        "noise_multiplier": rc.dp_noise_multiplier,
        "l2_clip": rc.dp_l2_clip,
        "sampling_rate": sampling_rate,
        "steps": steps,
        "num_examples": num_examples,
    }


def _check_dp_config(rc: ml_collections.ConfigDict) -> None:
    if rc.dp_noise_multiplier <= 0:
        raise ValueError(
            f"config.rcgan.dp_noise_multiplier must be > 0 with rcgan.dp; got "
            f"{rc.dp_noise_multiplier}. (Without noise there is no privacy: set rcgan.dp=False.)"
        )
    if rc.dp_l2_clip <= 0:
        raise ValueError(f"config.rcgan.dp_l2_clip must be > 0; got {rc.dp_l2_clip}.")
    if not 0 < rc.dp_delta < 1:
        raise ValueError(f"config.rcgan.dp_delta must be in (0, 1); got {rc.dp_delta}.")


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    model, rc = config.model, config.rcgan
    noise_dim = model.noise_dim or spec.num_features
    cond_dim = spec.condition_dim
    generator = Generator(spec.num_features, model.cell, model.hidden, model.layers)
    discriminator = Discriminator(model.cell, model.hidden, model.layers, rc.projection)
    num_steps = config.train.num_steps
    d_steps = config.train.d_steps
    if d_steps < 1:
        raise ValueError(f"config.train.d_steps must be >= 1; got {d_steps}.")
    if rc.dp:
        _check_dp_config(rc)
    g_opt = make_optimizer(config.optim.generator, num_steps, name="optim.generator")
    d_opt = make_optimizer(
        config.optim.discriminator, num_steps * d_steps, name="optim.discriminator"
    )
    noise = uniform_noise(noise_dim)

    def apply_g(params, z, cond, mask=None):
        return generator.apply({"params": params}, z, cond, mask)

    def apply_d(params, x, cond, mask=None):
        return discriminator.apply({"params": params}, x, cond, mask)

    def generate(params, key, num, length, cond=None):
        """-> [num, length, features] in [0, 1].

        cond: [num, C], one condition per sequence. None on conditional data gives a
        preview (the trainer's sample plots): the unit vectors e_0, e_1, ... in turn, i.e.
        the classes in turn for class labels; rgan.sample draws them from the data instead.
        """
        check_condition(cond, num, cond_dim)
        if cond is None and cond_dim:
            cond = jnp.eye(cond_dim)[jnp.arange(num) % cond_dim]
        return apply_g(params["generator"], noise(key, num, length), cond)

    z = jnp.zeros((1, spec.seq_len, noise_dim))
    x = jnp.zeros((1, spec.seq_len, spec.num_features))
    cond = jnp.zeros((1, cond_dim)) if cond_dim else None
    init = init_generator_and_discriminator(
        lambda key: generator.init(key, z, cond)["params"],
        lambda key: discriminator.init(key, x, cond)["params"],
        g_opt,
        d_opt,
    )

    make_noise = adversarial_noise(noise, d_steps)

    def batch_condition(batch):
        if cond_dim and "cond" not in batch:
            raise ValueError("RCGAN on conditional data needs batches with 'cond' [B, C].")
        return batch.get("cond") if cond_dim else None

    def private_real_grad(d_params, batch, cond, mask, key):
        """DP-SGD gradient of the real-window loss, the real logits [B, T], DP metrics."""
        examples = {"x": batch["x"]}
        if cond is not None:
            examples["cond"] = cond
        if mask is not None:
            examples["mask"] = mask

        def example_loss(p, ex):
            logits = apply_d(p, ex["x"], ex.get("cond"), ex.get("mask"))
            return losses.bce_with_logits(logits, 1.0, ex.get("mask")), logits[0]

        return private_mean_grad(
            example_loss,
            d_params,
            examples,
            key,
            l2_clip=rc.dp_l2_clip,
            noise_multiplier=rc.dp_noise_multiplier,
        )

    def discriminator_update(params, opt_state, batch, z, key):
        mask, cond = batch.get("mask"), batch_condition(batch)
        fake = apply_g(params["generator"], z, cond, mask)
        d_params = params["discriminator"]
        extra = {}
        if rc.dp:
            real_grads, real_logits, dp_metrics = private_real_grad(
                d_params, batch, cond, mask, key
            )

            def fake_loss_fn(p):
                fake_logits = apply_d(p, fake, cond, mask)
                return losses.bce_with_logits(fake_logits, 0.0, mask, AXIS), fake_logits

            (fake_loss, fake_logits), fake_grads = value_and_mean_grad(fake_loss_fn, has_aux=True)(
                d_params
            )
            grads = jax.tree.map(jnp.add, real_grads, fake_grads)
            loss = dp_metrics["loss"] + fake_loss
            extra = {"dp_clipped": dp_metrics["clipped"]}
        else:

            def loss_fn(p):
                real_logits = apply_d(p, batch["x"], cond, mask)
                fake_logits = apply_d(p, fake, cond, mask)
                loss = losses.discriminator_loss(real_logits, fake_logits, mask, mask, AXIS)
                return loss, (real_logits, fake_logits)

            (loss, (real_logits, fake_logits)), grads = value_and_mean_grad(loss_fn, has_aux=True)(
                d_params
            )
        updates, new_opt = d_opt.update(grads, opt_state["discriminator"], d_params)
        metrics = {
            "d_loss": loss,
            "d_acc_real": losses.accuracy(real_logits, 1.0, mask, AXIS),
            "d_acc_fake": losses.accuracy(fake_logits, 0.0, mask, AXIS),
            "d_grad_norm": optax.tree.norm(grads),
            **extra,
        }
        return (
            {**params, "discriminator": optax.apply_updates(d_params, updates)},
            {**opt_state, "discriminator": new_opt},
            metrics,
        )

    def generator_update(params, opt_state, z, cond, mask):
        def loss_fn(g_params):
            fake = apply_g(g_params, z, cond, mask)
            fake_logits = apply_d(params["discriminator"], fake, cond, mask)
            return losses.generator_loss(fake_logits, mask, AXIS)

        loss, grads = value_and_mean_grad(loss_fn)(params["generator"])
        updates, new_opt = g_opt.update(grads, opt_state["generator"], params["generator"])
        new_params = optax.apply_updates(params["generator"], updates)
        metrics = {"g_loss": loss, "g_grad_norm": optax.tree.norm(grads)}
        return {**params, "generator": new_params}, {**opt_state, "generator": new_opt}, metrics

    def step(state: GANState, batches, noise_batch, key):
        # `key` is the same on every device: the DP noise is drawn once for the global batch.
        params, opt_state = state.params, state.opt_state
        d_metrics = []
        for round_, (batch, z) in enumerate(zip(batches, noise_batch["d"], strict=True)):
            params, opt_state, m = discriminator_update(
                params, opt_state, batch, z, jax.random.fold_in(key, round_)
            )
            d_metrics.append(m)
        last = batches[-1]
        params, opt_state, g_metrics = generator_update(
            params, opt_state, noise_batch["g"], batch_condition(last), last.get("mask")
        )
        metrics = {**jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *d_metrics), **g_metrics}
        metrics = pmean(metrics)
        new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
        return new_state, metrics

    phase = Phase("adversarial", num_steps, step, make_noise, real_batches=d_steps)
    return Family("rcgan", (phase,), init, generate)
