"""Score generated sequences with the published protocol (rgan.metrics; README, "Evaluation").

    python -m rgan.evaluate --workdir=W [--repeats=5]       # a trained run
    python -m rgan.evaluate --real=a.npy --fake=b.npy --out=DIR   # any two arrays
    python -m rgan.evaluate --real=a.npz --fake=b.npz --out=DIR   # ... with `lengths`

With `--workdir`, the run's latest checkpoint generates as many windows as the run has
training windows, in the training scale, and they are compared with those training
windows (the reference protocol has no held-out split). Each metric is repeated R times
with different seeds; `metrics.json` holds, per metric, the mean, the standard deviation,
a 95% confidence interval of the mean (Student t) and the repeats. Results go to
`W/eval/step_<step>/` and `W/eval/metrics.json` (the latest), written only once every
metric has finished, so a failed evaluation leaves earlier results as they were.

Variable-length data (a run trained on variable-length sequences, or `.npz` files holding
`samples` or `windows` [N, T, D] padded to T plus `lengths` [N]) is scored by the metrics
that take per-sequence lengths, the discriminative and predictive scores (their GRUs stop
at each sequence's last step, as TimeGAN's dynamic_rnn); MMD², the correlational score and
Context-FID compare whole fixed-length windows and are skipped, with the reason recorded
under their name in metrics.json ({"skipped": why}). Steps past a sequence's length are
ignored (they may hold NaN, as `rgan.sample` writes them). Only the sample grid is drawn:
PCA and t-SNE embed fixed-length windows.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
import typing

import numpy as np
from absl import app, flags

from rgan import cli
from rgan import metrics as metrics_lib
from rgan.families.moving_average import has_moving_average
from rgan.metrics import validation
from rgan.metrics.spread import feature_spread

METRICS = (
    "discriminative",
    "predictive",
    "mmd2",
    "correlational",
    "context_fid",
    "label_accuracy",
    "spread",
)
REPEATED = ("discriminative", "predictive", "correlational", "context_fid", "label_accuracy")
# Training steps of each metric's own network in the published protocol (None: TS2Vec's).
PROTOCOL_ITERATIONS = {"discriminative": 2000, "predictive": 5000, "context_fid": None}
# Metrics defined on fixed-length windows only: skipped, with these reasons, for padded data.
FIXED_LENGTH_ONLY = {
    "mmd2": "compares whole windows as T x D vectors; padded steps would count as data",
    "correlational": "compares cross-correlations over all T steps of fixed-length windows",
    "context_fid": "embeds whole fixed-length windows with TS2Vec; padding would be embedded",
}


def t_quantile_95(dof: int) -> float:
    """The 97.5% quantile of Student's t with `dof` degrees of freedom: the half-width of a
    two-sided 95% interval, in standard errors."""
    import scipy.stats  # here, not at the top: it takes seconds to import, for one number

    return float(scipy.stats.t.ppf(0.975, dof))


# The values each metric can take; confidence intervals are clipped to them.
RANGES = {
    "discriminative": (0.0, 0.5),
    "predictive": (0.0, math.inf),
    "correlational": (0.0, math.inf),
    "context_fid": (0.0, math.inf),
    "label_accuracy": (0.0, math.inf),
    "spread": (0.0, 1.0),
}


def summarize(values: list[float], bounds=(-math.inf, math.inf)) -> dict:
    """mean, std (ddof=1), 95% CI of the mean (clipped to `bounds`, the values the metric
    can take), and the values themselves."""
    values = [float(v) for v in values]
    mean = float(np.mean(values))
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    half = t_quantile_95(len(values) - 1) * std / math.sqrt(len(values)) if len(values) > 1 else 0.0
    low, high = max(mean - half, bounds[0]), min(mean + half, bounds[1])
    return {"mean": mean, "std": std, "ci95": [low, high], "repeats": values}


def _label_accuracy(real, fake, real_labels, fake_labels, repeats, seed, options, lengths):
    """`label_accuracy` over `repeats` seeds: summarize(ratios) plus the mean accuracies."""
    if real_labels is None or fake_labels is None:
        return {"skipped": "needs class labels: a run trained with class conditions"}
    start = time.perf_counter()
    runs = [
        metrics_lib.label_accuracy(
            real,
            real_labels,
            fake,
            fake_labels,
            seed=seed + r,
            iterations=trained_iterations(options)["discriminative"],
            **lengths,
        )
        for r in range(repeats)
    ]
    return {
        **summarize([r["ratio"] for r in runs], RANGES["label_accuracy"]),
        "real_accuracy": float(np.mean([r["real"] for r in runs])),
        "fake_accuracy": float(np.mean([r["fake"] for r in runs])),
        "seconds": time.perf_counter() - start,
    }


def _one_metric(name: str, real, fake, seed: int, options: dict, lengths: dict) -> float:
    """lengths: {} or {"real_lengths": [N_real], "fake_lengths": [N_fake]} (masked metrics)."""
    if name == "discriminative":
        return metrics_lib.discriminative_score(
            real,
            fake,
            seed=seed,
            iterations=trained_iterations(options)["discriminative"],
            **lengths,
        )
    if name == "predictive":
        return metrics_lib.predictive_score(
            real, fake, seed=seed, iterations=trained_iterations(options)["predictive"], **lengths
        )
    if name == "mmd2":
        return metrics_lib.mmd2(real, fake)
    if name == "correlational":
        return metrics_lib.correlational_score(real, fake, seed=seed)
    if name == "context_fid":
        return metrics_lib.context_fid(
            real, fake, seed=seed, iterations=trained_iterations(options)["context_fid"]
        )
    raise ValueError(f"Unknown metric {name!r}; expected some of {METRICS}.")


def evaluate_arrays(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    repeats: int = 5,
    seed: int = 0,
    metrics: tuple[str, ...] = METRICS,
    real_lengths=None,
    fake_lengths=None,
    real_labels=None,
    fake_labels=None,
    **options,
) -> dict:
    """Scores `fake` against `real` (both [N, T, D] in [0, 1]).

    Every metric in `REPEATED` runs `repeats` times with seeds seed, seed+1, ...; MMD² and
    the spread (rgan/metrics/spread.py: its mean is the fraction of features whose
    generated standard deviation is within [0.7, 1.3] times the real one's; the ratios are
    kept beside it) are deterministic and run once. options: `discriminative_iterations`,
    `predictive_iterations`, `context_fid_iterations` (defaults: the protocol's).

    real_lengths, fake_lengths: optional int [N_real], [N_fake] in 1..T (None: all T) for
    variable-length sequences padded to T; the steps past them are ignored (any values,
    NaN included). If some sequence is shorter than T, the discriminative and predictive
    scores are masked and the metrics of `FIXED_LENGTH_ONLY` are skipped.

    real_labels, fake_labels: int [N_real], [N_fake] class labels (the class each generated
    sequence was generated for), for `label_accuracy` (rgan/metrics/conditional.py; its
    repeats are the ratio of generated to held-out real accuracy); without them it is
    skipped.

    Returns {metric: summarize(...) plus "seconds"}; a skipped metric: {"skipped": why}.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metric(s) {unknown}; expected some of {METRICS}.")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}.")
    lengths = {}
    if real_lengths is not None or fake_lengths is not None:
        # Checks the lengths, zeroes the padding; lengths come back None if nothing is padded.
        real, fake, real_lengths, fake_lengths = validation.as_padded_window_pair(
            real, fake, real_lengths, fake_lengths, min_windows=1
        )
        if real_lengths is not None:
            lengths = dict(real_lengths=real_lengths, fake_lengths=fake_lengths)
    results = {}
    for name in metrics:
        if name == "label_accuracy":
            results[name] = _label_accuracy(
                real, fake, real_labels, fake_labels, repeats, seed, options, lengths
            )
            continue
        if name == "spread":
            start = time.perf_counter()
            spread = feature_spread(real, fake, **lengths)
            results[name] = {
                **summarize([spread["within"]], RANGES["spread"]),
                **{k: v for k, v in spread.items() if k != "within"},
                "seconds": time.perf_counter() - start,
            }
            continue
        if lengths and name in FIXED_LENGTH_ONLY:
            results[name] = {
                "skipped": f"variable-length sequences: {name} {FIXED_LENGTH_ONLY[name]}"
            }
            continue
        start = time.perf_counter()
        count = repeats if name in REPEATED else 1
        values = [_one_metric(name, real, fake, seed + r, options, lengths) for r in range(count)]
        summary = summarize(values, RANGES.get(name, (-math.inf, math.inf)))
        results[name] = {**summary, "seconds": time.perf_counter() - start}
    return results


def write_plots(
    real: np.ndarray,
    fake: np.ndarray,
    folder: str,
    *,
    seed: int,
    real_lengths=None,
    fake_lengths=None,
) -> list[str]:
    """PCA, t-SNE and a sample grid as PNG in `folder` (nothing without matplotlib).

    With lengths (variable-length sequences padded to T) only the sample grid, each
    sequence drawn to its length: PCA and t-SNE embed whole fixed-length windows.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return []
    if _padded(real, real_lengths) or _padded(fake, fake_lengths):
        real, fake = _nan_padding(real, real_lengths), _nan_padding(fake, fake_lengths)
        return [str(metrics_lib.sample_grid_plot(real, fake, os.path.join(folder, "samples.png")))]
    return [
        str(metrics_lib.pca_plot(real, fake, os.path.join(folder, "pca.png"), seed=seed)),
        str(metrics_lib.tsne_plot(real, fake, os.path.join(folder, "tsne.png"), seed=seed)),
        str(metrics_lib.sample_grid_plot(real, fake, os.path.join(folder, "samples.png"))),
    ]


def _padded(windows, lengths) -> bool:
    """Whether some sequence is shorter than the windows' padded length T."""
    return lengths is not None and bool(np.any(np.asarray(lengths) < np.shape(windows)[1]))


def _nan_padding(windows, lengths) -> np.ndarray:
    """[N, T, D] float32 with NaN past each length (matplotlib draws no line there)."""
    windows = np.array(windows, dtype=np.float32)
    if lengths is not None:
        windows[np.arange(windows.shape[1])[None, :] >= np.asarray(lengths)[:, None]] = np.nan
    return windows


def format_table(results: dict) -> str:
    lines = [f"{'metric':<16}{'mean':>10}{'std':>10}   95% CI"]
    for name, r in results.items():
        if "skipped" in r:
            lines.append(f"{name:<16}{'skipped':>10}   ({r['skipped']})")
            continue
        lo, hi = r["ci95"]
        line = f"{name:<16}{r['mean']:>10.4f}{r['std']:>10.4f}   [{lo:.4f}, {hi:.4f}]"
        if "real_accuracy" in r:
            line += (
                f"   (accuracy: real {r['real_accuracy']:.3f}, generated {r['fake_accuracy']:.3f})"
            )
        if "ratios" in r and r["min"] is not None:
            line += f"   (std ratio generated/real per feature: {r['min']:.2f} to {r['max']:.2f}"
            changes = [c for c in r.get("changes", []) if c is not None]
            if changes:  # reports written before the field existed lack it
                line += f"; of step-to-step changes: {min(changes):.2f} to {max(changes):.2f}"
            line += ")"
        lines.append(line)
    return "\n".join(lines)


def _publish(
    folder: str,
    report: dict,
    real,
    fake,
    *,
    seed: int,
    plots: bool,
    lengths=(None, None),
    keep_plots: bool = False,
) -> None:
    """Writes metrics.json (+ plots) into a temporary folder, then moves it into place.

    lengths: (real_lengths, fake_lengths) for variable-length sequences, else Nones.
    keep_plots: carry the PNGs already in `folder` over (the same samples, not redrawn)."""
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".eval-")
    try:
        if plots:
            report["plots"] = [
                os.path.join(folder, os.path.basename(p))
                for p in write_plots(
                    real,
                    fake,
                    staging,
                    seed=seed,
                    real_lengths=lengths[0],
                    fake_lengths=lengths[1],
                )
            ]
        if keep_plots:
            for name in os.listdir(folder):
                if name.endswith(".png"):
                    shutil.copy2(os.path.join(folder, name), staging)
        with open(os.path.join(staging, "metrics.json"), "w") as f:
            json.dump(report, f, indent=2)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


def scoring_units(config) -> str:
    """The units a run is scored in: "original" for Sines, "training" (the [0, 1] min-max
    training scale) for every other source.

    The published numbers follow TimeGAN's code, which min-max scales Stocks and Energy
    before anything else (as rgan's training scale does) but scores Sines as generated,
    in [0, 1] without rescaling. Sines span about [0.5, 1], so scoring them in the
    training scale would stretch every error about twofold (the predictive score of real
    Sines would be ~0.19 instead of the published 0.094).
    """
    return "original" if config.data.source == "sines" else "training"


class RealAndGenerated(typing.NamedTuple):
    """A run's training windows and as many generated ones, as the metrics score them.

    real, fake: float32 [N, T, D] in the run's scoring units (see `scoring_units`);
    real_lengths, fake_lengths: int [N] valid steps of each (the generated ones zero-padded
    past theirs), or None for fixed-length data; labels: {real_labels, fake_labels} int [N]
    (the requested classes) for a class-conditional run, else empty.
    """

    real: np.ndarray
    fake: np.ndarray
    real_lengths: np.ndarray | None
    fake_lengths: np.ndarray | None
    labels: dict


def real_and_generated(run, seed: int) -> RealAndGenerated:
    """`run`'s (an rgan.sample.Run) training windows against as many generated with
    `seed`: conditions drawn as the training data's, each generated sequence cut at a
    length drawn from the training lengths (as `rgan.sample` draws them)."""
    real = run.training_windows()
    conditions = run.sample_conditions(len(real), seed)
    fake = run.sample_scaled(len(real), seed=seed, cond=conditions)
    labels = {}
    if run.conditional and run.conditions.kind == "class":
        labels = dict(
            real_labels=np.argmax(run.training_conditions(), axis=1),
            fake_labels=np.argmax(conditions, axis=1),
        )
    if scoring_units(run.config) == "original":
        real, fake = (run.scaler.inverse(x).astype(np.float32) for x in (real, fake))
    real_lengths = fake_lengths = None
    if run.variable_length:
        real_lengths = run.training_lengths()
        fake_lengths = run.sample_lengths(len(real), seed)
        fake = validation.zero_padding(fake, np.asarray(fake_lengths))
    return RealAndGenerated(real, fake, real_lengths, fake_lengths, labels)


def evaluate_run(
    workdir: str,
    *,
    repeats: int = 5,
    seed: int = 0,
    plots: bool = True,
    ema: bool = True,
    member: int | None = None,
    step: int | None = None,
    **options,
):
    """Samples from `workdir`'s latest checkpoint (or the one at `step`) and scores it
    against its training data.

    A variable-length run is scored on its training sequences with their lengths against
    as many generated ones, each cut (zero-padded) at a length drawn from the training
    lengths, as `rgan.sample` draws them; see the module docstring for the metrics used.

    ema: sample with the generator's moving average where the run kept one (see
    `rgan.sample.Run.ema`); False scores the raw weights. member: an ensemble's member
    (required for an ensemble), whose report goes to `workdir/members/<member>/eval/`.

    Returns the report dict that is written to `workdir/eval/step_<step>/metrics.json` and
    to `workdir/eval/metrics.json` (the raw weights' to `metrics_raw.json`, beside it, when
    the run also has a moving average). An earlier checkpoint's report (`step`, as
    scripts/score_curve.py asks for) does not replace a later step's `metrics.json`. A step
    report already on disk for the same samples, repeats and metric settings keeps the
    metrics this call does not score (its plots too, with `plots=False`).
    """
    from rgan.sample import load_run

    run = load_run(workdir, step, ema=ema, member=member)
    real, fake, real_lengths, fake_lengths, labels = real_and_generated(run, seed)
    units = scoring_units(run.config)
    results = evaluate_arrays(
        real,
        fake,
        repeats=repeats,
        seed=seed,
        real_lengths=real_lengths,
        fake_lengths=fake_lengths,
        **labels,
        **options,
    )
    # The raw weights of a run that has a moving average go beside the default report.
    suffix = "_raw" if not ema and has_moving_average(run.state.params) else ""
    report = {
        "workdir": os.path.abspath(workdir),
        "report_file": f"metrics{suffix}.json",
        "member": member,
        "step": run.step,
        "num_windows": int(len(real)),
        "repeats": repeats,
        "seed": seed,
        "variable_length": run.variable_length,
        "units": units,
        "weights": run.weights,
        "iterations": trained_iterations(options),
        "metrics": results,
    }
    if run.variable_length:
        report["mean_length"] = {
            "real": float(np.mean(real_lengths)),
            "fake": float(np.mean(fake_lengths)),
        }
    eval_dir = os.path.join(run.output_dir, "eval")
    step_folder = os.path.join(eval_dir, f"step_{run.step:08d}{suffix}")
    earlier = _read_report(os.path.join(step_folder, "metrics.json"))
    keep_plots = False
    if _same_evaluation(earlier, report):
        # Scoring more metrics of the same samples adds them to the step's report.
        merged = {**earlier["metrics"], **results}
        report["metrics"] = {name: merged[name] for name in METRICS if name in merged}
        keep_plots = not plots and bool(earlier.get("plots"))
        if keep_plots:
            report["plots"] = earlier["plots"]
    _publish(
        step_folder,
        report,
        real,
        fake,
        seed=seed,
        plots=plots,
        lengths=(real_lengths, fake_lengths),
        keep_plots=keep_plots,
    )
    latest = os.path.join(eval_dir, f"metrics{suffix}.json")
    if _reported_step(latest) <= run.step:
        tmp = os.path.join(eval_dir, f".metrics{suffix}.json.tmp")
        shutil.copyfile(os.path.join(step_folder, "metrics.json"), tmp)
        os.replace(tmp, latest)
    return report


def trained_iterations(options: dict) -> dict:
    """The training steps of the metrics' own networks that `options` give, defaults
    filled in (the protocol's): {"discriminative": 2000, "predictive": 5000,
    "context_fid": None (TS2Vec's own)}."""
    return {
        name: options.get(f"{name}_iterations") or default
        for name, default in PROTOCOL_ITERATIONS.items()
    }


# What makes two reports of one checkpoint score the same samples the same way.
SAME_EVALUATION = ("step", "member", "num_windows", "repeats", "seed", "units", "weights")


def _same_evaluation(earlier: dict | None, report: dict) -> bool:
    """Whether `earlier` (a step's report on disk) scored the samples `report` scores, with
    the same repeats and metric settings, so that its other metrics may join `report`'s.
    Reports from before the iterations were recorded used the protocol's."""
    if earlier is None or "metrics" not in earlier:
        return False
    if any(earlier.get(key) != report.get(key) for key in SAME_EVALUATION):
        return False
    return earlier.get("iterations", PROTOCOL_ITERATIONS) == report["iterations"]


def _read_report(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _reported_step(path: str) -> int:
    """The step of the report at `path`; -1 where there is none (or it cannot be read)."""
    report = _read_report(path)
    try:
        return int(report["step"])
    except (KeyError, TypeError, ValueError):
        return -1


def load_windows(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """`.npy` [N, T, D] -> (windows, None); `.npz` with `samples` or `windows` [N, T, D] and
    optional `lengths` [N] (as `rgan.sample` writes) -> (windows, lengths or None)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist.")
    if not path.endswith(".npz"):
        return np.load(path, allow_pickle=False), None
    with np.load(path, allow_pickle=False) as archive:
        names = [k for k in ("samples", "windows") if k in archive.files]
        if len(names) != 1:
            raise ValueError(
                f"{path} must hold exactly one of the arrays 'samples' or 'windows' "
                f"[N, T, D] (and optionally 'lengths' [N]); it holds {archive.files}"
            )
        windows = archive[names[0]]
        lengths = archive["lengths"] if "lengths" in archive.files else None
    return windows, lengths


def evaluate_files(real_path: str, fake_path: str, out: str | None, *, repeats=5, seed=0, **opt):
    """Scores two `.npy`/`.npz` arrays [N, T, D] in [0, 1] (see `load_windows`; `.npz` may
    carry `lengths`); writes `out/metrics.json` if given."""
    real, real_lengths = load_windows(real_path)
    fake, fake_lengths = load_windows(fake_path)
    results = evaluate_arrays(
        real,
        fake,
        repeats=repeats,
        seed=seed,
        real_lengths=real_lengths,
        fake_lengths=fake_lengths,
        **opt,
    )
    report = {
        "real": real_path,
        "fake": fake_path,
        "repeats": repeats,
        "seed": seed,
        "iterations": trained_iterations(opt),
        "metrics": results,
    }
    if out:
        lengths = (real_lengths, fake_lengths)
        _publish(out, report, real, fake, seed=seed, plots=True, lengths=lengths)
    return report


FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_string("workdir", None, "A trained run to evaluate.")
    flags.DEFINE_string(
        "real",
        None,
        ".npy of real windows [N, T, D] in [0, 1], or .npz with `windows` (or `samples`) "
        "and optional `lengths` [N] for variable-length sequences padded to T.",
    )
    flags.DEFINE_string(
        "fake", None, "Generated windows in [0, 1], as --real (.npy, or .npz with `lengths`)."
    )
    flags.DEFINE_string("out", None, "With --real/--fake: folder for metrics.json and plots.")
    flags.DEFINE_integer("repeats", 5, "Repeats of each trained metric.")
    flags.DEFINE_integer("seed", 0, "Seed of the first repeat (and of the samples).")
    flags.DEFINE_list("metrics", list(METRICS), f"Metrics to compute, from {METRICS}.")
    flags.DEFINE_integer(
        "discriminative_iterations",
        PROTOCOL_ITERATIONS["discriminative"],
        "Classifier training steps.",
    )
    flags.DEFINE_integer(
        "predictive_iterations", PROTOCOL_ITERATIONS["predictive"], "Regressor training steps."
    )
    flags.DEFINE_integer(
        "context_fid_iterations",
        None,
        "TS2Vec encoder training steps; default TS2Vec's own (200, or 600 for data of more "
        "than 100,000 values).",
    )
    flags.DEFINE_bool("plots", True, "Write PCA, t-SNE and sample-grid PNGs.")
    flags.DEFINE_bool(
        "ema",
        True,
        "--workdir: sample with the moving average of the generator's weights where the run "
        "kept one; --noema scores the raw weights (eval/metrics_raw.json).",
    )
    flags.DEFINE_integer(
        "member",
        None,
        "--workdir of an ensemble (train.ensemble=K): the member to score, 0..K-1; its "
        "report goes to workdir/members/<member>/eval/.",
    )
    flags.DEFINE_integer(
        "step",
        None,
        "--workdir: score the checkpoint of this step (default the latest); its report goes "
        "to eval/step_<step>/ and replaces eval/metrics.json only if that holds no later step.",
    )


@cli.reports_user_errors
def main(argv):
    del argv
    cli.setup_process(reader=True)
    options = dict(
        metrics=tuple(FLAGS.metrics),
        discriminative_iterations=FLAGS.discriminative_iterations,
        predictive_iterations=FLAGS.predictive_iterations,
        context_fid_iterations=FLAGS.context_fid_iterations,
    )
    if FLAGS.workdir and not (FLAGS.real or FLAGS.fake):
        report = evaluate_run(
            FLAGS.workdir,
            repeats=FLAGS.repeats,
            seed=FLAGS.seed,
            plots=FLAGS.plots,
            ema=FLAGS.ema,
            member=FLAGS.member,
            step=FLAGS.step,
            **options,
        )
        folder = FLAGS.workdir
        if FLAGS.member is not None:
            from rgan.ensemble import member_dir

            folder = member_dir(FLAGS.workdir, FLAGS.member)
        where = os.path.join(folder, "eval", report["report_file"])
        if FLAGS.step is not None:  # an earlier step's report may not be the latest
            suffix = report["report_file"][len("metrics") : -len(".json")]
            step_folder = f"step_{report['step']:08d}{suffix}"
            where = os.path.join(folder, "eval", step_folder, "metrics.json")
    elif FLAGS.real and FLAGS.fake and not FLAGS.workdir:
        report = evaluate_files(
            FLAGS.real, FLAGS.fake, FLAGS.out, repeats=FLAGS.repeats, seed=FLAGS.seed, **options
        )
        where = os.path.join(FLAGS.out, "metrics.json") if FLAGS.out else None
    else:
        raise app.UsageError("Pass either --workdir, or both --real and --fake.")
    print(format_table(report["metrics"]))
    if where:
        print(f"Wrote {where}")


if __name__ == "__main__":
    _define_flags()
    cli.define_verbose_flag()
    app.run(main)
