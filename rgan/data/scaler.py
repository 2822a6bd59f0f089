"""Per-feature min-max scaling into [0, 1], fitted once and saved with the run.

The formula is TimeGAN's, `(x - min) / (max - min + 1e-7)`, so that scores computed in
the training scale are comparable with published numbers. A constant feature maps to 0
and is restored exactly by the inverse.
"""

from __future__ import annotations

import dataclasses

import numpy as np

EPSILON = 1e-7


@dataclasses.dataclass(frozen=True)
class MinMaxScaler:
    """Per-feature minimum and maximum of the raw data.

    Attributes:
      minimum: [features] float64.
      maximum: [features] float64.
    """

    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def fit(cls, data: np.ndarray, mask: np.ndarray | None = None) -> MinMaxScaler:
        """Fits on `data: [..., features]`; `mask: data.shape[:-1]` excludes padding."""
        data = np.asarray(data, np.float64)
        flat = data.reshape(-1, data.shape[-1])
        if mask is not None:
            flat = flat[np.asarray(mask, bool).reshape(-1)]
        if flat.shape[0] == 0:
            raise ValueError("Cannot fit a scaler on empty data.")
        return cls(minimum=flat.min(axis=0), maximum=flat.max(axis=0))

    @property
    def num_features(self) -> int:
        return int(self.minimum.shape[0])

    def _check(self, x: np.ndarray) -> None:
        if x.shape[-1] != self.num_features:
            raise ValueError(
                f"Scaler was fitted on {self.num_features} features but got an array with "
                f"{x.shape[-1]} (shape {x.shape})."
            )

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Raw units -> [0, 1]. x: [..., features] -> float32, same shape."""
        x = np.asarray(x, np.float64)
        self._check(x)
        return ((x - self.minimum) / (self.maximum - self.minimum + EPSILON)).astype(np.float32)

    def inverse(self, x: np.ndarray) -> np.ndarray:
        """[0, 1] -> raw units. x: [..., features] -> float64, same shape."""
        x = np.asarray(x, np.float64)
        self._check(x)
        return x * (self.maximum - self.minimum + EPSILON) + self.minimum

    def to_dict(self) -> dict:
        return {"minimum": self.minimum.tolist(), "maximum": self.maximum.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> MinMaxScaler:
        return cls(
            minimum=np.asarray(d["minimum"], np.float64),
            maximum=np.asarray(d["maximum"], np.float64),
        )
