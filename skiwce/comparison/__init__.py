"""Compare IWCE with the baselines a reviewer asks for, on the same network and budget.

- :func:`make_method` / :func:`make_methods` build the methods of :data:`METHODS` (cross
  entropy, static and deferred re-weighting, focal, class-balanced, LDAM-DRW and
  logit-adjusted losses, SMOTE and random re-sampling before the same network, AdaBoost over
  trees and over the network, balanced random forests) as scikit-learn estimators, shown
  under the names of :data:`METHOD_NAMES`;
- :func:`compare` fits them on the same repeated stratified splits and seeds and returns a
  :class:`ComparisonResult`: a tidy table of runs, a summary, paired tests against a
  reference (:func:`paired_tests`: the corrected resampled t-test over repeated
  cross-validation, a paired t-test over the seeds of a fixed test split, Holm-corrected) and
  a Markdown table;
- :func:`compare_datasets` does it on several data sets and returns a :class:`SuiteResult`
  that also compares the methods across them: mean ranks and post-hoc tests
  (:func:`rank_methods`), the Friedman test (:func:`friedman_test`), Nemenyi's critical
  difference (:func:`critical_difference`, :func:`plot_critical_difference`);
- ``plot_*`` draw the schedule, the training curves and the results;
- :class:`ReshapingSampler` and :class:`Flatten` let 2-D-only samplers and models take series
  and images.
"""

from ._baselines import METHOD_NAMES, METHODS, AdaBoostNetClassifier, make_method, make_methods
from ._datasets import compare_dataset, compare_datasets
from ._metrics import METRICS
from ._plots import (
    plot_alpha,
    plot_confusion_matrices,
    plot_critical_difference,
    plot_loss_curves,
    plot_method_heatmap,
    plot_recall_by_method,
    plot_scores,
    plot_weight_history,
)
from ._result import ComparisonResult, SuiteResult
from ._runner import BudgetWarning, compare
from ._samplers import Flatten, ReshapingSampler
from ._stats import (
    FriedmanResult,
    critical_difference,
    friedman_test,
    holm,
    paired_tests,
    paired_wilcoxon,
    rank_methods,
)

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "METRICS",
    "AdaBoostNetClassifier",
    "BudgetWarning",
    "ComparisonResult",
    "Flatten",
    "FriedmanResult",
    "ReshapingSampler",
    "SuiteResult",
    "compare",
    "compare_dataset",
    "compare_datasets",
    "critical_difference",
    "friedman_test",
    "holm",
    "make_method",
    "make_methods",
    "paired_tests",
    "paired_wilcoxon",
    "plot_alpha",
    "plot_confusion_matrices",
    "plot_critical_difference",
    "plot_loss_curves",
    "plot_method_heatmap",
    "plot_recall_by_method",
    "plot_scores",
    "plot_weight_history",
    "rank_methods",
]
