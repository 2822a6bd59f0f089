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

from rgan.data.missing import handle_missing_rows


@dataclasses.dataclass(frozen=True)
class Sequences:
    """Variable-length sequences: `values[i]` is [length_i, features] (float64)."""

    values: list[np.ndarray]
    ids: list
    feature_names: tuple[str, ...]


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


def load_long_table(
    path: str,
    *,
    id_column: str,
    time_column: str,
    feature_columns: str = "",
    missing: str = "error",
) -> Sequences:
    """Reads `path` and returns one sequence per id, sorted by `time_column`.

    feature_columns: comma-separated names; empty = every column but id and time.
    """
    import pandas as pd

    table = _read(path)
    columns = list(table.columns)
    for field, name in (("id_column", id_column), ("time_column", time_column)):
        if name not in columns:
            raise ValueError(
                f"config.data.{field} = {name!r} is not a column of {path}; its columns are "
                f"{columns}."
            )
    features = parse_columns(feature_columns) or [
        c for c in columns if c not in (id_column, time_column)
    ]
    for name in features:
        if name not in columns:
            raise ValueError(
                f"Feature column {name!r} (config.data.feature_columns) is not in {path}; "
                f"its columns are {columns}."
            )
        if not pd.api.types.is_numeric_dtype(table[name]):
            example = table[name].dropna().iloc[0] if table[name].notna().any() else None
            raise ValueError(
                f"Feature column {name!r} of {path} is not numeric (e.g. {example!r}). "
                "Encode it as numbers or leave it out of config.data.feature_columns."
            )
    if not features:
        raise ValueError(f"{path} has no feature columns besides the id and time columns.")
    if table[id_column].isna().any():
        row = int(np.flatnonzero(table[id_column].isna().to_numpy())[0])
        raise ValueError(f"{path}: the id column {id_column!r} is empty at row {row}.")

    table = table.sort_values([id_column, time_column], kind="stable")
    counts = table.groupby(id_column, sort=False).size()
    if len(counts) > 1 and (counts == 1).all():
        raise ValueError(
            f"The id column {id_column!r} of {path} has one row per id ({len(counts)} ids), "
            "so every sequence would have a single step. Is config.data.id_column the "
            "column that identifies a sequence (and time_column its time step)?"
        )
    ids = table[id_column].to_numpy()
    rows = table[features].to_numpy(dtype=np.float64)
    _, group = np.unique(ids, return_inverse=True)
    rows, kept = handle_missing_rows(rows, missing, f"The table {path}", groups=group)
    ids, group = ids[kept], group[kept]
    values, names = [], []
    boundaries = np.flatnonzero(np.diff(group)) + 1
    for start, stop in zip(
        np.concatenate([[0], boundaries]), np.concatenate([boundaries, [len(group)]]), strict=True
    ):
        if stop > start:
            values.append(rows[start:stop])
            names.append(ids[start])
    return Sequences(values=values, ids=names, feature_names=tuple(features))


def pad_sequences(sequences: list[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """[length_i, D] each -> (padded [N, max_len, D] with zeros, mask [N, max_len])."""
    num_features = sequences[0].shape[1]
    padded = np.zeros((len(sequences), max_len, num_features), np.float64)
    mask = np.zeros((len(sequences), max_len), np.float32)
    for i, seq in enumerate(sequences):
        padded[i, : len(seq)] = seq
        mask[i, : len(seq)] = 1.0
    return padded, mask
