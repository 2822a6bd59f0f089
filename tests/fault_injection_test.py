"""kill -9 at random moments of a training process (start-up, compiling, stepping, while
a checkpoint is written), then resume: the run ends bit-identical to an uninterrupted one.

Each kill lands wherever the process happens to be; the moments are drawn from a seeded
generator over the span of a run, so they fall in start-up, compilation, training and
saving (a checkpoint every 5 steps).
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
from conftest import REPO
from testing import assert_trees_equal

from rgan.metric_log import read_metrics
from rgan.sample import load_run

STEPS = 120
# Seeded so that the kills fall at 0.76, 0.24 and 0.41 of the uninterrupted run's
# duration: in a measured run (start-up to about 0.33 of it, compilation to 0.6, then
# 5-step stretches that end in a checkpoint write) that is stepping or saving, start-up,
# and compilation. Each kill more costs a start-up and compilation again.
MOMENTS_SEED = 144
KILLS = 3


def _command(workdir):
    return [
        sys.executable,
        "-m",
        "rgan.main",
        f"--config={REPO}/configs/sines_rgan.py:smoke",
        f"--workdir={workdir}",
        f"--config.train.num_steps={STEPS}",
        "--config.train.checkpoint_every=5",
        "--config.train.log_every=5",
        "--config.train.keep_checkpoints=2",
        "--config.train.plot_every=0",
    ]


def _finished(workdir) -> bool:
    records = read_metrics(str(workdir))
    return bool(records) and records[-1]["step"] == STEPS


def test_kill_9_at_random_moments_then_resume_is_bit_identical(tmp_path):
    full = tmp_path / "full"
    start = time.perf_counter()
    subprocess.run(_command(full), cwd=REPO, check=True, capture_output=True)
    duration = time.perf_counter() - start  # start-up, compilation and training
    moments = np.random.default_rng(MOMENTS_SEED).uniform(
        0.2 * duration, 0.9 * duration, size=KILLS
    )

    split = tmp_path / "split"
    for moment in moments:
        if _finished(split):
            break
        process = subprocess.Popen(
            _command(split), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(moment)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    # What the kills left behind (a stale lock, a half-written checkpoint) must not stop
    # the resume.
    done = subprocess.run(_command(split), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = load_run(str(full)), load_run(str(split))
    assert int(a.state.step) == int(b.state.step) == STEPS
    assert_trees_equal(a.state.params, b.state.params)
    assert_trees_equal(a.state.opt_state, b.state.opt_state)
    steps = [r["step"] for r in read_metrics(str(split))]
    assert steps == list(range(5, STEPS + 1, 5))  # each record once, none lost
