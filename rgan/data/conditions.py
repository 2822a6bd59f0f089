"""Per-sequence conditions: where they come from, and what a run keeps to sample them.

A conditional family (RCGAN) sees one condition vector per training window,
`conditions: float32 [N, C]`. They come from one of

- `data.sine_classes = k > 0`: sines labelled by frequency band (`class_sine_windows`),
  as one-hot vectors (C = k);
- `data.conditions_path`: a `.npy` aligned with the windows (for a table: with its ids
  sorted by value, the order the run saves as `sequence_ids`), read according to
  `data.condition_kind`: "class" takes labels [N] (integers or text), "real" takes
  vectors [N, C] (or [N]), used as given (scale them yourself);
- `data.condition_column`: a column of a long-format table holding one value per
  sequence (a label, or a number for "real").

Class labels become classes by their distinct values, sorted (`class_labels`): labels
1..9 are 9 classes, never a phantom class 0. The class names are the labels as text, and
`rgan.sample --cond` takes a label (`3`, `badminton`).

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
    if data.get("conditions_path", "") or data.get("condition_column", ""):
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
    column = data.get("condition_column", "")
    if column and data.source != "table":
        raise ValueError(
            f"config.data.condition_column={column!r} names a column of a long-format table, "
            f"but data.source is {data.source!r}; for arrays use data.conditions_path."
        )
    if column and (path or classes):
        raise ValueError(
            "config.data.condition_column and config.data.conditions_path (or sine_classes) "
            "are both set; the conditions come from one of them."
        )
    if (path or column) and data.condition_kind not in KINDS:
        raise ValueError(
            f"Unknown config.data.condition_kind {data.condition_kind!r}; expected one of {KINDS}."
        )


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """int [N] -> float32 [N, num_classes]."""
    return np.eye(num_classes, dtype=np.float32)[np.asarray(labels)]


def class_names(num_classes: int) -> tuple[str, ...]:
    """Names of classes labelled 0..num_classes-1: the labels as text."""
    return tuple(str(c) for c in range(num_classes))


def class_labels(labels, what: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per-sequence labels (numbers or text) -> (class index int [N], class names).

    The classes are the distinct labels, sorted (numerically for numbers); their names
    are the labels as text ('3', 'badminton'; 2.0 reads '2').
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{what}: class labels must be one per sequence, [N]; got {labels.shape}.")
    numeric = np.issubdtype(labels.dtype, np.number) or np.issubdtype(labels.dtype, np.bool_)
    if numeric:
        check_finite(labels.astype(np.float64), what, ("sequence",))
        values, index = np.unique(labels.astype(np.float64), return_inverse=True)
        names = tuple(str(int(v)) if float(v).is_integer() else str(v) for v in values)
    else:
        values, index = np.unique(labels.astype(str), return_inverse=True)
        names = tuple(str(v) for v in values)
    if len(names) < 2:
        raise ValueError(
            f"{what}: every sequence has the label {names[0]!r}; class conditions need at "
            "least two classes."
        )
    return index.astype(np.int64), names


def load_conditions(path: str, kind: str, num_windows: int) -> tuple[np.ndarray, tuple]:
    """Reads `data.conditions_path`.

    Returns (conditions float32 [num_windows, C], names: C column names).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"config.data.conditions_path = {path!r} does not exist (working directory "
            f"{os.getcwd()!r})."
        )
    try:
        values = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(
            f"config.data.conditions_path = {path!r} could not be read as a plain .npy "
            f"array ({error}); save labels as numbers or text (np.save(path, labels))."
        ) from None
    if values.shape[:1] != (num_windows,):
        raise ValueError(
            f"config.data.conditions_path holds {values.shape[0] if values.ndim else 0} "
            f"condition(s) (shape {values.shape}) but the data give {num_windows} windows; "
            "it needs one row per training window, in the windows' order."
        )
    if kind == "class":
        if values.ndim != 1 or np.issubdtype(values.dtype, np.floating):
            raise ValueError(
                f"config.data.condition_kind='class' needs labels of shape [N] (integers or "
                f"text) in {path}; got {values.dtype} {values.shape}. For vectors [N, C] set "
                "condition_kind='real'."
            )
        index, names = class_labels(values, f"The labels in {path}")
        return one_hot(index, len(names)), names
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

        cond: a class label (class conditions only: one of `names`, or a number that
        reads as one); one vector [C] for all `num` sequences; or one per sequence [num, C].
        """
        if isinstance(cond, int | np.integer | str):
            if self.kind != "class":
                raise ValueError(
                    f"cond={cond!r} is a class label, but this run's conditions are "
                    f"real-valued vectors of width {self.dim} ({', '.join(self.names)}); pass "
                    "a vector."
                )
            return np.tile(one_hot(np.array([self.class_index(cond)]), self.dim), (num, 1))
        cond = np.asarray(cond, np.float32)
        if cond.shape not in ((self.dim,), (num, self.dim)):
            raise ValueError(
                f"cond must be a vector of width {self.dim} ({', '.join(self.names)}) or an "
                f"array [{num}, {self.dim}]; got shape {cond.shape}."
            )
        return np.tile(cond, (num, 1)) if cond.ndim == 1 else cond

    def class_index(self, label) -> int:
        """A class label (as trained: `3`, `"3"`, `"badminton"`) -> its class index."""
        text = str(label).strip()
        if text in self.names:
            return self.names.index(text)
        legacy = tuple(f"class_{c}" for c in range(self.dim))  # runs saved before labels
        if self.names == legacy and text.isdigit() and int(text) < self.dim:
            return int(text)
        raise ValueError(
            f"Unknown class label {text!r}; this run's classes are {list(self.names)}."
        )

    def parse(self, text: str):
        """`--cond` text -> a class label ("2", "badminton"; class conditions) or a vector
        [C] ("0.5,1")."""
        text = text.strip()
        if self.kind == "class" and "," not in text:
            self.class_index(text)  # raises, naming the classes, for an unknown label
            return text
        try:
            return np.array([float(v) for v in text.split(",")], np.float32)
        except ValueError:
            raise ValueError(
                f"--cond={text!r} is not a comma-separated vector of {self.dim} numbers "
                f"({', '.join(self.names)})."
            ) from None

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
