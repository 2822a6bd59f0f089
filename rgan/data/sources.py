"""Raw data sources: each returns a float array before scaling.

- `sines`: TimeGAN's generator, windows [N, T, D] already in [0, 1].
- `npy`: a NumPy `.npy`/`.npz` file holding windows [N, T, D].
- `series`: a long series [L, D] from a `.csv` (header row, numeric columns) or `.npy`,
  cut into windows later (it is scaled as a whole first, as TimeGAN does).
"""

from __future__ import annotations

import csv
import os

import numpy as np

from rgan.data.validation import check_rank

MISSING_TOKENS = frozenset({"", "na", "nan", "null", "none", "n/a"})


def _require_file(path: str, field: str) -> None:
    if not path:
        raise ValueError(f"config.{field} is empty; set it to the data file to load.")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"config.{field} = {path!r} does not exist (working directory {os.getcwd()!r})."
        )


def load_windows_array(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Loads windows [N, T, D] from `.npy`, or from `.npz` holding `windows` (or a single
    array) and optionally `lengths` [N] for variable-length sequences padded to T.

    Returns (windows float32 [N, T, D], lengths int [N] or None).
    """
    _require_file(path, "data.path")
    lengths = None
    if path.endswith(".npz"):
        with np.load(path) as archive:
            names = list(archive.keys())
            if "windows" in names:
                data = archive["windows"]
                lengths = archive["lengths"] if "lengths" in names else None
            elif len(names) == 1:
                data = archive[names[0]]
            else:
                raise ValueError(
                    f"{path} holds arrays {names}; name the sequences 'windows' (and their "
                    "lengths 'lengths' when they are padded)."
                )
    else:
        data = np.load(path, allow_pickle=False)
    data = np.asarray(data, np.float32)
    check_rank(data, 3, f"The array in {path}", "[num_sequences, time, features]")
    if lengths is not None:
        lengths = np.asarray(lengths)
        if (
            lengths.shape != data.shape[:1]
            or (lengths < 1).any()
            or (lengths > data.shape[1]).any()
        ):
            raise ValueError(
                f"{path}: 'lengths' must hold one length in 1..{data.shape[1]} per sequence "
                f"({data.shape[0]}); got shape {lengths.shape}, range "
                f"{lengths.min()}..{lengths.max()}."
            )
    return data, lengths


def load_long_series(path: str) -> np.ndarray:
    """Loads a long series [L, D] from `.csv` (one header line) or `.npy`.

    Missing values (empty cells, NA, NaN) come back as NaN; see rgan.data.missing.
    """
    _require_file(path, "data.path")
    if path.endswith(".npy"):
        data = np.asarray(np.load(path, allow_pickle=False), np.float64)
        check_rank(data, 2, f"The array in {path}", "[length, features]")
        return data
    return load_numeric_csv(path)


def load_numeric_csv(path: str) -> np.ndarray:
    """A CSV with one header line and numeric columns -> float64 [rows, columns]."""
    try:  # fast path: a clean numeric file
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    except ValueError:
        data = _parse_csv_cell_by_cell(path)
    header = column_names(path, data.shape[1])
    if data.shape[1] != len(header):
        raise ValueError(
            f"{path}: the header names {len(header)} columns but rows have {data.shape[1]}."
        )
    return data


def _parse_csv_cell_by_cell(path: str) -> np.ndarray:
    """Slow path that tells missing cells (-> NaN) from text (-> an error naming it)."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = []
        for line_number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise ValueError(
                    f"{path} line {line_number} has {len(row)} fields; the header has "
                    f"{len(header)}."
                )
            values = []
            for column, cell in zip(header, row, strict=True):
                text = cell.strip()
                if text.lower() in MISSING_TOKENS:
                    values.append(np.nan)
                    continue
                try:
                    values.append(float(text))
                except ValueError:
                    raise ValueError(
                        f"{path} line {line_number}, column {column.strip()!r}: {text!r} is "
                        "not a number. A CSV series must have numeric columns only; drop "
                        "date/text columns first (or use data.source='table' and name the "
                        "feature columns)."
                    ) from None
            rows.append(values)
    return np.asarray(rows, np.float64).reshape(len(rows), len(header))


def column_names(path: str, num_columns: int) -> tuple[str, ...]:
    """Header names of a CSV, or generic names for `.npy`."""
    if path.endswith(".csv"):
        with open(path) as f:
            return tuple(name.strip() for name in f.readline().strip().split(","))
    return tuple(f"feature_{i}" for i in range(num_columns))
