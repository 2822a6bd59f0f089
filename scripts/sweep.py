"""Run every point of a config's sweep, one workdir per point.

    python scripts/sweep.py --config=configs/sines_rgan.py --workdir=runs/sines_sweep
    python scripts/sweep.py --config=... --workdir=... --print_commands   # for a cluster
    python scripts/sweep.py --config=... --workdir=... --seeds=4   # 4 seeds per point

The config module defines `sweep(add)`, calling `add(...)` once per point with the
fields to override (dotted names; `__` may stand for the dots in keyword form):

    def sweep(add):
        for lr in (1e-3, 3e-4):
            add({"optim.generator.learning_rate": lr, "optim.discriminator.learning_rate": lr})

Points run one after another in this process; a point whose run is complete is skipped
and an interrupted one resumes (the usual workdir rules). `workdir/sweep.json` lists the
points, their workdirs and their last logged metrics.

`--seeds=K` trains each point as an ensemble of K seeds (`train.ensemble=K`,
rgan/ensemble.py): one vmapped step for the K models, member i the point's run of seed
`seed + i`; sweep.json then holds the members' mean and each member's last metrics.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("config", None, "Config file (with optional ':arg') defining sweep(add).")
flags.DEFINE_string("workdir", None, "Parent folder of the points' workdirs.")
flags.DEFINE_bool("print_commands", False, "Print one rgan.main command per point and exit.")
flags.DEFINE_integer(
    "seeds", 1, "Seeds per point, trained together as one ensemble (train.ensemble).", lower_bound=1
)
flags.mark_flags_as_required(["config", "workdir"])


def sweep_points(config_spec: str) -> list[dict]:
    """The override dicts that the config module's `sweep(add)` adds, in order."""
    from rgan import config as config_lib

    path = config_spec.split(":")[0]
    config_lib.make_configs_importable(path)
    spec = importlib.util.spec_from_file_location("rgan_sweep_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "sweep"):
        raise ValueError(f"{path} defines no sweep(add) function; see scripts/sweep.py.")
    points: list[dict] = []

    def add(overrides: dict | None = None, **kwargs):
        point = dict(overrides or {})
        point.update({k.replace("__", "."): v for k, v in kwargs.items()})
        points.append(point)

    module.sweep(add)
    if not points:
        raise ValueError(f"sweep(add) in {path} added no points.")
    return points


def point_name(index: int, overrides: dict) -> str:
    """A readable, file-system-safe folder name, e.g. `03_learning_rate=0.001_hidden=48`."""
    parts = [f"{key.split('.')[-1]}={value}" for key, value in overrides.items()]
    name = re.sub(r"[^A-Za-z0-9_.=,-]+", "-", "_".join(parts))[:120]
    return f"{index:02d}_{name}" if name else f"{index:02d}"


def command(config_spec: str, workdir: str, overrides: dict) -> str:
    args = [sys.executable, "-m", "rgan.main", f"--config={config_spec}", f"--workdir={workdir}"]
    args += [f"--config.{key}={value}" for key, value in overrides.items()]
    return shlex.join(args)


def main(argv):
    del argv
    from rgan import train
    from rgan.config import load_config
    from rgan.ensemble import member_dir
    from rgan.metric_log import read_metrics

    points = sweep_points(FLAGS.config)
    if FLAGS.seeds > 1:
        points = [{**overrides, "train.ensemble": FLAGS.seeds} for overrides in points]
    runs = [
        (os.path.join(FLAGS.workdir, point_name(i, overrides)), overrides)
        for i, overrides in enumerate(points)
    ]
    if FLAGS.print_commands:
        for workdir, overrides in runs:
            print(command(FLAGS.config, workdir, overrides))
        return
    # Build every point's config first, so that a typo fails before any training.
    configs = [
        load_config(FLAGS.config, **{k.replace(".", "__"): v for k, v in overrides.items()})
        for _, overrides in runs
    ]
    os.makedirs(FLAGS.workdir, exist_ok=True)
    summary = []
    for (workdir, overrides), config in zip(runs, configs, strict=True):
        print(f"== {workdir}", flush=True)
        train.train_and_evaluate(config, workdir)
        history = read_metrics(workdir)
        point = {"workdir": workdir, "overrides": overrides, "last": history[-1] if history else {}}
        if FLAGS.seeds > 1:
            members = [read_metrics(member_dir(workdir, i)) for i in range(FLAGS.seeds)]
            point["members"] = [records[-1] if records else {} for records in members]
        summary.append(point)
        with open(os.path.join(FLAGS.workdir, "sweep.json"), "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    app.run(main)
