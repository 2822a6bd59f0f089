"""Which features give generated windows away? The discriminative score on feature groups.

    python scripts/feature_probe.py --name=features_energy --run=tg=runs/energy_timegan \
        [--run=LABEL=ENSEMBLE/members/1 ...] [--groups=0-3,26-27] [--repeats=2] [--out=results]

The discriminative score (rgan.evaluate) says how well a recurrent classifier tells a
run's samples from its training windows, not by which features. This script scores the
same classifier (rgan.metrics.discriminative_score, the published protocol; its hidden
size follows the number of features it sees) on each group of features alone and on all
the features but that group, on the windows rgan.evaluate scores (its seed 0). A group
that scores high alone and whose removal brings the full score down is what gives the
samples away; `scripts/position_probe.py` asks the same question along the time axis.
Groups: `--groups` as comma-separated feature indices or ranges (`26-27`, `0`), by
default consecutive blocks of 4. Writes `<out>/<name>.json` (everything, with the command
and commit) and `<out>/<name>.md`: mean ± std over `--repeats` classifier seeds.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
FLAGS = flags.FLAGS


def parse_groups(text: str | None, num_features: int) -> list[list[int]]:
    """'0-3,26-27,5' -> [[0, 1, 2, 3], [26, 27], [5]]; None or '' -> blocks of 4."""
    if not text:
        return [list(range(i, min(i + 4, num_features))) for i in range(0, num_features, 4)]
    groups = []
    for part in text.split(","):
        first, sep, last = part.strip().partition("-")
        try:
            group = list(range(int(first), int(last) + 1)) if sep else [int(first)]
        except ValueError:
            raise app.UsageError(
                f"--groups: {part!r} is not an index or a range like 26-27."
            ) from None
        if not group or group[0] < 0 or group[-1] >= num_features:
            raise app.UsageError(
                f"--groups: {part!r} is outside the data's features 0-{num_features - 1}."
            )
        groups.append(group)
    return groups


def _scores(real, fake, features, repeats, real_lengths, fake_lengths, iterations):
    from rgan.metrics.discriminative import discriminative_score

    options = {} if iterations is None else {"iterations": iterations}
    values = [
        discriminative_score(
            real[..., features],
            fake[..., features],
            seed=seed,
            real_lengths=real_lengths,
            fake_lengths=fake_lengths,
            **options,
        )
        for seed in range(repeats)
    ]
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "repeats": values}


def feature_probes(
    real, fake, groups, repeats, real_lengths=None, fake_lengths=None, iterations=None
) -> dict:
    """{view: scores} for "all features" and, per group, "only <g>" and "without <g>"
    (a group that is every feature has no "without"). real, fake: [N, T, D]."""
    num_features = real.shape[-1]
    args = (repeats, real_lengths, fake_lengths, iterations)
    probes = {"all features": _scores(real, fake, list(range(num_features)), *args)}
    for group in groups:
        name = _group_name(group)
        probes[f"only {name}"] = _scores(real, fake, group, *args)
        rest = [f for f in range(num_features) if f not in group]
        if rest:
            probes[f"without {name}"] = _scores(real, fake, rest, *args)
    return probes


def _group_name(group: list[int]) -> str:
    return str(group[0]) if len(group) == 1 else f"{group[0]}-{group[-1]}"


def render_markdown(results: dict) -> str:
    labels = list(results["runs"])
    views = list(results["runs"][labels[0]]["probes"])
    rows = [
        f"# {results['name']}",
        "",
        "| features | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for view in views:
        cells = []
        for label in labels:
            s = results["runs"][label]["probes"].get(view)
            if s is None:
                cells.append("")
            elif len(s["repeats"]) == 1:
                cells.append(f"{s['mean']:.3f}")
            else:
                cells.append(f"{s['mean']:.3f} ± {s['std']:.3f}")
        rows.append(f"| {view} | " + " | ".join(cells) + " |")
    names = results["runs"][labels[0]].get("feature_names") or []
    rows += [
        "",
        "The discriminative score (|accuracy - 0.5| of the post-hoc GRU classifier, the "
        "published protocol) on the named features only, or on all but them"
        + (
            f"; mean ± std over {results['repeats']} classifier seeds"
            if results["repeats"] > 1
            else " (one classifier seed)"
        )
        + ", on the windows rgan.evaluate scores (seed 0).",
    ]
    if names:
        rows.append("Features: " + ", ".join(f"{i} {n}" for i, n in enumerate(names)) + ".")
    rows += ["", f"`{results['command']}` at commit `{results['commit']}` ({results['date']}).", ""]
    return "\n".join(rows)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from position_probe import split_run, write_results  # scripts/ is on sys.path

    from rgan.evaluate import real_and_generated
    from rgan.sample import load_run

    runs = {}
    for text in FLAGS.run:
        label, workdir, member = split_run(text)
        run = load_run(workdir, member=member)
        data = real_and_generated(run, seed=0)
        real, fake = np.asarray(data.real), np.asarray(data.fake)
        groups = parse_groups(FLAGS.groups, real.shape[-1])
        probes = feature_probes(
            real, fake, groups, FLAGS.repeats, data.real_lengths, data.fake_lengths
        )
        runs[label] = {
            "workdir": os.path.abspath(workdir),
            "member": member,
            "step": run.step,
            "feature_names": list(run.feature_names),
            "probes": probes,
        }
        print(f"{label}: " + ", ".join(f"{v} {s['mean']:.3f}" for v, s in probes.items()))
    write_results(FLAGS.name, FLAGS.repeats, runs, FLAGS.out, render_markdown)


if __name__ == "__main__":
    flags.DEFINE_string("name", None, "The results' name: <out>/<name>.json and .md.")
    flags.DEFINE_multi_string("run", [], "LABEL=WORKDIR (or ENSEMBLE/members/<i>).")
    flags.DEFINE_string("groups", None, "Feature groups: indices or ranges, e.g. 0-3,26-27.")
    flags.DEFINE_integer("repeats", 2, "Classifier seeds per view.", lower_bound=1)
    flags.DEFINE_string("out", str(REPO / "results"), "Where the results go.")
    flags.mark_flags_as_required(["name", "run"])
    app.run(main)
