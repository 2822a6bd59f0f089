"""One paragraph that says what a run loaded, logged when training starts."""

from __future__ import annotations

import ml_collections
import numpy as np

from rgan.data.dataset import Dataset


def _names(names, shown: int = 8) -> str:
    names = list(names)
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[: shown - 1]) + f", ... {names[-1]}"


def describe_data(data: ml_collections.ConfigDict, dataset: Dataset) -> str:
    """Source, sequences, features (names), lengths, conditions (classes and counts) and
    scaling of `dataset`, built from `data`, in a few lines."""
    source = data.source if not data.get("path", "") else f"{data.source} {data.path}"
    lines = [
        f"Data: {source}: {dataset.num_windows} sequences of {dataset.num_features} "
        f"feature(s) ({_names(dataset.feature_names)})."
    ]
    if dataset.mask is None:
        lines.append(f"  Lengths: all {dataset.seq_len} steps.")
    else:
        lengths = dataset.mask.sum(axis=1)
        lines.append(
            f"  Lengths: {int(lengths.min())}-{int(lengths.max())} steps (median "
            f"{float(np.median(lengths)):g}), padded to {dataset.seq_len}."
        )
    if dataset.conditions is not None:
        if data.get("condition_kind", "class") == "class" or data.get("sine_classes", 0):
            counts = dataset.conditions.sum(axis=0).astype(int)
            classes = ", ".join(
                f"{name}: {count}"
                for name, count in zip(dataset.condition_names, counts, strict=True)
            )
            lines.append(f"  Conditions: {len(counts)} classes ({classes}).")
        else:
            lines.append(
                f"  Conditions: {dataset.condition_dim} real value(s) per sequence "
                f"({_names(dataset.condition_names)})."
            )
    bounds = data.get("bounds", "")
    lines.append(
        "  Scaling: per feature to [0, 1], "
        + (f"from the public bounds {bounds!r}." if bounds else "by the data's min and max.")
    )
    return "\n".join(lines)
