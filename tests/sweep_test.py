"""scripts/sweep.py: the points of a config's sweep(add), run into one workdir each."""

import json
import subprocess
import sys

from conftest import REPO


def _tiny_sweep(
    tmp_path, sweep="    for seed in (1, 2):\n        add(seed=seed, train__log_every=1)\n"
):
    """A config of 2-step smoke runs whose sweep has two points (seeds 1 and 2)."""
    config = tmp_path / "configs" / "tiny_sweep.py"
    config.parent.mkdir()
    default = str(REPO / "configs" / "default.py")
    config.write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('d', {default!r})\n"
        "default = importlib.util.module_from_spec(spec); spec.loader.exec_module(default)\n"
        "def get_config(arg=None):\n"
        "    config = default.get_config('smoke')\n"
        "    config.train.num_steps = 2\n"
        "    config.train.plot_every = 0\n"
        "    return config\n"
        "def sweep(add):\n" + sweep
    )
    return config


def test_sweep_prints_commands_and_runs_points(tmp_path):
    config = _tiny_sweep(tmp_path)
    base = [sys.executable, "scripts/sweep.py", f"--config={config}", f"--workdir={tmp_path / 's'}"]
    printed = subprocess.run([*base, "--print_commands"], capture_output=True, text=True, cwd=REPO)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.strip().splitlines()
    assert len(lines) == 2 and "--config.seed=1" in lines[0] and "01_seed=2" in lines[1]

    done = subprocess.run(base, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert [p["overrides"]["seed"] for p in summary] == [1, 2]
    assert all(p["last"]["step"] == 2 for p in summary)
    configs = [
        json.loads((tmp_path / "s" / d / "config.json").read_text())
        for d in ("00_seed=1_log_every=1", "01_seed=2_log_every=1")
    ]
    assert [c["seed"] for c in configs] == [1, 2]


def test_sweep_trains_each_point_as_an_ensemble_of_seeds(tmp_path):
    config = _tiny_sweep(tmp_path)
    base = [sys.executable, "scripts/sweep.py", f"--config={config}", f"--workdir={tmp_path / 's'}"]
    done = subprocess.run([*base, "--seeds=2"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert [p["overrides"]["train.ensemble"] for p in summary] == [2, 2]
    for point in summary:
        assert [m["step"] for m in point["members"]] == [2, 2]
        losses = [m["d_loss"] for m in point["members"]]
        assert losses[0] != losses[1]  # seeds 1 and 2 of the point (or 2 and 3)
        assert abs(point["last"]["d_loss"] - sum(losses) / 2) < 1e-6


def test_points_that_differ_in_learning_rates_train_as_one_ensemble(tmp_path):
    # Three points: two learning rates of seed 0 (one run of two members) and seed 3.
    points = (
        "    for lr in (1e-3, 3e-4):\n"
        "        add({'optim.generator.learning_rate': lr})\n"
        "    add(seed=3)\n"
    )
    config = _tiny_sweep(tmp_path, points)
    base = [sys.executable, "scripts/sweep.py", f"--config={config}", f"--workdir={tmp_path / 's'}"]
    base.append("--ensemble_sweep")
    printed = subprocess.run([*base, "--print_commands"], capture_output=True, text=True, cwd=REPO)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "--config.train.ensemble=2" in lines[0]
    assert "--config.train.ensemble_sweep=optim.generator.learning_rate=0.001,0.0003" in lines[0]

    done = subprocess.run(base, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert [p["point"] for p in summary] == [0, 1, 2]
    assert summary[0]["workdir"] == summary[1]["workdir"] != summary[2]["workdir"]
    assert [p.get("member_indices") for p in summary] == [[0], [1], None]
    assert [p["last"]["step"] for p in summary] == [2, 2, 2]

    from rgan.sample import load_run

    lrs = [
        load_run(summary[0]["workdir"], member=i).config.optim.generator.learning_rate
        for i in (0, 1)
    ]
    assert lrs == [1e-3, 3e-4]
