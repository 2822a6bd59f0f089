"""The adversarial objectives and the gradient penalty: their defining values."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rgan import losses


@pytest.mark.parametrize("name", losses.LOSS_NAMES)
def test_chance_loss_is_the_loss_of_a_discriminator_that_says_nothing(name):
    objective = losses.adversarial_loss(name)
    zeros = jnp.zeros((4, 3))
    value = jnp.mean(objective.real(zeros)) + jnp.mean(objective.fake(zeros))
    np.testing.assert_allclose(value, objective.chance_d_loss, rtol=1e-6)


def test_each_loss_rewards_the_right_side():
    for name in losses.LOSS_NAMES:
        objective = losses.adversarial_loss(name)
        confident_real, confident_fake = jnp.full((1,), 3.0), jnp.full((1,), -3.0)
        # D is rewarded for high logits on real and low on generated windows, G for high.
        assert objective.real(confident_real) < objective.real(confident_fake), name
        assert objective.fake(confident_fake) < objective.fake(confident_real), name
        assert objective.generator(confident_real) < objective.generator(confident_fake), name


def test_non_saturating_loss_and_label_smoothing():
    logits = jnp.array([[0.3, -1.2]])
    np.testing.assert_allclose(
        losses.adversarial_loss("ns").generator(logits), -jnp.log(jax.nn.sigmoid(logits)), 1e-6
    )
    smoothed = losses.adversarial_loss("ns", label_smoothing=0.1)
    p = jax.nn.sigmoid(logits)
    np.testing.assert_allclose(
        smoothed.real(logits), -(0.9 * jnp.log(p) + 0.1 * jnp.log(1 - p)), rtol=1e-5
    )
    # One-sided: the generated windows' targets stay 0.
    np.testing.assert_allclose(smoothed.fake(logits), -jnp.log(1 - p), rtol=1e-5)


def test_hinge_values():
    objective = losses.adversarial_loss("hinge")
    logits = jnp.array([-2.0, 0.5, 2.0])
    np.testing.assert_allclose(objective.real(logits), [3.0, 0.5, 0.0])
    np.testing.assert_allclose(objective.fake(logits), [0.0, 1.5, 3.0])
    np.testing.assert_allclose(objective.generator(logits), [2.0, -0.5, -2.0])


@pytest.mark.parametrize(
    "name, smoothing, message",
    [
        ("lsgan", 0.0, "Unknown config.gan.loss"),
        ("hinge", 0.1, "'ns' loss only"),
        ("ns", 0.5, "label_smoothing must be"),
    ],
)
def test_bad_options_are_refused(name, smoothing, message):
    with pytest.raises(ValueError, match=message):
        losses.adversarial_loss(name, smoothing)


def test_gradient_penalty_of_a_linear_critic():
    """D(x) = mean over time of <w, x_t>: its gradient is w / T at every step, so the norm
    over a sequence is |w| / sqrt(T), whatever x_hat is."""
    batch, time, features = 6, 5, 3
    w = jnp.array([1.0, 2.0, 2.0])  # |w| = 3
    scores = lambda x: jnp.mean(x @ w, axis=1)  # [B]
    real = jax.random.normal(jax.random.PRNGKey(0), (batch, time, features))
    fake = jax.random.normal(jax.random.PRNGKey(1), (batch, time, features))
    mix = jax.random.uniform(jax.random.PRNGKey(2), (batch,))
    penalty = losses.gradient_penalty(scores, real, fake, mix)
    np.testing.assert_allclose(penalty, (3 / math.sqrt(time) - 1) ** 2, rtol=1e-5)


def test_gradient_penalty_is_per_sequence_and_mixes_real_and_fake():
    """A quadratic critic: the gradient depends on x_hat, which must be mix * real +
    (1 - mix) * fake for each sequence separately."""
    scores = lambda x: 0.5 * jnp.sum(x**2, axis=(1, 2))  # gradient: x_hat itself
    real = jnp.ones((2, 1, 1)) * jnp.array([2.0, 4.0])[:, None, None]
    fake = jnp.zeros((2, 1, 1))
    mix = jnp.array([0.25, 0.5])
    # x_hat = [0.5, 2.0] -> norms 0.5 and 2 -> penalties 0.25 and 1.
    np.testing.assert_allclose(losses.gradient_penalty(scores, real, fake, mix), 0.625, 1e-6)


def test_last_step_is_each_sequence_last_real_step():
    values = jnp.arange(12.0).reshape(3, 4)
    mask = jnp.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], jnp.float32)
    np.testing.assert_array_equal(losses.last_step(values, mask), [3.0, 5.0, 8.0])
    np.testing.assert_array_equal(losses.last_step(values), [3.0, 7.0, 11.0])


def test_mean_with_last_step_mixes_the_mean_over_real_steps_with_the_last_steps():
    logits = jnp.arange(12.0).reshape(3, 4)
    mask = jnp.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], jnp.float32)

    def square(x):
        return x**2

    # Real steps: 0, 1, 4, 9 | 16, 25 | 64 -> mean 119 / 7; last steps: 9, 25, 64 -> 98 / 3.
    over_steps, at_end = 119.0 / 7.0, 98.0 / 3.0
    for weight in (0.0, 0.25, 1.0):
        np.testing.assert_allclose(
            losses.mean_with_last_step(square, logits, mask, weight),
            (1.0 - weight) * over_steps + weight * at_end,
            rtol=1e-6,
        )
    with pytest.raises(ValueError, match=r"config.gan.last_step_weight must be in \[0, 1\]"):
        losses.check_last_step_weight(-0.1, "gan.last_step_weight")
    losses.check_last_step_weight(1.0, "gan.last_step_weight")


def _correlated_paths(seed, batch=512, time=12, scale=1.0, jitter=0.0):
    """[batch, time, 3]: stationary AR(1) paths (coefficient 0.9), the third feature the
    sum of the first two; `jitter` adds independent per-step noise of that std."""
    rng = np.random.default_rng(seed)
    paths = np.zeros((batch, time, 2))
    paths[:, 0] = rng.normal(0.0, 1.0, (batch, 2))
    for t in range(1, time):
        paths[:, t] = 0.9 * paths[:, t - 1] + math.sqrt(1 - 0.81) * rng.normal(0, 1, (batch, 2))
    paths = scale * paths + jitter * rng.normal(0.0, 1.0, paths.shape)
    return jnp.asarray(np.concatenate([paths, paths.sum(-1, keepdims=True)], -1), jnp.float32)


def test_masked_moments_are_those_of_the_real_steps():
    x = _correlated_paths(0, batch=8, time=5)
    mask = jnp.asarray(np.arange(5)[None, :] < np.array([5, 3, 1, 4, 5, 2, 5, 3])[:, None])
    steps = np.asarray(x)[np.asarray(mask)]  # [real steps, 3]
    mean, cov = losses.masked_moments(x.at[:, :, 0].set(jnp.where(mask, x[..., 0], jnp.nan)), mask)
    np.testing.assert_allclose(mean, steps.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cov, np.cov(steps.T, bias=True), rtol=1e-4, atol=1e-6)


def test_moment_matching_loss_is_zero_for_the_same_statistics_and_grows_with_each_gap():
    real = _correlated_paths(0)
    assert float(losses.moment_matching_loss(real, real)) == 0.0
    # Another draw of the same process is close; each kind of gap is seen.
    same = float(losses.moment_matching_loss(real, _correlated_paths(1)))
    shifted = float(losses.moment_matching_loss(real, _correlated_paths(1) + 0.5))
    spread = float(losses.moment_matching_loss(real, _correlated_paths(1, scale=1.5)))
    uncorrelated = _correlated_paths(1).at[..., 2].set(_correlated_paths(2)[..., 2])
    decorrelated = float(losses.moment_matching_loss(real, uncorrelated))
    rough = float(losses.moment_matching_loss(real, _correlated_paths(1, jitter=0.3)))
    assert same < 0.1  # 0.07 (sampling noise of 512 paths)
    for gap in (shifted, spread, decorrelated, rough):
        assert gap > 3 * same


def _independent_paths(seed, scales, jitter=(0.0, 0.0, 0.0), batch=512, time=12):
    """[batch, time, 3]: independent stationary AR(1) paths (coefficient 0.9) times
    `scales`, plus per-step noise of std `jitter` (in units of each scale)."""
    rng = np.random.default_rng(seed)
    paths = np.zeros((batch, time, 3))
    paths[:, 0] = rng.normal(0.0, 1.0, (batch, 3))
    for t in range(1, time):
        paths[:, t] = 0.9 * paths[:, t - 1] + math.sqrt(1 - 0.81) * rng.normal(0, 1, (batch, 3))
    paths = paths + np.asarray(jitter) * rng.normal(0.0, 1.0, paths.shape)
    return jnp.asarray(paths * np.asarray(scales), jnp.float32)


def test_relative_moment_distance_sees_a_small_feature_s_roughness():
    # Feature 0 varies 100x less than the others; the rough fake's steps of feature 0
    # change ~3x as much as the real ones' (and it spreads 1.3x as wide).
    scales = (0.01, 1.0, 1.0)
    real, same = _independent_paths(0, scales), _independent_paths(1, scales)
    rough = _independent_paths(1, scales, jitter=(0.9, 0.0, 0.0))
    absolute = [float(losses.moment_matching_loss(real, f)) for f in (same, rough)]
    relative = [float(losses.moment_matching_loss(real, f, relative=True)) for f in (same, rough)]
    # Absolute: the gap is lost in the sampling noise of the large features; relative:
    # it stands out.
    assert absolute[1] < 1.2 * absolute[0]
    assert relative[1] > 2.5 * relative[0]  # 3.3x (absolute: 1.12x)
    # Relative distances do not depend on the features' units (but for the 1e-8 inside
    # each std's square root, ~1e-4 here); both are 0 for equal data.
    scaled = float(losses.moment_matching_loss(real * 7.0, rough * 7.0, relative=True))
    np.testing.assert_allclose(scaled, relative[1], rtol=2e-3)
    assert float(losses.moment_matching_loss(real, real, relative=True)) == 0.0


def test_second_differences_see_smooth_changes_replaced_by_a_random_walk_of_them():
    """Each sequence's own changes played in another order: the changes' pooled moments
    are exactly the real ones', so `differences=1` sees only the values' gap, while the
    changes' lag-1 autocorrelation (0.9 in smooth paths, ~0 shuffled) shows in the
    second differences' spread."""
    smooth = np.cumsum(np.asarray(_correlated_paths(0, time=24)), axis=1)  # smooth trends
    changes = np.diff(smooth, axis=1)
    order = np.random.default_rng(1).permuted(np.tile(np.arange(23), (512, 1)), axis=1)
    shuffled = np.take_along_axis(changes, order[..., None], axis=1)
    walk = np.concatenate([smooth[:, :1], smooth[:, :1] + np.cumsum(shuffled, axis=1)], 1)
    real, fake = jnp.asarray(smooth, jnp.float32), jnp.asarray(walk, jnp.float32)

    def loss(differences):
        distance = losses.moment_matching_loss(real, fake, relative=True, differences=differences)
        return float(distance)

    values, first, second = loss(0), loss(1), loss(2)
    assert abs(first - values) < 1e-3  # the changes' moments agree to float error
    # The second differences' stds and correlations: 0.81 here, against 0.09 for the values.
    assert second - first > 0.5
    assert float(losses.moment_matching_loss(real, real, differences=2)) == 0.0
    with pytest.raises(ValueError, match="differences must be >= 0"):
        losses.moment_matching_loss(real, fake, differences=-1)


def test_moment_matching_loss_ignores_padding():
    real, fake = _correlated_paths(0, batch=16), _correlated_paths(1, batch=16)
    mask = jnp.asarray(np.arange(12)[None, :] < np.arange(3, 19)[:, None] % 12 + 1)
    garbage = jnp.where(mask[..., None], fake, 123.0)
    clean = losses.moment_matching_loss(real, fake, mask)
    np.testing.assert_allclose(losses.moment_matching_loss(real, garbage, mask), clean, rtol=1e-6)


def test_aligned_at_end_reads_each_sequence_backwards_from_its_last_real_step():
    x = jnp.arange(10.0).reshape(2, 5, 1)  # rows 0..4 and 5..9
    mask = jnp.asarray([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out, valid = losses.aligned_at_end(x, mask)
    np.testing.assert_array_equal(valid, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(out[0, :3, 0], [2.0, 1.0, 0.0])
    np.testing.assert_array_equal(out[1, :, 0], [9.0, 8.0, 7.0, 6.0, 5.0])


def _ending_with_a_jump(seed, lengths, jump):
    """_correlated_paths whose last real step (of each length) is raised by `jump`."""
    x = np.array(_correlated_paths(seed, batch=len(lengths)))
    x[np.arange(len(lengths)), lengths - 1] += jump
    return jnp.asarray(x)


def test_step_moment_loss_sees_where_in_a_sequence_a_difference_is():
    real = _correlated_paths(0)
    assert float(losses.step_moment_loss(real, real)) == 0.0
    same = float(losses.step_moment_loss(real, _correlated_paths(1)))
    shifted = float(losses.step_moment_loss(real, _correlated_paths(1) + 0.5))
    assert shifted > 3 * same
    # Paths on a rising ramp (0 -> 2 over 12 steps) against the same paths played
    # backwards: the same values, so pooled moments see only the changes' mean flip; the
    # per-step means are apart at every step but the middle.
    ramp = jnp.linspace(0.0, 2.0, 12)[None, :, None]
    real, same = _correlated_paths(0) + ramp, _correlated_paths(1) + ramp
    backwards = same[:, ::-1]
    step = [float(losses.step_moment_loss(real, f)) for f in (same, backwards)]
    pooled = [float(losses.moment_matching_loss(real, f)) for f in (same, backwards)]
    assert step[1] > 8 * step[0]  # 13x (pooled: 5x)
    assert step[1] / step[0] > 2 * pooled[1] / pooled[0]


def test_step_moment_loss_aligns_variable_length_sequences_at_their_ends():
    # Lengths 3..12; the generated sequences end with a jump of 1.5 (the paths' std is 1).
    lengths = np.random.default_rng(2).integers(3, 13, size=512)
    mask = jnp.asarray(np.arange(12)[None, :] < lengths[:, None])
    real = _ending_with_a_jump(0, lengths, 0.0)
    fakes = {jump: _ending_with_a_jump(1, lengths, jump) for jump in (0.0, 1.5)}
    step = {j: float(losses.step_moment_loss(real, f, mask)) for j, f in fakes.items()}
    assert step[1.5] > 3.0 * step[0.0]  # 5x
    # The steps past each length are not looked at, whatever they hold.
    garbage = jnp.where(mask[..., None], fakes[1.5], jnp.nan)
    np.testing.assert_allclose(losses.step_moment_loss(real, garbage, mask), step[1.5], rtol=1e-6)
    assert float(losses.step_moment_loss(real, real, mask, relative=True)) == 0.0
    grad = jax.grad(lambda f: losses.step_moment_loss(real, f, mask))(garbage)
    assert np.isfinite(np.asarray(grad)).all()
    assert not np.asarray(grad)[~np.asarray(mask)].any()  # no gradient into the padding


@pytest.mark.parametrize("moment_loss", [losses.moment_matching_loss, losses.step_moment_loss])
@pytest.mark.parametrize("padded", [False, True])
def test_class_moment_loss_is_each_class_s_own_loss_weighted_by_its_share(moment_loss, padded):
    real, fake = _correlated_paths(0, batch=30), _correlated_paths(1, batch=30) * 1.3
    # Classes 0, 1, 2 of 14, 9 and 7 sequences, interleaved; class 3 is absent (weight 0).
    labels = np.random.default_rng(0).permutation(np.repeat([0, 1, 2], [14, 9, 7]))
    classes = jnp.asarray(np.eye(4)[labels])
    mask = None
    if padded:
        mask = jnp.asarray(np.arange(12)[None, :] < np.arange(30)[:, None] % 9 + 4)
    expected = sum(
        np.mean(labels == c)
        * float(
            moment_loss(
                real[labels == c], fake[labels == c], None if mask is None else mask[labels == c]
            )
        )
        for c in range(3)
    )
    got = losses.class_moment_loss(moment_loss, real, fake, classes, mask)
    np.testing.assert_allclose(float(got), expected, rtol=1e-5)
    grad = jax.grad(lambda f: losses.class_moment_loss(moment_loss, real, f, classes, mask))(fake)
    assert np.isfinite(np.asarray(grad)).all()


def test_class_moment_loss_sees_classes_swapped_where_the_pooled_loss_cannot():
    # Class 0 smooth, class 1 rough; the generated sequences are the same sequences with
    # the classes' labels swapped: the batch's pooled statistics agree exactly.
    smooth, rough = _correlated_paths(0, batch=64), _correlated_paths(1, batch=64)
    rough = rough + 0.5 * jax.random.normal(jax.random.key(3), rough.shape)
    real = jnp.concatenate([smooth, rough])
    classes = jnp.asarray(np.eye(2)[np.repeat([0, 1], 64)])
    swapped = jnp.concatenate([rough, smooth])
    for moment_loss in (losses.moment_matching_loss, losses.step_moment_loss):
        assert float(moment_loss(real, swapped)) < 1e-6
        per_class = float(losses.class_moment_loss(moment_loss, real, swapped, classes))
        assert per_class > 0.2
        assert float(losses.class_moment_loss(moment_loss, real, real, classes)) == 0.0


def test_within_windows_sees_lively_windows_that_the_pooled_moments_cannot():
    # Real windows sit at levels of std 1 and move by 0.3 within themselves; the generated
    # ones are the same values shuffled across windows and steps, so that their pooled
    # moments are the real ones exactly, but each window now spans the whole spread.
    rng = np.random.default_rng(0)
    levels = rng.normal(size=(256, 1, 3))
    real = jnp.asarray(levels + 0.3 * rng.normal(size=(256, 12, 3)), jnp.float32)
    order = rng.permutation(256 * 12)
    shuffled = real.reshape(-1, 3)[order].reshape(real.shape)
    pooled = float(losses.moment_matching_loss(real, shuffled, differences=0))
    within = float(losses.moment_matching_loss(real, shuffled, differences=0, within_windows=True))
    assert pooled < 1e-5
    assert within > 0.5  # within-window stds 1.04 against 0.3: ~0.74
    # Only deviations from each window's own mean count: new levels leave them alone, and
    # padded steps (NaN here) are neither in a window's mean nor in the statistics.
    shifted = real + jnp.asarray(rng.normal(size=(256, 1, 3)), jnp.float32)
    np.testing.assert_allclose(
        losses.window_deviations(shifted), losses.window_deviations(real), atol=1e-5
    )
    mask = jnp.asarray(np.arange(12)[None, :] < rng.integers(2, 13, size=256)[:, None])
    padded = jnp.where(mask[..., None], real, jnp.nan)
    deviations = losses.window_deviations(padded, mask)
    arrays = (np.asarray(real), np.asarray(mask), np.asarray(deviations))
    for window, valid, got in zip(*arrays, strict=True):
        kept = window[valid]
        np.testing.assert_allclose(got[valid], kept - kept.mean(axis=0), atol=1e-5)
    assert float(losses.moment_matching_loss(padded, padded, mask, within_windows=True)) == 0.0


def test_the_generator_s_moment_term_compares_what_the_gan_moment_fields_name(smoke_config):
    """One RGAN step from the same state on the same batch, with gan.moment_differences 0,
    1 and 2, and 1 with gan.moment_within_windows: each order and the within-window term
    add a non-negative distance, so the logged moment term grows; a negative order is
    refused by name."""
    from rgan import parallel
    from rgan.data import build_dataset
    from rgan.families import DataSpec, build_family

    logged = []
    for differences, within_windows in ((0, False), (1, False), (2, False), (1, True)):
        config = smoke_config(
            train__batch_size=16,
            gan__moment_weight=1.0,
            gan__moment_differences=differences,
            gan__moment_within_windows=within_windows,
        )
        data = build_dataset(config.data, seed=0)
        family = build_family(config, DataSpec(data.seq_len, data.num_features))
        mesh = parallel.make_mesh(jax.devices()[:1])
        state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), mesh)
        step = parallel.sharded_step(family.phases[0], mesh, 16, data.seq_len)
        batches = tuple({"x": data.windows[:16]} for _ in range(config.train.d_steps))
        _, metrics = jax.device_get(step(state, parallel.global_batch(batches, mesh)))
        logged.append(float(metrics["g_loss_moments"]))
    assert logged[0] + 0.1 < logged[1] < logged[2] - 0.1, logged  # 0.88, 1.39, 1.80
    assert logged[3] > logged[1] + 0.1, logged  # 2.39 against 1.39
    with pytest.raises(ValueError, match="gan.moment_differences must be an integer >= 0"):
        build_family(smoke_config(gan__moment_differences=-1), DataSpec(24, 5))
