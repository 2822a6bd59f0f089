"""GAN families. Each module's `build(config, spec) -> Family` is registered here."""

from __future__ import annotations

import dataclasses

import ml_collections

from rgan.families import adversarial, crnngan, rcgan, rgan, timegan
from rgan.families.base import DataSpec, Family, Generated, Phase

FAMILIES = {
    "rgan": rgan.build,
    "timegan": timegan.build,
    "rcgan": rcgan.build,
    "crnngan": crnngan.build,
}
# The config sections that families define (configs/default.py adds each): a new family
# with fields of its own adds its `default_config` here.
CONFIG_SECTIONS = {
    "gan": adversarial.default_config,
    "timegan": timegan.default_config,
    "rcgan": rcgan.default_config,
    "crnngan": crnngan.default_config,
}


def build_family(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    if config.family not in FAMILIES:
        raise ValueError(
            f"Unknown config.family {config.family!r}; expected one of {sorted(FAMILIES)}."
        )
    family = FAMILIES[config.family](config, spec)
    if family.conditional:
        return family
    return dataclasses.replace(family, generate=_refusing_conditions(family))


def _refusing_conditions(family: Family):
    """`family.generate`, raising when a condition is passed to this unconditional family."""
    generate = family.generate

    def checked(params, key, num, length, cond=None, mask=None):
        if cond is not None:
            raise ValueError(
                f"The {family.name!r} family is unconditional: it takes no cond. Drop cond "
                "(--cond), or train a conditional family (rcgan)."
            )
        return generate(params, key, num, length, mask=mask)

    return checked


__all__ = [
    "CONFIG_SECTIONS",
    "FAMILIES",
    "DataSpec",
    "Family",
    "Generated",
    "Phase",
    "build_family",
]
