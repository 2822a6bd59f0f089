"""Arithmetic per training step: each phase's GFLOP/step next to the naive step's.

    python scripts/flops.py --out=results/flops --speed=results/speed.json
    python scripts/flops.py --configs=configs/sines_rgan.py --out=/tmp/flops

Speed ratios (scripts/speed_table.py) say how fast a step runs; this says how much
arithmetic it is, so that the two together tell a slow implementation from a step that
simply computes more. The count is of the matmuls in the compiled step (the optimized
HLO of the program training runs, dead code removed; `compiled_flops`). The HLO shows a
loop's body once, whatever its trip count, so every recurrent scan is unrolled for the
count: the configs' `model.unroll` is set past the
sequence length, and every other `nn.scan` (C-RNN-GAN's feedback loop, the naive step's in
`../shared/bench/naive_linen_rgan.py`, imported unchanged) is unrolled by wrapping
`flax.linen.scan` while the step is traced; a loop left over is an error. Unrolled,
TimeGAN's joint step takes minutes to compile. The count does not depend on the machine.

With `--speed=<speed_table json>`, each row also gets its measured speed ratio to the naive
step (one model per step, one step per call) and the arithmetic rate that implies,
relative to the naive step's: `ratio_to_naive * gflop / naive_gflop`. Writes `<out>.json`
and `<out>.md`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import math
import os
import re

from absl import app, flags
from reproduce import provenance, write_atomic  # scripts/ is on sys.path
from speed_table import DEFAULT_CONFIGS, NAIVE

# model.unroll beyond any sequence length: lax.scan unrolls min(unroll, length) steps.
FULL_UNROLL = 1 << 20

FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_list("configs", list(DEFAULT_CONFIGS), "Configs to count.")
    flags.DEFINE_string("naive", str(NAIVE), "The naive step's script.")
    flags.DEFINE_string("speed", None, "A scripts/speed_table.py JSON to join speed ratios from.")
    flags.DEFINE_string("out", None, "Writes <out>.json and <out>.md.")
    flags.mark_flags_as_required(["out"])


_SHAPE = re.compile(r"%([\w.-]+) = \w+\[([\d,]*)\]")
_DOT = re.compile(
    r"%[\w.-]+ = \w+\[([\d,]*)\]\S* dot\(%([\w.-]+), %[\w.-]+\).*?lhs_contracting_dims=\{([\d,]*)\}"
)
_COMPUTATION = re.compile(r"^(?:ENTRY )?%([\w.-]+) .*\{$")
_CALLED = re.compile(r"(?:calls|to_apply|body|condition)=%([\w.-]+)")
_LOOP = re.compile(r' while\(.*body=%([\w.-]+)(?:.*"known_trip_count":\{"n":"(\d+)"\})?')


def _dims(text: str) -> list[int]:
    return [int(d) for d in text.split(",") if d]


def _has_dot(text: str, computation: str) -> bool:
    """Whether an HLO computation, or one it calls, has a dot (loops without one, such as
    the random number generator's, do not matter here)."""
    bodies, name = {}, None
    for line in text.splitlines():
        header = _COMPUTATION.match(line)
        if header:
            name = header.group(1)
            bodies[name] = []
        elif name is not None:
            bodies[name].append(line)
    seen, todo = set(), [computation]
    while todo:
        current = todo.pop()
        if current in seen or current not in bodies:
            continue
        seen.add(current)
        lines = bodies[current]
        if any(" dot(" in line for line in lines):
            return True
        todo += [called for line in lines for called in _CALLED.findall(line)]
    return False


def compiled_flops(lowered) -> float:
    """Matmul FLOPs of one call of a lowered jax function: 2 * output size * contracted
    size, summed over the dots of its optimized HLO (after XLA has removed dead code).

    The recurrences' gate arithmetic is left out: the matmuls dominate, and XLA's own
    elementwise count of unrolled loops grows with the square of their length. Raises if a
    loop with more than one iteration is left, whose body the text shows only once.
    """
    text = lowered.compile().as_text()
    # A loop of unknown length (n = "") counts as one that repeats.
    loops = [n or "unknown" for body, n in _LOOP.findall(text) if n != "1" and _has_dot(text, body)]
    if loops:
        raise ValueError(f"The program still has loops of {loops} iterations; unroll them.")
    shapes = {name: _dims(dims) for name, dims in _SHAPE.findall(text)}
    total = 0
    for out_dims, lhs, contracting in _DOT.findall(text):
        lhs_dims = shapes[lhs]
        contracted = math.prod(lhs_dims[i] for i in _dims(contracting))
        total += 2 * math.prod(_dims(out_dims)) * contracted
    return float(total)


@contextlib.contextmanager
def _unrolled_linen_scans():
    """`flax.linen.scan` unrolls every loop it builds while the context is open."""
    import flax.linen as nn

    original = nn.scan
    nn.scan = functools.partial(original, unroll=FULL_UNROLL)
    try:
        yield
    finally:
        nn.scan = original


def naive_gflop(script: str = str(NAIVE)) -> float:
    """GFLOP of one naive step (one D update and one G update), its scans unrolled."""
    import jax
    import jax.numpy as jnp

    spec = importlib.util.spec_from_file_location("naive_linen_rgan", script)
    naive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(naive)
    key = jax.random.key(0)
    x = jnp.zeros((naive.B, naive.T, naive.D))
    with _unrolled_linen_scans():
        g_params, d_params = naive.G.init(key, x), naive.Dm.init(key, x)
        state = (g_params, d_params, naive.tx.init(g_params), naive.tx.init(d_params))
        return compiled_flops(naive.step.lower(state, x, key)) / 1e9


def config_gflop(config_spec: str, **overrides) -> dict[str, float]:
    """GFLOP of one step of each phase of a config (one model per step), its scans unrolled.

    config_spec: a config path, optionally with ':arg'; overrides as for load_config.
    Returns {phase name: GFLOP per step}.
    """
    from rgan import config as config_lib
    from rgan import ensemble, parallel
    from rgan.train import Trainer

    config = config_lib.load_config(config_spec, **{"model.unroll": FULL_UNROLL, **overrides})
    trainer = Trainer(config, workdir="/nonexistent-flops-workdir")
    family = trainer.training_family
    state = parallel.init_replicated(family.init, ensemble.init_key(config), trainer.mesh)
    counts = {}
    for index, phase in enumerate(family.phases):
        if phase.num_steps == 0:
            continue
        step = parallel.sharded_step(
            phase, trainer.mesh, config.train.batch_size, trainer.spec.seq_len
        )
        batches = trainer.global_batches(family.phase_start(index))
        with _unrolled_linen_scans():  # a model's own nn.scan, e.g. C-RNN-GAN's feedback loop
            counts[phase.name] = compiled_flops(step.lower(state, batches)) / 1e9
    return counts


def speed_ratios(speed_json: str) -> dict[str, float]:
    """{config: ratio to the naive step} from a speed_table JSON, one model per step and
    one step per call (the last phase, as speed_table times it)."""
    with open(speed_json) as f:
        rows = json.load(f)["rows"]
    return {
        row["config"]: row["ratio_to_naive"]
        for row in rows
        if row.get("steps_per_call", 1) == 1 and row.get("ensemble", 1) == 1
    }


def build_table(configs, naive: float, counts: dict, ratios: dict) -> list[dict]:
    """One row per (config, phase); the speed ratio and arithmetic rate on the last phase
    of each config, the one speed_table times."""
    rows = []
    for config in configs:
        phases = list(counts[config])
        for phase in phases:
            gflop = counts[config][phase]
            row = {"config": config, "phase": phase, "gflop": gflop, "times_naive": gflop / naive}
            if phase == phases[-1] and config in ratios:
                row["ratio_to_naive"] = ratios[config]
                row["rate_vs_naive"] = ratios[config] * gflop / naive
            rows.append(row)
    return rows


def render_markdown(table: dict) -> str:
    lines = [
        "| config | phase | GFLOP/step | × naive step | speed ratio to naive "
        "| arithmetic rate vs naive |",
        "|---|---|---|---|---|---|",
        f"| naive step (`naive_linen_rgan.py`) | D + G update | {table['naive_gflop']:.3f} "
        "| 1 | 1 | 1 |",
    ]
    for row in table["rows"]:
        speed = f"{row['ratio_to_naive']:.2f}x" if "ratio_to_naive" in row else ""
        rate = f"{row['rate_vs_naive']:.2f}x" if "rate_vs_naive" in row else ""
        lines.append(
            f"| `{row['config']}` | {row['phase']} | {row['gflop']:.3f} | "
            f"{row['times_naive']:.2f} | {speed} | {rate} |"
        )
    speed = f"; speed ratios from `{table['speed']}`" if table["speed"] else ""
    lines += [
        "",
        f"`{table['command']}` at commit `{table['commit']}` ({table['date']}, jax "
        f"{table['jax']}{speed}).",
        "",
    ]
    return "\n".join(lines)


def main(argv):
    del argv
    naive = naive_gflop(FLAGS.naive)
    print(f"naive step: {naive:.3f} GFLOP", flush=True)
    counts = {}
    for config in FLAGS.configs:
        counts[config] = config_gflop(config)
        print(f"{config}: " + ", ".join(f"{p} {g:.3f}" for p, g in counts[config].items()))
    ratios = speed_ratios(FLAGS.speed) if FLAGS.speed else {}
    table = {
        **provenance(os.path.dirname(os.path.abspath(FLAGS.out))),
        "speed": FLAGS.speed,
        "naive_gflop": naive,
        "rows": build_table(FLAGS.configs, naive, counts, ratios),
    }
    write_atomic(FLAGS.out + ".json", json.dumps(table, indent=2) + "\n")
    write_atomic(FLAGS.out + ".md", render_markdown(table))
    print(f"Wrote {FLAGS.out}.json and .md")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
