"""Raw data sources: each returns a float array before scaling.

- `sines`: TimeGAN's generator, windows [N, T, D] already in [0, 1].
- `npy`: a NumPy `.npy`/`.npz` file holding windows [N, T, D].
- `series`: a long series [L, D] from a `.csv` (header row, numeric columns) or `.npy`,
  cut into windows later (it is scaled as a whole first, as TimeGAN does).
"""

from __future__ import annotations

import os

import numpy as np

from rgan.data.validation import check_finite, check_rank


def _require_file(path: str, field: str) -> None:
    if not path:
        raise ValueError(f"config.{field} is empty; set it to the data file to load.")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"config.{field} = {path!r} does not exist (working directory {os.getcwd()!r})."
        )


def load_windows_array(path: str) -> np.ndarray:
    """Loads windows [N, T, D] from `.npy`, or from the single (or `windows`) array of `.npz`."""
    _require_file(path, "data.path")
    if path.endswith(".npz"):
        with np.load(path) as archive:
            names = list(archive.keys())
            if "windows" in names:
                data = archive["windows"]
            elif len(names) == 1:
                data = archive[names[0]]
            else:
                raise ValueError(
                    f"{path} holds several arrays {names}; name the windows array 'windows'."
                )
    else:
        data = np.load(path, allow_pickle=False)
    data = np.asarray(data, np.float32)
    check_rank(data, 3, f"The array in {path}", "[num_sequences, time, features]")
    check_finite(data, f"The array in {path}", ("sequence", "step", "feature"))
    return data


def load_long_series(path: str) -> np.ndarray:
    """Loads a long series [L, D] from `.csv` (one header line) or `.npy`."""
    _require_file(path, "data.path")
    if path.endswith(".npy"):
        data = np.asarray(np.load(path, allow_pickle=False), np.float64)
        check_rank(data, 2, f"The array in {path}", "[length, features]")
    else:
        data = _load_numeric_csv(path)
    check_finite(data, f"{path}", ("row", "column"))
    return data


def _load_numeric_csv(path: str) -> np.ndarray:
    with open(path) as f:
        header = f.readline().strip().split(",")
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    except ValueError as err:
        raise ValueError(
            f"{path} has a value that is not a number ({err}). A CSV series must have one "
            "header line and numeric columns only; drop date/text columns first."
        ) from err
    if data.shape[1] != len(header):
        raise ValueError(
            f"{path}: the header names {len(header)} columns but rows have {data.shape[1]}."
        )
    return data


def column_names(path: str, num_columns: int) -> tuple[str, ...]:
    """Header names of a CSV, or generic names for `.npy`."""
    if path.endswith(".csv"):
        with open(path) as f:
            return tuple(name.strip() for name in f.readline().strip().split(","))
    return tuple(f"feature_{i}" for i in range(num_columns))
