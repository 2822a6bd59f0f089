"""GAN families. Each module's `build(config, spec) -> Family` is registered here."""

from __future__ import annotations

import ml_collections

from rgan.families import rgan, timegan
from rgan.families.base import DataSpec, Family, Phase

FAMILIES = {"rgan": rgan.build, "timegan": timegan.build}


def build_family(config: ml_collections.ConfigDict, spec: DataSpec) -> Family:
    if config.family not in FAMILIES:
        raise ValueError(
            f"Unknown config.family {config.family!r}; expected one of {sorted(FAMILIES)}."
        )
    return FAMILIES[config.family](config, spec)


__all__ = ["FAMILIES", "DataSpec", "Family", "Phase", "build_family"]
