"""Exponential moving averages of the weights a family samples with (`train.ema_decay`).

Where a run keeps an average, its parameters hold it beside the trained (raw) weights:

- the adversarial families (RGAN, RCGAN, C-RNN-GAN) average their one sampling network,
  under `params["generator_ema"]` (same tree as `params["generator"]`);
- TimeGAN samples through three networks (generator -> supervisor -> recovery) and
  averages each, under `params["sampler_ema"]` = {network name: averaged weights}.

Sampling and evaluation use the average by default (`sampling_params`); the raw weights
stay in the checkpoint and are one flag away (`rgan.sample --noema`, `rgan.evaluate
--noema`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

GENERATOR_EMA = "generator_ema"
SAMPLER_EMA = "sampler_ema"


def check_decay(ema_decay: float) -> None:
    """`train.ema_decay` must be in [0, 1); 0 keeps no average."""
    if not 0.0 <= ema_decay < 1.0:
        raise ValueError(
            f"config.train.ema_decay must be in [0, 1) (0 = no moving average); got {ema_decay}."
        )


def has_moving_average(params: dict) -> bool:
    """Whether a run's parameters hold a moving average of its sampling weights."""
    return GENERATOR_EMA in params or SAMPLER_EMA in params


def sampling_params(params: dict, ema: bool = True) -> dict:
    """The parameters to sample with: the moving average where the run kept one and `ema`
    is True, else the trained (raw) weights."""
    if not ema:
        return params
    if GENERATOR_EMA in params:
        return {**params, "generator": params[GENERATOR_EMA]}
    if SAMPLER_EMA in params:
        return {**params, **params[SAMPLER_EMA]}
    return params


def updated_average(average, new, update_index, ema_decay: float):
    """The average after the update `update_index` (0-based, a scalar array) of the
    weights `new` (any pytree shaped like `average`).

    The decay ramps up as (1 + i) / (10 + i) towards `ema_decay`, so that a short run's
    average is not dominated by the weights it started from: at i = 0 the average is
    mostly the new weights, whatever it held before.
    """
    i = update_index.astype(jnp.float32)
    decay = jnp.minimum(ema_decay, (1.0 + i) / (10.0 + i))
    return jax.tree.map(lambda avg, w: decay * avg + (1.0 - decay) * w, average, new)
