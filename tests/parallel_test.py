"""One step on 4 devices equals one step on 1 device; pmap equals shard_map."""

import jax
import numpy as np
import pytest
from testing import max_abs_diff

from rgan import parallel
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
