"""`train.ensemble=K`: K members in one vmapped step, each the single run of its seed."""

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
from testing import assert_trees_equal, max_abs_diff, with_plain_sgd

from rgan import ensemble, train
from rgan.evaluate import evaluate_run
from rgan.metric_log import read_metrics
from rgan.sample import load_run

TIMING = ("steps_per_sec", "time")


def _records(folder) -> list[dict]:
    """metrics.jsonl without its timing fields."""
    return [{k: v for k, v in r.items() if k not in TIMING} for r in read_metrics(str(folder))]


def _assert_records_close(a: list[dict], b: list[dict]) -> None:
    assert [sorted(r) for r in a] == [sorted(r) for r in b]
    for x, y in zip(a, b, strict=True):
        for name, value in x.items():
            if isinstance(value, str):
                assert value == y[name]
            else:  # float32 sums in another order under vmap
                np.testing.assert_allclose(value, y[name], rtol=1e-3, atol=1e-5, err_msg=name)


@pytest.mark.parametrize(
    "path, overrides, tolerance",
    [
        # 16 steps: parameters within 1e-5 measured. (TimeGAN's members, of seeds and of
        # sweep points at once: test_timegan_members_..._equal_their_single_runs.)
        ("configs/sines_rgan.py", {"train__num_steps": 16}, 1e-4),
    ],
)
def test_each_member_equals_the_single_run_of_its_seed(
    smoke_config, tmp_path, path, overrides, tolerance
):
    # Plain SGD: vmap sums in another order, and Adam's first updates, about lr times the
    # gradient's sign, would turn float noise in a near-zero gradient into a full step.
    def config(**fields):
        common = dict(train__log_every=4, train__plot_every=16)
        return with_plain_sgd(smoke_config(path, **common, **overrides, **fields))

    members = 3
    ensemble_config = config(seed=5, train__ensemble=members)
    state, history = train.train_and_evaluate(ensemble_config, str(tmp_path / "ensemble"))

    assert all(len(record["members"]) == members for record in history)
    stacked = jax.tree.leaves(state.params)[0]
    assert stacked.shape[0] == members
    for member in (0, 2):
        # The single run of seed 5 + member, on the ensemble's data (those of seed 5).
        single_config = config(seed=5 + member, data__seed=5)
        workdir = tmp_path / f"single{member}"
        single, _ = train.train_and_evaluate(single_config, str(workdir))
        mine = ensemble.member_state(state, member)
        assert max_abs_diff(single.params, mine.params) < tolerance
        assert max_abs_diff(single.opt_state, mine.opt_state) < tolerance
        folder = tmp_path / "ensemble" / "members" / str(member)
        _assert_records_close(_records(folder), _records(workdir))
        assert os.listdir(folder / "samples") == os.listdir(workdir / "samples")
    # The members are different models: the comparisons above could not pass by accident.
    assert (
        max_abs_diff(ensemble.member_state(state, 0).params, ensemble.member_state(state, 1).params)
        > 1e-3
    )
    # The workdir's record is the members' mean.
    last = history[-1]
    np.testing.assert_allclose(
        last["d_loss" if "d_loss" in last else "g_loss_u"],
        np.mean([m["d_loss" if "d_loss" in m else "g_loss_u"] for m in last["members"]]),
        rtol=1e-6,
    )


def test_members_of_a_sweep_equal_their_single_runs(smoke_config, tmp_path):
    # 2 points x 2 seeds: member i is point i // 2 with seed 5 + i % 2. Point 0: SGD at
    # 0.05 (both networks), no moment term, no label smoothing; point 1: the generator at
    # 0.02 and the discriminator at 0.1 (updates proportional to the rate), moment term
    # 1, label smoothing 0.2.
    def config(**fields):
        common = dict(seed=5, train__num_steps=12, train__log_every=4, train__plot_every=0)
        return with_plain_sgd(smoke_config("configs/sines_rgan.py", **{**common, **fields}))

    sweep = (
        "optim.generator.learning_rate=0.05,0.02;optim.discriminator.learning_rate=0.05,0.1;"
        "gan.moment_weight=0,1;gan.label_smoothing=0,0.2"
    )
    swept = config(train__ensemble=4, train__ensemble_sweep=sweep)
    state, _ = train.train_and_evaluate(swept, str(tmp_path / "ensemble"))
    points = {1: (6, 0.05, 0.05, 0.0, 0.0), 2: (5, 0.02, 0.1, 1.0, 0.2)}
    for member, (seed, g_lr, d_lr, moments, smoothing) in points.items():
        single_config = config(seed=seed, data__seed=5)
        single_config.optim.generator.learning_rate = g_lr
        single_config.optim.discriminator.learning_rate = d_lr
        single_config.gan.moment_weight, single_config.gan.label_smoothing = moments, smoothing
        single, _ = train.train_and_evaluate(single_config, str(tmp_path / f"single{member}"))
        mine = ensemble.member_state(state, member)
        # The ensemble's members also hold their loss weights, which do not train.
        trained = {k: v for k, v in mine.params.items() if k != "member_weights"}
        assert max_abs_diff(single.params, trained) < 1e-4, member
        # The member's own config is that single run's (sampling, evaluation, --member).
        mine_config = load_run(str(tmp_path / "ensemble"), member=member).config
        assert mine_config.seed == seed
        assert mine_config.optim.generator.learning_rate == g_lr
        assert mine_config.optim.discriminator.learning_rate == d_lr
        assert (mine_config.gan.moment_weight, mine_config.gan.label_smoothing) == (
            moments,
            smoothing,
        )
    # Same seed, other point: the sweep changed the training, not only the bookkeeping.
    first, third = (ensemble.member_state(state, i).params for i in (0, 2))
    assert max_abs_diff(first["generator"], third["generator"]) > 1e-3


def test_timegan_members_of_seeds_and_sweep_points_equal_their_single_runs(smoke_config, tmp_path):
    # 2 points x 2 seeds through all three phases (2 steps each; three networks, four
    # optimizers): member i is point i // 2 with seed 5 + i % 2. Point 1 drops the moment
    # loss, halves gamma (on the un-supervised latents, in G's and D's losses) and the
    # supervised weight, and trains the generator at another rate. TimeGAN's joint step
    # amplifies float noise more than RGAN's (within 3e-5 measured): a member given
    # another member's batches, noise or weights would be off by ~1e-2 or more.
    def config(**fields):
        common = dict(
            seed=5,
            train__num_steps=2,
            train__log_every=2,
            train__plot_every=0,
            timegan__embedding_steps=2,
            timegan__supervised_steps=2,
        )
        return with_plain_sgd(smoke_config("configs/sines_timegan.py", **{**common, **fields}))

    sweep = (
        "timegan.moment_weight=100,0;timegan.gamma=1,0.5;timegan.supervised_weight=100,50;"
        "optim.generator.learning_rate=0.05,0.02"
    )
    state, _ = train.train_and_evaluate(
        config(train__ensemble=4, train__ensemble_sweep=sweep), str(tmp_path / "ensemble")
    )
    point_1 = dict(timegan__moment_weight=0.0, timegan__gamma=0.5, timegan__supervised_weight=50.0)
    for member, fields, generator_rate in ((0, {}, 0.05), (3, {"seed": 6, **point_1}, 0.02)):
        single_config = config(data__seed=5, **fields)
        single_config.optim.generator.learning_rate = generator_rate
        single, _ = train.train_and_evaluate(single_config, str(tmp_path / f"single{member}"))
        mine = ensemble.member_state(state, member)
        trained = {k: v for k, v in mine.params.items() if k != "member_weights"}
        assert max_abs_diff(single.params, trained) < 1e-3, member
        # The swept optimizer's state also holds the member's learning-rate factor.
        unswept = [name for name in single.opt_state if name != "generator"]
        assert (
            max_abs_diff(
                {n: single.opt_state[n] for n in unswept}, {n: mine.opt_state[n] for n in unswept}
            )
            < 1e-3
        ), member
    assert load_run(str(tmp_path / "ensemble"), member=3).config.timegan.gamma == 0.5
    # Same seed, other point: the sweep changed the training, not only the bookkeeping.
    first, third = (ensemble.member_state(state, i).params for i in (0, 2))
    assert max_abs_diff(first["generator"], third["generator"]) > 1e-3


@pytest.mark.parametrize(
    "sweep, members, message",
    [
        ("model.hidden=8,16", 2, "may differ only in learning rates"),
        ("timegan.gamma=1,0.5", 2, "timegan.gamma is not a loss weight of rgan"),
        ("gan.label_smoothing=0.1,0.6", 2, r"needs gan.loss='ns' and values in \[0, 0.5\)"),
        ("gan.gp_weight=1,10", 2, "gp_weight needs gan.loss='wgan_gp'"),
        ("optim.generator.learning_rate=1e-3,3e-4,1e-4", 4, "multiple of the 3 points"),
        ("optim.generator.learning_rate=1e-3;optim.discriminator.learning_rate=1,2", 2, "same"),
        ("optim.generator.learning_rate=1e-3,0", 2, "must be > 0"),
        ("optim.generator.learning_rate=1e-3", 1, "trains the members of an ensemble"),
    ],
)
def test_a_sweep_that_members_cannot_train_is_refused(
    smoke_config, tmp_path, sweep, members, message
):
    config = smoke_config(train__ensemble=members, train__ensemble_sweep=sweep)
    with pytest.raises(ValueError, match=message):
        train.Trainer(config, str(tmp_path / "run"))
    assert not os.path.exists(tmp_path / "run" / "checkpoints")


def test_a_resumed_ensemble_in_windows_equals_an_uninterrupted_one(smoke_config, tmp_path):
    def config(steps_per_call):
        return smoke_config(
            train__num_steps=20,
            train__log_every=5,
            train__checkpoint_every=5,
            train__plot_every=0,
            train__ensemble=2,
            train__steps_per_call=steps_per_call,
        )

    whole, _ = train.train_and_evaluate(config(1), str(tmp_path / "whole"))
    train.Trainer(config(1), str(tmp_path / "resumed")).run(stop_at=7)
    resumed, _ = train.Trainer(config(4), str(tmp_path / "resumed")).run()

    assert_trees_equal(whole.params, resumed.params)
    assert_trees_equal(whole.opt_state, resumed.opt_state)
    for member in ("0", "1"):
        a = _records(tmp_path / "whole" / "members" / member)
        assert a == _records(tmp_path / "resumed" / "members" / member)
        assert [r["step"] for r in a] == [5, 10, 15, 20]
    assert _records(tmp_path / "whole") == _records(tmp_path / "resumed")


def test_members_sample_and_evaluate_on_their_own(smoke_config, tmp_path):
    workdir = str(tmp_path / "run")
    config = smoke_config(train__num_steps=10, train__plot_every=0, train__ensemble=2)
    train.train_and_evaluate(config, workdir)

    with pytest.raises(ValueError, match=r"ensemble of 2 members.*--member=i"):
        load_run(workdir)
    with pytest.raises(ValueError, match=r"no member 2.*0\.\.1"):
        load_run(workdir, member=2)
    runs = [load_run(workdir, member=i) for i in (0, 1)]
    assert [r.config.seed for r in runs] == [config.seed, config.seed + 1]
    first, second = (r.sample(16, seed=0) for r in runs)
    assert first.shape == second.shape == (16, 24, 5)
    assert np.abs(first - second).max() > 1e-3  # two models, not one twice

    report = evaluate_run(workdir, member=1, repeats=1, plots=False, metrics=("mmd2",))
    assert report["member"] == 1
    assert os.path.exists(os.path.join(workdir, "members", "1", "eval", "metrics.json"))
    assert not os.path.exists(os.path.join(workdir, "eval"))

    single = str(tmp_path / "single")
    train.train_and_evaluate(smoke_config(train__num_steps=10, train__plot_every=0), single)
    with pytest.raises(ValueError, match="not an ensemble"):
        load_run(single, member=0)


def test_ensemble_size_must_be_positive(smoke_config, tmp_path):
    with pytest.raises(ValueError, match="train.ensemble must be a positive integer"):
        train.Trainer(smoke_config(train__ensemble=0), str(tmp_path / "run"))


# Built and initialised in a child process that sees only two CPUs, so XLA's intra-op
# thread pool has the two threads it has on a 2-core machine, whatever this one has.
_INIT_SIXTEEN_MEMBERS = textwrap.dedent(
    """
    import os
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    import jax
    from rgan import ensemble
    from rgan.families import DataSpec, build_family
    from configs import sines_rgan

    config = sines_rgan.get_config(None)
    config.train.ensemble = 16
    family = build_family(config, DataSpec(seq_len=24, num_features=5))
    init = jax.jit(ensemble.ensemble_family(family, 16).init)
    jax.block_until_ready(init(ensemble.init_key(config)))
    print("initialised")
    """
)


def test_sixteen_members_initialise_on_two_threads():
    # A vmapped orthogonal init is a batched QR that jaxlib's CPU kernel splits over the
    # intra-op pool; two at once deadlocked a 2-thread pool (K = 16 hung at 0% CPU).
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root, "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)  # one host device, as a plain run has
    done = subprocess.run(
        [sys.executable, "-c", _INIT_SIXTEEN_MEMBERS],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "initialised" in done.stdout


def test_a_member_s_folder_names_its_ensemble_and_member():
    folder = ensemble.member_dir(os.path.join("runs", "jv"), 3)
    assert ensemble.member_of_dir(folder) == (os.path.join("runs", "jv"), 3)
    assert ensemble.member_of_dir(folder + os.sep) == (os.path.join("runs", "jv"), 3)
    for other in ("runs/jv", "runs/jv/members", "runs/jv/members/x", "runs/jv/seed_0/3"):
        assert ensemble.member_of_dir(other) is None
