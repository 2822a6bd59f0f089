"""K independent models in one step: `train.ensemble=K`.

Member i of an ensemble is the run of seed `config.seed + i` on the ensemble's data
(`config.data.seed` set to the ensemble's data seed): its own initial weights, noise
and batch order. The ensemble's state stacks the members' parameters, optimizer
states and keys on a leading axis [K, ...] (the step counter is shared), and each phase's
per-device step is `jax.vmap`ped over that axis, so one dispatch trains all K members.
On an accelerator, where a small recurrent step leaves most of the chip idle, K members
cost little more than one; on a CPU they cost about K times one.

Everything else about a member is its own: `load_run(workdir, member=i)` (or
`--member=i`) samples and evaluates it as the single run of seed `config.seed + i`, and
its metrics, TensorBoard events, sample plots and evaluations live in
`workdir/members/<i>/` (see `member_dir`).
"""

from __future__ import annotations

import dataclasses
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from rgan.data import data_seed
from rgan.families.base import Family, Phase
from rgan.metric_log import HEALTH_PREFIX
from rgan.state import GANState

MEMBERS_DIR = "members"

# vmap axes of an ensemble's GANState: the step is shared, everything else per member.
_STATE_AXES = GANState(step=None, params=0, opt_state=0, key=0)


def num_members(config: ml_collections.ConfigDict) -> int:
    """K of `train.ensemble` (1: a single model, no member axis)."""
    return config.train.get("ensemble", 1)


def member_seed(config: ml_collections.ConfigDict, member: int) -> int:
    return config.seed + member


def init_key(config: ml_collections.ConfigDict) -> jax.Array:
    """The key a run's `family.init` takes: PRNGKey(seed) [2], or for an ensemble the
    members' keys PRNGKey(seed + i) stacked [K, 2]."""
    members = num_members(config)
    if members == 1:
        return jax.random.PRNGKey(config.seed)
    return jnp.stack([jax.random.PRNGKey(member_seed(config, i)) for i in range(members)])


def ensemble_family(family: Family, members: int) -> Family:
    """`family` training `members` models at once: `init` takes keys [K, 2] and each
    phase's step and noise carry a leading member axis (`Phase.members`)."""

    def init(keys: jax.Array) -> GANState:
        # One member at a time, not vmapped: a vmapped orthogonal init is a batched QR,
        # which jaxlib's CPU LAPACK kernel splits over XLA's intra-op thread pool and then
        # waits on; two such kernels running at once can take every thread of a small
        # pool and wait for each other forever (seen with K = 16 on 2 cores). Init runs
        # once, so the sequential loop costs nothing that matters.
        states = jax.lax.map(family.init, keys)
        return states.replace(step=jnp.zeros((), jnp.int32))

    def vmapped(phase: Phase) -> Phase:
        step = jax.vmap(phase.step, in_axes=(_STATE_AXES, 0, 0, 0), out_axes=(_STATE_AXES, 0))

        def make_noise(keys, batch_size, length):  # keys [K, 2] -> [K, batch, ...]
            return jax.vmap(lambda key: phase.make_noise(key, batch_size, length))(keys)

        return dataclasses.replace(phase, step=step, make_noise=make_noise, members=members)

    def refuse_generate(*args, **kwargs):
        raise ValueError(
            "An ensemble generates one member at a time: load_run(workdir, member=i), or "
            "--member=i on the command line."
        )

    return dataclasses.replace(
        family, init=init, phases=tuple(vmapped(p) for p in family.phases), generate=refuse_generate
    )


def member_slice(tree, member: int):
    """Member `member`'s part (no member axis) of a pytree stacked over the members."""
    return jax.tree.map(lambda x: x[member], tree)


def member_state(state: GANState, member: int) -> GANState:
    """Member `member`'s state (no member axis) from an ensemble's stacked state."""
    return GANState(
        step=state.step,
        params=member_slice(state.params, member),
        opt_state=member_slice(state.opt_state, member),
        key=state.key[member],
    )


def member_config(config: ml_collections.ConfigDict, member: int) -> ml_collections.ConfigDict:
    """The config of the single run that member `member` equals: seed + member, K = 1."""
    members = num_members(config)
    if not 0 <= member < members:
        raise ValueError(
            f"There is no member {member}: the run trains {members} member(s) "
            f"(train.ensemble={members}); pick one of 0..{members - 1}."
        )
    single = ml_collections.ConfigDict(config.to_dict())
    single.data.seed = data_seed(config)  # the data stay the ensemble's
    single.seed = member_seed(config, member)
    single.train.ensemble = 1
    return single


def member_dir(workdir: str, member: int) -> str:
    """Where member `member`'s metrics, TensorBoard events, plots and evaluations go."""
    return os.path.join(workdir, MEMBERS_DIR, str(member))


def member_record(record: dict, member: int | None) -> dict:
    """One model's log record from the trainer's: values that are arrays [K] (one per
    member) become member `member`'s float; `member=None` (a single model) copies it."""
    if member is None:
        return dict(record)
    return {
        name: float(value[member]) if isinstance(value, np.ndarray) and value.ndim else value
        for name, value in record.items()
    }


def mean_record(records: list[dict]) -> dict:
    """The ensemble's log record from its members' (dicts with the same fields): the mean
    of each number over the members, except health flags, which are 1 where any member's
    is; text fields (the phase) as the first member's."""
    summary = {}
    for name, value in records[0].items():
        if isinstance(value, str):
            summary[name] = value
        elif name.startswith(HEALTH_PREFIX):
            summary[name] = float(max(r[name] for r in records))
        else:
            summary[name] = float(np.mean([r[name] for r in records]))
    return summary
