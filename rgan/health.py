"""Training health: three ways a GAN run fails, detected from its log records.

The trainer feeds every log record of an adversarial phase (the averages of
`train.log_every` steps) to `HealthMonitor.update`, which adds one 0/1 field per
condition (`health_d_at_chance`, `health_d_wins`, `health_collapse`) and, the first time
a condition holds, a warning in plain words. A condition holds when it has held for the
last `window` records, so a single noisy record neither warns nor flips a flag.

- **The discriminator cannot tell real from generated**: its loss stays at chance, 2 ln 2
  for the sum of the BCE on real and on generated windows, and it labels half of each
  right. Either the generator is already perfect, or (much more often, and in every case
  seen so far) the discriminator is not learning and the generator gets no signal: a
  small real dataset trained with D loss 1.38-1.39 for a whole run and gave samples a
  classifier told from real data every time. The warning says to check the samples.
- **The discriminator wins outright**: it labels (nearly) every real and generated window
  right while the generator's adversarial loss climbs; its gradients vanish.
- **The generator collapses**: generated windows vary far less across the batch than real
  ones do (`diversity_ratio`, computed by the trainer: the mean over steps and features of
  the across-batch standard deviation of generated windows over that of real windows),
  either all but identical, or fallen to less than half of what the generator already
  reached in this run, once that was at least 0.5 (an untrained or still-learning
  generator varies little too; that is no collapse).

The thresholds are module constants, set from measured runs: the runs made to fail in
tests/health_test.py cross them by far (D loss exactly 2 ln 2, accuracies 1.0, diversity
0.0), while healthy Sines runs stayed clear of them for a whole window (their diversity
starts near 0.02 untrained and swings between 0.1 and 1 while learning; D loss nears
chance at equilibrium, but with accuracies away from one half).
"""

from __future__ import annotations

import collections
import math

import numpy as np
from absl import logging

CHANCE_LOSS = 2 * math.log(2)  # BCE(real) + BCE(fake) of a discriminator that says 0.5
CHANCE_LOSS_TOLERANCE = (
    0.005  # a healthy run near equilibrium drifts by more; a D saying 0.5 sits on it
)
CHANCE_ACCURACY_TOLERANCE = 0.05
WIN_ACCURACY = 0.97
COLLAPSE_RATIO = 0.25  # below this, and below COLLAPSE_FALL x the run's best so far
COLLAPSE_FALL = 0.5
# A fall counts only from a generator that was once this varied: a 5k-step RCGAN run on
# Sines peaked at 0.34 by step 500, sat at 0.13-0.17 until step 1800, then reached 0.85.
COLLAPSE_DIVERSE = 0.5
COLLAPSE_RATIO_ABSOLUTE = 0.002  # all but identical (an untrained sines_rgan: ~0.02)
# Names of the generator's adversarial loss, by family: TimeGAN's unsupervised term,
# C-RNN-GAN's adversarial loss beside feature matching, else the generator loss.
G_ADVERSARIAL_NAMES = ("g_loss_u", "g_loss_adversarial", "g_loss")

MESSAGES = {
    "health_d_at_chance": (
        "The discriminator cannot tell real from generated windows: its loss has stayed at "
        "chance (2 ln 2 = 1.386) and it labels half of each right. Unless the samples are "
        "already as good as the data (check with rgan.evaluate), it is not learning and the "
        "generator gets no signal: give it more capacity or a higher learning rate "
        "(config.model.*, config.optim.discriminator.*), or check that the data vary."
    ),
    "health_d_wins": (
        "The discriminator wins outright: it labels nearly every real and generated window "
        "right while the generator's loss climbs, so the generator's gradients vanish. "
        "Lower its learning rate or train.d_steps, or give the generator more capacity."
    ),
    "health_collapse": (
        "The generator is collapsing: generated windows vary across the batch far less than "
        "real ones (diversity ratio below {ratio}). Try a lower learning rate, a larger "
        "noise (config.model.noise_dim), or a discriminator that sees more of the batch."
    ),
}


def _at_chance(record: dict, chance_loss: float) -> bool | None:
    if "d_loss" not in record or "d_acc_real" not in record:
        return None
    accuracy = (record["d_acc_real"] + record["d_acc_fake"]) / 2
    return (
        abs(record["d_loss"] - chance_loss) < CHANCE_LOSS_TOLERANCE
        and abs(accuracy - 0.5) < CHANCE_ACCURACY_TOLERANCE
    )


def _wins(record: dict) -> bool | None:
    if "d_acc_real" not in record:
        return None
    return record["d_acc_real"] > WIN_ACCURACY and record["d_acc_fake"] > WIN_ACCURACY


def _generator_adversarial_loss(record: dict) -> float | None:
    for name in G_ADVERSARIAL_NAMES:
        if name in record:
            return record[name]
    return None


class HealthMonitor:
    """Flags the three failure modes in a stream of log records; warns once each."""

    def __init__(
        self,
        window: int = 5,
        *,
        chance_loss: float = CHANCE_LOSS,
        enabled: bool = True,
        label: str = "",
    ):
        """window: records a condition must hold for; chance_loss: the discriminator's loss
        when it cannot tell the two apart (that of the run's `gan.loss`: 2 ln 2 for the
        non-saturating loss, 2 for hinge, 0 for WGAN); label: names the model in the
        warnings (an ensemble's member, e.g. "member 3")."""
        if window < 2:
            raise ValueError(f"config.train.health_window must be >= 2; got {window}.")
        self.window = window
        self.enabled = enabled
        self.chance_loss = chance_loss
        self.label = label
        self._history: collections.deque = collections.deque(maxlen=window)
        self.warned: set[str] = set()
        self._best_diversity = 0.0  # the largest diversity ratio logged so far

    def replay(self, records) -> None:
        """Sees again the records (of the adversarial phase) that a resumed run keeps in
        metrics.jsonl, so that its checks go on as if it had not stopped (no warning
        repeats)."""
        for record in records:
            self._history.append(record)
            if "diversity_ratio" in record:
                self._best_diversity = max(self._best_diversity, record["diversity_ratio"])
            self.warned.update(name for name in MESSAGES if record.get(name) == 1.0)

    def update(self, step: int, record: dict) -> dict:
        """-> the health fields of `record` (0.0/1.0 each), warning when one first holds.

        record: a log record with the step metrics (`d_loss`, `d_acc_real`, `d_acc_fake`,
        a generator loss) and, where the trainer measured it, `diversity_ratio`.
        """
        self._history.append(record)
        full = len(self._history) == self.window
        records = list(self._history)
        flags = {
            "health_d_at_chance": full and all(_at_chance(r, self.chance_loss) for r in records),
            "health_d_wins": full and all(_wins(r) for r in records) and self._g_loss_climbs(),
            "health_collapse": full and all(self._collapsed(r) for r in records),
        }
        if "diversity_ratio" in record:
            self._best_diversity = max(self._best_diversity, record["diversity_ratio"])
        for name, holds in flags.items():
            if holds and name not in self.warned and self.enabled:
                self.warned.add(name)
                logging.warning(
                    "Training health, step %d%s: %s",
                    step,
                    f" ({self.label})" if self.label else "",
                    MESSAGES[name].format(ratio=COLLAPSE_RATIO),
                )
        return {name: float(holds) for name, holds in flags.items()}

    def _collapsed(self, record: dict) -> bool:
        """Generated windows (nearly) all alike, or far less varied than the generator
        already made them earlier in the run. An untrained generator's samples vary
        little too (ratio ~0.1 on Sines), and that is not a collapse."""
        ratio = record.get("diversity_ratio")
        if ratio is None:
            return False
        fell = self._best_diversity >= COLLAPSE_DIVERSE and (
            ratio < COLLAPSE_RATIO and ratio < COLLAPSE_FALL * self._best_diversity
        )
        return ratio < COLLAPSE_RATIO_ABSOLUTE or fell

    def _g_loss_climbs(self) -> bool:
        losses = [_generator_adversarial_loss(r) for r in self._history]
        if any(v is None for v in losses):
            return False
        return losses[-1] > losses[0]


def diversity_ratio(real, fake, real_mask=None, fake_mask=None) -> float:
    """Across-batch spread of generated windows relative to real ones.

    real, fake: [batch, time, features] in the training scale; masks [batch, time] (1 =
    real step) for variable-length data. -> mean over (step, feature) of the standard
    deviation across the batch of `fake`, divided by that of `real` (1 = as varied as the
    data; near 0 = every generated window alike). Padded steps are left out.
    """

    def spread(x, mask):
        x = np.asarray(x, np.float64)
        if mask is None:
            return float(x.std(axis=0).mean())
        w = np.asarray(mask, np.float64)[..., None]
        count = np.maximum(w.sum(0), 1.0)
        mean = (x * w).sum(0) / count
        var = (((x - mean) ** 2) * w).sum(0) / count
        valid = w.sum(0)[..., 0] > 1
        return float(np.sqrt(var)[valid].mean()) if valid.any() else 0.0

    return spread(fake, fake_mask) / max(spread(real, real_mask), 1e-8)
