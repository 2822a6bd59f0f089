"""The training state every family uses: one pytree, replicated across devices."""

from __future__ import annotations

from typing import Any

import flax.struct
import jax
import jax.numpy as jnp


@flax.struct.dataclass
class GANState:
    """Everything a run needs to continue bit-identically.

    Attributes:
      step: int32 [] global training step (over all phases).
      params: {network name: flax params}, e.g. {"generator": ..., "discriminator": ...}.
      opt_state: {optimizer name: optax state}; a family may have more optimizers than
        networks (TimeGAN optimizes the embedder in two phases with two optimizers).
      key: uint32 [2] the run's root PRNG key; step `s` uses `fold_in(key, s)`.
    """

    step: jax.Array
    params: dict[str, Any]
    opt_state: dict[str, Any]
    key: jax.Array

    @classmethod
    def create(cls, params: dict[str, Any], opt_state: dict[str, Any], key: jax.Array):
        return cls(step=jnp.zeros((), jnp.int32), params=params, opt_state=opt_state, key=key)


def step_keys(state: GANState) -> tuple[jax.Array, jax.Array]:
    """(noise key, in-step key) for `state.step`, the same on every device and host; for
    an ensemble (member keys [K, 2], see rgan.ensemble) each member's, stacked [K, 2]."""

    def keys(key):
        noise_key, step_key = jax.random.split(jax.random.fold_in(key, state.step))
        return noise_key, step_key

    if state.key.ndim == 1:
        return keys(state.key)
    return jax.vmap(keys)(state.key)
