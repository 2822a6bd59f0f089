"""C-RNN-GAN: learns Sines with and without feature matching, the feedback generator is
causal, the discriminator sees the whole window at every step. (Resume and 4 devices
against 1: tests/family_contract_test.py.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import REPO
from testing import load_test_config, statistics_distance

from rgan import train
from rgan.families import DataSpec, build_family
from rgan.families.crnngan import crnngan_networks
from rgan.models.crnngan import Generator
from rgan.sample import load_run

STEPS = 300


def _config(feature_matching, **overrides):
    fields = dict(
        data__num_samples=1024,
        model__hidden=16,
        train__batch_size=64,
        train__num_steps=STEPS,
        train__log_every=100,
        train__checkpoint_every=STEPS,
        train__plot_every=0,
        crnngan__feature_matching=feature_matching,
    )
    config = load_test_config(f"{REPO}/configs/sines_crnngan.py:smoke", **{**fields, **overrides})
    # A short run: larger steps than the default, the discriminator at a quarter of the
    # generator's rate (it is bidirectional and otherwise wins within 100 steps).
    config.optim.generator.learning_rate = 2e-3
    config.optim.discriminator.learning_rate = 5e-4
    return config


@pytest.fixture(scope="module")
def sines_runs(tmp_path_factory):
    """STEPS steps on sines with each generator loss: {"adversarial" | "feature_matching":
    (config, workdir, final state, history)}, plus the real windows and untrained samples."""
    runs = {}
    for name in ("adversarial", "feature_matching"):
        config = _config(name == "feature_matching")
        workdir = str(tmp_path_factory.mktemp(name))
        trainer = train.Trainer(config, workdir)
        state, history = trainer.run()
        runs[name] = (config, workdir, state, history)
    untrained = jax.jit(trainer.family.init)(jax.random.PRNGKey(config.seed))
    generate = jax.jit(trainer.family.generate, static_argnums=(2, 3))
    untrained_fake = np.asarray(generate(untrained.params, jax.random.PRNGKey(1), 1000, 24).values)
    return runs, trainer.dataset.windows[:1000], untrained_fake


@pytest.mark.parametrize("loss", ["adversarial", "feature_matching"])
def test_training_moves_samples_toward_the_data(sines_runs, loss):
    runs, real, untrained_fake = sines_runs
    _, workdir, _, history = runs[loss]
    assert all(np.isfinite(record["g_loss"]) for record in history)
    trained_fake = load_run(workdir).sample_scaled(1000, 24, seed=1)
    before = statistics_distance(real, untrained_fake)
    after = statistics_distance(real, trained_fake)
    print(f"{loss}: {before:.3f} -> {after:.3f}")
    # Measured on this machine: 0.78 -> 0.37 (adversarial), 0.78 -> 0.43 (feature matching).
    assert after < 0.75 * before, (before, after)


def test_generator_feeds_back_its_output_causally():
    generator = Generator(features=2, cell="lstm", hidden=8, layers=2)
    z = jax.random.uniform(jax.random.PRNGKey(0), (3, 10, 4))
    params = jax.jit(generator.init)(jax.random.PRNGKey(1), z)
    apply = jax.jit(generator.apply)
    x = apply(params, z)
    assert x.shape == (3, 10, 2) and bool(jnp.all((x >= 0) & (x <= 1)))
    # Changing the noise at step 5 changes nothing before it and everything after it.
    changed = apply(params, z.at[:, 5].add(1.0))
    np.testing.assert_array_equal(changed[:, :5], x[:, :5])
    assert bool(jnp.all(jnp.abs(changed[:, 5:] - x[:, 5:]).max(axis=-1) > 0))
    # The first layer reads [z_t, x_{t-1}]: 4 noise + 2 fed-back features.
    first_layer = params["params"]["feedback"]["l0"]
    assert any(leaf.shape[0] == 4 + 2 for leaf in jax.tree.leaves(first_layer))


@pytest.mark.parametrize("field", [False, True])
def test_discriminator_is_bidirectional_whatever_the_rgan_field_says(field):
    """Every step's logit moves when the last step does, also with
    model.bidirectional_discriminator=False (the field is RGAN's and TimeGAN's). Its
    parameters are 'rnn' and 'out', the names checkpoints written before it became RGAN's
    discriminator hold."""
    config = load_test_config(
        f"{REPO}/configs/sines_crnngan.py:smoke", model__bidirectional_discriminator=field
    )
    spec = DataSpec(seq_len=3, num_features=2)
    params = build_family(config, spec).init(jax.random.PRNGKey(0)).params["discriminator"]
    assert set(params) == {"rnn", "out"}
    discriminator = crnngan_networks(config, spec).discriminator
    x = jax.random.uniform(jax.random.PRNGKey(1), (4, 3, 2))
    logits, features = discriminator(params, x, None, None)
    assert logits.shape == (4, 3) and features.shape == (4, 3, 2 * config.model.hidden)
    changed, _ = discriminator(params, x.at[:, -1].add(1.0), None, None)
    assert float(jnp.max(jnp.abs(changed[:, 0] - logits[:, 0]))) > 1e-3
