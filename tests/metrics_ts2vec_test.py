"""The TS2Vec encoder and loss on fixed-length buffers equal the reference's variable lengths."""

import jax
import jax.numpy as jnp
import numpy as np

from rgan.metrics import ts2vec


def test_encoder_on_a_padded_prefix_equals_the_encoder_on_the_cut_window():
    # The reference runs the encoder on a cropped view of length L; here the view sits in a
    # full-length buffer whose tail (filled with junk) must not leak into the first L steps.
    rng = np.random.default_rng(0)
    windows = rng.uniform(size=(2, 24, 5)).astype(np.float32)
    length = 13
    model = ts2vec.TSEncoder()
    init = jax.jit(lambda key: model.init(key, windows, jnp.ones((2, 24), bool), train=False))
    params = init(jax.random.key(0))
    buffer = windows.copy()
    buffer[:, length:] = 7.0
    valid = np.broadcast_to(np.arange(24) < length, (2, 24))
    encode = jax.jit(lambda x, valid: model.apply(params, x, valid, train=False))
    padded_out = encode(buffer, valid)[:, :length]
    cut_out = encode(windows[:, :length], np.ones((2, length), bool))
    np.testing.assert_allclose(padded_out, cut_out, rtol=1e-4, atol=1e-4)


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _reference_instance(z1, z2):
    batch = z1.shape[0]
    z = np.concatenate([z1, z2], axis=0).transpose(1, 0, 2)
    sim = z @ z.transpose(0, 2, 1)
    logits = np.tril(sim, -1)[:, :, :-1] + np.triu(sim, 1)[:, :, 1:]
    logits = -_log_softmax(logits)
    i = np.arange(batch)
    return (logits[:, i, batch + i - 1].mean() + logits[:, batch + i, i].mean()) / 2


def _reference_temporal(z1, z2):
    steps = z1.shape[1]
    z = np.concatenate([z1, z2], axis=1)
    sim = z @ z.transpose(0, 2, 1)
    logits = np.tril(sim, -1)[:, :, :-1] + np.triu(sim, 1)[:, :, 1:]
    logits = -_log_softmax(logits)
    t = np.arange(steps)
    return (logits[:, t, steps + t - 1].mean() + logits[:, steps + t, t].mean()) / 2


def _reference_hierarchical(z1, z2, alpha=0.5):
    """TS2Vec's losses.py transcribed to numpy (temporal_unit 0)."""
    pool = lambda z: z[:, : z.shape[1] // 2 * 2].reshape(z.shape[0], -1, 2, z.shape[2]).max(2)
    loss, levels = 0.0, 0
    while z1.shape[1] > 1:
        loss += alpha * _reference_instance(z1, z2)
        loss += (1 - alpha) * _reference_temporal(z1, z2)
        levels += 1
        z1, z2 = pool(z1), pool(z2)
    if z1.shape[1] == 1:
        loss += alpha * _reference_instance(z1, z2)
        levels += 1
    return loss / levels


def test_masked_hierarchical_loss_equals_the_reference_on_the_cut_crop():
    rng = np.random.default_rng(1)
    z1 = rng.normal(size=(4, 24, 6)).astype(np.float32)
    z2 = rng.normal(size=(4, 24, 6)).astype(np.float32)
    for length in (1, 2, 7, 13, 24):
        expected = _reference_hierarchical(
            z1[:, :length].astype(np.float64), z2[:, :length].astype(np.float64)
        )
        got = ts2vec.hierarchical_contrastive_loss(z1, z2, jnp.int32(length))
        np.testing.assert_allclose(got, expected, rtol=1e-4, err_msg=f"length {length}")


def test_crops_share_the_overlap_at_the_reported_place():
    # Each step holds its own time index, so views can be read back as index ranges.
    steps = 24
    x = np.broadcast_to(np.arange(1, steps + 1, dtype=np.float32)[None, :, None], (8, steps, 1))
    crop_views = jax.jit(ts2vec._crop_views)
    for seed in range(20):
        view1, valid1, view2, valid2, start, length = crop_views(x, jax.random.key(seed))
        assert 2 <= length <= steps
        overlap1 = jax.jit(ts2vec.shift_steps)(view1, start)[:, :length, 0]
        np.testing.assert_array_equal(overlap1, view2[:, :length, 0])
        for view, valid in ((view1, valid1), (view2, valid2)):
            view, valid = np.asarray(view[..., 0]), np.asarray(valid)
            # Contiguous runs of real steps where valid, zeros after.
            assert np.all(np.diff(np.where(valid, view, np.nan), axis=1)[valid[:, 1:]] == 1)
            assert np.all(view[~valid] == 0) and np.all(view[valid] >= 1)


def test_default_iterations_follow_ts2vec():
    assert ts2vec.default_iterations((10_000, 24, 5)) == 600  # 1.2M values
    assert ts2vec.default_iterations((800, 24, 5)) == 200  # 96,000 values
