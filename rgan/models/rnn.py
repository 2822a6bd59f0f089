"""Stacked GRU/LSTM networks over batch-major sequences, built on `flax.linen.scan`.

`ScanRNN` takes `x: [batch, time, features]` and an optional `mask: [batch, time]`
(1 for real steps, 0 for padding) and returns `[batch, time, hidden]`.

Layout. Internally the recurrence runs *time-major and feature-major*: sequences are
`[time, features, batch]` and carries `[hidden, batch]`. On XLA:CPU this matters a lot for
the small widths of these models (hidden 24): with batch as the minor (contiguous) axis the
per-step gate arithmetic vectorises over the batch, and slicing the fused gate matrix
`[3 * hidden, batch]` into gates takes contiguous row blocks. With the batch-major layout
(`[batch, 24]` minor axis 24) XLA emitted scalar loops for the same arithmetic. The layout
is converted once per `ScanRNN` call, not per layer or per step.

Gradients. The GRU step has a hand-written VJP (`_gru_cell`) that saves only the gate
activations `[r; z; n; W_hn h + b_hn]` (one `[4 * hidden, batch]` array per step) instead
of the ~10 intermediates plain autodiff keeps. Besides a leaner backward loop, this keeps
the temporary buffer of a whole RGAN training step small; above ~32 MiB glibc serves it
with a fresh `mmap` on every call and the page faults alone cost more than the arithmetic.
The LSTM step (`_lstm_cell`) has one too, saving `[i; f; g; o; tanh c]` and the carries.

Parameters keep the names, shapes and initialisers of one `nn.Dense` per gate
(`l{level}/step/{ir,iz,in,hr,hz,hn}` for GRU, `{ii,if,ig,io,hi,hf,hg,ho}` for LSTM) and are
fused into `[gates * hidden, in]` matrices once per call, outside the time loop.

Input projection. A layer's input does not depend on its recurrence, so `W_i x + b_i` is
computed for all time steps in one matmul before the scan (`[G*H, F] x [T, F, B]`, as
cuDNN does) and its weight gradient is one matmul after it; only `W_h h` stays inside the
loop: half the matmuls per step of the sequential chain, forward and back, which is what
a latency-bound accelerator step is made of. On a 2-core CPU it made TimeGAN's joint
iteration about 10% faster and the other families' steps no slower (docs/speed.md).

Recurrent carries and weights are derived from the input (`zeros_like` of a slice) rather
than created from constants, so that inside `jax.shard_map` they carry the same
varying-over-'data' type as the per-step data.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

CELL_TYPES = ("gru", "lstm")
_GATES = {"gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}


class _DenseParams(nn.Module):
    """The parameters of an `nn.Dense(features)` applied to `in_features` inputs.

    Returns (kernel [in_features, features], bias [features] or None).
    """

    in_features: int
    features: int
    use_bias: bool
    kernel_init: nn.initializers.Initializer

    @nn.compact
    def __call__(self):
        kernel = self.param("kernel", self.kernel_init, (self.in_features, self.features))
        if not self.use_bias:
            return kernel, None
        return kernel, self.param("bias", nn.initializers.zeros, (self.features,))


class _CellParams(nn.Module):
    """Per-gate Dense parameters of a GRU/LSTM cell, fused into feature-major matrices.

    Call: in_features -> (w_i [G*H, F], b_i [G*H, 1], w_h [G*H, H], b_hn [H, 1] or None)
    with G gates stacked in `_GATES[cell]` order. `b_hn` is the GRU candidate's recurrent
    bias (it sits inside `r * (W_hn h + b_hn)`, so it cannot merge into `b_i`).
    """

    cell: str
    hidden: int

    @nn.compact
    def __call__(self, in_features: int):
        w_i, b_i, w_h, b_hn = [], [], [], None
        for gate in _GATES[self.cell]:
            kernel, bias = _DenseParams(
                in_features, self.hidden, True, nn.initializers.lecun_normal(), name=f"i{gate}"
            )()
            w_i.append(kernel)
            b_i.append(bias)
            has_bias = self.cell == "gru" and gate == "n"
            kernel, bias = _DenseParams(
                self.hidden, self.hidden, has_bias, nn.initializers.orthogonal(), name=f"h{gate}"
            )()
            w_h.append(kernel)
            b_hn = bias if has_bias else b_hn
        return (
            jnp.concatenate(w_i, axis=1).T,
            jnp.concatenate(b_i)[:, None],
            jnp.concatenate(w_h, axis=1).T,
            None if b_hn is None else b_hn[:, None],
        )


@jax.custom_vjp
def _gru_cell(w_h, b_hn, gi, h):
    """GRU update given the input projection (equations of `flax.linen.GRUCell`).

    w_h [3H, H], b_hn [H, 1], gi = W_i x + b_i [3H, B], h [H, B] -> new h [H, B].
    """
    return _gru_cell_fwd(w_h, b_hn, gi, h)[0]


def _gru_cell_fwd(w_h, b_hn, gi, h):
    hidden = h.shape[0]
    gh = w_h @ h
    r = jax.nn.sigmoid(gi[:hidden] + gh[:hidden])
    z = jax.nn.sigmoid(gi[hidden : 2 * hidden] + gh[hidden : 2 * hidden])
    ghn = gh[2 * hidden :] + b_hn
    n = jnp.tanh(gi[2 * hidden :] + r * ghn)
    new_h = n + z * (h - n)  # == (1 - z) * n + z * h
    # Residuals: w_h.T is loop-invariant, so the scan's partial evaluation hoists it out of
    # the loop; pre-transposed, the backward's `w_h.T @ dgh` is a plain (YNNPACK) matmul.
    # The four activations go into one array so the forward loop stacks one residual.
    return new_h, (w_h.T, h, jnp.concatenate([r, z, n, ghn]))


def _gru_cell_bwd(res, d_new):
    w_h_t, h, acts = res
    hidden = h.shape[0]
    r, z, n, ghn = (acts[k * hidden : (k + 1) * hidden] for k in range(4))
    d_n = d_new * (1 - z) * (1 - n * n)  # d loss / d (candidate pre-activation)
    d_z = d_new * (h - n) * z * (1 - z)  # d loss / d (update-gate pre-activation)
    d_r = d_n * ghn * r * (1 - r)  # d loss / d (reset-gate pre-activation)
    d_ghn = d_n * r
    d_gh = jnp.concatenate([d_r, d_z, d_ghn])  # [3H, B], cotangent of W_h h
    d_h = d_new * z + w_h_t @ d_gh
    d_w_h = d_gh @ h.T
    d_b_hn = jnp.sum(d_ghn, axis=1, keepdims=True)
    d_gi = jnp.concatenate([d_r, d_z, d_n])
    return d_w_h, d_b_hn, d_gi, d_h


_gru_cell.defvjp(_gru_cell_fwd, _gru_cell_bwd)


class _GRUStep(nn.Module):
    """One GRU time step, feature-major.

    carry: h [H, B]; inputs: (gi = W_i x + b_i [3H, B], mask [1, B] or None);
    weights: (w_h [3H, H], b_hn [H, 1]) from `_CellParams`.
    Masked (padded) steps keep the previous carry and output zeros.
    """

    @nn.compact
    def __call__(self, h, inputs, weights):
        w_h, b_hn = weights
        gi, mask = inputs
        new_h = _gru_cell(w_h, b_hn, gi, h)
        if mask is None:
            return new_h, new_h
        new_h = jnp.where(mask, new_h, h)
        return new_h, new_h * mask


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _lstm_cell(forget_bias, w_h, gi, c, h):
    """LSTM update given the input projection, forget-gate bias `forget_bias`.

    w_h [4H, H], gi = W_i x + b_i [4H, B] (gates i, f, g, o), c, h [H, B]
    -> (new c, new h), each [H, B].
    """
    return _lstm_cell_fwd(forget_bias, w_h, gi, c, h)[0]


def _lstm_cell_fwd(forget_bias, w_h, gi, c, h):
    hidden = h.shape[0]
    g = gi + w_h @ h
    i = jax.nn.sigmoid(g[:hidden])
    f = jax.nn.sigmoid(g[hidden : 2 * hidden] + forget_bias)
    cand = jnp.tanh(g[2 * hidden : 3 * hidden])
    o = jax.nn.sigmoid(g[3 * hidden :])
    new_c = f * c + i * cand
    tanh_c = jnp.tanh(new_c)
    new_h = o * tanh_c
    # As in _gru_cell_fwd: the pre-transposed w_h is hoisted out of the loop, and the five
    # activations are one residual array per step.
    return (new_c, new_h), (w_h.T, h, c, jnp.concatenate([i, f, cand, o, tanh_c]))


def _lstm_cell_bwd(forget_bias, res, cotangents):
    del forget_bias  # a constant shift: its derivative is 1
    w_h_t, h, c, acts = res
    d_c_new, d_h_new = cotangents
    hidden = h.shape[0]
    i, f, cand, o, tanh_c = (acts[k * hidden : (k + 1) * hidden] for k in range(5))
    d_c = d_c_new + d_h_new * o * (1 - tanh_c * tanh_c)  # d loss / d new_c, both paths
    d_g = jnp.concatenate(  # d loss / d gate pre-activations [4H, B]
        [
            d_c * cand * i * (1 - i),
            d_c * c * f * (1 - f),
            d_c * i * (1 - cand * cand),
            d_h_new * tanh_c * o * (1 - o),
        ]
    )
    return d_g @ h.T, d_g, d_c * f, w_h_t @ d_g


_lstm_cell.defvjp(_lstm_cell_fwd, _lstm_cell_bwd)


class _LSTMStep(nn.Module):
    """One LSTM time step, feature-major, forget-gate bias 1 (as TensorFlow's and Keras').

    carry: (c, h) each [H, B]; inputs: (gi = W_i x + b_i [4H, B], mask [1, B] or None);
    weights: (w_h [4H, H], None) from `_CellParams`.
    """

    forget_bias: float = 1.0

    @nn.compact
    def __call__(self, carry, inputs, weights):
        c, h = carry
        w_h, _ = weights
        gi, mask = inputs
        new_c, new_h = _lstm_cell(self.forget_bias, w_h, gi, c, h)
        if mask is None:
            return (new_c, new_h), new_h
        new_c = jnp.where(mask, new_c, c)
        new_h = jnp.where(mask, new_h, h)
        return (new_c, new_h), new_h * mask


_STEPS = {"gru": _GRUStep, "lstm": _LSTMStep}


class TimeMajorLayer(nn.Module):
    """One recurrent layer scanned over time; optionally runs right-to-left.

    xs: [time, features, batch], mask: [time, 1, batch] or None -> [time, hidden, batch].
    """

    cell: str
    hidden: int
    reverse: bool = False
    unroll: int = 1

    @nn.compact
    def __call__(self, xs, mask=None):
        weights = _CellParams(self.cell, self.hidden, name="step")(xs.shape[1])
        # Inside shard_map the data varies over devices and the weights do not. Autodiff
        # reconciles that implicitly; the custom VJP needs them to match, so give the
        # weights the data's type (adding a zero derived from it).
        vary = jnp.zeros_like(xs[0, 0, 0])
        w_i, b_i, w_h, b_hn = jax.tree.map(lambda w: w + vary, weights)
        gi = jnp.einsum("gf,tfb->tgb", w_i, xs) + b_i  # [T, G*H, B]
        h = jnp.zeros_like(xs[0, :1]) + jnp.zeros((self.hidden, 1), xs.dtype)  # [H, B]
        carry = (h, h) if self.cell == "lstm" else h
        scan = nn.scan(
            _STEPS[self.cell],
            variable_broadcast="params",
            split_rngs={"params": False},
            in_axes=(0, nn.broadcast),
            out_axes=0,
            reverse=self.reverse,
            unroll=self.unroll,
        )
        _, ys = scan(name="scan")(carry, (gi, mask), (w_h, b_hn))
        return ys


class ScanRNN(nn.Module):
    """A stack of GRU or LSTM layers.

    Attributes:
      cell: "gru" or "lstm".
      hidden: hidden units per layer and direction.
      layers: number of stacked layers.
      bidirectional: run a second, right-to-left layer at each level and concatenate
        both directions (output width 2 * hidden).
      unroll: time steps per scan iteration (a speed knob; results are unchanged).

    Call: x [batch, time, features], mask [batch, time] (optional, 1 = real step)
      -> [batch, time, hidden * (2 if bidirectional else 1)]; padded steps are zero.
    """

    cell: str = "gru"
    hidden: int = 24
    layers: int = 1
    bidirectional: bool = False
    unroll: int = 1

    @nn.compact
    def __call__(self, x, mask=None):
        if self.cell not in _STEPS:
            raise ValueError(f"Unknown RNN cell {self.cell!r}; expected one of {CELL_TYPES}.")
        if x.ndim != 3:
            raise ValueError(f"ScanRNN expects x of shape [batch, time, features], got {x.shape}.")
        xs = jnp.transpose(x, (1, 2, 0))  # [T, F, B]
        if mask is not None:
            mask = jnp.transpose(mask.astype(x.dtype))[:, None, :]  # [T, 1, B]
        for level in range(self.layers):
            layer = dict(cell=self.cell, hidden=self.hidden, unroll=self.unroll)
            out = TimeMajorLayer(**layer, name=f"l{level}")(xs, mask)
            if self.bidirectional:
                backward = TimeMajorLayer(**layer, reverse=True, name=f"l{level}_rev")(xs, mask)
                out = jnp.concatenate([out, backward], axis=1)
            xs = out
        return jnp.transpose(xs, (2, 0, 1))  # [B, T, H]
