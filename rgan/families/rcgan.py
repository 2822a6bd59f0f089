"""RCGAN (Esteban, Hyland, Rätsch 2017): conditional recurrent GAN, optionally with a
differentially private discriminator.

RGAN's networks and the shared adversarial loop (rgan/families/adversarial.py), with:

- Both networks see the sequence's condition vector `cond: [C]` concatenated to their
  input at every step (rgan/models/rgan.py). Generated sequences are conditioned on the
  conditions of the real batch they are scored against, so they follow the data's
  condition distribution. Without conditions in the data (C = 0) this is RGAN.
- `rcgan.dp`: the discriminator is trained with DP-SGD (rgan/privacy_sgd.py). Only the
  loss on *real* windows touches the data, so its per-example gradients are clipped to
  `dp_l2_clip` and noised (sigma = `dp_noise_multiplier`); the loss on generated windows
  is a function of the generator, itself trained only through the private discriminator,
  and is added unclipped. The generator is private by post-processing. The budget
  (epsilon at `dp_delta`) is computed by `privacy_budget` (rgan/privacy_accountant.py),
  logged when training starts and saved with every checkpoint. The guarantee covers the
  sequences; the conditions are treated as public (the generator is fed the batch's
  conditions, and the run saves their empirical distribution for sampling), as in the
  paper's experiments.
- `rcgan.projection`: the discriminator also scores the condition by projection
  (rgan/models/rgan.py), so it cannot ignore it; off reproduces the paper.
- The paper's networks are single-layer LSTMs; here they follow `config.model` (the RCGAN
  configs set model.cell = "lstm").

Config read here: rcgan.{projection, dp, dp_noise_multiplier, dp_l2_clip, dp_delta},
train.batch_size, and what RGAN reads.
"""

from __future__ import annotations

import dataclasses

import ml_collections

from rgan import privacy_accountant
from rgan.families.adversarial import PrivateDiscriminator, build_adversarial_family
from rgan.families.base import DataSpec, Family
from rgan.families.rgan import rnn_networks


def default_config() -> ml_collections.ConfigDict:
    """config.rcgan: the projection discriminator and differentially private discriminator
    training (DP-SGD; the budget is accounted in rgan/privacy_accountant.py)."""
    rc = ml_collections.ConfigDict()
    rc.projection = False  # D also scores the condition by projection (Miyato & Koyama
    #                        2018): <V cond, h_t> added to each step's logit
    rc.dp = False  # clip and noise the discriminator's per-example gradients
    rc.dp_noise_multiplier = 1.1  # sigma: noise std / dp_l2_clip; more = more private
    rc.dp_l2_clip = 1.0  # C: L2 bound on each real example's gradient
    rc.dp_delta = 1e-5  # delta of the reported (epsilon, delta); < 1 / #windows
    rc.dp_release_real_statistics = False  # True: log the real-data loss and accuracy and
    #                                        plot real windows, un-noised, outside the guarantee
    return rc


def check_condition(cond, num: int, condition_dim: int) -> None:
    """Raises a ValueError that says what `cond` must be for a run with `condition_dim`."""
    if condition_dim == 0:
        if cond is not None:
            raise ValueError(
                "This RCGAN was trained without conditions (the data had none), so it takes "
                "no cond; drop it, or train on conditional data (config.data.sine_classes or "
                "config.data.conditions_path)."
            )
        return
    if cond is not None and tuple(cond.shape) != (num, condition_dim):
        raise ValueError(
            f"cond must have shape [num, condition_dim] = [{num}, {condition_dim}]; got "
            f"{tuple(cond.shape)}. Pass one condition vector of width {condition_dim} per "
            "sequence (one-hot for class labels)."
        )


def privacy_budget(config: ml_collections.ConfigDict, num_examples: int) -> dict | None:
    """The (epsilon, delta) that `config`'s whole run spends on `num_examples` windows.

    One discriminator update is one DP-SGD step at sampling rate batch / num_examples;
    a run makes `train.num_steps * train.d_steps` of them. None when `rcgan.dp` is off.
    """
    if config.family != "rcgan" or not config.rcgan.dp:
        return None
    rc = config.rcgan
    sampling_rate = min(1.0, config.train.batch_size / num_examples)
    steps = config.train.num_steps * config.train.d_steps
    epsilon = privacy_accountant.dp_sgd_epsilon(
        sampling_rate=sampling_rate,
        noise_multiplier=rc.dp_noise_multiplier,
        steps=steps,
        delta=rc.dp_delta,
    )
    return {
        "epsilon": epsilon,
        "delta": rc.dp_delta,
        "noise_multiplier": rc.dp_noise_multiplier,
        "l2_clip": rc.dp_l2_clip,
        "sampling_rate": sampling_rate,
        "steps": steps,
        "num_examples": num_examples,
        # Whether the run may log statistics of, and plot, real data without noise.
        "real_statistics_released": bool(rc.dp_release_real_statistics),
    }


def _check_dp_config(rc: ml_collections.ConfigDict) -> None:
    if rc.dp_noise_multiplier <= 0:
        raise ValueError(
            f"config.rcgan.dp_noise_multiplier must be > 0 with rcgan.dp; got "
            f"{rc.dp_noise_multiplier}. (Without noise there is no privacy: set rcgan.dp=False.)"
        )
    if rc.dp_l2_clip <= 0:
        raise ValueError(f"config.rcgan.dp_l2_clip must be > 0; got {rc.dp_l2_clip}.")
    if not 0 < rc.dp_delta < 1:
        raise ValueError(f"config.rcgan.dp_delta must be in (0, 1); got {rc.dp_delta}.")


def build(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    rc = config.rcgan
    private = None
    if rc.dp:
        _check_dp_config(rc)
        private = PrivateDiscriminator(
            rc.dp_l2_clip, rc.dp_noise_multiplier, rc.dp_release_real_statistics
        )
    networks = rnn_networks(config, spec, spec.condition_dim, projection=rc.projection)
    family = build_adversarial_family(
        "rcgan", config, spec, networks, conditional=True, private=private
    )
    generate = family.generate

    def checked_generate(params, key, num, length, cond=None, mask=None):
        check_condition(cond, num, spec.condition_dim)
        return generate(params, key, num, length, cond, mask)

    return dataclasses.replace(
        family,
        generate=checked_generate,
        privacy_budget=lambda num_examples: privacy_budget(config, num_examples),
    )
