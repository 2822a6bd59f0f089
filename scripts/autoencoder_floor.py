"""How well could a TimeGAN run score with a perfect generator? Its autoencoder's floor.

    python scripts/autoencoder_floor.py --name=floor_energy --run=LABEL=WORKDIR \
        [--run=LABEL=ENSEMBLE/members/1 ...] [--repeats=5] [--out=results]

TimeGAN generates in the latent space of its embedder E and decodes with its recovery R,
so its samples come no closer to the data than the round trip R(E(X)) does. The floor is
the discriminative score (rgan.metrics, the published protocol) of the reconstructions
R(E(x)) of one random half of the run's training windows against the other half, mean
and standard deviation over `--repeats` random splits (each with its own classifier
seed): a generator that matched the latent distribution exactly would score about that,
and a run whose floor is above a target cannot meet it by training its generator longer.

Beside it, how rough the reconstructions and the run's samples are against the real
windows (Family.reconstruct uses the trained E and R; the samples are those
rgan.evaluate scores, with the moving average where the run kept one): the
root-mean-square reconstruction error; each feature's standard deviation of step-to-step
changes, relative to the real windows' (its range over the features); and the lag-1
autocorrelation of those changes (`change_autocorrelation`, mean over the features):
about +1 for smooth trends, 0 for a random walk, -0.5 for white noise and near -1 for a
zig-zag: a texture that the discriminative classifier, which reads whole windows,
picks up. And each feature's spread within windows (`window_spread`: the standard
deviation around each window's own mean) relative to the real windows': a series that
drifts less within a window than the data's, which the pooled moments cannot see.
Writes `<out>/<name>.json` (everything, with the command and commit) and `<out>/<name>.md`.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
from absl import app, flags

REPO = pathlib.Path(__file__).resolve().parents[1]
FLAGS = flags.FLAGS


def _valid_steps(x: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    """bool [N, T]: the steps each window has (all of them without lengths)."""
    n, t = x.shape[:2]
    if lengths is None:
        return np.ones((n, t), bool)
    return np.arange(t)[None, :] < np.asarray(lengths)[:, None]


def change_std(x: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Standard deviation of the step-to-step changes of each feature, pooled over the
    windows and steps (within each window's length): x [N, T, D] -> [D]."""
    valid = _valid_steps(x, lengths)
    pairs = valid[:, 1:] & valid[:, :-1]
    changes = np.diff(x, axis=1)[pairs]  # [pairs, D]
    return changes.std(axis=0)


def change_autocorrelation(x: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Lag-1 autocorrelation of each feature's step-to-step changes, over every pair of
    consecutive changes within a window's length: x [N, T, D] (T >= 3) -> [D].

    +1: the changes persist (smooth trends); 0: a random walk; -0.5: white noise (the
    changes of independent values); -1: a zig-zag. 0 for a feature that never changes."""
    valid = _valid_steps(x, lengths)
    triples = valid[:, 2:] & valid[:, 1:-1] & valid[:, :-2]
    changes = np.diff(x.astype(np.float64), axis=1)
    later, earlier = changes[:, 1:][triples], changes[:, :-1][triples]  # [triples, D]
    later, earlier = later - later.mean(0), earlier - earlier.mean(0)
    spread = np.sqrt((later**2).mean(0) * (earlier**2).mean(0))
    covariance = (later * earlier).mean(0)
    return np.where(spread > 0, covariance / np.where(spread > 0, spread, 1.0), 0.0)


def window_spread(x: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Standard deviation of each feature around each window's own mean, pooled over the
    windows (within each window's length): how far a series moves within one window,
    without the differences between windows' levels: x [N, T, D] -> [D].

    A feature's pooled standard deviation (what the moment terms match) mixes the spread
    of the windows' levels with the spread within windows; on data cut from slowly
    drifting series the levels dominate, so windows that are too flat hardly change it."""
    valid = _valid_steps(x, lengths)[..., None]  # [N, T, 1]
    x = x.astype(np.float64)
    counts = valid.sum(axis=1, keepdims=True)  # [N, 1, 1]
    means = np.where(valid, x, 0.0).sum(axis=1, keepdims=True) / np.maximum(counts, 1)
    squares = np.where(valid, (x - means) ** 2, 0.0).sum(axis=(0, 1))
    return np.sqrt(squares / max(int(valid.sum()), 1))


def texture(real, other, real_lengths=None, other_lengths=None) -> dict:
    """How rough `other` [N, T, D] is against `real` [M, T, D], and how far it moves
    within its windows (see the module docstring)."""
    ratio = change_std(other, other_lengths) / np.maximum(change_std(real, real_lengths), 1e-12)
    spread = window_spread(other, other_lengths) / np.maximum(
        window_spread(real, real_lengths), 1e-12
    )
    return {
        "change_std_ratio_min": float(ratio.min()),
        "change_std_ratio_max": float(ratio.max()),
        "change_autocorrelation": float(change_autocorrelation(other, other_lengths).mean()),
        "window_spread_ratio_min": float(spread.min()),
        "window_spread_ratio_median": float(np.median(spread)),
        "window_spread_ratio_max": float(spread.max()),
        "window_spread_ratio": [float(v) for v in spread],  # per feature
    }


def floor_scores(
    real: np.ndarray,
    reconstruct,
    repeats: int,
    lengths: np.ndarray | None = None,
    iterations: int | None = None,
) -> tuple[list[float], np.ndarray, np.ndarray, np.ndarray | None]:
    """The discriminative score of `reconstruct(half_b, lengths_b)` against `half_a`, two
    random disjoint halves of `real` [N, T, D], once per repeat (seeds 0..repeats-1).

    Returns (scores, the first repeat's reconstructed half [N // 2, T, D], that half's
    real windows, and their lengths or None)."""
    from rgan.metrics.discriminative import discriminative_score

    options = {} if iterations is None else {"iterations": iterations}
    half = len(real) // 2
    scores, first = [], None
    for seed in range(repeats):
        order = np.random.default_rng(seed).permutation(len(real))
        a, b = order[:half], order[half : 2 * half]
        la, lb = (None, None) if lengths is None else (lengths[a], lengths[b])
        recon = np.asarray(reconstruct(real[b], lb))
        if lengths is not None:
            recon = np.where(_valid_steps(recon, lb)[..., None], recon, 0.0)
        scores.append(
            discriminative_score(
                real[a], recon, seed=seed, real_lengths=la, fake_lengths=lb, **options
            )
        )
        if first is None:
            first = (recon, real[b], lb)
    return scores, *first


def run_floor(run, repeats: int, iterations: int | None = None) -> dict:
    """The floor and texture of an rgan.sample.Run whose family has an autoencoder."""
    import jax

    if run.family.reconstruct is None:
        raise app.UsageError(
            f"{run.workdir}: family {run.config.family!r} has no autoencoder; the floor "
            "applies to TimeGAN runs."
        )
    real = np.asarray(run.training_windows(), np.float32)
    lengths = np.asarray(run.training_lengths()) if run.variable_length else None
    round_trip = jax.jit(run.family.reconstruct)

    def reconstruct(x, x_lengths):
        mask = None if x_lengths is None else _valid_steps(x, x_lengths).astype(np.float32)
        return round_trip(run.state.params, x, mask)

    scores, recon, originals, recon_lengths = floor_scores(
        real, reconstruct, repeats, lengths, iterations
    )
    valid = _valid_steps(originals, recon_lengths)
    squared = ((recon - originals) ** 2)[valid]
    tg = run.config.timegan
    joint_iterations = max(run.step - tg.embedding_steps - tg.supervised_steps, 0)
    generated = None  # before the joint phase the generator is untrained: nothing to show
    if joint_iterations:
        # The windows rgan.evaluate scores (its seed 0), kept in the training scale, where
        # the reconstructions are (evaluate may score them in the data's original units).
        conditions = run.sample_conditions(len(real), 0)
        fake = np.asarray(run.sample_scaled(len(real), seed=0, cond=conditions))
        fake_lengths = np.asarray(run.sample_lengths(len(real), 0)) if run.variable_length else None
        generated = texture(real, fake, lengths, fake_lengths)
    return {
        "workdir": os.path.abspath(run.workdir),
        "member": run.member,
        "step": run.step,
        "joint_iterations": joint_iterations,
        "floor": {"mean": float(np.mean(scores)), "std": float(np.std(scores)), "repeats": scores},
        "reconstruction_rmse": float(np.sqrt(squared.mean())),
        "real_change_autocorrelation": float(change_autocorrelation(real, lengths).mean()),
        "reconstruction": texture(real, recon, lengths, recon_lengths),
        "generated": generated,
    }


def _spread_range(texture_of: dict) -> str:
    """'min-max (median m)' of a texture's within-window spread ratios."""
    low, mid, high = (texture_of[f"window_spread_ratio_{k}"] for k in ("min", "median", "max"))
    return f"{low:.2f}-{high:.2f} (median {mid:.2f})"


def render_markdown(results: dict) -> str:
    rows = [
        f"# {results['name']}",
        "",
        "| run | step (joint) | floor (disc.) ↓ | reconstruction RMSE | change std: reconstruction "
        "/ real | generated / real | change autocorrelation: real | reconstruction | generated "
        "| spread within windows: reconstruction / real | generated / real |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in results["runs"].items():
        rec, gen = r["reconstruction"], r["generated"]
        if gen is None:
            gen_std = gen_autocorrelation = gen_spread = "–"
        else:
            gen_std = f"{gen['change_std_ratio_min']:.2f}-{gen['change_std_ratio_max']:.2f}"
            gen_autocorrelation = f"{gen['change_autocorrelation']:+.2f}"
            gen_spread = _spread_range(gen)
        rows.append(
            f"| {label} | {r['step']:,} ({r['joint_iterations']:,}) "
            f"| {r['floor']['mean']:.3f} ± {r['floor']['std']:.3f} "
            f"| {r['reconstruction_rmse']:.4f} "
            f"| {rec['change_std_ratio_min']:.2f}-{rec['change_std_ratio_max']:.2f} "
            f"| {gen_std} | {r['real_change_autocorrelation']:+.2f} "
            f"| {rec['change_autocorrelation']:+.2f} | {gen_autocorrelation} "
            f"| {_spread_range(rec)} | {gen_spread} |"
        )
    rows += [
        "",
        f"Floor: the discriminative score of the autoencoder's reconstructions R(E(x)) of one "
        f"random half of the training windows against the other half, mean ± std over "
        f"{results['repeats']} splits (a generator that matched the latent distribution "
        "exactly would score about this). Change std: each feature's standard deviation of "
        "step-to-step changes over the real windows' (range over the features). Change "
        "autocorrelation: the lag-1 autocorrelation of those changes, mean over the "
        "features (+1 smooth trends, 0 a random walk, -0.5 white noise, -1 a zig-zag). "
        "Spread within windows: each feature's standard deviation around each window's own "
        "mean over the real windows' (range over the features, and its median; per feature "
        "in the .json). "
        "Generated: the windows rgan.evaluate scores (seed 0); – before the joint phase, "
        "whose generator is untrained.",
        "",
        f"`{results['command']}` at commit `{results['commit']}` ({results['date']}).",
        "",
    ]
    return "\n".join(rows)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from position_probe import split_run, write_results  # scripts/ is on sys.path

    from rgan.sample import load_run

    runs = {}
    for text in FLAGS.run:
        label, workdir, member = split_run(text)
        runs[label] = run_floor(load_run(workdir, member=member), FLAGS.repeats)
        r = runs[label]
        print(
            f"{label} (step {r['step']}): floor {r['floor']['mean']:.3f} ± "
            f"{r['floor']['std']:.3f}, reconstruction RMSE {r['reconstruction_rmse']:.4f}, "
            f"change autocorrelation real {r['real_change_autocorrelation']:+.2f}, "
            f"reconstruction {r['reconstruction']['change_autocorrelation']:+.2f}"
            + (
                ""
                if r["generated"] is None
                else f", generated {r['generated']['change_autocorrelation']:+.2f}"
            )
        )
    write_results(FLAGS.name, FLAGS.repeats, runs, FLAGS.out, render_markdown)


if __name__ == "__main__":
    flags.DEFINE_string("name", None, "The results' name: <out>/<name>.json and .md.")
    flags.DEFINE_multi_string("run", [], "LABEL=WORKDIR (or ENSEMBLE/members/<i>).")
    flags.DEFINE_integer("repeats", 5, "Random splits, each scored once.", lower_bound=1)
    flags.DEFINE_string("out", str(REPO / "results"), "Where the results go.")
    flags.mark_flags_as_required(["name", "run"])
    app.run(main)
