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

`Trainer(config, workdir, branch_from=source)` makes the branch before training: it copies
`source`'s checkpoint at the branch step into `workdir` (which must not exist yet), with
`source`'s metrics (training keeps those up to that step) and `config`'s config.json, and
records where it came from in `workdir/branched_from.json`. Running the same command
again resumes the branch. The copied checkpoint keeps `source`'s run metadata, which
differs from the branch's in the changed fields only (sampling reads none of them); every
later checkpoint holds the branch's own.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import ml_collections

from rgan import checkpoint, ensemble
from rgan import config as config_lib
from rgan.families import timegan
from rgan.metric_log import METRICS_FILE

BRANCH_FILE = "branched_from.json"


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
    # Every difference but the resumable fields; of those, a branch may make only the
    # joint phase's.
    changed = config_lib.incompatible_fields(saved, current)
    refused = [diff for diff in changed if not timegan.read_only_in_joint_phase(diff[0])]
    # A switch's value is the joint phase's, but turning it on or off adds or removes a
    # network in the saved state.
    refused += [
        (p, a, b) for p, a, b in changed if p in timegan.NETWORK_SWITCHES and bool(a) != bool(b)
    ]
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
    for source_folder, branch_folder in zip(
        ensemble.log_dirs(source, members), ensemble.log_dirs(partial, members), strict=True
    ):
        metrics = os.path.join(source_folder, METRICS_FILE)
        if os.path.exists(metrics):
            os.makedirs(branch_folder, exist_ok=True)
            shutil.copyfile(metrics, os.path.join(branch_folder, METRICS_FILE))
    record = {
        "source": os.path.abspath(source),
        "step": step,
        "changed": [{"field": p, "source": a, "branch": b} for p, a, b in changed],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with open(os.path.join(partial, BRANCH_FILE), "w") as f:
        json.dump(record, f, indent=2)
    if os.path.isdir(workdir):  # an empty folder made beforehand
        os.rmdir(workdir)
    os.rename(partial, workdir)
    return True
