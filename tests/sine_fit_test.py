"""scripts/sine_fit.py: sine fits recover the data's own parameters and show a cut range."""

import importlib.util

import numpy as np
from conftest import REPO

from rgan.data.sines import sine_windows

_spec = importlib.util.spec_from_file_location("sine_fit", REPO / "scripts/sine_fit.py")
sine_fit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sine_fit)


def test_a_fit_recovers_frequency_and_phase_and_measures_what_no_sine_explains():
    t = np.arange(24)
    frequency = np.array([0.004, 0.031, 0.072, 0.099, 0.12])
    phase = np.array([0.0, 0.05, 0.1, 0.3, -0.2])
    y = np.sin(frequency[:, None] * t + phase[:, None])
    fit = sine_fit.fit_sines(y, freq_max=0.1)
    np.testing.assert_allclose(fit["frequency"], frequency, atol=1e-6)
    np.testing.assert_allclose(fit["phase"], phase, atol=1e-5)
    assert np.all(fit["residual"] < 1e-6)
    # Half the amplitude or upside down: no sine of the family fits, and the residual says
    # by how much (the nearest sines of the family leave rms 0.039 and 0.18).
    off = sine_fit.fit_sines(np.stack([0.5 * y[2], -y[3]]), freq_max=0.1)
    assert off["residual"][0] > 0.03 and off["residual"][1] > 0.15


def test_real_windows_fill_the_range_and_a_cut_short_generator_shows():
    real = sine_windows(400, 24, 5, seed=0)
    slow = sine_windows(400, 24, 5, seed=1, freq_range=(0.0, 0.08))
    wobbly = slow + 0.025 * np.sin(np.arange(24) * 1.3)[None, :, None]
    real_fit = sine_fit.describe(real, freq_max=0.1)
    assert np.all(np.abs(np.array(real_fit["frequency_histogram"]) - 0.1) < 0.035)
    assert 0.07 < real_fit["top_tenth_share"] < 0.13  # 2000 sequences, expected 0.1
    assert real_fit["residual"]["0.99"] < 1e-4
    slow_fit = sine_fit.describe(slow, freq_max=0.1)
    assert slow_fit["top_tenth_share"] == 0.0 and slow_fit["frequency"]["0.99"] < 0.081
    assert slow_fit["frequency_histogram"][-2:] == [0.0, 0.0]
    # Real sines with f t + p past pi / 2 early turn down by the end; those of f <= 0.08
    # end at most (1 - sin(23 * 0.08 + 0.1)) / 2 = 0.034 below their peak: none turns.
    assert real_fit["turning_share"] > 0.05 and real_fit["fall"]["0.99"] > 0.1
    assert slow_fit["turning_share"] == 0.0 and slow_fit["fall"]["0.99"] < 0.035
    wobbly_fit = sine_fit.describe(wobbly, freq_max=0.1)
    assert wobbly_fit["residual"]["0.5"] > 0.025  # a wiggle of 0.05 in 2x - 1: rms ~0.035
    table = sine_fit.render_markdown(
        {
            "name": "fit",
            "sine_freq_max": 0.1,
            "command": "python scripts/sine_fit.py",
            "commit": "abc",
            "date": "2026-01-01",
            "real": real_fit,
            "runs": {
                "slow": {"fit": slow_fit, "weights": "raw"},
                "slow_round_trip": {"fit": real_fit, "weights": "ema", "round_trip": True},
            },
        }
    )
    assert "| slow | " in table and "| 0.000 |" in table and "at commit `abc`" in table
    assert "0.09-0.10" in table and "generator weights: raw." in table
    assert "| 0.000 | 0.005 / 0.023 |" in table  # the slow row's turning share and falls
    assert "| slow_round_trip | " in table and "round trip R(E(x))" in table

    # A file written before the turn was measured renders its row with dashes there.
    older = {k: v for k, v in slow_fit.items() if k not in ("fall", "turning_share")}
    table = sine_fit.render_markdown(
        {
            "name": "fit",
            "sine_freq_max": 0.1,
            "command": "c",
            "commit": "abc",
            "date": "d",
            "real": real_fit,
            "runs": {"old": {"fit": older, "weights": "ema"}},
        }
    )
    assert any(
        line.startswith("| old | ") and line.endswith("| – | – |") for line in table.splitlines()
    )
