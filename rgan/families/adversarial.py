"""The adversarial training loop that RGAN, RCGAN and C-RNN-GAN share.

A family built here is a generator and a discriminator (`Networks`) plus what differs
between families, passed as options: whether the networks take the data's per-sequence
conditions, whether the generator matches the discriminator's features instead of
fooling it, and whether the discriminator's gradient on real data is private (DP-SGD).
Everything else is this module's:

- Each training step makes `train.d_steps` discriminator updates, each on its own real
  batch and noise, then one generator update. Generated sequences take the mask (lengths)
  and conditions of the real batch they are scored against.
- The objective is `gan.loss` (rgan.losses.adversarial_loss: non-saturating, hinge or
  WGAN-GP) on per-step logits averaged over the real steps of the global batch (and,
  with weight `gan.last_step_weight`, on each sequence's last step, whose logit a causal
  discriminator bases on the whole sequence), with
  optional one-sided label smoothing (`gan.label_smoothing`) and instance noise
  (`gan.instance_noise`: Gaussian noise of that standard deviation, annealed linearly
  to 0 over the run, added to every window the discriminator sees, real or generated;
  Sønderby et al. 2017), and an optional moment-matching term in the generator's loss
  (`gan.moment_weight`, rgan.losses.moment_matching_loss: pooled means, standard
  deviations, cross-feature correlations and step-to-step changes against the real
  batch's, over the global batch), and a per-step one (`gan.step_moment_weight`,
  rgan.losses.step_moment_loss: means and standard deviations at each time step, from
  the start and from each sequence's end). With `gan.class_moments` (RCGAN on class
  labels; pooled, as without it, on other conditions or none) both are computed within
  each class of the batch and averaged over classes (rgan.losses.class_moment_loss), so
  that each class's statistics must match, not only the mixture's.
- `train.ema_decay` > 0 keeps an exponential moving average of the generator's weights
  in `params["generator_ema"]` (rgan.families.moving_average); sampling and evaluation
  use it by default, the raw weights are trained and kept beside it.

All randomness is drawn outside the step for the global batch (`make_noise`), so a run
gives the same result on any number of devices; the DP noise comes from the step key,
the same on every device.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import optax
from absl import logging

from rgan import losses
from rgan.collectives import AXIS, pmean, value_and_mean_grad
from rgan.data.conditions import condition_kind
from rgan.data.lengths import lengths_from_mask
from rgan.families import moving_average
from rgan.families.base import (
    MEMBER_WEIGHTS,
    DataSpec,
    Family,
    Generated,
    LossWeights,
    Phase,
    generator_noise,
    generator_warmup_steps,
    init_generator_and_discriminator,
    with_warmup,
)
from rgan.families.moving_average import GENERATOR_EMA
from rgan.optim import make_optimizer
from rgan.privacy_sgd import private_mean_grad
from rgan.state import GANState

# (params, z [B, T, Z], cond [B, C] or None, mask [B, T] or None) -> x [B, T, F] in [0, 1]
GeneratorFn = Callable[..., jax.Array]
# (params, x [B, T, F], cond, mask) -> (logits [B, T], last-layer features [B, T, H])
DiscriminatorFn = Callable[..., tuple[jax.Array, jax.Array]]


# Loss weights that the members of one ensemble may sweep (`train.ensemble_sweep`,
# rgan/ensemble.py). Such a weight is read from `params[MEMBER_WEIGHTS]` (one value per
# member, set by the ensemble) instead of the config, for the fields that
# `gan.per_member` (set by rgan.ensemble, not by users) lists.
# The weights of the moment terms, which read real-batch statistics outside DP-SGD.
MOMENT_WEIGHTS = ("moment_weight", "step_moment_weight")
SWEEPABLE_WEIGHTS = (*MOMENT_WEIGHTS, "gp_weight", "label_smoothing")


def default_config() -> ml_collections.ConfigDict:
    """config.gan: the adversarial loop's options (losses in rgan/losses.py)."""
    gan = ml_collections.ConfigDict()
    gan.loss = "ns"  # ns (non-saturating, the papers') | hinge | wgan_gp (rgan/losses.py)
    gan.gp_weight = 10.0  # wgan_gp: weight of the gradient penalty (Gulrajani et al.)
    gan.label_smoothing = 0.0  # ns: real targets 1 - this (one-sided)
    gan.instance_noise = 0.0  # std of Gaussian noise on D's inputs, annealed to 0
    gan.last_step_weight = 0.0  # weight of the loss on each sequence's last step (whose
    #                             logit sees all of it) beside the per-step mean
    gan.moment_weight = 0.0  # weight of losses.moment_matching_loss in the generator's loss:
    #                          per-step means, stds, correlations and step-to-step changes
    #                          of generated vs real sequences (0 = off, the papers' losses)
    gan.moment_distance = "absolute"  # | "relative": means and stds in units of the real
    #                                   stds, so slow features' roughness counts (Energy)
    gan.moment_differences = 1  # orders of step-to-step differences in the moment term:
    #                             1 values and changes; 2 also the changes of the changes
    #                             (how smooth the changes are; losses.moment_matching_loss)
    gan.moment_within_windows = False  # the moment term also compares the deviations from
    #                                    each sequence's own mean: how lively sequences are
    #                                    within themselves, not only across the batch
    gan.step_moment_weight = 0.0  # weight of losses.step_moment_loss: means and stds at
    #                               each time step (from the start and, variable-length,
    #                               from the end), of values and changes (0 = off)
    gan.class_moments = False  # RCGAN on class labels: both moment terms within each
    #                            class, averaged over classes (losses.class_moment_loss)
    return gan


@dataclasses.dataclass(frozen=True)
class Networks:
    """A family's two networks as pure functions of their parameters."""

    init_generator: Callable[[jax.Array], Any]  # key -> generator params
    init_discriminator: Callable[[jax.Array], Any]  # key -> discriminator params
    generator: GeneratorFn
    discriminator: DiscriminatorFn


@dataclasses.dataclass(frozen=True)
class PrivateDiscriminator:
    """DP-SGD on the discriminator's real-data loss (rgan/privacy_sgd.py).

    The step's metrics then hold nothing computed from real data without noise (the loss
    and accuracy on real windows, the fraction of clipped examples) unless
    `release_real_statistics`; the released ones fall outside the privacy guarantee.
    """

    l2_clip: float
    noise_multiplier: float
    release_real_statistics: bool = False


def mean_over_rounds(metrics: list[dict]) -> dict:
    """The mean of each metric over a step's discriminator rounds."""
    return jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *metrics)


def check_gan_config(config: ml_collections.ConfigDict) -> losses.AdversarialLoss:
    """Validates `config.gan` and `train.{d_steps, ema_decay}`; -> the objective."""
    gan = config.gan
    if config.train.d_steps < 1:
        raise ValueError(f"config.train.d_steps must be >= 1; got {config.train.d_steps}.")
    moving_average.check_decay(config.train.ema_decay)
    if gan.instance_noise < 0:
        raise ValueError(f"config.gan.instance_noise must be >= 0; got {gan.instance_noise}.")
    losses.check_last_step_weight(gan.get("last_step_weight", 0.0), "gan.last_step_weight")
    for field in MOMENT_WEIGHTS:
        losses.check_moment_matching(
            gan.get(field, 0.0),
            gan.get("moment_distance", "absolute"),
            f"gan.{field}",
            "gan.moment_distance",
        )
    losses.check_moment_differences(gan.get("moment_differences", 1), "gan.moment_differences")
    if gan.loss == "wgan_gp" and gan.gp_weight <= 0:
        raise ValueError(
            f"config.gan.gp_weight must be > 0 with gan.loss='wgan_gp'; got {gan.gp_weight}."
        )
    return losses.adversarial_loss(gan.loss, gan.label_smoothing)


def check_class_moments(gan: ml_collections.ConfigDict, conditional: bool) -> None:
    """Refuses `gan.class_moments` in a family that takes no conditions, or with no moment
    term to split by class."""
    if not conditional:
        raise ValueError(
            "config.gan.class_moments=True compares statistics within each class of the "
            "conditions, which only RCGAN takes (config.family='rcgan' on data with a class "
            "condition: data.condition_column, data.conditions_path with "
            "data.condition_kind='class', or data.sine_classes). Set "
            "--config.gan.class_moments=False."
        )
    swept = gan.get("per_member", ())  # weights an ensemble's members set (rgan/ensemble.py)
    if not any(gan.get(field, 0.0) > 0 or field in swept for field in MOMENT_WEIGHTS):
        raise ValueError(
            "config.gan.class_moments=True has no moment term to compute per class: set "
            "gan.moment_weight or gan.step_moment_weight > 0, or class_moments=False."
        )


def build_adversarial_family(
    name: str,
    config: ml_collections.ConfigDict,
    spec: DataSpec,
    networks: Networks,
    *,
    conditional: bool = False,
    feature_matching: bool = False,
    private: PrivateDiscriminator | None = None,
) -> Family:
    """A `Family` of one adversarial phase of `train.num_steps` steps.

    Args:
      name: the family's name (config.family).
      networks: the generator and discriminator.
      conditional: the networks take the data's per-sequence conditions (`spec.condition_dim`
        wide); else they get None and the family refuses a cond when sampling.
      feature_matching: the generator minimizes the squared distance between the global
        batch means of the discriminator's last-layer features on real and generated
        windows (Salimans et al. 2016) instead of the adversarial loss, which is still
        logged as `g_loss_adversarial`.
      private: train the discriminator's real-data loss with DP-SGD.

    Config read here: model.{noise_dim, sequence_noise_dim, warmup_steps},
    train.{num_steps, d_steps, ema_decay}, optim.{generator, discriminator},
    gan.{loss, gp_weight, label_smoothing, instance_noise, last_step_weight, moment_weight,
    step_moment_weight, moment_distance, moment_differences, class_moments}, data's
    condition fields.
    """
    objective = check_gan_config(config)
    gan = config.gan
    gradient_penalty = gan.loss == "wgan_gp"
    weight = LossWeights(gan)
    if private is not None and gradient_penalty:
        raise ValueError(
            "gan.loss='wgan_gp' cannot train a private discriminator: its gradient penalty "
            "is computed on real windows outside DP-SGD's clipping. Use gan.loss='ns' or "
            "'hinge' with DP."
        )
    for field in MOMENT_WEIGHTS:
        if private is not None and gan.get(field, 0.0) > 0:
            raise ValueError(
                f"gan.{field}={gan[field]} cannot train a private RCGAN: the moment term "
                "gives the generator the real batch's statistics outside DP-SGD, so the "
                f"run would not be private. Set --config.gan.{field}=0 with rcgan.dp."
            )
    class_moments = gan.get("class_moments", False)
    if class_moments:
        check_class_moments(gan, conditional)
        if condition_kind(config.data) != "class":
            # So that configs/own_data.py:rcgan (which sets it) also trains on real-valued
            # conditions or none.
            logging.info(
                "gan.class_moments: the data's conditions are not class labels, so the "
                "moment terms compare the whole batch's statistics."
            )
            class_moments = False
    num_steps, d_steps, ema_decay = (
        config.train.num_steps,
        config.train.d_steps,
        config.train.ema_decay,
    )
    cond_dim = spec.condition_dim if conditional else 0
    # model.warmup_steps: noise steps the generator runs through before its first output.
    noise, generator = with_warmup(
        generator_noise(config, spec), networks.generator, generator_warmup_steps(config)
    )
    g_opt = make_optimizer(config.optim.generator, num_steps, name="optim.generator")
    d_opt = make_optimizer(
        config.optim.discriminator, num_steps * d_steps, name="optim.discriminator"
    )
    discriminator = networks.discriminator

    init_pair = init_generator_and_discriminator(
        networks.init_generator, networks.init_discriminator, g_opt, d_opt
    )

    def init(key):
        state = init_pair(key)
        params = dict(state.params)
        if ema_decay:
            params[GENERATOR_EMA] = params["generator"]
        if weight.per_member:
            params[MEMBER_WEIGHTS] = weight.initial_member_weights()
        return state.replace(params=params)

    def real_objective(params):
        """The discriminator's objective on real logits; with a swept label smoothing s,
        BCE against the member's own target 1 - s ("ns" only, checked by rgan.ensemble)."""
        if "label_smoothing" not in weight.per_member:
            return objective.real
        return losses.bce_per_step(1.0 - weight(params, "label_smoothing"))

    def generate(params, key, num, length, cond=None, mask=None):
        """-> Generated: values [num, length, features] in [0, 1], the lengths of `mask`
        [num, length] (see base.Family) and the conditions.

        cond: [num, C], one condition per sequence. None on conditional data gives a
        preview (the trainer's sample plots): the unit vectors e_0, e_1, ... in turn, i.e.
        the classes in turn for class labels; rgan.sample draws them from the data instead.
        """
        if cond is None and cond_dim:
            cond = jnp.eye(cond_dim)[jnp.arange(num) % cond_dim]
        values = generator(params["generator"], noise(key, num, length), cond, mask)
        lengths = None if mask is None else lengths_from_mask(mask)
        return Generated(values, lengths, cond if cond_dim else None)

    def make_noise(key, batch_size, length):
        """The step's randomness for the global batch: {"d": d_steps draws of noise, "g":
        one draw} [batch, length, Z] each, plus instance noise [batch, length, F] and the
        gradient penalty's mixing weights [batch] where those are on."""
        keys = jax.random.split(key, d_steps + 1)
        drawn = {
            "d": tuple(noise(k, batch_size, length) for k in keys[:-1]),
            "g": noise(keys[-1], batch_size, length),
        }
        # Further draws come from keys folded out of `key`, so that turning an option on
        # leaves the noise above unchanged.
        shape = (batch_size, length, spec.num_features)
        if gan.instance_noise:
            extra = jax.random.split(jax.random.fold_in(key, 1), 2 * d_steps + 1)
            drawn["d_instance"] = tuple(
                (jax.random.normal(extra[2 * i], shape), jax.random.normal(extra[2 * i + 1], shape))
                for i in range(d_steps)
            )
            drawn["g_instance"] = jax.random.normal(extra[-1], shape)
        if gradient_penalty:
            mix_keys = jax.random.split(jax.random.fold_in(key, 2), d_steps)
            drawn["d_mix"] = tuple(jax.random.uniform(k, (batch_size,)) for k in mix_keys)
        return drawn

    def batch_condition(batch):
        if not cond_dim:
            return None
        if "cond" not in batch:
            raise ValueError(f"{name} on conditional data needs batches with 'cond' [B, C].")
        return batch["cond"]

    last_step_weight = gan.get("last_step_weight", 0.0)
    relative_moments = gan.get("moment_distance", "absolute") == "relative"
    moment_matching = functools.partial(
        losses.moment_matching_loss,
        differences=gan.get("moment_differences", 1),
        within_windows=gan.get("moment_within_windows", False),
    )

    def objective_mean(per_step, logits, mask, axis_name=AXIS):
        """The objective `per_step` ([B, T] -> [B, T]) averaged over the real steps of the
        (global) batch; with `gan.last_step_weight` w, (1 - w) times that plus w times its
        mean over the sequences' last steps, the decisions that see whole sequences."""
        return losses.mean_with_last_step(per_step, logits, mask, last_step_weight, axis_name)

    def logits_of(d_params, x, cond, mask):
        return discriminator(d_params, x, cond, mask)[0]

    def sequence_scores(d_params, cond, mask):
        """x -> [B]: each sequence's logits averaged over its real steps."""

        def scores(x):
            logits = logits_of(d_params, x, cond, mask)
            if mask is None:
                return jnp.mean(logits, axis=1)
            return jnp.sum(logits * mask, axis=1) / jnp.maximum(jnp.sum(mask, axis=1), 1.0)

        return scores

    def private_real_grad(d_params, real, cond, mask, key, on_real):
        """DP-SGD gradient of the real-window loss (`on_real`: the objective on real
        logits), the real logits [B, T], DP metrics."""
        examples = {"x": real}
        if cond is not None:
            examples["cond"] = cond
        if mask is not None:
            examples["mask"] = mask

        def example_loss(p, ex):
            logits = logits_of(p, ex["x"], ex.get("cond"), ex.get("mask"))
            return objective_mean(on_real, logits, ex.get("mask"), None), logits[0]

        return private_mean_grad(
            example_loss,
            d_params,
            examples,
            key,
            l2_clip=private.l2_clip,
            noise_multiplier=private.noise_multiplier,
        )

    def discriminator_update(params, opt_state, batch, z, drawn, key, noise_scale):
        """One discriminator update on one real batch. drawn: this round's instance noise
        (real, fake) and mixing weights, where on."""
        mask, cond = batch.get("mask"), batch_condition(batch)
        real = batch["x"]
        fake = generator(params["generator"], z, cond, mask)
        if "instance" in drawn:
            real = real + noise_scale * drawn["instance"][0]
            fake = fake + noise_scale * drawn["instance"][1]
        d_params = params["discriminator"]
        on_real = real_objective(params)
        extra = {}
        if private is not None:
            real_grads, real_logits, dp_metrics = private_real_grad(
                d_params, real, cond, mask, key, on_real
            )

            def fake_loss_fn(p):
                fake_logits = logits_of(p, fake, cond, mask)
                return objective_mean(objective.fake, fake_logits, mask), fake_logits

            (fake_loss, fake_logits), fake_grads = value_and_mean_grad(fake_loss_fn, has_aux=True)(
                d_params
            )
            grads = jax.tree.map(jnp.add, real_grads, fake_grads)
            loss = dp_metrics["loss"] + fake_loss
            extra = {"dp_clipped": dp_metrics["clipped"], "d_loss_fake": fake_loss}
        else:

            def loss_fn(p):
                real_logits = logits_of(p, real, cond, mask)
                fake_logits = logits_of(p, fake, cond, mask)
                loss = objective_mean(on_real, real_logits, mask) + objective_mean(
                    objective.fake, fake_logits, mask
                )
                aux = {"logits": (real_logits, fake_logits), "loss": loss}
                if not gradient_penalty:
                    return loss, aux
                penalty = losses.gradient_penalty(
                    sequence_scores(p, cond, mask), real, fake, drawn["mix"], AXIS
                )
                return loss + weight(params, "gp_weight") * penalty, {**aux, "d_gp": penalty}

            (_, aux), grads = value_and_mean_grad(loss_fn, has_aux=True)(d_params)
            real_logits, fake_logits = aux.pop("logits")
            loss = aux.pop("loss")
            extra = aux
        updates, new_opt = d_opt.update(grads, opt_state["discriminator"], d_params)
        metrics = {
            "d_loss": loss,
            "d_acc_real": losses.accuracy(real_logits, 1.0, mask, AXIS),
            "d_acc_fake": losses.accuracy(fake_logits, 0.0, mask, AXIS),
            "d_grad_norm": optax.tree.norm(grads),
            **extra,
        }
        if private is not None and not private.release_real_statistics:
            # Un-noised functions of the real batch; the gradient (noised) stays.
            for name in ("d_loss", "d_acc_real", "dp_clipped"):
                del metrics[name]
        return (
            {**params, "discriminator": optax.apply_updates(d_params, updates)},
            {**opt_state, "discriminator": new_opt},
            metrics,
        )

    def global_feature_matching(real_features, fake_features):
        """Squared distance of the global-batch mean features [B, T, H] -> scalar. (Padded
        steps are zero in both: generated sequences take the real batch's mask.)"""
        real_mean = pmean(jnp.mean(real_features, axis=0, keepdims=True))
        fake_mean = pmean(jnp.mean(fake_features, axis=0, keepdims=True))
        # Means over a batch axis of size 1 are the identity: the loss of the global means.
        return losses.feature_matching_loss(real_mean, fake_mean)

    def generator_update(params, opt_state, z, real_batch, instance, noise_scale):
        mask, cond = real_batch.get("mask"), batch_condition(real_batch)

        def moment_term(moment_loss, real, generated):
            """A moment loss of the batch, or its mean over the batch's classes."""
            if class_moments:
                return losses.class_moment_loss(
                    moment_loss, real, generated, cond, mask, AXIS, relative_moments
                )
            return moment_loss(real, generated, mask, AXIS, relative=relative_moments)

        d_params = params["discriminator"]
        if feature_matching:
            _, real_features = discriminator(d_params, real_batch["x"], cond, mask)

        def loss_fn(g_params):
            generated = generator(g_params, z, cond, mask)
            fake = generated if instance is None else generated + noise_scale * instance
            fake_logits, fake_features = discriminator(d_params, fake, cond, mask)
            adversarial = objective_mean(objective.generator, fake_logits, mask)
            loss, aux = adversarial, {}
            if feature_matching:
                loss = global_feature_matching(real_features, fake_features)
                aux["g_loss_adversarial"] = adversarial
            if weight.in_use("moment_weight"):
                moments = moment_term(moment_matching, real_batch["x"], generated)
                loss = loss + weight(params, "moment_weight") * moments
                aux["g_loss_moments"] = moments
            if weight.in_use("step_moment_weight"):
                step_moments = moment_term(losses.step_moment_loss, real_batch["x"], generated)
                loss = loss + weight(params, "step_moment_weight") * step_moments
                aux["g_loss_step_moments"] = step_moments
            return loss, aux

        (loss, aux), grads = value_and_mean_grad(loss_fn, has_aux=True)(params["generator"])
        updates, new_opt = g_opt.update(grads, opt_state["generator"], params["generator"])
        new_params = optax.apply_updates(params["generator"], updates)
        metrics = {"g_loss": loss, "g_grad_norm": optax.tree.norm(grads), **aux}
        return {**params, "generator": new_params}, {**opt_state, "generator": new_opt}, metrics

    def update_ema(params, step):
        """The moving average after the generator update of `step` (0-based)."""
        ema = moving_average.updated_average(
            params[GENERATOR_EMA], params["generator"], step, ema_decay
        )
        return {**params, GENERATOR_EMA: ema}

    def step(state: GANState, batches, noise_batch, key):
        # `key` is the same on every device: the DP noise is drawn once for the global batch.
        params, opt_state = state.params, state.opt_state
        noise_scale = gan.instance_noise * jnp.maximum(
            0.0, 1.0 - state.step.astype(jnp.float32) / max(num_steps, 1)
        )
        d_metrics = []
        for round_, (batch, z) in enumerate(zip(batches, noise_batch["d"], strict=True)):
            drawn = {}
            if "d_instance" in noise_batch:
                drawn["instance"] = noise_batch["d_instance"][round_]
            if "d_mix" in noise_batch:
                drawn["mix"] = noise_batch["d_mix"][round_]
            params, opt_state, m = discriminator_update(
                params, opt_state, batch, z, drawn, jax.random.fold_in(key, round_), noise_scale
            )
            d_metrics.append(m)
        params, opt_state, g_metrics = generator_update(
            params,
            opt_state,
            noise_batch["g"],
            batches[-1],
            noise_batch.get("g_instance"),
            noise_scale,
        )
        if ema_decay:
            params = update_ema(params, state.step)
        metrics = pmean({**mean_over_rounds(d_metrics), **g_metrics})
        new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
        return new_state, metrics

    phase = Phase("adversarial", num_steps, step, make_noise, real_batches=d_steps)
    return Family(name, (phase,), init, generate, conditional=conditional)
