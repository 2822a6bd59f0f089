"""Helpers shared by tests (not fixtures): comparing pytrees, reading runs."""

from __future__ import annotations

import hashlib
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np

from rgan.config import load_config

_SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / "scripts"


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    """Runs `scripts/<name>` with `args` in this Python, from the repository root;
    stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, str(_SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        cwd=_SCRIPTS.parent,
    )


def load_test_config(spec: str, **overrides):
    """`rgan.config.load_config`, training on one device and drawing no sample plots unless
    `train__num_devices` or `train__plot_every` says otherwise.

    The suite simulates 4 CPU devices (conftest.py). XLA:CPU runs the collectives of
    simulated devices on shared thread pools, and on a loaded 2-core machine a step's
    all-reduce can wait forever for a device whose launch is queued behind it; XLA then
    aborts the process after 40 s ("Termination timeout ... only 3 of them arrived").
    Training runs whose subject is not the device count therefore use one device; the
    tests of device-count independence run single steps on 4.

    A sample plot (the smoke config draws one at a run's last step) costs a second or
    more of matplotlib per run, and a worker's first one several; the tests whose subject
    is the plots (cadence, ensemble members, differential privacy) turn them on.
    """
    return load_config(spec, **{"train__num_devices": 1, "train__plot_every": 0, **overrides})


def with_plain_sgd(config):
    """Every optimizer of `config` plain SGD (no momentum), with a step large enough to
    show. Unlike Adam, whose first steps are about lr * sign(gradient), SGD's update is
    proportional to the gradient, so a gradient that differs shows in the parameters."""
    for name in config.optim:
        config.optim[name].optimizer = "sgd"
        config.optim[name].learning_rate = 0.05
        config.optim[name].momentum = 0.0
    return config


def assert_trees_equal(a, b) -> None:
    """Bit-identical leaves."""
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(la, lb, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def max_abs_diff(a, b) -> float:
    return max(
        float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


def snapshot_files(folder: str) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder`."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def statistics_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """A distance between two sets of windows [N, T, D] that no GAN loss optimizes directly.

    Mean absolute difference of the per-(step, feature) mean and standard deviation, plus
    that of the per-feature lag-1 autocorrelation.
    """

    def autocorrelation(x):
        centered = x - x.mean(axis=1, keepdims=True)
        num = (centered[:, 1:] * centered[:, :-1]).mean(axis=(0, 1))
        return num / (centered.var(axis=(0, 1)) + 1e-8)

    return float(
        np.abs(real.mean(0) - fake.mean(0)).mean()
        + np.abs(real.std(0) - fake.std(0)).mean()
        + np.abs(autocorrelation(real) - autocorrelation(fake)).mean()
    )
