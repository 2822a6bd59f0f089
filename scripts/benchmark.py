"""Training speed of a config: steps/s of each phase after warm-up, compile time, memory.

    python scripts/benchmark.py --config=configs/sines_rgan.py --steps=300
    python scripts/benchmark.py --config=configs/sines_rgan.py --config.train.steps_per_call=100
    python scripts/benchmark.py --config=configs/sines_rgan.py --config.train.ensemble=16

Prints one JSON line. Each phase is compiled, warmed up, then timed for `--steps` steps
with the real input pipeline (batch assembly and host-to-device transfer included, or
with `train.steps_per_call` > 1 the windows of steps over data on the devices), as in
training. `steps_per_sec` is the last phase's (the adversarial / joint phase); CPU
milliseconds and page faults per step are reported too (steadier on a shared machine).
With `train.ensemble=K`, a step trains K models: `member_steps_per_sec` is K times
`steps_per_sec`, the throughput to compare with K = 1.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from absl import app, flags
from ml_collections import config_flags

from rgan import config as config_lib

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file to benchmark.", lock_config=True)
flags.DEFINE_integer("steps", 300, "Timed steps per phase (after warm-up).")
flags.DEFINE_integer("warmup", 10, "Untimed steps per phase after compilation.")
flags.mark_flags_as_required(["config"])


def benchmark_phase(trainer, index: int, state, steps: int, warmup: int):
    """Times phase `index`: `steps` steps after `warmup`, one step per call, or windows of
    `train.steps_per_call` steps as training runs them (the data on the devices)."""
    import jax

    from rgan import parallel

    family, config = trainer.training_family, trainer.config
    phase = family.phases[index]
    start_step = family.phase_start(index)
    per_call = config.train.steps_per_call

    def at(i):  # wraps around inside the phase when it is shorter than the benchmark
        return start_step + i % max(phase.num_steps - per_call + 1, 1)

    if per_call == 1:
        fn = parallel.sharded_step(
            phase, trainer.mesh, config.train.batch_size, trainer.spec.seq_len
        )
        t0 = time.perf_counter()
        compiled = fn.lower(state, trainer.global_batches(at(0))).compile()
        compile_sec = time.perf_counter() - t0

        def call(state, i):
            return compiled(state, trainer.global_batches(at(i)))
    else:
        t0 = time.perf_counter()
        state, _ = trainer.run_window(state, at(0), per_call)  # compiles on the first call
        compile_sec = time.perf_counter() - t0

        def call(state, i):
            return trainer.run_window(state, at(i * per_call), per_call)

    calls, warmup_calls = -(-steps // per_call), -(-warmup // per_call)
    for i in range(warmup_calls):
        state, metrics = call(state, i)
    jax.block_until_ready(state)
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    cpu0, t0 = time.process_time(), time.perf_counter()
    for i in range(calls):
        state, metrics = call(state, warmup_calls + i)
    jax.block_until_ready((state, metrics))
    elapsed = time.perf_counter() - t0
    timed = calls * per_call
    # CPU time per step is steadier than wall time on a shared machine.
    return state, {
        "steps_per_sec": timed / elapsed,
        "compile_sec": compile_sec,
        "cpu_ms_per_step": (time.process_time() - cpu0) * 1e3 / timed,
        "page_faults_per_step": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0)
        / timed,
    }


def main(argv):
    del argv
    import jax

    from rgan import allocator, ensemble, parallel
    from rgan.train import Trainer

    allocator.keep_freed_memory()  # as the rgan.main a timed run would go through

    trainer = Trainer(FLAGS.config, workdir="/nonexistent-benchmark-workdir")
    state = parallel.init_replicated(
        trainer.training_family.init, ensemble.init_key(trainer.config), trainer.mesh
    )
    phases = {}
    for index, phase in enumerate(trainer.training_family.phases):
        if phase.num_steps == 0:
            continue
        state, phases[phase.name] = benchmark_phase(
            trainer, index, state, FLAGS.steps, FLAGS.warmup
        )
    last = list(phases.values())[-1]
    result = {
        "config": sys.argv[[a.startswith("--config=") for a in sys.argv].index(True)][9:],
        "family": trainer.config.family,
        "steps_per_sec": round(last["steps_per_sec"], 2),
        "ensemble": trainer.members,
        "member_steps_per_sec": round(last["steps_per_sec"] * trainer.members, 2),
        "cpu_ms_per_step": round(last["cpu_ms_per_step"], 2),
        "compile_sec": round(sum(p["compile_sec"] for p in phases.values()), 2),
        "phases": {name: {k: round(v, 2) for k, v in p.items()} for name, p in phases.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "batch_size": trainer.config.train.batch_size,
        "steps_per_call": trainer.config.train.steps_per_call,
        "device_kind": jax.devices()[0].device_kind,
        "device_count": jax.device_count(),
        "jax": jax.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if arg.startswith("--config="):
            config_lib.make_configs_importable(arg.split("=", 1)[1])
    app.run(main)
