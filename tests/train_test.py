"""End-to-end properties of the trainer: resume, stop on signals, learning, bad input."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import REPO
from testing import assert_trees_equal, snapshot_files

from rgan import checkpoint, train
from rgan import config as config_lib
from rgan.metric_log import read_metrics
from rgan.sample import load_run


def _train(config, workdir):
    return train.train_and_evaluate(config, str(workdir))


def test_sigterm_saves_and_resume_matches(smoke_config, tmp_path):
    # Records every 7 steps: the signal most likely comes between two of them.
    config = smoke_config(train__num_steps=200, train__log_every=7, train__checkpoint_every=10_000)
    workdir = tmp_path / "run"
    metrics_file = workdir / "metrics.jsonl"

    def send_sigterm_once_training():
        deadline = time.time() + 120
        while time.time() < deadline:
            if metrics_file.exists() and metrics_file.stat().st_size > 0:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=send_sigterm_once_training)
    killer.start()
    stopped_state, _ = _train(config, workdir)
    killer.join()
    stopped_at = int(stopped_state.step)
    assert 0 < stopped_at < 200
    ckpt = checkpoint.Checkpointer(str(workdir), read_only=True)
    assert ckpt.latest_step() == stopped_at
    ckpt.close()

    resumed_state, _ = _train(config, workdir)
    full_state, _ = _train(config, tmp_path / "full")
    assert_trees_equal(full_state.params, resumed_state.params)

    # metrics.jsonl record for record as if uninterrupted: the steps between the last
    # record and the stop count in the first record after the resume.
    def records(run):
        return [{k: v for k, v in r.items() if k != "steps_per_sec"} for r in read_metrics(run)]

    assert records(workdir) == records(tmp_path / "full")
    assert not (workdir / train.PENDING_METRICS_FILE).exists()


def test_a_signal_before_the_first_step_saves_nothing(smoke_config, tmp_path, monkeypatch):
    restore = train.Trainer.initial_state

    def restore_then_signal(self, checkpointer):
        state = restore(self, checkpointer)
        os.kill(os.getpid(), signal.SIGTERM)  # while restoring: before any step
        return state

    monkeypatch.setattr(train.Trainer, "initial_state", restore_then_signal)
    state, history = _train(smoke_config(), tmp_path / "run")
    assert int(state.step) == 0 and history == []
    assert checkpoint.Checkpointer(str(tmp_path / "run"), read_only=True).latest_step() is None


def test_the_cli_exits_0_on_a_signal_during_start_up(tmp_path):
    command = [
        sys.executable,
        "-m",
        "rgan.main",
        f"--config={REPO}/configs/sines_rgan.py:smoke",
        f"--workdir={tmp_path / 'run'}",
    ]
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in process.stderr:  # jax is imported; the trainer is being set up
        seen.append(line)
        if "JAX devices" in line:
            process.send_signal(signal.SIGTERM)
            break
    seen.append(process.communicate(timeout=60)[1])
    stderr = "".join(seen)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    # Before the training loop, or inside it (where the trainer handles the signal).
    assert "Received signal 15" in stderr, stderr


def test_other_config_in_workdir_is_refused_and_nothing_is_lost(smoke_config, tmp_path):
    workdir = tmp_path / "run"
    _train(smoke_config(train__num_steps=10), workdir)
    before = snapshot_files(workdir)
    with pytest.raises(ValueError, match=r"different config.*model\.hidden"):
        _train(smoke_config(train__num_steps=10, model__hidden=16), workdir)
    assert snapshot_files(workdir) == before


def test_nan_in_data_is_refused_before_the_workdir_is_touched(smoke_config, tmp_path):
    data = np.random.default_rng(0).uniform(size=(64, 24, 3)).astype(np.float32)
    data[5, 7, 2] = np.nan
    path = tmp_path / "windows.npy"
    np.save(path, data)
    config = smoke_config(data__source="npy", data__path=str(path))
    with pytest.raises(ValueError, match=r"non-finite.*sequence 5, step 7, feature 2"):
        _train(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    data[5, 7, 2] = np.inf
    np.save(path, data)
    with pytest.raises(ValueError, match="non-finite"):
        _train(config, tmp_path / "run")


def test_batch_not_divisible_by_devices(smoke_config, tmp_path):
    with pytest.raises(ValueError, match=r"batch_size=30 is not divisible by the 4 devices"):
        _train(smoke_config(train__batch_size=30, train__num_devices=4), tmp_path / "run")


def test_window_longer_than_series(smoke_config, tmp_path):
    path = tmp_path / "series.csv"
    np.savetxt(path, np.arange(40.0).reshape(20, 2), delimiter=",", header="a,b", comments="")
    config = smoke_config(data__source="series", data__path=str(path), data__seq_len=24)
    with pytest.raises(ValueError, match=r"window \(24 steps\) is not shorter than the series"):
        _train(config, tmp_path / "run")


def test_unknown_config_key(smoke_config):
    with pytest.raises(KeyError, match=r"Unknown config field 'train.num_stepz'"):
        smoke_config(train__num_stepz=3)
    config = smoke_config()
    assert config_lib.get_field(config, "optim.generator.learning_rate") == (
        config.optim.generator.learning_rate
    )
    with pytest.raises(KeyError, match=r"Unknown config field 'optim.generatr'.*'generator'"):
        config_lib.get_field(config, "optim.generatr.learning_rate")


def test_config_json_is_written(smoke_config, tmp_path):
    _train(smoke_config(train__num_steps=2), tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["train"]["num_steps"] == 2 and saved["family"] == "rgan"


def test_a_batch_larger_than_the_data_is_fitted_to_it_and_resumes(smoke_config, tmp_path, caplog):
    np.save(tmp_path / "few.npy", np.random.default_rng(0).uniform(size=(20, 24, 3)))
    caplog.set_level("INFO")

    def config(steps):
        return smoke_config(
            data__source="npy", data__path=str(tmp_path / "few.npy"), train__num_steps=steps
        )

    assert config(3).train.batch_size == 32  # the smoke config asks for more than 20
    state, _ = _train(config(3), tmp_path / "run")
    assert "batch_size=32 is larger than the 20 training windows" in caplog.text
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["train"]["batch_size"] == 20
    state, _ = _train(config(6), tmp_path / "run")  # the same command resumes
    assert int(state.step) == 6
    np.save(tmp_path / "three.npy", np.random.default_rng(1).uniform(size=(3, 24, 3)))
    tiny = smoke_config(
        data__source="npy", data__path=str(tmp_path / "three.npy"), train__num_devices=4
    )
    with pytest.raises(ValueError, match="fewer than the 4 devices"):
        train.Trainer(tiny, str(tmp_path / "tiny"))


def test_a_damaged_latest_checkpoint_falls_back_to_the_previous_and_keeps_it(
    smoke_config, tmp_path, caplog
):
    config = smoke_config(train__num_steps=30, train__checkpoint_every=10, train__plot_every=0)
    full, _ = train.Trainer(config, str(tmp_path / "full")).run()
    split = tmp_path / "split"
    train.Trainer(config, str(split)).run(stop_at=20)
    # A crash while writing step 20: its arrays are gone, its directory is still there.
    state_item = split / "checkpoints" / "20" / "state"
    for path in sorted(state_item.rglob("*"), reverse=True):
        if path.is_file():
            path.write_bytes(b"")
    caplog.set_level("WARNING")
    resumed, history = train.Trainer(config, str(split)).run()
    assert "The checkpoint of step 20 is damaged" in caplog.text
    assert history[0]["step"] <= 20  # it trained steps 11-20 again
    assert_trees_equal(full.params, resumed.params)  # and ended where it would have
    assert (split / "damaged_checkpoints" / "20" / "state").is_dir()  # kept, not deleted
    # Sampling, too, reads the newest checkpoint that restores.
    for path in sorted((split / "checkpoints" / "30" / "state").rglob("*"), reverse=True):
        if path.is_file():
            path.write_bytes(b"")
    assert load_run(str(split)).step == 20
    steps = [r["step"] for r in read_metrics(split)]
    assert steps == sorted(set(steps)) and steps[-1] == 30


def test_extending_a_run_that_a_schedule_spans_is_refused_unless_its_span_is_fixed(
    smoke_config, tmp_path
):
    def config(steps, decay_steps):
        c = smoke_config(train__num_steps=steps, train__plot_every=0)
        for opt in c.optim.values():
            opt.schedule, opt.decay_steps = "cosine", decay_steps
        return c

    train.Trainer(config(10, 0), str(tmp_path / "spans_run")).run()
    with pytest.raises(ValueError, match=r"would change the span of the optim.generator"):
        train.Trainer(config(20, 0), str(tmp_path / "spans_run"))
    # A fixed span: the first 10 steps are those of a 20-step run; extending is fine.
    train.Trainer(config(10, 20), str(tmp_path / "fixed")).run()
    extended, _ = train.Trainer(config(20, 20), str(tmp_path / "fixed")).run()
    full, _ = train.Trainer(config(20, 20), str(tmp_path / "full")).run()
    assert_trees_equal(full.params, extended.params)


def test_a_diverged_run_stops_before_its_next_checkpoint_and_resumes_with_new_optim(
    smoke_config, tmp_path
):
    workdir = tmp_path / "run"
    cadence = dict(train__log_every=10, train__checkpoint_every=2, train__keep_checkpoints=0)
    _train(smoke_config(train__num_steps=10, **cadence), workdir)

    def with_learning_rate(rate, **overrides):
        config = smoke_config(train__num_steps=30, **cadence, **overrides)
        for opt in config.optim.values():
            opt.learning_rate = rate
            opt.clip_norm = 0.0
        return config

    # The optimizer settings differ from the saved run's: refused unless asked for.
    with pytest.raises(ValueError, match=r"optim\..*--config_change_ok"):
        _train(with_learning_rate(1e30), workdir)
    # Adam at 1e30: the losses explode at once. Checked at every step, not only at the log
    # records (every 10 steps): the error names the step and the last good checkpoint,
    # and no checkpoint of a later step is written.
    with pytest.raises(train.TrainingDiverged, match=r"at step 12 .*of step 10, was saved"):
        train.train_and_evaluate(with_learning_rate(1e30), str(workdir), config_change_ok=["optim"])
    ckpt = checkpoint.Checkpointer(str(workdir), read_only=True)
    assert ckpt.latest_step() == 10
    ckpt.close()
    # A change that the state cannot take (another width): refused by what it changed,
    # not taken for damage, and nothing is set aside.
    wider = with_learning_rate(1e-3, model__hidden=12)
    with pytest.raises(ValueError, match=r"--config_change_ok \(.*model\.hidden.*shapes"):
        train.train_and_evaluate(wider, str(workdir), config_change_ok=["optim", "model"])
    assert not (workdir / train.DAMAGED_DIR).exists()
    # The way out the message gives: resume with another learning rate.
    state, _ = train.train_and_evaluate(
        with_learning_rate(1e-3), str(workdir), config_change_ok=["optim"]
    )
    assert int(state.step) == 30
    changes = [json.loads(line) for line in open(workdir / train.CONFIG_CHANGES_FILE)]
    assert [c["resumed_at_step"] for c in changes] == [10, 10]
    assert changes[-1]["changes"]["optim.generator.learning_rate"] == {"saved": 1e30, "now": 1e-3}
    assert all(np.isfinite(r["g_loss"]) for r in read_metrics(workdir))
