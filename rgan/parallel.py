"""Data parallelism: a 1-D device mesh ('data',), the sharded step, global batches.

The per-device step of a phase runs under `jax.jit(jax.shard_map(...))` with the state
replicated (`P()`) and the batch and noise split over devices (`P('data')`). Noise is
drawn for the global batch inside the jitted wrapper, from a key that is the same on
every device, so one step gives the same result on 1 device as on 4. The same
per-device step also runs under `jax.pmap(..., axis_name='data')` (see `pmap_step`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from rgan.collectives import AXIS
from rgan.families.base import Phase
from rgan.state import GANState, step_keys


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh over `devices` (default: all devices of all processes)."""
    devices = list(devices) if devices is not None else jax.devices()
    return jax.make_mesh(
        (len(devices),), (AXIS,), axis_types=(jax.sharding.AxisType.Auto,), devices=devices
    )


def training_devices(num_devices: int) -> list[jax.Device]:
    """The devices a run trains on: every device of every process (`num_devices=0`), or
    the first `num_devices` local devices of a single-process run."""
    if num_devices == 0:
        return jax.devices()
    if num_devices < 0:
        raise ValueError(f"config.train.num_devices must be >= 0 (0 = all); got {num_devices}.")
    if jax.process_count() > 1:
        raise ValueError(
            f"config.train.num_devices={num_devices} selects local devices, which a "
            f"{jax.process_count()}-process run cannot do; leave it at 0 (every device)."
        )
    available = jax.local_devices()
    if num_devices > len(available):
        raise ValueError(
            f"config.train.num_devices={num_devices}, but this process has only "
            f"{len(available)} device(s); use at most {len(available)}, or 0 for all."
        )
    return available[:num_devices]


def process_barrier(name: str, timeout_s: float = 600.0) -> None:
    """Waits until every process of a multi-process run has reached `name`.

    It goes through jax.distributed's coordination service, not a device collective: a
    collective would open the CPU collectives (gloo) context, whose set-up fails when a
    peer arrives more than 30 s later (a slow start on a loaded machine). No-op with one
    process.
    """
    if jax.process_count() == 1:
        return
    from jax._src import distributed  # the client of jax.distributed.initialize()

    client = distributed.global_state.client
    if client is None:  # initialised outside jax.distributed (e.g. a TPU runtime)
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)
        return
    client.wait_at_barrier(name, int(timeout_s * 1000))


def needs_serial_dispatch(devices: Sequence[jax.Device]) -> bool:
    """Whether a program over `devices` must finish before the next one is dispatched.

    True for several CPU devices in one process (simulated with
    `--xla_force_host_platform_device_count`). XLA:CPU launches each device's part of a
    program from a thread pool, so the next program's launch on one device can get ahead
    of the current one's; when the current one waits in an all-reduce for that device,
    neither moves, and after 40 s XLA aborts the process ("Termination timeout ... only 3
    of them arrived"; reproduced in 3 of 3 runs on a loaded 2-core machine). GPUs and TPUs
    order a device's programs themselves and keep asynchronous dispatch.
    """
    local = [d for d in devices if d.process_index == jax.process_index()]
    return len(local) > 1 and local[0].platform == "cpu"


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
    devices = mesh.devices.size
    if batch_size % devices:
        raise ValueError(
            f"config.train.batch_size={batch_size} is not divisible by the {devices} devices; "
            f"use a multiple of {devices} (e.g. {max(devices, batch_size // devices * devices)})."
        )
    if batch_size % jax.process_count():
        raise ValueError(
            f"config.train.batch_size={batch_size} is not divisible by the "
            f"{jax.process_count()} processes."
        )


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Places a host pytree on every device of `mesh` (same value everywhere)."""
    return jax.device_put(tree, NamedSharding(mesh, P()))


def init_replicated(init_fn, key: jax.Array, mesh: Mesh) -> Any:
    """Runs `init_fn(key)` jitted (one compile instead of hundreds of eager ops), with its
    outputs replicated over `mesh`.

    It runs once, so it is compiled without backend optimizations: on CPU that halves its
    compile time, which dominates the start-up of short runs.
    """
    fast_compile = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}
    jitted = jax.jit(init_fn, out_shardings=NamedSharding(mesh, P()), compiler_options=fast_compile)
    state = jitted(key)
    if needs_serial_dispatch(mesh.devices.flat):  # finished before the first step starts
        state = jax.block_until_ready(state)
    return state


def batch_spec(members: int = 0) -> P:
    """How batches and noise split over the mesh: along the batch axis, which follows an
    ensemble's member axis ([K, batch, ...]; members = K > 0)."""
    return P(None, AXIS) if members else P(AXIS)


def global_batch(host_local: Any, mesh: Mesh, members: int = 0) -> Any:
    """Host-local arrays [local_batch, ...] -> global arrays [batch, ...] sharded over 'data'
    (an ensemble's [K, local_batch, ...] -> [K, batch, ...]).

    Each process passes its own slice of the global batch (all of it when single-process).
    """
    sharding = NamedSharding(mesh, batch_spec(members))
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), host_local
    )


def _global_step(phase: Phase, mesh: Mesh, batch_size: int, seq_len: int):
    """Unjitted `(state, batches) -> (state, metrics)` of `phase` on global arrays: draws
    the global batch's noise, then runs the per-device step under `shard_map`. An
    ensemble's (`phase.members`) batches and noise are split along their second axis."""
    split = batch_spec(phase.members)
    per_device = jax.shard_map(
        phase.step,
        mesh=mesh,
        in_specs=(P(), split, split, P()),
        out_specs=(P(), P()),
        check_vma=False,  # pmap's autodiff semantics for collectives; see rgan.collectives
    )
    noise_sharding = NamedSharding(mesh, split)

    def step(state: GANState, batches):
        noise_key, step_key = step_keys(state)
        noise = phase.make_noise(noise_key, batch_size, seq_len)
        noise = jax.lax.with_sharding_constraint(noise, noise_sharding)
        return per_device(state, batches, noise, step_key)

    return step


def sharded_step(phase: Phase, mesh: Mesh, batch_size: int, seq_len: int, *, donate=True):
    """Jitted `(state, batches) -> (state, metrics)` for `phase`, sharded over `mesh`.

    batches: tuple of `phase.real_batches` dicts of global arrays [batch_size, ...].
    """
    step = _global_step(phase, mesh, batch_size, seq_len)
    return jax.jit(step, donate_argnums=(0,) if donate else ())


def sharded_window(phase: Phase, mesh: Mesh, batch_size: int, seq_len: int, *, donate=True):
    """Jitted `(state, data, indices, count) -> (state, metrics)`: the first `count` of up
    to S steps of `phase` in one call (`train.steps_per_call`), each the computation of
    `sharded_step`.

    data: the training arrays on the devices, replicated (`replicate_global`): {"x":
    [N, T, D], and "mask" [N, T] / "cond" [N, C] where the data have them}. indices: int32
    [S, phase.real_batches, batch_size] (an ensemble's [S, real_batches, K, batch_size]),
    the rows of each step's batches (`rgan.data.batch_indices`; rows past `count` are not
    read), replicated. count: int32
    scalar in 1..S, a traced value, so that one compilation serves every window length.
    Returns metrics stacked: {name: [S]}, zero past `count`. Each step gathers its batches
    on the devices and splits them over 'data': the host sends only the indices, and
    dispatches once per window.
    """
    step = _global_step(phase, mesh, batch_size, seq_len)
    batch_sharding = NamedSharding(mesh, batch_spec(phase.members))

    def batches_at(data: dict, step_indices: jax.Array):  # [real_batches, (K,) batch_size]
        return tuple(
            jax.tree.map(
                lambda a, rows=rows: jax.lax.with_sharding_constraint(a[rows], batch_sharding),
                data,
            )
            for rows in step_indices
        )

    def window(state: GANState, data: dict, indices: jax.Array, count: jax.Array):
        capacity = indices.shape[0]
        shapes = jax.eval_shape(step, state, batches_at(data, indices[0]))[1]
        stacked = jax.tree.map(lambda s: jnp.zeros((capacity, *s.shape), s.dtype), shapes)

        def one_step(i, carry):
            state, stacked = carry
            state, metrics = step(state, batches_at(data, indices[i]))
            stacked = jax.tree.map(lambda buf, m: buf.at[i].set(m), stacked, metrics)
            return state, stacked

        return jax.lax.fori_loop(0, count, one_step, (state, stacked))

    return jax.jit(window, donate_argnums=(0,) if donate else ())


def replicate_global(tree: Any, mesh: Mesh) -> Any:
    """Host arrays that every process holds alike -> global arrays replicated over `mesh`
    (works across processes, where `replicate` needs every device addressable)."""
    sharding = NamedSharding(mesh, P())

    def place(x):
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    return jax.tree.map(place, tree)


def pmap_step(phase: Phase, batch_size: int, seq_len: int, devices=None):
    """The same per-device step under `jax.pmap(axis_name='data')`.

    Returns `(state, batches) -> (state, metrics)` on host-level inputs: `batches` holds
    global arrays [batch_size, ...] that are split into [num_devices, batch_size / n, ...]
    (an ensemble's [K, batch_size, ...] into [num_devices, K, batch_size / n, ...]).
    """
    devices = list(devices) if devices is not None else jax.local_devices()
    n = len(devices)
    mapped = jax.pmap(
        phase.step, axis_name=AXIS, in_axes=(None, 0, 0, None), out_axes=(0, 0), devices=devices
    )

    def split(x):
        if phase.members:
            x = jnp.reshape(x, (x.shape[0], n, x.shape[1] // n) + x.shape[2:])
            return jnp.swapaxes(x, 0, 1)
        return jnp.reshape(x, (n, x.shape[0] // n) + x.shape[1:])

    def step(state: GANState, batches):
        if serial:  # the inputs' programs first (see needs_serial_dispatch)
            state, batches = jax.block_until_ready((state, batches))
        noise_key, step_key = step_keys(state)
        noise = phase.make_noise(noise_key, batch_size, seq_len)
        outputs = mapped(state, jax.tree.map(split, batches), jax.tree.map(split, noise), step_key)
        if serial:  # before `x[0]` dispatches more programs over the devices
            outputs = jax.block_until_ready(outputs)
        return jax.tree.map(lambda x: x[0], outputs)

    serial = needs_serial_dispatch(devices)
    return step
