"""Reproduce a results table: train every family on several seeds, evaluate, summarize.

    python scripts/reproduce.py --table=sines --workdir=runs/repro_sines
    python scripts/reproduce.py --table=stocks --families=rgan --seeds=3 --repeats=5 \
        --workdir=runs/repro_stocks --override=train.num_steps=2000
    python scripts/reproduce.py --table=sines --workdir=... --print_commands   # for a cluster
    python scripts/reproduce.py --table=sines --families=rgan --seeds=3 --ensemble --workdir=...

Each family F of the table trains from `configs/<table>_<F>.py[:--config_arg]` with
`--config.seed=s` (s = 0 .. --seeds-1) and the `--override=field=value` fields into
`<workdir>/<F>/seed_<s>`, one `rgan.main` process per run, then is scored by
`rgan.evaluate` (discriminative, predictive, MMD², correlational, and the label accuracy
of class-conditional runs; `--repeats` each). With `--ensemble`, a family's seeds train
together as one ensemble (`train.ensemble=--seeds`, rgan/ensemble.py) in
`<workdir>/<F>/ensemble`: one process and one vmapped step for all of them, member s
being the run of seed s on the data of seed 0; each member is evaluated on its own
(`--member=s`). The wall time is then the ensemble's, for all its seeds together.
After each run, `<results_dir>/<table>.json` (everything: per seed, across seeds,
provenance) and `<table>.md` (the table) are rewritten; the rows of families that this
command does not run are kept, so several commands may fill one table.

Seeds can be added to a row later: `--first_seed=2 --seeds=1` trains seed 2 (in
`<workdir>/<F>/seed_2`, or with `--ensemble` its own `<workdir>/<F>/ensemble_from_seed_2`),
and the row then summarizes it with the seeds an earlier command trained, provided both
used the same config and overrides (checked before training; the order of the overrides
does not matter). A row of another recipe is replaced by a command from seed 0, and is an
error for one that adds seeds.

Re-running the same command continues: a run whose checkpoint is at its last step is not
trained again, an interrupted one resumes (rgan.main resumes by itself), and an
evaluation already at the run's checkpoint step with as many repeats is reused (delete
`<run>/eval` to redo it). Ctrl-C or SIGTERM lets the run save a checkpoint, then stops.
Training wall time (the `rgan.main` processes, start-up and compilation included) adds
up over resumes in `<run>/reproduce_run.json`.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import math
import os
import pathlib
import platform
import shlex
import signal
import subprocess
import sys
import time
import typing

from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
# The published benchmarks, and real datasets of users' kind (scripts/uea_data.py).
TABLES = ("sines", "stocks", "energy", "basicmotions", "japanesevowels")
FAMILIES = ("rgan", "timegan", "rcgan", "crnngan")
# label_accuracy is scored for runs with class conditions and skipped for the others.
METRICS = ("discriminative", "predictive", "mmd2", "correlational", "label_accuracy", "spread")
COLUMNS = {
    "discriminative": "disc. ↓",
    "predictive": "pred. ↓",
    "mmd2": "MMD²",
    "label_accuracy": "label acc. ↑",
    "spread": "spread ↑",
}
RUN_FILE = "reproduce_run.json"

FLAGS = flags.FLAGS


def _define_flags():
    # Defined only when run as a script, so that tests can import the functions below.
    flags.DEFINE_enum("table", None, TABLES, "Which results table to reproduce.")
    flags.DEFINE_list("families", None, f"Some of {FAMILIES}; default: those with a config.")
    flags.DEFINE_integer("seeds", 3, "Seeds per family, from --first_seed on.", lower_bound=1)
    flags.DEFINE_integer(
        "first_seed",
        0,
        "The first seed: --first_seed=2 --seeds=1 adds seed 2 to a table whose seeds 0 and 1 "
        "an earlier command trained (with the same config and overrides).",
        lower_bound=0,
    )
    flags.DEFINE_integer("repeats", 5, "Repeats of each metric.", lower_bound=1)
    flags.DEFINE_string("workdir", None, "Parent of the runs: <workdir>/<family>/seed_<s>.")
    flags.DEFINE_string("config_arg", None, "Config argument (after ':'), e.g. 'smoke'.")
    flags.DEFINE_multi_string("override", [], "A config field for every run: field=value.")
    flags.DEFINE_multi_string("eval_flag", [], "A flag for rgan.evaluate, e.g. --noplots.")
    flags.DEFINE_string("results_dir", str(REPO / "results"), "Where <table>.json, .md go.")
    flags.DEFINE_bool("print_commands", False, "Print the commands; run nothing.")
    flags.DEFINE_bool(
        "no_train",
        False,
        "Evaluate and collect runs already trained (e.g. to add a new metric); a run not "
        "trained to its end is an error instead of being trained.",
    )
    flags.DEFINE_bool(
        "ensemble",
        False,
        "Train each family's seeds as one ensemble run (train.ensemble=--seeds) in "
        "<workdir>/<family>/ensemble, and evaluate its members one by one.",
    )
    flags.mark_flags_as_required(["table", "workdir"])


def config_spec(table: str, family: str, arg: str | None) -> str:
    """`configs/<table>_<family>.py[:arg]`; an error naming the file if there is none."""
    path = REPO / "configs" / f"{table}_{family}.py"
    if not path.is_file():
        raise app.UsageError(f"No config for family {family!r} on {table!r}: {path} is missing.")
    return f"{path}:{arg}" if arg else str(path)


def load_config(spec: str, overrides: list[str]):
    """The config exactly as `rgan.main` would parse `--config=spec --config.<override>`.

    Parsing with ml_collections' own flag (in a private FlagValues) keeps the override
    syntax and type conversion identical to the training command, and a typo fails here,
    before any training starts.
    """
    from ml_collections import config_flags

    from rgan import config as config_lib

    config_lib.make_configs_importable(spec)
    argv = ["reproduce", f"--config={spec}", *(f"--config.{o}" for o in overrides)]
    values = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, "", flag_values=values, sys_argv=argv)
    try:
        values(argv)
    except (AttributeError, KeyError, ValueError, flags.Error) as e:  # e.g. a misspelt field
        raise app.UsageError(f"{spec} with --override={overrides}: {e}") from e
    return values.config


def phases(config) -> dict[str, int]:
    """Iterations per training phase (a ConfigDict or config.json's dict), as the families
    define them: TimeGAN's embedding, supervised and joint phases, one phase otherwise."""
    steps = config["train"]["num_steps"]
    if config["family"] == "timegan":
        tg = config["timegan"]
        return {
            "embedding": tg["embedding_steps"],
            "supervised": tg["supervised_steps"],
            "joint": steps,
        }
    return {"adversarial": steps}


def total_iterations(config) -> int:
    """The sum of `phases(config)`, or -1 while one is sized from the data (-1 steps)."""
    steps = phases(config).values()
    return -1 if any(n < 0 for n in steps) else sum(steps)


def saved_total(workdir: str) -> int:
    """`total_iterations` of the run's saved config.json (-1 before the run saved one)."""
    saved = read_json(os.path.join(workdir, "config.json"))
    return -1 if saved is None else total_iterations(saved)


def checkpoint_step(workdir: str) -> int | None:
    """The latest finished checkpoint's step, or None.

    Orbax names a finished checkpoint folder by its step and writes into a suffixed
    temporary folder until then. Listing the folders keeps orbax, and so jax's backend,
    out of this process: on a GPU, jax would reserve most of the memory the training
    processes need.
    """
    folder = os.path.join(workdir, "checkpoints")
    steps = [int(n) for n in os.listdir(folder) if n.isdigit()] if os.path.isdir(folder) else []
    return max(steps, default=None)


def read_json(path: str, default=None):
    if not os.path.isfile(path):
        return default
    with open(path) as f:
        return json.load(f)


def write_atomic(path: str, text: str) -> None:
    """Writes through a temporary file, so that an interrupted write leaves the old file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def run_command(args: list[str]) -> int:
    """Runs `args` and returns its exit status; on Ctrl-C (or SIGTERM, see `main`), stops
    the child with one SIGINT, waits for it, and raises KeyboardInterrupt.

    The child has its own process group, so that a terminal's Ctrl-C reaches only this
    process: rgan.main saves a checkpoint on the first SIGINT, but a second one, during
    that save, would abort it. `subprocess.run` would kill the child after 0.25 s instead.
    """
    child = subprocess.Popen(args, process_group=0)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        while child.poll() is None:
            try:
                child.wait()
            except KeyboardInterrupt:  # pressed again: the child is finishing; wait on
                pass
        raise


class SeedRun(typing.NamedTuple):
    """Where one (family, seed) of the table trains and is evaluated.

    workdir: the run's workdir (an ensemble's, for all its seeds); member: the seed's
    member of that ensemble, or None for a run of its own.
    """

    family: str
    seed: int
    spec: str
    workdir: str
    member: int | None = None

    @property
    def eval_folder(self) -> str:
        """The folder whose eval/ holds this seed's evaluations (as rgan.evaluate writes)."""
        if self.member is None:
            return self.workdir
        return os.path.join(self.workdir, "members", str(self.member))


def ensemble_folder(workdir: str, family: str, first_seed: int = 0) -> str:
    """<workdir>/<family>/ensemble, or for one whose seeds start later (added to a table
    later) <workdir>/<family>/ensemble_from_seed_<first_seed>: each its own run."""
    name = "ensemble" if first_seed == 0 else f"ensemble_from_seed_{first_seed}"
    return os.path.join(workdir, family, name)


def seed_runs(
    families: list[str],
    specs: dict,
    seeds: int,
    workdir: str,
    ensemble: bool,
    first_seed: int = 0,
):
    """The SeedRun of each family and seed (first_seed, ..., first_seed + seeds - 1):
    <workdir>/<family>/seed_<s>, or with `ensemble` the members of ensemble_folder."""
    runs = []
    for family in families:
        for seed in range(first_seed, first_seed + seeds):
            if ensemble:
                folder = ensemble_folder(workdir, family, first_seed)
                member = seed - first_seed
                runs.append(SeedRun(family, seed, specs[family], folder, member=member))
            else:
                folder = os.path.join(workdir, family, f"seed_{seed}")
                runs.append(SeedRun(family, seed, specs[family], folder))
    return runs


def train_command(spec: str, workdir: str, seed: int, overrides: list[str]) -> list[str]:
    args = [sys.executable, "-m", "rgan.main", f"--config={spec}", f"--workdir={workdir}"]
    return [*args, f"--config.seed={seed}", *(f"--config.{o}" for o in overrides)]


def run_training_command(run: SeedRun, seeds: int, overrides: list[str]) -> list[str]:
    """The rgan.main command that trains `run` (for an ensemble member: all members,
    member i being seed `run.seed - run.member + i`)."""
    if run.member is None:
        return train_command(run.spec, run.workdir, run.seed, overrides)
    first_seed = run.seed - run.member
    ensemble = [*overrides, f"train.ensemble={seeds}"]
    return train_command(run.spec, run.workdir, first_seed, ensemble)


def eval_command(
    workdir: str,
    repeats: int,
    eval_flags: list[str],
    member: int | None = None,
    metrics: typing.Sequence[str] = METRICS,
) -> list[str]:
    args = [sys.executable, "-m", "rgan.evaluate", f"--workdir={workdir}"]
    if member is not None:
        args.append(f"--member={member}")
    return [*args, f"--repeats={repeats}", f"--metrics={','.join(metrics)}", *eval_flags]


def train(args: list[str], workdir: str, total: int, allowed: bool = True) -> None:
    """Trains the run unless its checkpoint is at `total`; adds the wall time and the
    iterations to `workdir/reproduce_run.json`, also when interrupted. A negative `total`
    (train.num_steps=-1: sized from the data when training starts) is read from the
    run's saved config.json once it exists. `allowed=False` (--no_train) exits instead
    of training."""
    before = checkpoint_step(workdir) or 0
    if total < 0:
        total = saved_total(workdir)
    if 0 <= total <= before:
        print(f"== {workdir}: trained ({before} of {total} iterations), skipped", flush=True)
        return
    if not allowed:
        sys.exit(
            f"--no_train: {workdir} is trained to iteration {before} of "
            f"{total if total >= 0 else 'its end'}; drop --no_train to train it."
        )
    print(f"== {workdir}: training from iteration {before} of {total}", flush=True)
    start = time.perf_counter()
    status = None
    try:
        status = run_command(args)
    finally:
        seconds = time.perf_counter() - start
        after = checkpoint_step(workdir) or 0
        record = read_json(os.path.join(workdir, RUN_FILE), {})
        record["seconds"] = record.get("seconds", 0.0) + seconds
        record["iterations_trained"] = record.get("iterations_trained", 0) + after - before
        record.setdefault("sessions", []).append(
            {"command": shlex.join(args), "seconds": seconds, "from": before, "to": after}
        )
        write_atomic(os.path.join(workdir, RUN_FILE), json.dumps(record, indent=2))
    if total < 0:  # saved by the run once it started
        total = saved_total(workdir)
    if status != 0 or after < total:
        sys.exit(f"Training {workdir} stopped at {after} of {total} (exit status {status}).")


def step_report(run: SeedRun) -> dict | None:
    """The seed's evaluation report at its run's checkpoint step, if there is one."""
    step = checkpoint_step(run.workdir)
    return read_json(os.path.join(run.eval_folder, "eval", f"step_{step or 0:08d}", "metrics.json"))


def missing_metrics(run: SeedRun, repeats: int) -> list[str]:
    """The METRICS the seed's evaluation at its checkpoint step lacks: all of them without
    one with `repeats` repeats; only those added since it was made otherwise (rgan.evaluate
    adds them to that report)."""
    report = step_report(run)
    if not report or report["repeats"] != repeats:
        return list(METRICS)
    return [name for name in METRICS if name not in report["metrics"]]


def evaluation(run: SeedRun, repeats: int) -> dict | None:
    """The seed's evaluation at its run's checkpoint step if it has `repeats` and every
    metric."""
    return None if missing_metrics(run, repeats) else step_report(run)


def summarize_seeds(seeds: dict) -> dict:
    """Across seeds: {metric: {mean, std, n}} of each seed's mean over its repeats.

    seeds: {seed: {"metrics": {metric: {"mean", "std"} or {"skipped": why}}}}. std has
    ddof=1 (the seeds are a sample), None for a single seed.
    """
    summary = {}
    for name in METRICS:
        entries = [s["metrics"].get(name, {}) for s in seeds.values()]
        means = [e["mean"] for e in entries if "mean" in e]  # not the skipped ones
        if not means:
            continue
        mean = sum(means) / len(means)
        std = None
        if len(means) > 1:
            std = math.sqrt(sum((m - mean) ** 2 for m in means) / (len(means) - 1))
        summary[name] = {"mean": mean, "std": std, "n": len(means)}
    return summary


def seed_result(workdir: str, report: dict) -> dict:
    """One seed's entry of the results: schedule, wall time (an ensemble's: of all its
    members together), metrics' mean and std."""
    config = read_json(os.path.join(workdir, "config.json"))
    schedule = phases(config)
    run = read_json(os.path.join(workdir, RUN_FILE), {})
    # The spread's range of per-feature ratios is kept: the criterion is on every feature.
    kept = ("mean", "std", "min", "max")
    metrics = {
        name: {"skipped": r["skipped"]} if "skipped" in r else {k: r[k] for k in kept if k in r}
        for name, r in report["metrics"].items()
    }
    return {
        "workdir": os.path.abspath(workdir),
        "iterations": sum(schedule.values()),
        "phases": schedule,
        "wall_seconds": run.get("seconds"),
        "ensemble": config["train"].get("ensemble", 1),
        "step": report["step"],
        "repeats": report["repeats"],
        "units": report.get("units"),
        "metrics": metrics,
    }


def git_commit(results_dir: str) -> str:
    """HEAD, with "-dirty" if the work tree differs from it (outside `results_dir`, which
    this script itself rewrites)."""

    def git(*args):
        out = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return "unknown"
    pathspec = ["--", "."]
    results = os.path.relpath(os.path.abspath(results_dir), REPO)
    if not results.startswith(".."):
        pathspec.append(f":(exclude){results}")
    return commit + ("-dirty" if git("status", "--porcelain", *pathspec) else "")


def _count(n: int) -> str:
    """12000 -> '12k'; 500 -> '500'."""
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def _duration(seconds: float | None) -> str:
    """Seconds as '42 s', '25 min' or '1.8 h' ('' for None)."""
    if seconds is None:
        return ""
    if seconds < 100:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 6000 else f"{seconds / 3600:.1f} h"


def _mean_std(summary: dict | None) -> str:
    if summary is None:
        return ""
    std = summary["std"]
    return f"{summary['mean']:.3f}" + ("" if std is None else f" ± {std:.3f}")


def run_cells(entry: dict) -> list[str]:
    """A family's seeds done ("2 of 3"), its schedules ("10k + 10k + 10k") and its mean
    training wall time per seed, as table cells."""
    seeds = entry["seeds"].values()
    # One schedule per family unless overrides changed between runs: then all show.
    schedules = {" + ".join(_count(n) for n in s["phases"].values()) for s in seeds}
    done = f"{len(seeds)}" + (
        f" of {entry['seeds_requested']}" if len(seeds) < entry["seeds_requested"] else ""
    )
    return [done, " / ".join(sorted(schedules)), _wall_cell(seeds)]


def _wall_cell(seeds) -> str:
    """The mean training wall time per seed; seeds trained as ensembles of K (whose wall
    time is the ensemble's, for all K) apart from those of other sizes, largest first:
    "4.2 h (2 in one ensemble) / 2.5 h"."""
    walls_by_members = {}
    for seed in seeds:
        if seed["wall_seconds"] is not None:
            walls = walls_by_members.setdefault(seed.get("ensemble", 1), [])
            walls.append(seed["wall_seconds"])
    cells = []
    for members in sorted(walls_by_members, reverse=True):
        walls = walls_by_members[members]
        cell = _duration(sum(walls) / len(walls))
        cells.append(cell + (f" ({members} in one ensemble)" if members > 1 else ""))
    return " / ".join(cells)


def render_markdown(results: dict) -> str:
    """The table of `results` (as written to <table>.json): one row per family."""
    shown = {f: e for f, e in results["families"].items() if e["seeds"]}
    # Columns of the metrics some row scored (e.g. no label accuracy without classes).
    metrics = [m for m in METRICS if any(m in e["summary"] for e in shown.values())]
    header = ["family", "seeds", "iterations", "wall time"]
    header += [COLUMNS.get(m, m) for m in metrics]
    lines = [
        f"# {results['table']}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for family, entry in shown.items():
        row = [family, *run_cells(entry)]
        row += [_mean_std(entry["summary"].get(m)) for m in metrics]
        lines.append("| " + " | ".join(row) + " |")
    # The rows of families kept from an earlier command (see write_results) name theirs.
    commands = dict.fromkeys(c for e in shown.values() for c in _entry_commands(e, results))
    lines += [
        "",
        "Mean ± standard deviation over seeds of each seed's mean over its repeats of the "
        "metric; wall time: training, per seed.",
        "",
        "; ".join(f"`{c}`" for c in commands) + f" at commit `{results['commit']}` "
        f"({results['date']}, {results['machine']}, jax {results['jax']}).",
    ]
    return "\n".join(lines) + "\n"


def collect(runs: list[SeedRun], repeats: int, overrides: list[str]) -> dict:
    """{family: entry} of every evaluated run."""
    command = _command()
    families = {}
    for run in runs:
        entry = families.setdefault(
            run.family,
            {
                "config": os.path.relpath(run.spec, REPO),
                "overrides": overrides,
                "command": command,
                "seeds_requested": 0,
                "requested": [],
                "seeds": {},
            },
        )
        entry["seeds_requested"] += 1
        entry["requested"].append(run.seed)
        report = evaluation(run, repeats)
        if report is not None:
            entry["seeds"][str(run.seed)] = seed_result(run.workdir, report)
    for entry in families.values():
        entry["summary"] = summarize_seeds(entry["seeds"])
    return families


def _command() -> str:
    return shlex.join(["python", *sys.argv])


def machine_description(cpuinfo: str = "/proc/cpuinfo") -> str:
    """'Linux-6.18-...-x86_64-with-glibc2.36, 2 CPUs (AMD EPYC, avx2)'.

    The CPU model and its widest vector instructions (avx512f, avx2, avx) too: rgan's small
    recurrent matmuls ran twice as fast, as a ratio to the naive step, on one 2-core machine
    as on another (results/speed_own_data.md against speed_own_data_idle_cpu.md), so
    results from different machines are compared knowing which was which.
    """
    model, vector = "", ""
    try:
        with open(cpuinfo) as f:
            lines = f.read().splitlines()
    except OSError:  # not Linux: the platform string alone
        lines = []
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "model name" and not model:
            model = value.strip()
        elif key.strip() == "flags" and not vector:
            present = set(value.split())
            vector = next((v for v in ("avx512f", "avx2", "avx") if v in present), "")
    details = ", ".join(part for part in (model, vector) if part)
    return f"{platform.platform()}, {os.cpu_count()} CPUs" + (f" ({details})" if details else "")


def provenance(results_dir: str) -> dict:
    """How and where the results were made."""
    return {
        "command": _command(),
        "commit": git_commit(results_dir),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "jax": importlib.metadata.version("jax"),
    }


def _entry_commands(entry: dict, results: dict) -> list[str]:
    """The commands that made a family's row (several when seeds were added later)."""
    return entry.get("commands") or [entry.get("command", results["command"])]


def _requested(entry: dict) -> list[int]:
    # Entries written before --first_seed existed requested seeds 0 .. seeds_requested - 1.
    return entry.get("requested", list(range(entry["seeds_requested"])))


def _fields(overrides: list[str]) -> dict:
    """{field: value} of --override flags, the last one winning as in the config."""
    return dict(o.split("=", 1) for o in overrides)


def same_recipe(earlier: dict, entry: dict) -> bool:
    """Whether two entries of a family trained from one config and the same overrides
    (in any order), so that their seeds may be summarized together."""
    keys = ("config", "overrides")
    if any(k not in earlier for k in keys):
        return False
    return earlier["config"] == entry["config"] and _fields(earlier["overrides"]) == _fields(
        entry["overrides"]
    )


def merge_entry(earlier: dict | None, entry: dict, results: dict) -> dict:
    """A family's row: `entry` (this command's seeds), with the seeds of an `earlier` row of
    the same recipe that this command did not request (added with --first_seed) kept.
    An earlier row of another recipe is replaced."""
    if not earlier or not same_recipe(earlier, entry):
        return entry
    kept = [s for s in _requested(earlier) if s not in entry["requested"]]
    if not kept:
        return entry
    seeds = {**{str(s): earlier["seeds"][str(s)] for s in kept if str(s) in earlier["seeds"]}}
    seeds.update(entry["seeds"])
    requested = sorted({*kept, *entry["requested"]})
    commands = _entry_commands(earlier, results) + _entry_commands(entry, results)
    return {
        **entry,
        "commands": list(dict.fromkeys(commands)),
        "requested": requested,
        "seeds_requested": len(requested),
        "seeds": {k: seeds[k] for k in sorted(seeds, key=int)},
        "summary": summarize_seeds(seeds),
    }


# Fields in which the seeds of one recipe differ (an ensemble's members: in their run's
# seed and size; the data seed follows the seed unless set).
PER_SEED_FIELDS = ("seed", "data.seed", "train.ensemble", "train.ensemble_sweep")


def recipe_differences(saved: dict, config: dict) -> list[str]:
    """'field: saved -> new' for each field in which an earlier run's saved config.json
    and this command's config (a dict) differ, as a resumed run compares them (fields
    added to rgan since take the values that keep the old behaviour; the iteration budget
    and bookkeeping are not compared: rgan.config.RESUMABLE_FIELDS), apart from
    PER_SEED_FIELDS. Catches a config file edited between the two commands."""
    from rgan.config import incompatible_fields, with_added_fields

    config = json.loads(json.dumps(config))  # tuples as JSON lists, as saved
    return [
        f"{field}: {old!r} -> {new!r}"
        for field, old, new in incompatible_fields(with_added_fields(saved), config)
        if field not in PER_SEED_FIELDS
    ]


def check_adding_seeds(results_dir: str, table: str, entries: dict, first_seed: int) -> None:
    """Exits before any training when --first_seed adds seeds to a row of <table>.json
    made from another recipe: their mean would mix two. entries: {family: {"config",
    "overrides", "resolved"}} of this command ("resolved": its config as a dict). The
    config path and overrides are compared, and the config itself with that of an
    earlier seed's run (its saved config.json, where its workdir still exists)."""
    if first_seed == 0:
        return
    path = os.path.join(results_dir, table) + ".json"
    earlier = read_json(path, {}).get("families", {})
    for family, entry in entries.items():
        if family not in earlier:
            continue
        row = earlier[family]
        if not same_recipe(row, entry):
            sys.exit(
                f"--first_seed={first_seed} adds seeds to the {family} row of {path}, "
                f"which was made with {row.get('config')} and overrides "
                f"{row.get('overrides')}, not {entry['config']} and {entry['overrides']}: "
                "use the same --override flags (in any order), or another --results_dir "
                "for a new recipe."
            )
        for seed in row["seeds"].values():
            saved = seed.get("workdir") and read_json(os.path.join(seed["workdir"], "config.json"))
            if not saved:
                continue
            differences = recipe_differences(saved, entry["resolved"])
            if differences:
                sys.exit(
                    f"--first_seed={first_seed} adds seeds to the {family} row of {path}, "
                    f"but {entry['config']} has changed since {seed['workdir']} was "
                    f"trained: {'; '.join(differences)}. Put the old values back with "
                    "--override (the row's overrides must then be the same), or write "
                    "the new recipe to another --results_dir."
                )
            break  # the seeds of one row share a recipe


def write_results(results: dict, results_dir: str) -> None:
    """Writes <table>.json and .md, keeping the families of an earlier <table>.json that
    this command does not run: a table may be filled by several commands (say, TimeGAN
    with other iteration counts than the rest). A family's row keeps the earlier seeds of
    the same recipe that this command did not request (see merge_entry)."""
    base = os.path.join(results_dir, results["table"])
    earlier = read_json(base + ".json", {}).get("families", {})
    merged = {f: merge_entry(earlier.get(f), e, results) for f, e in results["families"].items()}
    families = {**earlier, **merged}
    results["families"] = {f: families[f] for f in sorted(families, key=_family_order)}
    write_atomic(base + ".json", json.dumps(results, indent=2) + "\n")
    write_atomic(base + ".md", render_markdown(results))


def _family_order(family: str):
    return (FAMILIES.index(family) if family in FAMILIES else len(FAMILIES), family)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    # A scheduler's SIGTERM (preemption, time limit) stops the runs as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    table = FLAGS.table
    families = FLAGS.families or [
        f for f in FAMILIES if (REPO / "configs" / f"{table}_{f}.py").is_file()
    ]
    specs = {family: config_spec(table, family, FLAGS.config_arg) for family in families}
    runs = seed_runs(families, specs, FLAGS.seeds, FLAGS.workdir, FLAGS.ensemble, FLAGS.first_seed)
    # Every config is built first, so that a typo in an override fails before any training.
    configs = {spec: load_config(spec, FLAGS.override) for spec in specs.values()}
    totals = {spec: total_iterations(config) for spec, config in configs.items()}
    recipes = {
        family: {
            "config": os.path.relpath(spec, REPO),
            "overrides": FLAGS.override,
            "resolved": configs[spec].to_dict(),
        }
        for family, spec in specs.items()
    }
    check_adding_seeds(FLAGS.results_dir, table, recipes, FLAGS.first_seed)
    trainings = {
        run.workdir: run_training_command(run, FLAGS.seeds, FLAGS.override) for run in runs
    }
    if FLAGS.print_commands:
        printed = set()
        for run in runs:
            if run.workdir not in printed:  # an ensemble trains once for all its seeds
                printed.add(run.workdir)
                print(shlex.join(trainings[run.workdir]))
            print(shlex.join(eval_command(run.workdir, FLAGS.repeats, FLAGS.eval_flag, run.member)))
        return
    try:
        for run in runs:
            train(trainings[run.workdir], run.workdir, totals[run.spec], not FLAGS.no_train)
            where = run.eval_folder
            missing = missing_metrics(run, FLAGS.repeats)
            if missing:
                args = eval_command(
                    run.workdir, FLAGS.repeats, FLAGS.eval_flag, run.member, missing
                )
                status = run_command(args)
                if status != 0:
                    sys.exit(f"Evaluating {where} failed (exit status {status}).")
            else:
                print(f"== {where}: evaluated at this step, skipped", flush=True)
            results = {
                "table": table,
                **provenance(FLAGS.results_dir),
                "repeats": FLAGS.repeats,
                "metrics": list(METRICS),
                "eval_flags": FLAGS.eval_flag,
                "families": collect(runs, FLAGS.repeats, FLAGS.override),
            }
            write_results(results, FLAGS.results_dir)
    except KeyboardInterrupt:
        sys.exit("Interrupted; run the same command again to continue.")
    print(f"Wrote {os.path.join(FLAGS.results_dir, table)}.json and .md")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
