"""Cutting a long multivariate series into fixed-length windows."""

from __future__ import annotations

import numpy as np


def sliding_windows(series: np.ndarray, window: int, stride: int = 1) -> np.ndarray:
    """All windows `series[s : s + window]` for s = 0, stride, 2 * stride, ...

    TimeGAN takes `range(0, L - window)`, i.e. it drops the last full window; we do the
    same so that the window counts match its published protocol (3,661 for Stocks).

    series: [L, D] -> [num_windows, window, D] (a copy).
    """
    if series.ndim != 2:
        raise ValueError(f"A long series must have shape [length, features]; got {series.shape}.")
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1; got window={window}, stride={stride}.")
    length = series.shape[0]
    if window >= length:
        raise ValueError(
            f"The window ({window} steps) is not shorter than the series ({length} steps): "
            f"no window fits. Use a smaller data.window (at most {length - 1}) or a longer series."
        )
    starts = np.arange(0, length - window, stride)
    return np.stack([series[s : s + window] for s in starts]).astype(np.float32)
