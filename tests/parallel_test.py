"""One step on 4 devices equals one step on 1 device; pmap equals shard_map."""

import jax
import numpy as np
import pytest
from testing import max_abs_diff

from rgan import ensemble, parallel
from rgan.data import build_dataset
from rgan.families import DataSpec, build_family


@pytest.fixture
def setup(smoke_config):
    config = smoke_config(train__batch_size=32, train__d_steps=2)
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features))
    phase = family.phases[0]
    batches = tuple({"x": data.windows[i * 32 : (i + 1) * 32]} for i in range(2))
    return family, phase, batches, data.seq_len


def _sharded(family, phase, batches, seq_len, devices):
    mesh = parallel.make_mesh(devices)
    state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), mesh)
    step = parallel.sharded_step(phase, mesh, 32, seq_len)
    # Fetched before the next multi-device program is dispatched: two in flight at once
    # can deadlock XLA:CPU's simulated devices (see rgan/train.py, serialize_steps).
    return jax.device_get(step(state, parallel.global_batch(batches, mesh)))


def test_pmap_equals_shard_map(setup):
    family, phase, batches, seq_len = setup
    state_sm, metrics_sm = _sharded(family, phase, batches, seq_len, jax.devices())
    state = jax.jit(family.init)(jax.random.PRNGKey(0))
    step = parallel.pmap_step(phase, 32, seq_len)
    state_pm, metrics_pm = step(state, jax.tree.map(np.asarray, batches))
    assert max_abs_diff(state_sm.params, state_pm.params) < 1e-5
    assert max_abs_diff(metrics_sm, metrics_pm) < 1e-5
    assert int(state_pm.step) == 1


def test_a_window_of_steps_on_4_devices_equals_single_steps_on_1(smoke_config):
    config = smoke_config(train__batch_size=32, train__d_steps=2)
    data = build_dataset(config.data, seed=0)
    family = build_family(config, DataSpec(data.seq_len, data.num_features))
    phase = family.phases[0]
    # 3 steps of 2 real batches each, in a window of capacity 4.
    rows = np.random.default_rng(0).integers(0, data.num_windows, size=(4, 2, 32))
    rows = rows.astype(np.int32)

    one = parallel.make_mesh(jax.devices()[:1])
    state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), one)
    step = parallel.sharded_step(phase, one, 32, data.seq_len)
    single_metrics = []
    for i in range(3):
        batches = tuple({"x": data.windows[r]} for r in rows[i])
        state, metrics = step(state, parallel.global_batch(batches, one))
        single_metrics.append(metrics)
    single_state, single_metrics = jax.device_get((state, single_metrics))

    four = parallel.make_mesh(jax.devices())
    state = parallel.init_replicated(family.init, jax.random.PRNGKey(0), four)
    window = parallel.sharded_window(phase, four, 32, data.seq_len)
    inputs = parallel.replicate_global(({"x": data.windows}, rows, np.int32(3)), four)
    window_state, stacked = jax.device_get(window(state, *inputs))

    assert int(window_state.step) == 3
    assert max_abs_diff(single_state.params, window_state.params) < 1e-5
    for name, values in stacked.items():
        assert values.shape == (4,)
        np.testing.assert_allclose(values[:3], [m[name] for m in single_metrics], atol=1e-5)
        assert values[3] == 0  # past the window's count: not run


def test_an_ensemble_step_on_4_devices_equals_1_device_and_pmap(smoke_config):
    """The members' batches [K, batch, ...] split along the batch axis, not the members'."""
    members = 3
    config = smoke_config(train__batch_size=32, train__d_steps=2, train__ensemble=members)
    data = build_dataset(config.data, seed=0)
    family = ensemble.ensemble_family(
        build_family(config, DataSpec(data.seq_len, data.num_features)), members
    )
    phase = family.phases[0]
    rows = np.random.default_rng(0).integers(0, data.num_windows, size=(2, members, 32))
    batches = tuple({"x": data.windows[r]} for r in rows)  # each [K, 32, T, D]
    keys = ensemble.init_key(config)

    def sharded(devices):
        mesh = parallel.make_mesh(devices)
        state = parallel.init_replicated(family.init, keys, mesh)
        step = parallel.sharded_step(phase, mesh, 32, data.seq_len)
        return jax.device_get(step(state, parallel.global_batch(batches, mesh, members)))

    state_one, metrics_one = sharded(jax.devices()[:1])
    state_four, metrics_four = sharded(jax.devices())
    assert metrics_four["d_loss"].shape == (members,)
    assert max_abs_diff(state_one.params, state_four.params) < 1e-5
    assert max_abs_diff(metrics_one, metrics_four) < 1e-5

    state = jax.jit(family.init)(keys)
    state_pm, metrics_pm = parallel.pmap_step(phase, 32, data.seq_len)(state, batches)
    assert max_abs_diff(state_one.params, state_pm.params) < 1e-5
    assert max_abs_diff(metrics_one, metrics_pm) < 1e-5
