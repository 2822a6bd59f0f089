"""Real multichannel datasets for own-data runs, from the `aeon` package, as rgan tables.

    python scripts/uea_data.py --out=data                 # reads an installed aeon
    python scripts/uea_data.py --out=data --wheel=aeon-1.6.0-py3-none-any.whl

aeon (pip install aeon, or just `pip download aeon --no-deps`) ships two UEA archive
datasets in its wheel that this script writes as long-format tables (id, time, features,
label), train and test splits together:

- BasicMotions: 80 recordings of 100 steps, 6 channels (3-axis accelerometer and
  gyroscope), 4 classes (badminton, running, standing, walking): multichannel, labelled.
- JapaneseVowels: 640 utterances of 7 to 29 steps, 12 LPC cepstrum coefficients, 9
  speakers: variable-length, labelled.

The `.ts` format (aeon/sktime) is parsed here: a header of `@` lines, then one line per
series, its channels separated by `:` and the class label last.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import pathlib
import zipfile

import numpy as np
from absl import app, flags

DATASETS = ("BasicMotions", "JapaneseVowels")
SPLITS = ("TRAIN", "TEST")
WHEEL_FOLDER = "aeon/datasets/data"

FLAGS = flags.FLAGS


def parse_ts(lines) -> tuple[list[np.ndarray], list[str]]:
    """The lines of a `.ts` file -> (series, each [length, channels] float64; labels)."""
    series, labels, in_data = [], [], False
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("@data"):
            in_data = True
            continue
        if not in_data:
            continue
        *channels, label = line.split(":")
        try:
            values = [[float(v) for v in channel.split(",")] for channel in channels]
        except ValueError:
            raise ValueError(f"line {number}: a value is not a number.") from None
        if len({len(v) for v in values}) != 1:
            raise ValueError(f"line {number}: the channels have different lengths.")
        series.append(np.asarray(values, np.float64).T)
        labels.append(label.strip())
    if not series:
        raise ValueError("no @data section with series.")
    return series, labels


def _read_ts(name: str, split: str, wheel: str | None) -> list[str]:
    member = f"{WHEEL_FOLDER}/{name}/{name}_{split}.ts"
    if wheel:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(member).decode().splitlines()
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "aeon is not installed: pip install aeon, or pass --wheel=<aeon wheel> "
            "(pip download aeon --no-deps)."
        )
    root = pathlib.Path(list(spec.submodule_search_locations)[0]).parent
    return (root / member).read_text().splitlines()


def write_table(path: str, series: list[np.ndarray], labels: list[str]) -> None:
    """Long format: id, time, c0..c{D-1}, label (atomically)."""
    channels = series[0].shape[1]
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "time", *(f"c{i}" for i in range(channels)), "label"])
        for index, (values, label) in enumerate(zip(series, labels, strict=True)):
            for step, row in enumerate(values):
                writer.writerow([f"{index:04d}", step, *(repr(float(v)) for v in row), label])
    os.replace(tmp, path)


def main(argv):
    del argv
    os.makedirs(FLAGS.out, exist_ok=True)
    for name in DATASETS:
        series, labels = [], []
        for split in SPLITS:
            try:
                s, lab = parse_ts(_read_ts(name, split, FLAGS.wheel))
            except ValueError as error:
                raise app.UsageError(f"{name}_{split}.ts: {error}") from None
            series += s
            labels += lab
        path = os.path.join(FLAGS.out, f"{name}.csv")
        write_table(path, series, labels)
        lengths = [len(s) for s in series]
        print(
            f"Wrote {path}: {len(series)} sequences of {min(lengths)}-{max(lengths)} steps, "
            f"{series[0].shape[1]} channels, classes {sorted(set(labels))}"
        )


if __name__ == "__main__":
    flags.DEFINE_string("out", "data", "Folder for <dataset>.csv.")
    flags.DEFINE_string("wheel", None, "An aeon wheel to read instead of an installed aeon.")
    app.run(main)
