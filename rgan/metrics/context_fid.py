"""Context-FID (PSA-GAN; Diffusion-TS): Fréchet distance between TS2Vec embeddings."""

from __future__ import annotations

import jax
import numpy as np

from rgan.metrics import ts2vec, validation


def context_fid(
    real,
    fake,
    *,
    seed: int,
    iterations: int | None = None,
    batch_size: int = 8,
    learning_rate: float = 1e-3,
) -> float:
    """Fréchet distance between TS2Vec embeddings of real and generated windows.

    A fresh TS2Vec encoder (output 320, hidden 64, depth 10) is trained on the real windows
    with batch 8 and lr 1e-3; both sets are encoded with full-series max pooling and compared
    with `frechet_distance`. One call is one repeat (Diffusion-TS reports 5, each with a
    fresh encoder): vary the seed.

    Args:
      real: [n_real, time, features] training windows in [0, 1], time >= 2.
      fake: [n_fake, time, features] generated windows in [0, 1].
      seed: seeds the encoder's initialisation, batches, crops, masks and dropout.
      iterations: encoder training steps. None follows TS2Vec's default: 200 when real has
        at most 100,000 values, else 600 (600 for 10,000 Sines windows of 24 x 5).
      batch_size: encoder batch size (8 in TS2Vec).
      learning_rate: encoder AdamW learning rate (1e-3 in TS2Vec).

    Returns:
      The distance (0 for identical embedding statistics; lower is better).
    """
    real, fake = validation.as_window_pair(real, fake, min_length=2)
    if iterations is None:
        iterations = ts2vec.default_iterations(real.shape)
    iterations = validation.positive_int(iterations, "iterations")
    # torch's DataLoader uses min(batch_size, len(data)); MIN_WINDOWS >= 8 keeps it at 8.
    batch_size = min(validation.positive_int(batch_size, "batch_size"), real.shape[0])
    params = ts2vec.fit(
        real,
        jax.random.key(seed),
        iterations,
        batch_size=batch_size,
        learning_rate=float(learning_rate),
    )
    return frechet_distance(
        np.asarray(ts2vec.encode(params, real)), np.asarray(ts2vec.encode(params, fake))
    )


def frechet_distance(embeddings_a: np.ndarray, embeddings_b: np.ndarray) -> float:
    """|mu_a - mu_b|² + Tr(S_a + S_b - 2 (S_a S_b)^½) of two sets of embeddings.

    Covariances are unbiased (np.cov). Tr((S_a S_b)^½) is computed without a general matrix
    square root: S_a S_b is similar to the symmetric PSD matrix S_a^½ S_b S_a^½ (same
    eigenvalues), so the trace is the sum of the square roots of that matrix's eigenvalues,
    from two symmetric eigendecompositions in float64, with rounding negatives clipped to 0.
    This equals the real part of scipy.linalg.sqrtm's trace that the reference takes, but
    never goes complex or fails on the singular covariances of few, 320-wide embeddings.

    Args:
      embeddings_a: [n_a, k], n_a >= 2.
      embeddings_b: [n_b, k], n_b >= 2.

    Returns:
      The squared Fréchet distance between Gaussians fitted to the two sets.
    """
    a = np.asarray(embeddings_a, np.float64)
    b = np.asarray(embeddings_b, np.float64)
    mean_gap = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    values_a, vectors_a = np.linalg.eigh(cov_a)
    sqrt_a = (vectors_a * np.sqrt(np.clip(values_a, 0.0, None))) @ vectors_a.T
    middle = sqrt_a @ cov_b @ sqrt_a
    middle_values = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    trace_sqrt = float(np.sum(np.sqrt(np.clip(middle_values, 0.0, None))))
    return mean_gap + float(np.trace(cov_a) + np.trace(cov_b)) - 2.0 * trace_sqrt
