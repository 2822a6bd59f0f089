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
    base = ["--config=configs/sines_rgan.py:smoke", f"--workdir={workdir}"]
    first = _main(*base, "--config.train.num_steps=4", "--config.train.log_every=2")
    assert first.returncode == 0, first.stderr
    config = json.loads((workdir / "config.json").read_text())
    assert config["train"]["num_steps"] == 4 and config["model"]["hidden"] == 8

    again = _main(*base, "--config.train.num_steps=6", "--config.train.log_every=2")
    assert again.returncode == 0, again.stderr
    assert "Resuming from step 4" in again.stderr
    steps = [json.loads(line)["step"] for line in (workdir / "metrics.jsonl").open()]
    assert steps == [2, 4, 6]

    typo = _main(*base, "--config.train.num_stepz=3")
    assert typo.returncode != 0
    assert "num_stepz" in typo.stderr
