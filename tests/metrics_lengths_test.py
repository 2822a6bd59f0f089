"""Variable-length sequences: the masked GRU, masked TimeGAN scores and evaluation of such runs.

The score tests share one shape (250 vs 250 Sines windows of 16 x 3, lengths 6..16) so the
trained metrics compile once per path; iterations are traced and do not recompile.
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from metrics_testing import sines, uniform_noise

from rgan import evaluate, train
from rgan.metrics import discriminative, discriminative_score, posthoc, predictive, predictive_score
from rgan.sample import load_run

COUNT, LENGTH, FEATURES = 250, 16, 3
REAL = sines(2 * COUNT, LENGTH, FEATURES, seed=0)
LENGTHS = np.random.default_rng(0).integers(6, LENGTH + 1, size=2 * COUNT)
FAST = dict(iterations=30)
FAST_EVALUATION = dict(discriminative_iterations=30, predictive_iterations=30)


def _with_padding(windows, lengths, fill):
    """A copy of windows with every step past its length replaced by `fill(shape)`."""
    out = windows.copy()
    pad = np.arange(windows.shape[1])[None, :] >= lengths[:, None]
    out[pad] = fill(out[pad].shape)
    return out


def test_gru_final_state_is_the_state_at_each_sequences_last_step():
    # Property, over random shapes and lengths (1 and T included): the masked GRU's final
    # state is what the same GRU gives on the sequence cut to its length. (One run per
    # distinct length, on the whole batch cut there: every distinct shape compiles a scan.)
    for trial in range(2):
        rng = np.random.default_rng(trial)
        batch, time, inputs = 6, int(rng.integers(3, 7)), int(rng.integers(1, 4))
        x = rng.uniform(size=(batch, time, inputs)).astype(np.float32)
        lengths = rng.integers(1, time + 1, size=batch)
        lengths[:2] = (1, time)
        gru = posthoc.GRU(hidden=int(rng.integers(1, 4)))
        params = gru.init(jax.random.key(trial), x)
        final, states = gru.apply(params, x, jnp.asarray(lengths))
        for n in np.unique(lengths):
            cut_final, cut_states = gru.apply(params, x[:, :n])
            rows = lengths == n
            np.testing.assert_allclose(final[rows], cut_final[rows], atol=1e-6)
            np.testing.assert_allclose(states[rows, :n], cut_states[rows], atol=1e-6)
        # Past its length a sequence's state stays its final state; the inputs there are unused.
        np.testing.assert_array_equal(states[:, -1], final)
        garbage = _with_padding(x, lengths, lambda shape, rng=rng: rng.uniform(-5, 5, shape))
        np.testing.assert_array_equal(gru.apply(params, garbage, jnp.asarray(lengths))[0], final)


def test_the_posthoc_models_pass_lengths_to_the_gru():
    x = np.random.default_rng(0).uniform(size=(3, 5, 2)).astype(np.float32)
    lengths = jnp.asarray([2, 5, 3])
    for model in (posthoc.GRUClassifier(hidden=2), posthoc.GRURegressor(hidden=2)):
        params = model.init(jax.random.key(0), x)
        garbage = _with_padding(x, np.asarray(lengths), np.ones)
        with_lengths = model.apply(params, x, lengths)
        assert not np.array_equal(with_lengths, model.apply(params, x))
        if isinstance(model, posthoc.GRUClassifier):
            np.testing.assert_array_equal(model.apply(params, garbage, lengths), with_lengths)
        else:
            valid = np.arange(5)[None, :] < np.asarray(lengths)[:, None]
            np.testing.assert_array_equal(
                np.asarray(model.apply(params, garbage, lengths))[valid],
                np.asarray(with_lengths)[valid],
            )


@pytest.mark.parametrize("score", [discriminative_score, predictive_score])
def test_padding_content_does_not_change_the_scores(score):
    real, fake = REAL[:COUNT], REAL[COUNT:]
    real_lengths, fake_lengths = LENGTHS[:COUNT], LENGTHS[COUNT:]
    rng = np.random.default_rng(5)
    lengths = dict(real_lengths=real_lengths, fake_lengths=fake_lengths)
    zero = dict(
        real=_with_padding(real, real_lengths, np.zeros),
        fake=_with_padding(fake, fake_lengths, np.zeros),
    )
    noisy = dict(
        real=_with_padding(real, real_lengths, lambda shape: rng.uniform(-3, 3, shape)),
        fake=_with_padding(fake, fake_lengths, lambda shape: np.full(shape, np.nan)),
    )
    scores = {score(**arrays, seed=1, **lengths, **FAST) for arrays in (zero, noisy)}
    scores.add(score(real, fake, seed=1, **lengths, **FAST))
    assert len(scores) == 1, scores
    # ... while the lengths themselves do matter.
    shorter = dict(real_lengths=real_lengths, fake_lengths=np.maximum(fake_lengths - 3, 2))
    assert score(real, fake, seed=1, **shorter, **FAST) not in scores


@pytest.mark.parametrize(
    "score, trained, tolerance",
    [
        # Accuracy on 100 test windows: allow one window's flip from float rounding.
        (discriminative_score, discriminative._test_accuracy, 0.01),
        (predictive_score, predictive._test_error, 1e-5),
    ],
)
def test_all_full_lengths_give_the_fixed_length_scores(score, trained, tolerance):
    real, fake = REAL[:COUNT], REAL[COUNT:]
    full = np.full(COUNT, LENGTH)
    lengths = dict(real_lengths=full, fake_lengths=full)
    assert score(real, fake, seed=2, **lengths, **FAST) == score(real, fake, seed=2, **FAST)
    # The public score takes the fixed-length path then; the masked path agrees with it too.
    key, full = jax.random.key(2), full.astype(np.int32)
    masked = trained(real, fake, full, full, key, FAST["iterations"], batch_size=128)
    fixed = trained(real, fake, None, None, key, FAST["iterations"], batch_size=128)
    assert abs(float(masked) - float(fixed)) <= tolerance


def test_a_wrong_generator_scores_worse_than_a_disjoint_half_of_real():
    # 800 iterations (not 2000) keep it short: correct ~0.0-0.06; both wrong ones ~0.4.
    real, real_lengths = REAL[:COUNT], LENGTHS[:COUNT]
    fake_lengths = LENGTHS[COUNT:]
    rng = np.random.default_rng(3)
    short = rng.integers(3, 7, size=COUNT)  # right content, wrong length distribution
    noise = uniform_noise(COUNT, LENGTH, FEATURES, seed=1)  # right lengths, wrong content

    def score(fake, lengths):
        return discriminative_score(
            real, fake, seed=0, iterations=800, real_lengths=real_lengths, fake_lengths=lengths
        )

    correct = score(REAL[COUNT:], fake_lengths)
    wrong_lengths = score(REAL[COUNT:], short)
    wrong_content = score(noise, fake_lengths)
    assert correct < 0.12
    assert min(wrong_lengths, wrong_content) > correct + 0.2, (
        correct,
        wrong_lengths,
        wrong_content,
    )


@pytest.mark.parametrize(
    "lengths, match",
    [
        (np.full(COUNT - 1, 8), r"one length per window \(250\).*\(249,\)"),
        (np.full((COUNT, 1), 8), r"1-D"),
        (np.zeros(COUNT, int), r"must lie in \[1, 16\].*got \[0, 0\]"),
        (np.full(COUNT, LENGTH + 1), r"must lie in \[1, 16\].*got \[17, 17\]"),
        (np.full(COUNT, 7.5), r"whole numbers"),
        (np.full(COUNT, True), r"whole numbers"),
    ],
)
def test_bad_lengths_name_the_problem(lengths, match):
    with pytest.raises(ValueError, match=f"fake_lengths .*{match}"):
        discriminative_score(REAL[:COUNT], REAL[COUNT:], seed=0, fake_lengths=lengths)


def test_predictive_needs_two_steps_and_other_bad_inputs():
    ones = np.ones(COUNT, int)
    with pytest.raises(ValueError, match=r"real_lengths must lie in \[2, 16\]"):
        predictive_score(REAL[:COUNT], REAL[COUNT:], seed=0, real_lengths=ones)
    # Valid steps are still value-checked (padding is not).
    bad = REAL[COUNT:].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        discriminative_score(REAL[:COUNT], bad, seed=0, fake_lengths=LENGTHS[COUNT:])


def _long_table(windows, lengths):
    """Sequence i is windows[i, :lengths[i]] as rows (id, step, a, b, c), rows shuffled."""
    rows = [
        {"id": f"s{i:03d}", "step": step, **dict(zip("abc", values, strict=True))}
        for i, (window, n) in enumerate(zip(windows, lengths, strict=True))
        for step, values in enumerate(window[:n])
    ]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)


def test_evaluate_run_scores_a_variable_length_run(smoke_config, tmp_path):
    # The run's data are REAL[:COUNT] cut at LENGTHS, so its windows have the shape of the
    # tests above and the metrics reuse their compilations; training dominates the time.
    lengths = LENGTHS[:COUNT]
    assert lengths.max() == LENGTH
    _long_table(REAL[:COUNT], lengths).to_csv(tmp_path / "t.csv", index=False)
    config = smoke_config(
        data__source="table",
        data__path=str(tmp_path / "t.csv"),
        data__id_column="id",
        data__time_column="step",
        data__feature_columns="a, b, c",
        data__seq_len=0,
        train__num_steps=2,
        train__plot_every=0,
    )
    workdir = tmp_path / "run"
    train.train_and_evaluate(config, str(workdir))
    np.testing.assert_array_equal(load_run(str(workdir)).training_lengths(), lengths)
    report = evaluate.evaluate_run(str(workdir), repeats=2, **FAST_EVALUATION)
    saved = json.loads((workdir / "eval" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(report))
    assert saved["variable_length"] and saved["num_windows"] == COUNT
    assert saved["mean_length"]["real"] == pytest.approx(lengths.mean())
    for name in ("discriminative", "predictive"):
        entry = saved["metrics"][name]
        assert len(entry["repeats"]) == 2 and np.isfinite(entry["repeats"]).all()
    for name in evaluate.FIXED_LENGTH_ONLY:
        assert "variable-length" in saved["metrics"][name]["skipped"]
    table_text = evaluate.format_table(report["metrics"])
    assert "mmd2" in table_text and "skipped" in table_text
    folder = workdir / "eval" / f"step_{saved['step']:08d}"
    assert not (folder / "pca.png").exists() and not (folder / "tsne.png").exists()
    pytest.importorskip("matplotlib")
    assert (folder / "samples.png").stat().st_size > 1000


def test_npz_files_with_lengths_as_rgan_sample_writes_them(tmp_path):
    real, fake = REAL[:COUNT], REAL[COUNT:]
    real_lengths, fake_lengths = LENGTHS[:COUNT], LENGTHS[COUNT:]
    np.savez(tmp_path / "real.npz", windows=real, lengths=real_lengths)
    nan_padded = _with_padding(fake, fake_lengths, lambda shape: np.full(shape, np.nan))
    np.savez(tmp_path / "fake.npz", samples=nan_padded, lengths=fake_lengths)
    out = tmp_path / "scores"
    report = evaluate.evaluate_files(
        str(tmp_path / "real.npz"),
        str(tmp_path / "fake.npz"),
        str(out),
        repeats=1,
        metrics=("discriminative", "mmd2"),
        discriminative_iterations=30,
    )
    same = discriminative_score(
        real, fake, seed=0, real_lengths=real_lengths, fake_lengths=fake_lengths, **FAST
    )
    assert report["metrics"]["discriminative"]["mean"] == same
    assert "skipped" in report["metrics"]["mmd2"]
    assert json.loads((out / "metrics.json").read_text())["metrics"]["mmd2"] == {
        "skipped": report["metrics"]["mmd2"]["skipped"]
    }
    np.savez(tmp_path / "bad.npz", x=real)
    with pytest.raises(ValueError, match="'samples' or 'windows'"):
        evaluate.evaluate_files(str(tmp_path / "bad.npz"), str(tmp_path / "fake.npz"), None)
