"""Branching a TimeGAN run where its joint phase starts (rgan/branch.py): the branch is the
run of its config from scratch, and a branch that would not be is refused untouched."""

import json
import os
import pathlib

import pytest
from testing import (
    assert_trees_equal,
    load_test_config,
    max_abs_diff,
    snapshot_files,
    with_plain_sgd,
)

from rgan import branch, ensemble, train
from rgan.sample import load_run

REPO = pathlib.Path(__file__).resolve().parents[1]
CONFIG = "configs/sines_timegan.py"
# Pre-training ends at step 8, which checkpoint_every=4 saves.
STEPS = dict(
    timegan__embedding_steps=4,
    timegan__supervised_steps=4,
    train__num_steps=6,
    train__log_every=2,
    train__checkpoint_every=4,
    train__keep_checkpoints=0,
)
# Joint-phase fields the branch changes: loss weights (L_M switched on), the D-update
# count per iteration, the D skip threshold and a joint optimizer's rate.
JOINT_CHANGES = dict(
    timegan__supervised_weight=10.0,
    timegan__gamma=0.5,
    timegan__moment_matching_weight=5.0,
    timegan__generator_steps=1,
    timegan__d_loss_threshold=0.0,
    optim__generator__learning_rate=3e-4,
)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The workdir of a finished run of the reference weights (shared: tests only read it)."""
    workdir = str(tmp_path_factory.mktemp("branch") / "source")
    config = load_test_config(f"{REPO / CONFIG}:smoke", **STEPS)
    train.train_and_evaluate(config, workdir)
    return workdir


def test_a_branch_is_the_run_of_its_config_from_scratch(smoke_config, tmp_path, source):
    config = smoke_config(CONFIG, **STEPS, **JOINT_CHANGES)
    branched = str(tmp_path / "branched")
    state, history = train.train_and_evaluate(config, branched, branch_from=source)
    scratch_state, scratch_history = train.train_and_evaluate(
        smoke_config(CONFIG, **STEPS, **JOINT_CHANGES), str(tmp_path / "scratch")
    )
    assert_trees_equal(state, scratch_state)
    assert [r["step"] for r in history] == [10, 12, 14]  # only the joint steps trained
    for mine, theirs in zip(history, scratch_history[-3:], strict=True):
        assert {k: v for k, v in mine.items() if k != "steps_per_sec"} == {
            k: v for k, v in theirs.items() if k != "steps_per_sec"
        }
    # The log holds pre-training's records too; the record names the changes.
    with open(os.path.join(branched, "metrics.jsonl")) as f:
        assert [json.loads(line)["step"] for line in f] == list(range(2, 15, 2))
    with open(os.path.join(branched, branch.BRANCH_FILE)) as f:
        record = json.load(f)
    assert record["step"] == 8 and record["source"] == os.path.abspath(source)
    assert {c["field"] for c in record["changed"]} == {
        "timegan.supervised_weight",
        "timegan.gamma",
        "timegan.moment_matching_weight",
        "timegan.generator_steps",
        "timegan.d_loss_threshold",
        "optim.generator.learning_rate",
    }

    # The same command again resumes the finished branch: nothing trains, and its
    # checkpoints, log and record stay as they were (a resume opens a TensorBoard file).
    def kept(folder):
        return {k: v for k, v in snapshot_files(folder).items() if "tensorboard" not in k}

    before = kept(branched)
    _, again = train.train_and_evaluate(
        smoke_config(CONFIG, **STEPS, **JOINT_CHANGES), branched, branch_from=source
    )
    assert again == [] and kept(branched) == before


def test_an_ensemble_branches_as_a_whole(smoke_config, tmp_path):
    # Two seeds trained as one ensemble, then branched from its own step-8 checkpoint
    # (the test above covers changed fields; one training fewer keeps the suite fast):
    # the branch trains the joint steps again to the same state, each member's log whole.
    config = dict(STEPS, train__ensemble=2, **JOINT_CHANGES)
    scratch = str(tmp_path / "scratch")
    scratch_state, _ = train.train_and_evaluate(smoke_config(CONFIG, **config), scratch)
    branched = str(tmp_path / "branched")
    state, history = train.train_and_evaluate(
        smoke_config(CONFIG, **config), branched, branch_from=scratch
    )
    assert [r["step"] for r in history] == [10, 12, 14]
    assert_trees_equal(state, scratch_state)

    def records(workdir, folder):
        with open(os.path.join(workdir, folder, "metrics.jsonl")) as f:
            return [
                {k: v for k, v in json.loads(line).items() if k != "steps_per_sec"} for line in f
            ]

    for folder in ["", "members/0", "members/1"]:
        mine = records(branched, folder)
        assert [r["step"] for r in mine] == list(range(2, 15, 2))
        assert mine == records(scratch, folder)
    # The members' own records differ: two seeds, not one run twice.
    assert records(branched, "members/0") != records(branched, "members/1")


def test_a_single_run_branches_into_an_ensemble_of_joint_phase_points(smoke_config, tmp_path):
    # One pre-training, two settings of the joint phase trained as one ensemble: each
    # member starts as the source at the branch step and trains as its point's single-run
    # branch, to float rounding (vmap sums in another order). Plain SGD: Adam's first
    # steps, about lr * sign(gradient), would turn that rounding into lr-sized moves.
    def config(**fields):
        return with_plain_sgd(smoke_config(CONFIG, **STEPS, **fields))

    source = str(tmp_path / "source")
    train.train_and_evaluate(config(), source)
    sweep = "timegan.supervised_weight=100,10;timegan.gamma=1,0.5"
    fanned = str(tmp_path / "fanned")
    state, history = train.train_and_evaluate(
        config(train__ensemble=2, train__ensemble_sweep=sweep), fanned, branch_from=source
    )
    assert [r["step"] for r in history] == [10, 12, 14]  # only the joint steps trained
    start = load_run(source, step=8).state
    for member in range(2):
        branched = load_run(fanned, step=8, member=member).state
        # The member's params add its swept loss weights (member_weights) to the source's.
        assert_trees_equal({k: branched.params[k] for k in start.params}, start.params)
        assert_trees_equal(branched.opt_state, start.opt_state)
    point_1, _ = train.train_and_evaluate(
        config(timegan__supervised_weight=10.0, timegan__gamma=0.5),
        str(tmp_path / "point_1"),
        branch_from=source,
    )
    members = [
        {k: v for k, v in ensemble.member_state(state, i).params.items() if k in start.params}
        for i in range(2)
    ]
    # Measured 2e-5 apart; the other point's member is 4e-2 away.
    assert max_abs_diff(point_1.params, members[1]) < 1e-3
    # The points trained apart: member 1 is not member 0 with another label.
    assert max_abs_diff(members[0]["generator"], members[1]["generator"]) > 1e-3
    for folder in ["", "members/0", "members/1"]:  # every log whole, pre-training included
        with open(os.path.join(fanned, folder, "metrics.jsonl")) as f:
            assert [json.loads(line)["step"] for line in f] == list(range(2, 15, 2))
    with open(os.path.join(fanned, branch.BRANCH_FILE)) as f:
        assert json.load(f)["members_from_one_run"] is True
    _, again = train.train_and_evaluate(  # the same command again: a finished resume
        config(train__ensemble=2, train__ensemble_sweep=sweep), fanned, branch_from=source
    )
    assert again == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(model__hidden=6), "model.hidden"),  # shapes the state
        (dict(optim__embedding__learning_rate=1e-4), "optim.embedding.learning_rate"),
        (dict(train__ema_decay=0.99), "train.ema_decay"),  # the state holds the average
        (dict(optim__generator__optimizer="sgd"), "optim.generator.optimizer"),
        (dict(timegan__supervised_steps=2), "timegan.supervised_steps"),
        # A joint-phase weight, but turning it on adds a network (D_X) to the state.
        (dict(timegan__data_discriminator_weight=1.0), "timegan.data_discriminator_weight"),
        # A single run branches into sweep points of its one seed, not into other seeds...
        (dict(train__ensemble=2), "train.ensemble must equal the points"),
        # ...whose members differ in the joint phase only, with D_X in all or none.
        (
            dict(train__ensemble=2, train__ensemble_sweep="optim.embedding.learning_rate=1,2"),
            "optim.embedding.learning_rate",
        ),
        (
            dict(train__ensemble=2, train__ensemble_sweep="timegan.data_discriminator_weight=0,1"),
            "timegan.data_discriminator_weight",
        ),
    ],
)
def test_a_branch_that_is_not_its_configs_run_is_refused_untouched(
    smoke_config, tmp_path, source, overrides, message
):
    before = snapshot_files(source)
    branched = tmp_path / "branched"
    with pytest.raises(ValueError, match=message):
        train.train_and_evaluate(
            smoke_config(CONFIG, **{**STEPS, **overrides}), str(branched), branch_from=source
        )
    assert not branched.exists() and snapshot_files(source) == before


def test_every_process_checks_and_only_process_0_writes(
    smoke_config, tmp_path, source, monkeypatch
):
    # A multi-process run's other processes check the branch as process 0 does, so a
    # refused one stops them all with its error instead of leaving them at a barrier.
    monkeypatch.setattr(train.jax, "process_index", lambda: 1)
    branched = tmp_path / "branched"
    with pytest.raises(ValueError, match="model.hidden"):
        train.Trainer(
            smoke_config(CONFIG, **STEPS, model__hidden=6), str(branched), branch_from=source
        )
    config = smoke_config(CONFIG, **STEPS, **JOINT_CHANGES)
    assert branch.make_branch(source, str(branched), config, write=False)
    assert not branched.exists()
    assert not (tmp_path / "branched.branching").exists()


def test_other_families_and_used_workdirs_are_refused(smoke_config, tmp_path, source):
    with pytest.raises(ValueError, match="only TimeGAN runs can be branched"):
        train.train_and_evaluate(
            smoke_config("configs/sines_rgan.py"), str(tmp_path / "rgan"), branch_from=source
        )
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="already holds files and is not a branch"):
        train.train_and_evaluate(smoke_config(CONFIG, **STEPS), str(used), branch_from=source)
    assert os.listdir(used) == ["notes.txt"]
