"""RGAN/RCGAN networks' inputs: the distance-to-end channel of variable-length data, the
generator's per-sequence noise and its warm-up steps; and how much of the window a
discriminator's step sees (model.bidirectional_discriminator, RGAN and TimeGAN)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rgan.families.base import step_and_sequence_noise, uniform_noise, with_warmup
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


def test_a_warmed_up_generator_outputs_the_tail_of_one_longer_run():
    """W warm-up steps: the kept steps are those of one run over W + T noise steps, the
    warm-up steps counted as real, so a length-aware generator still sees, at every kept
    step, the distance to its own sequence's end."""
    generator = Generator(3, "gru", 8, 2, length_scale=6)
    mask = jnp.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]], jnp.float32)
    params = generator.init(jax.random.PRNGKey(1), jnp.zeros((1, 6, 2)), None, mask[:1])

    def plain(p, z, cond, m):
        return generator.apply(p, z, cond, m)

    noise, warmed_up = with_warmup(uniform_noise(2), plain, 3)
    z = noise(jax.random.PRNGKey(0), 2, 6)
    assert z.shape == (2, 9, 2)
    out = warmed_up(params, z, None, mask)
    assert out.shape == (2, 6, 3)
    padded = jnp.concatenate([jnp.ones((2, 3)), mask], axis=1)
    np.testing.assert_array_equal(out, plain(params, z, None, padded)[:, 3:])
    np.testing.assert_allclose(steps_to_end(z, padded, 6)[:, 3:], steps_to_end(out, mask, 6))
    # The first kept step is not the one a run from the zero state makes of its noise.
    assert float(jnp.abs(out[:, 0] - plain(params, z[:, 3:], None, mask)[:, 0]).max()) > 1e-3
    step_noise = uniform_noise(2)
    assert with_warmup(step_noise, plain, 0) == (step_noise, plain)


def test_the_family_samples_and_trains_with_warmup_steps(smoke_config):
    """family.generate keeps the last T steps of a (W + T)-step run on the same noise, and
    a training step runs on the longer noise."""
    from rgan import parallel
    from rgan.data import build_dataset
    from rgan.families import DataSpec, build_family

    families = {}
    for steps in (0, 5):
        config = smoke_config(model__warmup_steps=steps, train__batch_size=16)
        data = build_dataset(config.data, seed=0)
        families[steps] = build_family(config, DataSpec(data.seq_len, data.num_features))
    params = families[5].init(jax.random.PRNGKey(0)).params
    key = jax.random.PRNGKey(1)
    warmed = families[5].generate(params, key, 4, 24).values
    np.testing.assert_array_equal(warmed, families[0].generate(params, key, 4, 29).values[:, 5:])

    mesh = parallel.make_mesh(jax.devices()[:1])
    state = parallel.init_replicated(families[5].init, jax.random.PRNGKey(0), mesh)
    step = parallel.sharded_step(families[5].phases[0], mesh, 16, data.seq_len)
    batches = tuple({"x": data.windows[:16]} for _ in range(config.train.d_steps))
    state, metrics = jax.device_get(step(state, parallel.global_batch(batches, mesh)))
    assert int(state.step) == 1
    assert all(np.isfinite(v) for v in jax.tree.leaves(metrics))


def test_negative_warmup_steps_are_refused_by_name(smoke_config):
    from rgan.families import DataSpec, build_family

    config = smoke_config(model__warmup_steps=-1)
    with pytest.raises(ValueError, match="model.warmup_steps must be an integer >= 0"):
        build_family(config, DataSpec(24, 5))


def _discriminator_logits(config, x):
    """The family's discriminator, at the family's initial parameters, on x [B, T, F]
    (TimeGAN's reads latent sequences of width model.hidden): logits [B, T]."""
    from rgan.families import DataSpec, build_family
    from rgan.families.rgan import rnn_networks
    from rgan.models.timegan import timegan_networks

    spec = DataSpec(x.shape[1], x.shape[2])
    params = build_family(config, spec).init(jax.random.PRNGKey(0)).params["discriminator"]
    model = config.model
    if config.family == "timegan":
        nets = timegan_networks(
            x.shape[2],
            model.cell,
            model.hidden,
            model.layers,
            bidirectional_discriminator=model.bidirectional_discriminator,
        )
        return nets["discriminator"].apply({"params": params}, x)[..., 0]
    return rnn_networks(config, spec).discriminator(params, x, None, None)[0]


@pytest.mark.parametrize("path", ["configs/sines_rgan.py", "configs/sines_timegan.py"])
def test_a_bidirectional_discriminator_sees_the_whole_window_at_every_step(smoke_config, path):
    """model.bidirectional_discriminator: the first step's logit moves when the last step
    does; the causal default's stays exactly where it was. Three steps: at initialization,
    what comes back from farther decays step by step (5e-5 from 23 steps away)."""
    moved = {}
    for bidirectional in (False, True):
        config = smoke_config(path, model__bidirectional_discriminator=bidirectional)
        width = config.model.hidden if config.family == "timegan" else 1
        x = jax.random.uniform(jax.random.PRNGKey(1), (4, 3, width))
        logits, changed = (_discriminator_logits(config, v) for v in (x, x.at[:, -1].add(1.0)))
        assert logits.shape == (4, 3)
        moved[bidirectional] = float(jnp.max(jnp.abs(changed[:, 0] - logits[:, 0])))
    assert moved[False] == 0.0
    assert moved[True] > 1e-2, moved  # 0.11 (RGAN) and 0.12 (TimeGAN) measured
