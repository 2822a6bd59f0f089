"""Loading, checking and comparing ml_collections configs.

Config files live in `configs/` and follow the flax-examples convention of importing
`configs.default`; `load_config` and `make_configs_importable` put the folder that holds
`configs/` on `sys.path` so that this works from any working directory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

import ml_collections

# The resolved config of a run, in its workdir.
CONFIG_FILE = "config.json"

# Fields that may differ between a run's saved config and the config that resumes it:
# they change how long the run goes and what it reports, not what it computes.
RESUMABLE_FIELDS = (
    "train.num_steps",
    "train.num_devices",  # results do not depend on the device count
    "train.log_every",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "train.plot_every",
    "train.progress",
    "train.health_window",
    "train.divergence_threshold",  # only decides when a run stops
    "train.steps_per_call",  # the same steps, dispatched in windows
)


def make_configs_importable(config_path: str) -> None:
    """Adds the parent of the `configs/` folder holding `config_path` to `sys.path`."""
    folder = os.path.dirname(os.path.abspath(config_path.split(":")[0]))
    root = os.path.dirname(folder)
    if os.path.basename(folder) == "configs" and root not in sys.path:
        sys.path.insert(0, root)


def load_config(spec: str, **overrides) -> ml_collections.ConfigDict:
    """`"configs/sines_rgan.py:smoke"` -> locked ConfigDict, like `--config=` does.

    overrides: dotted field paths with `__` for dots, e.g. `train__num_steps=100`.
    """
    path, _, arg = spec.partition(":")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Config file {path!r} does not exist.")
    make_configs_importable(path)
    module_spec = importlib.util.spec_from_file_location("rgan_config_file", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    config = module.get_config(arg or None)
    config.lock()
    for name, value in overrides.items():
        set_field(config, name.replace("__", "."), value)
    return config


def get_field(config: ml_collections.ConfigDict, dotted: str):
    """The value of an existing field; a typo is an error that lists the valid names."""
    node, leaf = _parent_of(config, dotted)
    return node[leaf]


def set_field(config: ml_collections.ConfigDict, dotted: str, value) -> None:
    """Sets an existing field; a typo is an error that lists the valid names."""
    node, leaf = _parent_of(config, dotted)
    node[leaf] = value


def _parent_of(config: ml_collections.ConfigDict, dotted: str):
    """(the ConfigDict that holds dotted field `a.b.c`, its last name `c`); every name on
    the way must exist."""
    *parents, leaf = dotted.split(".")
    node = config
    for i, name in enumerate(parents):
        if name not in node:
            _unknown(".".join(parents[:i] + [name]), node)
        node = node[name]
    if leaf not in node:
        _unknown(dotted, node)
    return node, leaf


def _unknown(dotted: str, node: ml_collections.ConfigDict):
    raise KeyError(
        f"Unknown config field {dotted!r}. Valid fields here: {sorted(node.keys())}. "
        "Check the spelling (see configs/default.py for every field)."
    )


# Fields added after runs had been saved, each with the value that computes what runs
# without it computed. A saved config that lacks one gets it (`with_added_fields`), so
# that older runs still resume, sample and evaluate.
ADDED_FIELDS = {
    "gan.loss": "ns",
    "gan.gp_weight": 10.0,
    "gan.label_smoothing": 0.0,
    "gan.instance_noise": 0.0,
    "train.ema_decay": 0.0,
    "rcgan.dp_release_real_statistics": True,  # what runs before it did
    "data.bounds": "",
    "model.sequence_noise_dim": 0,
    "model.length_aware": False,
    "data.condition_column": "",
    "data.min_length": 1,  # ids of one row were trained before it
    "data.short_sequences": "drop",
    "model.unroll": 1,
    "gan.last_step_weight": 0.0,
    "train.divergence_threshold": 1e6,
    "train.steps_per_call": 1,
    "train.ensemble": 1,
    "train.ensemble_sweep": "",
    "data.seed": -1,
    "gan.moment_weight": 0.0,
    "gan.moment_distance": "absolute",
    "gan.step_moment_weight": 0.0,
    "timegan.moment_matching_weight": 0.0,
    "timegan.step_moment_weight": 0.0,
    "timegan.moment_matching_distance": "absolute",
    "model.warmup_steps": 0,
    "gan.class_moments": False,
    "gan.moment_differences": 1,
    "timegan.moment_matching_differences": 1,
    "gan.moment_within_windows": False,
    "timegan.moment_matching_within_windows": False,
    "model.bidirectional_discriminator": False,
    "timegan.discriminator_pack": 1,
    "timegan.last_step_weight": 0.0,
    "timegan.data_discriminator_weight": 0.0,
}


def with_added_fields(saved: dict) -> dict:
    """A saved config dict, completed with the ADDED_FIELDS it lacks (a new dict)."""
    saved = json.loads(json.dumps(saved))
    for dotted, value in ADDED_FIELDS.items():
        node = saved
        *parents, leaf = dotted.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node.setdefault(leaf, value)
    return saved


def to_dict(config: ml_collections.ConfigDict) -> dict:
    """A JSON-safe nested dict (tuples become lists)."""
    return json.loads(config.to_json())


def _flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def incompatible_fields(saved: dict, current: dict) -> list[tuple[str, object, object]]:
    """Fields (path, saved, current) that differ, apart from RESUMABLE_FIELDS."""
    a, b = _flatten(saved), _flatten(current)
    diffs = []
    for path in sorted(set(a) | set(b)):
        if path in RESUMABLE_FIELDS:
            continue
        if a.get(path, "<absent>") != b.get(path, "<absent>"):
            diffs.append((path, a.get(path, "<absent>"), b.get(path, "<absent>")))
    return diffs


def check_config(config: ml_collections.ConfigDict) -> None:
    """Early, readable errors for values that would fail deep inside training."""
    positive = {
        "train.batch_size": config.train.batch_size,
        "train.log_every": config.train.log_every,
        "train.checkpoint_every": config.train.checkpoint_every,
        "train.steps_per_call": config.train.steps_per_call,
        "train.ensemble": config.train.ensemble,
        "model.hidden": config.model.hidden,
        "model.layers": config.model.layers,
    }
    for name, value in positive.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"config.{name} must be a positive integer; got {value!r}.")
    if config.data.seq_len < 0 or (config.data.seq_len == 0 and config.data.source != "table"):
        raise ValueError(
            f"config.data.seq_len must be >= 1 (0, the longest sequence, only for "
            f"data.source='table'); got {config.data.seq_len}."
        )
    if config.train.num_steps < -1:
        raise ValueError(
            f"config.train.num_steps must be >= 0, or -1 to size it from the data; got "
            f"{config.train.num_steps}."
        )
    for name, opt in config.optim.items():
        if not (isinstance(opt.learning_rate, float | int) and opt.learning_rate > 0):
            raise ValueError(f"config.optim.{name}.learning_rate must be > 0.")
        if not opt.clip_norm >= 0:
            raise ValueError(f"config.optim.{name}.clip_norm must be >= 0 (0 = no clipping).")
    from rgan import ensemble  # here: rgan.ensemble imports the families, which import this

    ensemble.swept_values(config)  # train.ensemble_sweep's errors before anything runs
