"""Every config file under configs/ builds, names a known family and passes the checks that
training runs first: a typo in a field name (ml_collections refuses unknown fields) or a
value that training would refuse shows up here, not hours into someone's run."""

import pathlib

import pytest

from rgan.config import ADDED_FIELDS, _flatten, check_config, load_config, to_dict
from rgan.families import FAMILIES

SAVED_FIELDS = pathlib.Path(__file__).parent / "saved_config_fields.txt"
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


def test_a_field_that_saved_runs_lack_has_the_value_that_keeps_their_behaviour():
    """A run saved before a field existed resumes, samples and is evaluated only if
    rgan.config.ADDED_FIELDS gives that field (otherwise its workdir is refused as a run
    of another config)."""
    saved = {line for line in SAVED_FIELDS.read_text().splitlines() if line and line[0] != "#"}
    current = set()
    for path in CONFIGS:
        current |= set(_flatten(to_dict(load_config(str(path)))))
    assert len(saved) > 100 and saved <= current  # the snapshot is the configs' fields
    missing = sorted(current - saved - set(ADDED_FIELDS))
    assert not missing, f"add {missing} to rgan.config.ADDED_FIELDS"
