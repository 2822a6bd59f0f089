"""Optax chains from config: gradient clipping first, then optimizer and schedule."""

from __future__ import annotations

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


def make_optimizer(
    config: ml_collections.ConfigDict, total_steps: int, *, name: str
) -> optax.GradientTransformation:
    """clip_by_global_norm(config.clip_norm) -> optimizer(schedule).

    name: the optimizer's config path, used in error messages (e.g. "optim.generator").
    total_steps: number of updates this optimizer makes (for decaying schedules).
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
    if config.clip_norm == 0:
        return optax.chain(optax.identity(), opt)  # same state structure as when clipping
    return optax.chain(optax.clip_by_global_norm(config.clip_norm), opt)
