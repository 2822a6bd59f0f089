"""Branch a run: start a new workdir from another run's checkpoint, with config fields
that the steps already taken never read set to other values.

TimeGAN's embedding and supervised phases (its pre-training) read none of the joint
phase's loss weights, update counts or learning rates (`timegan.JOINT_PHASE_FIELDS`),
and leave the joint phase's optimizer states as `init` made them. A run branched at the
joint phase's first step, with other values of those fields, is therefore bit for bit the
run of those values from scratch (tests/branch_test.py), without training its
pre-training again: a sweep of the joint phase pre-trains once. An ensemble branches as a
whole (all its members, with the same seeds and sweep).

    python -m rgan.main --config=configs/energy_timegan.py --workdir=runs/eta10 \\
        --branch_from=runs/eta100 --config.timegan.supervised_weight=10

A single run also branches into an ensemble of the joint phase's sweep points
(`train.ensemble=P` with `train.ensemble_sweep` of P points, one seed per point: the
source's): every member starts from the source's state at the branch step, so P settings
of the joint phase share one pre-training. Member i is then the single-run branch of point
i, to float rounding (the vmapped step sums in another order; tests/branch_test.py).

    python -m rgan.main --config=configs/energy_timegan.py --workdir=runs/eta_sweep \
        --branch_from=runs/eta100 --config.train.ensemble=3 \
        --config.train.ensemble_sweep="timegan.supervised_weight=100,10,1"

`Trainer(config, workdir, branch_from=source)` makes the branch before training: it copies
`source`'s checkpoint at the branch step into `workdir` (which must not exist yet), with
`source`'s metrics (training keeps those up to that step) and `config`'s config.json, and
records where it came from in `workdir/branched_from.json`. Running the same command
again resumes the branch. The copied checkpoint keeps `source`'s run metadata, which
differs from the branch's in the changed fields only (sampling reads none of them); every
later checkpoint holds the branch's own. A single run branched into an ensemble gets no
copied checkpoint: the trainer stacks the source's state into the members' and saves that
as the branch's first checkpoint (`members_from_one_run`, `stack_members`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time

import jax
import jax.numpy as jnp
import ml_collections

from rgan import checkpoint, ensemble
from rgan import config as config_lib
from rgan.families import timegan
from rgan.metric_log import METRICS_FILE

BRANCH_FILE = "branched_from.json"
# What an ensemble branched from a single run may change beside the joint phase's fields.
_FAN_OUT_FIELDS = ("train.ensemble", "train.ensemble_sweep")


def branch_step(config: ml_collections.ConfigDict) -> int:
    """The global step a run of `config` may be branched at: TimeGAN's first joint step.
    Other families read every field from their first step on, so no branch of theirs is
    the run its config describes; they are refused."""
    if config.family != "timegan":
        raise ValueError(
            f"--branch_from: only TimeGAN runs can be branched (at the start of their joint "
            f"phase, which pre-training does not depend on); this config trains "
            f"{config.family!r}, whose every step reads its whole config. Train it from "
            "scratch in a new --workdir."
        )
    return config.timegan.embedding_steps + config.timegan.supervised_steps


def _saved_config(source: str) -> dict:
    path = os.path.join(source, config_lib.CONFIG_FILE)
    if not os.path.exists(path):
        raise ValueError(
            f"--branch_from={source}: no {config_lib.CONFIG_FILE} there; it is not the "
            "workdir of an rgan run. Point it at the workdir of the run to branch from."
        )
    with open(path) as f:
        return config_lib.with_added_fields(json.load(f))


def _already_branched(workdir: str, source: str, step: int) -> bool:
    """True when `workdir` is this branch, made before (resume); refuses anything else."""
    if not os.path.exists(workdir) or not os.listdir(workdir):
        return False
    record_path = os.path.join(workdir, BRANCH_FILE)
    if not os.path.exists(record_path):
        raise ValueError(
            f"--branch_from: {workdir} already holds files and is not a branch; a branch "
            "starts in a new --workdir. Nothing was changed."
        )
    with open(record_path) as f:
        record = json.load(f)
    if (os.path.abspath(record["source"]), record["step"]) != (os.path.abspath(source), step):
        raise ValueError(
            f"--branch_from: {workdir} is a branch of {record['source']} at step "
            f"{record['step']}, not of {source} at step {step}. Use a new --workdir. "
            "Nothing was changed."
        )
    return True


def make_branch(
    source: str, workdir: str, config: ml_collections.ConfigDict, *, write: bool = True
) -> bool:
    """Makes `workdir` a branch of the run in `source` for `config` (resolved as the
    trainer resolves it: fitted batch size and steps). Returns False when `workdir` already
    is that branch (nothing done), True when it made it (or, with `write=False`, would).

    write: False checks only. Every process of a multi-process run checks, so that a
    refused branch stops them all with its error, not only the one that writes
    (process 0) while the others wait for it.

    An ensemble (train.ensemble = K) branches as a whole: every member at once, with the
    same K, seeds and train.ensemble_sweep as `source` (they shape its state).

    Raises ValueError, naming the problem and changing nothing, when the branch would not
    be the run `config` describes: another family, a field pre-training read (or one that
    shapes the state) changed, no checkpoint at the branch step in `source`.
    """
    step = branch_step(config)
    if _already_branched(workdir, source, step):
        return False
    saved = _saved_config(source)
    current = config_lib.to_dict(config)
    fan_out = _fans_out(saved, config, source)
    # Every difference but the resumable fields; of those, a branch may make only the
    # joint phase's.
    changed = config_lib.incompatible_fields(saved, current)
    refused = [
        diff
        for diff in changed
        if not (
            timegan.read_only_in_joint_phase(diff[0]) or (fan_out and diff[0] in _FAN_OUT_FIELDS)
        )
    ]
    # A switch's value is the joint phase's, but turning it on or off adds or removes a
    # network in the saved state: every member's value counts.
    swept = ensemble.swept_values(config)
    for path in timegan.NETWORK_SWITCHES:
        before = functools.reduce(dict.get, path.split("."), saved)
        now = swept.get(path, (config_lib.get_field(config, path),))
        if any(bool(before) != bool(value) for value in now):
            refused.append((path, before, now[0] if len(now) == 1 else now))
    if refused:
        shown = "; ".join(f"{p}: {a!r} (source) vs {b!r} (branch)" for p, a, b in refused[:8])
        raise ValueError(
            f"--branch_from={source}: the branch differs in {len(refused)} field(s) that "
            f"the steps before {step} read, or that shape the saved state: {shown}. A branch "
            "may change only the joint phase's loss weights, update counts and optimizer "
            "settings (rgan.families.timegan.JOINT_PHASE_FIELDS), and a weight that adds a "
            "network (timegan.NETWORK_SWITCHES) only between nonzero values: pre-train "
            "with it on to branch it. Nothing was changed."
        )
    if fan_out:
        not_joint = [field for field in swept if not timegan.read_only_in_joint_phase(field)]
        if not_joint:
            raise ValueError(
                f"--branch_from={source}: the ensemble's sweep sets {', '.join(not_joint)}, "
                f"which the steps before {step} read; its members branched from one run "
                "may differ only in the joint phase's fields. Nothing was changed."
            )
    steps = checkpoint.Checkpointer(source, read_only=True).all_steps()
    if step not in steps:
        raise ValueError(
            f"--branch_from={source}: no checkpoint at step {step}, where its joint phase "
            f"starts (it has {sorted(steps) or 'none'}). Train the source with a "
            "train.checkpoint_every that divides the step, or to that step "
            "(train.num_steps=1 ends one joint step after it, saving it). Nothing was changed."
        )
    if not write:
        return True
    # Built beside the workdir and renamed into place: a failed copy leaves no workdir
    # that a rerun would take for a finished branch.
    partial = os.path.abspath(workdir).rstrip(os.sep) + ".branching"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.join(partial, checkpoint.CHECKPOINT_DIR))
    if not fan_out:  # an ensemble of one run's members gets its checkpoint from the trainer
        shutil.copytree(
            os.path.join(source, checkpoint.CHECKPOINT_DIR, str(step)),
            os.path.join(partial, checkpoint.CHECKPOINT_DIR, str(step)),
        )
    with open(os.path.join(partial, config_lib.CONFIG_FILE), "w") as f:
        json.dump(current, f, indent=2, sort_keys=True)
    # Pre-training's records, so that the branch's logs are whole: the run's, and an
    # ensemble's members' (their means and their own; the same train.ensemble, as
    # checked above). Whole files: the trainer's MetricWriter keeps the records up to
    # the step it resumes from, as on any resume, and drops the source's later ones.
    members = ensemble.num_members(config)
    source_folders = ensemble.log_dirs(source, 1 if fan_out else members)
    if fan_out:  # each member's pre-training is the source's, and so is their mean
        source_folders *= members + 1
    for source_folder, branch_folder in zip(
        source_folders, ensemble.log_dirs(partial, members), strict=True
    ):
        metrics = os.path.join(source_folder, METRICS_FILE)
        if os.path.exists(metrics):
            os.makedirs(branch_folder, exist_ok=True)
            shutil.copyfile(metrics, os.path.join(branch_folder, METRICS_FILE))
    record = {
        "source": os.path.abspath(source),
        "step": step,
        "changed": [{"field": p, "source": a, "branch": b} for p, a, b in changed],
        "members_from_one_run": fan_out,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with open(os.path.join(partial, BRANCH_FILE), "w") as f:
        json.dump(record, f, indent=2)
    if os.path.isdir(workdir):  # an empty folder made beforehand
        os.rmdir(workdir)
    os.rename(partial, workdir)
    return True


def _fans_out(saved: dict, config: ml_collections.ConfigDict, source: str) -> bool:
    """Whether the branch makes an ensemble's members of the single run in `source`.
    Refuses an ensemble whose members would not all be branches of that run: several
    seeds per sweep point (the source trained one seed)."""
    saved_members = saved.get("train", {}).get("ensemble", 1)
    if saved_members != 1 or ensemble.num_members(config) == 1:
        return False  # same K on both sides, or a K change refused as any other field
    if ensemble.seeds_per_point(config) != 1:
        raise ValueError(
            f"--branch_from={source}: a single run branches into an ensemble of sweep points "
            "with its one seed, so train.ensemble must equal the points of "
            f"train.ensemble_sweep; got train.ensemble={ensemble.num_members(config)} for "
            f"{len(next(iter(ensemble.swept_values(config).values()), (0,)))} point(s). "
            "For other seeds, pre-train them (as an ensemble) and branch that. Nothing was "
            "changed."
        )
    return True


def members_from_one_run(workdir: str) -> tuple[str, int] | None:
    """(source workdir, branch step) when `workdir` is an ensemble branched from a single
    run whose members' state is still to be made (no checkpoint yet); else None."""
    record_path = os.path.join(workdir, BRANCH_FILE)
    if not os.path.exists(record_path):
        return None
    with open(record_path) as f:
        record = json.load(f)
    if not record.get("members_from_one_run"):
        return None
    return record["source"], record["step"]


def stack_members(single, members):
    """An ensemble's state [K, ...] whose members all continue the single run `single`:
    every leaf that `single` has (parameters, optimizer states, key) broadcast over the K
    members, the step taken from it; the leaves only an ensemble has (swept loss weights,
    swept optimizers' learning-rate factors, which pre-training never reads) kept from
    `members`, a fresh ensemble state of the same config.

    A leaf of `single` with no place in `members` means the two configs build different
    states: refused rather than dropped.
    """
    single_leaves = dict(jax.tree_util.tree_flatten_with_path(single.replace(step=None))[0])
    used = set()

    def take(path, leaf):
        mine = single_leaves.get(path)
        if mine is None or mine.shape != leaf.shape[1:] or mine.dtype != leaf.dtype:
            return leaf
        used.add(path)
        return jnp.broadcast_to(mine, leaf.shape)

    stacked = jax.tree_util.tree_map_with_path(take, members.replace(step=None))
    unused = [jax.tree_util.keystr(path) for path in single_leaves if path not in used]
    if unused:
        raise ValueError(
            "The single run's state does not fit the ensemble's: no member slot for "
            f"{', '.join(unused[:5])}. Branch from a run of the same networks and optimizers."
        )
    return stacked.replace(step=single.step)
