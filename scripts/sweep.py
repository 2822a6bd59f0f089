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

`--ensemble_sweep` goes further: points that differ only in learning rates
(`optim.<name>.learning_rate`) and loss weights (`gan.moment_weight`, `gan.gp_weight`,
`gan.label_smoothing`; TimeGAN's `timegan.gamma`, `timegan.supervised_weight`,
`timegan.moment_weight`) train together as one ensemble, P points x K
seeds in one vmapped step (`train.ensemble_sweep`, rgan/ensemble.py), in a workdir named
after what they share plus `sweep`. Each point's entry in sweep.json then names its run and its
members there (`--member=i` samples and evaluates one).
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
flags.DEFINE_bool(
    "ensemble_sweep",
    False,
    "Train the points that differ only in learning rates or loss weights as one ensemble "
    "(train.ensemble_sweep).",
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


def _load(overrides: dict):
    from rgan.config import load_config

    return load_config(FLAGS.config, **{k.replace(".", "__"): v for k, v in overrides.items()})


def _point_run(index: int, overrides: dict, seeds: int) -> dict:
    """The run of one point: itself, or an ensemble of `seeds` seeds."""
    run = {**overrides, "train.ensemble": seeds} if seeds > 1 else dict(overrides)
    members = list(range(seeds)) if seeds > 1 else None
    return {"name": point_name(index, run), "overrides": run, "points": [(index, run, members)]}


def plan_runs(points: list[dict], seeds: int, ensemble_sweep: bool) -> list[dict]:
    """The runs that train `points`: [{"name", "overrides", "points": [(index, point
    overrides, member indices or None)]}], one run per point, or with `ensemble_sweep` one
    per group of points that differ only in fields an ensemble may sweep."""
    from rgan import config as config_lib
    from rgan.ensemble import is_sweepable

    if not ensemble_sweep:
        return [_point_run(i, overrides, seeds) for i, overrides in enumerate(points)]
    groups: dict[str, list[int]] = {}
    for i, overrides in enumerate(points):
        shared = {k: v for k, v in overrides.items() if not is_sweepable(k)}
        groups.setdefault(json.dumps(shared, sort_keys=True), []).append(i)
    runs = []
    for key, indices in groups.items():
        shared = json.loads(key)
        swept = sorted({k for i in indices for k in points[i] if is_sweepable(k)})
        if len(indices) == 1 or not swept:  # nothing to put side by side
            runs += [_point_run(i, points[i], seeds) for i in indices]
            continue
        # A point that leaves a swept field unset trains with the config's value.
        configs = [_load(points[i]) for i in indices]
        values = {field: [config_lib.get_field(c, field) for c in configs] for field in swept}
        sweep = ";".join(f"{f}={','.join(str(v) for v in vs)}" for f, vs in values.items())
        overrides = {
            **shared,
            "train.ensemble": len(indices) * seeds,
            "train.ensemble_sweep": sweep,
        }
        members = [list(range(p * seeds, (p + 1) * seeds)) for p in range(len(indices))]
        runs.append(
            {
                "name": point_name(indices[0], {**shared, "sweep": len(indices)}),
                "overrides": overrides,
                "points": [(i, points[i], m) for i, m in zip(indices, members, strict=True)],
            }
        )
    return runs


def main(argv):
    del argv
    from rgan import train
    from rgan.ensemble import member_dir
    from rgan.metric_log import read_metrics

    runs = plan_runs(sweep_points(FLAGS.config), FLAGS.seeds, FLAGS.ensemble_sweep)
    for run in runs:
        run["workdir"] = os.path.join(FLAGS.workdir, run["name"])
    if FLAGS.print_commands:
        for run in runs:
            print(command(FLAGS.config, run["workdir"], run["overrides"]))
        return
    # Build every run's config first, so that a typo fails before any training.
    configs = [_load(run["overrides"]) for run in runs]
    os.makedirs(FLAGS.workdir, exist_ok=True)
    summary = []
    for run, config in zip(runs, configs, strict=True):
        workdir = run["workdir"]
        print(f"== {workdir}", flush=True)
        train.train_and_evaluate(config, workdir)
        history = read_metrics(workdir)
        for index, overrides, members in run["points"]:
            point = {"point": index, "workdir": workdir, "overrides": overrides}
            if members is None:
                point["last"] = history[-1] if history else {}
            else:
                # One row per member of this point; "last" is their mean where the run
                # holds other points too.
                records = [read_metrics(member_dir(workdir, i)) for i in members]
                point["member_indices"] = members
                point["members"] = [r[-1] if r else {} for r in records]
                point["last"] = (
                    _mean_of(point["members"])
                    if len(run["points"]) > 1
                    else (history[-1] if history else {})
                )
            summary.append(point)
        summary.sort(key=lambda p: p["point"])
        with open(os.path.join(FLAGS.workdir, "sweep.json"), "w") as f:
            json.dump(summary, f, indent=2)


def _mean_of(records: list[dict]) -> dict:
    """The mean of each number over `records` (text fields: the first's)."""
    from rgan.ensemble import mean_record

    return mean_record(records) if all(records) else {}


if __name__ == "__main__":
    app.run(main)
