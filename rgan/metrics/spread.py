"""Per-feature spread: does generated data vary as much as the real data, feature by feature?

A generator can score well on average and still squeeze every feature into a narrow band
(the mean of the data with a little noise); the scaling of a user's data can do the same.
This compares each feature's standard deviation in the generated set with the real one's.
"""

from __future__ import annotations

import numpy as np

from rgan.metrics import validation

# A generated feature keeps the spread when its standard deviation is within this factor
# band of the real feature's (issue 10's criterion for a user's own data).
BAND = (0.7, 1.3)
# A real feature whose standard deviation is below this (in the [0, 1] training scale) is
# constant: its ratio is 1 where the generated one is constant too, and outside the band
# (recorded as None) where it is not.
CONSTANT = 1e-8


def feature_spread(real, fake, *, real_lengths=None, fake_lengths=None) -> dict:
    """Each feature's generated-to-real standard deviation ratio, and how many are in BAND.

    Args:
      real: [n_real, T, features] windows (training scale).
      fake: [n_fake, T, features] generated windows, same scale.
      real_lengths, fake_lengths: optional int [n_real], [n_fake] valid steps of windows
        padded to T; only valid steps count (padding may hold anything, NaN included).

    Returns:
      {"within": fraction of features whose ratio std_fake / std_real (over every valid
       value of the feature: all windows, all steps) lies in BAND (1 is best),
       "ratios": [features] those ratios (None: a constant real feature that the generated
       data does not keep constant), "min", "max": the smallest and largest finite ratio,
       "within_sequence": [features] the same ratio of the mean within-window standard
       deviations (how much each sequence moves over time, rather than across sequences),
       "changes": [features] the same ratio of the standard deviations of the
       step-to-step changes x[t] - x[t-1] (how rough the sequences are: a generator that
       jitters where the real data drift slowly has ratios far above 1)}.
    """
    real, fake, real_lengths, fake_lengths = validation.as_padded_window_pair(
        real, fake, real_lengths, fake_lengths, min_windows=2
    )
    real_values, real_motion = _feature_stds(real, real_lengths)
    fake_values, fake_motion = _feature_stds(fake, fake_lengths)
    ratios = [_ratio(f, r) for f, r in zip(fake_values, real_values, strict=True)]
    motion = [_ratio(f, r) for f, r in zip(fake_motion, real_motion, strict=True)]
    roughness = [
        _ratio(f, r)
        for f, r in zip(
            _change_stds(fake, fake_lengths), _change_stds(real, real_lengths), strict=True
        )
    ]
    finite = [r for r in ratios if r is not None]
    within = [r is not None and BAND[0] <= r <= BAND[1] for r in ratios]
    return {
        "within": float(np.mean(within)),
        "ratios": ratios,
        "min": min(finite) if finite else None,
        "max": max(finite) if finite else None,
        "within_sequence": motion,
        "changes": roughness,
    }


def _feature_stds(windows: np.ndarray, lengths) -> tuple[np.ndarray, np.ndarray]:
    """([features] std over every valid value, [features] mean over windows of each
    window's std over its valid steps), in float64."""
    windows = windows.astype(np.float64)
    n, t, _ = windows.shape
    valid = np.ones((n, t), bool) if lengths is None else np.arange(t) < lengths[:, None]
    weights = valid[..., None].astype(np.float64)  # [n, T, 1]
    total = weights.sum()
    mean = (windows * weights).sum(axis=(0, 1)) / total
    pooled = np.sqrt((((windows - mean) ** 2) * weights).sum(axis=(0, 1)) / total)
    steps = weights.sum(axis=1)  # [n, 1]
    per_window_mean = (windows * weights).sum(axis=1) / steps  # [n, features]
    per_window_var = (((windows - per_window_mean[:, None]) ** 2) * weights).sum(axis=1) / steps
    return pooled, np.sqrt(per_window_var).mean(axis=0)


def _change_stds(windows: np.ndarray, lengths) -> np.ndarray:
    """[features] std of x[t] - x[t-1] over the pairs of valid steps, in float64 (0
    where no window has two)."""
    windows = windows.astype(np.float64)
    n, t, _ = windows.shape
    valid = np.ones((n, t), bool) if lengths is None else np.arange(t) < lengths[:, None]
    pairs = valid[:, 1:] & valid[:, :-1]  # [n, T - 1]
    if not pairs.any():
        return np.zeros(windows.shape[-1])
    changes = np.diff(np.where(valid[..., None], windows, 0.0), axis=1)[pairs]  # [pairs, F]
    return changes.std(axis=0)


def _ratio(fake_std: float, real_std: float) -> float | None:
    if real_std < CONSTANT:
        return 1.0 if fake_std < CONSTANT else None
    return float(fake_std / real_std)
