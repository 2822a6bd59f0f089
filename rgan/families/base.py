"""The interface between a GAN family and the family-agnostic trainer.

A family brings any number of networks, optimizers and training phases. The trainer,
the parallel step, checkpointing and the CLI only ever see a `Family`:

- `init(key) -> GANState` creates all parameters and optimizer states;
- `phases`: the training schedule, run one after another; a phase's `step` is a
  *per-device* function (local batch in, `lax.pmean(..., 'data')` inside) and its
  `make_noise` draws the noise for the *global* batch, so results do not depend on the
  number of devices;
- `generate(params, key, num, length, cond=None, mask=None) -> Generated` samples
  `values: [num, length, features]` in [0, 1] (`cond: [num, condition_dim]` for
  conditional families, else None; `mask: [num, length]`, for variable-length data, the
  lengths the sequences will be cut at, which length-aware networks generate towards;
  steps past them are meaningless), with the lengths and conditions the sequences have
  (a family that generates those itself returns its own).

The phase of a step is a pure function of the global step, so a run stopped inside any
phase resumes inside that phase.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from rgan.state import GANState

# Where a member of an ensemble sweep keeps its own loss weights: params[MEMBER_WEIGHTS] =
# {weight name: value}, set by rgan.ensemble for the weights that the family's config
# section lists in `per_member` (each family names the weights it can sweep).
MEMBER_WEIGHTS = "member_weights"


class LossWeights:
    """A family's loss weights, read from its config `section` (config.gan, config.timegan),
    except those that the members of an ensemble sweep may differ in: the section's
    `per_member` (set by rgan.ensemble, not by users), read from each member's own
    params[MEMBER_WEIGHTS]. `weight(params, "gamma")` is then a float or a scalar array."""

    def __init__(self, section):
        self.section = section
        self.per_member = tuple(section.get("per_member", ()))

    def __call__(self, params, field: str):
        """`<section>.<field>`: the member's own where the ensemble sweeps it, else the config's."""
        if field in self.per_member:
            return params[MEMBER_WEIGHTS][field]
        return self.section[field]

    def in_use(self, field: str) -> bool:
        """Whether some member trains with a nonzero `<section>.<field>`: the config's is
        nonzero, or the ensemble sweeps it. A loss term whose weight is not in use need not
        be traced at all."""
        return bool(self.section.get(field, 0.0)) or field in self.per_member

    def initial_member_weights(self) -> dict[str, jax.Array]:
        """params[MEMBER_WEIGHTS] at init: the config's values (an ensemble then sets each
        member's own)."""
        return {field: jnp.float32(self.section[field]) for field in self.per_member}


# {"x": [batch, time, features]}, plus "mask": [batch, time] (1 = real step) for
# variable-length data and "cond": [batch, condition_dim] for conditional data.
Batch = Mapping[str, jax.Array]
Metrics = dict[str, jax.Array]
# (state, real batches (one per round), noise for the local batch, in-step key) -> ...
PerDeviceStep = Callable[[GANState, tuple[Batch, ...], Any, jax.Array], tuple[GANState, Metrics]]
# (key, global batch size, sequence length) -> pytree of arrays with leading axis batch.
NoiseFn = Callable[[jax.Array, int, int], Any]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Generated:
    """What `Family.generate` returns (a pytree, so it can leave a jitted function).

    values: [num, length, features] in [0, 1].
    lengths: int32 [num], each sequence's valid steps (the steps past it are meaningless),
      or None: every sequence is `length` long.
    conditions: [num, C], the condition each sequence was generated for, or None
      (an unconditional family).
    """

    values: jax.Array
    lengths: jax.Array | None = None
    conditions: jax.Array | None = None


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """What a family needs to know about the data to build its networks."""

    seq_len: int
    num_features: int
    condition_dim: int = 0  # width of the per-sequence condition vector; 0 = none
    variable_length: bool = False  # padded sequences of different lengths (with a mask)


@dataclasses.dataclass(frozen=True)
class Phase:
    """One stage of training.

    Attributes:
      name: shown in logs and metrics (e.g. "adversarial", "embedding").
      num_steps: how many steps this phase runs.
      step: the per-device update.
      make_noise: draws the step's noise for the global batch.
      real_batches: how many real batches one step consumes (e.g. `d_steps`).
      members: 0 for one model; K for an ensemble of K (`rgan.ensemble`), whose state,
        batches [K, batch, ...], noise (drawn from keys [K, 2]) and metrics [K] carry a
        leading member axis.
    """

    name: str
    num_steps: int
    step: PerDeviceStep
    make_noise: NoiseFn
    real_batches: int = 1
    members: int = 0


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    phases: tuple[Phase, ...]
    init: Callable[[jax.Array], GANState]
    generate: Callable[..., Generated]  # (params, key, num, length, cond=None, mask=None)
    # The generator takes the data's per-sequence conditions (`cond: [num, C]`); an
    # unconditional family ignores conditions in the data and refuses a `cond`.
    conditional: bool = False
    # The generator is causal (step t depends only on steps <= t), so sampling at another
    # length, or cutting a sequence at its own length, equals generating that many steps.
    causal: bool = True
    # The differential-privacy budget that training spends on `num_examples` windows
    # ({"epsilon", "delta", ...}, saved with every checkpoint), or None without privacy.
    privacy_budget: Callable[[int], dict | None] = lambda num_examples: None
    # Families that generate in the latent space of an autoencoder (TimeGAN): its round
    # trip (params, x [B, T, D], mask [B, T] or None) -> reconstruction [B, T, D] of the
    # windows `x`, with the trained (not the moving-average) weights. Its distance from
    # the data bounds how close any sample can come (scripts/autoencoder_floor.py).
    # None for families without one.
    reconstruct: Callable[..., jax.Array] | None = None

    @property
    def total_steps(self) -> int:
        return sum(p.num_steps for p in self.phases)

    def phase_at(self, step: int) -> tuple[int, Phase]:
        """(index, phase) that global `step` belongs to; the last phase past the end."""
        end = 0
        for index, phase in enumerate(self.phases):
            end += phase.num_steps
            if step < end:
                return index, phase
        return len(self.phases) - 1, self.phases[-1]

    def phase_start(self, index: int) -> int:
        return sum(p.num_steps for p in self.phases[:index])


def uniform_noise(width: int) -> NoiseFn:
    """Per-step noise U[0, 1) of `width` features.

    Returns (key, batch, length) -> [batch, length, width].
    """

    def make(key, batch_size, length):
        return jax.random.uniform(key, (batch_size, length, width))

    return make


def noise_width(config, spec: DataSpec) -> int:
    """The generator's noise features: model.noise_dim per step (0 = as many as the data
    has features) plus model.sequence_noise_dim per sequence."""
    model = config.model
    return (model.noise_dim or spec.num_features) + model.get("sequence_noise_dim", 0)


def generator_noise(config, spec: DataSpec) -> NoiseFn:
    """The generator's noise as `config.model` sets it (see `noise_width`)."""
    model = config.model
    return step_and_sequence_noise(
        model.noise_dim or spec.num_features, model.get("sequence_noise_dim", 0)
    )


def generator_warmup_steps(config) -> int:
    """config.model.warmup_steps, checked: an int >= 0."""
    steps = config.model.get("warmup_steps", 0)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(
            f"config.model.warmup_steps must be an integer >= 0; got {steps!r}. "
            "Set e.g. --config.model.warmup_steps=8, or 0 for none."
        )
    return steps


def with_warmup(noise: NoiseFn, generator: Callable, steps: int) -> tuple[NoiseFn, Callable]:
    """A generator that runs `steps` noise steps before the first step it outputs.

    A recurrent generator starts from a zero state, so its first output comes from a state
    no later step sees: on Energy a linear probe told generated from real sequences by
    the change from step 1 to step 2 alone (results/probe_energy.md). Running the
    generator over a few extra noise steps and dropping their outputs lets every kept step
    start from a state the recurrence itself produced.

    noise: (key, batch, length) -> [batch, length, Z]; generator: (params, z, cond, mask)
    -> [batch, length, F]. Returns them wrapped: noise(key, batch, length) -> [batch,
    steps + length, Z] and generator(params, z [batch, steps + length, Z], cond, mask
    [batch, length] or None) -> [batch, length, F]; the warm-up steps count as real steps
    of every sequence (so a length-aware generator still sees the steps left to the end).
    With steps = 0 both come back unchanged.
    """
    if not steps:
        return noise, generator

    def longer_noise(key, batch_size, length):
        return noise(key, batch_size, steps + length)

    def warmed_up(params, z, cond, mask):
        if mask is not None:
            leading = jnp.ones(mask.shape[:1] + (steps,), mask.dtype)
            mask = jnp.concatenate([leading, mask], axis=1)
        return generator(params, z, cond, mask)[:, steps:]

    return longer_noise, warmed_up


def step_and_sequence_noise(step_width: int, sequence_width: int) -> NoiseFn:
    """Per-step noise U[0, 1) of `step_width` features, followed by `sequence_width`
    features of per-sequence noise U[0, 1) repeated at every step.

    Returns (key, batch, length) -> [batch, length, step_width + sequence_width]. Without
    per-sequence noise it is `uniform_noise(step_width)`, draw for draw.
    """
    if not sequence_width:
        return uniform_noise(step_width)

    def make(key, batch_size, length):
        step_key, sequence_key = jax.random.split(key)
        per_step = jax.random.uniform(step_key, (batch_size, length, step_width))
        per_sequence = jax.random.uniform(sequence_key, (batch_size, 1, sequence_width))
        repeated = jnp.broadcast_to(per_sequence, (batch_size, length, sequence_width))
        return jnp.concatenate([per_step, repeated], axis=-1)

    return make


def init_generator_and_discriminator(init_generator, init_discriminator, g_opt, d_opt):
    """`init(key) -> GANState` for a family of one generator and one discriminator.

    init_generator, init_discriminator: key -> that network's params.
    g_opt, d_opt: their optax optimizers.
    """

    def init(key):
        g_key, d_key, run_key = jax.random.split(key, 3)
        params = {"generator": init_generator(g_key), "discriminator": init_discriminator(d_key)}
        opt_state = {
            "generator": g_opt.init(params["generator"]),
            "discriminator": d_opt.init(params["discriminator"]),
        }
        return GANState.create(params, opt_state, run_key)

    return init
