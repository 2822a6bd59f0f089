"""Training entry point.

    python -m rgan.main --config=configs/sines_rgan.py --workdir=runs/sines \
        [--config.train.num_steps=2000 ...]

Running the same command again resumes from the workdir's latest checkpoint.
"""

from __future__ import annotations

import sys

from absl import app, flags, logging
from ml_collections import config_flags

from rgan import cli, stop_signals
from rgan import config as config_lib

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file(
    "config", None, "Training config file, optionally with ':arg'.", lock_config=True
)
flags.DEFINE_string("workdir", None, "Directory for checkpoints, metrics and samples.")
flags.DEFINE_bool("distributed", False, "Call jax.distributed.initialize() (multi-host).")
flags.DEFINE_string("coordinator_address", None, "With --distributed: host:port of process 0.")
flags.DEFINE_integer("num_processes", None, "With --distributed: number of processes.")
flags.DEFINE_integer("process_id", None, "With --distributed: this process's index.")
flags.DEFINE_integer(
    "heartbeat_timeout_seconds",
    10,
    "With --distributed: a process silent this long is taken as dead, and the others stop "
    "(non-zero) instead of waiting in their next collective.",
    lower_bound=2,
)
flags.DEFINE_list(
    "config_change_ok",
    [],
    "Config groups or fields (e.g. optim) that may differ from the saved run's on resume, "
    "e.g. a lower learning rate after a divergence; recorded in config_changes.jsonl.",
)
flags.DEFINE_string(
    "branch_from",
    None,
    "Workdir of a TimeGAN run to branch from: --workdir (new) starts from its checkpoint "
    "where the joint phase begins, with the joint phase's loss weights and optimizers as "
    "this config sets them (rgan/branch.py); the same command again resumes the branch.",
)
flags.mark_flags_as_required(["config", "workdir"])
cli.define_verbose_flag()


@cli.reports_user_errors
def main(argv):
    cli.setup_process()
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    import jax

    if FLAGS.distributed:
        # CPU-only jobs (and tests on loopback) need a CPU collectives backend; it does not
        # affect GPU/TPU collectives. Cluster launchers (SLURM, TPU pods) fill the rest in.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(
            coordinator_address=FLAGS.coordinator_address,
            num_processes=FLAGS.num_processes,
            process_id=FLAGS.process_id,
            heartbeat_timeout_seconds=FLAGS.heartbeat_timeout_seconds,
        )
    from rgan import train

    logging.info(
        "JAX devices: %s (process %d of %d)",
        jax.devices(),
        jax.process_index(),
        jax.process_count(),
    )
    train.train_and_evaluate(
        FLAGS.config,
        FLAGS.workdir,
        config_change_ok=tuple(FLAGS.config_change_ok),
        branch_from=FLAGS.branch_from,
    )


def run():
    stop_signals.install()  # from here on, a signal stops the run cleanly (exit 0)
    # Configs import `configs.default`, so the folder holding configs/ must be importable
    # before absl parses --config.
    for arg in sys.argv[1:]:
        if arg.startswith("--config="):
            config_lib.make_configs_importable(arg.split("=", 1)[1])
    app.run(main, flags_parser=cli.parse_flags_reporting_errors)


if __name__ == "__main__":
    run()
