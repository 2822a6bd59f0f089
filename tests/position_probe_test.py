"""scripts/position_probe.py: linear probes find where generated sequences differ."""

import importlib.util

import numpy as np
from conftest import REPO

_spec = importlib.util.spec_from_file_location("position_probe", REPO / "scripts/position_probe.py")
position_probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(position_probe)


def _walks(rng, n, lengths, time=12, features=3):
    x = np.cumsum(rng.normal(size=(n, time, features)), axis=1)
    x[np.arange(time)[None, :] >= lengths[:, None]] = 0.0  # padding
    return x


def test_a_difference_in_how_sequences_end_shows_in_the_end_views_only():
    rng = np.random.default_rng(0)
    real_lengths = rng.integers(4, 13, size=600)
    fake_lengths = rng.integers(4, 13, size=600)
    real = _walks(rng, 600, real_lengths)
    fake = _walks(rng, 600, fake_lengths)
    # The generated sequences' last step jumps by +3 in feature 0 (the changes' std is 1).
    fake[np.arange(600), fake_lengths - 1, 0] += 3.0
    scores = position_probe.position_probes(real, fake, real_lengths, fake_lengths, repeats=3)
    assert scores["change into the last step"]["mean"] > 0.35  # ~0.43: a 3-sd shift
    for view in ("first step", "change into step 2", "change into the middle step"):
        assert scores[view]["mean"] < 0.1, (view, scores[view])  # ~0.02: nothing there


def test_the_same_distribution_scores_near_zero_everywhere_and_fixed_length_works():
    rng = np.random.default_rng(1)
    real = _walks(rng, 500, np.full(500, 12))
    fake = _walks(rng, 500, np.full(500, 12))
    scores = position_probe.position_probes(real, fake, repeats=3)
    assert set(scores) == set(position_probe.VIEWS)
    assert max(s["mean"] for s in scores.values()) < 0.1
    table = position_probe.render_markdown(
        {
            "name": "probe",
            "repeats": 3,
            "command": "python scripts/position_probe.py",
            "commit": "abc",
            "date": "2026-01-01",
            "runs": {"same": {"probes": scores}},
        }
    )
    assert "| change into the last step | 0.0" in table and "at commit `abc`" in table
