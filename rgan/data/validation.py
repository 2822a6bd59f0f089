"""Checks on raw data that fail early with a message naming the place and the fix."""

from __future__ import annotations

import numpy as np


def check_finite(data: np.ndarray, what: str, axis_names: tuple[str, ...]) -> None:
    """Raises ValueError naming the first NaN/inf entry of `data`.

    axis_names: one name per axis of `data`, e.g. ("row", "column").
    """
    finite = np.isfinite(data)
    if finite.all():
        return
    bad = np.argwhere(~finite)
    first = ", ".join(f"{name} {i}" for name, i in zip(axis_names, bad[0], strict=True))
    value = data[tuple(bad[0])]
    raise ValueError(
        f"{what} contains {len(bad)} non-finite value(s) (NaN or inf); the first is {value} at "
        f"{first}. Clean the data, or for missing values (NaN) set config.data.missing to "
        "'ffill' or 'drop'."
    )


def check_rank(data: np.ndarray, rank: int, what: str, layout: str) -> None:
    if data.ndim != rank:
        raise ValueError(f"{what} must have shape {layout}; got an array of shape {data.shape}.")
