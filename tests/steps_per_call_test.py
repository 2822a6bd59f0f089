"""`train.steps_per_call`: several steps per dispatch give the run that single steps give."""

import json
import os

import pytest
from testing import assert_trees_equal

from rgan import checkpoint, train
from rgan.metric_log import read_metrics


def _records(workdir) -> list[dict]:
    """metrics.jsonl without the timing fields (which differ from run to run)."""
    return [
        {k: v for k, v in r.items() if k not in ("steps_per_sec", "time")}
        for r in read_metrics(workdir)
    ]


def _train_both(config_for, tmp_path, steps_per_call: int):
    single = train.train_and_evaluate(config_for(1), str(tmp_path / "single"))
    windowed = train.train_and_evaluate(config_for(steps_per_call), str(tmp_path / "windowed"))
    return single, windowed


@pytest.mark.parametrize(
    "path, overrides",
    [
        # Windows of 7 meet records every 10 steps, checkpoints every 15 and plots every
        # 20: lengths 7, 3, 5, 2, ... cover the cadence logic.
        ("configs/sines_rgan.py", {}),
        # Two real batches per step (d_steps=2), class conditions and no scan unroll. No
        # plots: their cadence is the first case's, and four plots cost seconds.
        ("configs/sines3_rcgan.py", {"train__d_steps": 2, "train__plot_every": 0}),
    ],
)
def test_windows_of_steps_equal_single_steps_bit_for_bit(smoke_config, tmp_path, path, overrides):
    def config_for(steps_per_call):
        return smoke_config(
            path,
            train__num_steps=40,
            train__log_every=10,
            train__checkpoint_every=15,
            train__steps_per_call=steps_per_call,
            **{"train__plot_every": 20, **overrides},
        )

    (single, single_history), (windowed, windowed_history) = _train_both(config_for, tmp_path, 7)

    assert int(windowed.step) == 40
    assert_trees_equal(single.params, windowed.params)
    assert_trees_equal(single.opt_state, windowed.opt_state)
    assert _records(tmp_path / "windowed") == _records(tmp_path / "single")
    assert [r["step"] for r in windowed_history] == [10, 20, 30, 40]
    # Checkpoints at the same steps: the cadence is kept.
    for name in ("single", "windowed"):
        assert checkpoint.Checkpointer(str(tmp_path / name)).all_steps() == [15, 30, 40]
    if config_for(1).train.plot_every:  # sample plots at the same steps
        plots = [sorted(os.listdir(tmp_path / name / "samples")) for name in ("single", "windowed")]
        assert plots[0] == plots[1] == ["step_00000020.png", "step_00000040.png"]


def test_windows_cross_no_phase_boundary_and_resume(smoke_config, tmp_path):
    # TimeGAN's three phases of 12 steps each: windows of 5 end at each phase's end.
    def config_for(steps_per_call, num_steps=12):
        return smoke_config(
            "configs/sines_timegan.py",
            timegan__embedding_steps=12,
            timegan__supervised_steps=12,
            train__num_steps=num_steps,
            train__log_every=100,
            train__checkpoint_every=100,
            train__steps_per_call=steps_per_call,
        )

    single, _ = train.train_and_evaluate(config_for(1), str(tmp_path / "single"))
    # Single steps up to inside the supervised phase, then windows: steps_per_call may
    # change on resume.
    train.Trainer(config_for(1), str(tmp_path / "windowed")).run(stop_at=17)
    windowed, _ = train.train_and_evaluate(config_for(5), str(tmp_path / "windowed"))
    saved = json.loads((tmp_path / "windowed" / "config.json").read_text())
    assert saved["train"]["steps_per_call"] == 5

    assert int(windowed.step) == 36
    assert_trees_equal(single.params, windowed.params)
    assert_trees_equal(single.opt_state, windowed.opt_state)
    assert _records(tmp_path / "windowed") == _records(tmp_path / "single")


def test_window_lengths_stop_at_every_cadence(smoke_config):
    config = smoke_config(
        train__num_steps=100,
        train__log_every=25,
        train__checkpoint_every=40,
        train__plot_every=0,
        train__steps_per_call=16,
    )
    trainer = train.Trainer(config, "/nonexistent-window-length-test")
    step, lengths = 0, []
    while step < 100:
        lengths.append(trainer.window_length(step, end=100))
        step += lengths[-1]
    # Windows end at 16, 25 (log), 40 (checkpoint), 50 (log), 66, 75, 80, 96, 100.
    assert lengths == [16, 9, 15, 10, 16, 9, 5, 16, 4]


def test_steps_per_call_must_be_positive(smoke_config, tmp_path):
    with pytest.raises(ValueError, match="steps_per_call must be a positive integer"):
        train.Trainer(smoke_config(train__steps_per_call=0), str(tmp_path / "run"))
