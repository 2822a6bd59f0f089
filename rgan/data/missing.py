"""What to do with missing values (NaN): refuse (default), forward-fill, or drop.

`config.data.missing`:
  "error"  stop with the position of the first missing value (the default: silent
           filling changes the data a model learns);
  "ffill"  carry the last observed value forward within each sequence (a leading gap
           takes the first observed value);
  "drop"   drop the rows (long series / tables) or windows (arrays) that have any.
Infinite values are always an error.
"""

from __future__ import annotations

import numpy as np

from rgan.data.validation import check_finite

POLICIES = ("error", "ffill", "drop")


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise ValueError(f"Unknown config.data.missing {policy!r}; expected one of {POLICIES}.")


def _check_no_inf(data: np.ndarray, what: str, axis_names) -> None:
    check_finite(np.where(np.isnan(data), 0.0, data), what, axis_names)


def forward_fill(rows: np.ndarray) -> np.ndarray:
    """Forward-fills NaN along axis 0 of `rows: [time, features]`, then back-fills a
    leading gap. A column with no value at all stays NaN (caught by the caller)."""
    out = rows.copy()
    for j in range(out.shape[1]):
        column = out[:, j]
        valid = ~np.isnan(column)
        if not valid.any():
            continue
        index = np.where(valid, np.arange(len(column)), 0)
        np.maximum.accumulate(index, out=index)
        filled = column[index]
        first = np.argmax(valid)
        filled[:first] = column[first]
        out[:, j] = filled
    return out


def handle_missing_rows(
    rows: np.ndarray,
    policy: str,
    what: str,
    groups: np.ndarray | None = None,
    *,
    column_names=None,
    row_names=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Applies `policy` to `rows: [num_rows, features]` (one series, or several series
    stacked with `groups: [num_rows]` naming each row's sequence).

    column_names, row_names: how errors name a column and a row (default: their index).
    Returns (rows, kept: bool [num_rows]) where `kept` marks the input rows kept.
    """
    _check_policy(policy)

    def where(row: int, column: int) -> str:
        row_name = f"row {row}" if row_names is None else row_names[row]
        column_name = column if column_names is None else repr(column_names[column])
        return f"{row_name}, column {column_name}"

    infinite = np.argwhere(np.isinf(rows))
    if len(infinite):
        row, column = infinite[0]
        raise ValueError(
            f"{what} has {len(infinite)} infinite value(s); the first is {rows[row, column]} "
            f"at {where(row, column)}. Clean the data."
        )
    kept = np.ones(rows.shape[0], bool)
    if not np.isnan(rows).any():
        return rows, kept
    if policy == "error":
        bad = np.argwhere(np.isnan(rows))
        raise ValueError(
            f"{what} has {len(bad)} missing value(s); the first is at "
            f"{where(*bad[0])}. Clean the data, or set config.data.missing to 'ffill' (carry "
            "the last value forward) or 'drop' (drop rows with missing values)."
        )
    if policy == "drop":
        kept = ~np.isnan(rows).any(axis=1)
        return rows[kept], kept
    if groups is None:
        filled = forward_fill(rows)
    else:
        filled = rows.copy()
        for g in np.unique(groups):
            sel = groups == g
            filled[sel] = forward_fill(rows[sel])
    if np.isnan(filled).any():
        bad = np.argwhere(np.isnan(filled))[0]
        raise ValueError(
            f"{what}: nothing to fill from at {where(*bad)} (the sequence has no value in "
            "that column). Drop that column or use config.data.missing='drop'."
        )
    return filled, kept


def handle_missing_windows(windows: np.ndarray, policy: str, what: str) -> np.ndarray:
    """Applies `policy` to windows [N, T, D]: "drop" drops windows with a NaN, "ffill"
    fills along time within each window."""
    _check_policy(policy)
    axis_names = ("sequence", "step", "feature")
    _check_no_inf(windows, what, axis_names)
    if not np.isnan(windows).any():
        return windows
    if policy == "error":
        check_finite(windows, what, axis_names)
    if policy == "drop":
        return windows[~np.isnan(windows).any(axis=(1, 2))]
    filled = np.stack([forward_fill(w) for w in windows])
    if np.isnan(filled).any():
        raise ValueError(
            f"{what}: a window has a feature with no observed value; use missing='drop'."
        )
    return filled
