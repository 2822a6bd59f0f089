"""Sample-quality metrics for generated windows, as the papers define them (README, "Evaluation").

Every function takes real and generated windows `[N, T, D]` in the training scale [0, 1]
and is pure: the same inputs and seed give the same number. The trained metrics
(discriminative, predictive, Context-FID) and the correlational score are one repeat per
call; report the mean and spread over seeds, as the papers do. The discriminative and
predictive scores also take `real_lengths`/`fake_lengths` ([N] ints) for variable-length
sequences padded to T; their GRUs then stop at each sequence's last step.

The plots need matplotlib (the [plots] extra); it is imported only when one is drawn.
"""

from rgan.metrics.conditional import label_accuracy
from rgan.metrics.context_fid import context_fid, frechet_distance
from rgan.metrics.correlation import correlational_score
from rgan.metrics.discriminative import discriminative_score
from rgan.metrics.mmd import mmd2
from rgan.metrics.plots import pca_plot, sample_grid_plot, tsne_plot
from rgan.metrics.predictive import predictive_score
from rgan.metrics.spread import feature_spread

__all__ = [
    "context_fid",
    "correlational_score",
    "discriminative_score",
    "feature_spread",
    "frechet_distance",
    "label_accuracy",
    "mmd2",
    "pca_plot",
    "predictive_score",
    "sample_grid_plot",
    "tsne_plot",
]
