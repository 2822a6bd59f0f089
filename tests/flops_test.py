"""scripts/flops.py: XLA's count of a step's arithmetic, with every recurrent loop unrolled."""

import importlib.util
import math
import sys

import jax
import jax.numpy as jnp
import pytest
from conftest import REPO

from rgan.models.rnn import ScanRNN

sys.path.insert(0, str(REPO / "scripts"))  # as when run: flops imports its sibling scripts
_spec = importlib.util.spec_from_file_location("flops", REPO / "scripts" / "flops.py")
flops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(flops)


def test_a_gru_layer_counts_its_matmuls_at_every_time_step():
    batch, time, features, hidden = 16, 12, 5, 8
    net = ScanRNN("gru", hidden, 1, unroll=flops.FULL_UNROLL)
    x = jnp.ones((batch, time, features))
    params = net.init(jax.random.key(0), x)
    forward = flops.compiled_flops(jax.jit(net.apply).lower(params, x))
    # W_i x and W_h h for the three gates, at each step.
    assert forward == 2 * time * batch * 3 * hidden * (features + hidden)
    # The gradient with respect to the weights and the input: the forward's matmuls, then
    # each one's two transposes (XLA drops those of the first step's zero carry).
    grad = jax.grad(lambda p, x: jnp.sum(net.apply(p, x)), argnums=(0, 1))
    backward = flops.compiled_flops(jax.jit(grad).lower(params, x))
    assert 2.9 * forward < backward <= 3 * forward

    rolled = ScanRNN("gru", hidden, 1)  # a loop's body would be counted once: refused
    with pytest.raises(ValueError, match="loops of \\['12'\\] iterations"):
        flops.compiled_flops(jax.jit(rolled.apply).lower(params, x))

    def steps(weights, h, count):  # a loop whose length is only known at run time
        return jax.lax.fori_loop(0, count, lambda i, h: weights @ h, h)

    with pytest.raises(ValueError, match="unknown"):
        flops.compiled_flops(jax.jit(steps).lower(jnp.ones((4, 4)), jnp.ones((4, 2)), 3))


def test_a_training_step_s_count_grows_with_its_sequence_length():
    spec = f"{REPO / 'configs' / 'sines_rgan.py'}:smoke"
    base = flops.config_gflop(spec, **{"data.seq_len": 6, "train.batch_size": 8})
    longer = flops.config_gflop(spec, **{"data.seq_len": 12, "train.batch_size": 8})
    # Counted once per loop instead of per step, the count would not double with the length.
    # (A little over 2: XLA drops the first step's matmuls of the zero carry.)
    assert 1.95 < longer["adversarial"] / base["adversarial"] < 2.2


def test_table_joins_speed_ratios_on_the_timed_phase(tmp_path):
    speed = tmp_path / "speed.json"
    speed.write_text(
        '{"rows": [{"config": "c.py", "steps_per_call": 1, "ensemble": 1, "ratio_to_naive": 0.5},'
        ' {"config": "c.py", "steps_per_call": 10, "ensemble": 1, "ratio_to_naive": 0.9}]}'
    )
    ratios = flops.speed_ratios(str(speed))
    rows = flops.build_table(["c.py"], 2.0, {"c.py": {"warmup": 1.0, "joint": 8.0}}, ratios)
    assert "ratio_to_naive" not in rows[0]
    assert math.isclose(rows[1]["times_naive"], 4.0) and math.isclose(rows[1]["rate_vs_naive"], 2.0)
    table = {
        "naive_gflop": 2.0,
        "rows": rows,
        "command": "c",
        "commit": "x",
        "date": "d",
        "jax": "j",
        "speed": str(speed),
    }
    assert "| `c.py` | joint | 8.000 | 4.00 | 0.50x | 2.00x |" in flops.render_markdown(table)
