"""Exact t-SNE: separates clusters, is deterministic and always stops."""

import time

import numpy as np
import pytest

from rgan.metrics.tsne import tsne_embedding


def _two_clusters(per_cluster=150, dims=24, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.zeros((2, dims))
    centres[1] += 1.0
    return np.concatenate([rng.normal(c, 0.1, size=(per_cluster, dims)) for c in centres])


def test_separates_two_clusters_in_bounded_time():
    points = _two_clusters()
    start = time.perf_counter()
    embedding = tsne_embedding(points, perplexity=40, iterations=1000)
    elapsed = time.perf_counter() - start
    assert embedding.shape == (300, 2) and np.all(np.isfinite(embedding))
    # Nearest neighbour in the embedding comes from the same cluster.
    distances = np.linalg.norm(embedding[:, None] - embedding[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    labels = np.repeat([0, 1], 150)
    assert np.mean(labels[distances.argmin(axis=1)] == labels) > 0.99
    # A fixed number of steps on 300 points: seconds, whatever the data.
    assert elapsed < 60


def test_is_deterministic_and_survives_duplicate_points():
    points = np.repeat(_two_clusters(per_cluster=30), 2, axis=0)  # every point twice
    first = tsne_embedding(points, perplexity=10, iterations=300)
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, tsne_embedding(points, perplexity=10, iterations=300))


def test_perplexity_must_be_below_the_number_of_points():
    with pytest.raises(ValueError, match=r"perplexity must be positive and below"):
        tsne_embedding(np.zeros((20, 3)), perplexity=40)
