"""rgan.evaluate: a run's workdir or any two arrays -> metrics.json (+ plots)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

from rgan import evaluate, train
from rgan.data import sine_windows
from rgan.metrics import predictive_score
from rgan.sample import load_run

FAST = dict(discriminative_iterations=20, predictive_iterations=20, context_fid_iterations=2)


def test_summary_statistics():
    s = evaluate.summarize([1.0, 2.0, 3.0])
    assert s["mean"] == 2.0 and s["std"] == 1.0
    half = 4.303 / np.sqrt(3)  # t(0.975, 2)
    np.testing.assert_allclose(s["ci95"], [2.0 - half, 2.0 + half], atol=1e-3)
    assert evaluate.summarize([0.5])["ci95"] == [0.5, 0.5]


@pytest.mark.parametrize(
    "dof, quantile",
    # Student t 97.5% quantiles from a printed table, including between the rows that a
    # hand-typed table would hold (11, 40) and far out (the normal's 1.960).
    [(1, 12.706), (4, 2.776), (11, 2.201), (40, 2.021), (100_000, 1.960)],
)
def test_t_quantiles(dof, quantile):
    np.testing.assert_allclose(evaluate.t_quantile_95(dof), quantile, atol=5e-4)


def test_evaluate_run_writes_metrics_json_and_plots(smoke_config, tmp_path):
    workdir = tmp_path / "run"
    train.train_and_evaluate(smoke_config(train__num_steps=2, data__num_samples=64), str(workdir))
    report = evaluate.evaluate_run(str(workdir), repeats=2, **FAST)
    saved = json.loads((workdir / "eval" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(report))
    assert saved["step"] == 2 and saved["num_windows"] == 64
    # An unconditional run has no class labels to score.
    assert "skipped" in saved["metrics"]["label_accuracy"]
    for name in set(evaluate.METRICS) - {"label_accuracy"}:
        entry = saved["metrics"][name]
        expected = 2 if name in evaluate.REPEATED else 1
        assert len(entry["repeats"]) == expected
        assert entry["ci95"][0] <= entry["mean"] <= entry["ci95"][1]
    assert (workdir / "eval" / "step_00000002" / "metrics.json").exists()
    # Sines are scored as TimeGAN scores them: in their original units, not min-max scaled.
    assert saved["units"] == "original"
    run = load_run(str(workdir))
    real = run.scaler.inverse(run.training_windows()).astype(np.float32)
    fake = run.scaler.inverse(run.sample_scaled(64, seed=0)).astype(np.float32)
    iterations = FAST["predictive_iterations"]
    original = predictive_score(real, fake, seed=0, iterations=iterations)
    np.testing.assert_allclose(saved["metrics"]["predictive"]["repeats"][0], original, rtol=1e-5)
    scaled = predictive_score(
        run.training_windows(), run.sample_scaled(64, seed=0), seed=0, iterations=iterations
    )
    assert abs(scaled - original) > 0.1 * original  # the units make a difference
    pytest.importorskip("matplotlib")
    for name in ("pca.png", "tsne.png", "samples.png"):
        assert (workdir / "eval" / "step_00000002" / name).stat().st_size > 1000


def test_arrays_cli_and_a_failed_evaluation_keeps_earlier_results(tmp_path):
    real = sine_windows(64, 24, 3, seed=0)
    np.save(tmp_path / "real.npy", real)
    np.save(tmp_path / "fake.npy", sine_windows(64, 24, 3, seed=1))
    out = tmp_path / "scores"
    cmd = [
        sys.executable,
        "-m",
        "rgan.evaluate",
        f"--real={tmp_path / 'real.npy'}",
        f"--out={out}",
        "--repeats=2",
        "--metrics=discriminative,mmd2",
        "--discriminative_iterations=20",
        "--noplots",
    ]
    done = subprocess.run(
        [*cmd, f"--fake={tmp_path / 'fake.npy'}"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "discriminative" in done.stdout and "mmd2" in done.stdout
    before = (out / "metrics.json").read_text()

    bad = sine_windows(64, 24, 3, seed=2)
    bad[3, 4, 1] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    failed = subprocess.run(
        [*cmd, f"--fake={tmp_path / 'bad.npy'}"], capture_output=True, text=True, cwd=REPO
    )
    assert failed.returncode != 0 and "NaN" in failed.stderr
    assert (out / "metrics.json").read_text() == before


def test_scoring_more_metrics_adds_them_to_the_step_s_report(smoke_config, tmp_path):
    workdir = tmp_path / "run"
    train.train_and_evaluate(smoke_config(train__num_steps=2, data__num_samples=64), str(workdir))
    first = evaluate.evaluate_run(str(workdir), repeats=2, metrics=("mmd2",), plots=False)
    added = evaluate.evaluate_run(str(workdir), repeats=2, metrics=("spread",), plots=False)
    assert list(added["metrics"]) == ["mmd2", "spread"]
    assert added["metrics"]["mmd2"] == first["metrics"]["mmd2"]
    assert 0.0 <= added["metrics"]["spread"]["mean"] <= 1.0
    saved = json.loads((workdir / "eval" / "step_00000002" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(added))
    # Other repeats score the samples another way: the report starts again.
    other = evaluate.evaluate_run(str(workdir), repeats=1, metrics=("spread",), plots=False)
    assert list(other["metrics"]) == ["spread"]
