"""Exact t-SNE (van der Maaten & Hinton 2008) in JAX, with scikit-learn's optimisation schedule.

For the few thousand points of the t-SNE picture the exact O(n²) gradient is cheap. Every
loop has a fixed length (bisection steps, iterations), so it always finishes in bounded
time; there is no convergence-based early exit.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

BISECTION_STEPS = 100  # scikit-learn's cap on the perplexity binary search
EARLY_EXAGGERATION = 12.0
EXAGGERATION_ITERATIONS = 250
EARLY_MOMENTUM = 0.5
LATE_MOMENTUM = 0.8
MIN_GAIN = 0.01


def tsne_embedding(
    points: np.ndarray,
    *,
    perplexity: float = 40.0,
    iterations: int = 1000,
    learning_rate: float | None = None,
) -> np.ndarray:
    """Embeds points in 2-D with exact t-SNE; deterministic (PCA initialisation).

    As scikit-learn's TSNE(method="exact", init="pca", learning_rate="auto"): Gaussian
    affinities calibrated per point to `perplexity` by bisection, symmetrised; Student-t
    similarities in the embedding; gradient descent with gains, momentum 0.5 and affinities
    exaggerated 12x for the first 250 iterations, then momentum 0.8 (momentum and gains
    restart between the phases); learning rate max(n / 12 / 4, 50).

    Args:
      points: [n, d] float.
      perplexity: effective number of neighbours; must be below n.
      iterations: total gradient steps, the first 250 exaggerated.
      learning_rate: None for scikit-learn's "auto".

    Returns:
      [n, 2] float32 embedding.
    """
    points = np.asarray(points, np.float32)
    count = points.shape[0]
    if not 0 < perplexity < count:
        raise ValueError(
            f"t-SNE perplexity must be positive and below the number of points ({count}), "
            f"got {perplexity}; use more windows or a smaller perplexity"
        )
    if learning_rate is None:
        learning_rate = max(count / EARLY_EXAGGERATION / 4.0, 50.0)
    early = min(iterations, EXAGGERATION_ITERATIONS)
    return np.asarray(
        _embed(
            jnp.asarray(points),
            jnp.asarray(_pca_initialisation(points)),
            jnp.float32(perplexity),
            jnp.float32(learning_rate),
            early,
            iterations - early,
        )
    )


def _pca_initialisation(points: np.ndarray) -> np.ndarray:
    """First two principal components, scaled so the first has std 1e-4 (scikit-learn):
    [n, d] -> [n, 2]."""
    centred = points.astype(np.float64) - points.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    if projected.shape[1] < 2:  # one-dimensional input: pad a zero coordinate
        projected = np.pad(projected, ((0, 0), (0, 2 - projected.shape[1])))
    scale = projected[:, 0].std()
    projected = projected / scale * 1e-4 if scale > 0 else projected
    # Ties (identical points) would stay tied forever; a tiny deterministic jitter breaks them.
    jitter = np.sin(np.arange(projected.size, dtype=np.float64)).reshape(projected.shape)
    return (projected + 1e-8 * jitter).astype(np.float32)


def _squared_distances(x: jax.Array) -> jax.Array:
    """[n, d] -> [n, n] squared Euclidean distances, clipped at 0 against rounding."""
    norms = jnp.sum(x**2, axis=1)
    return jnp.maximum(norms[:, None] + norms[None, :] - 2.0 * x @ x.T, 0.0)


def _affinities(points: jax.Array, perplexity: jax.Array) -> jax.Array:
    """Symmetrised input affinities P, summing to 1 over the matrix: [n, d] -> [n, n]."""
    count = points.shape[0]
    distances = _squared_distances(points)
    off_diagonal = ~jnp.eye(count, dtype=bool)
    # Shift each row by its nearest neighbour's distance: the conditional distribution
    # is unchanged, and exp(-beta * d) cannot underflow to an all-zero row.
    nearest = jnp.min(jnp.where(off_diagonal, distances, jnp.inf), axis=1, keepdims=True)
    shifted = jnp.where(off_diagonal, distances - nearest, 0.0)
    target_entropy = jnp.log(perplexity)

    def conditional(beta):
        weights = jnp.where(off_diagonal, jnp.exp(-beta[:, None] * shifted), 0.0)
        total = jnp.sum(weights, axis=1)
        entropy = jnp.log(total) + beta * jnp.sum(shifted * weights, axis=1) / total
        return weights / total[:, None], entropy

    # scikit-learn's bisection on the precision beta, for all rows at once.
    def bisect(_, state):
        beta, low, high = state
        _, entropy = conditional(beta)
        too_flat = entropy > target_entropy  # too many neighbours: sharpen
        low = jnp.where(too_flat, beta, low)
        high = jnp.where(too_flat, high, beta)
        beta = jnp.where(
            too_flat,
            jnp.where(jnp.isinf(high), beta * 2.0, (beta + high) / 2.0),
            jnp.where(low == 0.0, beta / 2.0, (beta + low) / 2.0),
        )
        return beta, low, high

    ones = jnp.ones(count, points.dtype)
    beta, _, _ = jax.lax.fori_loop(0, BISECTION_STEPS, bisect, (ones, 0.0 * ones, jnp.inf * ones))
    conditional_p, _ = conditional(beta)
    joint = conditional_p + conditional_p.T
    return jnp.maximum(joint / jnp.sum(joint), 1e-12) * off_diagonal


def _gradient(embedding: jax.Array, affinities: jax.Array) -> jax.Array:
    """Exact KL(P || Q) gradient for Student-t Q: [n, 2], [n, n] -> [n, 2]."""
    kernel = 1.0 / (1.0 + _squared_distances(embedding))
    kernel = kernel * (1.0 - jnp.eye(embedding.shape[0], dtype=kernel.dtype))
    similarities = jnp.maximum(kernel / jnp.sum(kernel), 1e-12)
    weights = (affinities - similarities) * kernel  # [n, n]
    # sum_j w_ij (y_i - y_j) = y_i * sum_j w_ij - (W y)_i
    return 4.0 * (embedding * jnp.sum(weights, axis=1, keepdims=True) - weights @ embedding)


def _descend(embedding, affinities, learning_rate, momentum, steps: int):
    """One phase of scikit-learn's gradient descent with gains; fresh update and gains."""

    def step(_, state):
        embedding, update, gains = state
        grad = _gradient(embedding, affinities)
        # Grow the step where the gradient keeps pushing the same way the update moves.
        increase = update * grad < 0.0
        gains = jnp.maximum(jnp.where(increase, gains + 0.2, gains * 0.8), MIN_GAIN)
        update = momentum * update - learning_rate * gains * grad
        return embedding + update, update, gains

    state = (embedding, jnp.zeros_like(embedding), jnp.ones_like(embedding))
    embedding, _, _ = jax.lax.fori_loop(0, steps, step, state)
    return embedding


@functools.partial(jax.jit, static_argnames=("early_steps", "late_steps"))
def _embed(points, initial, perplexity, learning_rate, early_steps: int, late_steps: int):
    """points: [n, d], initial: [n, 2] -> [n, 2]."""
    affinities = _affinities(points, perplexity)
    embedding = _descend(
        initial, affinities * EARLY_EXAGGERATION, learning_rate, EARLY_MOMENTUM, early_steps
    )
    return _descend(embedding, affinities, learning_rate, LATE_MOMENTUM, late_steps)
