"""The DP-SGD gradient (Abadi et al., "Deep Learning with Differential Privacy", 2016),
written per device like every step in rgan (see rgan.collectives).

Each device computes its examples' gradients (vmap), clips each to L2 norm C and sums
them; the sums are psum'd over devices, Gaussian noise N(0, (sigma C)^2) is added once
and the result is divided by the global batch size. The noise comes from a key that is
the same on every device, so every device adds the same draw to the same psum: the
update is that of one device holding the whole batch, whatever the device count.
(`optax.contrib.differentially_private_aggregate` would add independent noise on each
device and divide by the local batch.) The privacy this buys is accounted in
rgan.privacy_accountant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from rgan.collectives import pmean, psum


def private_mean_grad(
    example_loss: Callable[[Any, Any], tuple[jax.Array, Any]],
    params: Any,
    examples: Any,
    key: jax.Array,
    *,
    l2_clip: float,
    noise_multiplier: float,
) -> tuple[Any, Any, dict[str, jax.Array]]:
    """Clipped, noised gradient of the global-batch mean of a per-example loss.

    Args:
      example_loss: (params, one example with a leading batch axis of 1) -> (scalar loss,
        aux). It must not use collectives: it sees a single example.
      params: the parameters to differentiate (replicated over devices).
      examples: pytree of arrays [local_batch, ...], this device's examples.
      key: PRNG key, identical on every device.
      l2_clip: C, the bound on each example's gradient norm.
      noise_multiplier: sigma; the noise standard deviation is sigma * C.

    Returns:
      (gradient like `params`; aux stacked over the local examples [local_batch, ...];
       metrics {"loss": global mean of the example losses, "clipped": fraction of
       examples whose gradient was clipped}).
    """

    def one(p, example):
        return example_loss(p, jax.tree.map(lambda a: a[None], example))

    (values, aux), grads = jax.vmap(jax.value_and_grad(one, has_aux=True), in_axes=(None, 0))(
        params, examples
    )
    leaves = jax.tree.leaves(grads)
    local_batch = leaves[0].shape[0]
    norms = jnp.sqrt(sum(jnp.sum(g.reshape(local_batch, -1) ** 2, axis=1) for g in leaves))
    scale = jnp.minimum(1.0, l2_clip / jnp.maximum(norms, 1e-12))  # [local_batch]
    clipped_sum = jax.tree.map(lambda g: jnp.tensordot(scale, g, axes=1), grads)
    clipped_sum, global_batch = psum((clipped_sum, jnp.float32(local_batch)))
    keys = jax.random.split(key, len(leaves))
    noise = jax.tree.unflatten(
        jax.tree.structure(grads),
        [
            noise_multiplier * l2_clip * jax.random.normal(k, g.shape[1:], g.dtype)
            for k, g in zip(keys, leaves, strict=True)
        ],
    )
    grad = jax.tree.map(lambda s, n: (s + n) / global_batch, clipped_sum, noise)
    metrics = {
        "loss": pmean(jnp.mean(values)),
        "clipped": pmean(jnp.mean((norms > l2_clip).astype(jnp.float32))),
    }
    return grad, aux, metrics
