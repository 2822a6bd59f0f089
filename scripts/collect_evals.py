"""Collect finished runs' evaluations into one results table (an ablation, a comparison).

    python scripts/collect_evals.py --name=ablation_jv --out=results \
        --run=baseline=runs/jv_a --run=seq_noise=runs/jv_b [--against=baseline]
    python scripts/collect_evals.py --name=ablation_sines \
        --run=paper=runs/a/seed_0,runs/a/seed_1,runs/a/seed_2 --run=ema=runs/b/seed_0,...

Each `--run=LABEL=WORKDIR` contributes its `eval/metrics.json` (the default weights: the
moving average where the run kept one) and, when present, `eval/metrics_raw.json` (the
raw weights), with the config fields in which it differs from the `--against` run (by
default the first). Writes `<out>/<name>.json` (everything, with the workdirs, steps,
repeats, training wall time from metrics.jsonl, the commit) and `<out>/<name>.md`.
An ensemble's member is given by its folder, `ENSEMBLE/members/<i>` (its config is the
member's: rgan/ensemble.py). `--run=LABEL=DIR1,DIR2,...` (one run per training seed)
reports, per metric, the mean and the standard deviation (ddof=1) over the seeds of
each seed's mean over its repeats.

`--append` adds rows to an existing `<out>/<name>.json` instead of starting it again: its
rows are kept (their workdirs need not exist any more), a row given again with the same
label is replaced, and every command that wrote the table is listed with its commit.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess

from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
METRICS = ("discriminative", "predictive", "label_accuracy")
FLAGS = flags.FLAGS


def _read(path):
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _flatten(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differences(config: dict, reference: dict) -> dict:
    """{field: value} of `config` where it differs from `reference` (bookkeeping fields
    such as log cadence left out). `data.seed` is compared as the seed the data are made
    with: an ensemble member's explicit data seed 0 is a single run's -1 (= its seed 0)."""
    from rgan.config import with_added_fields  # older runs lack fields added since

    ignored = ("train.log_every", "train.checkpoint_every", "train.plot_every", "train.progress")
    a, b = _flatten(with_added_fields(config)), _flatten(with_added_fields(reference))
    for flat in (a, b):
        if flat.get("data.seed") == -1:  # rgan.data.dataset.data_seed
            flat["data.seed"] = flat.get("seed")
    return {
        k: a.get(k) for k in sorted(set(a) | set(b)) if k not in ignored and a.get(k) != b.get(k)
    }


def _member_config(folder: str) -> dict | None:
    """The config of an ensemble member given by its folder `<ensemble>/members/<i>`
    (rgan/ensemble.py), or None when `folder` is not one."""
    import ml_collections

    from rgan.config import to_dict, with_added_fields
    from rgan.ensemble import member_config, member_of_dir

    found = member_of_dir(folder)
    saved = found and _read(os.path.join(found[0], "config.json"))
    if not saved:
        return None
    config = ml_collections.ConfigDict(with_added_fields(saved))
    return to_dict(member_config(config, found[1]))


def summarize_run(label: str, workdir: str) -> dict:
    config = _read(os.path.join(workdir, "config.json")) or _member_config(workdir)
    if config is None:
        raise app.UsageError(f"--run={label}={workdir}: no config.json there.")
    entry = {"label": label, "workdir": os.path.abspath(workdir), "config": config}
    for weights, name in (("default", "metrics.json"), ("raw", "metrics_raw.json")):
        report = _read(os.path.join(workdir, "eval", name))
        if report is None:
            continue
        entry[weights] = {
            "weights": report.get("weights"),
            "step": report["step"],
            "repeats": report["repeats"],
            "metrics": {
                m: {k: v for k, v in r.items() if k in ("mean", "std", "skipped")}
                for m, r in report["metrics"].items()
                if m in METRICS
            },
        }
        spread = report["metrics"].get("spread", {})
        if spread.get("changes"):  # per-feature ratios (rgan/metrics/spread.py)
            entry[weights]["spread"] = {
                k: spread.get(k) for k in ("ratios", "within_sequence", "changes")
            }
    if "default" not in entry:
        raise app.UsageError(f"--run={label}={workdir}: not evaluated (no eval/metrics.json).")
    records = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    entry["train_seconds"] = training_seconds(records, config["train"]["log_every"])
    return entry


def training_seconds(records: list[dict], log_every: int) -> float:
    """Wall time of training: the steps between log records over their logged rates.

    The first record counts the `log_every` steps before it, not every step since 0: a run
    continued from a copied checkpoint (step 12,000, say) without the copy's metrics.jsonl
    starts its log there, and its first record's rate is that of its own first steps.
    """
    seconds, last = 0.0, None
    for record in records:
        since = last if last is not None else max(record["step"] - log_every, 0)
        if record.get("steps_per_sec"):
            seconds += (record["step"] - since) / record["steps_per_sec"]
        last = record["step"]
    return seconds


def summarize_seeds(label: str, workdirs: list[str]) -> dict:
    """One row from several seeds' runs of one setting: per metric, the mean and std
    (ddof=1) over seeds of each seed's mean; the seeds' own entries kept under "seeds"."""
    seeds = [summarize_run(label, w) for w in workdirs]
    if len(seeds) == 1:
        return seeds[0]
    entry = {
        "label": label,
        "workdir": [s["workdir"] for s in seeds],
        "config": seeds[0]["config"],
        "seeds": seeds,
        "train_seconds": sum(s["train_seconds"] for s in seeds) / len(seeds),
    }
    for weights in ("default", "raw"):
        if not all(weights in s for s in seeds):
            continue
        metrics = {}
        for name in METRICS:
            means = [
                s[weights]["metrics"][name]["mean"]
                for s in seeds
                if "mean" in s[weights]["metrics"].get(name, {})
            ]
            if len(means) == len(seeds):
                mean = sum(means) / len(means)
                var = sum((m - mean) ** 2 for m in means) / (len(means) - 1)
                metrics[name] = {"mean": mean, "std": var**0.5, "seeds": len(means)}
        first = seeds[0][weights]
        entry[weights] = {**first, "metrics": metrics, "step": [s[weights]["step"] for s in seeds]}
    return entry


def _cell(metrics: dict, name: str) -> str:
    r = metrics.get(name)
    if r is None or "skipped" in r:
        return ""
    return f"{r['mean']:.3f} ± {r['std']:.3f}"


def _changes_cell(entry: dict, weights: str) -> str:
    """The range of the generated-to-real ratios of step-to-step change stds over the
    features (and seeds), where the runs scored the spread."""
    reports = [s.get(weights, {}) for s in entry.get("seeds", [entry])]
    ratios = [r for report in reports for r in report.get("spread", {}).get("changes") or [] if r]
    return f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else ""


def render(results: dict) -> str:
    changes = any(_changes_cell(run, "default") for run in results["runs"])
    lines = [
        f"# {results['name']}",
        "",
        "| run | seeds | differs from the first run in | weights | disc. ↓ | pred. ↓ | "
        "label acc. ↑ | " + ("step changes gen/real | " if changes else "") + "train |",
        "|---|---|---|---|---|---|---|---|" + ("---|" if changes else ""),
    ]
    for run in results["runs"]:
        diff = ", ".join(f"{k}={v}" for k, v in run["differs"].items()) or "(reference)"
        for weights in ("default", "raw"):
            if weights not in run:
                continue
            report = run[weights]
            cells = [_cell(report["metrics"], m) for m in METRICS]
            if changes:
                cells.append(_changes_cell(run, weights))
            seeds = len(run.get("seeds", [run]))
            lines.append(
                f"| {run['label']} | {seeds} | {diff if weights == 'default' else ''} | "
                f"{report['weights']} | " + " | ".join(cells) + f" | {run['train_seconds']:.0f} s |"
            )
    history = results.get("history") or [results]
    lines += [
        "",
        "One seed: mean ± std over the evaluation's repeats "
        f"({', '.join(sorted({str(r['default']['repeats']) for r in results['runs']}))}); "
        "several seeds: mean ± std (ddof=1) over seeds of each seed's mean over its repeats; "
        "train: training wall time from metrics.jsonl, per seed (machine shared with other "
        "runs; a run continued from a copied checkpoint: its own steps only)."
        + (
            " Step changes: the range over features (and seeds) of the generated-to-real "
            "ratio of the standard deviations of step-to-step changes (1 = as rough as "
            "the real data; rgan.evaluate's spread metric)."
            if changes
            else ""
        ),
        "",
        *(f"`{h['command']}` at commit `{h['commit']}` ({h['date']})." for h in history),
    ]
    return "\n".join(lines) + "\n"


def collect(
    name: str, out: str, run_specs: list[str], against: str | None = None, append: bool = False
) -> str:
    """Writes `<out>/<name>.json` and `.md` from `LABEL=WORKDIR[,WORKDIR...]` specs (after
    the rows already there with `append`); returns their common path without the suffix."""
    base = os.path.join(out, name)
    previous = _read(base + ".json") if append else None
    if append and previous is None:
        raise app.UsageError(f"--append: there is no {base}.json to add to; drop --append.")
    runs = []
    for spec in run_specs:
        label, _, workdir = spec.partition("=")
        if not workdir:
            raise app.UsageError(f"--run={spec!r}: expected LABEL=WORKDIR.")
        runs.append(summarize_seeds(label, workdir.split(",")))
    if previous is not None:
        given = {r["label"] for r in runs}
        runs = [r for r in previous["runs"] if r["label"] not in given] + runs
    reference = next((r for r in runs if r["label"] == against), runs[0])
    for run in runs:
        run["differs"] = differences(run["config"], reference["config"])
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    flags_given = [f"--name={name}", *(f"--run={r}" for r in run_specs)]
    if against:
        flags_given.append(f"--against={against}")
    if append:
        flags_given.append("--append")
    this = {
        "command": "python scripts/collect_evals.py " + " ".join(flags_given),
        "commit": commit,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    history = []
    if previous is not None:  # tables written before --append existed hold one command
        history = previous.get("history") or [
            {k: previous[k] for k in ("command", "commit", "date")}
        ]
    # The latest command also at the top level, where the table's readers look.
    results = {"name": name, **this, "history": [*history, this], "runs": runs}
    os.makedirs(out, exist_ok=True)
    for path, text in (
        (base + ".json", json.dumps(results, indent=2)),
        (base + ".md", render(results)),
    ):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return base


def main(argv):
    del argv
    base = collect(FLAGS.name, FLAGS.out, FLAGS.run, FLAGS.against, FLAGS.append)
    print(f"Wrote {base}.json and .md")


if __name__ == "__main__":
    flags.DEFINE_string("name", None, "Table name: <out>/<name>.json, .md.", required=True)
    flags.DEFINE_string("out", str(REPO / "results"), "Folder for the table.")
    flags.DEFINE_multi_string("run", [], "LABEL=WORKDIR of an evaluated run.")
    flags.DEFINE_string("against", None, "The label that the others are compared with.")
    flags.DEFINE_bool(
        "append", False, "Add the runs to the existing table; its rows stay (same label: replaced)."
    )
    app.run(main)
