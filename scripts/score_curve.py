"""Score versus training iterations: evaluate a run's kept checkpoints, one table and plot.

    python scripts/score_curve.py --name=curve_sines_rcgan \
        --run=runs/sines_rcgan/rcgan/ensemble:0,1,2 --every=2000 --metrics=discriminative \
        --target=discriminative=0.05

Each `--run=WORKDIR` (a run of its own) or `--run=WORKDIR:M1,M2,...` (members of an
ensemble, train.ensemble=K) is one training seed. Every checkpoint step that is a multiple
of `--every`, and the last one, is scored by rgan.evaluate (`evaluate_run(step=...)`, the
moving average where the run kept one, `--repeats` repeats). A run keeps only its newest
`train.keep_checkpoints` checkpoints (3 by default), so train with
`--config.train.keep_checkpoints=0` (all) to have a curve to draw.

Reports go where rgan.evaluate puts them (`<run>/eval/step_<step>/metrics.json`); one that
already has the metrics with at least `--repeats` repeats is read, not recomputed, so an
interrupted command continues where it stopped. Writes `<out>/<name>.json` (per step: each
seed's mean over its repeats, and the mean and standard deviation (ddof=1) over seeds),
`<out>/<name>.md` and, with matplotlib, `<out>/<name>.png`.
"""

from __future__ import annotations

import json
import os
import statistics

from absl import app, flags
from reproduce import provenance, read_json, write_atomic  # scripts/ is on sys.path

FLAGS = flags.FLAGS
METRICS = ("discriminative", "predictive", "label_accuracy")


def _define_flags():
    flags.DEFINE_string("name", None, "Curve name: <out>/<name>.json, .md, .png.", required=True)
    flags.DEFINE_multi_string(
        "run", [], "WORKDIR (one seed) or WORKDIR:M1,M2 (ensemble members, one seed each)."
    )
    flags.DEFINE_integer("every", 1000, "Score the checkpoint steps that are multiples of this.")
    flags.DEFINE_integer(
        "first_step",
        0,
        "Score no checkpoint before this step (e.g. TimeGAN's joint phase: the embedding "
        "and supervised phases do not train the generator).",
    )
    flags.DEFINE_integer("repeats", 2, "Repeats of each metric per checkpoint.", lower_bound=1)
    flags.DEFINE_list("metrics", ["discriminative"], f"Some of {METRICS}.")
    flags.DEFINE_integer(
        "discriminative_iterations", 2000, "Classifier training steps (the protocol's: 2000)."
    )
    flags.DEFINE_integer(
        "predictive_iterations", 5000, "Regressor training steps (the protocol's: 5000)."
    )
    flags.DEFINE_multi_string("target", [], "METRIC=VALUE, drawn as a line (a target to meet).")
    flags.DEFINE_string("out", "results", "Folder for the curve's files.")
    flags.DEFINE_bool(
        "ema",
        True,
        "Score the moving average where the runs kept one; --noema the raw weights "
        "(reports in eval/step_<step>_raw/).",
    )


def parse_runs(specs: list[str]) -> list[tuple[str, int | None]]:
    """`WORKDIR` -> [(WORKDIR, None)]; `WORKDIR:0,1` -> [(WORKDIR, 0), (WORKDIR, 1)]."""
    seeds = []
    for spec in specs:
        workdir, _, members = spec.partition(":")
        if not os.path.isdir(os.path.join(workdir, "checkpoints")):
            raise app.UsageError(f"--run={spec}: {workdir} has no checkpoints/ (not a run).")
        if not members:
            seeds.append((workdir, None))
            continue
        try:
            seeds += [(workdir, int(m)) for m in members.split(",")]
        except ValueError:
            raise app.UsageError(
                f"--run={spec}: members must be integers, as WORKDIR:0,1,2."
            ) from None
    return seeds


def checkpoint_steps(workdir: str, every: int) -> list[int]:
    """The run's checkpoint steps that are multiples of `every`, and its last one."""
    from rgan.checkpoint import Checkpointer

    steps = sorted(Checkpointer(workdir, read_only=True).all_steps())
    return sorted({s for s in steps if s % every == 0} | set(steps[-1:]))


def report_path(workdir: str, member: int | None, step: int, ema: bool = True) -> str:
    """Where rgan.evaluate keeps the report of that checkpoint (raw weights: `ema=False`,
    for a run that keeps a moving average)."""
    from rgan.ensemble import member_dir

    folder = workdir if member is None else member_dir(workdir, member)
    suffix = "" if ema else "_raw"
    return os.path.join(folder, "eval", f"step_{step:08d}{suffix}", "metrics.json")


def has_scores(report: dict | None, metrics: list[str], repeats: int, options: dict) -> bool:
    """Whether an existing report already holds every metric with ≥ `repeats` repeats (the
    run's final evaluation, with 5, serves its last point), scored with `options`' metric
    training steps (a report older than that record was made with the protocol's)."""
    from rgan.evaluate import PROTOCOL_ITERATIONS, trained_iterations

    if report is None:
        return False
    if report.get("iterations", PROTOCOL_ITERATIONS) != trained_iterations(options):
        return False
    scored = report.get("metrics", {})
    return all(len(scored.get(m, {}).get("repeats", [])) >= repeats for m in metrics)


def score(
    workdir, member, step, metrics: list[str], repeats: int, options: dict, ema: bool = True
) -> dict:
    """The report of (workdir, member)'s checkpoint at `step`, computed if not there yet."""
    from rgan.evaluate import evaluate_run

    report = read_json(report_path(workdir, member, step, ema))
    if has_scores(report, metrics, repeats, options):
        return report
    print(f"== scoring {workdir} member {member} at step {step}", flush=True)
    return evaluate_run(
        workdir,
        step=step,
        member=member,
        repeats=repeats,
        plots=False,
        metrics=tuple(metrics),
        ema=ema,
        **options,
    )


def summarize(points: dict[int, list[dict]], metrics: list[str]) -> list[dict]:
    """Per step: each seed's mean over its repeats, and mean ± std (ddof=1) over seeds."""
    rows = []
    for step in sorted(points):
        row = {"step": step, "metrics": {}}
        for name in metrics:
            means = [r["metrics"][name]["mean"] for r in points[step]]
            row["metrics"][name] = {
                "mean": statistics.fmean(means),
                "std": statistics.stdev(means) if len(means) > 1 else 0.0,
                "seeds": means,
                "repeats": [len(r["metrics"][name]["repeats"]) for r in points[step]],
            }
        rows.append(row)
    return rows


def render_markdown(curve: dict) -> str:
    metrics = curve["metrics"]
    lines = [
        f"# {curve['name']}",
        "",
        "| step | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    one_seed = len(curve["runs"]) == 1  # no spread over seeds to show
    for row in curve["points"]:
        cells = [
            f"{row['metrics'][m]['mean']:.3f}"
            + ("" if one_seed else f" ± {row['metrics'][m]['std']:.3f}")
            for m in metrics
        ]
        lines.append(f"| {row['step']:,} | " + " | ".join(cells) + " |")
    targets = ", ".join(f"{m} ≤ {v}" for m, v in curve["targets"].items())
    spread = (
        "One seed: the mean over its repeats"
        if one_seed
        else f"Mean ± standard deviation over {len(curve['runs'])} seeds of each seed's mean "
        "over its repeats"
    )
    lines += [
        "",
        f"Weights: {curve.get('weights', 'ema')} (the moving average where the runs kept one, "
        "else the trained weights). "
        f"{spread} ({curve['repeats']} per checkpoint; the last step may reuse the run's "
        "final evaluation, with more)." + (f" Target: {targets}." if targets else ""),
        "",
        f"Runs: {', '.join(curve['runs'])}.",
        "",
        f"`{curve['command']}` at commit `{curve['commit']}` ({curve['date']}).",
    ]
    return "\n".join(lines) + "\n"


def plot(curve: dict, path: str) -> bool:
    """Draws one panel per metric (mean with a ±1 std band, the target dashed); False
    without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    metrics = curve["metrics"]
    figure = Figure(figsize=(4.5 * len(metrics), 3.2))
    for i, name in enumerate(metrics):
        axis = figure.add_subplot(1, len(metrics), i + 1)
        steps = [row["step"] for row in curve["points"]]
        mean = [row["metrics"][name]["mean"] for row in curve["points"]]
        std = [row["metrics"][name]["std"] for row in curve["points"]]
        axis.plot(steps, mean, marker="o")
        low = [m - s for m, s in zip(mean, std, strict=True)]
        high = [m + s for m, s in zip(mean, std, strict=True)]
        axis.fill_between(steps, low, high, alpha=0.25)
        if name in curve["targets"]:
            axis.axhline(curve["targets"][name], color="k", linestyle="--", label="target")
            axis.legend()
        axis.set_xlabel("training step")
        axis.set_title(name)
    figure.suptitle(curve["name"])
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return True


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    unknown = sorted(set(FLAGS.metrics) - set(METRICS))
    if unknown:
        raise app.UsageError(f"--metrics: unknown {unknown}; choose from {METRICS}.")
    targets = {}
    for spec in FLAGS.target:
        name, _, value = spec.partition("=")
        if name not in FLAGS.metrics or not value:
            raise app.UsageError(f"--target={spec}: expected METRIC=VALUE for a scored metric.")
        targets[name] = float(value)
    seeds = parse_runs(FLAGS.run)
    if not seeds:
        raise app.UsageError("Pass at least one --run.")
    options = dict(
        discriminative_iterations=FLAGS.discriminative_iterations,
        predictive_iterations=FLAGS.predictive_iterations,
    )
    points: dict[int, list[dict]] = {}
    for workdir, member in seeds:
        for step in (s for s in checkpoint_steps(workdir, FLAGS.every) if s >= FLAGS.first_step):
            report = score(workdir, member, step, FLAGS.metrics, FLAGS.repeats, options, FLAGS.ema)
            for name in FLAGS.metrics:
                if "skipped" in report["metrics"][name]:
                    reason = report["metrics"][name]["skipped"]
                    raise app.UsageError(f"{workdir}: {name} is not scored for this run: {reason}")
            points.setdefault(step, []).append(report)
    # Only the steps that every seed reached make a point of the curve.
    points = {s: reports for s, reports in points.items() if len(reports) == len(seeds)}
    curve = {
        "name": FLAGS.name,
        **provenance(FLAGS.out),
        "runs": [w if m is None else f"{w}:{m}" for w, m in seeds],
        "repeats": FLAGS.repeats,
        "weights": "ema" if FLAGS.ema else "raw",
        "iterations": options,
        "metrics": list(FLAGS.metrics),
        "targets": targets,
        "points": summarize(points, FLAGS.metrics),
    }
    base = os.path.join(FLAGS.out, FLAGS.name)
    write_atomic(base + ".json", json.dumps(curve, indent=2) + "\n")
    write_atomic(base + ".md", render_markdown(curve))
    drawn = plot(curve, base + ".png")
    print(f"Wrote {base}.json, .md" + (", .png" if drawn else ""))


if __name__ == "__main__":
    _define_flags()
    app.run(main)
