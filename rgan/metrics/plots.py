"""Pictures of real against generated windows: PCA, t-SNE and a sample grid (PNG files).

matplotlib is imported inside the functions, so the rest of rgan.metrics works without it
(install it with the [plots] extra). Figures are built with matplotlib's object API, not
pyplot, so no global backend or figure state is touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rgan.metrics import tsne, validation

PICTURE_WINDOWS = 1000
REAL_COLOUR = "tab:red"
FAKE_COLOUR = "tab:blue"


def pca_plot(real, fake, path, *, seed: int) -> Path:
    """Scatter of the first two principal components, fitted on real, of window averages.

    As Diffusion-TS/TimeGAN: up to 1000 random windows (the same indices in both sets), each
    averaged over features to a length-T vector; PCA (numpy SVD) fitted on the real vectors
    projects both sets.

    Args:
      real: [n_real, time, features] training windows.
      fake: [n_fake, time, features] generated windows.
      path: where to write the PNG.
      seed: seeds the choice of windows.

    Returns:
      The path written.
    """
    real_vectors, fake_vectors = feature_averages(real, fake, seed=seed)
    mean = real_vectors.mean(axis=0)
    _, _, components = np.linalg.svd(real_vectors - mean, full_matrices=False)
    axes = components[:2].T  # [time, 2]
    return _scatter(
        (real_vectors - mean) @ axes,
        (fake_vectors - mean) @ axes,
        path,
        title="PCA",
        labels=("PC 1", "PC 2"),
    )


def tsne_plot(
    real, fake, path, *, seed: int, perplexity: float = 40.0, iterations: int = 1000
) -> Path:
    """t-SNE of the window averages of both sets together (perplexity 40).

    The same up-to-1000 windows per set as `pca_plot`; the embedding is exact t-SNE with a
    fixed number of iterations (`tsne.tsne_embedding`), so it always finishes.

    Args:
      real: [n_real, time, features] training windows.
      fake: [n_fake, time, features] generated windows.
      path: where to write the PNG.
      seed: seeds the choice of windows.
      perplexity: t-SNE perplexity; must be below the number of points (2 x windows).
      iterations: gradient steps.

    Returns:
      The path written.
    """
    real_vectors, fake_vectors = feature_averages(real, fake, seed=seed)
    embedding = tsne.tsne_embedding(
        np.concatenate([real_vectors, fake_vectors]),
        perplexity=perplexity,
        iterations=iterations,
    )
    count = real_vectors.shape[0]
    return _scatter(embedding[:count], embedding[count:], path, title="t-SNE", labels=("x", "y"))


def sample_grid_plot(real, fake, path, *, num: int = 4, max_features: int = 8) -> Path:
    """A few real and generated windows per feature: one row per feature, real left.

    Args:
      real: [n_real, time, features] training windows, or None to show generated windows
        only (a differentially private run shows no real data).
      fake: [n_fake, time, features] generated windows.
      path: where to write the PNG.
      num: windows drawn per panel (evenly spaced through each set).
      max_features: rows shown; the first features when there are more.

    Returns:
      The path written.
    """
    shown = real is not None
    real, fake = validation.as_window_pair(
        real if shown else fake, fake, min_windows=1, check_values=False
    )
    num = validation.positive_int(num, "num")
    rows = min(real.shape[2], validation.positive_int(max_features, "max_features"))
    some_features_left_out = rows < real.shape[2]  # then a title says which are shown
    panels = [("real", real, REAL_COLOUR)] if shown else []
    panels.append(("generated", fake, FAKE_COLOUR))
    width, height = 4 * len(panels), 1.8 * rows + 0.6
    # Margins fixed in inches rather than matplotlib's constrained layout, which took half
    # of the 3 s that a grid of 8 x 2 panels cost to draw: the grid is drawn every
    # train.plot_every steps, inside the training loop.
    figure = _new_figure(figsize=(width, height), layout=None)
    figure.subplots_adjust(
        left=0.85 / width,
        right=1 - 0.15 / width,
        bottom=0.5 / height,
        top=1 - (0.6 if some_features_left_out else 0.35) / height,
        hspace=0.15,
        wspace=0.1,
    )
    axes = figure.subplots(rows, len(panels), sharex=True, sharey=True, squeeze=False)
    for column, (name, windows, colour) in enumerate(panels):
        chosen = windows[np.linspace(0, windows.shape[0] - 1, num).round().astype(int)]
        for row in range(rows):
            axis = axes[row, column]
            axis.plot(chosen[:, :, row].T, color=colour, alpha=0.7, linewidth=1)
            if row == 0:
                axis.set_title(name)
            if column == 0:
                axis.set_ylabel(f"feature {row}")
    for column in range(len(panels)):
        axes[-1, column].set_xlabel("time step")
    if some_features_left_out:
        figure.suptitle(f"features 0-{rows - 1} of {real.shape[2]}")
    return _save(figure, path)


def feature_averages(real, fake, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The picture inputs: the same random windows of both sets, averaged over features.

    Args:
      real: [n_real, time, features]. fake: [n_fake, time, features].
      seed: seeds the choice of min(1000, n_real, n_fake) window indices.

    Returns:
      (real [m, time], fake [m, time]) float64.
    """
    real, fake = validation.as_window_pair(real, fake, check_values=False)
    # Diverged values may still be drawn, but PCA and t-SNE cannot place NaN or inf.
    for name, windows in (("real", real), ("fake", fake)):
        if not np.all(np.isfinite(windows)):
            raise ValueError(f"{name} contains NaN/inf values, which PCA and t-SNE cannot place")
    available = min(real.shape[0], fake.shape[0])
    chosen = np.random.default_rng(seed).permutation(available)[:PICTURE_WINDOWS]
    return (
        real[chosen].mean(axis=2).astype(np.float64),
        fake[chosen].mean(axis=2).astype(np.float64),
    )


def _scatter(real_points, fake_points, path, *, title: str, labels: tuple[str, str]) -> Path:
    """Real and generated 2-D points in two colours: [m, 2], [m, 2] -> PNG at path."""
    figure = _new_figure(figsize=(5, 5))
    axis = figure.subplots()
    axis.scatter(*real_points.T, c=REAL_COLOUR, alpha=0.2, s=12, label="real")
    axis.scatter(*fake_points.T, c=FAKE_COLOUR, alpha=0.2, s=12, label="generated")
    axis.set_title(title)
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
    axis.legend()
    return _save(figure, path)


def _new_figure(figsize, layout="constrained"):
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "the rgan.metrics plots need matplotlib: pip install 'rgan[plots]'"
        ) from error
    return Figure(figsize=figsize, layout=layout)


def _save(figure, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)
    return path
