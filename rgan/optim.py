"""Optax chains from config: gradient clipping first, then optimizer and schedule."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import optax

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine", "warmup_cosine", "linear")


def optimizer_config(learning_rate: float = 1e-3, **overrides) -> ml_collections.ConfigDict:
    """The fields of one optimizer. Every family's optimizers use this layout.

    optimizer: one of OPTIMIZERS. learning_rate: peak rate. schedule: one of SCHEDULES;
    decaying schedules run over `decay_steps` (0 = the phase length). warmup_steps: linear
    warm-up for "warmup_cosine". clip_norm: global gradient-norm clip (0 disables it).
    b1, b2, eps: Adam-family moments. weight_decay: "adamw" only. momentum: "sgd" only.
    """
    config = ml_collections.ConfigDict(
        dict(
            optimizer="adam",
            learning_rate=learning_rate,
            schedule="constant",
            decay_steps=0,
            warmup_steps=0,
            end_learning_rate=0.0,
            clip_norm=1.0,
            b1=0.9,
            b2=0.999,
            eps=1e-8,
            weight_decay=1e-4,
            momentum=0.0,
        )
    )
    config.update(overrides)
    return config


def learning_rate_schedule(config: ml_collections.ConfigDict, total_steps: int):
    decay_steps = config.decay_steps or max(total_steps, 1)
    lr = config.learning_rate
    if config.schedule == "constant":
        return optax.constant_schedule(lr)
    if config.schedule == "cosine":
        return optax.cosine_decay_schedule(lr, decay_steps, alpha=config.end_learning_rate / lr)
    if config.schedule == "warmup_cosine":
        return optax.warmup_cosine_decay_schedule(
            0.0, lr, max(config.warmup_steps, 1), decay_steps, config.end_learning_rate
        )
    if config.schedule == "linear":
        return optax.linear_schedule(lr, config.end_learning_rate, decay_steps)
    raise ValueError(f"Unknown schedule {config.schedule!r}; expected one of {SCHEDULES}.")


class LearningRateScaleState(NamedTuple):
    """A factor on an optimizer's updates, held in its state so that each member of an
    ensemble can train with its own learning rate (rgan/ensemble.py): for Adam, SGD or
    RMSProp, the updates are proportional to the learning rate, so scaling them by
    lr_i / lr trains with lr_i."""

    scale: jax.Array  # [] (an ensemble's state: [K])


def scale_by_state() -> optax.GradientTransformation:
    """Multiplies the updates by `LearningRateScaleState.scale` (1 at init)."""

    def init(params):
        del params
        return LearningRateScaleState(jnp.ones([], jnp.float32))

    def update(updates, state, params=None):
        del params
        return jax.tree.map(lambda u: u * state.scale.astype(u.dtype), updates), state

    return optax.GradientTransformation(init, update)


def with_learning_rate_scale(opt_state: tuple, scale: jax.Array) -> tuple:
    """The state of a `make_optimizer` chain whose config has `per_member_learning_rate`
    set, with its learning-rate factor set to `scale`."""
    *rest, last = opt_state
    if not isinstance(last, LearningRateScaleState):
        raise ValueError("This optimizer's config does not set per_member_learning_rate.")
    return (*rest, LearningRateScaleState(jnp.asarray(scale, jnp.float32)))


def make_optimizer(
    config: ml_collections.ConfigDict, total_steps: int, *, name: str
) -> optax.GradientTransformation:
    """clip_by_global_norm(config.clip_norm) -> optimizer(schedule).

    name: the optimizer's config path, used in error messages (e.g. "optim.generator").
    total_steps: number of updates this optimizer makes (for decaying schedules).
    An ensemble whose members sweep this optimizer's learning rate marks its config
    `per_member_learning_rate` (rgan/ensemble.py): the chain then ends with
    `scale_by_state`, each member's factor in its state.
    """
    if config.clip_norm < 0:
        raise ValueError(f"config.{name}.clip_norm must be >= 0 (0 disables clipping).")
    schedule = learning_rate_schedule(config, total_steps)
    if config.optimizer == "adam":
        opt = optax.adam(schedule, b1=config.b1, b2=config.b2, eps=config.eps)
    elif config.optimizer == "adamw":
        opt = optax.adamw(
            schedule, b1=config.b1, b2=config.b2, eps=config.eps, weight_decay=config.weight_decay
        )
    elif config.optimizer == "sgd":
        opt = optax.sgd(schedule, momentum=config.momentum or None)
    elif config.optimizer == "rmsprop":
        opt = optax.rmsprop(schedule, eps=config.eps)
    else:
        raise ValueError(
            f"Unknown config.{name}.optimizer {config.optimizer!r}; expected one of {OPTIMIZERS}."
        )
    # optax.identity() keeps the state's structure the same as when clipping.
    clip = optax.clip_by_global_norm(config.clip_norm) if config.clip_norm else optax.identity()
    if config.get("per_member_learning_rate", False):
        return optax.chain(clip, opt, scale_by_state())
    return optax.chain(clip, opt)
