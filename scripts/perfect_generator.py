"""What a perfect generator scores: the metrics' floors on a table's data.

    python scripts/perfect_generator.py --table=sines --table=stocks --table=energy \
        [--stocks_path=data/stock_data.csv --energy_path=data/energy_data.csv] \
        [--repeats=10] [--name=perfect_generator] [--out=results]
    python scripts/perfect_generator.py --table=sines --metrics=predictive \
        --sines_data_seeds=0,1,2 --repeats=3 --name=perfect_generator_predictive

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

`--metrics=predictive` (Sines only) scores the same fresh draw with the predictive metric
(train a next-step regressor on it, test on real windows: rgan.metrics.predictive, 5000
iterations) against the training windows of each of `--sines_data_seeds`: Sines runs
draw their data with `data.seed` (-1: the run's seed; an ensemble's members share its
first seed's data), and how well a perfect generator can score depends on that draw.

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
METRICS = ("discriminative", "predictive")
# The fresh draw's seed: any seed but the training data's (0) gives independent sines.
FRESH_SINES_SEED = 1000


def _define_flags():
    flags.DEFINE_multi_enum("table", list(TABLES), TABLES, "Tables whose data to score.")
    flags.DEFINE_string("stocks_path", "data/stock_data.csv", "TimeGAN's Stocks CSV.")
    flags.DEFINE_string("energy_path", "data/energy_data.csv", "TimeGAN's Energy CSV.")
    flags.DEFINE_integer(
        "repeats", 10, "Repeats per metric (model seeds 0..repeats-1).", lower_bound=2
    )
    flags.DEFINE_integer(
        "iterations", 2000, "Classifier training steps (the protocol's: 2000).", lower_bound=1
    )
    flags.DEFINE_list("metrics", ["discriminative"], f"Some of {METRICS}.")
    flags.DEFINE_list(
        "sines_data_seeds", ["0"], "Sines, predictive: the data seeds whose windows to test on."
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


def _fresh_sines(fields: dict) -> tuple[np.ndarray, str]:
    """The perfect generator's sines: a draw of the data's own distribution that no run
    trains on [N, T, D], and how the results files name it."""
    fresh = _table_data("sines", seed=FRESH_SINES_SEED, **fields)
    return fresh, f"{len(fresh)} fresh sines (seed {FRESH_SINES_SEED})"


def sines_floor(repeats: int, iterations: int = 2000, num_samples: int | None = None) -> dict:
    """Fresh sines against the training sines of seed 0 (configs/sines_timegan.py's data),
    one classifier per repeat (seeds 0..repeats-1).

    num_samples: windows of each draw (default: the config's 10,000)."""
    from rgan.metrics.discriminative import discriminative_score

    fields = {} if num_samples is None else {"num_samples": num_samples}
    real = _table_data("sines", seed=0, **fields)
    fresh, samples = _fresh_sines(fields)
    scores = [
        discriminative_score(real, fresh, seed=seed, iterations=iterations)
        for seed in range(repeats)
    ]
    return {"samples": samples, "scores": scores}


def sines_predictive_floor(
    data_seeds: list[int], repeats: int, iterations: int = 5000, num_samples: int | None = None
) -> dict:
    """The predictive score of fresh sines, tested on the training windows of each data
    seed, one regressor per repeat (seeds 0..repeats-1): {"samples": what was scored,
    "by_data_seed": {data seed: {"scores", "summary"}}}."""
    from rgan.metrics.predictive import predictive_score

    fields = {} if num_samples is None else {"num_samples": num_samples}
    fresh, samples = _fresh_sines(fields)
    by_data_seed = {}
    for data_seed in data_seeds:
        real = _table_data("sines", seed=data_seed, **fields)
        scores = [
            predictive_score(real, fresh, seed=seed, iterations=iterations)
            for seed in range(repeats)
        ]
        by_data_seed[str(data_seed)] = {"scores": scores, "summary": summary(scores, bound=1.0)}
    return {"samples": samples, "by_data_seed": by_data_seed}


def csv_floor(table: str, path: str, repeats: int, iterations: int = 2000) -> dict:
    """One half of the table's training windows against the other, a split per repeat."""
    windows = _table_data(table, path=path)
    scores, *_ = floor_scores(windows, lambda x, lengths: x, repeats, iterations=iterations)
    half = len(windows) // 2
    samples = f"2 disjoint halves of the {len(windows)} windows ({half} each)"
    return {"samples": samples, "scores": scores}


def summary(scores: list[float], bound: float = 0.5) -> dict:
    """rgan.evaluate's summary of the repeats (mean, std with ddof=1, 95% interval of the
    mean within [0, bound], the repeats), and the largest repeat."""
    from rgan.evaluate import summarize

    return {**summarize(scores, bounds=(0.0, bound)), "max": float(max(scores))}


def _predictive_lines(results: dict) -> list[str]:
    """The predictive floors' table and its note: one row per (table, data seed)."""
    lines = [
        "| table | perfect generator | data seed | repeats | pred. ↓ (mean ± std) "
        "| TimeGAN published | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for table, entry in results["tables"].items():
        floor = entry["predictive"]
        published = PUBLISHED["TimeGAN"][table]["predictive"]
        target = TARGETS[table]["timegan"]["predictive"]
        for data_seed, scored in floor["by_data_seed"].items():
            s = scored["summary"]
            lines.append(
                f"| {table} | {floor['samples']} | {data_seed} | {len(scored['scores'])} "
                f"| {s['mean']:.5f} ± {s['std']:.5f} | {published[0]:.3f} ± {published[1]:.3f} "
                f"| ≤ {target:.3f} |"
            )
    return lines + [
        "",
        "Predictive score (mean absolute error of the published protocol's next-step GRU "
        "regressor trained on the fresh draw, tested on the training windows of the data "
        "seed) of samples from the data's own distribution: what a perfect generator would "
        "score on a run with that data seed. Repeats: regressor seeds 0, 1, ...",
        "",
    ]


def _discriminative_lines(scored: list[tuple[str, dict]], iterations: int) -> list[str]:
    """The discriminative floors' table and its note: one row per table."""
    lines = [
        "| table | perfect generator | repeats | disc. ↓ (mean ± std) | largest repeat "
        "| TimeGAN published | target | wall time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for table, entry in scored:
        s = entry["summary"]
        published = PUBLISHED["TimeGAN"][table]["discriminative"]
        target = TARGETS[table]["timegan"]["discriminative"]
        lines.append(
            f"| {table} | {entry['samples']} | {len(entry['scores'])} "
            f"| {s['mean']:.4f} ± {s['std']:.4f} | {s['max']:.4f} "
            f"| {published[0]:.3f} ± {published[1]:.3f} | ≤ {target:.3f} "
            f"| {entry['seconds']:.0f} s |"
        )
    return lines + [
        "",
        "Discriminative score (|accuracy - 0.5| of the published protocol's post-hoc GRU "
        f"classifier, {iterations} iterations) of samples from the data's own "
        "distribution: what a perfect generator would score. Repeats: classifier seeds "
        "0, 1, ... (and, for the CSV tables, a new random split each).",
        "",
    ]


def markdown(results: dict) -> str:
    lines = [f"# {results['name']}", ""]
    scored = [(t, e) for t, e in results["tables"].items() if "scores" in e]
    if scored:
        lines += _discriminative_lines(scored, results["iterations"])
    if any("predictive" in e for e in results["tables"].values()):
        lines += _predictive_lines(results)
    lines += [
        f"`{results['command']}` at commit `{results['commit']}` ({results['date']}, "
        f"{results['machine']}).",
        "",
    ]
    return "\n".join(lines)


def _discriminative_floor(table: str) -> dict:
    """{"samples": what was scored, "scores": one per repeat} for `table`."""
    if table == "sines":
        return sines_floor(FLAGS.repeats, FLAGS.iterations)
    path = FLAGS.stocks_path if table == "stocks" else FLAGS.energy_path
    if not os.path.isfile(path):
        raise app.UsageError(
            f"--{table}_path={path}: no such file. Point it at TimeGAN's CSV "
            "(python scripts/download_data.py --out=data fetches both)."
        )
    return csv_floor(table, path, FLAGS.repeats, FLAGS.iterations)


def _data_seeds() -> list[int]:
    try:
        return [int(seed) for seed in FLAGS.sines_data_seeds]
    except ValueError:
        raise app.UsageError(
            f"--sines_data_seeds={','.join(FLAGS.sines_data_seeds)}: give whole numbers, "
            "e.g. --sines_data_seeds=0,1,2."
        ) from None


def main(argv):
    del argv
    unknown = sorted(set(FLAGS.metrics) - set(METRICS))
    if unknown or not FLAGS.metrics:
        raise app.UsageError(f"--metrics={','.join(FLAGS.metrics)}: choose from {METRICS}.")
    if "predictive" in FLAGS.metrics and set(FLAGS.table) != {"sines"}:
        raise app.UsageError(
            "--metrics=predictive is measured on Sines only (a fresh draw of its sines); "
            "pass --table=sines."
        )
    tables = {}
    for table in dict.fromkeys(FLAGS.table):  # in the order given, once each
        start = time.perf_counter()
        entry = {}
        if "predictive" in FLAGS.metrics:
            entry["predictive"] = sines_predictive_floor(_data_seeds(), FLAGS.repeats)
        if "discriminative" in FLAGS.metrics:
            entry.update(_discriminative_floor(table))
            entry["summary"] = summary(entry["scores"])
        entry["seconds"] = round(time.perf_counter() - start, 1)
        tables[table] = entry
        by_data_seed = entry.get("predictive", {}).get("by_data_seed", {})
        means = {seed: scored["summary"]["mean"] for seed, scored in by_data_seed.items()}
        by_seed = f" predictive by data seed: {means}" if means else ""
        print(f"{table}: {entry.get('summary', '')}{by_seed}", flush=True)
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
