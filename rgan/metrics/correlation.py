"""Correlational score (Diffusion-TS): distance between lag-0 cross-correlation matrices."""

from __future__ import annotations

import warnings

import numpy as np

from rgan.metrics import validation


def correlational_score(real, fake, *, seed: int, draws: int | None = None) -> float:
    """Sum of |c_fake - c_real| / 10 over channel pairs i >= j of lag-0 correlations.

    One call is one of Diffusion-TS's repeats: draw `draws` (default N_real // 5) windows with
    replacement from real and from fake; standardise each subset per channel over (window,
    time) with its own mean and (unbiased, as torch.std) standard deviation; for every channel
    pair i >= j, diagonal included, average x_i * x_j over time and then over windows. The
    score is the summed absolute difference of the two sets of correlations divided by 10.
    Diffusion-TS reports the mean and spread of 5 repeats: call it with 5 seeds.

    Args:
      real: [n_real, time, features] training windows in [0, 1].
      fake: [n_fake, time, features] generated windows in [0, 1].
      seed: seeds the draws.
      draws: windows drawn from each set; None for n_real // 5.

    Returns:
      The score (0 for identical correlation structure; lower is better); NaN, with a
      warning, when a generated feature is constant in the draw (its correlation is
      undefined: the reference divides by a zero standard deviation too).

    Raises:
      ValueError: bad inputs, or a real feature that is constant in the draw.
    """
    real, fake = validation.as_window_pair(real, fake)
    draws = real.shape[0] // 5 if draws is None else validation.positive_int(draws, "draws")
    rng = np.random.default_rng(seed)
    real_draw = real[rng.integers(0, real.shape[0], size=draws)]
    fake_draw = fake[rng.integers(0, fake.shape[0], size=draws)]
    real_correlations = lag0_correlations(real_draw)
    if np.any(np.isnan(real_correlations)):
        raise ValueError(
            "a real feature is constant in the drawn windows, so its correlation is undefined; "
            "drop constant features or draw more windows"
        )
    fake_correlations = lag0_correlations(fake_draw)
    if np.any(np.isnan(fake_correlations)):
        # A collapsed generator is a result to report, not an input error.
        warnings.warn(
            "a generated feature is constant in the drawn windows; correlational score is NaN",
            RuntimeWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(np.sum(np.abs(fake_correlations - real_correlations)) / 10.0)


def lag0_correlations(windows: np.ndarray) -> np.ndarray:
    """Lag-0 cross-correlations of channel pairs i >= j.

    Args:
      windows: [n, time, features].

    Returns:
      [features * (features + 1) / 2] correlations in torch.tril_indices order; NaN for the
      pairs that involve a constant feature.
    """
    windows = windows.astype(np.float64)
    std = windows.std(axis=(0, 1), ddof=1, keepdims=True)
    centred = windows - windows.mean(axis=(0, 1), keepdims=True)
    standardised = np.divide(centred, std, out=np.full_like(centred, np.nan), where=std > 0)
    rows, columns = np.tril_indices(windows.shape[2])
    return np.mean(standardised[..., rows] * standardised[..., columns], axis=(0, 1))
