"""Long-format tables: one row per (sequence id, time step), feature columns by name.

    id, time, heart_rate, temperature
    a,  0,    71.0,       36.6
    a,  1,    73.5,       36.7
    b,  0,    ...

Each id becomes one sequence, its rows sorted by the time column. Sequences may have
different lengths; they are padded to a common length with a mask (rgan.data.dataset).
CSV and Parquet files are read with pandas (extra `tables`).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from absl import logging

from rgan.data.missing import handle_missing_rows


@dataclasses.dataclass(frozen=True)
class Sequences:
    """Variable-length sequences: `values[i]` is [length_i, features] (float64).

    Attributes:
      ids: each sequence's id, in the order of `values` (the ids sorted by value).
      conditions: each sequence's value of the condition column, or None without one.
      dropped: ids left out for having fewer than `min_length` rows.
    """

    values: list[np.ndarray]
    ids: list
    feature_names: tuple[str, ...]
    conditions: list | None = None
    dropped: tuple = ()


def _read(path: str):
    try:
        import pandas as pd
    except ImportError as err:
        raise ImportError(
            "Long-format tables need pandas: pip install 'rgan[tables]' (pandas, pyarrow)."
        ) from err
    if not path:
        raise ValueError("config.data.path is empty; set it to the table to load.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"config.data.path = {path!r} does not exist.")
    if path.endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def parse_columns(text: str) -> list[str]:
    """'a, b,c' -> ['a', 'b', 'c'] (config fields hold column lists as strings)."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _line(table, position: int) -> str:
    """'line N (id X)' of the table row at `position` (of the sorted table): N counts the
    header as line 1, as an editor does."""
    return f"line {int(table.index[position]) + 2}"


def _check_numeric(table, name: str, path: str, id_column: str) -> None:
    """Raises naming the first entry of column `name` that is not a number."""
    import pandas as pd

    column = table[name]
    if pd.api.types.is_numeric_dtype(column):
        return
    parsed = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy() & column.notna().to_numpy())
    where = ""
    if len(bad):
        first = int(bad[0])
        where = (
            f" at {_line(table, first)}, id {table[id_column].iloc[first]!r}: "
            f"{column.iloc[first]!r} ({len(bad)} such entries)"
        )
    raise ValueError(
        f"Column {name!r} of {path} is not numeric{where}. Fix those entries, or leave the "
        "column out of config.data.feature_columns (a label belongs in "
        "config.data.condition_column)."
    )


def load_long_table(
    path: str,
    *,
    id_column: str,
    time_column: str,
    feature_columns: str = "",
    condition_column: str = "",
    missing: str = "error",
    min_length: int = 2,
    short_sequences: str = "drop",
) -> Sequences:
    """Reads `path` and returns one sequence per id, sorted by `time_column`.

    feature_columns: comma-separated names; empty = every numeric column but the id, time
      and condition columns (logged).
    condition_column: a per-sequence column (a label or a value), the same on every row of
      an id; returned as `Sequences.conditions`.
    min_length, short_sequences: ids with fewer rows are dropped with a warning ("drop") or
      refused ("error").
    """
    table = _read(path)
    columns = list(table.columns)
    for field, name in (
        ("id_column", id_column),
        ("time_column", time_column),
        ("condition_column", condition_column),
    ):
        if name and name not in columns:
            raise ValueError(
                f"config.data.{field} = {name!r} is not a column of {path}; its columns are "
                f"{columns}."
            )
    if short_sequences not in ("drop", "error"):
        raise ValueError(
            f"Unknown config.data.short_sequences {short_sequences!r}; expected 'drop' or 'error'."
        )
    reserved = (id_column, time_column, condition_column)
    if table[id_column].isna().any():
        row = int(np.flatnonzero(table[id_column].isna().to_numpy())[0])
        raise ValueError(f"{path}: the id column {id_column!r} is empty at line {row + 2}.")
    _check_numeric(table, time_column, path, id_column)
    features = parse_columns(feature_columns)
    if features:
        for name in features:
            if name not in columns:
                raise ValueError(
                    f"Feature column {name!r} (config.data.feature_columns) is not in {path}; "
                    f"its columns are {columns}."
                )
            if name in reserved:
                raise ValueError(
                    f"Column {name!r} is both a feature and the id, time or condition column."
                )
            _check_numeric(table, name, path, id_column)
    else:
        import pandas as pd

        candidates = [c for c in columns if c not in reserved]
        features = [c for c in candidates if pd.api.types.is_numeric_dtype(table[c])]
        skipped = [c for c in candidates if c not in features]
        logging.info(
            "%s: features %s (every numeric column but the id, time and condition columns; "
            "set config.data.feature_columns to choose)%s.",
            path,
            features,
            f"; not numeric, left out: {skipped}" if skipped else "",
        )
    if not features:
        raise ValueError(f"{path} has no feature columns besides the id and time columns.")

    table = table.sort_values([id_column, time_column], kind="stable")
    counts = table.groupby(id_column, sort=False).size()
    if len(counts) > 1 and (counts == 1).all():
        raise ValueError(
            f"The id column {id_column!r} of {path} has one row per id ({len(counts)} ids), "
            "so every sequence would have a single step. Is config.data.id_column the "
            "column that identifies a sequence (and time_column its time step)?"
        )
    if condition_column:
        varying = table.groupby(id_column, sort=False)[condition_column].nunique(dropna=False)
        if (varying > 1).any():
            bad_id = varying.index[np.flatnonzero(varying.to_numpy() > 1)[0]]
            values = table.loc[table[id_column] == bad_id, condition_column].unique()[:4]
            raise ValueError(
                f"config.data.condition_column {condition_column!r} of {path} must hold one "
                f"value per sequence, but id {bad_id!r} has {list(values)}."
            )
        if table[condition_column].isna().any():
            first = int(np.flatnonzero(table[condition_column].isna().to_numpy())[0])
            raise ValueError(
                f"{path}: the condition column {condition_column!r} is empty at "
                f"{_line(table, first)}, id {table[id_column].iloc[first]!r}."
            )
    ids = table[id_column].to_numpy()
    rows = table[features].to_numpy(dtype=np.float64)
    _, group = np.unique(ids, return_inverse=True)
    rows, kept = handle_missing_rows(
        rows,
        missing,
        f"The table {path}",
        groups=group,
        column_names=features,
        row_names=[f"{_line(table, i)}, id {ids[i]!r}" for i in range(len(ids))],
    )
    labels = table[condition_column].to_numpy()[kept] if condition_column else None
    ids, group = ids[kept], group[kept]
    values, names, conditions, short = [], [], [], []
    boundaries = np.flatnonzero(np.diff(group)) + 1
    for start, stop in zip(
        np.concatenate([[0], boundaries]), np.concatenate([boundaries, [len(group)]]), strict=True
    ):
        if stop == start:
            continue
        if stop - start < min_length:
            short.append(ids[start])
            continue
        values.append(rows[start:stop])
        names.append(ids[start])
        if labels is not None:
            conditions.append(labels[start])
    if short:
        message = (
            f"{path}: {len(short)} id(s) have fewer than config.data.min_length={min_length} "
            f"rows (e.g. {short[:3]})"
        )
        if short_sequences == "error":
            raise ValueError(message + "; lower min_length or set short_sequences='drop'.")
        logging.warning("%s; dropped (config.data.short_sequences='drop').", message)
    if not values:
        raise ValueError(f"{path}: no id has at least config.data.min_length={min_length} rows.")
    return Sequences(
        values=values,
        ids=names,
        feature_names=tuple(features),
        conditions=conditions if condition_column else None,
        dropped=tuple(short),
    )


def pad_sequences(sequences: list[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """[length_i, D] each -> (padded [N, max_len, D] with zeros, mask [N, max_len])."""
    num_features = sequences[0].shape[1]
    padded = np.zeros((len(sequences), max_len, num_features), np.float64)
    mask = np.zeros((len(sequences), max_len), np.float32)
    for i, seq in enumerate(sequences):
        padded[i, : len(seq)] = seq
        mask[i, : len(seq)] = 1.0
    return padded, mask
