"""From `config.data` to scaled training windows plus the fitted scaler."""

from __future__ import annotations

import dataclasses

import ml_collections
import numpy as np

from rgan.data import sources
from rgan.data.scaler import MinMaxScaler
from rgan.data.sines import sine_windows
from rgan.data.windows import sliding_windows

SOURCES = ("sines", "npy", "series")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Training windows in the training scale and how to get back to raw units.

    Attributes:
      windows: float32 [num_windows, seq_len, num_features], values in [0, 1]
        (padded steps of variable-length data are 0).
      scaler: maps raw units <-> [0, 1] per feature.
      feature_names: one name per feature (column names for CSV sources).
      mask: float32 [num_windows, seq_len], 1 on real steps, for variable-length data;
        None when every sequence has all `seq_len` steps.
      conditions: float32 [num_windows, condition_dim] per-sequence conditions (one-hot
        for classes), or None for unconditional data.
      condition_names: one name per condition column.
    """

    windows: np.ndarray
    scaler: MinMaxScaler
    feature_names: tuple[str, ...]
    mask: np.ndarray | None = None
    conditions: np.ndarray | None = None
    condition_names: tuple[str, ...] = ()

    @property
    def condition_dim(self) -> int:
        return 0 if self.conditions is None else int(self.conditions.shape[1])

    @property
    def num_windows(self) -> int:
        return int(self.windows.shape[0])

    @property
    def seq_len(self) -> int:
        return int(self.windows.shape[1])

    @property
    def num_features(self) -> int:
        return int(self.windows.shape[2])


def build_dataset(data: ml_collections.ConfigDict, *, seed: int) -> Dataset:
    """Loads, scales and windows the data that `data.source` names."""
    if data.source == "sines":
        raw = sine_windows(data.num_samples, data.seq_len, data.num_features, seed=seed)
        # Sines are generated in [0, 1]; the scaler is fitted anyway so that every run
        # saves one and sampling code has a single path.
        scaler = MinMaxScaler.fit(raw)
        windows = scaler.transform(raw)
        names = tuple(f"sine_{i}" for i in range(raw.shape[-1]))
    elif data.source == "npy":
        raw = sources.load_windows_array(data.path)
        scaler = MinMaxScaler.fit(raw)
        windows = scaler.transform(raw)
        names = tuple(f"feature_{i}" for i in range(raw.shape[-1]))
    elif data.source == "series":
        series = sources.load_long_series(data.path)
        if data.reverse_rows:
            series = series[::-1]
        scaler = MinMaxScaler.fit(series)
        windows = sliding_windows(scaler.transform(series), data.seq_len, data.stride)
        names = sources.column_names(data.path, series.shape[1])
    else:
        raise ValueError(f"Unknown config.data.source {data.source!r}; expected one of {SOURCES}.")
    if windows.shape[0] < 2:
        raise ValueError(
            f"The data gives only {windows.shape[0]} window(s); training needs at least 2."
        )
    return Dataset(windows=windows, scaler=scaler, feature_names=names)
