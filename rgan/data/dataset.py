"""From `config.data` to scaled training windows plus the fitted scaler."""

from __future__ import annotations

import dataclasses

import ml_collections
import numpy as np

from rgan.data import conditions as conditions_lib
from rgan.data import sources
from rgan.data.missing import handle_missing_rows, handle_missing_windows
from rgan.data.scaler import MinMaxScaler
from rgan.data.sines import class_sine_windows, sine_windows
from rgan.data.tables import load_long_table, pad_sequences
from rgan.data.windows import sliding_windows


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
      condition_names: one name per condition column (the class labels, for classes).
      ids: each window's sequence id, for tables (ids sorted by value); () otherwise.
    """

    windows: np.ndarray
    scaler: MinMaxScaler
    feature_names: tuple[str, ...]
    mask: np.ndarray | None = None
    conditions: np.ndarray | None = None
    condition_names: tuple[str, ...] = ()
    ids: tuple = ()

    def batch(self, rows) -> dict:
        """The windows at `rows` (indices [B] or a slice) as a training batch: {"x":
        [B, T, D]}, plus "mask" [B, T] for variable-length data and "cond" [B, C] with
        conditions."""
        batch = {"x": self.windows[rows]}
        if self.mask is not None:
            batch["mask"] = self.mask[rows]
        if self.conditions is not None:
            batch["cond"] = self.conditions[rows]
        return batch

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


def data_seed(config: ml_collections.ConfigDict) -> int:
    """The seed the data are made with (Sines): `config.data.seed`, or where that is -1
    (the default) `config.seed`. An ensemble's members (rgan/ensemble.py) share the data
    of the ensemble's seed while their models take seeds of their own."""
    seed = config.data.get("seed", -1)
    return config.seed if seed == -1 else seed


def build_dataset(data: ml_collections.ConfigDict, *, seed: int) -> Dataset:
    """Loads, scales and windows the data that `data.source` names."""
    builders = {
        "sines": _sines,
        "npy": _windows_file,
        "series": _long_series,
        "table": _long_table,
    }
    if data.source not in builders:
        raise ValueError(
            f"Unknown config.data.source {data.source!r}; expected one of {sorted(builders)}."
        )
    conditions_lib.check_condition_fields(data)
    dataset = builders[data.source](data, seed)
    if data.get("bounds", ""):
        dataset = with_public_bounds(dataset, parse_bounds(data.bounds, dataset.num_features))
    if data.get("conditions_path", ""):
        conditions, names = conditions_lib.load_conditions(
            data.conditions_path, data.condition_kind, dataset.num_windows
        )
        dataset = dataclasses.replace(dataset, conditions=conditions, condition_names=names)
    if dataset.num_windows < 2:
        raise ValueError(
            f"The data gives only {dataset.num_windows} sequence(s); training needs at least 2."
        )
    return dataset


def _sines(data, seed) -> Dataset:
    """TimeGAN's sines; with `data.sine_classes = k`, labelled by frequency band."""
    shape = (data.num_samples, data.seq_len, data.num_features)
    freq_max = data.get("sine_freq_max", 0.1)
    conditions, condition_names = None, ()
    if data.get("sine_classes", 0):
        k = data.sine_classes
        raw, labels = class_sine_windows(
            *shape, k, seed=seed, class_weights=tuple(data.sine_class_weights), freq_max=freq_max
        )
        conditions = conditions_lib.one_hot(labels, k)
        condition_names = conditions_lib.class_names(k)
    else:
        raw = sine_windows(*shape, seed=seed, freq_range=(0.0, freq_max))
    # Sines are generated in [0, 1]; the scaler is fitted anyway so that every run
    # saves one and sampling code has a single path.
    scaler = MinMaxScaler.fit(raw)
    names = tuple(f"sine_{i}" for i in range(raw.shape[-1]))
    return Dataset(
        windows=scaler.transform(raw),
        scaler=scaler,
        feature_names=names,
        conditions=conditions,
        condition_names=condition_names,
    )


def _windows_file(data, seed) -> Dataset:
    """`.npy` windows [N, T, D], or `.npz` with `windows` (and optional `lengths` [N])."""
    del seed
    raw, lengths = sources.load_windows_array(data.path)
    names = tuple(f"feature_{i}" for i in range(raw.shape[-1]))
    if lengths is None:
        raw = handle_missing_windows(raw, data.missing, f"The array in {data.path}")
        scaler = MinMaxScaler.fit(raw)
        return Dataset(windows=scaler.transform(raw), scaler=scaler, feature_names=names)
    sequences = [w[:n].astype(np.float64) for w, n in zip(raw, lengths, strict=True)]
    # Already padded: keep the file's padded length T.
    return _padded(sequences, names, raw.shape[1], f"The array in {data.path}")


def _long_series(data, seed) -> Dataset:
    del seed
    series = sources.load_long_series(data.path)
    names = sources.column_names(data.path, series.shape[1])
    series, _ = handle_missing_rows(series, data.missing, data.path, column_names=names)
    if data.reverse_rows:
        series = series[::-1]
    scaler = MinMaxScaler.fit(series)
    windows = sliding_windows(scaler.transform(series), data.seq_len, data.stride)
    return Dataset(windows=windows, scaler=scaler, feature_names=names)


def _long_table(data, seed) -> Dataset:
    del seed
    column = data.get("condition_column", "")
    table = load_long_table(
        data.path,
        id_column=data.id_column,
        time_column=data.time_column,
        feature_columns=data.feature_columns,
        condition_column=column,
        missing=data.missing,
        min_length=data.get("min_length", 1),
        short_sequences=data.get("short_sequences", "drop"),
    )
    dataset = _padded(table.values, table.feature_names, data.seq_len, f"The table {data.path}")
    dataset = dataclasses.replace(dataset, ids=tuple(table.ids))
    if not column:
        return dataset
    what = f"The condition column {column!r} of {data.path}"
    if data.condition_kind == "class":
        index, names = conditions_lib.class_labels(table.conditions, what)
        conditions = conditions_lib.one_hot(index, len(names))
    else:
        try:
            conditions = np.asarray(table.conditions, np.float32)[:, None]
        except ValueError:
            raise ValueError(
                f"{what} is not numeric; with condition_kind='real' it must hold numbers "
                "(for labels set condition_kind='class')."
            ) from None
        names = (column,)
    return dataclasses.replace(dataset, conditions=conditions, condition_names=names)


def _padded(sequences, names, seq_len: int, what: str) -> Dataset:
    """Variable-length sequences -> padded windows + mask, scaled on real steps only.

    seq_len: the padded length; 0 = the longest sequence.
    """
    longest = max(len(s) for s in sequences)
    max_len = seq_len or longest
    too_long = [i for i, s in enumerate(sequences) if len(s) > max_len]
    if too_long:
        raise ValueError(
            f"{what}: sequence {too_long[0]} has {len(sequences[too_long[0]])} steps, more "
            f"than config.data.seq_len={max_len}. Set data.seq_len=0 (the longest, "
            f"{longest}) or larger."
        )
    padded, mask = pad_sequences(sequences, max_len)
    scaler = MinMaxScaler.fit(padded, mask)
    windows = scaler.transform(padded) * mask[..., None]  # padding stays exactly 0
    return Dataset(windows=windows, scaler=scaler, feature_names=tuple(names), mask=mask)


def parse_bounds(text: str, num_features: int) -> tuple[np.ndarray, np.ndarray]:
    """`data.bounds` -> (minimum [D], maximum [D]): "lo:hi" for every feature, or one
    "lo:hi" per feature, comma-separated."""
    pairs = [part.strip() for part in str(text).split(",") if part.strip()]
    if len(pairs) == 1:
        pairs = pairs * num_features
    if len(pairs) != num_features:
        raise ValueError(
            f"config.data.bounds has {len(pairs)} 'lo:hi' pairs but the data have "
            f"{num_features} features; give one pair for all, or one per feature."
        )
    bounds = []
    for i, pair in enumerate(pairs):
        try:
            lo, hi = (float(v) for v in pair.split(":"))
        except ValueError:
            raise ValueError(
                f"config.data.bounds: {pair!r} (feature {i}) is not 'lo:hi', e.g. '0:1' or '-5:5'."
            ) from None
        if not lo < hi:
            raise ValueError(f"config.data.bounds: feature {i} has lo={lo} >= hi={hi}.")
        bounds.append((lo, hi))
    lows, highs = np.array(bounds, np.float64).T
    return lows, highs


def with_public_bounds(dataset: Dataset, bounds: tuple[np.ndarray, np.ndarray]) -> Dataset:
    """The dataset rescaled from the public `bounds` (minimum, maximum) [D] instead of
    its own min and max; raw values outside the bounds are clipped to them."""
    raw = dataset.scaler.inverse(dataset.windows)
    scaler = MinMaxScaler(minimum=bounds[0], maximum=bounds[1])
    windows = np.clip(scaler.transform(np.clip(raw, *bounds)), 0.0, 1.0)
    if dataset.mask is not None:
        windows = windows * dataset.mask[..., None]  # padding stays exactly 0
    return dataclasses.replace(dataset, windows=windows.astype(np.float32), scaler=scaler)
