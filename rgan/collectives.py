"""What per-device steps use to combine values across the 'data' device axis.

Steps are written per device, in `jax.pmap` style: a local batch comes in, gradients of
the loss are averaged with `pmean`, and any statistic that must cover the global batch
(a mean over time steps of padded sequences, TimeGAN's moments, the MSE under a square
root) is pmean'd *inside* the loss, so that the loss is exactly the global-batch loss.

`parallel.sharded_step` runs these steps under `jax.shard_map(..., check_vma=False)`,
whose autodiff of collectives is the same as `pmap`'s. (With varying-manual-axes
checking on, differentiating a per-device loss with respect to replicated parameters
sums the gradients over devices implicitly, and a loss holding a `pmean` gets 1/n of its
gradient after the explicit `pmean`; the same code would then need different
reductions under pmap and shard_map.) Tests check that 4 devices give the same update
as 1 and that pmap gives the same as shard_map.
"""

from __future__ import annotations

from collections.abc import Callable

import jax

AXIS = "data"


def pmean(tree):
    """Mean over devices of every leaf (losses, metrics, batch statistics)."""
    return jax.lax.pmean(tree, AXIS)


def psum(tree):
    """Sum over devices of every leaf (counts, e.g. real steps in padded batches)."""
    return jax.lax.psum(tree, AXIS)


def value_and_mean_grad(loss_fn: Callable, *, has_aux: bool = False) -> Callable:
    """Like `jax.value_and_grad(loss_fn)`, with gradients averaged over devices.

    The returned value (and aux) are what `loss_fn` returns on this device.
    """

    def wrapped(params, *args, **kwargs):
        out, grads = jax.value_and_grad(loss_fn, has_aux=has_aux)(params, *args, **kwargs)
        return out, pmean(grads)

    return wrapped
