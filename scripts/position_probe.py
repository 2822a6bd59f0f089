"""Where in a sequence can generated data be told from real? Linear probes by position.

    python scripts/position_probe.py --name=probe_jv --run=w30=runs/jv/seed_0 \
        [--run=LABEL=ENSEMBLE/members/1 ...] [--repeats=5] [--out=results]

The discriminative score (rgan.evaluate) says how well a recurrent classifier tells a
run's samples from its training sequences, not what gives them away. This script looks at
one view of each sequence at a time (the values at its first, middle or last valid step;
the step-to-step change into its second step, its middle or one of its last three steps;
its mean over its steps, with and without its length) and scores a logistic-regression
probe on that view alone, as the discriminative score is reported: |accuracy - 0.5| on a
held-out fifth, mean and standard deviation over `--repeats` random splits. A view whose
probe scores well above the others localizes the difference (e.g. how utterances end);
one near 0 carries none that is linear. The sequences are those `rgan.evaluate` scores
(rgan.evaluate.real_and_generated, its seed 0), with each view taken at each sequence's
own length. Writes `<out>/<name>.json` (everything, with the command and commit) and
`<out>/<name>.md`.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import shlex
import sys
import typing

import numpy as np
from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
FLAGS = flags.FLAGS


def _at(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """x [N, T, D] at one step per sequence, index int [N] -> [N, D]."""
    return x[np.arange(len(x)), index]


def _change_into(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The step-to-step change into step `index` (>= 1) of each sequence: [N, D]."""
    return _at(x, index) - _at(x, index - 1)


def _mean_over_steps(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    return (x * valid[..., None]).sum(1) / lengths[:, None]


# Each view: (x [N, T, D], lengths int [N] >= 2) -> features [N, F].
VIEWS: dict[str, typing.Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "first step": lambda x, n: x[:, 0],
    "middle step": lambda x, n: _at(x, n // 2),
    "last step": lambda x, n: _at(x, n - 1),
    "change into step 2": lambda x, n: _change_into(x, np.ones_like(n)),
    "change into the middle step": lambda x, n: _change_into(x, np.maximum(n // 2, 1)),
    "change into the 3rd-last step": lambda x, n: _change_into(x, np.maximum(n - 3, 1)),
    "change into the 2nd-last step": lambda x, n: _change_into(x, np.maximum(n - 2, 1)),
    "change into the last step": lambda x, n: _change_into(x, n - 1),
    "mean over steps": _mean_over_steps,
    "mean over steps and length": lambda x, n: np.c_[_mean_over_steps(x, n), n],
}


def probe_score(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator) -> float:
    """|accuracy - 0.5| on a held-out fifth of a logistic regression telling real [N, F]
    from fake [M, F] (features standardized on the training part; full-batch gradient
    descent, which converges on these few features)."""
    x = np.concatenate([real, fake]).astype(np.float64)
    y = np.r_[np.ones(len(real)), np.zeros(len(fake))]
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    train = int(0.8 * len(x))
    mean, std = x[:train].mean(0), x[:train].std(0) + 1e-9
    x = np.c_[(x - mean) / std, np.ones(len(x))]
    w = np.zeros(x.shape[1])
    for _ in range(2000):
        p = 1.0 / (1.0 + np.exp(-x[:train] @ w))
        w -= 0.5 * x[:train].T @ (p - y[:train]) / train
    accuracy = np.mean((x[train:] @ w > 0) == (y[train:] == 1))
    return float(abs(accuracy - 0.5))


def position_probes(
    real: np.ndarray,
    fake: np.ndarray,
    real_lengths: np.ndarray | None = None,
    fake_lengths: np.ndarray | None = None,
    repeats: int = 5,
    seed: int = 0,
) -> dict:
    """{view: {"mean", "std"}} of probe_score over `repeats` splits for every VIEW.

    real, fake: [N, T, D] and [M, T, D]; lengths: int [N], [M] valid steps (None: all T).
    Sequences shorter than 2 steps have no step change and are left out.
    """
    real_lengths = np.full(len(real), real.shape[1]) if real_lengths is None else real_lengths
    fake_lengths = np.full(len(fake), fake.shape[1]) if fake_lengths is None else fake_lengths
    real_lengths, fake_lengths = np.asarray(real_lengths), np.asarray(fake_lengths)
    real, real_lengths = real[real_lengths >= 2], real_lengths[real_lengths >= 2]
    fake, fake_lengths = fake[fake_lengths >= 2], fake_lengths[fake_lengths >= 2]
    rng = np.random.default_rng(seed)
    scores = {}
    for name, view in VIEWS.items():
        a, b = view(real, real_lengths), view(fake, fake_lengths)
        values = [probe_score(a, b, rng) for _ in range(repeats)]
        scores[name] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    return scores


def render_markdown(results: dict) -> str:
    labels = list(results["runs"])
    lines = [
        f"# {results['name']}",
        "",
        "| view | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for view in VIEWS:
        cells = []
        for label in labels:
            score = results["runs"][label]["probes"][view]
            cells.append(f"{score['mean']:.3f} ± {score['std']:.3f}")
        lines.append(f"| {view} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Linear probe on one view of each sequence at a time: |accuracy - 0.5| on a held-out "
        f"fifth, mean ± std over {results['repeats']} splits (0: nothing linear tells "
        "generated from real there; 0.5: everything does). Sequences as rgan.evaluate "
        "scores them (seed 0), views at each sequence's own length.",
        "",
        f"`{results['command']}` at commit `{results['commit']}` ({results['date']}).",
    ]
    return "\n".join(lines) + "\n"


def split_run(text: str) -> tuple[str, str, int | None]:
    """'LABEL=WORKDIR' -> (label, workdir, member); an ensemble's member is given by its
    folder ENSEMBLE/members/<i>."""
    from rgan.ensemble import member_of_dir

    label, sep, folder = text.partition("=")
    if not sep or not label or not folder:
        raise app.UsageError(f"--run={text!r}: expected LABEL=WORKDIR.")
    found = member_of_dir(folder)
    return (label, *found) if found else (label, folder, None)


def write_results(
    name: str, repeats: int | None, runs: dict, out: str, render_markdown, **fields
) -> None:
    """Writes `<out>/<name>.json` ({name, repeats, command, commit, date, runs} and any
    further `fields`; no repeats where None) and `<out>/<name>.md` (`render_markdown` of
    it): the files of this script, of feature_probe.py, autoencoder_floor.py and
    sine_fit.py."""
    from reproduce import git_commit  # scripts/ is on sys.path

    results = {
        "name": name,
        "repeats": repeats,
        "command": shlex.join(["python", *sys.argv]),
        "commit": git_commit(out),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "runs": runs,
        **fields,
    }
    if repeats is None:
        del results["repeats"]
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, name)
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=2)
    with open(base + ".md", "w") as f:
        f.write(render_markdown(results))
    print(f"Wrote {base}.json and .md")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from rgan.evaluate import real_and_generated
    from rgan.sample import load_run

    runs = {}
    for text in FLAGS.run:
        label, workdir, member = split_run(text)
        run = load_run(workdir, member=member)
        data = real_and_generated(run, seed=0)
        probes = position_probes(
            data.real, data.fake, data.real_lengths, data.fake_lengths, FLAGS.repeats
        )
        runs[label] = {"workdir": os.path.abspath(workdir), "member": member, "step": run.step}
        runs[label]["probes"] = probes
        print(f"{label}: " + ", ".join(f"{v} {s['mean']:.3f}" for v, s in probes.items()))
    write_results(FLAGS.name, FLAGS.repeats, runs, FLAGS.out, render_markdown)


if __name__ == "__main__":
    flags.DEFINE_string("name", None, "The results' name: <out>/<name>.json and .md.")
    flags.DEFINE_multi_string("run", [], "LABEL=WORKDIR (or ENSEMBLE/members/<i>).")
    flags.DEFINE_integer("repeats", 5, "Random splits per probe.", lower_bound=1)
    flags.DEFINE_string("out", str(REPO / "results"), "Where the results go.")
    flags.mark_flags_as_required(["name", "run"])
    app.run(main)
