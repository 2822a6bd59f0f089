"""What per-device steps use to combine values across the 'data' device axis.

Steps are written per device (local batch in). Inside `jax.shard_map`, parameters
are replicated (invariant over 'data'); differentiating a per-device loss with respect
to them would make JAX sum the gradients over devices implicitly (the transpose of the
implicit broadcast). `value_and_mean_grad` marks the parameters as varying first, so
every device gets its *local* gradient and the explicit `pmean` averages them: the same
semantics as under `jax.pmap`, and a global-batch mean whatever the device count.
"""

from __future__ import annotations

from collections.abc import Callable

import jax

AXIS = "data"


def pmean(tree):
    """Mean over devices of every leaf (losses, metrics, batch statistics)."""
    return jax.lax.pmean(tree, AXIS)


def value_and_mean_grad(loss_fn: Callable, *, has_aux: bool = False) -> Callable:
    """Like `jax.value_and_grad(loss_fn)`, with gradients averaged over devices.

    The returned value (and aux) are the local ones; pmean them for logging.
    """

    def wrapped(params, *args, **kwargs):
        params = jax.lax.pcast(params, AXIS, to="varying")
        out, grads = jax.value_and_grad(loss_fn, has_aux=has_aux)(params, *args, **kwargs)
        return out, pmean(grads)

    return wrapped
