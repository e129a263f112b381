"""skiwce: incremental weighted cross entropy (IWCE) for class-imbalanced deep learning.

The public API:

- :class:`IWCEClassifier`, a scikit-learn classifier around a skorch net;
- :class:`IWCELoss` and :class:`IncrementalClassWeights`, the loss and the epoch callback for any
  skorch ``NeuralNetClassifier``;
- :mod:`skiwce.functional` (weights, schedules, loss), :mod:`skiwce.models` (networks),
  :mod:`skiwce.losses` (IWCE, focal, LDAM and logit-adjusted losses).
"""

from ._classifier import IWCEClassifier
from ._version import __version__
from .callbacks import IncrementalClassWeights
from .losses import IWCELoss

__all__ = [
    "IWCEClassifier",
    "IWCELoss",
    "IncrementalClassWeights",
    "__version__",
]
