"""Input checks shared by every metric: fail early, name the problem and the fix."""

from __future__ import annotations

import numpy as np

# Every metric needs a handful of windows to be defined at all (the discriminative 80/20 split
# leaves 2 test windows per set at 10, the unbiased MMD and covariances need 2, the
# correlational draws take N // 5 >= 2). Below 10 the numbers are noise, so refuse them.
MIN_WINDOWS = 10

# Training-scale data lies in [0, 1]. Generators without a squashing output may overshoot a
# little, so only values beyond half a data range outside are refused: those mean the arrays
# are in original units (sample.py returns original units), which would silently give garbage.
RANGE_MARGIN = 0.5


def as_windows(
    x,
    name: str,
    *,
    min_windows: int = MIN_WINDOWS,
    min_length: int = 1,
    check_values: bool = True,
):
    """Checks one set of windows and returns it as float32 numpy.

    Args:
      x: array-like `[windows, time, features]` in the training scale [0, 1].
      name: what to call the array in error messages ("real", "fake").
      min_windows: fewest windows accepted.
      min_length: fewest time steps accepted.
      check_values: refuse NaN/inf and values far outside [0, 1]. Pictures skip this: a
        picture of a diverged generator is worth drawing, and draws without failing.

    Returns:
      `[windows, time, features]` float32 numpy array.

    Raises:
      ValueError: wrong rank, too few windows or steps, NaN/inf, values far outside [0, 1].
    """
    try:
        array = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a numeric array [windows, time, features]") from error
    if array.ndim != 3:
        raise ValueError(
            f"{name} must be 3-D [windows, time, features], got shape {array.shape}; "
            "for univariate data add a feature axis with x[..., None]"
        )
    windows, length, features = array.shape
    if windows < min_windows:
        raise ValueError(
            f"{name} has {windows} windows, fewer than the {min_windows} this metric needs; "
            "pass more windows"
        )
    if length < min_length:
        raise ValueError(
            f"{name} windows have {length} time steps, fewer than the {min_length} this metric "
            "needs; use longer windows"
        )
    if features < 1:
        raise ValueError(f"{name} has no features (shape {array.shape})")
    if not check_values:
        return array
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(
            f"{name} contains {bad} NaN/inf values; drop or impute them before scoring "
            "(a generator that emits NaN has diverged)"
        )
    low, high = float(array.min()), float(array.max())
    if low < -RANGE_MARGIN or high > 1 + RANGE_MARGIN:
        raise ValueError(
            f"{name} spans [{low:.3g}, {high:.3g}], far outside the training scale [0, 1]; "
            "metrics compare data min-max scaled to [0, 1] per feature: scale it with the "
            "training scaler (if these are generated values from a diverged generator and you "
            "want to score them anyway, clip them to [0, 1])"
        )
    return array


def as_window_pair(
    real,
    fake,
    *,
    min_windows: int = MIN_WINDOWS,
    min_length: int = 1,
    same_count: bool = False,
    check_values: bool = True,
):
    """Checks real and generated windows and that they describe the same kind of sequence.

    Args:
      real: `[n_real, time, features]` training-scale windows.
      fake: `[n_fake, time, features]` generated windows in the same scale.
      min_windows: fewest windows accepted in each set.
      min_length: fewest time steps accepted.
      same_count: also require n_real == n_fake.
      check_values: see `as_windows`.

    Returns:
      (real, fake) as float32 numpy arrays of the same shapes.

    Raises:
      ValueError: see `as_windows`, plus differing lengths, feature counts or counts.
    """
    checks = dict(min_windows=min_windows, min_length=min_length, check_values=check_values)
    real = as_windows(real, "real", **checks)
    fake = as_windows(fake, "fake", **checks)
    if real.shape[2] != fake.shape[2]:
        raise ValueError(
            f"real has {real.shape[2]} features but fake has {fake.shape[2]}; "
            "generate the same features as the training data, in the same order"
        )
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real windows have {real.shape[1]} time steps but fake ones have {fake.shape[1]}; "
            "generate windows of the training length (or cut both to one length)"
        )
    if same_count and real.shape[0] != fake.shape[0]:
        raise ValueError(
            f"real has {real.shape[0]} windows but fake has {fake.shape[0]}; this metric "
            "compares equal counts: generate as many windows as there are real ones "
            "(or subsample the larger set)"
        )
    return real, fake


def positive_int(value, name: str) -> int:
    """Returns `value` as an int, or raises ValueError naming `name` if it is not >= 1."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def as_lengths(lengths, name: str, *, count: int, max_length: int, min_length: int = 1):
    """Checks per-window valid lengths and returns them as int32 numpy.

    Args:
      lengths: array-like `[count]` of integers in [min_length, max_length]: window i's
        steps 0..lengths[i]-1 are data, the rest padding.
      name: what to call the array in error messages ("real_lengths").
      count: the number of windows the lengths belong to.
      max_length: the windows' padded length T.
      min_length: the shortest sequence the metric can use.

    Returns:
      `[count]` int32 numpy array.

    Raises:
      ValueError: not a 1-D integer array of `count` entries, or values outside the range.
    """
    try:
        array = np.asarray(lengths)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an integer array [windows]") from error
    if array.ndim != 1 or array.shape[0] != count:
        raise ValueError(
            f"{name} must be 1-D with one length per window ({count}), got shape {array.shape}"
        )
    whole = array.dtype.kind in "iu" or (
        array.dtype.kind == "f" and np.all(np.isfinite(array) & (array == np.round(array)))
    )
    if not whole:
        detail = " with fractional or non-finite values" if array.dtype.kind == "f" else ""
        raise ValueError(
            f"{name} must hold whole numbers of steps (an integer array), got dtype "
            f"{array.dtype}{detail}"
        )
    low, high = int(array.min()), int(array.max())
    if low < min_length or high > max_length:
        raise ValueError(
            f"{name} must lie in [{min_length}, {max_length}] (at least {min_length} valid "
            f"step(s), at most the padded length {max_length}), got [{low}, {high}]"
        )
    return array.astype(np.int32)


def zero_padding(windows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """[n, T, D] windows with every step at or past lengths[i] set to 0 (a new array)."""
    valid = np.arange(windows.shape[1])[None, :] < lengths[:, None]
    return np.where(valid[..., None], windows, np.float32(0)).astype(np.float32)


def as_padded_window_pair(
    real,
    fake,
    real_lengths,
    fake_lengths,
    *,
    min_windows: int = MIN_WINDOWS,
    min_length: int = 1,
    same_count: bool = False,
):
    """`as_window_pair` for variable-length windows, padded to one length T.

    Args:
      real: `[n_real, T, features]` training-scale windows.
      fake: `[n_fake, T, features]` generated windows in the same scale.
      real_lengths: int `[n_real]` in [min_length, T], or None (every window is T long).
      fake_lengths: int `[n_fake]` in [min_length, T], or None.
      min_windows, same_count: see `as_window_pair`.
      min_length: fewest valid steps of every window (and of T).

    Returns:
      (real, fake, real_lengths, fake_lengths): float32 windows whose steps past each length
      are 0 (so padding may hold anything, NaN included: only valid steps are value-checked)
      and int32 lengths. When no window is padded (both None, or every length T), exactly
      `as_window_pair`'s arrays and None, None: the fixed-length metric applies unchanged.

    Raises:
      ValueError: see `as_window_pair` and `as_lengths`.
    """
    checks = dict(min_windows=min_windows, min_length=min_length, same_count=same_count)
    if real_lengths is None and fake_lengths is None:
        return (*as_window_pair(real, fake, **checks), None, None)
    real, fake = as_window_pair(real, fake, check_values=False, **checks)
    padded = []
    for windows, lengths, name in ((real, real_lengths, "real"), (fake, fake_lengths, "fake")):
        count, length = windows.shape[:2]
        if lengths is None:
            lengths = np.full(count, length, np.int32)
        lengths = as_lengths(
            lengths, f"{name}_lengths", count=count, max_length=length, min_length=min_length
        )
        padded.append((zero_padding(windows, lengths), lengths))
    (real, real_lengths), (fake, fake_lengths) = padded
    real, fake = as_window_pair(real, fake, **checks)
    if (real_lengths == real.shape[1]).all() and (fake_lengths == fake.shape[1]).all():
        return real, fake, None, None  # nothing is padded: the fixed-length metric, exactly
    return real, fake, real_lengths, fake_lengths
