"""Post-hoc GRU models and their compiled training loop (TimeGAN's evaluation networks).

The discriminative and predictive scores train a small GRU from scratch on every call. The
whole training run is one `jax.lax.fori_loop` inside `jax.jit`, so a 2000- or 5000-step run
costs one compilation and no Python overhead per step; batches are drawn inside the loop from
the step's key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


def hidden_size(features: int) -> int:
    """TimeGAN's hidden width int(D / 2), floored at 1 so one-feature data still has a state."""
    return max(1, features // 2)


class GRU(nn.Module):
    """One GRU layer with TensorFlow 1's GRUCell equations and initialisers, as in TimeGAN.

    r, u = sigmoid([x, h] W_g + b_g);  c = tanh([x, r * h] W_c + b_c);  h' = u * h + (1 - u) c
    with W_g, W_c Glorot-uniform over the concatenated input, b_g = 1, b_c = 0. (flax's
    GRUCell applies the reset gate after the recurrent matmul and initialises differently.)
    The input projections of all steps are one matmul outside the scan; only the recurrent
    part runs per step, which makes these tiny models about twice as fast as nn.RNN on CPU.
    """

    hidden: int

    @nn.compact
    def __call__(
        self, x: jax.Array, lengths: jax.Array | None = None
    ) -> tuple[jax.Array, jax.Array]:
        """x: [batch, time, inputs] -> (final [batch, hidden], all states [batch, time, hidden]).

        lengths: optional int [batch], each in 1..time, as tf.nn.dynamic_rnn's
        `sequence_length`: sequence i's state stops updating after step lengths[i] - 1, so
        its final state is its state at that step and its inputs past it never matter.
        Its states past that step repeat the final one (dynamic_rnn's outputs are zero
        there); callers ignore them. Without lengths every step counts.
        """
        inputs, hidden = x.shape[-1], self.hidden
        glorot = nn.initializers.glorot_uniform()
        gate_kernel = self.param("gate_kernel", glorot, (inputs + hidden, 2 * hidden))
        gate_bias = self.param("gate_bias", nn.initializers.ones, (2 * hidden,))
        candidate_kernel = self.param("candidate_kernel", glorot, (inputs + hidden, hidden))
        candidate_bias = self.param("candidate_bias", nn.initializers.zeros, (hidden,))

        time_major = jnp.swapaxes(x, 0, 1)
        gate_inputs = time_major @ gate_kernel[:inputs] + gate_bias
        candidate_inputs = time_major @ candidate_kernel[:inputs] + candidate_bias

        def step(state, step_inputs):
            gate_x, candidate_x = step_inputs
            gates = jax.nn.sigmoid(gate_x + state @ gate_kernel[inputs:])
            reset, update = jnp.split(gates, 2, axis=-1)
            candidate = jnp.tanh(candidate_x + (reset * state) @ candidate_kernel[inputs:])
            state = update * state + (1.0 - update) * candidate
            return state, state

        # Zeros derived from the input so the carry has the input's dtype and batch.
        initial = jnp.zeros_like(gate_inputs[0, :, :hidden])
        if lengths is None:
            final, states = jax.lax.scan(step, initial, (gate_inputs, candidate_inputs))
            return final, jnp.swapaxes(states, 0, 1)

        # valid[t, i]: step t is inside sequence i; past its length the state is carried.
        valid = jnp.arange(time_major.shape[0])[:, None, None] < jnp.asarray(lengths)[:, None]

        def masked_step(state, step_inputs):
            *inputs_t, valid_t = step_inputs
            new_state, _ = step(state, inputs_t)
            state = jnp.where(valid_t, new_state, state)
            return state, state

        final, states = jax.lax.scan(masked_step, initial, (gate_inputs, candidate_inputs, valid))
        return final, jnp.swapaxes(states, 0, 1)


# TimeGAN's dense heads are tf.contrib fully_connected layers: Glorot-uniform weights.
_Dense = functools.partial(nn.Dense, kernel_init=nn.initializers.glorot_uniform())


class GRUClassifier(nn.Module):
    """One tanh GRU layer; its final hidden state goes through a dense layer to one logit."""

    hidden: int

    @nn.compact
    def __call__(self, x: jax.Array, lengths: jax.Array | None = None) -> jax.Array:
        """x: [batch, time, features], optional lengths int [batch] -> logits [batch].

        With lengths, the logit reads each sequence's state at its last valid step.
        """
        final_state, _ = GRU(self.hidden)(x, lengths)
        return _Dense(1)(final_state)[:, 0]


class GRURegressor(nn.Module):
    """One tanh GRU layer, then a dense layer with a sigmoid at every step."""

    hidden: int

    @nn.compact
    def __call__(self, x: jax.Array, lengths: jax.Array | None = None) -> jax.Array:
        """x: [batch, time, inputs], optional lengths int [batch] -> predictions in (0, 1),
        [batch, time]; with lengths, those past each sequence's length are meaningless."""
        _, states = GRU(self.hidden)(x, lengths)
        return nn.sigmoid(_Dense(1)(states))[..., 0]


def sample_indices(key: jax.Array, count: int, size: int) -> jax.Array:
    """A uniformly random subset of range(count), without replacement: [size] int32.

    TimeGAN takes permutation(count)[:size] every step; the top-k of i.i.d. uniforms is the
    same distribution at O(count log size) instead of a full sort.
    """
    _, indices = jax.lax.top_k(jax.random.uniform(key, (count,)), size)
    return indices


def train_adam(
    loss_fn: Callable[[object, jax.Array], jax.Array],
    params,
    key: jax.Array,
    iterations: jax.Array | int,
    *,
    learning_rate: float = 1e-3,
):
    """Runs `iterations` Adam steps of `loss_fn(params, step_key)` in one `fori_loop`.

    Call it inside `jax.jit`. `iterations` may be traced, so changing it does not recompile;
    `loss_fn` draws its own batch from `step_key = fold_in(key, step)`.

    Returns:
      The trained params.
    """
    optimizer = optax.adam(learning_rate)

    def step(index, carry):
        params, opt_state = carry
        grads = jax.grad(loss_fn)(params, jax.random.fold_in(key, index))
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    params, _ = jax.lax.fori_loop(0, iterations, step, (params, optimizer.init(params)))
    return params


def mean_abs_error(predictions: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean absolute error over all entries (tf.losses.absolute_difference): scalar."""
    return jnp.mean(jnp.abs(predictions - targets))


def step_mask(lengths: jax.Array, time: int) -> jax.Array:
    """int [batch] -> float32 [batch, time], 1 on the first lengths[i] steps of row i."""
    return (jnp.arange(time)[None, :] < jnp.asarray(lengths)[:, None]).astype(jnp.float32)


def masked_mean_abs_error(
    predictions: jax.Array, targets: jax.Array, mask: jax.Array, axis=None
) -> jax.Array:
    """Mean absolute error over the entries where mask [batch, time] is 1 (along `axis`).

    predictions, targets: [batch, time]; mask: [batch, time] of 0/1 with at least one 1
    per reduced slice. Entries where mask is 0 count for nothing, in value and gradient.
    """
    errors = jnp.where(mask > 0, jnp.abs(predictions - targets), 0.0)
    return jnp.sum(errors, axis=axis) / jnp.sum(mask, axis=axis)
