"""Per-sequence conditions: where they come from, and what a run keeps to sample them.

A conditional family (RCGAN) sees one condition vector per training window,
`conditions: float32 [N, C]`. They come from one of

- `data.sine_classes = k > 0`: sines labelled by frequency band (`class_sine_windows`),
  as one-hot vectors (C = k);
- `data.conditions_path`: a `.npy` aligned with the windows, read according to
  `data.condition_kind`: "class" takes integer labels [N] (one-hot, C = max label + 1),
  "real" takes vectors [N, C] (or [N]), used as given (scale them yourself).

A run saves a `ConditionSummary` (kind, names and the empirical distribution: class
frequencies, or a bounded random subsample of the real-valued vectors), so that sampling
can draw conditions like the training data's without the data.
"""

from __future__ import annotations

import dataclasses
import os

import ml_collections
import numpy as np

from rgan.data.validation import check_finite

KINDS = ("class", "real")
# Real-valued conditions: at most this many training vectors are saved with a run and
# resampled (uniformly) when sampling without explicit conditions.
MAX_SAVED_VECTORS = 1000


def condition_kind(data: ml_collections.ConfigDict) -> str | None:
    """ "class", "real", or None when `data` has no conditions."""
    if data.get("sine_classes", 0):
        return "class"
    if data.get("conditions_path", ""):
        return data.condition_kind
    return None


def check_condition_fields(data: ml_collections.ConfigDict) -> None:
    """Fails early on condition settings that contradict each other."""
    classes, path = data.get("sine_classes", 0), data.get("conditions_path", "")
    if classes < 0:
        raise ValueError(f"config.data.sine_classes must be >= 0 (0 = none); got {classes}.")
    if classes and data.source != "sines":
        raise ValueError(
            f"config.data.sine_classes={classes} labels generated sines, but data.source is "
            f"{data.source!r}; use data.conditions_path for other data, or source='sines'."
        )
    if classes and path:
        raise ValueError(
            "config.data.sine_classes and config.data.conditions_path are both set; the "
            "conditions come from one of them. Set sine_classes=0 or conditions_path=''."
        )
    if path and data.condition_kind not in KINDS:
        raise ValueError(
            f"Unknown config.data.condition_kind {data.condition_kind!r}; expected one of {KINDS}."
        )


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """int [N] -> float32 [N, num_classes]."""
    return np.eye(num_classes, dtype=np.float32)[np.asarray(labels)]


def class_names(num_classes: int) -> tuple[str, ...]:
    return tuple(f"class_{c}" for c in range(num_classes))


def load_conditions(path: str, kind: str, num_windows: int) -> tuple[np.ndarray, tuple]:
    """Reads `data.conditions_path`.

    Returns (conditions float32 [num_windows, C], names: C column names).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"config.data.conditions_path = {path!r} does not exist (working directory "
            f"{os.getcwd()!r})."
        )
    values = np.load(path, allow_pickle=False)
    if values.shape[:1] != (num_windows,):
        raise ValueError(
            f"config.data.conditions_path holds {values.shape[0] if values.ndim else 0} "
            f"condition(s) (shape {values.shape}) but the data give {num_windows} windows; "
            "it needs one row per training window, in the windows' order."
        )
    if kind == "class":
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
            raise ValueError(
                f"config.data.condition_kind='class' needs integer labels of shape [N] in "
                f"{path}; got {values.dtype} {values.shape}. For vectors [N, C] set "
                "condition_kind='real'."
            )
        if values.min() < 0:
            raise ValueError(f"Class labels in {path} must be >= 0; found {values.min()}.")
        num_classes = int(values.max()) + 1
        return one_hot(values, num_classes), class_names(num_classes)
    values = np.asarray(values, np.float32)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(
            f"config.data.condition_kind='real' needs vectors of shape [N, C] (or [N]) in "
            f"{path}; got shape {values.shape}."
        )
    check_finite(values, f"The conditions in {path}", ("window", "column"))
    return values, tuple(f"cond_{i}" for i in range(values.shape[1]))


@dataclasses.dataclass(frozen=True)
class ConditionSummary:
    """What a run keeps to sample conditions without the data.

    Attributes:
      kind: "class" (one-hot) or "real".
      names: C column names.
      class_frequencies: float64 [C], the training frequency of each class ("class").
      vectors: float32 [K, C], K <= MAX_SAVED_VECTORS training conditions drawn at
        random without replacement ("real").
    """

    kind: str
    names: tuple[str, ...]
    class_frequencies: np.ndarray | None = None
    vectors: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return len(self.names)

    @classmethod
    def fit(cls, conditions: np.ndarray, kind: str, names, seed: int) -> ConditionSummary:
        """conditions: [N, C] training conditions (one-hot rows for "class")."""
        if kind == "class":
            return cls(kind, tuple(names), class_frequencies=conditions.mean(axis=0, dtype=float))
        rng = np.random.default_rng([seed, 0xC0D])
        keep = rng.permutation(len(conditions))[:MAX_SAVED_VECTORS]
        return cls(kind, tuple(names), vectors=np.asarray(conditions[np.sort(keep)], np.float32))

    def draw(self, num: int, seed: int) -> np.ndarray:
        """`num` conditions from the training distribution: float32 [num, C]."""
        rng = np.random.default_rng([seed, 0xC0D])
        if self.kind == "class":
            labels = rng.choice(self.dim, size=num, p=self.class_frequencies)
            return one_hot(labels, self.dim)
        return self.vectors[rng.integers(len(self.vectors), size=num)]

    def as_batch(self, cond, num: int) -> np.ndarray:
        """A user's condition -> float32 [num, C].

        cond: an int class label (class conditions only); one vector [C] for all `num`
        sequences; or one per sequence [num, C].
        """
        if isinstance(cond, int | np.integer):
            if self.kind != "class":
                raise ValueError(
                    f"cond={cond} is a class label, but this run's conditions are real-valued "
                    f"vectors of width {self.dim} ({', '.join(self.names)}); pass a vector."
                )
            if not 0 <= cond < self.dim:
                raise ValueError(f"Class label cond={cond} is out of range [0, {self.dim}).")
            return np.tile(one_hot(np.array([cond]), self.dim), (num, 1))
        cond = np.asarray(cond, np.float32)
        if cond.shape not in ((self.dim,), (num, self.dim)):
            raise ValueError(
                f"cond must be a vector of width {self.dim} ({', '.join(self.names)}) or an "
                f"array [{num}, {self.dim}]; got shape {cond.shape}."
            )
        return np.tile(cond, (num, 1)) if cond.ndim == 1 else cond

    def parse(self, text: str):
        """`--cond` text -> an int label ("2", class conditions) or a vector [C] ("0.5,1")."""
        text = text.strip()
        try:
            if self.kind == "class" and "," not in text:
                return int(text)
            return np.array([float(v) for v in text.split(",")], np.float32)
        except ValueError:
            expected = f"a comma-separated vector of {self.dim} numbers ({', '.join(self.names)})"
            if self.kind == "class":
                expected = f"a class label in [0, {self.dim}) or {expected}"
            raise ValueError(f"--cond={text!r} is not {expected}.") from None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "names": list(self.names),
            "class_frequencies": None
            if self.class_frequencies is None
            else self.class_frequencies.tolist(),
            "vectors": None if self.vectors is None else self.vectors.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> ConditionSummary:
        freq, vectors = d.get("class_frequencies"), d.get("vectors")
        return cls(
            kind=d["kind"],
            names=tuple(d["names"]),
            class_frequencies=None if freq is None else np.asarray(freq, np.float64),
            vectors=None if vectors is None else np.asarray(vectors, np.float32),
        )
