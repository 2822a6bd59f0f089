"""RGAN/RCGAN networks' inputs: the distance-to-end channel of variable-length data and
the generator's per-sequence noise."""

import jax
import jax.numpy as jnp
import numpy as np

from rgan.families.base import step_and_sequence_noise, uniform_noise
from rgan.models.rgan import Discriminator, Generator, steps_to_end


def test_steps_to_end_counts_down_to_each_sequence_last_step():
    x = jnp.zeros((2, 5, 3))
    mask = jnp.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], jnp.float32)
    np.testing.assert_allclose(
        steps_to_end(x, mask, 10)[..., 0], [[0.2, 0.1, 0.0, 0.0, 0.0], [0.4, 0.3, 0.2, 0.1, 0.0]]
    )
    np.testing.assert_allclose(steps_to_end(x, None, 5)[..., 0], [[0.8, 0.6, 0.4, 0.2, 0.0]] * 2)


def test_a_length_aware_generator_makes_the_same_prefix_differently_for_other_lengths():
    """It is told how long the sequence will be; an unaware one is not (causal: a longer
    sequence starts as the shorter one does)."""
    z = jax.random.uniform(jax.random.PRNGKey(0), (1, 6, 2))
    short = jnp.array([[1, 1, 1, 0, 0, 0]], jnp.float32)
    long = jnp.ones((1, 6))
    for scale, differs in ((6, True), (0, False)):
        generator = Generator(3, "gru", 8, 1, length_scale=scale)
        params = generator.init(jax.random.PRNGKey(1), z, None, long)
        a = generator.apply(params, z, None, short)[:, :3]
        b = generator.apply(params, z, None, long)[:, :3]
        assert (float(jnp.max(jnp.abs(a - b))) > 1e-4) == differs, scale
    # The discriminator's parameters take the extra input channel too.
    discriminator = Discriminator("gru", 8, 1, length_scale=6)
    params = discriminator.init(jax.random.PRNGKey(2), z[..., :1].repeat(3, -1), None, short)
    assert params["params"]["rnn"]["l0"]["step"]["ir"]["kernel"].shape[0] == 3 + 1


def test_sequence_noise_is_constant_in_time_and_leaves_the_step_noise_alone():
    key = jax.random.PRNGKey(3)
    assert jnp.array_equal(step_and_sequence_noise(4, 0)(key, 2, 7), uniform_noise(4)(key, 2, 7))
    z = step_and_sequence_noise(4, 3)(key, 2, 7)
    assert z.shape == (2, 7, 7)
    per_sequence = z[..., 4:]
    assert jnp.array_equal(per_sequence, jnp.broadcast_to(per_sequence[:, :1], (2, 7, 3)))
    assert float(jnp.std(z[:, :, :4], axis=1).min()) > 0.05  # the per-step part varies
    assert float(jnp.abs(per_sequence[0, 0] - per_sequence[1, 0]).max()) > 1e-3


def test_unroll_from_the_config_changes_nothing_but_speed(smoke_config):
    from rgan.data import build_dataset
    from rgan.families import DataSpec, build_family

    outputs = []
    for unroll in (1, 4):
        config = smoke_config(model__unroll=unroll)
        data = build_dataset(config.data, seed=0)
        family = build_family(config, DataSpec(data.seq_len, data.num_features))
        params = family.init(jax.random.PRNGKey(0)).params
        outputs.append(family.generate(params, jax.random.PRNGKey(1), 4, 24).values)
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-6)
