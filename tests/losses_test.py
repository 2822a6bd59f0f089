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
