"""Differential privacy: the RDP accountant against known values, the per-device DP-SGD
gradient, and RCGAN trained with a private discriminator on 4 devices."""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import REPO
from jax.sharding import PartitionSpec as P
from testing import load_test_config

from rgan import parallel, train
from rgan.collectives import AXIS
from rgan.metric_log import read_metrics
from rgan.privacy_accountant import (
    ORDERS,
    dp_sgd_epsilon,
    epsilon_from_rdp,
    rdp_sampled_gaussian,
)
from rgan.privacy_sgd import private_mean_grad
from rgan.sample import load_run

# ---- the accountant ------------------------------------------------------------------


def test_rdp_matches_tensorflow_privacy():
    # tensorflow_privacy rdp_accountant_test: compute_rdp(q, sigma, steps, orders).
    np.testing.assert_allclose(10 * rdp_sampled_gaussian(0.1, 2.0, [5]), [0.07737], atol=1e-5)
    np.testing.assert_allclose(
        50 * rdp_sampled_gaussian(0.01, 2.5, [5, 50, 100]),
        [0.00218075, 0.023846, 167.416307],
        rtol=1e-5,
    )
    assert rdp_sampled_gaussian(0.0, 10.0, [20])[0] == 0.0
    assert rdp_sampled_gaussian(1.0, 10.0, [20])[0] == 20 / (2 * 10.0**2)  # Gaussian: a/2s^2


def test_rdp_equals_its_definition_by_numerical_integration():
    """A_alpha = E_{z ~ N(0, s^2)} [((1 - q) + q exp((2z - 1) / 2s^2))^alpha], the ratio of the
    mixture (1-q) N(0, s^2) + q N(1, s^2) to N(0, s^2) (Mironov et al. 2019, Sec. 3.3)."""
    for q, sigma, alpha in [(0.05, 1.0, 4), (0.2, 2.0, 10), (0.01, 0.8, 32)]:
        # The integrand peaks near z = 0 and, for large alpha, near z = alpha.
        z = np.linspace(-40 * sigma, alpha + 40 * sigma, 400_001)
        log_density = -(z**2) / (2 * sigma**2) - 0.5 * math.log(2 * math.pi * sigma**2)
        log_ratio = np.logaddexp(math.log1p(-q), math.log(q) + (2 * z - 1) / (2 * sigma**2))
        log_integrand = log_density + alpha * log_ratio
        top = log_integrand.max()  # integrate in log space: the integrand overflows
        log_a = top + math.log(np.trapezoid(np.exp(log_integrand - top), z))
        expected = log_a / (alpha - 1)
        np.testing.assert_allclose(rdp_sampled_gaussian(q, sigma, [alpha])[0], expected, rtol=1e-6)


@pytest.mark.parametrize(
    "n, batch, sigma, epochs, delta, epsilon, order",
    [
        # tensorflow_privacy compute_dp_sgd_privacy_lib_test (optimal orders are integers).
        (60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19),
        (100000, 100, 1.0, 30, 1e-7, 1.4154988495444845, 13),
    ],
)
def test_epsilon_matches_tensorflow_privacy(n, batch, sigma, epochs, delta, epsilon, order):
    steps = epochs * n // batch
    rdp = steps * rdp_sampled_gaussian(batch / n, sigma)
    assert epsilon_from_rdp(rdp, delta) == pytest.approx((epsilon, order), rel=1e-9)
    # A lower bound that any valid epsilon must respect (the test's own sanity check):
    # subsampling approximated by Gaussian DP with mu = sqrt(steps) q / sigma (Dong et al.).
    mu = math.sqrt(steps) * batch / n / sigma
    low_delta = 0.5 * math.erfc((epsilon / mu - mu / 2) / math.sqrt(2)) - math.exp(
        epsilon
    ) * 0.5 * math.erfc((epsilon / mu + mu / 2) / math.sqrt(2))
    assert low_delta <= delta


@pytest.mark.parametrize(
    "q, sigma, steps, delta",
    [
        (0.01, 1.1, 1000, 1e-5),
        (0.2, 2.0, 300, 1e-6),
        (1.0, 5.0, 50, 1e-5),
        (0.004, 0.8, 20000, 1e-5),
    ],
)
def test_epsilon_matches_google_dp_accounting(q, sigma, steps, delta):
    """Against Google's maintained accountant (the `privacy` extra): on the same integer
    orders it must agree exactly; on its own finer orders (fractional ones too) its epsilon
    may be lower, but only a little."""
    dp_accounting = pytest.importorskip("dp_accounting")
    from dp_accounting.rdp import rdp_privacy_accountant

    event = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma))
    ours = dp_sgd_epsilon(sampling_rate=q, noise_multiplier=sigma, steps=steps, delta=delta)
    same_orders = rdp_privacy_accountant.RdpAccountant(orders=list(ORDERS))
    same_orders.compose(event, steps)
    np.testing.assert_allclose(ours, same_orders.get_epsilon(delta), rtol=1e-6)
    finer = rdp_privacy_accountant.RdpAccountant()
    finer.compose(event, steps)
    assert finer.get_epsilon(delta) <= ours * (1 + 1e-9)
    assert ours <= finer.get_epsilon(delta) * 1.05


def test_constant_rdp_conversion():
    # tensorflow_privacy: rdp = 1.1 at orders 2..32 -> (1.32783806176, order 32).
    eps, order = epsilon_from_rdp([1.1] * 31, 1e-5, orders=range(2, 33))
    assert (eps, order) == (pytest.approx(1.32783806176), 32)


def test_epsilon_falls_with_noise_and_grows_with_steps_and_sampling():
    def eps(q=0.01, sigma=1.1, steps=1000):
        return dp_sgd_epsilon(sampling_rate=q, noise_multiplier=sigma, steps=steps, delta=1e-5)

    by_noise = [eps(sigma=s) for s in (0.7, 1.0, 1.5, 3.0, 10.0)]
    by_steps = [eps(steps=t) for t in (10, 100, 1000, 10000)]
    by_rate = [eps(q=q) for q in (0.001, 0.01, 0.1, 1.0)]
    for values in (by_noise[::-1], by_steps, by_rate):
        assert all(a < b for a, b in zip(values, values[1:], strict=False)), values
    assert eps(steps=0) == 0.0


# ---- the DP-SGD gradient -------------------------------------------------------------


def _private_grad(devices, noise_multiplier, l2_clip=1.0):
    """DP gradient of mean_i |w - x_i|^2 / 2 (example gradients w - x_i) over 8 examples."""
    x = jnp.asarray(np.random.default_rng(0).normal(size=(8, 500)), jnp.float32)
    x = x * jnp.linspace(0.01, 0.2, 8)[:, None]  # norms ~0.2 to ~4.5: some are clipped
    w = jnp.zeros(500)

    def example_loss(p, example):
        return 0.5 * jnp.sum((p - example["x"][0]) ** 2), ()

    def per_device(w, x, key):
        grad, _, metrics = private_mean_grad(
            example_loss,
            w,
            {"x": x},
            key,
            l2_clip=l2_clip,
            noise_multiplier=noise_multiplier,
        )
        return grad, metrics

    mesh = parallel.make_mesh(devices)
    step = jax.jit(
        jax.shard_map(
            per_device, mesh=mesh, in_specs=(P(), P(AXIS), P()), out_specs=P(), check_vma=False
        )
    )
    grad, metrics = step(w, x, jax.random.PRNGKey(3))
    return np.asarray(grad), jax.device_get(metrics), np.asarray(x)


def test_private_gradient_clips_sums_globally_and_adds_noise_once():
    clean, metrics, x = _private_grad(jax.devices(), 0.0)
    per_example = -x  # gradient of |w - x|^2 / 2 at w = 0
    norms = np.linalg.norm(per_example, axis=1, keepdims=True)
    expected = (per_example * np.minimum(1.0, 1.0 / norms)).sum(0) / 8  # global batch
    np.testing.assert_allclose(clean, expected, rtol=1e-5, atol=1e-7)
    assert metrics["clipped"] == np.mean(norms > 1.0) and 0 < metrics["clipped"] < 1
    noisy4, _, _ = _private_grad(jax.devices(), 2.0)
    noisy1, _, _ = _private_grad(jax.devices()[:1], 2.0)
    # The same noise whatever the device count: it is added once, after the psum.
    np.testing.assert_allclose(noisy4, noisy1, rtol=1e-5, atol=1e-6)
    # Its scale: N(0, (sigma C)^2) on the sum, divided by the global batch of 8.
    noise = (noisy4 - clean) * 8 / (2.0 * 1.0)
    assert abs(noise.mean()) < 0.15 and 0.9 < noise.std() < 1.1


# ---- RCGAN with a private discriminator ----------------------------------------------


def _config(**overrides):
    defaults = dict(
        rcgan__dp=True,
        rcgan__dp_l2_clip=0.1,  # small, so that clipping is active in a short run
        train__num_steps=20,
        train__log_every=10,
        train__checkpoint_every=20,
        train__plot_every=0,
    )
    return load_test_config(f"{REPO}/configs/sines_rcgan.py:smoke", **{**defaults, **overrides})


def test_logged_epsilon_falls_as_noise_grows(smoke_config, caplog):
    caplog.set_level("INFO")
    epsilons = []
    for sigma in (0.7, 1.1, 2.0):
        config = _config(rcgan__dp_noise_multiplier=sigma)
        privacy = train.Trainer(config, "/nonexistent-workdir").metadata["privacy"]
        assert privacy["epsilon"] == dp_sgd_epsilon(
            sampling_rate=32 / 256, noise_multiplier=sigma, steps=20, delta=1e-5
        )
        epsilons.append(privacy["epsilon"])
    assert epsilons[0] > epsilons[1] > epsilons[2] > 0, epsilons
    assert f"epsilon={epsilons[-1]:.4g}" in caplog.text
    config = smoke_config("configs/sines_rcgan.py")  # DP off: no budget
    assert train.Trainer(config, "/nonexistent-workdir").metadata["privacy"] is None


@pytest.fixture(scope="module")
def dp_run(tmp_path_factory):
    # Every device: the DP noise is drawn once. Sample plots on, to check what they show.
    config = _config(train__num_devices=0, train__plot_every=20)
    workdir = str(tmp_path_factory.mktemp("dp"))
    state, history = train.Trainer(config, workdir).run()
    return config, workdir, state, history


def test_private_training_runs_on_four_devices(dp_run):
    config, workdir, state, history = dp_run
    assert len(jax.devices()) == 4 and int(state.step) == 20
    assert load_run(workdir).config.train.num_devices == 0  # trained on all 4
    for record in history:
        assert all(math.isfinite(v) for v in record.values() if not isinstance(v, str))
    run = load_run(workdir)
    assert run.privacy["epsilon"] > 0 and run.privacy["steps"] == 20
    assert np.isfinite(run.sample(4, seed=0)).all()


def test_a_private_run_logs_and_plots_no_real_data(dp_run):
    _, workdir, _, history = dp_run
    real_statistics = {"d_loss", "d_acc_real", "dp_clipped", "diversity_ratio"}
    for record in read_metrics(workdir):
        assert not real_statistics & set(record), record
        assert {"d_loss_fake", "d_acc_fake", "g_loss"} <= set(record)
    plots = os.listdir(os.path.join(workdir, "samples"))
    assert plots == ["step_00000020.png"]
    # Generated windows only: one column of panels, half the width of a real-vs-generated plot.
    from PIL import Image

    width = Image.open(os.path.join(workdir, "samples", plots[0])).size[0]
    released = load_run(workdir).privacy["released_outside_guarantee"]
    assert any("minimum and maximum" in item for item in released)
    assert not any("loss and accuracy" in item for item in released)
    assert width < 500, width


def test_released_statistics_are_opt_in_and_public_bounds_keep_the_scaler_private(caplog):
    config = _config(rcgan__dp_release_real_statistics=True, data__bounds="-0.5:1.5")
    trainer = train.Trainer(config, "/nonexistent-workdir")
    released = trainer.metadata["privacy"]["released_outside_guarantee"]
    assert any("loss and accuracy" in item for item in released)
    assert not any("minimum and maximum" in item for item in released)
    assert "not what this run also saves or shows" in caplog.text
    np.testing.assert_array_equal(trainer.metadata["scaler"]["minimum"], [-0.5] * 5)
    np.testing.assert_array_equal(trainer.metadata["scaler"]["maximum"], [1.5] * 5)
    # The same raw values, scaled from [-0.5, 1.5] instead of their own min and max.
    own = train.Trainer(_config(), "/nonexistent-workdir").dataset
    raw = own.scaler.inverse(own.windows)
    np.testing.assert_allclose(trainer.dataset.windows, (raw + 0.5) / 2.0, atol=1e-6)


@pytest.mark.parametrize(
    "overrides, names",
    [
        ({"gan__loss": "wgan_gp"}, "gradient penalty"),
        ({"gan__moment_weight": 10.0}, "moment_weight=0"),
        ({"gan__moment_weight": 0.0, "gan__step_moment_weight": 1.0}, "step_moment_weight=0"),
    ],
)
def test_losses_that_read_real_data_outside_dp_sgd_are_refused(overrides, names):
    # The benchmark config's moment term is on; the private run must be told to drop it.
    with pytest.raises(ValueError, match=names):
        train.Trainer(_config(**overrides), "/nonexistent-workdir")
