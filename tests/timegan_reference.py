"""TimeGAN's joint iteration written plainly: one network call per input, as in the
reference code (and as rgan computed it before its calls were merged). Only
tests/timegan_test.py uses it, to check that rgan.families.timegan's faster joint step
computes the same update.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from rgan import losses
from rgan.collectives import AXIS, psum, value_and_mean_grad
from rgan.families.timegan import DATA_DISCRIMINATOR, OPTIMIZED
from rgan.models.timegan import discriminator_network, timegan_networks
from rgan.optim import make_optimizer


def plain_joint_step(config, num_features: int):
    """The per-device joint step `(state, batches, noise, key) -> (state, metrics)` for
    `config` (a TimeGAN config, unpadded data of `num_features` features), with the
    optimizers that rgan's own step builds."""
    model, tg = config.model, config.timegan
    nets = timegan_networks(
        num_features,
        model.cell,
        model.hidden,
        model.layers,
        bidirectional_discriminator=model.get("bidirectional_discriminator", False),
    )
    data_weight = tg.get("data_discriminator_weight", 0.0)
    optimized = dict(OPTIMIZED)
    if data_weight:
        nets[DATA_DISCRIMINATOR] = discriminator_network(
            model.cell,
            model.hidden,
            model.layers,
            bidirectional=model.get("bidirectional_discriminator", False),
        )
        optimized["discriminator"] = ("discriminator", DATA_DISCRIMINATOR)
    steps = config.train.num_steps * tg.generator_steps
    optimizers = {
        name: make_optimizer(config.optim[name], count, name=name)
        for name, count in (
            ("generator", steps),
            ("embedder", steps),
            ("discriminator", config.train.num_steps),
        )
    }

    def apply(params, name, x):
        return nets[name].apply({"params": params[name]}, x)

    def discriminator(params, h):
        """D on packs of timegan.discriminator_pack consecutive sequences of h, side by side
        along the features: pack j = [h[j m], h[j m + 1], ..., h[j m + m - 1]]."""
        pack = tg.get("discriminator_pack", 1)
        packs = jnp.concatenate([h[i::pack] for i in range(pack)], axis=-1)
        return apply(params, "discriminator", packs)

    def generate_latent(params, z):
        """G over z [B, W + T, Z], its W warm-up steps (model.warmup_steps) dropped."""
        return apply(params, "generator", z)[:, config.model.get("warmup_steps", 0) :]

    def mse(a, b):
        return losses.masked_mean((a - b) ** 2, None, AXIS)

    def supervised(params, h):
        return mse(h[:, 1:], apply(params, "supervisor", h)[:, :-1])

    def moments(x):
        count = psum(jnp.ones(x.shape[1:]) * x.shape[0])
        mean = psum(x.sum(0)) / count
        return mean, jnp.sqrt(jnp.maximum(psum((x**2).sum(0)) / count - mean**2, 0.0) + 1e-6)

    def bce(logits, target):
        """(1 - w) BCE over every step + w BCE over the last, w = timegan.last_step_weight."""
        w = tg.get("last_step_weight", 0.0)
        every = losses.bce_with_logits(logits[..., 0], target, None, AXIS)
        last = losses.bce_with_logits(logits[:, -1:, 0], target, None, AXIS)
        return (1.0 - w) * every + w * last

    def update(params, opt_state, name, grads):
        sub = {n: params[n] for n in optimized[name]}
        updates, new_opt = optimizers[name].update(grads, opt_state[name], sub)
        return {**params, **optax.apply_updates(sub, updates)}, {**opt_state, name: new_opt}

    def generator_update(params, opt_state, x, z):
        h = apply(params, "embedder", x)

        def loss_fn(sub):
            p = {**params, **sub}
            e_hat = generate_latent(p, z)
            h_hat = apply(p, "supervisor", e_hat)
            x_hat = apply(p, "recovery", h_hat)
            (mean, std), (mean_hat, std_hat) = moments(x), moments(x_hat)
            loss_v = jnp.mean(jnp.abs(std_hat - std)) + jnp.mean(jnp.abs(mean_hat - mean))
            relative = tg.moment_matching_distance == "relative"
            return (
                bce(discriminator(p, h_hat), 1.0)
                + tg.gamma * bce(discriminator(p, e_hat), 1.0)
                + tg.supervised_weight * jnp.sqrt(supervised(p, h))
                + tg.moment_weight * loss_v
                + tg.moment_matching_weight
                * losses.moment_matching_loss(
                    x,
                    x_hat,
                    None,
                    AXIS,
                    relative,
                    differences=tg.moment_matching_differences,
                    within_windows=tg.moment_matching_within_windows,
                )
                + tg.step_moment_weight * losses.step_moment_loss(x, x_hat, None, AXIS, relative)
                + (data_weight and data_weight * bce(apply(p, DATA_DISCRIMINATOR, x_hat), 1.0))
            )

        sub = {n: params[n] for n in optimized["generator"]}
        _, grads = value_and_mean_grad(loss_fn)(sub)
        return update(params, opt_state, "generator", grads)

    def embedder_update(params, opt_state, x):
        def loss_fn(sub):
            p = {**params, **sub}
            h = apply(p, "embedder", x)
            return 10.0 * jnp.sqrt(mse(x, apply(p, "recovery", h))) + 0.1 * supervised(p, h)

        _, grads = value_and_mean_grad(loss_fn)({n: params[n] for n in optimized["embedder"]})
        return update(params, opt_state, "embedder", grads)

    def discriminator_update(params, opt_state, x, z):
        h = apply(params, "embedder", x)
        e_hat = generate_latent(params, z)
        h_hat = apply(params, "supervisor", e_hat)

        def loss_fn(d):
            p = {**params, **d}
            d_loss = (
                bce(discriminator(p, h), 1.0)
                + bce(discriminator(p, h_hat), 0.0)
                + tg.gamma * bce(discriminator(p, e_hat), 0.0)
            )
            if not data_weight:
                return d_loss, d_loss
            x_hat = apply(params, "recovery", h_hat)
            dx_loss = bce(apply(p, DATA_DISCRIMINATOR, x), 1.0) + bce(
                apply(p, DATA_DISCRIMINATOR, x_hat), 0.0
            )
            return d_loss + dx_loss, d_loss

        (_, d_loss), grads = value_and_mean_grad(loss_fn, has_aux=True)(
            {n: params[n] for n in optimized["discriminator"]}
        )
        new_params, new_opt = update(params, opt_state, "discriminator", grads)
        keep = d_loss > tg.d_loss_threshold
        return jax.tree.map(
            lambda new, old: jnp.where(keep, new, old), (new_params, new_opt), (params, opt_state)
        ) + ({"d_loss": d_loss},)

    def joint_step(state, batches, noise, key):
        del key
        params, opt_state = state.params, state.opt_state
        for k in range(tg.generator_steps):
            params, opt_state = generator_update(params, opt_state, batches[k]["x"], noise[k])
            params, opt_state = embedder_update(params, opt_state, batches[k]["x"])
        x, z = batches[tg.generator_steps]["x"], noise[tg.generator_steps]
        params, opt_state, metrics = discriminator_update(params, opt_state, x, z)
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

    return joint_step
