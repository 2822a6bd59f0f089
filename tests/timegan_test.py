"""TimeGAN: each phase learns, and the discriminator skip rule. (Resume in every phase and
4 devices equal 1: tests/family_contract_test.py.)"""

import dataclasses

import jax
import jax.numpy as jnp
import pytest
from testing import max_abs_diff, with_plain_sgd
from timegan_reference import plain_joint_step

from rgan import parallel, train
from rgan.data import build_dataset
from rgan.families import DataSpec, build_family

CONFIG = "configs/sines_timegan.py"
PHASE_STEPS = dict(timegan__embedding_steps=30, timegan__supervised_steps=30, train__num_steps=30)


def _config(smoke_config, **overrides):
    return smoke_config(CONFIG, **{**PHASE_STEPS, "train__plot_every": 0, **overrides})


def test_each_phase_lowers_its_own_loss(smoke_config, tmp_path):
    config = _config(smoke_config, train__log_every=5, model__hidden=16)
    for opt in config.optim.values():  # a short run: larger steps than the reference
        opt.learning_rate = 5e-3
    _, history = train.train_and_evaluate(config, str(tmp_path))
    by_phase = {}
    for record in history:
        by_phase.setdefault(record["phase"], []).append(record)
    assert list(by_phase) == ["embedding", "supervised", "joint"]
    first, last = by_phase["embedding"][0], by_phase["embedding"][-1]
    assert last["e_loss_t0"] < 0.8 * first["e_loss_t0"]
    first, last = by_phase["supervised"][0], by_phase["supervised"][-1]
    assert last["g_loss_s"] < 0.8 * first["g_loss_s"]
    # Joint phase: the generator's moment loss and the reconstruction keep falling.
    first, last = by_phase["joint"][0], by_phase["joint"][-1]
    assert last["g_loss_v"] < 0.8 * first["g_loss_v"]
    assert last["e_loss_t0"] < first["e_loss_t0"]


def _joint_step(config, devices, state=None):
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features))
    mesh = parallel.make_mesh(devices)
    if state is None:
        state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), mesh)
    else:
        state = parallel.replicate(state, mesh)
    batch = config.train.batch_size
    batches = tuple({"x": data.windows[i * batch : (i + 1) * batch]} for i in range(3))
    step = parallel.sharded_step(family.phases[2], mesh, batch, data.seq_len, donate=False)
    new_state, metrics = step(state, parallel.global_batch(batches, mesh))
    return state, new_state, jax.device_get(metrics)


def test_discriminator_is_not_updated_while_its_loss_is_below_the_threshold(smoke_config):
    """On 4 devices, which must agree on the branch. (That D is updated while its loss is
    above the threshold: test_joint_step_equals_the_plain_one_call_per_input_step.)"""
    config = _config(smoke_config, timegan__d_loss_threshold=1e9)
    before, after, metrics = _joint_step(config, jax.devices())
    assert metrics["d_updated"] == 0.0
    assert max_abs_diff(before.params["discriminator"], after.params["discriminator"]) == 0
    assert max_abs_diff(before.opt_state["discriminator"], after.opt_state["discriminator"]) == 0
    # The generator side is trained either way.
    assert max_abs_diff(before.params["generator"], after.params["generator"]) > 0


@pytest.mark.parametrize(
    "moment_terms",
    [
        {},
        {
            "timegan__moment_matching_weight": 10.0,
            "timegan__step_moment_weight": 10.0,
            "timegan__moment_matching_distance": "relative",
            "timegan__moment_matching_differences": 2,
            "timegan__moment_matching_within_windows": True,
            "model__warmup_steps": 3,
            "model__bidirectional_discriminator": True,
            "timegan__discriminator_pack": 2,
            "timegan__last_step_weight": 0.5,
            "timegan__data_discriminator_weight": 0.5,
        },
    ],
    ids=["reference", "l_m_l_sm_warmup_packs_last_step_and_data_d"],
)
def test_joint_step_equals_the_plain_one_call_per_input_step(smoke_config, moment_terms):
    """The joint step merges network calls (see rgan/families/timegan.py); one iteration
    (2 G, 2 E and 1 D updates) matches the plain form (tests/timegan_reference.py) to
    float tolerance. Plain SGD, so that a gradient that differs shows in the parameters.
    With L_M (timegan.moment_matching_weight) and L_SM (timegan.step_moment_weight) too:
    their inputs, weights, distance, L_M's second differences and within-window term; and
    G's warm-up steps (model.warmup_steps), the plain form dropping them from G's output,
    the paper's bidirectional D, D on packs of two sequences (timegan.discriminator_pack,
    the plain form packing by strided slices) and half of every D term on the last step
    (timegan.last_step_weight) and a second D on the data (timegan.data_discriminator_weight)
    (one case for all keeps the suite's time)."""
    config = with_plain_sgd(_config(smoke_config, train__batch_size=32, **moment_terms))
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features))
    joint = family.phases[2]
    plain = dataclasses.replace(joint, step=plain_joint_step(config, data.num_features))
    mesh = parallel.make_mesh(jax.devices()[:1])
    steps = [parallel.sharded_step(p, mesh, 32, data.seq_len, donate=False) for p in (joint, plain)]
    start = parallel.init_replicated(family.init, jax.random.PRNGKey(0), mesh)
    start = start.replace(step=family.phase_start(2))
    batches = tuple({"x": data.windows[32 * k : 32 * (k + 1)]} for k in range(3))
    (merged, metrics), (reference, _) = jax.device_get([step(start, batches) for step in steps])
    assert metrics["d_updated"] == 1.0  # L_D at initialization is above the 0.15 threshold
    # L_M and L_SM are logged where they are trained, and are far from 0 at
    # initialization: their gradients move G and S by much more than the tolerance below.
    logged = {
        "g_loss_m": "timegan__moment_matching_weight",
        "g_loss_sm": "timegan__step_moment_weight",
        "g_loss_u_x": "timegan__data_discriminator_weight",
        "dx_loss": "timegan__data_discriminator_weight",
        "dx_grad_norm": "timegan__data_discriminator_weight",
    }
    if "model__warmup_steps" in moment_terms:  # G reads the longer noise
        assert joint.make_noise(jax.random.PRNGKey(0), 32, data.seq_len)[0].shape[1] == (
            data.seq_len + 3
        )
    for metric, field in logged.items():
        assert (metric in metrics) == (field in moment_terms)
        assert metrics.get(metric, 1.0) > 0.05
    start = jax.device_get(start)
    with_d_x = "timegan__data_discriminator_weight" in moment_terms
    assert ("data_discriminator" in start.params) == with_d_x
    for name in start.params:
        # The merged calls sum over a batch of 64 or 96 where the plain ones sum over 32,
        # so float rounding differs: a few units in the last place of the parameters
        # (~1e-7) plus a relative 1e-4 of how far the step moved them. (The L_S weight in
        # L_E changed from 0.1 to 0.11 differs by 4.6e-4 of the embedder's move.)
        moved = max_abs_diff(reference.params[name], start.params[name])
        assert moved > 1e-3, name  # every network moved: the comparison is not vacuous
        assert max_abs_diff(merged.params[name], reference.params[name]) < 1e-4 * moved + 2e-7
    assert max_abs_diff(merged.opt_state, reference.opt_state) < 1e-5  # SGD: the counts


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("moment_matching_weight", -1.0, "moment_matching_weight must be >= 0"),
        ("moment_matching_distance", "cubic", "moment_matching_distance must be one of"),
        ("step_moment_weight", -1.0, "step_moment_weight must be >= 0"),
        ("moment_matching_differences", -1, "moment_matching_differences must be an integer"),
        ("discriminator_pack", 0, "discriminator_pack must be an integer >= 1"),
        ("last_step_weight", 1.5, r"last_step_weight must be in \[0, 1\]"),
        ("data_discriminator_weight", -1.0, "data_discriminator_weight must be >= 0"),
    ],
)
def test_a_bad_moment_matching_setting_is_refused_by_name(smoke_config, field, value, message):
    config = _config(smoke_config, **{f"timegan__{field}": value})
    with pytest.raises(ValueError, match=message):
        build_family(config, DataSpec(24, 5))


def test_the_data_discriminator_leaves_the_other_networks_initial_weights_alone(smoke_config):
    """D_X (timegan.data_discriminator_weight) starts from a key of its own, so a run with it
    starts the other networks where a run without it does; its weights join D's optimizer."""
    spec = DataSpec(24, 5)
    without, with_d_x = (
        build_family(_config(smoke_config, timegan__data_discriminator_weight=w), spec).init(
            jax.random.PRNGKey(0)
        )
        for w in (0.0, 1.0)
    )
    assert set(with_d_x.params) - set(without.params) == {"data_discriminator"}
    for name in without.params:
        assert max_abs_diff(with_d_x.params[name], without.params[name]) == 0, name
    optimized = jax.tree_util.tree_leaves_with_path(with_d_x.opt_state["discriminator"])
    assert any("'data_discriminator'" in jax.tree_util.keystr(path) for path, _ in optimized)


def test_packs_are_refused_for_sequences_of_different_lengths_and_an_uneven_batch(
    smoke_config,
):
    from rgan.families.timegan import packed

    config = _config(smoke_config, timegan__discriminator_pack=2)
    with pytest.raises(ValueError, match="needs sequences of one length"):
        build_family(config, DataSpec(24, 5, variable_length=True))
    with pytest.raises(ValueError, match="must divide the batch on each device"):
        packed(jnp.zeros((3, 24, 8)), 2)


def test_samples_drop_the_generator_warmup_steps_before_the_supervisor(smoke_config):
    """model.warmup_steps = W: X^ = R(S(G(z)[:, W:])) for noise z of W + T steps; S and R
    see only the kept steps."""
    from rgan.families.base import generator_noise
    from rgan.models.timegan import timegan_networks

    config = _config(smoke_config, model__warmup_steps=4)
    family = build_family(config, DataSpec(24, 5))
    params = family.init(jax.random.PRNGKey(0)).params
    key = jax.random.PRNGKey(1)
    nets = timegan_networks(5, config.model.cell, config.model.hidden, config.model.layers)

    def apply(name, x):
        return nets[name].apply({"params": params[name]}, x)

    z = generator_noise(config, DataSpec(24, 5))(key, 3, 4 + 24)
    expected = apply("recovery", apply("supervisor", apply("generator", z)[:, 4:]))
    sampled = family.generate(params, key, 3, 24).values
    assert sampled.shape == (3, 24, 5)
    assert max_abs_diff(sampled, expected) < 1e-6
