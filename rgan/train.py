"""The family-agnostic training loop: `train_and_evaluate(config, workdir)`.

Everything a run produces lives in `workdir`: `config.json`, `checkpoints/` (state,
scaler and config), `metrics.jsonl`, `tensorboard/` and `samples/` (PNG of real versus
generated windows). Running again on the same workdir resumes from the latest
checkpoint; SIGTERM/SIGINT save a checkpoint and stop cleanly.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import itertools
import json
import os
import threading
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec

from rgan import branch, checkpoint, ensemble, losses, parallel, stop_signals, workdir_lock
from rgan import config as config_lib
from rgan.data import Dataset, batch_indices, build_dataset, data_seed
from rgan.data.conditions import ConditionSummary, condition_kind
from rgan.data.lengths import LengthDistribution
from rgan.data.summary import describe_data
from rgan.families import DataSpec, Family
from rgan.families.moving_average import sampling_params
from rgan.health import HealthMonitor, diversity_ratio
from rgan.metric_log import MetricWriter, Progress, read_metrics
from rgan.state import GANState

CONFIG_FILE = config_lib.CONFIG_FILE
SAMPLES_DIR = "samples"
DAMAGED_DIR = "damaged_checkpoints"  # checkpoints that failed to restore, set aside
# Phases in which a generator plays against a discriminator: their log records are checked
# for training health (rgan/health.py).
ADVERSARIAL_PHASES = ("adversarial", "joint")
# Metrics of the steps after the last log record, saved when a run stops between records.
PENDING_METRICS_FILE = "metrics_pending.json"
# Config changes accepted on resume with config_change_ok, one JSON record per resume.
CONFIG_CHANGES_FILE = "config_changes.jsonl"


def fit_batch_size_to_data(config: ml_collections.ConfigDict, num_windows: int, devices: int):
    """Lowers `config.train.batch_size` (in place) to the data when it is larger.

    A batch larger than the data repeats windows within the batch: the discriminator
    sees duplicates and DP-SGD's sampling rate exceeds 1. Small datasets (a few dozen
    recordings) are common, so rather than refuse, training takes every window once per
    batch, rounded down to a multiple of the device count, and says so. It happens
    before the config is saved, so resuming with the same command gives the same value.
    """
    requested = config.train.batch_size
    if requested <= num_windows:
        return
    fitted = num_windows // devices * devices
    if fitted == 0:
        raise ValueError(
            f"The data hold {num_windows} training window(s), fewer than the {devices} "
            f"devices; train on fewer devices (--config.train.num_devices={num_windows}) "
            "or on more data."
        )
    logging.info(
        "config.train.batch_size=%d is larger than the %d training windows: training with "
        "batches of %d (each window once per batch; a multiple of the %d device(s)).",
        requested,
        num_windows,
        fitted,
        devices,
    )
    config.train.batch_size = fitted


# train.num_steps=-1: STEPS_PER_LENGTH / (padded sequence length) steps, in whole
# thousands within STEPS_RANGE. A step's cost grows with the length (the networks scan
# every step), so this holds a run's wall time roughly constant: 3,000 steps for
# 100-step recordings, 10,000 for 29-step utterances, budgets measured to learn on
# BasicMotions and JapaneseVowels (with configs/own_data.py; fewer steps cost
# BasicMotions a class in one seed of three, more did not help JapaneseVowels).
STEPS_PER_LENGTH = 290_000
STEPS_RANGE = (1_000, 20_000)


def steps_for_data(seq_len: int) -> int:
    """The step budget of `train.num_steps=-1` for windows of `seq_len` (padded) steps."""
    steps = round(STEPS_PER_LENGTH / seq_len / 1000) * 1000
    return int(min(max(steps, STEPS_RANGE[0]), STEPS_RANGE[1]))


def fit_steps_to_data(config: ml_collections.ConfigDict, seq_len: int) -> None:
    """Sets `config.train.num_steps` (in place) from the data when it is -1, and says so.

    Before the config is saved: the run's config.json holds the steps it trains, and the
    same command resumes (the same data give the same budget)."""
    if config.train.num_steps != -1:
        return
    config.train.num_steps = steps_for_data(seq_len)
    logging.info(
        "config.train.num_steps=-1: training %d steps for sequences of %d steps "
        "(%d / length, in thousands within %s; set train.num_steps to choose).",
        config.train.num_steps,
        seq_len,
        STEPS_PER_LENGTH,
        STEPS_RANGE,
    )


class TrainingDiverged(FloatingPointError):
    """A loss became NaN/inf; the last good checkpoint is kept."""


def data_fingerprint(windows: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(windows).tobytes()).hexdigest()[:16]


def run_metadata(config, dataset: Dataset, family: Family | None = None) -> dict:
    """The JSON saved in every checkpoint: all that sampling needs besides the state.

    Also logs the run's differential-privacy budget, when `family` trains with one.
    """
    fingerprint = data_fingerprint(dataset.windows)
    conditions = None
    if dataset.conditions is not None:
        fingerprint += data_fingerprint(dataset.conditions)  # conditions are data too
        conditions = ConditionSummary.fit(
            dataset.conditions, condition_kind(config.data), dataset.condition_names, config.seed
        ).to_dict()
    privacy = None if family is None else family.privacy_budget(dataset.num_windows)
    if privacy is not None:
        privacy["released_outside_guarantee"] = released_outside_guarantee(config, dataset, privacy)
        logging.info(
            "Differential privacy: (epsilon=%.4g, delta=%.3g) after %d discriminator updates "
            "at sampling rate %.4g with noise multiplier %.3g.",
            privacy["epsilon"],
            privacy["delta"],
            privacy["steps"],
            privacy["sampling_rate"],
            privacy["noise_multiplier"],
        )
        if privacy["released_outside_guarantee"]:
            logging.warning(
                "Differential privacy: the guarantee covers the training sequences as the "
                "generator learns them, not what this run also saves or shows: %s. (Saved in "
                "the checkpoints as privacy.released_outside_guarantee.)",
                "; ".join(privacy["released_outside_guarantee"]),
            )
    return {
        "config": config_lib.to_dict(config),
        "scaler": dataset.scaler.to_dict(),
        "seq_len": dataset.seq_len,
        "num_features": dataset.num_features,
        "feature_names": list(dataset.feature_names),
        # The order of the training windows (tables: ids sorted by value), which
        # data.conditions_path follows.
        "sequence_ids": [str(i) for i in dataset.ids] or None,
        "data_fingerprint": fingerprint,
        "lengths": None if dataset.mask is None else LengthDistribution.fit(dataset.mask).to_dict(),
        "conditions": conditions,  # ConditionSummary: what sampling needs to draw conditions
        "privacy": privacy,  # {"epsilon", "delta", ...} of the whole run, or None
    }


def _check_workdir(workdir: str, config_dict: dict, change_ok: tuple[str, ...] = ()) -> list:
    """Refuses to mix runs: a workdir holding another config's run is left untouched.

    change_ok: config groups or fields (e.g. "optim") that may differ from the saved
    config on purpose, e.g. to resume a diverged run with a lower learning rate.
    Returns those accepted changes as (path, saved, now) triples.
    """
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.exists(path):
        if os.path.isdir(os.path.join(workdir, checkpoint.CHECKPOINT_DIR)):
            raise ValueError(
                f"{workdir} has checkpoints but no {CONFIG_FILE}; it was not written by rgan "
                "or was damaged. Use another --workdir."
            )
        return []
    with open(path) as f:
        saved = config_lib.with_added_fields(json.load(f))
    diffs = config_lib.incompatible_fields(saved, config_dict)

    def accepted(field):
        return any(field == ok or field.startswith(ok + ".") for ok in change_ok)

    refused = [d for d in diffs if not accepted(d[0])]
    if refused:
        shown = "; ".join(f"{p}: {a!r} (saved) vs {b!r} (now)" for p, a, b in refused[:8])
        raise ValueError(
            f"{workdir} holds a run of a different config ({len(refused)} field(s) differ: "
            f"{shown}). Use a new --workdir, or the saved config to resume. Only "
            f"{', '.join(config_lib.RESUMABLE_FIELDS)} may change on resume (and, on "
            "purpose, the groups named by --config_change_ok, e.g. optim). Nothing was changed."
        )
    _check_schedule_spans(workdir, saved, config_dict)
    return [d for d in diffs if accepted(d[0])]


def released_outside_guarantee(config, dataset: Dataset, privacy: dict) -> list[str]:
    """What a differentially private run saves or shows of its data that the DP-SGD
    guarantee does not cover, in plain words (empty: nothing)."""
    released = []
    if not config.data.get("bounds", ""):
        released.append(
            "each feature's minimum and maximum, saved as the scaler (give public bounds "
            "with config.data.bounds to keep them private)"
        )
    if dataset.mask is not None:
        released.append("the frequencies of the sequence lengths, saved for sampling")
    if dataset.conditions is not None:
        released.append("the frequencies of the conditions, saved for sampling (public)")
    if privacy.get("real_statistics_released"):
        released.append(
            "the discriminator's loss and accuracy on real windows and the diversity ratio "
            "in the logs, and real windows in the sample plots (dp_release_real_statistics)"
        )
    return released


def _check_schedule_spans(workdir: str, saved: dict, current: dict) -> None:
    """Refuses a resume whose new `train.num_steps` would stretch a decaying learning-rate
    schedule that spans the run (decay_steps = 0): the steps already taken would then
    have had other rates, and the result would differ from a run trained this way."""
    if saved["train"]["num_steps"] == current["train"]["num_steps"]:
        return
    stretched = [
        name
        for name, opt in current["optim"].items()
        if opt["schedule"] != "constant" and not opt["decay_steps"]
    ]
    if stretched:
        raise ValueError(
            f"{workdir}: train.num_steps {saved['train']['num_steps']} -> "
            f"{current['train']['num_steps']} would change the span of the "
            f"{', '.join(f'optim.{n}' for n in stretched)} schedule(s) (decay_steps=0: the "
            "whole run), so the steps already trained would not match. Fix the span with "
            "optim.<name>.decay_steps=<steps> from the start, or use a new --workdir."
        )


def _write_json_atomic(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def _agreed(stop: threading.Event, step: int, every: int) -> bool:
    """Whether to stop now. With several processes, a signal reaches some of them; they
    agree every `every` steps (any process stopping stops all), since a process leaving
    alone would leave the others waiting in a collective."""
    if jax.process_count() == 1:
        return stop.is_set()
    if step % every:
        return False
    flags = multihost_utils.process_allgather(np.array([stop.is_set()]))
    return bool(np.any(flags))


@jax.jit
def _all_finite(tree) -> jax.Array:
    leaves = [
        jnp.all(jnp.isfinite(x))
        for x in jax.tree.leaves(tree)
        if jnp.issubdtype(x.dtype, jnp.floating)
    ]
    return jnp.all(jnp.stack(leaves))


def _save_pending_metrics(workdir: str, step: int, pending: list[dict]) -> None:
    """The per-step metrics since the last log record, kept for the record that a resumed
    run writes next (float32 values, exactly as the steps returned them)."""
    # A number per metric, or for an ensemble a list of one per member.
    values = [{k: np.asarray(v).tolist() for k, v in m.items()} for m in jax.device_get(pending)]
    _write_json_atomic(os.path.join(workdir, PENDING_METRICS_FILE), {"step": step, "steps": values})


def _take_pending_metrics(workdir: str, step: int) -> list[dict]:
    """The metrics that `_save_pending_metrics` kept at `step`, or none (a run resumed from
    another step, e.g. an earlier checkpoint, recomputes them). The file is removed."""
    path = os.path.join(workdir, PENDING_METRICS_FILE)
    if jax.process_index() != 0 or not os.path.exists(path):
        return []  # only process 0 writes metric records
    with open(path) as f:
        saved = json.load(f)
    os.remove(path)
    if saved.get("step") != step:
        return []
    return [{k: np.asarray(v, np.float32) for k, v in m.items()} for m in saved["steps"]]


def _host_batches(dataset: Dataset, indices: np.ndarray) -> tuple[dict, ...]:
    """This process's slice of each global batch: indices [rounds, (K,) batch] -> dicts."""
    per_process = indices.shape[-1] // jax.process_count()
    lo = jax.process_index() * per_process
    local = indices[..., lo : lo + per_process]
    return tuple(dataset.batch(idx) for idx in local)


def _save_sample_plot(path: str, real: np.ndarray, fake: np.ndarray) -> None:
    try:
        from rgan.metrics.plots import sample_grid_plot
    except ImportError:  # matplotlib is an optional extra
        return
    sample_grid_plot(real, fake, path)


# Multi-process runs name their barriers by the order in which processes make Trainers.
_TRAINER_SERIAL = itertools.count()

_STEP_CACHE: collections.OrderedDict = collections.OrderedDict()
_STEP_CACHE_SIZE = 8


@functools.lru_cache(maxsize=_STEP_CACHE_SIZE)
def _jitted_generate(family: Family):
    """`family.generate`, jitted once per family object: the Trainers of one config share
    their family (`_family_and_steps`), so a resume in the same process (a notebook, the
    tests) does not compile the sampler again."""
    return jax.jit(family.generate, static_argnums=(2, 3))


def _family_and_steps(
    config, config_dict: dict, spec: DataSpec, mesh
) -> tuple[Family, Family, dict]:
    """The family of `config`, the family that trains (the first, or for an ensemble that
    family vmapped over its members), and a dict {phase index: compiled step}, shared by
    every Trainer of the same config, data shape and mesh in this process.

    jax caches traced and compiled functions by function identity, and each family
    build makes new step functions; without this, running a config again in the same
    process (a resume, a notebook cell run twice) re-traces and recompiles every phase.
    """
    key = (json.dumps(config_dict, sort_keys=True), spec, mesh)
    if key in _STEP_CACHE:
        _STEP_CACHE.move_to_end(key)
    else:
        family, trained = ensemble.training_families(config, spec)
        _STEP_CACHE[key] = (family, trained, {})
        if len(_STEP_CACHE) > _STEP_CACHE_SIZE:
            _STEP_CACHE.popitem(last=False)
    return _STEP_CACHE[key]


class Trainer:
    """Holds what one run needs; `run()` trains until the end or a stop signal."""

    def __init__(
        self,
        config: ml_collections.ConfigDict,
        workdir: str,
        *,
        config_change_ok: tuple[str, ...] | list[str] = (),
        branch_from: str | None = None,
    ):
        """config_change_ok: config groups or fields (e.g. "optim") allowed to differ from
        those of the run already in `workdir`; the changes are recorded in the workdir's
        config_changes.jsonl. Other differences are refused.
        branch_from: the workdir of a run to branch from (rgan/branch.py): `workdir`, new,
        starts from its checkpoint where TimeGAN's joint phase begins; a second call
        resumes the branch."""
        config_lib.check_config(config)
        self.config = config
        self.workdir = workdir
        # Everything that can fail on bad input happens before the workdir is touched.
        self.dataset = build_dataset(config.data, seed=data_seed(config))
        self.mesh = parallel.make_mesh(parallel.training_devices(config.train.num_devices))
        fit_batch_size_to_data(config, self.dataset.num_windows, self.mesh.devices.size)
        parallel.check_batch_size(config.train.batch_size, self.mesh)
        fit_steps_to_data(config, self.dataset.seq_len)

        self.spec = DataSpec(
            seq_len=self.dataset.seq_len,
            num_features=self.dataset.num_features,
            condition_dim=self.dataset.condition_dim,
            variable_length=self.dataset.mask is not None,
        )
        self.config_dict = config_lib.to_dict(config)
        # family: one model's (sampling); training_family: what trains, the same or, for
        # an ensemble (train.ensemble > 1), it vmapped over the members (rgan/ensemble.py).
        self.family, self.training_family, self._compiled_steps = _family_and_steps(
            config, self.config_dict, self.spec, self.mesh
        )
        self.members = ensemble.num_members(config)
        # Each member's batch-order seed, once: with a sweep (train.ensemble_sweep) it is
        # derived by parsing the sweep, which batch_rows would otherwise do every step.
        self.member_seeds = [ensemble.member_seed(config, i) for i in range(self.members)]
        logging.info(
            "%s\nTraining: %s, batch %d, %s, on %d device(s).",
            describe_data(config.data, self.dataset),
            config.family,
            config.train.batch_size,
            " + ".join(f"{p.num_steps} {p.name}" for p in self.family.phases) + " steps",
            self.mesh.devices.size,
        )
        self._config_changes: list = []
        self._device_data = None  # the training arrays on the devices (steps_per_call > 1)
        if branch_from is not None:
            branch.make_branch(branch_from, workdir, config, write=jax.process_index() == 0)
            parallel.process_barrier(f"rgan-branch-{os.path.abspath(workdir)}")
        if os.path.isdir(workdir):
            if jax.process_index() == 0:  # the run's lock is process 0's (see run())
                workdir_lock.check_free(workdir)  # a busy workdir: say so, not "damaged"
            self._config_changes = _check_workdir(
                workdir, self.config_dict, tuple(config_change_ok)
            )
        self.metadata = run_metadata(config, self.dataset, self.family)
        # Every process checks the workdir before any of them writes to it; without this,
        # a process checking late sees the checkpoint folder that process 0 just made.
        self._barrier_prefix = f"rgan-trainer-{next(_TRAINER_SERIAL)}"
        parallel.process_barrier(f"{self._barrier_prefix}-checked")

    def global_batches(self, step: int) -> tuple[dict, ...]:
        """The real batches of global `step` (one per round of its phase), as global
        arrays sharded over the mesh ([K, batch, ...] for an ensemble of K); each process
        supplies its slice."""
        _, phase = self.training_family.phase_at(step)
        indices = self.batch_rows(step, phase.real_batches)
        return parallel.global_batch(
            _host_batches(self.dataset, indices), self.mesh, members=phase.members
        )

    def batch_rows(self, step: int, rounds: int) -> np.ndarray:
        """The training windows of global `step`'s batches: int [rounds, batch], or for an
        ensemble [rounds, K, batch], member i's those of the run of its seed
        (`ensemble.member_seed`)."""

        def rows(seed: int) -> np.ndarray:
            return batch_indices(
                self.dataset.num_windows,
                self.config.train.batch_size,
                seed=seed,
                step=step,
                rounds=rounds,
            )

        if self.members == 1:
            return rows(self.config.seed)
        return np.stack([rows(seed) for seed in self.member_seeds], axis=1)

    def initial_state(self, checkpointer: checkpoint.Checkpointer) -> GANState:
        key = ensemble.init_key(self.config)
        init = self.training_family.init
        if checkpointer.latest_step() is None:
            fresh = parallel.init_replicated(init, key, self.mesh)
            fan_out = branch.members_from_one_run(self.workdir)
            if fan_out is None:
                return fresh
            return self._members_from_one_run(checkpointer, fresh, *fan_out)
        abstract = checkpoint.abstract_like(jax.eval_shape(init, key), self.mesh)
        try:
            state, run, damaged = checkpointer.restore_intact(abstract)
        except ValueError as error:
            if not self._config_changes:
                raise
            # Not damage: no checkpoint fits the state that the changed config builds.
            changed = ", ".join(path for path, _, _ in self._config_changes)
            raise ValueError(
                f"No checkpoint in {checkpointer.directory} restores into this config's "
                f"state. The changes accepted with --config_change_ok ({changed}) may change "
                "the shapes of the networks or optimizer states (a width, an optimizer's "
                "kind), which a resume cannot carry over: resume without them, or train "
                "with them in a new --workdir. The checkpoints are left untouched. "
                f"({error})"
            ) from error
        for step, error in damaged:
            where = os.path.join(self.workdir, DAMAGED_DIR)
            if jax.process_index() == 0:
                where = checkpointer.set_aside(step, where)
            logging.warning(
                "The checkpoint of step %d is damaged (%s); resuming from step %d instead. "
                "The damaged one is kept in %s.",
                step,
                error,
                int(state.step),
                where,
            )
        if damaged:  # every process sees the damaged ones moved before going on
            parallel.process_barrier(f"{self._barrier_prefix}-set-aside")
        if run.get("data_fingerprint") != self.metadata["data_fingerprint"]:
            raise ValueError(
                f"The data differ from those the run in {self.workdir} was trained on "
                "(fingerprint mismatch). Resume with the same data, or use a new --workdir."
            )
        logging.info("Resuming from step %d in %s.", int(state.step), checkpointer.directory)
        return state

    def _members_from_one_run(
        self, checkpointer, fresh: GANState, source: str, step: int
    ) -> GANState:
        """The first state of an ensemble branched from the single run in `source`
        (rgan/branch.py): that run's state at `step` in every member of `fresh` (the
        ensemble's initial state, which gives the leaves only an ensemble has), saved at
        once as the branch's own checkpoint (a resume then starts from it like any other)."""
        single_key = jax.random.PRNGKey(self.config.seed)
        abstract = checkpoint.abstract_like(jax.eval_shape(self.family.init, single_key), self.mesh)
        single, run = checkpoint.Checkpointer(source, read_only=True).restore(abstract, step)
        if run.get("data_fingerprint") != self.metadata["data_fingerprint"]:
            raise ValueError(
                f"--branch_from={source}: the data differ from those that run was trained on "
                f"(fingerprint mismatch). Remove {self.workdir}, which holds no checkpoint "
                "yet, and branch with the same data."
            )
        replicated = NamedSharding(self.mesh, PartitionSpec())
        state = jax.jit(branch.stack_members, out_shardings=replicated)(single, fresh)
        self._save(checkpointer, step, state)
        logging.info(
            "Branched %d members from the single run in %s at step %d.", self.members, source, step
        )
        return state

    def run(self, stop_at: int | None = None) -> tuple[GANState, list[dict]]:
        """Trains to the end, or until global step `stop_at` (then saves a checkpoint, so
        that a later `run()` continues from there: handy in notebooks and tests)."""
        # One training process per workdir (process 0 for a multi-process run), before
        # anything is written: a second run is refused and changes nothing. The other
        # processes of a run wait until process 0 holds it.
        lock = workdir_lock.WorkdirLock(self.workdir)
        if jax.process_index() == 0:
            lock.acquire()
        parallel.process_barrier(f"{self._barrier_prefix}-locked")
        try:
            return self._run_locked(stop_at)
        finally:
            lock.release()

    def _run_locked(self, stop_at: int | None) -> tuple[GANState, list[dict]]:
        # A signal from here on (or since a CLI's start) stops the run cleanly.
        with stop_signals.handled() as stop:
            return self._train(stop_at, stop)

    def _train(self, stop_at: int | None, stop: threading.Event) -> tuple[GANState, list[dict]]:
        train = self.config.train
        os.makedirs(self.workdir, exist_ok=True)
        checkpointer = checkpoint.Checkpointer(self.workdir, keep=train.keep_checkpoints)
        history: list[dict] = []
        writers: list[MetricWriter] = []
        try:
            state = self.initial_state(checkpointer)
            step = start = int(state.step)
            if jax.process_index() == 0:
                _write_json_atomic(os.path.join(self.workdir, CONFIG_FILE), self.config_dict)
                self._record_config_changes(step)
            # writers[0]: the workdir's metrics.jsonl; an ensemble's members each have
            # theirs too (writers[1 + i]), and the workdir's records are their means.
            folders = ensemble.log_dirs(self.workdir, self.members)
            writers = [
                MetricWriter(folder, resume_step=step, enabled=jax.process_index() == 0)
                for folder in folders
            ]
            total = self.family.total_steps
            end = total if stop_at is None else min(stop_at, total)
            progress = Progress(total, step, enabled=train.progress)
            monitors = [self._health_monitor(folder, step) for folder in folders[-self.members :]]
            pending: list[dict] = _take_pending_metrics(self.workdir, step)
            compiled = self._compiled_steps
            # Simulated CPU devices: each step waits for the previous one (see
            # parallel.needs_serial_dispatch); the next batch is gathered meanwhile.
            serialize_steps = parallel.needs_serial_dispatch(self.mesh.devices.flat)
            last_saved = checkpointer.latest_step()
            tick, tick_step = time.perf_counter(), step
            # The loop's first cross-process collective (the stop agreement) follows at once.
            parallel.process_barrier(f"{self._barrier_prefix}-started")
            while step < end and not _agreed(stop, step, train.log_every):
                index, phase = self.training_family.phase_at(step)
                count = self.window_length(step, end)
                if train.steps_per_call == 1:
                    batches = self.global_batches(step)
                    if serialize_steps:  # the batch above was gathered while it ran
                        jax.block_until_ready(state)
                    if index not in compiled:
                        compiled[index] = self._compile_step(phase, state, batches, index)
                    state, metrics = compiled[index](state, batches)
                    pending.append(metrics)
                else:
                    if serialize_steps:
                        jax.block_until_ready(state)
                    state, window_metrics = self.run_window(state, step, count)
                    pending.extend(window_metrics)
                step += count
                phase_ends = step == self.family.phase_start(index) + phase.num_steps
                logs = step % train.log_every == 0 or step == total or phase_ends
                saves = step % train.checkpoint_every == 0 or step == total
                if logs or saves:
                    self._check_divergence(checkpointer, step, phase.name, pending)
                if logs:
                    now = time.perf_counter()
                    record = self._log(step, phase.name, pending, (step - tick_step) / (now - tick))
                    tick, tick_step = now, step
                    record = self._write_records(step, record, state, writers, monitors, history)
                    progress.update(step, record)
                    pending = []
                if saves:
                    self._save(checkpointer, step, state)
                    last_saved = step
                if train.plot_every and (step % train.plot_every == 0 or step == total):
                    self.plot(state, step)
            if step == start and stop.is_set():
                logging.warning("Stopped by a signal before the first step; nothing to save.")
            elif last_saved != step:  # stopped early by a signal or `stop_at`
                if pending:
                    phase_name = self.family.phase_at(step - 1)[1].name
                    self._check_divergence(checkpointer, step, phase_name, pending)
                self._save(checkpointer, step, state)
                if pending and jax.process_index() == 0:
                    _save_pending_metrics(self.workdir, step, pending)
            progress.close()
        finally:
            checkpointer.close()
            for writer in writers:
                writer.close()
        return state, history

    def _health_monitor(self, folder: str, step: int) -> HealthMonitor:
        """The health checks of the model that logs to `folder` (the run, or a member).

        Resumed, they see the records they saw before the stop, and the steps since the
        last record (saved at the stop) count in the next one, so metrics.jsonl is the
        same as an uninterrupted run's.
        """
        monitor = HealthMonitor(
            self.config.train.health_window,
            chance_loss=losses.adversarial_loss(self.config.gan.loss).chance_d_loss,
            enabled=jax.process_index() == 0,
            label="" if folder == self.workdir else f"member {os.path.basename(folder)}",
        )
        monitor.replay(
            r
            for r in read_metrics(folder)
            if r.get("step", 0) <= step and r.get("phase") in ADVERSARIAL_PHASES
        )
        return monitor

    def _write_records(self, step, record, state, writers, monitors, history) -> dict:
        """Completes the log record of `step` (diversity and health of adversarial
        phases), writes it, appends it to `history` and returns it.

        record: from `_log`; an ensemble's values are arrays [K]. Each member's record
        goes to its own metrics.jsonl, and the workdir's holds their means (a health flag:
        1 where any member's holds), with `history` keeping the members' under "members".
        """
        adversarial = record["phase"] in ADVERSARIAL_PHASES
        models = []
        for i, monitor in enumerate(monitors):
            member = None if self.members == 1 else i
            model = ensemble.member_record(record, member)
            if adversarial:
                if self.shows_real_data:
                    model["diversity_ratio"] = self.diversity(state, step, member=member)
                model.update(monitor.update(step, model))
            models.append(model)
        if self.members == 1:
            history.append(writers[0].write(step, models[0]))
            return models[0]
        members = [
            writer.write(step, model) for writer, model in zip(writers[1:], models, strict=True)
        ]
        summary = ensemble.mean_record(models)
        history.append({**writers[0].write(step, summary), "members": members})
        return summary

    def window_length(self, step: int, end: int) -> int:
        """How many steps from `step` the next call runs: up to `train.steps_per_call`,
        ending at the next log record, checkpoint, sample plot, phase end or `end`, so
        that a window of steps changes no cadence of the run."""
        train = self.config.train
        if train.steps_per_call == 1:
            return 1
        index, phase = self.family.phase_at(step)

        def next_multiple(every: int) -> int:
            return (step // every + 1) * every

        limits = [
            step + train.steps_per_call,
            end,
            self.family.phase_start(index) + phase.num_steps,
            next_multiple(train.log_every),
            next_multiple(train.checkpoint_every),
        ]
        if train.plot_every:
            limits.append(next_multiple(train.plot_every))
        return min(limits) - step

    def run_window(self, state: GANState, step: int, count: int):
        """Runs global steps `step .. step + count - 1` (one phase) in one jitted call ->
        (state, the per-step metrics: a list of `count` dicts of float32 scalars).

        The training data go to the devices once; each call sends only the rows of its
        batches, the same rows `global_batches` would gather for each step.
        """
        index, phase = self.training_family.phase_at(step)
        if self._device_data is None:
            self._device_data = parallel.replicate_global(
                self.dataset.batch(slice(None)), self.mesh
            )
        capacity = self.config.train.steps_per_call
        rows = [self.batch_rows(step + offset, phase.real_batches) for offset in range(count)]
        indices = np.zeros((capacity, *rows[0].shape), np.int32)
        indices[:count] = rows
        inputs = parallel.replicate_global((indices, np.int32(count)), self.mesh)
        if ("window", index) not in self._compiled_steps:
            window = parallel.sharded_window(
                phase, self.mesh, self.config.train.batch_size, self.spec.seq_len
            )
            window.lower(state, self._device_data, *inputs).compile()  # see _compile_step
            parallel.process_barrier(f"{self._barrier_prefix}-compiled-window-{index}")
            self._compiled_steps[("window", index)] = window
        state, stacked = self._compiled_steps[("window", index)](state, self._device_data, *inputs)
        # One transfer per window; the next window is dispatched right after.
        stacked = jax.device_get(stacked)
        return state, [{name: values[i] for name, values in stacked.items()} for i in range(count)]

    def _compile_step(self, phase, state: GANState, batches, index: int):
        """The jitted sharded step of `phase`, compiled now for these inputs' shapes.

        Compiling ahead of the first call lets the processes of a multi-process run meet
        at a barrier between compiling (which takes each a different time) and the first
        step's collectives, whose CPU (gloo) set-up allows the peers only 30 s apart.
        """
        step_fn = parallel.sharded_step(
            phase, self.mesh, self.config.train.batch_size, self.spec.seq_len
        )
        step_fn.lower(state, batches).compile()  # the call below reuses this executable
        parallel.process_barrier(f"{self._barrier_prefix}-compiled-{index}")
        return step_fn

    def _log(self, step: int, phase: str, pending: list[dict], steps_per_sec: float) -> dict:
        """The mean of each metric over the steps in `pending`: a float, or for an ensemble
        an array [K] (one per member)."""
        values = jax.device_get(pending)
        record = {"phase": phase}
        for name in values[-1]:
            mean = np.mean(np.stack([v[name] for v in values if name in v]), axis=0)
            record[name] = float(mean) if mean.ndim == 0 else mean
        record["steps_per_sec"] = steps_per_sec
        return record

    def _save(self, checkpointer, step: int, state: GANState) -> None:
        if not bool(_all_finite(state.params)):
            raise TrainingDiverged(
                f"Parameters are NaN/inf at step {step}; not saving them. "
                + self._way_out(checkpointer)
            )
        checkpointer.save(step, state, self.metadata)

    def _record_config_changes(self, step: int) -> None:
        if not self._config_changes:
            return
        record = {
            "resumed_at_step": step,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "changes": {p: {"saved": a, "now": b} for p, a, b in self._config_changes},
        }
        with open(os.path.join(self.workdir, CONFIG_CHANGES_FILE), "a") as f:
            f.write(json.dumps(record) + "\n")
        logging.warning(
            "Config changed on resume at step %d (--config_change_ok): %s",
            step,
            "; ".join(f"{p}: {a!r} -> {b!r}" for p, a, b in self._config_changes),
        )
        self._config_changes = []

    def _check_divergence(self, checkpointer, step: int, phase: str, pending: list[dict]):
        """Raises TrainingDiverged if any step in `pending` (the steps up to `step`) has a
        non-finite metric or a loss beyond train.divergence_threshold. Runs before every
        log record and every checkpoint, so no checkpoint follows a diverged step."""
        threshold = self.config.train.divergence_threshold
        for offset, metrics in enumerate(jax.device_get(pending)):
            bad = {}
            for name, values in metrics.items():
                values = np.asarray(values)  # [] or an ensemble's [K]
                for member, value in enumerate(values.reshape(-1)):
                    if not np.isfinite(value) or ("loss" in name and abs(value) > threshold):
                        bad[name if values.ndim == 0 else f"{name} (member {member})"] = value
            if bad:
                shown = ", ".join(f"{name}={value:.3g}" for name, value in sorted(bad.items()))
                raise TrainingDiverged(
                    f"Training diverged at step {step - len(pending) + offset + 1} (phase "
                    f"{phase!r}): {shown} (NaN/inf, or a loss beyond "
                    f"train.divergence_threshold={threshold:g}). " + self._way_out(checkpointer)
                )

    def _way_out(self, checkpointer) -> str:
        last = checkpointer.latest_step()
        if last is None:
            return (
                "No checkpoint was saved before it. Start again with a lower learning rate "
                "or clip_norm (config.optim.*), adding --config_change_ok=optim to reuse "
                "this workdir."
            )
        return (
            f"The last checkpoint, of step {last}, was saved before it (in "
            f"{checkpointer.directory}). To resume from it with other optimizer settings, "
            "run the same command with, e.g., a lower --config.optim.<name>.learning_rate "
            "or clip_norm and --config_change_ok=optim (the change is recorded in "
            f"{CONFIG_CHANGES_FILE})."
        )

    @property
    def shows_real_data(self) -> bool:
        """Whether logs and plots may hold real data un-noised: not in a differentially
        private run, unless it releases them explicitly."""
        privacy = self.metadata["privacy"]
        return privacy is None or bool(privacy.get("real_statistics_released"))

    def diversity(
        self, state: GANState, step: int, num: int = 256, member: int | None = None
    ) -> float:
        """`diversity_ratio` of `num` generated windows against as many real ones (of
        an ensemble's `member`).

        Every process computes it (the parameters may span processes), from a key that
        depends on the step only.
        """
        num = min(num, self.dataset.num_windows)
        rows = np.random.default_rng(step).choice(self.dataset.num_windows, num, replace=False)
        mask = None if self.dataset.mask is None else self.dataset.mask[rows]
        fake = self._sample(state, 2_000_003 + step, num, mask=mask, member=member)
        # Generated window i is scored over real window i's steps (variable lengths).
        return diversity_ratio(self.dataset.windows[rows], fake, mask, mask)

    def _sample(
        self, state: GANState, salt: int, num: int, ema: bool = False, mask=None, member=None
    ) -> np.ndarray:
        """`num` generated windows [num, T, D] from the parameters copied to the host, with
        the generator's moving average where `ema` and the run keeps one; `mask` [num, T]:
        the lengths to generate (variable-length data); `member`: an ensemble's member,
        sampled as the single run of its seed would be.

        It runs on one device: a program over the mesh's devices, in flight beside the
        next training step (which does not wait for it), could reach its collectives in
        another order on each device, which deadlocks XLA:CPU's simulated devices.
        """
        generate = _jitted_generate(self.family)  # shared by the Trainers of one config
        seed, params = self.config.seed, state.params
        if member is not None:
            seed = ensemble.member_seed(self.config, member)
            params = ensemble.member_slice(state.params, member)
        key = jax.random.fold_in(jax.random.PRNGKey(seed), salt)
        params = sampling_params(jax.device_get(params), ema)
        return np.asarray(generate(params, key, num, self.spec.seq_len, None, mask).values)

    def plot(self, state: GANState, step: int) -> None:
        """Real versus generated windows in workdir/samples/ (an ensemble's members: in
        workdir/members/<i>/samples/)."""
        if jax.process_index() != 0:
            return
        num = min(4, self.dataset.num_windows)
        mask = None if self.dataset.mask is None else self.dataset.mask[:num]
        real = self.dataset.windows[:num] if self.shows_real_data else None
        if mask is not None:  # each sequence drawn to its length, not its padding
            real = None if real is None else np.where(mask[..., None] > 0, real, np.nan)
        members = [None] if self.members == 1 else range(self.members)
        for member in members:
            # As rgan.sample does: with the moving average.
            fake = self._sample(state, 1_000_003, num, ema=True, mask=mask, member=member)
            if mask is not None:
                fake = np.where(mask[..., None] > 0, fake, np.nan)
            top = self.workdir if member is None else ensemble.member_dir(self.workdir, member)
            folder = os.path.join(top, SAMPLES_DIR)
            os.makedirs(folder, exist_ok=True)
            _save_sample_plot(os.path.join(folder, f"step_{step:08d}.png"), real, fake)


def train_and_evaluate(
    config: ml_collections.ConfigDict, workdir: str, *, config_change_ok=(), branch_from=None
) -> tuple[GANState, list[dict]]:
    """Trains (or resumes) the run in `workdir`; returns the final state and the metric
    history of this call (one dict per log step). config_change_ok, branch_from: see
    `Trainer`."""
    return Trainer(
        config, workdir, config_change_ok=config_change_ok, branch_from=branch_from
    ).run()
