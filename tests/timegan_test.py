"""TimeGAN: each phase learns, and the discriminator skip rule. (Resume in every phase and
4 devices equal 1: tests/family_contract_test.py.)"""

import jax
import pytest
from testing import max_abs_diff

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


@pytest.mark.parametrize("threshold, updated", [(0.0, True), (1e9, False)])
def test_discriminator_is_updated_only_while_its_loss_exceeds_the_threshold(
    smoke_config, threshold, updated
):
    config = _config(smoke_config, timegan__d_loss_threshold=threshold)
    before, after, metrics = _joint_step(config, jax.devices())
    d_before, d_after = before.params["discriminator"], after.params["discriminator"]
    assert metrics["d_updated"] == float(updated)
    assert (max_abs_diff(d_before, d_after) > 0) == updated
    opt_changed = max_abs_diff(before.opt_state["discriminator"], after.opt_state["discriminator"])
    assert (opt_changed > 0) == updated
    # The generator side is trained either way.
    assert max_abs_diff(before.params["generator"], after.params["generator"]) > 0
