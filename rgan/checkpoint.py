"""Orbax checkpoints of a run in `workdir/checkpoints` (the only module importing orbax).

Each checkpoint holds two items: `state` (the GANState pytree, restored into an abstract
target with the right shardings) and `run` (JSON: the scaler, the config and anything
else needed to use the run without the original data).
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

CHECKPOINT_DIR = "checkpoints"


class Checkpointer:
    """Saves and restores (state, run metadata) pairs; async, keeps the newest `keep`."""

    def __init__(self, workdir: str, *, keep: int = 3, read_only: bool = False):
        self.directory = os.path.abspath(os.path.join(workdir, CHECKPOINT_DIR))
        # Read-only managers get the values orbax would force (and warn about) itself.
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep if keep > 0 and not read_only else None,
            save_interval_steps=0 if read_only else 1,
            create=not read_only,
            read_only=read_only,
            enable_async_checkpointing=not read_only,
        )
        self._manager = ocp.CheckpointManager(
            self.directory, options=options, item_names=("state", "run")
        )

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def all_steps(self) -> list[int]:
        return list(self._manager.all_steps())

    def save(self, step: int, state: Any, run: dict) -> None:
        """Starts an async save of `state` and the JSON `run` dict at `step`."""
        self._manager.save(
            step,
            args=ocp.args.Composite(state=ocp.args.StandardSave(state), run=ocp.args.JsonSave(run)),
            force=True,
        )

    def restore(self, abstract_state: Any, step: int | None = None) -> tuple[Any, dict]:
        """Restores (state, run) at `step` (default: latest) into `abstract_state`'s layout."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"No checkpoint in {self.directory}.")
        restored = self._manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract_state), run=ocp.args.JsonRestore()
            ),
        )
        return restored["state"], restored["run"]

    def restore_intact(self, abstract_state: Any) -> tuple[Any, dict, list[tuple[int, str]]]:
        """Restores the newest checkpoint that reads back whole.

        Returns (state, run, damaged): `damaged` lists (step, error) of the newer
        checkpoints that failed to restore (a crash while writing, a truncated file),
        newest first; they are left where they are (see `set_aside`).
        """
        damaged = []
        for step in sorted(self.all_steps(), reverse=True):
            try:
                state, run = self.restore(abstract_state, step)
            except Exception as error:  # orbax raises many kinds for a damaged directory
                damaged.append((step, f"{type(error).__name__}: {error}"[:300]))
                continue
            return state, run, damaged
        steps = ", ".join(str(step) for step, _ in damaged)
        raise ValueError(
            f"No checkpoint in {self.directory} restores (steps {steps}; newest error: "
            f"{damaged[0][1] if damaged else 'none'}). Use a new --workdir; the damaged "
            "checkpoints are left untouched."
        )

    def set_aside(self, step: int, folder: str) -> str:
        """Moves the checkpoint of `step` out of the manager's way, into `folder` (kept,
        not deleted), so that training can write that step again. Returns its new path."""
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, str(step))
        suffix = 0
        while os.path.exists(target):
            suffix += 1
            target = os.path.join(folder, f"{step}.{suffix}")
        os.replace(os.path.join(self.directory, str(step)), target)
        self._manager.reload()
        return target

    def restore_run(self, step: int | None = None) -> dict:
        """Only the JSON metadata of a checkpoint (cheap; no arrays); without `step`, of the
        newest checkpoint whose metadata reads back."""
        steps = sorted(self.all_steps(), reverse=True) if step is None else [step]
        if not steps:
            raise FileNotFoundError(f"No checkpoint in {self.directory}.")
        args = ocp.args.Composite(run=ocp.args.JsonRestore())
        for candidate in steps[:-1]:  # newer ones, whose damage the oldest may outlive
            try:
                return self._manager.restore(candidate, args=args)["run"]
            except Exception:  # orbax raises many kinds for a damaged directory
                continue
        return self._manager.restore(steps[-1], args=args)["run"]

    def wait_until_finished(self) -> None:
        self._manager.wait_until_finished()

    def close(self) -> None:
        self._manager.wait_until_finished()
        self._manager.close()


def abstract_like(state: Any, mesh: Mesh) -> Any:
    """ShapeDtypeStructs of `state` (e.g. from `jax.eval_shape`) replicated over `mesh`."""
    sharding = NamedSharding(mesh, P())
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), state)
