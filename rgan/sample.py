"""Sampling from a trained run, in original units and at any length.

Python:
    run = rgan.sample.load_run("runs/sines")
    x = run.sample(num=100, length=96, seed=0)   # [100, 96, D] in original units
    x = run.sample(num=100, cond=2)               # conditional runs: class 2 ...
    x = run.sample(num=100, cond=[0.5, 1.0])      # ... or a condition vector [C]

CLI:
    python -m rgan.sample --workdir=W --num=N --length=L --seed=S --out=F.npy|F.npz|F.csv
A `.csv` is a long-format table: columns `sequence, step, <feature names>`.

Conditional runs (RCGAN on data with conditions) generate for `--cond` (a class label,
e.g. `--cond=2`, or a comma-separated vector, e.g. `--cond=0.5,1`), the same for all
`--num` sequences; without it each sequence's condition is drawn from the training
conditions' distribution, saved with the run. `--cond_out=F.npy` writes the conditions
used, [num, C].

Variable-length runs draw each sequence's length from the training lengths (unless a
`length` is given): `.npy` holds them padded with NaN, `.npz` holds `samples` (padded
with NaN) and `lengths`, and `.csv` holds only the real steps of each sequence.
`Run.sample_sequences` returns them as a list, each at its own length.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import jax
import ml_collections
import numpy as np
from absl import app, flags, logging

from rgan import checkpoint, cli, ensemble, parallel
from rgan import config as config_lib
from rgan.data import MinMaxScaler
from rgan.data.conditions import ConditionSummary
from rgan.data.lengths import LengthDistribution, lengths_from_mask, mask_from_lengths
from rgan.families import DataSpec, Family, Generated
from rgan.families.moving_average import has_moving_average, sampling_params
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
    lengths: LengthDistribution | None = None  # set for variable-length data
    conditions: ConditionSummary | None = None  # set when the data have conditions
    privacy: dict | None = None  # the DP budget ({"epsilon", "delta", ...}) of DP runs
    # Sample with the moving average of the sampling weights where the run kept one
    # (train.ema_decay > 0, rgan.families.moving_average); False samples with the raw
    # trained weights.
    ema: bool = True
    # An ensemble's member (train.ensemble > 1), which this Run is; `config` is then the
    # member's own (seed + member) and `state` its slice of the ensemble's.
    member: int | None = None

    @property
    def output_dir(self) -> str:
        """Where this run's evaluations go: the workdir, or the member's folder in it."""
        if self.member is None:
            return self.workdir
        return ensemble.member_dir(self.workdir, self.member)

    @property
    def weights(self) -> str:
        """Which generator weights this Run samples with: "ema" or "raw"."""
        return "ema" if self.ema and has_moving_average(self.state.params) else "raw"

    @property
    def step(self) -> int:
        return int(self.state.step)

    @property
    def conditional(self) -> bool:
        """Whether the generator takes conditions (a conditional family on conditional data)."""
        return self.conditions is not None and self.family.conditional

    def sample_conditions(self, num: int, seed: int = 0, cond=None) -> np.ndarray | None:
        """The conditions `sample(num, seed=seed, cond=cond)` uses: float32 [num, C], or None
        for an unconditional run.

        cond: None (draw from the training conditions' distribution), an int class label,
        one vector [C] for all sequences, or one per sequence [num, C].
        """
        if not self.conditional:
            if cond is not None:
                raise ValueError(
                    f"The run in {self.workdir} is unconditional (family "
                    f"{self.config.family!r}, data {'with' if self.conditions else 'without'} "
                    "conditions): it takes no cond. Drop cond / --cond."
                )
            return None
        if cond is None:
            return self.conditions.draw(num, seed)
        return self.conditions.as_batch(cond, num)

    @property
    def variable_length(self) -> bool:
        return self.lengths is not None

    def generate(self, num: int, length: int | None = None, seed: int = 0, cond=None) -> Generated:
        """Generated sequences in the training scale [0, 1], with their lengths and
        conditions (numpy arrays; see `rgan.families.Generated`).

        A variable-length run's sequences get lengths drawn from the training lengths
        (length-aware generators are told them), unless the family returns its own.
        cond: conditional runs only; see `sample_conditions`.
        """
        length = self.seq_len if length is None else length
        if num < 1 or length < 1:
            raise ValueError(f"num and length must be >= 1; got num={num}, length={length}.")
        if length != self.seq_len and not self.family.causal:
            raise ValueError(
                f"The {self.config.family!r} generator is not causal: it samples sequences of "
                f"its training length {self.seq_len} only; got length={length}."
            )
        conditions = self.sample_conditions(num, seed, cond)
        mask = None
        if self.variable_length and length == self.seq_len:
            mask = mask_from_lengths(self.sample_lengths(num, seed), length)
        key = jax.random.PRNGKey(seed)
        chunks = []
        for start in range(0, num, CHUNK):
            size = min(CHUNK, num - start)
            chunk = slice(start, start + size)
            chunk_cond = None if conditions is None else conditions[chunk]
            chunk_mask = None if mask is None else mask[chunk]
            key_chunk = jax.random.fold_in(key, start)
            chunks.append(
                jax.device_get(self._generate(key_chunk, size, length, chunk_cond, chunk_mask))
            )
        return jax.tree.map(lambda *parts: np.concatenate(parts), *chunks)

    def sample_scaled(
        self, num: int, length: int | None = None, seed: int = 0, cond=None
    ) -> np.ndarray:
        """Generated sequences in the training scale [0, 1]: [num, length, features].

        cond: conditional runs only; see `sample_conditions`.
        """
        return self.generate(num, length, seed, cond).values

    def sample(self, num: int, length: int | None = None, seed: int = 0, cond=None) -> np.ndarray:
        """Generated sequences in the data's original units: [num, length, features].

        For a variable-length run without `length`, each sequence gets a length drawn
        from the training lengths and the steps past it are NaN ([num, max length, D]).
        cond: conditional runs only; see `sample_conditions`.
        """
        return self.in_original_units(self.generate(num, length, seed, cond), cut=length is None)

    def in_original_units(self, generated: Generated, cut: bool = True) -> np.ndarray:
        """`generated.values` in the data's units [num, length, D]; with `cut`, the steps
        past each sequence's length (where the family gave lengths) are NaN."""
        x = self.scaler.inverse(generated.values)
        if cut and generated.lengths is not None:
            x[mask_from_lengths(generated.lengths, x.shape[1]) == 0] = np.nan
        return x

    def sample_lengths(self, num: int, seed: int = 0) -> np.ndarray:
        """The lengths `sample(num, seed=seed)` gives its sequences: int [num]."""
        if not self.variable_length:
            return np.full(num, self.seq_len)
        return self.lengths.sample(num, seed)

    def sample_sequences(self, num: int, seed: int = 0, cond=None) -> list[np.ndarray]:
        """Generated sequences in original units, each [length_i, features]."""
        generated = self.generate(num, seed=seed, cond=cond)
        x = self.in_original_units(generated, cut=False)
        lengths = generated.lengths
        if lengths is None:
            lengths = np.full(num, x.shape[1])
        return [s[:n] for s, n in zip(x, lengths, strict=True)]

    @functools.cached_property
    def _jitted(self):
        return jax.jit(self.family.generate, static_argnums=(2, 3))

    def _generate(self, key, num, length, cond=None, mask=None):
        params = sampling_params(self.state.params, self.ema)
        return self._jitted(params, key, num, length, cond, mask)

    @functools.cached_property
    def _training_data(self):
        """The run's dataset, rebuilt once from its config (windows and mask together)."""
        from rgan.data import build_dataset, data_seed

        return build_dataset(self.config.data, seed=data_seed(self.config))

    def training_windows(self) -> np.ndarray:
        """The run's training windows in [0, 1], rebuilt from its config: [N, T, D]."""
        return self._training_data.windows

    def training_conditions(self) -> np.ndarray | None:
        """The conditions of `training_windows()`: float32 [N, C] (one-hot for classes), or
        None for a run without conditions."""
        return self._training_data.conditions

    def training_lengths(self) -> np.ndarray:
        """The valid steps of each of `training_windows()`: int [N] (all T for fixed-length
        data), from the rebuilt dataset's mask."""
        data = self._training_data
        if data.mask is None:
            return np.full(data.num_windows, data.seq_len, np.int64)
        return lengths_from_mask(np.asarray(data.mask)).astype(np.int64)


def load_run(
    workdir: str, step: int | None = None, *, ema: bool = True, member: int | None = None
) -> Run:
    """Loads the latest (or given) checkpoint of `workdir`; `ema`: see `Run.ema`.

    member: which member of an ensemble (train.ensemble = K > 1) to load, 0..K-1; the Run
    is then that member's, as the single run of seed `seed + member` would be. Required
    for an ensemble, refused otherwise.
    """
    ckpt_dir = os.path.join(workdir, checkpoint.CHECKPOINT_DIR)
    if not os.path.isdir(ckpt_dir):
        raise FileNotFoundError(f"{workdir} has no checkpoints/; train a run there first.")
    checkpointer = checkpoint.Checkpointer(workdir, read_only=True)
    try:
        meta = checkpointer.restore_run(step)
        config = ml_collections.ConfigDict(config_lib.with_added_fields(meta["config"]))
        members = ensemble.num_members(config)
        if members > 1 and member is None:
            raise ValueError(
                f"{workdir} holds an ensemble of {members} members (train.ensemble="
                f"{members}); pick one with --member=i (load_run(..., member=i)), i in "
                f"0..{members - 1}."
            )
        if members == 1 and member is not None:
            raise ValueError(
                f"{workdir} holds a single model, not an ensemble; drop --member / member."
            )
        conditions = meta.get("conditions")
        conditions = None if conditions is None else ConditionSummary.from_dict(conditions)
        spec = DataSpec(
            seq_len=meta["seq_len"],
            num_features=meta["num_features"],
            condition_dim=0 if conditions is None else conditions.dim,
            variable_length=bool(meta.get("lengths")),
        )
        family, trained = ensemble.training_families(config, spec)
        init = trained.init
        mesh = parallel.make_mesh(jax.local_devices())
        key = ensemble.init_key(config)
        abstract = checkpoint.abstract_like(jax.eval_shape(init, key), mesh)
        if step is None:  # the newest checkpoint that restores, as training resumes
            state, _, damaged = checkpointer.restore_intact(abstract)
            for bad_step, error in damaged:
                logging.warning(
                    "The checkpoint of step %d in %s is damaged (%s); using step %d.",
                    bad_step,
                    workdir,
                    error,
                    int(state.step),
                )
        else:
            state, _ = checkpointer.restore(abstract, step)
    finally:
        checkpointer.close()
    if member is not None:
        config = ensemble.member_config(config, member)  # refuses a member out of range
        state = ensemble.member_state(state, member)
    return Run(
        workdir=workdir,
        config=config,
        family=family,
        state=state,
        scaler=MinMaxScaler.from_dict(meta["scaler"]),
        seq_len=meta["seq_len"],
        feature_names=tuple(meta["feature_names"]),
        lengths=LengthDistribution.from_dict(meta["lengths"]) if meta.get("lengths") else None,
        conditions=conditions,
        privacy=meta.get("privacy"),
        ema=ema,
        member=member,
    )


def check_out(path: str, *, overwrite: bool = False) -> None:
    """Refuses an output path that `save_samples` would refuse: one that exists (unless
    `overwrite`), or one without a .npy, .npz or .csv suffix."""
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; choose another --out or pass --overwrite.")
    if not path.endswith((".npy", ".npz", ".csv")):
        raise ValueError(f"--out must end in .npy, .npz or .csv; got {path!r}.")


def save_samples(
    path: str, samples: np.ndarray, feature_names, *, lengths=None, overwrite: bool = False
):
    """Writes samples [N, L, D] (NaN past `lengths` [N] when given) to `.npy`, `.npz`
    (`samples`, `lengths`) or long-format `.csv` (real steps only), atomically."""
    check_out(path, overwrite=overwrite)
    n, length, _ = samples.shape
    lengths = np.full(n, length) if lengths is None else np.asarray(lengths)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, "." + os.path.basename(path) + ".tmp")
    if path.endswith(".npy"):
        with open(tmp, "wb") as f:
            np.save(f, samples)
    elif path.endswith(".npz"):
        with open(tmp, "wb") as f:
            np.savez(f, samples=samples, lengths=lengths)
    else:
        real = mask_from_lengths(lengths, length).reshape(-1) > 0
        ids = np.repeat(np.arange(n), length)[real, None]
        steps = np.tile(np.arange(length), n)[real, None]
        values = samples.reshape(n * length, -1)[real]
        table = np.concatenate([ids, steps, values], axis=1)
        header = ",".join(["sequence", "step", *feature_names])
        fmt = ["%d", "%d"] + ["%.8g"] * samples.shape[-1]
        np.savetxt(tmp, table, delimiter=",", header=header, comments="", fmt=fmt)
    os.replace(tmp, path)


FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_string("workdir", None, "Run directory to sample from.", required=True)
    flags.DEFINE_integer("num", 1000, "Number of sequences.")
    flags.DEFINE_integer(
        "length",
        None,
        "Sequence length (default: the training length, or for variable-length "
        "runs a length drawn per sequence from the training lengths).",
    )
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("out", None, "Output file: .npy, .npz or .csv.", required=True)
    flags.DEFINE_integer("step", None, "Checkpoint step (default: latest).")
    flags.DEFINE_bool("overwrite", False, "Replace --out if it exists.")
    flags.DEFINE_string(
        "cond",
        None,
        "Conditional runs: the condition of every sequence, a class label (e.g. 2) or a "
        "comma-separated vector (e.g. 0.5,1). Default: drawn from the training conditions.",
    )
    flags.DEFINE_string("cond_out", None, "Conditional runs: write the conditions used (.npy).")
    flags.DEFINE_bool(
        "ema",
        True,
        "Sample with the moving average of the generator's weights where the run kept one "
        "(train.ema_decay > 0); --noema samples with the raw trained weights.",
    )
    flags.DEFINE_integer(
        "member", None, "An ensemble's member to sample (train.ensemble=K: 0..K-1)."
    )


@cli.reports_user_errors
def main(argv):
    del argv
    cli.setup_process(reader=True)
    # Before the run is restored and sampled (compilation, seconds to minutes): an --out
    # that would be refused at the end is refused now.
    check_out(FLAGS.out, overwrite=FLAGS.overwrite)
    run = load_run(FLAGS.workdir, FLAGS.step, ema=FLAGS.ema, member=FLAGS.member)
    cond = None
    if FLAGS.cond is not None:
        if run.conditions is None:
            raise ValueError(f"--cond given, but the run in {FLAGS.workdir} has no conditions.")
        cond = run.conditions.parse(FLAGS.cond)
    conditions = run.sample_conditions(FLAGS.num, FLAGS.seed, cond)
    generated = run.generate(FLAGS.num, FLAGS.length, FLAGS.seed, conditions)
    lengths = generated.lengths if FLAGS.length is None else None
    samples = run.in_original_units(generated, cut=lengths is not None)
    if FLAGS.cond_out:
        if conditions is None:
            raise ValueError(f"--cond_out: the run in {FLAGS.workdir} is unconditional.")
        np.save(FLAGS.cond_out, conditions)
    save_samples(FLAGS.out, samples, run.feature_names, lengths=lengths, overwrite=FLAGS.overwrite)
    if lengths is not None:
        shape = f"lengths {lengths.min()}-{lengths.max()} (drawn from the training lengths)"
    else:
        shape = f"length {samples.shape[1]}"
    print(f"Wrote {samples.shape[0]} sequences of {shape} to {FLAGS.out}")


if __name__ == "__main__":
    _define_flags()
    cli.define_verbose_flag()
    app.run(main)
