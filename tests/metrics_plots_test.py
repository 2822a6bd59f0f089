"""The pictures write non-empty PNG files (skipped without matplotlib)."""

import pytest

pytest.importorskip("matplotlib")

from metrics_testing import sines, uniform_noise  # noqa: E402

from rgan.metrics import pca_plot, sample_grid_plot, tsne_plot  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REAL = sines(120, seed=0)
FAKE = uniform_noise(120, seed=1)


def _assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_pca_plot(tmp_path):
    _assert_png(pca_plot(REAL, FAKE, tmp_path / "pca.png", seed=0))


def test_tsne_plot(tmp_path):
    # 240 points with the protocol's perplexity 40; fewer iterations keep it short.
    _assert_png(tsne_plot(REAL, FAKE, tmp_path / "tsne.png", seed=0, iterations=300))


def test_sample_grid_plot(tmp_path):
    _assert_png(sample_grid_plot(REAL, FAKE, tmp_path / "nested" / "grid.png", num=3))


def test_pictures_draw_values_outside_the_training_scale(tmp_path):
    # Training draws samples of a possibly diverged generator; that must not fail.
    wild = FAKE * 40.0 - 20.0
    wild[0, 0, 0] = float("nan")
    _assert_png(sample_grid_plot(REAL, wild, tmp_path / "grid.png"))
    _assert_png(pca_plot(REAL, wild[1:], tmp_path / "pca.png", seed=0))
