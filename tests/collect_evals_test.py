"""scripts/collect_evals.py: one row per setting, seeds aggregated like reproduce.py's."""

import importlib.util
import json

import pytest
from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    "collect_evals", REPO / "scripts" / "collect_evals.py"
)
collect_evals = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(collect_evals)


def _run(folder, ema, disc):
    """A finished, evaluated run: config.json, metrics.jsonl, eval/metrics.json."""
    (folder / "eval").mkdir(parents=True)
    config = {"train": {"ema_decay": ema, "num_steps": 100, "log_every": 50}, "seed": 0}
    (folder / "config.json").write_text(json.dumps(config))
    records = [{"step": 50, "steps_per_sec": 10.0}, {"step": 100, "steps_per_sec": 5.0}]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    report = {
        "step": 100,
        "repeats": 5,
        "weights": "ema" if ema else "raw",
        "metrics": {"discriminative": {"mean": disc, "std": 0.01}},
    }
    (folder / "eval" / "metrics.json").write_text(json.dumps(report))
    return str(folder)


def test_seeds_of_a_setting_become_one_row_with_their_spread(tmp_path):
    plain = [_run(tmp_path / f"plain{s}", 0.0, d) for s, d in enumerate((0.30, 0.34))]
    ema = [_run(tmp_path / f"ema{s}", 0.999, d) for s, d in enumerate((0.10, 0.20, 0.30))]
    runs = [f"plain={','.join(plain)}", f"ema={','.join(ema)}"]
    collect_evals.collect("t", str(tmp_path / "out"), runs)
    table = json.loads((tmp_path / "out" / "t.json").read_text())
    plain_row, ema_row = table["runs"]
    assert plain_row["default"]["metrics"]["discriminative"]["mean"] == pytest.approx(0.32)
    assert ema_row["default"]["metrics"]["discriminative"]["mean"] == pytest.approx(0.20)
    assert ema_row["default"]["metrics"]["discriminative"]["std"] == pytest.approx(0.10)
    assert ema_row["differs"] == {"train.ema_decay": 0.999}
    assert ema_row["train_seconds"] == pytest.approx(15.0)  # 50 / 10 + 50 / 5, per seed
    markdown = (tmp_path / "out" / "t.md").read_text()
    assert "| ema | 3 | train.ema_decay=0.999 | ema | 0.200 ± 0.100 |" in markdown


def test_a_log_that_starts_at_a_copied_checkpoint_counts_only_its_own_steps():
    # Continued from a copy of step 12,000 without the copy's metrics.jsonl: 500 steps at
    # 0.5/s, then 500 at 1/s, not 12,500 steps at 0.5/s (25,000 s).
    records = [{"step": 12500, "steps_per_sec": 0.5}, {"step": 13000, "steps_per_sec": 1.0}]
    assert collect_evals.training_seconds(records, log_every=500) == pytest.approx(1500.0)
    # A log from step 0 keeps every step: its first record is log_every steps in.
    records = [{"step": 50, "steps_per_sec": 10.0}, {"step": 100, "steps_per_sec": 5.0}]
    assert collect_evals.training_seconds(records, log_every=50) == pytest.approx(15.0)


def test_append_keeps_the_rows_of_runs_whose_folders_are_gone(tmp_path):
    out = str(tmp_path / "out")
    first = _run(tmp_path / "first", 0.0, 0.30)
    collect_evals.collect("t", out, [f"plain={first}"])
    for path in (tmp_path / "first").rglob("*"):  # the workdir is deleted after the table
        if path.is_file():
            path.unlink()
    second = _run(tmp_path / "second", 0.999, 0.10)
    collect_evals.collect("t", out, [f"ema={second}"], append=True)
    table = json.loads((tmp_path / "out" / "t.json").read_text())
    assert [r["label"] for r in table["runs"]] == ["plain", "ema"]
    assert table["runs"][0]["default"]["metrics"]["discriminative"]["mean"] == pytest.approx(0.30)
    assert table["runs"][1]["differs"] == {"train.ema_decay": 0.999}
    assert [h["command"].endswith("--append") for h in table["history"]] == [False, True]
    markdown = (tmp_path / "out" / "t.md").read_text()
    assert "| plain | 1 | (reference) |" in markdown and "| ema | 1 |" in markdown
    assert markdown.count("python scripts/collect_evals.py") == 2
    # A label given again replaces its row; --append with no table to add to is refused.
    collect_evals.collect("t", out, [f"ema={_run(tmp_path / 'third', 0.999, 0.05)}"], append=True)
    table = json.loads((tmp_path / "out" / "t.json").read_text())
    assert [r["label"] for r in table["runs"]] == ["plain", "ema"]
    assert table["runs"][1]["default"]["metrics"]["discriminative"]["mean"] == pytest.approx(0.05)
    with pytest.raises(collect_evals.app.UsageError, match="no .*other.json"):
        collect_evals.collect("other", out, [f"ema={second}"], append=True)


def test_the_spread_s_step_change_ratios_become_a_column(tmp_path):
    runs = []
    for name, changes in (("smooth", [0.9, 1.2]), ("rough", [1.1, 23.0])):
        folder = tmp_path / name
        _run(folder, 0.0, 0.4)
        report = json.loads((folder / "eval" / "metrics.json").read_text())
        report["metrics"]["spread"] = {"mean": 1.0, "std": 0.0, "changes": changes}
        (folder / "eval" / "metrics.json").write_text(json.dumps(report))
        runs.append(f"{name}={folder}")
    collect_evals.collect("t", str(tmp_path / "out"), runs)
    markdown = (tmp_path / "out" / "t.md").read_text()
    assert "step changes gen/real" in markdown
    assert "| 0.90-1.20 |" in markdown and "| 1.10-23.00 |" in markdown


def test_an_ensemble_member_s_folder_is_a_run_with_the_member_s_config(tmp_path):
    from rgan.config import load_config, to_dict

    ensemble_dir = tmp_path / "ensemble"
    member = ensemble_dir / "members" / "1"
    _run(member, 0.0, 0.25)
    (member / "config.json").unlink()  # members keep no config of their own
    config = load_config("configs/sines_rgan.py:smoke", seed=3, train__ensemble=2)
    (ensemble_dir / "config.json").write_text(json.dumps(to_dict(config)))
    collect_evals.collect("t", str(tmp_path / "out"), [f"m1={member}"])
    (row,) = json.loads((tmp_path / "out" / "t.json").read_text())["runs"]
    assert row["config"]["seed"] == 4 and row["config"]["train"]["ensemble"] == 1
    assert row["default"]["metrics"]["discriminative"]["mean"] == pytest.approx(0.25)


def test_a_member_s_explicit_data_seed_is_not_a_difference_from_the_single_run_of_its_seed():
    reference = {"seed": 0, "data": {"seed": -1}}  # a single run: data made with its seed
    assert collect_evals.differences({"seed": 0, "data": {"seed": 0}}, reference) == {}
    assert collect_evals.differences({"seed": 0, "data": {"seed": 5}}, reference) == {
        "data.seed": 5
    }
