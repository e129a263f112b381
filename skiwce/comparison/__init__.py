"""Compare IWCE with the baselines a reviewer asks for, on the same network and budget.

- :func:`make_method` / :func:`make_methods` build the methods of :data:`METHODS` (cross
  entropy, static and deferred re-weighting, focal, class-balanced, LDAM-DRW and
  logit-adjusted losses, SMOTE and random re-sampling before the same network, AdaBoost over
  trees and over the network, balanced random forests) as scikit-learn estimators;
- :func:`compare` fits them on the same repeated stratified splits and seeds and returns a
  :class:`ComparisonResult`: a tidy table of runs, a summary with paired Wilcoxon tests
  (:func:`paired_wilcoxon`) and a Markdown table;
- ``plot_*`` draw the schedule, the training curves and the results;
- :class:`ReshapingSampler` and :class:`Flatten` let 2-D-only samplers and models take series
  and images.
"""

from ._baselines import METHODS, AdaBoostNetClassifier, make_method, make_methods
from ._compare import METRICS, ComparisonResult, compare, compare_dataset
from ._plots import (
    plot_alpha,
    plot_confusion_matrices,
    plot_loss_curves,
    plot_method_heatmap,
    plot_recall_by_method,
    plot_scores,
    plot_weight_history,
)
from ._samplers import Flatten, ReshapingSampler
from ._stats import paired_wilcoxon

__all__ = [
    "METHODS",
    "METRICS",
    "AdaBoostNetClassifier",
    "ComparisonResult",
    "Flatten",
    "ReshapingSampler",
    "compare",
    "compare_dataset",
    "make_method",
    "make_methods",
    "paired_wilcoxon",
    "plot_alpha",
    "plot_confusion_matrices",
    "plot_loss_curves",
    "plot_method_heatmap",
    "plot_recall_by_method",
    "plot_scores",
    "plot_weight_history",
]
