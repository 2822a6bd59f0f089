"""Branching a TimeGAN run where its joint phase starts (rgan/branch.py): the branch is the
run of its config from scratch, and a branch that would not be is refused untouched."""

import json
import os
import pathlib

import pytest
from testing import assert_trees_equal, load_test_config, snapshot_files

from rgan import branch, train

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
        (dict(train__ensemble=2), "train.ensemble"),  # a single run's members are not there
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
