"""One training process per workdir: a busy workdir is refused untouched, a stale lock
of a dead process is taken over, and the lock goes when training stops."""

import json
import os
import socket
import subprocess
import sys

import pytest
from testing import snapshot_files

from rgan import train
from rgan.workdir_lock import LOCK_FILE, WorkdirBusy


def _write_lock(workdir, pid, host=None):
    os.makedirs(workdir, exist_ok=True)
    holder = {"host": host or socket.gethostname(), "pid": pid, "since": "2026-01-01T00:00:00"}
    with open(os.path.join(workdir, LOCK_FILE), "w") as f:
        json.dump(holder, f)


def test_a_busy_workdir_is_refused_and_left_untouched(smoke_config, tmp_path):
    config = smoke_config(train__num_steps=4, train__plot_every=0)
    workdir = str(tmp_path / "run")
    train.train_and_evaluate(config, workdir)  # a finished run, then a live holder
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(workdir, holder.pid)
        before = snapshot_files(workdir)
        with pytest.raises(WorkdirBusy, match=rf"in use by process {holder.pid} on "):
            train.Trainer(smoke_config(train__num_steps=8, train__plot_every=0), workdir).run()
        # Also when the Trainer was made before the holder took the workdir.
        trainer = train.Trainer(config, str(tmp_path / "late"))
        _write_lock(str(tmp_path / "late"), holder.pid)
        with pytest.raises(WorkdirBusy, match="Nothing in the workdir was changed"):
            trainer.run()
        assert os.listdir(tmp_path / "late") == [LOCK_FILE]
    finally:
        holder.kill()
        holder.wait()
    assert snapshot_files(workdir) == before


def test_a_stale_lock_is_taken_over_and_released_at_the_end(smoke_config, tmp_path, caplog):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid no longer runs
    workdir = str(tmp_path / "run")
    _write_lock(workdir, dead.pid)
    caplog.set_level("WARNING")
    state, _ = train.train_and_evaluate(smoke_config(train__num_steps=4), workdir)
    assert int(state.step) == 4
    assert f"process {dead.pid} on {socket.gethostname()}" in caplog.text
    assert not os.path.exists(os.path.join(workdir, LOCK_FILE))  # released


def test_a_lock_from_another_host_is_not_guessed_at(smoke_config, tmp_path):
    workdir = str(tmp_path / "run")
    _write_lock(workdir, 1, host="some-other-node")
    with pytest.raises(WorkdirBusy, match=f"delete {workdir}/{LOCK_FILE}"):
        train.train_and_evaluate(smoke_config(train__num_steps=4), workdir)
