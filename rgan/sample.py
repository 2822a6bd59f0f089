"""Sampling from a trained run, in original units and at any length.

Python:
    run = rgan.sample.load_run("runs/sines")
    x = run.sample(num=100, length=96, seed=0)   # [100, 96, D] in original units

CLI:
    python -m rgan.sample --workdir=W --num=N --length=L --seed=S --out=F.npy|F.csv
A `.csv` is a long-format table: columns `sequence, step, <feature names>`.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import jax
import ml_collections
import numpy as np
from absl import app, flags

from rgan import checkpoint, parallel
from rgan.data import MinMaxScaler
from rgan.families import DataSpec, Family, build_family
from rgan.state import GANState

CHUNK = 4096  # sequences generated per compiled call; bounds memory for large `num`


@dataclasses.dataclass
class Run:
    """A trained run loaded from its workdir."""

    workdir: str
    config: ml_collections.ConfigDict
    family: Family
    state: GANState
    scaler: MinMaxScaler
    seq_len: int
    feature_names: tuple[str, ...]

    @property
    def step(self) -> int:
        return int(self.state.step)

    def sample_scaled(self, num: int, length: int | None = None, seed: int = 0) -> np.ndarray:
        """Generated sequences in the training scale [0, 1]: [num, length, features]."""
        length = self.seq_len if length is None else length
        if num < 1 or length < 1:
            raise ValueError(f"num and length must be >= 1; got num={num}, length={length}.")
        key = jax.random.PRNGKey(seed)
        chunks = []
        for start in range(0, num, CHUNK):
            size = min(CHUNK, num - start)
            chunks.append(np.asarray(self._generate(jax.random.fold_in(key, start), size, length)))
        return np.concatenate(chunks)

    def sample(self, num: int, length: int | None = None, seed: int = 0) -> np.ndarray:
        """Generated sequences in the data's original units: [num, length, features]."""
        return self.scaler.inverse(self.sample_scaled(num, length, seed))

    @functools.cached_property
    def _jitted(self):
        return jax.jit(self.family.generate, static_argnums=(2, 3))

    def _generate(self, key, num, length):
        return self._jitted(self.state.params, key, num, length)

    def training_windows(self) -> np.ndarray:
        """The run's training windows in [0, 1], rebuilt from its config: [N, T, D]."""
        from rgan.data import build_dataset

        return build_dataset(self.config.data, seed=self.config.seed).windows


def load_run(workdir: str, step: int | None = None) -> Run:
    """Loads the latest (or given) checkpoint of `workdir`."""
    ckpt_dir = os.path.join(workdir, checkpoint.CHECKPOINT_DIR)
    if not os.path.isdir(ckpt_dir):
        raise FileNotFoundError(f"{workdir} has no checkpoints/; train a run there first.")
    checkpointer = checkpoint.Checkpointer(workdir, read_only=True)
    try:
        meta = checkpointer.restore_run(step)
        config = ml_collections.ConfigDict(meta["config"])
        spec = DataSpec(seq_len=meta["seq_len"], num_features=meta["num_features"])
        family = build_family(config, spec)
        mesh = parallel.make_mesh(jax.local_devices())
        key = jax.random.PRNGKey(config.seed)
        abstract = checkpoint.abstract_like(jax.eval_shape(family.init, key), mesh)
        state, _ = checkpointer.restore(abstract, step)
    finally:
        checkpointer.close()
    return Run(
        workdir=workdir,
        config=config,
        family=family,
        state=state,
        scaler=MinMaxScaler.from_dict(meta["scaler"]),
        seq_len=meta["seq_len"],
        feature_names=tuple(meta["feature_names"]),
    )


def save_samples(path: str, samples: np.ndarray, feature_names, *, overwrite: bool = False):
    """Writes samples [N, L, D] to `.npy` or long-format `.csv`, atomically."""
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; choose another --out or pass --overwrite.")
    if not path.endswith((".npy", ".csv")):
        raise ValueError(f"--out must end in .npy or .csv; got {path!r}.")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, "." + os.path.basename(path) + ".tmp")
    if path.endswith(".npy"):
        with open(tmp, "wb") as f:
            np.save(f, samples)
    else:
        n, length, _ = samples.shape
        ids = np.repeat(np.arange(n), length)[:, None]
        steps = np.tile(np.arange(length), n)[:, None]
        table = np.concatenate([ids, steps, samples.reshape(n * length, -1)], axis=1)
        header = ",".join(["sequence", "step", *feature_names])
        fmt = ["%d", "%d"] + ["%.8g"] * samples.shape[-1]
        np.savetxt(tmp, table, delimiter=",", header=header, comments="", fmt=fmt)
    os.replace(tmp, path)


FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_string("workdir", None, "Run directory to sample from.", required=True)
    flags.DEFINE_integer("num", 1000, "Number of sequences.")
    flags.DEFINE_integer("length", None, "Sequence length (default: the training length).")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("out", None, "Output file, .npy or .csv.", required=True)
    flags.DEFINE_integer("step", None, "Checkpoint step (default: latest).")
    flags.DEFINE_bool("overwrite", False, "Replace --out if it exists.")


def main(argv):
    del argv
    run = load_run(FLAGS.workdir, FLAGS.step)
    samples = run.sample(FLAGS.num, FLAGS.length, FLAGS.seed)
    save_samples(FLAGS.out, samples, run.feature_names, overwrite=FLAGS.overwrite)
    print(f"Wrote {samples.shape[0]} sequences of length {samples.shape[1]} to {FLAGS.out}")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
