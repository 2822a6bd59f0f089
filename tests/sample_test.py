"""Learning and sampling, end to end: train a short run, then load it and sample."""

import subprocess
import sys

import jax
import numpy as np
import pytest
from conftest import REPO
from testing import load_test_config, statistics_distance

from rgan import train
from rgan.metric_log import read_metrics
from rgan.sample import load_run, save_samples


@pytest.fixture(scope="module")
def sines_run(tmp_path_factory):
    """600 RGAN steps on sines (~20 s), and the untrained generator's samples."""
    config = load_test_config(
        f"{REPO}/configs/sines_rgan.py:smoke",
        data__num_samples=2048,
        model__hidden=16,
        train__batch_size=64,
        train__num_steps=600,
        train__log_every=50,  # 12 records: the health monitor (window 5) judges 8 of them
        train__checkpoint_every=600,
        train__plot_every=0,
    )
    for opt in config.optim.values():
        opt.learning_rate = 2e-3
    workdir = tmp_path_factory.mktemp("sines")
    trainer = train.Trainer(config, str(workdir))
    untrained = jax.jit(trainer.family.init)(jax.random.PRNGKey(config.seed))
    untrained_fake = np.asarray(
        trainer.family.generate(untrained.params, jax.random.PRNGKey(1), 1000, 24).values
    )
    trainer.run()
    return workdir, trainer.dataset.windows[:1000], untrained_fake


def test_a_healthy_run_raises_no_health_flag(sines_run):
    records = read_metrics(str(sines_run[0]))
    assert len(records) == 12
    flags = {k: v for r in records for k, v in r.items() if k.startswith("health_") and v}
    assert not flags, flags


def test_training_moves_samples_toward_the_data(sines_run):
    workdir, real, untrained_fake = sines_run
    trained_fake = load_run(str(workdir)).sample_scaled(1000, 24, seed=1)
    before = statistics_distance(real, untrained_fake)
    after = statistics_distance(real, trained_fake)
    assert after < 0.6 * before, (before, after)


@pytest.mark.parametrize("length", [24, 96])
def test_sample_any_length(sines_run, length):
    run = load_run(str(sines_run[0]))
    x = run.sample(7, length, seed=3)
    assert x.shape == (7, length, 5)
    assert np.isfinite(x).all()
    np.testing.assert_array_equal(x, run.sample(7, length, seed=3))  # seeded
    assert not np.array_equal(x, run.sample(7, length, seed=4))


def test_samples_come_back_in_original_units(smoke_config, tmp_path):
    rng = np.random.default_rng(0)
    low = np.array([100.0, -5.0, 1e4])
    high = np.array([300.0, 5.0, 2e4])
    data = low + (high - low) * rng.uniform(size=(128, 24, 3))
    np.save(tmp_path / "raw.npy", data)
    config = smoke_config(data__source="npy", data__path=str(tmp_path / "raw.npy"))
    config.train.num_steps = 5
    train.train_and_evaluate(config, str(tmp_path / "run"))
    run = load_run(str(tmp_path / "run"))
    x = run.sample(64, 30, seed=0)
    assert (x >= low - 1e-6).all() and (x <= high + 1e-3).all()
    # Each feature spans a real part of its own original range, not [0, 1].
    assert ((x.max(axis=(0, 1)) - x.min(axis=(0, 1))) > 0.01 * (high - low)).all()
    np.testing.assert_allclose(
        run.scaler.inverse(run.scaler.transform(data)), data, rtol=1e-6, atol=1e-6 * high.max()
    )


def test_sample_cli_writes_npy_and_csv_and_never_overwrites(sines_run, tmp_path):
    workdir = str(sines_run[0])
    out = tmp_path / "s.npy"
    cmd = [sys.executable, "-m", "rgan.sample", f"--workdir={workdir}", "--num=5", "--length=30"]
    subprocess.run([*cmd, f"--out={out}"], check=True, capture_output=True, cwd=REPO)
    x = np.load(out)
    assert x.shape == (5, 30, 5)
    failed = subprocess.run([*cmd, f"--out={out}"], capture_output=True, text=True, cwd=REPO)
    assert failed.returncode != 0 and "exists" in failed.stderr
    np.testing.assert_array_equal(np.load(out), x)

    csv = tmp_path / "s.csv"
    save_samples(str(csv), x, [f"f{i}" for i in range(5)])
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert table.shape == (5 * 30, 2 + 5)
    np.testing.assert_allclose(table[:, 2:].reshape(5, 30, 5), x, rtol=1e-6)
    assert csv.read_text().splitlines()[0] == "sequence,step,f0,f1,f2,f3,f4"
