"""scripts/score_curve.py: a run's kept checkpoints scored, one point per step."""

import json
import sys

from conftest import REPO
from testing import run_script

from rgan import evaluate, train

sys.path.insert(0, str(REPO / "scripts"))
import score_curve  # noqa: E402


def _curve(*args):
    return run_script("score_curve.py", *args)


def test_scores_every_kept_checkpoint_and_leaves_the_latest_report(smoke_config, tmp_path):
    workdir = tmp_path / "run"
    config = smoke_config(
        train__num_steps=4,
        train__checkpoint_every=2,
        train__keep_checkpoints=0,
        train__ema_decay=0.9,  # a moving average beside the raw weights
        data__num_samples=64,
    )
    train.train_and_evaluate(config, str(workdir))
    args = [
        "--name=curve",
        f"--run={workdir}",
        "--every=2",
        "--repeats=2",
        "--discriminative_iterations=10",
        f"--out={tmp_path / 'results'}",
        "--target=discriminative=0.05",
    ]
    done = _curve(*args)
    assert done.returncode == 0, done.stderr
    curve = json.loads((tmp_path / "results" / "curve.json").read_text())
    assert [p["step"] for p in curve["points"]] == [2, 4]
    for point in curve["points"]:
        report = json.loads(
            (workdir / "eval" / f"step_{point['step']:08d}" / "metrics.json").read_text()
        )
        assert report["step"] == point["step"]
        assert report["iterations"]["discriminative"] == 10
        seed_mean = report["metrics"]["discriminative"]["mean"]
        assert point["metrics"]["discriminative"]["seeds"] == [seed_mean]
    table = (tmp_path / "results" / "curve.md").read_text()
    assert "| 2 |" in table
    # One seed has no spread over seeds: its rows give the mean alone, not "± 0.000".
    assert "±" not in next(line for line in table.splitlines() if line.startswith("| 2 |"))
    assert "One seed: the mean over its repeats" in table
    assert curve["weights"] == "ema"

    # The raw weights' curve from step 4 on: its own reports, beside the moving average's.
    raw = _curve(
        *[a.replace("--name=curve", "--name=curve_raw") for a in args], "--noema", "--first_step=3"
    )
    assert raw.returncode == 0, raw.stderr
    raw_curve = json.loads((tmp_path / "results" / "curve_raw.json").read_text())
    assert raw_curve["weights"] == "raw" and [p["step"] for p in raw_curve["points"]] == [4]
    report = json.loads((workdir / "eval" / "step_00000004_raw" / "metrics.json").read_text())
    assert report["weights"] == "raw"
    assert not (workdir / "eval" / "step_00000002_raw").exists()

    # Again: every report is read back, none recomputed.
    stamps = {p: p.stat().st_mtime_ns for p in (workdir / "eval").glob("step_*[0-9]/metrics.json")}
    again = _curve(*args)
    assert again.returncode == 0, again.stderr
    assert "== scoring" not in again.stdout
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

    # An earlier checkpoint scored after the latest does not replace the latest's report.
    report = evaluate.evaluate_run(
        str(workdir),
        step=2,
        repeats=1,
        plots=False,
        metrics=("discriminative",),
        discriminative_iterations=5,
    )
    assert report["step"] == 2 and report["iterations"]["discriminative"] == 5
    assert json.loads((workdir / "eval" / "metrics.json").read_text())["step"] == 4


def test_reports_are_reused_only_when_scored_the_same_way():
    report = {
        "iterations": evaluate.trained_iterations({"discriminative_iterations": 10}),
        "metrics": {"discriminative": {"repeats": [0.1, 0.2]}},
    }
    options = {"discriminative_iterations": 10}
    assert score_curve.has_scores(report, ["discriminative"], 2, options)
    assert not score_curve.has_scores(report, ["discriminative"], 3, options)  # more repeats
    assert not score_curve.has_scores(report, ["predictive"], 1, options)
    assert not score_curve.has_scores(report, ["discriminative"], 2, {})  # the protocol's 2000
    # Reports from before the record of iterations were scored with the protocol's.
    old = {k: v for k, v in report.items() if k != "iterations"}
    assert score_curve.has_scores(old, ["discriminative"], 2, {})


def test_refuses_a_folder_without_checkpoints(tmp_path):
    done = _curve("--name=x", f"--run={tmp_path}", f"--out={tmp_path / 'results'}")
    assert done.returncode != 0 and "no checkpoints/" in done.stderr
