"""Which sines does a Sines run generate? Each window's features fitted as sine waves.

    python scripts/sine_fit.py --name=sine_fit_timegan \
        --run=seed_0=runs/sines_timegan/members/0 [--run=LABEL=WORKDIR ...] [--out=results] \
        [--noema] [--round_trip]

A Sines window (rgan.data.sines) has, per feature, x_t = (sin(f t + p) + 1) / 2 with a
frequency f ~ U(0, data.sine_freq_max) and a phase p ~ U(0, 0.1): ten numbers make the
whole window. The discriminative score says how well a classifier tells generated windows
from these; this script says what differs, in the data's own terms. It fits every
generated feature sequence (and every real one, as a check) with the nearest sine of the
data's family, y_t = 2 x_t - 1 = sin(f t + p), by least squares (`fit_sines`), and
reports the distributions of f and p, the fit's residual, and how far each sequence ends
below its own peak (no fit needed: a sine that turns within the window falls by its end;
curves that only rise or flatten do not): a generator that never
makes the fastest sines of the data shows a frequency range cut short (the share of
sequences in the top tenth of the data's frequency range), one that makes curves no
sine of the family draws a large residual. Real windows fit with a residual ~0.

The windows are those `rgan.evaluate` scores (the training windows against as many
generated with seed 0), in original units; --noema samples the trained weights instead of
their moving average. --round_trip adds, for each TimeGAN run, a row `<label>_round_trip`:
the fit of its autoencoder's round trip R(E(x)) of the real windows, which says whether
the sines a generator lacks are lost in the autoencoder or in the generator. Writes
`<out>/<name>.json` (everything, with the command and commit) and `<out>/<name>.md`.
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
FLAGS = flags.FLAGS

QUANTILES = (0.01, 0.1, 0.5, 0.9, 0.99)
# A sequence "turns": it ends more than this below its own peak (original units, where a
# sine spans 1). Real Sines windows with f t + p past pi / 2 early enough do; a generator
# that only makes rising or flattening curves has none.
TURN = 0.05
FREQUENCY_BINS = 10  # histogram bins over the data's frequency range (0, sine_freq_max)


def fit_sines(y: np.ndarray, freq_max: float, chunk: int = 2048) -> dict:
    """Least-squares fit of y_t = sin(f t + p), the data's own family, to every sequence.

    A grid search over f in [0, 1.5 freq_max] (steps of freq_max / 50) and p in
    [-0.5, 0.6] (steps of 0.01) finds the basin; Gauss-Newton steps on (f, p) then refine
    it to the least-squares optimum (a sequence whose refinement ends worse than its grid
    point keeps the grid point).

    y: [N, T] sequences (sines in [-1, 1]). Returns {"frequency", "phase", "residual"}
    (residual: root mean square over steps of y - sin(f t + p)), each [N].
    """
    y = np.asarray(y, np.float64)
    t = np.arange(y.shape[1], dtype=np.float64)
    grid_f, grid_p = np.meshgrid(
        np.arange(76) * freq_max / 50, np.linspace(-0.5, 0.6, 111), indexing="ij"
    )
    grid_f, grid_p = grid_f.ravel(), grid_p.ravel()
    curves = np.sin(grid_f[:, None] * t + grid_p[:, None])  # [K, T]

    def rms_error(frequency, phase):  # [N], [N] -> [N]
        return np.sqrt(np.mean((y - np.sin(frequency[:, None] * t + phase[:, None])) ** 2, 1))

    frequency, phase = np.empty(len(y)), np.empty(len(y))
    for start in range(0, len(y), chunk):
        part = y[start : start + chunk]
        # ||y - c||^2 up to ||y||^2, for every grid curve c at once.
        distance = (curves**2).sum(1)[None, :] - 2.0 * part @ curves.T  # [n, K]
        k = np.argmin(distance, axis=1)
        frequency[start : start + len(part)] = grid_f[k]
        phase[start : start + len(part)] = grid_p[k]
    grid_point, grid_error = (frequency.copy(), phase.copy()), rms_error(frequency, phase)
    for _ in range(10):  # Gauss-Newton on (f, p), every sequence at once
        angle = frequency[:, None] * t + phase[:, None]  # [N, T]
        residual = y - np.sin(angle)
        d_angle = np.cos(angle)
        jf, jp = d_angle * t, d_angle  # d sin / d f, d sin / d p: [N, T]
        a, b, c = (jf * jf).sum(1), (jf * jp).sum(1), (jp * jp).sum(1)
        gf, gp = (jf * residual).sum(1), (jp * residual).sum(1)
        det = np.maximum(a * c - b * b, 1e-12)
        frequency += (c * gf - b * gp) / det
        phase += (a * gp - b * gf) / det
    residual = rms_error(frequency, phase)
    worse = ~(residual <= grid_error)  # NaN included
    frequency[worse], phase[worse] = grid_point[0][worse], grid_point[1][worse]
    residual[worse] = grid_error[worse]
    return {"frequency": frequency, "phase": phase, "residual": residual}


def describe(windows: np.ndarray, freq_max: float) -> dict:
    """Fits every feature of windows [N, T, D] (original units, x = (sin + 1) / 2) and
    summarizes: quantiles of each fitted quantity, the frequency histogram over
    (0, freq_max) in FREQUENCY_BINS bins (shares; a fitted f below 0 counts in the first,
    one above freq_max in the last), the share of sequences in the top tenth of that
    range, and (no fit needed) quantiles of how far each sequence ends below its own peak
    with the share that ends more than TURN below it."""
    sequences = np.moveaxis(np.asarray(windows), 2, 1).reshape(-1, windows.shape[1])
    fit = fit_sines(2.0 * sequences - 1.0, freq_max)
    frequency = fit["frequency"]
    bins = np.linspace(0.0, freq_max, FREQUENCY_BINS + 1)
    counts = np.histogram(np.clip(frequency, 0.0, freq_max), bins=bins)[0]
    summary = {
        name: {
            str(q): float(v) for q, v in zip(QUANTILES, np.quantile(values, QUANTILES), strict=True)
        }
        for name, values in fit.items()
    }
    summary["frequency_histogram"] = (counts / len(frequency)).tolist()
    summary["top_tenth_share"] = float(np.mean(frequency >= 0.9 * freq_max))
    fall = sequences.max(axis=1) - sequences[:, -1]  # how far below its peak each ends
    summary["fall"] = {
        str(q): float(v) for q, v in zip(QUANTILES, np.quantile(fall, QUANTILES), strict=True)
    }
    summary["turning_share"] = float(np.mean(fall > TURN))
    summary["sequences"] = len(frequency)
    return summary


def render_markdown(results: dict) -> str:
    freq_max = results["sine_freq_max"]
    rows = {"real": results["real"], **{k: v["fit"] for k, v in results["runs"].items()}}
    samples = [v for v in results["runs"].values() if not v.get("round_trip")]
    weights = ", ".join(sorted({v.get("weights", "ema") for v in samples}))
    round_trip_note = (
        " Rows `*_round_trip`: the run's autoencoder round trip R(E(x)) of the real windows "
        "(TimeGAN), not its samples."
        if any(v.get("round_trip") for v in results["runs"].values())
        else ""
    )

    def quantiles(values: dict, digits: int) -> str:
        return " / ".join(f"{values[str(q)]:.{digits}f}" for q in QUANTILES)

    lines = [
        f"# {results['name']}",
        "",
        "| windows | frequency f: 1 / 10 / 50 / 90 / 99% | f in the top tenth | phase p: "
        f"1 / 10 / 50 / 90 / 99% | residual: 50 / 90 / 99% | ends > {TURN:g} below its "
        "peak | end below peak: 90 / 99% |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, fit in rows.items():
        residual = " / ".join(f"{fit['residual'][q]:.3f}" for q in ("0.5", "0.9", "0.99"))
        turning, fall = "–", "–"  # files written before the turn was measured
        if "fall" in fit:
            turning = f"{fit['turning_share']:.3f}"
            fall = " / ".join(f"{fit['fall'][q]:.3f}" for q in ("0.9", "0.99"))
        lines.append(
            f"| {label} | {quantiles(fit['frequency'], 3)} | {fit['top_tenth_share']:.3f} | "
            f"{quantiles(fit['phase'], 3)} | {residual} | {turning} | {fall} |"
        )
    edges = np.linspace(0.0, freq_max, FREQUENCY_BINS + 1)
    bins = [f"{a:.2f}-{b:.2f}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    lines += [
        "",
        "Share of sequences per frequency bin:",
        "",
        "| windows | " + " | ".join(bins) + " |",
        "|---|" + "---|" * FREQUENCY_BINS,
    ]
    for label, fit in rows.items():
        lines.append(
            f"| {label} | " + " | ".join(f"{s:.3f}" for s in fit["frequency_histogram"]) + " |"
        )
    lines += [
        "",
        "Every feature sequence of every window fitted as 2x - 1 = sin(f t + p) by least "
        f"squares (scripts/sine_fit.py). The data draws f ~ U(0, {freq_max:g}) and "
        "p ~ U(0, 0.1), so real windows fit with a uniform frequency histogram "
        "(a tenth per bin) and a residual of ~0; the residual is the root mean square over "
        "steps of what a sine does not explain. The last two columns need no fit: how far "
        "each sequence ends below its own maximum (original units; a real sequence falls "
        "once f t + p passes pi / 2 within the window). Windows as rgan.evaluate scores them "
        f"(seed 0), {rows['real']['sequences']} real sequences; generator weights: "
        f"{weights}." + round_trip_note,
        "",
        f"`{results['command']}` at commit `{results['commit']}` ({results['date']}).",
    ]
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from position_probe import split_run, write_results

    from rgan.evaluate import real_and_generated, scoring_units
    from rgan.sample import load_run

    real_fit, freq_max, runs = None, None, {}
    for text in FLAGS.run:
        label, workdir, member = split_run(text)
        run = load_run(workdir, member=member, ema=FLAGS.ema)
        if run.config.data.source != "sines":
            raise app.UsageError(
                f"--run={text!r}: a run on data.source={run.config.data.source!r}; "
                "sine_fit.py fits runs trained on Sines (data.source='sines')."
            )
        run_freq_max = float(run.config.data.get("sine_freq_max", 0.1))
        if freq_max is not None and run_freq_max != freq_max:
            raise app.UsageError(
                f"--run={text!r}: data.sine_freq_max={run_freq_max}, the runs before it "
                f"{freq_max}; compare runs on the same data."
            )
        freq_max = run_freq_max
        windows = real_and_generated(run, seed=0)
        real, fake = np.asarray(windows.real), np.asarray(windows.fake)
        if scoring_units(run.config) != "original":
            real, fake = (np.asarray(run.scaler.inverse(x), np.float32) for x in (real, fake))
        if real_fit is None:
            real_fit = describe(real, freq_max)
        fit = describe(fake, freq_max)
        fits = {label: fit}
        if FLAGS.round_trip:
            fits[f"{label}_round_trip"] = describe(round_trip(run, text), freq_max)
        for row, fit in fits.items():
            runs[row] = {
                "workdir": os.path.abspath(workdir),
                "member": member,
                "step": run.step,
                # The round trip uses E and R as trained; a moving average is G's path's.
                "weights": run.weights if row == label else "raw",
                "round_trip": row != label,
                "fit": fit,
            }
            print(
                f"{row}: frequency 99% {fit['frequency']['0.99']:.4f}, top tenth "
                f"{fit['top_tenth_share']:.3f} (real {real_fit['top_tenth_share']:.3f}), "
                f"residual median {fit['residual']['0.5']:.4f}"
            )
    write_results(
        FLAGS.name, None, runs, FLAGS.out, render_markdown, real=real_fit, sine_freq_max=freq_max
    )


def round_trip(run, text: str) -> np.ndarray:
    """R(E(x)) of `run`'s real training windows [N, T, D], in original units, with E and R
    as trained (as scripts/autoencoder_floor.py has them); `run` is a TimeGAN
    rgan.sample.Run (a family with an autoencoder)."""
    import jax

    if run.family.reconstruct is None:
        raise app.UsageError(
            f"--run={text!r}: family {run.config.family!r} has no autoencoder; "
            "--round_trip applies to TimeGAN runs."
        )
    real = np.asarray(run.training_windows(), np.float32)  # the training scale
    recon = jax.jit(run.family.reconstruct)(run.state.params, real, None)
    return np.asarray(run.scaler.inverse(np.asarray(recon)), np.float32)


if __name__ == "__main__":
    flags.DEFINE_string("name", None, "The results' name: <out>/<name>.json and .md.")
    flags.DEFINE_multi_string("run", [], "LABEL=WORKDIR (or ENSEMBLE/members/<i>).")
    flags.DEFINE_string("out", str(REPO / "results"), "Where the results go.")
    flags.DEFINE_bool("ema", True, "Sample the moving average of G (--noema: the trained weights).")
    flags.DEFINE_bool(
        "round_trip", False, "Also fit each TimeGAN run's round trip R(E(x)) of the real windows."
    )
    flags.mark_flags_as_required(["name", "run"])
    app.run(main)
