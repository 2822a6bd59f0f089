"""ScanRNN against plain reference GRU/LSTMs: outputs, gradients, masking, directions, sharding.

conftest.py provides 4 simulated CPU devices (XLA_FLAGS set before jax is imported).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from rgan.models.rnn import ScanRNN

B, T, F, H = 8, 7, 5, 6


def _gate_params(layer_params, gates):
    """{gate: (input kernel, input bias, recurrent kernel, recurrent bias or 0)}."""
    step = layer_params["step"]
    return {
        g: (
            step[f"i{g}"]["kernel"],
            step[f"i{g}"]["bias"],
            step[f"h{g}"]["kernel"],
            step[f"h{g}"].get("bias", 0.0),
        )
        for g in gates
    }


def _reference_layer(cell, layer_params, x, mask, reverse=False):
    """A straightforward batch-major scan with per-gate matmuls. x [B, T, F], mask [B, T]."""
    p = _gate_params(layer_params, "rzn" if cell == "gru" else "ifgo")

    def pre(g, x_t, h, with_h_bias=True):
        wi, bi, wh, bh = p[g]
        return x_t @ wi + bi + h @ wh + (bh if with_h_bias else 0.0)

    def step(carry, inputs):
        x_t, m = inputs
        m = m[:, None]
        if cell == "gru":
            h = carry
            r = jax.nn.sigmoid(pre("r", x_t, h))
            z = jax.nn.sigmoid(pre("z", x_t, h))
            wi, bi, wh, bh = p["n"]
            n = jnp.tanh(x_t @ wi + bi + r * (h @ wh + bh))
            new = (1 - z) * n + z * h
            new = jnp.where(m > 0, new, h)
            return new, new * m
        c, h = carry
        i = jax.nn.sigmoid(pre("i", x_t, h))
        f = jax.nn.sigmoid(pre("f", x_t, h) + 1.0)
        g = jnp.tanh(pre("g", x_t, h))
        o = jax.nn.sigmoid(pre("o", x_t, h))
        new_c = f * c + i * g
        new_h = o * jnp.tanh(new_c)
        new_c = jnp.where(m > 0, new_c, c)
        new_h = jnp.where(m > 0, new_h, h)
        return (new_c, new_h), new_h * m

    h0 = jnp.zeros((x.shape[0], H), x.dtype)
    carry = (h0, h0) if cell == "lstm" else h0
    xs = (jnp.swapaxes(x, 0, 1), jnp.swapaxes(mask, 0, 1))
    _, ys = jax.lax.scan(step, carry, xs, reverse=reverse)
    return jnp.swapaxes(ys, 0, 1)


def _reference(cell, params, x, mask, layers, bidirectional=False):
    params = params["params"]
    mask = jnp.ones(x.shape[:2], x.dtype) if mask is None else mask.astype(x.dtype)
    for level in range(layers):
        out = _reference_layer(cell, params[f"l{level}"], x, mask)
        if bidirectional:
            back = _reference_layer(cell, params[f"l{level}_rev"], x, mask, reverse=True)
            out = jnp.concatenate([out, back], axis=-1)
        x = out
    return x


def _data(seed=0):
    kx, km = jax.random.split(jax.random.PRNGKey(seed))
    x = jax.random.normal(kx, (B, T, F))
    # Ragged right-padding plus a few holes in the middle.
    lengths = jnp.array([T, T, 5, 3, 1, T, 6, 4])
    mask = (jnp.arange(T)[None] < lengths[:, None]) & (jax.random.uniform(km, (B, T)) > 0.15)
    return x, mask


def _assert_close_rel(a, b, rtol):
    for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        u, v = np.asarray(u), np.asarray(v)
        scale = max(np.max(np.abs(u)), 1e-6)
        assert np.max(np.abs(u - v)) <= rtol * scale, np.max(np.abs(u - v)) / scale


@pytest.mark.parametrize(
    "cell,use_mask,layers",
    [("gru", False, 2), ("gru", True, 1), ("lstm", False, 2), ("lstm", True, 1)],
)
def test_matches_reference_forward_and_gradient(cell, use_mask, layers):
    x, mask = _data()
    mask = mask if use_mask else None
    model = ScanRNN(cell, H, layers=layers)
    params = model.init(jax.random.PRNGKey(1), x)
    weights = jax.random.normal(jax.random.PRNGKey(2), (B, T, H))

    def value_and_grad(fn):
        loss = lambda p, x: jnp.sum(jnp.tanh(fn(p, x)) * weights)
        return jax.jit(lambda p, x: (fn(p, x), jax.grad(loss, argnums=(0, 1))(p, x)))

    out, got = value_and_grad(lambda p, x: model.apply(p, x, mask))(params, x)
    ref, want = value_and_grad(lambda p, x: _reference(cell, p, x, mask, layers))(params, x)
    assert out.shape == (B, T, H)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    _assert_close_rel(got, want, 1e-4)


@pytest.mark.parametrize("cell,use_mask", [("gru", False), ("gru", True), ("lstm", True)])
def test_second_order_gradient_through_the_hand_written_backward_matches_autodiff(cell, use_mask):
    """WGAN-GP differentiates the discriminator's input gradient with respect to its
    parameters: that differentiates the hand-written GRU/LSTM backward pass itself."""
    x, mask = _data(5)
    mask = mask if use_mask else None
    model = ScanRNN(cell, H, layers=2)
    params = model.init(jax.random.PRNGKey(6), x)
    weights = jax.random.normal(jax.random.PRNGKey(7), (B, T, H))

    def penalty_grad(fn):
        def penalty(p):
            input_grad = jax.grad(lambda x: jnp.sum(jnp.tanh(fn(p, x)) * weights))(x)
            return jnp.sum((jnp.sqrt(jnp.sum(input_grad**2, axis=(1, 2))) - 1.0) ** 2)

        return jax.jit(jax.value_and_grad(penalty))(params)

    got = penalty_grad(lambda p, x: model.apply(p, x, mask))
    want = penalty_grad(lambda p, x: _reference(cell, p, x, mask, 2))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    _assert_close_rel(got[1], want[1], 1e-4)
    assert max(float(np.max(np.abs(g))) for g in jax.tree.leaves(got[1])) > 1e-3


def test_gru_matches_flax_grucell():
    """Same equations and parameter layout as `flax.linen.GRUCell` (gate for gate)."""
    x, _ = _data(3)
    model = ScanRNN("gru", H, layers=1)
    params = model.init(jax.random.PRNGKey(4), x)
    step = params["params"]["l0"]["step"]
    flax_params = {"params": {k: dict(v) for k, v in step.items()}}
    cell = nn.GRUCell(H)
    h = jnp.zeros((B, H))
    outs = []
    for t in range(T):
        h, y = cell.apply(flax_params, h, x[:, t])
        outs.append(y)
    np.testing.assert_allclose(model.apply(params, x), jnp.stack(outs, 1), atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_mask_holds_carry_and_zeroes_outputs(cell):
    x, _ = _data(5)
    model = ScanRNN(cell, H, layers=2)
    params = model.init(jax.random.PRNGKey(6), x)
    mask = jnp.ones((B, T)).at[:, 2:4].set(0.0)
    out = jax.jit(model.apply)(params, x, mask)
    np.testing.assert_array_equal(out[:, 2:4], 0.0)
    # Holding the carry over steps 2-3 == running the sequence with those steps removed.
    keep = jnp.array([0, 1, 4, 5, 6])
    np.testing.assert_allclose(out[:, keep], model.apply(params, x[:, keep]), atol=1e-5)
    # Padding never changes earlier outputs.
    np.testing.assert_allclose(out[:, :2], model.apply(params, x[:, :2]), atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_bidirectional_shape_and_reverse_semantics(cell):
    x, mask = _data(7)
    model = ScanRNN(cell, H, layers=1, bidirectional=True)
    params = model.init(jax.random.PRNGKey(8), x)
    out = jax.jit(model.apply)(params, x, mask)
    assert out.shape == (B, T, 2 * H)
    ref = jax.jit(lambda p, x, m: _reference(cell, p, x, m, 1, True))(params, x, mask)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    # Without padding, the backward direction is the forward recurrence run on the
    # time-reversed sequence with the `_rev` weights.
    fwd_only = ScanRNN(cell, H, layers=1)
    p_rev = {"params": {"l0": params["params"]["l0_rev"]}}
    back = jax.jit(model.apply)(params, x)[..., H:]
    np.testing.assert_allclose(back, fwd_only.apply(p_rev, x[:, ::-1])[:, ::-1], atol=1e-5)


def test_rejects_bad_inputs():
    with pytest.raises(ValueError, match="Unknown RNN cell"):
        ScanRNN("rnn", H).init(jax.random.PRNGKey(0), jnp.zeros((B, T, F)))
    with pytest.raises(ValueError, match=r"\[batch, time, features\]"):
        ScanRNN("gru", H).init(jax.random.PRNGKey(0), jnp.zeros((B, F)))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_runs_inside_shard_map(cell):
    devices = jax.devices()
    assert len(devices) == 4, "conftest.py should provide 4 CPU devices"
    x, mask = _data(11)
    model = ScanRNN(cell, H, layers=1)
    params = model.init(jax.random.PRNGKey(12), x)
    mesh = jax.make_mesh((4,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))

    def local(p, x, m):
        out, vjp = jax.vjp(lambda p: model.apply(p, x, m), p)
        # Cotangents of the replicated params come back already summed over devices (the
        # transpose of the implicit device-varying cast), as with plain autodiff.
        (g,) = vjp(jnp.ones_like(out))
        return out, g

    out, grads = jax.jit(
        jax.shard_map(
            local,
            mesh=mesh,
            in_specs=(P(), P("data"), P("data")),
            out_specs=(P("data"), P()),
        )
    )(params, x, mask)
    want_out, vjp = jax.vjp(jax.jit(lambda p: model.apply(p, x, mask)), params)
    (want,) = vjp(jnp.ones_like(want_out))
    np.testing.assert_allclose(out, want_out, atol=1e-5)
    _assert_close_rel(grads, want, 1e-4)


def test_runs_under_pmap():
    x, mask = _data(13)
    model = ScanRNN("gru", H, layers=1)
    params = model.init(jax.random.PRNGKey(14), x)
    split = lambda a: a.reshape(4, B // 4, *a.shape[1:])
    out = jax.pmap(lambda x, m: model.apply(params, x, m), axis_name="data")(split(x), split(mask))
    np.testing.assert_allclose(out.reshape(B, T, H), model.apply(params, x, mask), atol=1e-5)
