"""scripts/feature_probe.py: the discriminative score by feature group."""

import importlib.util

import numpy as np
import pytest
from absl import app
from conftest import REPO

_spec = importlib.util.spec_from_file_location("feature_probe", REPO / "scripts/feature_probe.py")
feature_probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(feature_probe)


def test_groups_parse_from_indices_and_ranges_and_default_to_blocks_of_four():
    assert feature_probe.parse_groups("0-3,26-27,5", 28) == [[0, 1, 2, 3], [26, 27], [5]]
    assert feature_probe.parse_groups(None, 6) == [[0, 1, 2, 3], [4, 5]]
    with pytest.raises(app.UsageError, match="outside the data's features 0-5"):
        feature_probe.parse_groups("4-6", 6)
    with pytest.raises(app.UsageError, match="not an index or a range"):
        feature_probe.parse_groups("a-b", 6)


def test_the_feature_that_differs_scores_high_alone_and_its_removal_clears_the_rest():
    rng = np.random.default_rng(0)

    def smooth(n):  # integrated random walks in [0.2, 0.8]: changes that persist
        x = np.cumsum(np.cumsum(rng.normal(size=(n, 16, 6)), axis=1), axis=1)
        return (0.2 + 0.6 * (x - x.min()) / (x.max() - x.min())).astype(np.float32)

    windows = smooth(800)  # one scaling for both halves
    real, fake = windows[:400], windows[400:].copy()
    fake[..., 2:] += 0.2 * (-1.0) ** np.arange(16)[:, None]  # features 2-5 zig-zag
    # (A zig-zag of 0.05 was found in 1500 iterations on one classifier seed in two; of
    # 0.1 and 0.2 on every one tried. One unit, for one feature, found none.)
    probes = feature_probe.feature_probes(
        real, fake, [[0, 1], [2, 3, 4, 5]], repeats=1, iterations=1500
    )
    assert list(probes) == [
        "all features",
        "only 0-1",
        "without 0-1",
        "only 2-5",
        "without 2-5",
    ]
    for view in ("all features", "only 2-5", "without 0-1"):
        assert probes[view]["mean"] > 0.35, (view, probes[view])  # .5
    for view in ("only 0-1", "without 2-5"):
        assert probes[view]["mean"] < 0.15, (view, probes[view])  # the same distribution
    table = feature_probe.render_markdown(
        {
            "name": "features",
            "repeats": 1,
            "command": "python scripts/feature_probe.py",
            "commit": "abc",
            "date": "2026-01-01",
            "runs": {"zigzag": {"probes": probes, "feature_names": list("abcdef")}},
        }
    )
    assert "| only 2-5 | 0.5" in table and "Features: 0 a, 1 b, 2 c, 3 d, 4 e, 5 f." in table
