"""skiwce: incremental weighted cross entropy (IWCE) for class-imbalanced deep learning.

The public API:

- :class:`IWCEClassifier`, a scikit-learn classifier around a skorch net;
- :class:`IWCELoss` and :class:`IncrementalClassWeights`, the loss and the epoch callback for any
  skorch ``NeuralNetClassifier``;
- :func:`compare`, IWCE against the baselines on the same splits and seeds;
- subpackages :mod:`skiwce.functional` (weights, schedules, loss), :mod:`skiwce.losses` (IWCE,
  focal, LDAM and logit-adjusted losses), :mod:`skiwce.models` (networks),
  :mod:`skiwce.datasets` (the paper's data, long-tail builders, offline data) and
  :mod:`skiwce.comparison` (baselines, comparison, plots).
"""

from ._classifier import IWCEClassifier
from ._version import __version__
from .callbacks import IncrementalClassWeights
from .comparison import compare
from .losses import IWCELoss

__all__ = [
    "IWCEClassifier",
    "IWCELoss",
    "IncrementalClassWeights",
    "__version__",
    "compare",
]
