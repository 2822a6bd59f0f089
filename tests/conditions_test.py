"""Conditions: labelled sines, condition files, what a run saves, conditional sampling."""

import functools
import subprocess
import sys

import jax
import numpy as np
import pytest
from conftest import REPO
from testing import load_test_config

from rgan import train
from rgan.data import build_dataset, sine_windows
from rgan.data.conditions import MAX_SAVED_VECTORS, ConditionSummary
from rgan.families import DataSpec, build_family
from rgan.sample import load_run

SINES3 = "configs/sines3_rcgan.py"


def _estimated_frequencies(windows: np.ndarray) -> np.ndarray:
    """Exact frequency of sines x_t = (sin(f t + phase) + 1) / 2: [N, T, D] -> [N, D].

    For a sinusoid, (x_{t+1} - 1/2) + (x_{t-1} - 1/2) = 2 cos(f) (x_t - 1/2); cos(f) is the
    least-squares ratio over t.
    """
    a = windows[:, 2:] + windows[:, :-2] - 1.0
    b = 2.0 * windows[:, 1:-1] - 1.0
    return np.arccos(np.clip((a * b).sum(1) / (b * b).sum(1), -1.0, 1.0))


def test_sine_classes_are_frequency_bands_with_gaps(smoke_config):
    config = smoke_config(SINES3, data__num_samples=300)
    data = build_dataset(config.data, seed=0)
    labels = data.conditions.argmax(1)
    np.testing.assert_array_equal(data.conditions, np.eye(3, dtype=np.float32)[labels])
    assert data.condition_names == ("0", "1", "2")  # the labels, as text
    np.testing.assert_array_equal(np.bincount(labels), [100, 100, 100])
    freq = _estimated_frequencies(data.scaler.inverse(data.windows))  # [N, D]
    width = 0.3 / 3
    for c in range(3):
        band = freq[labels == c]
        # The middle half of band c: a gap of half a band separates neighbouring classes.
        assert band.min() > (c + 0.25) * width - 1e-4 and band.max() < (c + 0.75) * width + 1e-4


def test_class_weights_set_the_class_counts(smoke_config):
    config = smoke_config(SINES3, data__num_samples=101, data__sine_class_weights=(5, 3, 2))
    counts = build_dataset(config.data, seed=0).conditions.sum(0)
    np.testing.assert_array_equal(counts, [51, 30, 20])  # 50.5, 30.3, 20.2 rounded to 101
    config.data.sine_class_weights = (1.0, 1.0)
    with pytest.raises(ValueError, match="sine_class_weights must be 3"):
        build_dataset(config.data, seed=0)


def test_plain_sines_are_unchanged(smoke_config):
    config = smoke_config()
    data = build_dataset(config.data, seed=3)
    raw = sine_windows(config.data.num_samples, 24, 5, seed=3)
    np.testing.assert_allclose(data.scaler.inverse(data.windows), raw, atol=1e-6)
    assert data.conditions is None and data.condition_dim == 0


def _npy_config(smoke_config, tmp_path, conditions, kind="class", n=64):
    windows = np.random.default_rng(0).uniform(size=(n, 24, 2)).astype(np.float32)
    np.save(tmp_path / "w.npy", windows)
    np.save(tmp_path / "c.npy", conditions)
    return smoke_config(
        data__source="npy",
        data__path=str(tmp_path / "w.npy"),
        data__conditions_path=str(tmp_path / "c.npy"),
        data__condition_kind=kind,
    )


def test_condition_files_labels_and_vectors(smoke_config, tmp_path):
    labels = np.arange(64) % 4
    data = build_dataset(_npy_config(smoke_config, tmp_path, labels).data, seed=0)
    np.testing.assert_array_equal(data.conditions, np.eye(4)[labels])
    assert data.condition_names == ("0", "1", "2", "3")
    # Labels are classes by value: 1-based or sparse labels make no phantom class, and
    # text labels work too.
    for labels_, names in (
        (np.arange(64) % 4 + 1, ("1", "2", "3", "4")),
        (np.where(np.arange(64) % 2, 10, -3), ("-3", "10")),
        (np.where(np.arange(64) % 2, "walk", "run"), ("run", "walk")),
    ):
        data = build_dataset(_npy_config(smoke_config, tmp_path, labels_).data, seed=0)
        assert data.condition_names == names
        assert data.conditions.shape == (64, len(names))
        np.testing.assert_array_equal(
            np.asarray(names)[data.conditions.argmax(1)], np.asarray(labels_).astype(str)
        )

    vectors = np.random.default_rng(1).normal(size=(64, 3))
    data = build_dataset(_npy_config(smoke_config, tmp_path, vectors, "real").data, seed=0)
    np.testing.assert_allclose(data.conditions, vectors, rtol=1e-6)  # used as given
    assert data.condition_dim == 3
    data = build_dataset(_npy_config(smoke_config, tmp_path, vectors[:, 0], "real").data, seed=0)
    assert data.conditions.shape == (64, 1)


@pytest.mark.parametrize(
    "conditions, kind, message",
    [
        (np.arange(63), "class", "holds 63 condition.*64 windows"),
        (np.ones(64) * 0.5, "class", r"needs labels of shape \[N\] \(integers or text\)"),
        (np.ones(64, int), "class", "at least two classes"),
        (np.ones((64, 2, 2)), "real", r"vectors of shape \[N, C\]"),
        (np.arange(64), "ordinal", "Unknown config.data.condition_kind"),
    ],
)
def test_bad_condition_files_name_the_field(smoke_config, tmp_path, conditions, kind, message):
    config = _npy_config(smoke_config, tmp_path, conditions, kind)
    with pytest.raises(ValueError, match=message):
        build_dataset(config.data, seed=0)


def test_contradicting_condition_sources_are_refused(smoke_config, tmp_path):
    config = _npy_config(smoke_config, tmp_path, np.arange(64))
    config.data.sine_classes = 2
    with pytest.raises(ValueError, match="labels generated sines"):
        build_dataset(config.data, seed=0)
    config.data.source = "sines"
    with pytest.raises(ValueError, match="both set"):
        build_dataset(config.data, seed=0)


def test_conditions_are_part_of_the_data_fingerprint(smoke_config, tmp_path):
    a = train.run_metadata(*_with_data(_npy_config(smoke_config, tmp_path, np.arange(64) % 2)))
    b = train.run_metadata(*_with_data(_npy_config(smoke_config, tmp_path, np.arange(64) % 3)))
    assert a["data_fingerprint"] != b["data_fingerprint"]
    assert a["conditions"]["class_frequencies"] == [0.5, 0.5]


def _with_data(config):
    return config, build_dataset(config.data, seed=0)


def test_real_valued_summary_keeps_a_bounded_subsample_and_parses_vectors():
    vectors = np.random.default_rng(0).normal(size=(2500, 2)).astype(np.float32)
    summary = ConditionSummary.fit(vectors, "real", ("a", "b"), seed=0)
    assert summary.vectors.shape == (MAX_SAVED_VECTORS, 2)
    restored = ConditionSummary.from_dict(summary.to_dict())
    drawn = restored.draw(50, seed=1)
    assert drawn.shape == (50, 2)
    assert all((v == vectors).all(1).any() for v in drawn)  # rows of the training data
    np.testing.assert_array_equal(restored.draw(50, seed=1), drawn)
    np.testing.assert_array_equal(restored.parse("0.5,-1"), [0.5, -1.0])
    with pytest.raises(ValueError, match="is a class label"):
        restored.as_batch(1, 4)
    with pytest.raises(ValueError, match="not a comma-separated vector of 2"):
        restored.parse("x")


@pytest.fixture(scope="module")
def untrained_runs(tmp_path_factory):
    """RCGAN and RGAN on the 3-class sines, saved before any step (no step compiles)."""

    workdirs = {}
    for family in ("rcgan", "rgan"):
        config = load_test_config(
            f"{REPO / SINES3}:smoke",
            family=family,
            train__num_steps=0,
            train__plot_every=0,
            data__sine_class_weights=(0.6, 0.3, 0.1),
        )
        workdirs[family] = str(tmp_path_factory.mktemp(family))
        train.Trainer(config, workdirs[family]).run()
    return workdirs


def test_conditional_sampling_api(untrained_runs):
    run = load_run(untrained_runs["rcgan"])
    assert run.conditional and run.conditions.kind == "class"
    np.testing.assert_allclose(run.conditions.class_frequencies, [0.6, 0.3, 0.1], atol=1 / 256)
    np.testing.assert_array_equal(run.sample_conditions(5, cond=2), np.eye(3)[[2] * 5])
    np.testing.assert_array_equal(run.sample_conditions(2, cond=[0.0, 1.0, 0.0]), np.eye(3)[[1, 1]])
    per_sequence = np.eye(3, dtype=np.float32)[[0, 2]]
    np.testing.assert_array_equal(run.sample_conditions(2, cond=per_sequence), per_sequence)
    x = run.sample(4, 30, seed=0, cond=1)
    assert x.shape == (4, 30, 5) and np.isfinite(x).all()
    # The condition reaches the generator: other classes, other sequences (same noise).
    assert not np.array_equal(x, run.sample(4, 30, seed=0, cond=2))
    np.testing.assert_array_equal(x, run.sample(4, 30, seed=0, cond=1))
    with pytest.raises(ValueError, match=r"Unknown class label '3'; this run's classes are"):
        run.sample(2, cond=3)
    with pytest.raises(ValueError, match="width 3"):
        run.sample(2, cond=[1.0, 0.0])
    # The family itself checks the width of what it is given.
    with pytest.raises(ValueError, match=r"\[num, condition_dim\] = \[2, 3\]"):
        run.family.generate(run.state.params, jax.random.PRNGKey(0), 2, 24, np.ones((2, 4)))


def test_unconditional_families_refuse_conditions(untrained_runs, smoke_config):
    run = load_run(untrained_runs["rgan"])
    assert run.conditions is not None and not run.conditional  # the data have them
    assert run.sample(3, seed=0).shape == (3, 24, 5)
    with pytest.raises(ValueError, match="unconditional"):
        run.sample(3, cond=1)
    with pytest.raises(ValueError, match="'rgan' family is unconditional"):
        run.family.generate(run.state.params, jax.random.PRNGKey(0), 2, 24, np.ones((2, 3)))
    # An RCGAN trained without conditions takes none either.
    config = smoke_config("configs/sines_rcgan.py")
    family = build_family(config, DataSpec(24, 5))
    params = jax.eval_shape(family.init, jax.random.PRNGKey(0)).params
    generate = functools.partial(family.generate, num=2, length=24, cond=np.ones((2, 3)))
    with pytest.raises(ValueError, match="trained without conditions"):
        jax.eval_shape(generate, params, jax.random.PRNGKey(0))


def test_sample_cli_with_cond(untrained_runs, tmp_path):
    workdir = untrained_runs["rcgan"]
    out, cond_out = tmp_path / "s.npy", tmp_path / "c.npy"
    cmd = [sys.executable, "-m", "rgan.sample", f"--workdir={workdir}", "--num=6"]
    subprocess.run(
        [*cmd, "--cond=2", f"--out={out}", f"--cond_out={cond_out}"],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    assert np.load(out).shape == (6, 24, 5)
    np.testing.assert_array_equal(np.load(cond_out), np.eye(3)[[2] * 6])
    failed = subprocess.run(
        [*cmd, "--cond=two", f"--out={tmp_path / 'x.npy'}"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert failed.returncode != 0
    assert "Unknown class label 'two'; this run's classes are ['0', '1', '2']" in failed.stderr


def test_class_moments_need_a_conditional_family_and_a_moment_term(smoke_config):
    moments = {"gan__step_moment_weight": 1.0, "gan__class_moments": True}
    build_family(smoke_config(SINES3, **moments), DataSpec(24, 5, condition_dim=3))
    # RCGAN on real-valued conditions or none (configs/own_data.py:rcgan sets the option):
    # the pooled moments, as without it.
    build_family(smoke_config("configs/sines_rcgan.py", **moments), DataSpec(24, 5))
    config = smoke_config("configs/sines_rgan.py", data__sine_classes=3, **moments)
    with pytest.raises(ValueError, match="class_moments=True compares statistics within"):
        build_family(config, DataSpec(24, 5, condition_dim=3))
    config = smoke_config(SINES3, gan__class_moments=True, gan__step_moment_weight=0.0)
    config.gan.moment_weight = 0.0
    with pytest.raises(ValueError, match="no moment term to compute per class"):
        build_family(config, DataSpec(24, 5, condition_dim=3))
