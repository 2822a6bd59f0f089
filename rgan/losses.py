"""Pure loss functions on per-step values, averaged over time steps and the batch.

Padded steps of variable-length data are excluded through `mask: [batch, time]`. Inside
a per-device step, pass `axis_name` (rgan.collectives.AXIS) to average over the *global*
batch: sums and counts are psum'd, so devices holding sequences of different lengths
weigh each real step equally, exactly as one device would.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax


def masked_mean(
    values: jax.Array, mask: jax.Array | None = None, axis_name: str | None = None
) -> jax.Array:
    """Mean of `values: [batch, time, ...]` over the entries where `mask: [batch, time]` is 1."""
    if mask is None:
        mean = jnp.mean(values)
        return mean if axis_name is None else jax.lax.pmean(mean, axis_name)
    mask = mask.reshape(mask.shape + (1,) * (values.ndim - mask.ndim)).astype(values.dtype)
    mask = jnp.broadcast_to(mask, values.shape)
    total, count = jnp.sum(values * mask), jnp.sum(mask)
    if axis_name is not None:
        total, count = jax.lax.psum((total, count), axis_name)
    return total / jnp.maximum(count, 1.0)


def last_step(values: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """Each sequence's value at its last real step: values [batch, time] -> [batch].

    mask [batch, time] (1 = real step, the real steps first); None = the last step."""
    if mask is None:
        return values[:, -1]
    index = jnp.maximum(jnp.sum(mask, axis=1).astype(jnp.int32) - 1, 0)
    return jnp.take_along_axis(values, index[:, None], axis=1)[:, 0]


def check_last_step_weight(weight: float, field: str) -> None:
    """Refuses a `mean_with_last_step` weight outside [0, 1], naming the config field
    (e.g. "gan.last_step_weight")."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(
            f"config.{field} must be in [0, 1]; got {weight}. Set e.g. --config.{field}=0.5, "
            "or 0 for a loss averaged over every step."
        )


def mean_with_last_step(
    per_step: Callable[[jax.Array], jax.Array],
    logits: jax.Array,
    mask: jax.Array | None,
    weight: float,
    axis_name: str | None = None,
) -> jax.Array:
    """A discriminator objective that also weighs each sequence's last step.

    `per_step` maps logits [batch, time] to per-step losses of the same shape. Returns
    (1 - weight) times its mean over the real steps of the (global) batch plus `weight` times
    its mean over the sequences' last real steps: a causal discriminator's last logit is the
    only one that has read the whole sequence. weight = 0 is the plain mean."""
    steps = masked_mean(per_step(logits), mask, axis_name)
    if not weight:
        return steps
    at_end = masked_mean(per_step(last_step(logits, mask)[:, None]), None, axis_name)
    return (1.0 - weight) * steps + weight * at_end


def bce_per_step(target) -> Callable[[jax.Array], jax.Array]:
    """Per-step binary cross-entropy against a constant label: logits [batch, time] ->
    losses [batch, time]. `target` may be traced (an ensemble member's own label)."""
    return lambda logits: optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, target))


def bce_with_logits(logits, target: float, mask=None, axis_name=None):
    """Binary cross-entropy of per-step `logits: [batch, time]` against a constant label."""
    return masked_mean(bce_per_step(target)(logits), mask, axis_name)


def discriminator_loss(real_logits, fake_logits, mask=None, fake_mask=None, axis_name=None):
    """Standard GAN discriminator loss: real -> 1, generated -> 0. Logits: [batch, time]."""
    return bce_with_logits(real_logits, 1.0, mask, axis_name) + bce_with_logits(
        fake_logits, 0.0, fake_mask, axis_name
    )


def generator_loss(fake_logits, mask=None, axis_name=None):
    """Non-saturating generator loss: -log D(G(z)). Logits: [batch, time]."""
    return bce_with_logits(fake_logits, 1.0, mask, axis_name)


def accuracy(logits, target: float, mask=None, axis_name=None):
    """Fraction of steps the discriminator classifies as `target` (threshold 0.5)."""
    correct = ((logits > 0).astype(jnp.float32) == target).astype(jnp.float32)
    return masked_mean(correct, mask, axis_name)


def feature_matching_loss(real_features, fake_features):
    """Squared L2 distance between batch means of features [batch, time, features]."""
    return jnp.sum((real_features.mean(axis=0) - fake_features.mean(axis=0)) ** 2)


@dataclasses.dataclass(frozen=True)
class AdversarialLoss:
    """One GAN objective, as per-step functions of the discriminator's logits.

    Each function maps logits [batch, time] to per-step losses [batch, time]; the
    discriminator minimizes the mean of `real` on real steps plus the mean of `fake` on
    generated steps, the generator the mean of `generator` on generated steps.

    Attributes:
      name: the config value (`gan.loss`).
      real, fake, generator: the per-step losses.
      chance_d_loss: the discriminator's loss when it outputs logit 0 for everything,
        i.e. cannot tell the two apart (health checks compare with it).
    """

    name: str
    real: Callable[[jax.Array], jax.Array]
    fake: Callable[[jax.Array], jax.Array]
    generator: Callable[[jax.Array], jax.Array]
    chance_d_loss: float


def adversarial_loss(name: str, label_smoothing: float = 0.0) -> AdversarialLoss:
    """The GAN objective `name` (config `gan.loss`):

    - "ns": the non-saturating loss of Goodfellow et al. (2014): D minimizes BCE (real
      -> 1 - label_smoothing, generated -> 0), G minimizes -log D(G(z)).
    - "hinge": D minimizes relu(1 - D(x)) + relu(1 + D(G(z))), G minimizes -D(G(z))
      (Lim & Ye 2017; Miyato et al. 2018).
    - "wgan_gp": the Wasserstein critic, D minimizes D(G(z)) - D(x), G minimizes
      -D(G(z)) (Gulrajani et al. 2017); the gradient penalty is added by the training
      step (`gradient_penalty`), as it needs the discriminator, not only its logits.

    label_smoothing: one-sided (real targets only, Salimans et al. 2016); "ns" only.
    """
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"config.gan.label_smoothing must be in [0, 0.5); got {label_smoothing}.")
    if label_smoothing and name != "ns":
        raise ValueError(
            f"config.gan.label_smoothing applies to the 'ns' loss only; got gan.loss={name!r}. "
            "Set gan.label_smoothing=0."
        )
    if name == "ns":
        # The chance loss is what BCE gives at logit 0: ln 2 per term whatever the target.
        return AdversarialLoss(
            name,
            bce_per_step(1.0 - label_smoothing),
            bce_per_step(0.0),
            bce_per_step(1.0),
            2 * math.log(2),
        )
    if name == "hinge":
        return AdversarialLoss(
            name,
            lambda logits: jax.nn.relu(1.0 - logits),
            lambda logits: jax.nn.relu(1.0 + logits),
            lambda logits: -logits,
            2.0,
        )
    if name == "wgan_gp":
        return AdversarialLoss(
            name, lambda logits: -logits, lambda logits: logits, lambda logits: -logits, 0.0
        )
    raise ValueError(f"Unknown config.gan.loss {name!r}; expected one of {LOSS_NAMES}.")


LOSS_NAMES = ("ns", "hinge", "wgan_gp")


def gradient_penalty(
    sequence_scores: Callable[[jax.Array], jax.Array], real, fake, mix, axis_name=None
):
    """WGAN-GP's penalty: E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat between real and fake.

    sequence_scores: x [batch, time, features] -> [batch], the discriminator's score of
      each sequence (its per-step logits averaged over the real steps); sequences must
      not interact (no batch statistics), so the gradient of their sum is per sequence.
    real, fake: [batch, time, features]; mix: [batch] uniform in [0, 1), x_hat = mix *
      real + (1 - mix) * fake. The norm is over each sequence's time and features (padded
      steps get no gradient). The mean is over the global batch when `axis_name` is given.
    """
    mix = mix.reshape(mix.shape + (1, 1)).astype(real.dtype)
    x_hat = mix * real + (1.0 - mix) * fake
    grads = jax.grad(lambda x: jnp.sum(sequence_scores(x)))(x_hat)
    # The epsilon keeps the norm's gradient finite where a gradient is exactly zero.
    norms = jnp.sqrt(jnp.sum(grads**2, axis=(1, 2)) + 1e-12)
    return masked_mean((norms - 1.0) ** 2, None, axis_name)


def masked_moments(
    x: jax.Array, mask: jax.Array | None = None, axis_name: str | None = None
) -> tuple[jax.Array, jax.Array]:
    """Mean [F] and covariance [F, F] of the steps of `x: [batch, time, F]` where
    `mask: [batch, time]` is 1, over the global batch when `axis_name` is given (sums
    and counts are psum'd, so every real step weighs the same on any number of devices)."""
    weights = jnp.ones(x.shape[:2], x.dtype) if mask is None else mask.astype(x.dtype)
    real_step = weights[..., None] > 0
    count, first = jnp.sum(weights), jnp.sum(jnp.where(real_step, x, 0.0), axis=(0, 1))
    if axis_name is not None:
        count, first = jax.lax.psum((count, first), axis_name)
    count = jnp.maximum(count, 1.0)
    mean = first / count
    # Two passes: E[x x^T] - mean mean^T loses most of float32's digits for data in [0, 1]
    # (the result then depends on the order of the sums, i.e. the number of devices).
    # `where`, not a product with the mask: padding may hold anything, NaN included.
    centered = jnp.where(real_step, x - mean, 0.0)
    second = jnp.einsum("btf,btg->fg", centered, centered)
    if axis_name is not None:
        second = jax.lax.psum(second, axis_name)
    return mean, second / count


def _moment_distance(real, fake, mask, axis_name, relative: bool = False) -> jax.Array:
    """mean|mu_f - mu_r| + mean|sigma_f - sigma_r| + mean over feature pairs of
    |rho_f - rho_r| between the steps of two [batch, time, F] arrays.

    relative: measure the first two in units of the real standard deviation instead,
    mean|mu_f - mu_r| / sigma_r + mean|log sigma_f - log sigma_r|, so that a feature (or
    a feature's step-to-step changes) that varies little counts as much as one that
    varies a lot: twice too rough is the same gap whatever the feature's scale.
    """
    (real_mean, real_cov), (fake_mean, fake_cov) = (
        masked_moments(v, mask, axis_name) for v in (real, fake)
    )
    # The epsilon keeps sqrt's gradient finite for a constant feature.
    real_std, fake_std = (
        jnp.sqrt(jnp.maximum(jnp.diag(c), 0.0) + 1e-8) for c in (real_cov, fake_cov)
    )
    if relative:
        # A floor on the real scale: a (nearly) constant real feature's mean gap is
        # measured against 1e-3 of the data's [0, 1] range, not against ~0.
        scale = jnp.maximum(real_std, 1e-3)
        distance = jnp.mean(jnp.abs(fake_mean - real_mean) / scale) + jnp.mean(
            jnp.abs(jnp.log(fake_std) - jnp.log(real_std))
        )
    else:
        distance = jnp.mean(jnp.abs(fake_mean - real_mean)) + jnp.mean(jnp.abs(fake_std - real_std))
    features = real.shape[-1]
    if features > 1:
        real_corr = real_cov / jnp.outer(real_std, real_std)
        fake_corr = fake_cov / jnp.outer(fake_std, fake_std)
        pairs = jnp.triu_indices(features, k=1)
        distance += jnp.mean(jnp.abs(fake_corr[pairs] - real_corr[pairs]))
    return distance


def window_deviations(x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """Each sequence's values minus its own mean over its real steps, per feature: x
    [batch, time, F], mask [batch, time] or None (all real) -> [batch, time, F] (padded
    steps hold anything)."""
    real_step = jnp.ones(x.shape[:2] + (1,), bool) if mask is None else mask[..., None] > 0
    count = jnp.maximum(jnp.sum(real_step, axis=1, keepdims=True), 1)  # [batch, 1, 1]
    mean = jnp.sum(jnp.where(real_step, x, 0.0), axis=1, keepdims=True) / count
    return x - mean


def _per_step_moments(x, valid, axis_name):
    """Mean and standard deviation at each time step over the (global) batch only:
    x [batch, time, F], valid bool [batch, time] -> mean, std [time, F], count [time]."""
    weights = valid.astype(x.dtype)
    count = jnp.sum(weights, axis=0)
    first = jnp.sum(jnp.where(valid[..., None], x, 0.0), axis=0)
    if axis_name is not None:
        count, first = jax.lax.psum((count, first), axis_name)
    mean = first / jnp.maximum(count, 1.0)[:, None]
    centered = jnp.where(valid[..., None], x - mean, 0.0)  # padding may hold NaN
    second = jnp.sum(centered * centered, axis=0)
    if axis_name is not None:
        second = jax.lax.psum(second, axis_name)
    # The epsilon keeps sqrt's gradient finite where every sequence agrees.
    std = jnp.sqrt(second / jnp.maximum(count, 1.0)[:, None] + 1e-8)
    return mean, std, count


def _per_step_distance(real, fake, valid, axis_name, relative: bool) -> jax.Array:
    """Each step's mean over features of |mu_f - mu_r| + |sigma_f - sigma_r| (relative:
    as in `_moment_distance`), averaged over steps weighted by their real step count, so
    that a step few sequences reach weighs little."""
    real_mean, real_std, count = _per_step_moments(real, valid, axis_name)
    fake_mean, fake_std, _ = _per_step_moments(fake, valid, axis_name)
    if relative:
        scale = jnp.maximum(real_std, 1e-3)
        gap = jnp.abs(fake_mean - real_mean) / scale
        gap += jnp.abs(jnp.log(fake_std) - jnp.log(jnp.maximum(real_std, 1e-3)))
    else:
        gap = jnp.abs(fake_mean - real_mean) + jnp.abs(fake_std - real_std)
    return jnp.sum(count * jnp.mean(gap, axis=-1)) / jnp.maximum(jnp.sum(count), 1.0)


def aligned_at_end(x: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Each sequence of x [batch, time, F] read backwards from its last real step (mask
    [batch, time], real steps first): out[:, k] is the step k before the end; -> (out
    [batch, time, F], valid bool [batch, time])."""
    time = x.shape[1]
    lengths = jnp.sum(mask > 0, axis=1)
    index = lengths[:, None] - 1 - jnp.arange(time)[None, :]
    valid = index >= 0
    out = jnp.take_along_axis(x, jnp.clip(index, 0, time - 1)[..., None], axis=1)
    return out, valid


def step_moment_loss(
    real: jax.Array,
    fake: jax.Array,
    mask: jax.Array | None = None,
    axis_name: str | None = None,
    relative: bool = False,
    rows: jax.Array | None = None,
) -> jax.Array:
    """How far the statistics of generated sequences at each time step are from the real
    ones': per step and feature, the gap between means and between standard deviations
    over the batch (TimeGAN's moment loss L_V takes them so, per step), of the values and
    of their step-to-step changes, averaged over steps (`_per_step_distance`).

    real, fake: [batch, time, F] with the same lengths (the generator runs with the real
    batch's mask [batch, time], real steps first; None: all real). Variable-length
    sequences are compared twice, aligned at their first step and at their last, so that
    how sequences begin and how they end are both matched whatever their lengths; the two
    are averaged. 0 when the statistics agree. Unlike `moment_matching_loss`, whose
    moments pool all steps, this sees where in a sequence a difference is.

    rows: optional [batch] 0/1, the sequences that count (e.g. one class's,
    `class_moment_loss`); the others are left out of every statistic.
    """
    kept = True if rows is None else (rows > 0)[:, None]  # [batch, 1]
    valid = (jnp.ones(real.shape[:2], bool) if mask is None else mask > 0) & kept
    alignments = [(real, fake, valid)]
    if mask is not None:
        (real_end, valid_end), (fake_end, _) = (aligned_at_end(v, mask) for v in (real, fake))
        alignments.append((real_end, fake_end, valid_end & kept))
    total = 0.0
    for r, f, v in alignments:
        changes_valid = v[:, 1:] & v[:, :-1]
        total += _per_step_distance(r, f, v, axis_name, relative)
        total += _per_step_distance(
            r[:, 1:] - r[:, :-1], f[:, 1:] - f[:, :-1], changes_valid, axis_name, relative
        )
    return total / len(alignments)


MOMENT_DISTANCES = ("absolute", "relative")  # moment_matching_loss's `relative` False / True


def check_moment_matching(weight: float, distance: str, weight_field: str, distance_field: str):
    """Refuses a moment term's settings that `moment_matching_loss` cannot train: a negative
    weight or an unknown distance, naming the config fields (e.g. "gan.moment_weight")."""
    if weight < 0:
        raise ValueError(f"config.{weight_field} must be >= 0; got {weight}.")
    if distance not in MOMENT_DISTANCES:
        raise ValueError(
            f"config.{distance_field} must be one of {MOMENT_DISTANCES}; got {distance!r}."
        )


def check_moment_differences(differences, field: str) -> None:
    """Refuses a `moment_matching_loss` order of differences that is not an integer >= 0,
    naming the config field (e.g. "gan.moment_differences")."""
    if isinstance(differences, bool) or not isinstance(differences, int) or differences < 0:
        raise ValueError(
            f"config.{field} must be an integer >= 0 (1: values and step-to-step changes; "
            f"2: also the changes of the changes); got {differences!r}."
        )


def moment_matching_loss(
    real: jax.Array,
    fake: jax.Array,
    mask: jax.Array | None = None,
    axis_name: str | None = None,
    relative: bool = False,
    rows: jax.Array | None = None,
    differences: int = 1,
    within_windows: bool = False,
) -> jax.Array:
    """How far the per-step statistics of generated sequences are from the real ones'.

    The distance (`_moment_distance`: per-feature means and standard deviations, and the
    correlation of every pair of features) between the real steps of `real` and `fake`
    ([batch, time, F], padded steps excluded through `mask: [batch, time]`), plus the
    same distance between their step-to-step changes x[t] - x[t-1] (where both steps are
    real): the first term pins the marginals and cross-feature structure that TimeGAN's
    moment loss L_V pins only in part (means and standard deviations), the second how
    rough the sequences are. 0 when the statistics agree. `relative` measures means and
    standard deviations in units of the real ones (`_moment_distance`;
    `gan.moment_distance="relative"`). rows: optional [batch] 0/1, the sequences that
    count (as in `step_moment_loss`).

    differences: the highest order of step-to-step differences compared, each order's
    distance added (the values are order 0). 1 (the default): values and changes. 2 adds
    the changes of the changes, which pins how smooth the changes are: with the changes'
    standard deviation matched, the second differences' one fixes the changes' lag-1
    autocorrelation rho (var of x[t] - 2 x[t-1] + x[t-2] = 2 (1 - rho) var of the
    changes), so that a generator cannot trade a real series' smooth trends for a random
    walk of the same step size. 0: the values alone.

    within_windows: also the distance between the values' deviations from each sequence's
    own mean (`window_deviations`): their standard deviations are how much a sequence
    moves within itself, their correlations how features move together within one. The
    pooled moments mix that with how far sequences' levels differ, so that sequences half
    as lively as the data's, at levels spread a little wider, match them.
    """
    if differences < 0:
        raise ValueError(f"differences must be >= 0; got {differences}.")
    if rows is not None:
        kept = rows.astype(real.dtype)[:, None]
        mask = kept if mask is None else mask * kept  # broadcasts to [batch, time]
        mask = jnp.broadcast_to(mask, real.shape[:2])
    distance = _moment_distance(real, fake, mask, axis_name, relative)
    if within_windows:
        distance += _moment_distance(
            window_deviations(real, mask), window_deviations(fake, mask), mask, axis_name, relative
        )
    for _ in range(differences):
        if real.shape[1] < 2:
            break  # a sequence of one step has no changes to compare
        # A difference is real where both of the steps it spans are.
        mask = None if mask is None else mask[:, 1:] * mask[:, :-1]
        real, fake = (v[:, 1:] - v[:, :-1] for v in (real, fake))
        distance += _moment_distance(real, fake, mask, axis_name, relative)
    return distance


def class_moment_loss(
    moment_loss: Callable[..., jax.Array],
    real: jax.Array,
    fake: jax.Array,
    classes: jax.Array,
    mask: jax.Array | None = None,
    axis_name: str | None = None,
    relative: bool = False,
) -> jax.Array:
    """`moment_loss` (`moment_matching_loss` or `step_moment_loss`) within each class,
    averaged over the classes weighted by their share of the (global) batch.

    The pooled statistics of a batch that mixes classes can agree while each class's do
    not (one class too rough, another too smooth); within each class they cannot.

    real, fake: [batch, time, F], the generated sequences drawn for the real ones'
    classes; classes: [batch, K] one-hot (the batch's condition vectors); mask: [batch,
    time] or None. A class absent from the (global) batch weighs 0. -> scalar.
    """
    counts = jnp.sum(classes, axis=0)  # [K]
    if axis_name is not None:
        counts = jax.lax.psum(counts, axis_name)
    # One class after another (lax.map, a loop of K iterations): on XLA:CPU the vmapped
    # form of these masked reductions ran 3-4x slower (30 against 10 ms for the per-step
    # term's value and gradient on BasicMotions' batch of 80 x 100 x 6, 4 classes).
    per_class = jax.lax.map(
        lambda rows: moment_loss(real, fake, mask, axis_name, relative, rows=rows), classes.T
    )  # [K]
    return jnp.sum(counts * per_class) / jnp.maximum(jnp.sum(counts), 1.0)
