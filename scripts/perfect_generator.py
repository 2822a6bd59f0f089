"""What a perfect generator scores: the discriminative metric's floor on a table's data.

    python scripts/perfect_generator.py --table=sines --table=stocks --table=energy \
        [--stocks_path=data/stock_data.csv --energy_path=data/energy_data.csv] \
        [--repeats=10] [--name=perfect_generator] [--out=results]

The published protocol's classifier (rgan.metrics.discriminative, 2000 iterations on 80%
of each set, accuracy on the other 20%) does not reach exactly 0.5 on two samples of one
distribution: it fits noise, and 20% of the windows is a finite test set. This scores
samples drawn from the data's own distribution, so a target can be read against what no
generator can beat:

- sines: a fresh draw of TimeGAN's sines (as many windows, another seed) against the
  windows a run with seed 0 trains on, in the units rgan.evaluate scores Sines in, exactly
  as it scores a run's samples;
- stocks, energy (a finite real series): one random half of the training windows against
  the other half, a new split and classifier seed per repeat (as
  scripts/autoencoder_floor.py, with the identity for the round trip). Each classifier
  sees half as many windows as in a run's evaluation, and the windows overlap (stride 1),
  so neighbours of a window land in the other half: a floor of the metric, not of a
  generator's task.

Writes `<out>/<name>.json` (each repeat, the command and commit) and `<out>/<name>.md`, the
published TimeGAN score and the project's target beside each floor.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import time

import numpy as np
from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # configs/
sys.path.insert(0, str(REPO / "scripts"))
from autoencoder_floor import floor_scores  # noqa: E402
from published import PUBLISHED, TARGETS  # noqa: E402
from reproduce import provenance, write_atomic  # noqa: E402

FLAGS = flags.FLAGS
TABLES = ("sines", "stocks", "energy")
# The fresh draw's seed: any seed but the training data's (0) gives independent sines.
FRESH_SINES_SEED = 1000


def _define_flags():
    flags.DEFINE_multi_enum("table", list(TABLES), TABLES, "Tables whose data to score.")
    flags.DEFINE_string("stocks_path", "data/stock_data.csv", "TimeGAN's Stocks CSV.")
    flags.DEFINE_string("energy_path", "data/energy_data.csv", "TimeGAN's Energy CSV.")
    flags.DEFINE_integer("repeats", 10, "Classifier repeats (seeds 0..repeats-1).", lower_bound=2)
    flags.DEFINE_integer(
        "iterations", 2000, "Classifier training steps (the protocol's: 2000).", lower_bound=1
    )
    flags.DEFINE_string("name", "perfect_generator", "<out>/<name>.json and .md.")
    flags.DEFINE_string("out", "results", "Folder for the results.")


def _table_data(table: str, seed: int = 0, **data_fields):
    """The windows a run of `table`'s TimeGAN config with data seed `seed` trains on, in
    the units rgan.evaluate scores them in: [N, T, D] (Sines as generated, the CSV
    tables in the [0, 1] training scale)."""
    from configs import energy_timegan, sines_timegan, stocks_timegan
    from rgan.data.dataset import build_dataset

    configs = {"sines": sines_timegan, "stocks": stocks_timegan, "energy": energy_timegan}
    config = configs[table].get_config()
    config.data.update(data_fields)
    dataset = build_dataset(config.data, seed=seed)
    if table == "sines":  # rgan.evaluate.scoring_units: Sines in their original units
        return dataset.scaler.inverse(dataset.windows).astype(np.float32)
    return dataset.windows


def sines_floor(repeats: int, iterations: int = 2000, num_samples: int | None = None) -> dict:
    """Fresh sines against the training sines of seed 0 (configs/sines_timegan.py's data),
    one classifier per repeat (seeds 0..repeats-1).

    num_samples: windows of each draw (default: the config's 10,000)."""
    from rgan.metrics.discriminative import discriminative_score

    fields = {} if num_samples is None else {"num_samples": num_samples}
    real = _table_data("sines", seed=0, **fields)
    fresh = _table_data("sines", seed=FRESH_SINES_SEED, **fields)
    scores = [
        discriminative_score(real, fresh, seed=seed, iterations=iterations)
        for seed in range(repeats)
    ]
    return {"samples": f"{len(fresh)} fresh sines (seed {FRESH_SINES_SEED})", "scores": scores}


def csv_floor(table: str, path: str, repeats: int, iterations: int = 2000) -> dict:
    """One half of the table's training windows against the other, a split per repeat."""
    windows = _table_data(table, path=path)
    scores, *_ = floor_scores(windows, lambda x, lengths: x, repeats, iterations=iterations)
    half = len(windows) // 2
    samples = f"2 disjoint halves of the {len(windows)} windows ({half} each)"
    return {"samples": samples, "scores": scores}


def summary(scores: list[float]) -> dict:
    """rgan.evaluate's summary of the repeats (mean, std with ddof=1, 95% interval of the
    mean, the repeats), and the largest repeat."""
    from rgan.evaluate import summarize

    return {**summarize(scores, bounds=(0.0, 0.5)), "max": float(max(scores))}


def markdown(results: dict) -> str:
    lines = [
        f"# {results['name']}",
        "",
        "| table | perfect generator | repeats | disc. ↓ (mean ± std) | largest repeat "
        "| TimeGAN published | target | wall time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for table, entry in results["tables"].items():
        s = entry["summary"]
        published = PUBLISHED["TimeGAN"][table]["discriminative"]
        target = TARGETS[table]["timegan"]["discriminative"]
        lines.append(
            f"| {table} | {entry['samples']} | {len(entry['scores'])} "
            f"| {s['mean']:.4f} ± {s['std']:.4f} | {s['max']:.4f} "
            f"| {published[0]:.3f} ± {published[1]:.3f} | ≤ {target:.3f} "
            f"| {entry['seconds']:.0f} s |"
        )
    lines += [
        "",
        "Discriminative score (|accuracy - 0.5| of the published protocol's post-hoc GRU "
        f"classifier, {results['iterations']} iterations) of samples from the data's own "
        "distribution: what a perfect generator would score. Repeats: classifier seeds "
        "0, 1, ... (and, for the CSV tables, a new random split each).",
        "",
        f"`{results['command']}` at commit `{results['commit']}` ({results['date']}, "
        f"{results['machine']}).",
        "",
    ]
    return "\n".join(lines)


def main(argv):
    del argv
    tables = {}
    for table in dict.fromkeys(FLAGS.table):  # in the order given, once each
        start = time.perf_counter()
        if table == "sines":
            entry = sines_floor(FLAGS.repeats, FLAGS.iterations)
        else:
            path = FLAGS.stocks_path if table == "stocks" else FLAGS.energy_path
            if not os.path.isfile(path):
                raise app.UsageError(
                    f"--{table}_path={path}: no such file. Point it at TimeGAN's CSV "
                    "(python scripts/download_data.py --out=data fetches both)."
                )
            entry = csv_floor(table, path, FLAGS.repeats, FLAGS.iterations)
        entry["seconds"] = round(time.perf_counter() - start, 1)
        entry["summary"] = summary(entry["scores"])
        tables[table] = entry
        print(f"{table}: {entry['summary']}", flush=True)
    results = {
        "name": FLAGS.name,
        "iterations": FLAGS.iterations,
        "tables": tables,
        **provenance(FLAGS.out),
    }
    out = os.path.join(FLAGS.out, FLAGS.name)
    write_atomic(f"{out}.json", json.dumps(results, indent=2) + "\n")
    write_atomic(f"{out}.md", markdown(results))
    print(f"Wrote {FLAGS.out}/{FLAGS.name}.json and .md")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
