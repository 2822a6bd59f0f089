"""Every config file under configs/ builds, names a known family and passes the checks that
training runs first: a typo in a field name (ml_collections refuses unknown fields) or a
value that training would refuse shows up here, not hours into someone's run."""

import pathlib

import pytest

from rgan.config import check_config, load_config
from rgan.families import FAMILIES

CONFIGS = sorted(
    path
    for path in (pathlib.Path(__file__).parent.parent / "configs").glob("*.py")
    if path.name != "default.py"
)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_each_config_builds_and_passes_the_training_checks(path):
    config = load_config(str(path))
    assert config.family in FAMILIES
    check_config(config)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_an_unknown_config_argument_is_refused_by_name(path):
    with pytest.raises(ValueError, match="no_such_argument"):
        load_config(f"{path}:no_such_argument")
