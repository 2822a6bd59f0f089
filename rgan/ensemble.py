"""K independent models in one step: `train.ensemble=K`.

Member i of an ensemble is the run of seed `config.seed + i` on the ensemble's data
(`config.data.seed` set to the ensemble's data seed): its own initial weights, noise
and batch order. The ensemble's state stacks the members' parameters, optimizer
states and keys on a leading axis [K, ...] (the step counter is shared), and each phase's
per-device step is `jax.vmap`ped over that axis, so one dispatch trains all K members.
On an accelerator, where a small recurrent step leaves most of the chip idle, K members
cost little more than one; on a CPU they cost about K times one.

The members may also be the points of a sweep, `train.ensemble_sweep`:

    --config.train.ensemble=8
    --config.train.ensemble_sweep="optim.generator.learning_rate=1e-3,3e-4,1e-4,3e-5"

gives P = 4 points of S = K / P = 2 seeds each: member i is the run of point i // S
(its fields set as listed) and seed `config.seed + i % S`. Several fields,
separated by ";", each list P values, zipped into points (not crossed):
"optim.generator.learning_rate=1e-3,3e-4;optim.discriminator.learning_rate=4e-3,1e-3".
Members may differ in learning rates, where each swept optimizer keeps a per-member
factor on its updates in its state (rgan.optim.scale_by_state), and in loss weights:
the adversarial families' gan.{moment_weight, step_moment_weight, gp_weight,
label_smoothing} and TimeGAN's timegan.{gamma, supervised_weight, moment_weight,
moment_matching_weight}, which each member reads from its own
`params["member_weights"]` (rgan/families/adversarial.py, timegan.py): member i trains
as its single run would, to float rounding. Anything else that changes the step's
computation needs one run per value (scripts/sweep.py).

Everything else about a member is its own: `load_run(workdir, member=i)` (or
`--member=i`) samples and evaluates it as the single run of its seed and sweep
point, and its metrics, TensorBoard events, sample plots and evaluations live in
`workdir/members/<i>/` (see `member_dir`).
"""

from __future__ import annotations

import dataclasses
import os
import re

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from rgan import config as config_lib
from rgan import optim
from rgan.data import data_seed
from rgan.families import DataSpec, adversarial, build_family, timegan
from rgan.families.base import MEMBER_WEIGHTS, Family, Phase
from rgan.metric_log import HEALTH_PREFIX
from rgan.state import GANState

MEMBERS_DIR = "members"

# vmap axes of an ensemble's GANState: the step is shared, everything else per member.
_STATE_AXES = GANState(step=None, params=0, opt_state=0, key=0)


def num_members(config: ml_collections.ConfigDict) -> int:
    """K of `train.ensemble` (1: a single model, no member axis)."""
    return config.train.get("ensemble", 1)


# The fields that members of one ensemble may sweep (`train.ensemble_sweep`): learning
# rates, and loss weights by config section: the adversarial families' (gan.*,
# rgan/families/adversarial.py) and TimeGAN's (timegan.*, rgan/families/timegan.py).
SWEEPABLE = re.compile(r"optim\.(\w+)\.learning_rate")
SWEEPABLE_WEIGHTS = {"gan": adversarial.SWEEPABLE_WEIGHTS, "timegan": timegan.SWEEPABLE_WEIGHTS}
_SWEEPABLE_WEIGHT_NAMES = ", ".join(
    f"{section}.{{{', '.join(names)}}}" for section, names in SWEEPABLE_WEIGHTS.items()
)


def loss_weight(field: str) -> tuple[str, str] | None:
    """(config section, weight name) of a sweepable loss weight, e.g. "timegan.gamma" ->
    ("timegan", "gamma"); None for any other field."""
    section, _, name = field.partition(".")
    return (section, name) if name in SWEEPABLE_WEIGHTS.get(section, ()) else None


def is_sweepable(field: str) -> bool:
    """Whether members of one ensemble may differ in `field` (a dotted config path)."""
    return bool(SWEEPABLE.fullmatch(field) or loss_weight(field))


def _weight_section(config: ml_collections.ConfigDict) -> str:
    """The config section whose loss weights `config`'s family reads."""
    return "timegan" if config.family == "timegan" else "gan"


def _check_weight(config: ml_collections.ConfigDict, section: str, name: str, values) -> None:
    """The values a member may give loss weight `<section>.<name>`, as a single run checks."""
    own = _weight_section(config)
    if section != own:
        raise ValueError(
            f"config.train.ensemble_sweep: {section}.{name} is not a loss weight of "
            f"{config.family}; its members may sweep {own}.{{"
            f"{', '.join(SWEEPABLE_WEIGHTS[own])}}} and learning rates."
        )
    if section == "gan":
        _check_adversarial_weight(config, name, values)
    if not all(v >= 0 for v in values):
        raise ValueError(f"config.train.ensemble_sweep: {section}.{name} values must be >= 0.")


def _check_adversarial_weight(config: ml_collections.ConfigDict, name: str, values) -> None:
    """What gan.<name> needs of the rest of the config, as a single run checks."""
    if name == "label_smoothing":
        if config.gan.loss != "ns" or not all(0.0 <= v < 0.5 for v in values):
            raise ValueError(
                "config.train.ensemble_sweep: gan.label_smoothing needs gan.loss='ns' and "
                f"values in [0, 0.5); got {values} with gan.loss={config.gan.loss!r}."
            )
    elif name == "gp_weight" and (config.gan.loss != "wgan_gp" or not all(v > 0 for v in values)):
        raise ValueError(
            "config.train.ensemble_sweep: gan.gp_weight needs gan.loss='wgan_gp' and values "
            f"> 0; got {values} with gan.loss={config.gan.loss!r}."
        )
    elif name in adversarial.MOMENT_WEIGHTS and config.get("rcgan", {}).get("dp", False):
        raise ValueError(
            f"config.train.ensemble_sweep: gan.{name} cannot train a private RCGAN "
            f"(rcgan.dp); see gan.{name}."
        )


def swept_values(config: ml_collections.ConfigDict) -> dict[str, tuple[float, ...]]:
    """`train.ensemble_sweep` parsed and checked: {field: (value at point 0, 1, ...)},
    every field with the same number of points P, and P dividing `train.ensemble`; {}
    when the members differ only in seeds."""
    text = config.train.get("ensemble_sweep", "").strip()
    if not text:
        return {}
    swept = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        field, _, values = item.partition("=")
        field = field.strip()
        rate, weight = SWEEPABLE.fullmatch(field), loss_weight(field)
        if not (rate and rate.group(1) in config.optim) and not weight:
            raise ValueError(
                f"config.train.ensemble_sweep: members of one ensemble may differ only in "
                f"learning rates (optim.<name>.learning_rate, <name> one of "
                f"{sorted(config.optim.keys())}) and the loss weights "
                f"{_SWEEPABLE_WEIGHT_NAMES}; got {field!r}. Sweep other fields with one run "
                "per value (scripts/sweep.py)."
            )
        if field in swept:
            raise ValueError(f"config.train.ensemble_sweep lists {field} twice.")
        try:
            swept[field] = tuple(float(v) for v in values.split(","))
        except ValueError:
            raise ValueError(
                f"config.train.ensemble_sweep: {item!r} is not FIELD=v0,v1,... with numbers."
            ) from None
        if weight:
            _check_weight(config, *weight, swept[field])
            continue
        if not all(v > 0 for v in swept[field]):
            raise ValueError(f"config.train.ensemble_sweep: {field} values must be > 0.")
        opt = config.optim[rate.group(1)]
        if opt.schedule != "constant" and opt.end_learning_rate:
            # The factor scales the whole schedule, its end too: not the single run's.
            raise ValueError(
                f"config.train.ensemble_sweep: optim.{rate.group(1)} decays to "
                f"end_learning_rate={opt.end_learning_rate}, which a swept learning rate "
                "would scale too; set it to 0 or use one run per value."
            )
    if num_members(config) == 1:
        raise ValueError(
            "config.train.ensemble_sweep trains the members of an ensemble: set "
            "train.ensemble to its points times the seeds per point, or for one model set "
            "the fields themselves."
        )
    points = {len(v) for v in swept.values()}
    if len(points) != 1:
        raise ValueError(
            "config.train.ensemble_sweep: every field needs the same number of values (one "
            f"per point); got {', '.join(f'{k}: {len(v)}' for k, v in swept.items())}."
        )
    (count,) = points
    if num_members(config) % count:
        raise ValueError(
            f"config.train.ensemble={num_members(config)} must be a multiple of the "
            f"{count} points of train.ensemble_sweep (members = points x seeds per point)."
        )
    return swept


def seeds_per_point(config: ml_collections.ConfigDict) -> int:
    """S: the members that share each point of the sweep (K with no sweep)."""
    swept = swept_values(config)
    points = len(next(iter(swept.values()))) if swept else 1
    return num_members(config) // points


def member_point(config: ml_collections.ConfigDict, member: int) -> int:
    """The index of the sweep point that member `member` trains (0 with no sweep)."""
    return member // seeds_per_point(config)


def member_seed(config: ml_collections.ConfigDict, member: int) -> int:
    return config.seed + member % seeds_per_point(config)


def init_key(config: ml_collections.ConfigDict) -> jax.Array:
    """The key a run's `family.init` takes: PRNGKey(seed) [2], or for an ensemble the
    members' keys PRNGKey(seed + i) stacked [K, 2]."""
    members = num_members(config)
    if members == 1:
        return jax.random.PRNGKey(config.seed)
    return jnp.stack([jax.random.PRNGKey(member_seed(config, i)) for i in range(members)])


def training_families(config: ml_collections.ConfigDict, spec: DataSpec) -> tuple[Family, Family]:
    """(the family of `config`, the family that trains it): for one model the same;
    for an ensemble, the family vmapped over its members, each at its sweep point."""
    family = build_family(config, spec)
    members = num_members(config)
    if members == 1:
        return family, family
    swept = swept_values(config)
    factors, weights = {}, {}
    if swept:
        marked = ml_collections.ConfigDict(config.to_dict())
        per_member = []
        for field, values in swept.items():
            member_values = np.asarray([values[member_point(config, i)] for i in range(members)])
            if rate := SWEEPABLE.fullmatch(field):
                name = rate.group(1)
                marked.optim[name].per_member_learning_rate = True
                factors[name] = member_values / config.optim[name].learning_rate
            else:
                name = loss_weight(field)[1]
                per_member.append(name)
                weights[name] = member_values
        if per_member:  # all in the family's own section (swept_values checked)
            marked[_weight_section(config)].per_member = per_member
        family_to_train = build_family(marked, spec)
    else:
        family_to_train = family
    return family, ensemble_family(family_to_train, members, factors, weights)


def ensemble_family(
    family: Family, members: int, learning_rate_factors=None, loss_weights=None
) -> Family:
    """`family` training `members` models at once: `init` takes keys [K, 2] and each
    phase's step and noise carry a leading member axis (`Phase.members`).

    learning_rate_factors: {optimizer name: [K] factors on its configured learning rate}
    for the optimizers that `family` made with `per_member_learning_rate`.
    loss_weights: {gan weight name: [K] values} for the weights that `family` reads from
    `params[MEMBER_WEIGHTS]` (`gan.per_member`).
    """
    learning_rate_factors = learning_rate_factors or {}
    loss_weights = loss_weights or {}

    def init(keys: jax.Array) -> GANState:
        # One member at a time, not vmapped: a vmapped orthogonal init is a batched QR,
        # which jaxlib's CPU LAPACK kernel splits over XLA's intra-op thread pool and then
        # waits on; two such kernels running at once can take every thread of a small
        # pool and wait for each other forever (seen with K = 16 on 2 cores). Init runs
        # once, so the sequential loop costs nothing that matters.
        states = jax.lax.map(family.init, keys)
        opt_state = dict(states.opt_state)
        for name, factors in learning_rate_factors.items():
            opt_state[name] = optim.with_learning_rate_scale(opt_state[name], factors)
        params = dict(states.params)
        if loss_weights:
            params[MEMBER_WEIGHTS] = {
                name: jnp.asarray(values, jnp.float32) for name, values in loss_weights.items()
            }
        return states.replace(step=jnp.zeros((), jnp.int32), params=params, opt_state=opt_state)

    def vmapped(phase: Phase) -> Phase:
        step = jax.vmap(phase.step, in_axes=(_STATE_AXES, 0, 0, 0), out_axes=(_STATE_AXES, 0))

        def make_noise(keys, batch_size, length):  # keys [K, 2] -> [K, batch, ...]
            return jax.vmap(lambda key: phase.make_noise(key, batch_size, length))(keys)

        return dataclasses.replace(phase, step=step, make_noise=make_noise, members=members)

    def refuse_generate(*args, **kwargs):
        raise ValueError(
            "An ensemble generates (and reconstructs) one member at a time: "
            "load_run(workdir, member=i), or "
            "--member=i on the command line."
        )

    return dataclasses.replace(
        family,
        init=init,
        phases=tuple(vmapped(p) for p in family.phases),
        generate=refuse_generate,
        reconstruct=None if family.reconstruct is None else refuse_generate,
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
    """The config of the single run that member `member` equals: its seed and sweep
    point's fields, K = 1."""
    members = num_members(config)
    if not 0 <= member < members:
        raise ValueError(
            f"There is no member {member}: the run trains {members} member(s) "
            f"(train.ensemble={members}); pick one of 0..{members - 1}."
        )
    single = ml_collections.ConfigDict(config.to_dict())
    single.data.seed = data_seed(config)  # the data stay the ensemble's
    single.seed = member_seed(config, member)
    for field, values in swept_values(config).items():
        config_lib.set_field(single, field, values[member_point(config, member)])
    single.train.ensemble = 1
    single.train.ensemble_sweep = ""
    return single


def member_dir(workdir: str, member: int) -> str:
    """Where member `member`'s metrics, TensorBoard events, plots and evaluations go."""
    return os.path.join(workdir, MEMBERS_DIR, str(member))


def log_dirs(workdir: str, members: int) -> list[str]:
    """The folders that hold a run's metrics.jsonl: the workdir (for an ensemble, the
    members' means), then each member's own folder when there are several."""
    if members == 1:
        return [workdir]
    return [workdir] + [member_dir(workdir, i) for i in range(members)]


def member_of_dir(folder: str) -> tuple[str, int] | None:
    """The inverse of `member_dir`: (the ensemble's workdir, member) for a folder
    `<workdir>/members/<i>`, None for any other folder."""
    parent, member = os.path.split(os.path.normpath(folder))
    workdir, members = os.path.split(parent)
    if members != MEMBERS_DIR or not member.isdigit():
        return None
    return workdir, int(member)


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
