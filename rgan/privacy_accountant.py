"""Privacy accounting for DP-SGD: Rényi DP of the sampled Gaussian mechanism.

One DP-SGD step samples each training example with probability `q` (the sampling rate,
batch / dataset size), sums the examples' gradients clipped to L2 norm C and adds
Gaussian noise of standard deviation `sigma * C` (`sigma`: the noise multiplier). This is
the sampled Gaussian mechanism. Its Rényi differential privacy (RDP) of integer order
`alpha >= 2` is, by Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled
Gaussian Mechanism" (2019), Section 3.3:

    RDP(alpha) = log(A_alpha) / (alpha - 1),
    A_alpha = sum_{k=0}^{alpha} C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)),

computed here in log space. RDP composes additively over steps (Mironov 2017, Prop. 1), and
`T` steps at RDP `r(alpha)` are (epsilon, delta)-DP with

    epsilon = min_alpha [T r(alpha) + log((alpha - 1) / alpha)
                         - (log delta + log alpha) / (alpha - 1)]

(Balle et al., "Hypothesis Testing Interpretations and Renyi Differential Privacy", 2020,
Theorem 21; tighter than Mironov 2017's `T r(alpha) + log(1 / delta) / (alpha - 1)`). This
is the accountant of TensorFlow Privacy / dp_accounting restricted to integer orders, which
only makes epsilon an upper bound slightly above theirs when their optimum is fractional.

The analysis assumes each batch is a Poisson sample at rate `q`; the trainer draws
fixed-size batches from shuffled epochs instead, the usual approximation (as in TensorFlow
Privacy's `compute_dp_sgd_privacy`).
"""

from __future__ import annotations

import math

import numpy as np

# Integer Rényi orders searched for the best epsilon. Small orders win for large budgets,
# large orders for small ones (TensorFlow Privacy searches up to 512 as well).
ORDERS = tuple(range(2, 65)) + (80, 96, 128, 192, 256, 384, 512)


def rdp_sampled_gaussian(
    sampling_rate: float, noise_multiplier: float, orders=ORDERS
) -> np.ndarray:
    """RDP of one step of the sampled Gaussian mechanism at each integer order.

    Args:
      sampling_rate: q in [0, 1], the probability that an example is in a batch.
      noise_multiplier: sigma > 0, noise standard deviation / L2 clipping norm.
      orders: integer Rényi orders alpha >= 2.

    Returns:
      float64 [len(orders)]: the RDP epsilon of one step at each order.
    """
    q, sigma = float(sampling_rate), float(noise_multiplier)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"The sampling rate must be in [0, 1]; got {q}.")
    if not sigma > 0.0:
        raise ValueError(f"The noise multiplier must be > 0; got {sigma}.")
    orders = [int(a) for a in orders]
    if any(a < 2 for a in orders):
        raise ValueError(f"Rényi orders must be integers >= 2; got {orders}.")
    if q == 0.0:
        return np.zeros(len(orders))
    if q == 1.0:  # no sampling: the Gaussian mechanism, alpha / (2 sigma^2)
        return np.array([a / (2.0 * sigma**2) for a in orders])
    return np.array([_log_a(q, sigma, a) / (a - 1) for a in orders])


def _log_a(q: float, sigma: float, alpha: int) -> float:
    """log A_alpha for integer alpha, as a log-sum-exp over the binomial expansion."""
    k = np.arange(alpha + 1, dtype=np.float64)
    log_binomial = np.array([_log_comb(alpha, int(i)) for i in k])
    terms = (
        log_binomial
        + (alpha - k) * math.log1p(-q)
        + k * math.log(q)
        + (k * k - k) / (2.0 * sigma**2)
    )
    top = terms.max()
    return float(top + math.log(np.exp(terms - top).sum()))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def epsilon_from_rdp(rdp: np.ndarray, delta: float, orders=ORDERS) -> tuple[float, int]:
    """The smallest epsilon of (epsilon, delta)-DP that the RDP curve implies.

    Args:
      rdp: [len(orders)] total RDP (already composed over all steps).
      delta: target delta in (0, 1).
      orders: the integer orders of `rdp`.

    Returns:
      (epsilon, the order that attains it).
    """
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1); got {delta}.")
    alpha = np.asarray(orders, np.float64)
    rdp = np.asarray(rdp, np.float64)
    eps = rdp + np.log1p(-1.0 / alpha) - (math.log(delta) + np.log(alpha)) / (alpha - 1.0)
    best = int(np.argmin(eps))
    return max(0.0, float(eps[best])), int(orders[best])


def dp_sgd_epsilon(
    *, sampling_rate: float, noise_multiplier: float, steps: int, delta: float
) -> float:
    """Epsilon at `delta` after `steps` DP-SGD steps at `sampling_rate` and `noise_multiplier`."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}.")
    if steps == 0:  # nothing was released (the RDP conversion would leave a small slack)
        return 0.0
    rdp = steps * rdp_sampled_gaussian(sampling_rate, noise_multiplier)
    return epsilon_from_rdp(rdp, delta)[0]
