"""The command line: train, override, resume, and refuse typos."""

import json
import subprocess
import sys

from conftest import REPO


def _main(*args):
    return subprocess.run(
        [sys.executable, "-m", "rgan.main", *args], capture_output=True, text=True, cwd=REPO
    )


def test_cli_trains_resumes_and_rejects_unknown_fields(tmp_path):
    workdir = tmp_path / "run"
    # No sample plot: matplotlib would be a third of each run's time, and no check here.
    base = ["--config=configs/sines_rgan.py:smoke", f"--workdir={workdir}"]
    quiet = ["--config.train.log_every=2", "--config.train.plot_every=0"]
    first = _main(*base, "--config.train.num_steps=4", *quiet)
    assert first.returncode == 0, first.stderr
    config = json.loads((workdir / "config.json").read_text())
    assert config["train"]["num_steps"] == 4 and config["model"]["hidden"] == 8

    again = _main(*base, "--config.train.num_steps=6", *quiet)
    assert again.returncode == 0, again.stderr
    assert "Resuming from step 4" in again.stderr
    steps = [json.loads(line)["step"] for line in (workdir / "metrics.jsonl").open()]
    assert steps == [2, 4, 6]

    typo = _main(*base, "--config.train.num_stepz=3")
    assert typo.returncode == 1
    assert typo.stderr.startswith("Error: --config: there is no config field 'num_stepz'.")
    assert 'Did you mean "num_steps"' in typo.stderr and "Traceback" not in typo.stderr

    # A value of the wrong type, and an unknown flag: absl's one line, not a traceback.
    wrong_type = _main(*base, "--config.train.num_steps=abc")
    assert wrong_type.returncode == 1 and "Traceback" not in wrong_type.stderr
    assert "--config.train.num_steps=abc: invalid literal for int()" in wrong_type.stderr
    unknown = _main(*base, "--num_stepz=3")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "Unknown command line flag 'num_stepz'" in unknown.stderr
    steps = [json.loads(line)["step"] for line in (workdir / "metrics.jsonl").open()]
    assert steps == [2, 4, 6]  # neither wrote anything

    # --branch_from reaches the trainer (rgan/branch.py; tests/branch_test.py): an RGAN
    # run cannot be branched, in one line, and the new workdir is not made.
    branched = tmp_path / "branched"
    refused = _main(*base[:1], f"--workdir={branched}", f"--branch_from={workdir}", *quiet)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "only TimeGAN runs can be branched" in refused.stderr and not branched.exists()


def test_a_user_error_is_one_line_and_verbose_shows_the_traceback(tmp_path):
    args = [
        "--config=configs/sines_rgan.py:smoke",
        f"--workdir={tmp_path / 'run'}",
        "--config.data.source=npy",
        f"--config.data.path={tmp_path / 'missing.npy'}",
    ]
    quiet = _main(*args)
    assert quiet.returncode == 1
    assert "Error: " in quiet.stderr and "missing.npy" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    assert not (tmp_path / "run").exists()  # refused before anything was written
    loud = _main(*args, "--verbose")
    assert loud.returncode != 0 and "Traceback" in loud.stderr


def test_sample_cli_errors_are_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rgan.sample", f"--workdir={tmp_path}", "--out=x.npy"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1 and "has no checkpoints" in done.stderr
    assert "Traceback" not in done.stderr
