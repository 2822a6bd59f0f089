"""Two processes with one CPU device each train exactly like one process.

The processes talk over loopback (jax.distributed + gloo CPU collectives); each feeds
its half of every global batch.
"""

import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import REPO
from testing import load_test_config, max_abs_diff

from rgan import train
from rgan.sample import load_run

OVERRIDES = {
    "train.num_steps": 6,
    "train.checkpoint_every": 3,
    "train.plot_every": 0,
    "optim.generator.optimizer": "sgd",  # lr * gradient: compare without Adam's
    "optim.discriminator.optimizer": "sgd",  # amplification of float rounding
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_two_processes(workdir, *flags):
    """Two `rgan.main --distributed` processes (one CPU device each, see conftest.py) on
    loopback, training the smoke config in `workdir` with the extra `flags`."""
    port = _free_port()
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rgan.main",
                "--config=configs/sines_rgan.py:smoke",
                f"--workdir={workdir}",
                "--distributed",
                f"--coordinator_address=127.0.0.1:{port}",
                "--num_processes=2",
                f"--process_id={i}",
                *flags,
            ],
            cwd=REPO,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]


def test_two_processes_equal_one(tmp_path):
    workers = _start_two_processes(
        tmp_path / "multi", *[f"--config.{k}={v}" for k, v in OVERRIDES.items()]
    )
    try:
        outputs = [w.communicate(timeout=600)[0] for w in workers]
    finally:
        for w in workers:
            w.kill()
    for w, out in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out[-3000:]

    config = load_test_config(
        f"{REPO}/configs/sines_rgan.py:smoke",
        **{k.replace(".", "__"): v for k, v in OVERRIDES.items()},
    )
    single, _ = train.train_and_evaluate(config, str(tmp_path / "single"))
    multi = load_run(str(tmp_path / "multi"))
    assert multi.step == 6
    assert max_abs_diff(multi.state.params, single.params) < 1e-5
    lines = (tmp_path / "multi" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 6 // 10 + 1  # one writer: log_every=10 -> only the final step


def test_when_a_process_dies_the_other_exits_nonzero_within_seconds(tmp_path):
    workdir = tmp_path / "run"
    workers = _start_two_processes(
        workdir,
        "--heartbeat_timeout_seconds=4",
        "--config.train.num_steps=1000000",
        "--config.train.log_every=20",
        "--config.train.plot_every=0",
    )
    try:
        deadline = time.time() + 300
        metrics = workdir / "metrics.jsonl"
        while not (metrics.exists() and metrics.stat().st_size) and time.time() < deadline:
            time.sleep(0.1)
        assert metrics.exists(), "the run did not start training"
        workers[1].kill()  # SIGKILL: no goodbye to the coordinator
        killed = time.time()
        output = workers[0].communicate(timeout=60)[0]
        waited = time.time() - killed
    finally:
        for w in workers:
            w.kill()
    assert workers[0].returncode != 0
    assert waited < 15, waited  # not until a collective's own timeout (minutes)
    assert "Task 1 heartbeat timeout" in output or "unhealthy" in output, output[-3000:]


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="loopback gloo test")
