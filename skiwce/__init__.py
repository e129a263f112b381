"""skiwce: incremental weighted cross entropy (IWCE) for class-imbalanced deep learning.

The public API:

- :class:`IWCEClassifier`, a scikit-learn classifier around a skorch net, and
  :class:`IWCEClassifierCV`, which chooses T by cross-validation, training all candidates as one
  stacked model;
- :class:`IWCELoss` and :class:`IncrementalClassWeights`, the loss and the epoch callback for any
  skorch ``NeuralNetClassifier``;
- :func:`compare`, IWCE against the baselines on the same splits and seeds;
- subpackages :mod:`skiwce.functional` (weights, schedules, loss), :mod:`skiwce.losses` (IWCE,
  focal, LDAM and logit-adjusted losses), :mod:`skiwce.models` (networks),
  :mod:`skiwce.datasets` (the paper's data, long-tail builders, offline data) and
  :mod:`skiwce.comparison` (baselines, comparison, plots).
"""

import importlib

from ._version import __version__

__all__ = [
    "IWCEClassifier",
    "IWCEClassifierCV",
    "IWCELoss",
    "IncrementalClassWeights",
    "__version__",
    "compare",
]

# The public names are imported on first use (PEP 562), so that ``import skiwce`` and the
# ``skiwce`` command start without torch; ``from skiwce import IWCEClassifier`` works as usual.
_LAZY = {
    "IWCEClassifier": "._classifier",
    "IWCEClassifierCV": "._classifier_cv",
    "IWCELoss": ".losses",
    "IncrementalClassWeights": ".callbacks",
    "compare": ".comparison",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
