"""TimeGAN (Yoon, Jarrett, van der Schaar, NeurIPS 2019), as in its reference code.

Five networks (rgan.models.timegan): embedder E, recovery R, generator G, supervisor S,
discriminator D. With H = E(X), X~ = R(H), E^ = G(Z), H^ = S(E^), X^ = R(H^):

    L_R  = MSE(X, X~)                                   reconstruction
    L_S  = MSE(H[:, 1:], S(H)[:, :-1])                  one-step-ahead supervision
    L_V  = mean|sqrt(var X^ + 1e-6) - sqrt(var X + 1e-6)| + mean|mean X^ - mean X|
           (moments over the batch, per step and feature)
    L_D  = BCE(D(H), 1) + BCE(D(H^), 0) + gamma * BCE(D(E^), 0)
    L_G  = BCE(D(H^), 1) + gamma * BCE(D(E^), 1) + 100 sqrt(L_S) + 100 L_V
           [+ timegan.moment_matching_weight * L_M + timegan.step_moment_weight * L_SM]
    L_E  = 10 sqrt(L_R) + 0.1 L_S

L_M (off in the reference, `timegan.moment_matching_weight` = 0) is rgan's moment-matching
term, rgan.losses.moment_matching_loss(X, X^): per-feature means, standard deviations and
cross-feature correlations of the generated steps and of their step-to-step changes against
the real batch's. L_V matches each step's means and standard deviations only, so it leaves
two things free that L_M pins: how rough the sequences are (the changes) and how the
features move together. With `timegan.moment_matching_differences=2`, L_M also compares the
changes of the changes, and with them how smooth the changes are (their lag-1
autocorrelation), which values and changes alone leave free; with
`timegan.moment_matching_within_windows`, the values' deviations from each sequence's own
mean, i.e. how much a sequence moves within itself. L_SM
(`timegan.step_moment_weight`, off in the reference) is rgan.losses.step_moment_loss(X,
X^): L_V's per-step means and standard deviations, of the values and of their step-to-step
changes, so that a change that differs at one step only (on Energy: the change into the
second step) is not diluted over the sequence as in L_M's pooled moments. L_M and L_SM
share `timegan.moment_matching_distance`. With `timegan.discriminator_pack` = m > 1 (off in
the reference), D scores packs of m consecutive latent sequences of a batch, concatenated
along the features (PacGAN, Lin et al. 2018), in every D term of L_D and L_G; with
`timegan.last_step_weight` = w > 0 (0 in the reference), each D term is (1 - w) times its mean
over steps plus w times its mean over the sequences' last steps, the logits that have read
whole sequences.

With `timegan.data_discriminator_weight` = w_X > 0 (0 in the reference), a second
discriminator D_X, shaped as D, scores data instead of latents: real X against the
generated X^ = R(H^), the way the RGAN family's D does.

    L_DX = BCE(D_X(X), 1) + BCE(D_X(X^), 0)          trained with D (same optimizer)
    L_G += w_X * BCE(D_X(X^), 1)

Why: D sees the data only through E's latents, and on Energy it ends its joint phase at
~.65 accuracy while a classifier on the data tells the samples apart at ~.9; the data-space
D of the RGAN family reaches the published TimeGAN score there. D_X is updated with D, when
D is (the reference's L_D > d_loss_threshold rule), scores single sequences (no packs) and
keeps last_step_weight's mix of steps.

Phases (each step consumes fresh batches, as the reference draws a batch per update):
  1. embedding  (timegan.embedding_steps): E, R on 10 sqrt(L_R).
  2. supervised (timegan.supervised_steps): S on L_S.
  3. joint      (train.num_steps): per iteration, `timegan.generator_steps` times
     {G, S on L_G; then E, R on L_E}, then D on L_D only if L_D > d_loss_threshold.

With `train.ema_decay` > 0, the networks that generate (G, S, R) also keep moving averages
of their weights through the joint phase, updated after each joint iteration and sampled by
default (rgan.families.moving_average). The reference has none (ema_decay = 0).

In an ensemble sweep (`train.ensemble_sweep`), the weights in SWEEPABLE_WEIGHTS (gamma,
supervised_weight, and the moment terms' weights) may differ between members: each reads
its own from `params[MEMBER_WEIGHTS]`.

Every statistic inside a loss (MSEs, moments) is reduced over all devices, so a loss is
exactly the global-batch loss whatever the device count. Each optimizer is a separate
Adam as in the reference (E0, GS, G, E and D solvers): config.optim.{embedding,
supervised, generator, embedder, discriminator}.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import ml_collections
import optax

from rgan import losses
from rgan.collectives import AXIS, pmean, psum, value_and_mean_grad
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
    noise_width,
    with_warmup,
)
from rgan.models.timegan import discriminator_network, timegan_networks
from rgan.optim import make_optimizer, optimizer_config
from rgan.state import GANState

# The networks that turn noise into data: Z -> G -> S -> R.
SAMPLING_NETWORKS = ("generator", "supervisor", "recovery")

# D_X, in params and in the discriminator's optimizer only with data_discriminator_weight.
DATA_DISCRIMINATOR = "data_discriminator"

# Which networks each optimizer updates.
OPTIMIZED = {
    "embedding": ("embedder", "recovery"),
    "supervised": ("supervisor",),
    "generator": ("generator", "supervisor"),
    "embedder": ("embedder", "recovery"),
    "discriminator": ("discriminator",),
}


OPTIMIZERS = ("embedding", "supervised", "generator", "embedder", "discriminator")

# Loss weights that the members of one ensemble may sweep (`train.ensemble_sweep`,
# rgan/ensemble.py): read from `params[MEMBER_WEIGHTS]` for the fields that
# `timegan.per_member` (set by rgan.ensemble, not by users) lists.
SWEEPABLE_WEIGHTS = (
    "gamma",
    "supervised_weight",
    "moment_weight",
    "moment_matching_weight",
    "step_moment_weight",
    "data_discriminator_weight",
)


# Config fields that only the joint phase reads and that leave the state as `init` makes
# it: the embedding and supervised phases compute the same with any values of them, so a
# run branched at the joint phase's start with other values is the run of those values
# (rgan/branch.py). The generator's and discriminator's shapes (model.*, noise, packs), the
# moving average and the optimizers' kinds are set at init; data and seeds are read from
# step 0 on.
JOINT_PHASE_FIELDS = (
    "timegan.generator_steps",
    "timegan.gamma",
    "timegan.supervised_weight",
    "timegan.moment_weight",
    "timegan.moment_matching_weight",
    "timegan.step_moment_weight",
    "timegan.moment_matching_distance",
    "timegan.moment_matching_differences",
    "timegan.moment_matching_within_windows",
    "timegan.d_loss_threshold",
    "timegan.last_step_weight",
    "timegan.data_discriminator_weight",
)
# Of JOINT_PHASE_FIELDS, those whose being 0 or not shapes the state (a network and its
# optimizer state exist only when it is not 0): a branch may change their value, but not
# between 0 and nonzero.
NETWORK_SWITCHES = ("timegan.data_discriminator_weight",)
JOINT_OPTIMIZERS = ("generator", "embedder", "discriminator")


def read_only_in_joint_phase(field: str) -> bool:
    """Whether dotted config `field` is one of JOINT_PHASE_FIELDS or a setting of a joint
    phase optimizer that leaves its state's structure (fixed at init) alone: Adam's
    moments and count start at 0 whatever its rate, betas, clipping or schedule, but its
    kind, or SGD's momentum on or off, change what it keeps."""
    if field in JOINT_PHASE_FIELDS:
        return True
    parts = field.split(".")
    return (
        len(parts) == 3
        and parts[0] == "optim"
        and parts[1] in JOINT_OPTIMIZERS
        and parts[2] not in ("optimizer", "momentum", "per_member_learning_rate")
    )


def reference_optimizers() -> dict[str, ml_collections.ConfigDict]:
    """config.optim for TimeGAN: one Adam(1e-3) per optimizer, with the reference's
    tf.train.AdamOptimizer() defaults and no gradient clipping."""
    reference_adam = dict(b1=0.9, b2=0.999, eps=1e-8, clip_norm=0.0)
    return {name: optimizer_config(1e-3, **reference_adam) for name in OPTIMIZERS}


def default_config() -> ml_collections.ConfigDict:
    """config.timegan: the reference values. Its optimizers are
    config.optim.{embedding, supervised, generator, embedder, discriminator}
    (`reference_optimizers`)."""
    tg = ml_collections.ConfigDict()
    tg.embedding_steps = 50000  # phase 1: embedder + recovery
    tg.supervised_steps = 50000  # phase 2: supervisor
    tg.generator_steps = 2  # joint phase: G/S + E/R updates per D update
    tg.gamma = 1.0  # weight of the losses on D(E^), the un-supervised latents
    tg.supervised_weight = 100.0  # weight of sqrt(L_S) in the generator loss
    tg.moment_weight = 100.0  # weight of the moment loss L_V
    # Weight of L_M (rgan.losses.moment_matching_loss: means, stds and correlations of the
    # values and of their step-to-step changes) in L_G; 0: the reference's L_G.
    tg.moment_matching_weight = 0.0
    # Weight of L_SM (rgan.losses.step_moment_loss: L_V's per-step moments, of the values
    # and of their step-to-step changes) in L_G; 0: the reference's L_G.
    tg.step_moment_weight = 0.0
    # How L_M and L_SM measure standard deviations: "absolute" | "relative" (see
    # gan.moment_distance).
    tg.moment_matching_distance = "absolute"
    # Orders of step-to-step differences that L_M compares: 1, values and changes; 2 also
    # the changes of the changes, which pins how smooth the changes are (see
    # gan.moment_differences).
    tg.moment_matching_differences = 1
    # L_M also compares the values' deviations from each sequence's own mean: how lively
    # sequences are within themselves (see gan.moment_within_windows).
    tg.moment_matching_within_windows = False
    tg.d_loss_threshold = 0.15  # D is updated only while its loss exceeds this
    # D scores packs of this many latent sequences, side by side along the features
    # (PacGAN, Lin et al. 2018): a pack of generated sequences that are too alike is told
    # apart from a pack of real ones, which a single sequence is not. 1: the reference.
    tg.discriminator_pack = 1
    # Weight of each sequence's last step in every D term of L_D and L_G (as
    # gan.last_step_weight): the causal D's last logit is the one that has read the whole
    # sequence, where a turn at the end shows. 0: the reference's mean over steps.
    tg.last_step_weight = 0.0
    # Weight in L_G of a second discriminator D_X that scores data X^ = R(H^) against X
    # where D scores latents (see the module docstring). 0: the reference's L_G, no D_X.
    tg.data_discriminator_weight = 0.0
    return tg


def _subset(params: dict, names) -> dict:
    return {name: params[name] for name in names}


def discriminator_pack(tg: ml_collections.ConfigDict, spec: DataSpec) -> int:
    """config.timegan.discriminator_pack, checked: an int >= 1, and 1 for sequences of
    different lengths (a pack's sequences would end at different steps)."""
    pack = tg.get("discriminator_pack", 1)
    if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
        raise ValueError(
            f"config.timegan.discriminator_pack must be an integer >= 1; got {pack!r}. "
            "Set e.g. --config.timegan.discriminator_pack=2, or 1 for the reference's D."
        )
    if pack > 1 and spec.variable_length:
        raise ValueError(
            f"config.timegan.discriminator_pack={pack} needs sequences of one length; this "
            "data has sequences of different lengths. Set --config.timegan.discriminator_pack=1."
        )
    return pack


def packed(h: jax.Array, pack: int) -> jax.Array:
    """Consecutive sequences side by side: [B, T, F] -> [B / pack, T, pack * F], pack j
    holding sequences j * pack, ..., j * pack + pack - 1. Consecutive, so that a batch
    split into contiguous per-device shards (of a multiple of `pack` each) makes the same
    packs on any number of devices."""
    if pack == 1:
        return h
    batch, steps, features = h.shape
    if batch % pack:
        raise ValueError(
            f"config.timegan.discriminator_pack={pack} must divide the batch on each device "
            f"(and of each ensemble member); got {batch} sequences. Set "
            "--config.train.batch_size to a multiple of pack x devices."
        )
    grouped = h.reshape(batch // pack, pack, steps, features).transpose(0, 2, 1, 3)
    return grouped.reshape(batch // pack, steps, pack * features)


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    model, tg = config.model, config.timegan
    nets = timegan_networks(
        spec.num_features,
        model.cell,
        model.hidden,
        model.layers,
        model.get("unroll", 1),
        model.get("bidirectional_discriminator", False),
    )
    noise_dim = noise_width(config, spec)  # per-step plus per-sequence noise features
    # model.warmup_steps: noise steps G runs through before its first output (base.py).
    noise, latent_generator = with_warmup(
        generator_noise(config, spec),
        lambda params, z, cond, mask: apply(params, "generator", z, mask),
        generator_warmup_steps(config),
    )
    joint_steps = config.train.num_steps
    g_steps = tg.generator_steps
    if g_steps < 1:
        raise ValueError(f"config.timegan.generator_steps must be >= 1; got {g_steps}.")
    ema_decay = config.train.ema_decay
    moving_average.check_decay(ema_decay)
    weight = LossWeights(tg)
    losses.check_moment_matching(
        tg.moment_matching_weight,
        tg.moment_matching_distance,
        "timegan.moment_matching_weight",
        "timegan.moment_matching_distance",
    )
    losses.check_moment_matching(
        tg.step_moment_weight,
        tg.moment_matching_distance,
        "timegan.step_moment_weight",
        "timegan.moment_matching_distance",
    )
    losses.check_moment_differences(
        tg.moment_matching_differences, "timegan.moment_matching_differences"
    )
    # Each traced only where some member trains with it: a run without L_M and L_SM
    # computes what it always did.
    uses_moment_matching = weight.in_use("moment_matching_weight")
    uses_step_moments = weight.in_use("step_moment_weight")
    relative_moments = tg.moment_matching_distance == "relative"
    moment_matching = functools.partial(
        losses.moment_matching_loss,
        relative=relative_moments,
        differences=tg.moment_matching_differences,
        within_windows=tg.get("moment_matching_within_windows", False),
    )
    pack = discriminator_pack(tg, spec)
    if tg.get("data_discriminator_weight", 0.0) < 0:
        raise ValueError(
            "config.timegan.data_discriminator_weight must be >= 0; got "
            f"{tg.data_discriminator_weight!r}. Set it to 0 for the reference's TimeGAN."
        )
    uses_data_discriminator = weight.in_use("data_discriminator_weight")
    networks = dict(nets)
    optimized = dict(OPTIMIZED)
    if uses_data_discriminator:
        networks[DATA_DISCRIMINATOR] = discriminator_network(
            model.cell,
            model.hidden,
            model.layers,
            model.get("unroll", 1),
            model.get("bidirectional_discriminator", False),
        )
        optimized["discriminator"] = ("discriminator", DATA_DISCRIMINATOR)
    last_step_weight = tg.get("last_step_weight", 0.0)
    losses.check_last_step_weight(last_step_weight, "timegan.last_step_weight")
    joint_start = tg.embedding_steps + tg.supervised_steps  # global step of joint iteration 0
    updates_per_optimizer = {
        "embedding": tg.embedding_steps,
        "supervised": tg.supervised_steps,
        "generator": joint_steps * g_steps,
        "embedder": joint_steps * g_steps,
        "discriminator": joint_steps,
    }
    optimizers = {
        name: make_optimizer(config.optim[name], count, name=f"optim.{name}")
        for name, count in updates_per_optimizer.items()
    }

    def apply(params, name, x, mask=None):
        return networks[name].apply({"params": params[name]}, x, mask)

    def global_mse(a, b, mask=None):
        return losses.masked_mean((a - b) ** 2, mask, AXIS)

    def supervision_error(h, s_of_h, mask):
        """L_S given S's output: how well S(h)[t] predicts h[t + 1]. [B, T, hidden] each."""
        next_mask = None if mask is None else mask[:, 1:] * mask[:, :-1]
        return global_mse(h[:, 1:], s_of_h[:, :-1], next_mask)

    def supervised_loss(params, h, mask):
        """L_S: S predicts the next latent step. h: [B, T, hidden]."""
        return supervision_error(h, apply(params, "supervisor", h, mask), mask)

    def moments(x, mask):
        """Global-batch mean and std per (step, feature) over the sequences that have the
        step. x: [B, T, D] -> ([T, D], [T, D])."""
        m = jnp.ones_like(x[..., :1]) if mask is None else mask[..., None]
        count = jnp.maximum(psum(m.sum(0)), 1.0)
        mean = psum((x * m).sum(0)) / count
        var = psum((x**2 * m).sum(0)) / count - mean**2
        return mean, jnp.sqrt(jnp.maximum(var, 0.0) + 1e-6)

    def moment_loss(x_hat, x, mask):
        """L_V: mean |std difference| + mean |mean difference|. x, x_hat: [B, T, D]."""
        mean, std = moments(x, mask)
        mean_hat, std_hat = moments(x_hat, mask)
        return jnp.mean(jnp.abs(std_hat - std)) + jnp.mean(jnp.abs(mean_hat - mean))

    def bce(logits, target, mask=None):
        """A D term: BCE of logits [B, T] against `target`, averaged over the real steps
        of the global batch; with timegan.last_step_weight w, (1 - w) times that plus w
        times its mean over the sequences' last steps."""
        per_step = losses.bce_per_step(target)
        return losses.mean_with_last_step(per_step, logits, mask, last_step_weight, AXIS)

    def apply_update(params, opt_state, name, grads):
        names = optimized[name]
        updates, new_opt = optimizers[name].update(grads, opt_state[name], _subset(params, names))
        new = optax.apply_updates(_subset(params, names), updates)
        return {**params, **new}, {**opt_state, name: new_opt}

    # ---- phase 1: embedding -------------------------------------------------------
    def embedding_step(state: GANState, batches, noise_batch, key):
        del noise_batch, key
        x, mask = batches[0]["x"], batches[0].get("mask")

        def loss_fn(sub):
            x_tilde = apply(sub, "recovery", apply(sub, "embedder", x, mask), mask)
            mse = global_mse(x, x_tilde, mask)
            return 10.0 * jnp.sqrt(mse), mse

        (_, mse), grads = value_and_mean_grad(loss_fn, has_aux=True)(
            _subset(state.params, optimized["embedding"])
        )
        params, opt_state = apply_update(state.params, state.opt_state, "embedding", grads)
        metrics = {"e_loss_t0": jnp.sqrt(mse), "e_grad_norm": optax.tree.norm(grads)}
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

    # ---- phase 2: supervised ------------------------------------------------------
    def supervised_step(state: GANState, batches, noise_batch, key):
        del noise_batch, key
        x, mask = batches[0]["x"], batches[0].get("mask")
        h = apply(state.params, "embedder", x, mask)

        def loss_fn(sub):
            return supervised_loss(sub, h, mask)

        loss, grads = value_and_mean_grad(loss_fn)(_subset(state.params, ("supervisor",)))
        params, opt_state = apply_update(state.params, state.opt_state, "supervised", grads)
        metrics = {"g_loss_s": jnp.sqrt(loss), "s_grad_norm": optax.tree.norm(grads)}
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

    # ---- phase 3: joint -----------------------------------------------------------
    # Each recurrent network call is a chain of tiny sequential matmuls (latency-bound on
    # every backend), so the joint iteration makes as few calls as the math allows:
    # a network applied to two or three inputs with the same parameters runs once on
    # their concatenation along the batch, and the embedding H = E(X) that the generator
    # update uses as a constant is also the forward pass of the embedder update that
    # follows (neither changes E), whose gradient then goes back through that same pass.
    # tests/timegan_test.py compares this step with the plain one-call-per-input form.
    def apply_many(params, name, inputs, mask):
        """One call of network `name` on several [B, T, *] inputs sharing `mask`."""
        both = jnp.concatenate(inputs, axis=0)
        masks = None if mask is None else jnp.concatenate([mask] * len(inputs), axis=0)
        return jnp.split(apply(params, name, both, masks), len(inputs), axis=0)

    def discriminate(params, inputs, mask):
        """D's logits [B / pack, T] for each of several latent inputs [B, T, hidden], in one
        call; with `timegan.discriminator_pack` > 1 (fixed-length data only, so `mask` is
        None there), each on its packs (`packed`)."""
        packs = tuple(packed(h, pack) for h in inputs)
        return [logits[..., 0] for logits in apply_many(params, "discriminator", packs, mask)]

    def generator_update(params, opt_state, h, x, z, mask):
        """G and S on L_G. h = E(x) [B, T, hidden], a constant here."""

        def loss_fn(sub):
            p = {**params, **sub}
            e_hat = latent_generator(p, z, None, mask)
            h_hat, s_of_h = apply_many(p, "supervisor", (e_hat, h), mask)
            x_hat = apply(p, "recovery", h_hat, mask)
            logits_h_hat, logits_e_hat = discriminate(p, (h_hat, e_hat), mask)
            g_loss_u = bce(logits_h_hat, 1.0, mask)
            g_loss_u_e = bce(logits_e_hat, 1.0, mask)
            g_loss_s = supervision_error(h, s_of_h, mask)
            g_loss_v = moment_loss(x_hat, x, mask)
            loss = (
                g_loss_u
                + weight(p, "gamma") * g_loss_u_e
                + weight(p, "supervised_weight") * jnp.sqrt(g_loss_s)
                + weight(p, "moment_weight") * g_loss_v
            )
            metrics = {
                "g_loss_u": g_loss_u,
                "g_loss_s": jnp.sqrt(g_loss_s),
                "g_loss_v": g_loss_v,
            }
            if uses_moment_matching:
                g_loss_m = moment_matching(x, x_hat, mask, AXIS)
                loss = loss + weight(p, "moment_matching_weight") * g_loss_m
                metrics["g_loss_m"] = g_loss_m
            if uses_step_moments:
                g_loss_sm = losses.step_moment_loss(x, x_hat, mask, AXIS, relative_moments)
                loss = loss + weight(p, "step_moment_weight") * g_loss_sm
                metrics["g_loss_sm"] = g_loss_sm
            if uses_data_discriminator:
                g_loss_u_x = bce(apply(p, DATA_DISCRIMINATOR, x_hat, mask)[..., 0], 1.0, mask)
                loss = loss + weight(p, "data_discriminator_weight") * g_loss_u_x
                metrics["g_loss_u_x"] = g_loss_u_x
            return loss, metrics

        (_, metrics), grads = value_and_mean_grad(loss_fn, has_aux=True)(
            _subset(params, optimized["generator"])
        )
        params, opt_state = apply_update(params, opt_state, "generator", grads)
        return params, opt_state, {**metrics, "g_grad_norm": optax.tree.norm(grads)}

    def embedder_update(params, opt_state, h, embed_vjp, x, mask):
        """E and R on L_E, given h = E(x) and the pullback of that call."""

        def loss_fn(h, recovery):
            p = {**params, "recovery": recovery}
            mse = global_mse(x, apply(p, "recovery", h, mask), mask)
            loss = 10.0 * jnp.sqrt(mse) + 0.1 * supervised_loss(p, h, mask)
            return loss, jnp.sqrt(mse)

        (_, e_loss_t0), (d_h, d_recovery) = jax.value_and_grad(
            loss_fn, argnums=(0, 1), has_aux=True
        )(h, params["recovery"])
        (d_embedder,) = embed_vjp(d_h)
        grads = pmean({"embedder": d_embedder, "recovery": d_recovery})
        params, opt_state = apply_update(params, opt_state, "embedder", grads)
        return params, opt_state, {"e_loss_t0": e_loss_t0}

    def discriminator_update(params, opt_state, x, z, mask):
        h = apply(params, "embedder", x, mask)
        e_hat = latent_generator(params, z, None, mask)
        h_hat = apply(params, "supervisor", e_hat, mask)
        x_hat = apply(params, "recovery", h_hat, mask) if uses_data_discriminator else None

        def loss_fn(d):
            p = {**params, **d}
            real, fake, fake_e = discriminate(p, (h, h_hat, e_hat), mask)
            fake_e_loss = weight(p, "gamma") * bce(fake_e, 0.0, mask)
            d_loss = bce(real, 1.0, mask) + bce(fake, 0.0, mask) + fake_e_loss
            if not uses_data_discriminator:
                return d_loss, (d_loss, real, fake, {})
            # D_X's own loss: its parameters are D's disjoint neighbours in one optimizer,
            # so the gradient of the sum is each network's gradient of its own loss.
            real_x, fake_x = (
                logits[..., 0] for logits in apply_many(p, DATA_DISCRIMINATOR, (x, x_hat), mask)
            )
            dx_loss = bce(real_x, 1.0, mask) + bce(fake_x, 0.0, mask)
            dx_metrics = {
                "dx_loss": dx_loss,
                "dx_acc_real": losses.accuracy(real_x, 1.0, mask, AXIS),
                "dx_acc_fake": losses.accuracy(fake_x, 0.0, mask, AXIS),
            }
            return d_loss + dx_loss, (d_loss, real, fake, dx_metrics)

        (_, (d_loss, real, fake, dx_metrics)), grads = value_and_mean_grad(loss_fn, has_aux=True)(
            _subset(params, optimized["discriminator"])
        )
        # The reference updates D only while it is not already winning (L_D > 0.15).
        # The decision uses the global loss, so every device takes the same branch.
        update = d_loss > tg.d_loss_threshold
        new_params, new_opt = apply_update(params, opt_state, "discriminator", grads)
        params, opt_state = jax.tree.map(
            lambda new, old: jnp.where(update, new, old), (new_params, new_opt), (params, opt_state)
        )
        metrics = {
            "d_loss": d_loss,
            "d_updated": update.astype(jnp.float32),
            "d_acc_real": losses.accuracy(real, 1.0, mask, AXIS),
            "d_acc_fake": losses.accuracy(fake, 0.0, mask, AXIS),
            # D's and D_X's gradients apart: they share an optimizer, not a scale.
            "d_grad_norm": optax.tree.norm(grads["discriminator"]),
            **dx_metrics,
        }
        if uses_data_discriminator:
            metrics["dx_grad_norm"] = optax.tree.norm(grads[DATA_DISCRIMINATOR])
        return params, opt_state, metrics

    def joint_step(state: GANState, batches, noise_batch, key):
        del key
        params, opt_state = state.params, state.opt_state
        g_metrics = []
        for k in range(g_steps):
            batch, z = batches[k], noise_batch[k]
            x, mask = batch["x"], batch.get("mask")
            h, embed_vjp = jax.vjp(
                lambda embedder, x=x, mask=mask: apply({"embedder": embedder}, "embedder", x, mask),
                params["embedder"],
            )
            params, opt_state, mg = generator_update(params, opt_state, h, x, z, mask)
            params, opt_state, me = embedder_update(params, opt_state, h, embed_vjp, x, mask)
            g_metrics.append({**mg, **me})
        batch = batches[g_steps]
        params, opt_state, d_metrics = discriminator_update(
            params, opt_state, batch["x"], noise_batch[g_steps], batch.get("mask")
        )
        if ema_decay:
            # Indexed by joint iteration, so the average restarts from the weights the
            # joint phase reaches rather than from the untrained generator.
            average = moving_average.updated_average(
                params[moving_average.SAMPLER_EMA],
                _subset(params, SAMPLING_NETWORKS),
                state.step - joint_start,
                ema_decay,
            )
            params = {**params, moving_average.SAMPLER_EMA: average}
        metrics = {**jax.tree.map(lambda *v: jnp.mean(jnp.stack(v)), *g_metrics), **d_metrics}
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

    def no_noise(key, batch_size, length):
        del key, batch_size, length
        return ()

    def joint_noise(key, batch_size, length):
        return tuple(noise(k, batch_size, length) for k in jax.random.split(key, g_steps + 1))

    def init(key):
        keys = jax.random.split(key, len(nets) + 1)
        x = jnp.zeros((1, spec.seq_len, spec.num_features))
        h = jnp.zeros((1, spec.seq_len, model.hidden))
        z = jnp.zeros((1, spec.seq_len, noise_dim))
        inputs = {
            "embedder": x,
            "recovery": h,
            "generator": z,
            "supervisor": h,
            "discriminator": packed(jnp.zeros((pack,) + h.shape[1:]), pack),
        }
        params = {
            name: nets[name].init(k, inputs[name])["params"]
            for (name, k) in zip(sorted(nets), keys[:-1], strict=True)
        }
        if uses_data_discriminator:
            # From a key of its own, so that the other networks start as they do without it.
            params[DATA_DISCRIMINATOR] = networks[DATA_DISCRIMINATOR].init(
                jax.random.fold_in(key, 1), x
            )["params"]
        opt_state = {
            name: optimizers[name].init(_subset(params, optimized[name])) for name in optimizers
        }
        if ema_decay:
            params[moving_average.SAMPLER_EMA] = _subset(params, SAMPLING_NETWORKS)
        if weight.per_member:
            params[MEMBER_WEIGHTS] = weight.initial_member_weights()
        return GANState.create(params, opt_state, keys[-1])

    def generate(params, key, num, length, cond=None, mask=None):
        """Z -> G -> S -> R: values [num, length, features] in [0, 1]. Causal, so the
        sequences may be cut at any length afterwards: `mask` is not needed, and its
        lengths are passed through."""
        del cond  # unconditional
        z = noise(key, num, length)
        h_hat = apply(params, "supervisor", latent_generator(params, z, None, None))
        lengths = None if mask is None else lengths_from_mask(mask)
        return Generated(apply(params, "recovery", h_hat), lengths)

    def reconstruct(params, x, mask=None):
        """X~ = R(E(X)) with the trained E and R: [B, T, D] -> [B, T, D]."""
        return apply(params, "recovery", apply(params, "embedder", x, mask), mask)

    phases = (
        Phase("embedding", tg.embedding_steps, embedding_step, no_noise),
        Phase("supervised", tg.supervised_steps, supervised_step, no_noise),
        Phase("joint", joint_steps, joint_step, joint_noise, real_batches=g_steps + 1),
    )
    return Family("timegan", phases, init, generate, reconstruct=reconstruct)
