"""Data: sines recipe, windowing, scaling round trip, batch order."""

import numpy as np
import pytest

from rgan.data import MinMaxScaler, batch_indices, sine_windows
from rgan.data.windows import sliding_windows


def test_sines_follow_timegan_recipe():
    x = sine_windows(500, 24, 5, seed=0)
    assert x.shape == (500, 24, 5) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    # sin(freq * t + phase) with freq, phase in [0, 0.1]: starts at (sin(phase) + 1) / 2.
    assert np.all((x[:, 0] >= 0.5) & (x[:, 0] <= (np.sin(0.1) + 1) / 2 + 1e-6))
    np.testing.assert_array_equal(x, sine_windows(500, 24, 5, seed=0))
    assert not np.array_equal(x, sine_windows(500, 24, 5, seed=1))


def test_sliding_windows_match_timegan_count_and_content():
    series = np.arange(100.0).reshape(50, 2)
    w = sliding_windows(series, 24, 1)
    assert w.shape == (50 - 24, 24, 2)  # TimeGAN: range(0, L - T)
    np.testing.assert_array_equal(w[3], series[3:27])
    assert sliding_windows(series, 24, 5).shape[0] == len(range(0, 26, 5))


def test_scaler_round_trip_and_constant_columns():
    rng = np.random.default_rng(0)
    data = np.concatenate(
        [rng.normal(50, 10, (200, 3)), np.full((200, 1), 7.0)], axis=1
    )  # last column constant
    scaler = MinMaxScaler.fit(data)
    scaled = scaler.transform(data)
    assert np.isfinite(scaled).all()
    assert scaled.min() >= 0 and scaled.max() <= 1
    np.testing.assert_array_equal(scaled[:, 3], 0.0)
    np.testing.assert_allclose(scaler.inverse(scaled), data, rtol=1e-6)
    np.testing.assert_array_equal(scaler.inverse(scaled)[:, 3], 7.0)
    restored = MinMaxScaler.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(restored.minimum, scaler.minimum)
    with pytest.raises(ValueError, match="fitted on 4 features"):
        scaler.transform(data[:, :2])


def test_batch_order_is_a_pure_function_of_seed_and_step():
    a = batch_indices(100, 32, seed=3, step=7, rounds=2)
    assert a.shape == (2, 32)
    np.testing.assert_array_equal(a, batch_indices(100, 32, seed=3, step=7, rounds=2))
    assert not np.array_equal(a, batch_indices(100, 32, seed=4, step=7, rounds=2))
    # Consecutive steps walk through shuffled epochs: every example once per epoch.
    first_epochs = np.concatenate(
        [batch_indices(100, 20, seed=0, step=s).ravel() for s in range(10)]
    )
    assert sorted(first_epochs[:100]) == list(range(100))
    assert sorted(first_epochs[100:]) == list(range(100))
    assert not np.array_equal(first_epochs[:100], first_epochs[100:])


@pytest.mark.parametrize(
    "bounds, message",
    [("0:1,0:1", "2 'lo:hi' pairs but the data have 5"), ("0-1", "is not 'lo:hi'"), ("1:0", ">=")],
)
def test_bad_public_bounds_name_the_problem(bounds, message):
    from rgan.data.dataset import parse_bounds

    with pytest.raises(ValueError, match=message):
        parse_bounds(bounds, 5)
