"""Baselines as estimator factories: the same network and training budget as IWCE, so that a
difference in the results is the method's."""

import copy
from numbers import Integral

from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.ensemble import AdaBoostClassifier
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import Interval

from .._classifier import IWCEClassifier
from .._names import METHOD_NAMES, METHODS
from ._samplers import Flatten, ReshapingSampler

__all__ = ["METHODS", "METHOD_NAMES", "AdaBoostNetClassifier", "make_method", "make_methods"]


def display_name(method):
    """The name to show for a method: :data:`METHOD_NAMES`' entry, or the name itself."""
    return METHOD_NAMES.get(method, str(method))


# What each network method changes in IWCEClassifier; it overrides the shared settings.
_NET_METHODS = {
    "iwce": {},
    "ce": {"class_weight": None},
    "wce": {"class_weight": "balanced", "schedule": "constant"},
    "drw": {"class_weight": "balanced", "schedule": "step", "switch_epoch": None},
    "focal": {"criterion": "focal", "class_weight": None},
    "cb_focal": {
        "criterion": "focal",
        "class_weight": "effective_number",
        "beta": 0.999,
        "schedule": "constant",
    },
    "ldam_drw": {
        "criterion": "ldam",
        "class_weight": "effective_number",
        "beta": 0.9999,
        "schedule": "step",
        "switch_epoch": None,
    },
    "la_loss": {"criterion": "logit_adjusted", "class_weight": None},
    "la_posthoc": {"class_weight": None, "logit_adjustment": 1.0},
}
_SAMPLERS = {
    "smote": lambda: SMOTE(k_neighbors=5),
    "ros": RandomOverSampler,
    "rus": RandomUnderSampler,
}


def _check_common(common):
    valid = IWCEClassifier().get_params(deep=False)
    unknown = sorted(set(common) - set(valid))
    if unknown:
        raise ValueError(
            f"Unknown IWCEClassifier parameters {unknown}; valid parameters are {sorted(valid)}."
        )


def _check_name(name):
    if name not in METHODS:
        raise ValueError(f"Unknown method {name!r}; valid methods are {list(METHODS)}.")


def make_method(name, **common):
    """Build one method of the comparison as an unfitted scikit-learn estimator.

    Every network method is an :class:`~skiwce.IWCEClassifier` with the shared settings
    ``common`` (network, epochs, batch size, optimizer, learning rate, seed...) and only the
    method's defining parameters changed, so the methods differ in nothing else. The defining
    parameters override ``common``:

    ============  ==========================================================================
    name          estimator
    ============  ==========================================================================
    iwce          ``IWCEClassifier(**common)``: the exponential schedule to balanced weights
    ce            ``class_weight=None``
    wce           ``schedule="constant"`` (balanced weights from the first epoch)
    drw           ``schedule="step"``: balanced weights from 80 % of the epochs on
    focal         ``criterion="focal"`` (gamma 2), ``class_weight=None``
    cb_focal      ``criterion="focal"``, static effective-number weights, ``beta=0.999``
    ldam_drw      ``criterion="ldam"``, effective-number weights (``beta=0.9999``) from 80 %
                  of the epochs on
    la_loss       ``criterion="logit_adjusted"``, ``class_weight=None``
    la_posthoc    ``class_weight=None``, ``logit_adjustment=1.0``
    smote         ``ReshapingSampler(SMOTE(k_neighbors=5))`` then the ``ce`` network
    ros, rus      random over- / under-sampling of the rows, then the ``ce`` network
    adaboost_dt   ``Flatten`` then ``AdaBoostClassifier`` over depth-2 trees, 300 stages
    adaboost_net  :class:`AdaBoostNetClassifier` over the ``ce`` network, 10 warm-started
                  stages of ``max(1, max_epochs // 10)`` epochs each (so about
                  ``max_epochs`` in all when it is at least 10)
    brf           ``Flatten`` then imbalanced-learn's ``BalancedRandomForestClassifier``
    ============  ==========================================================================

    The resampling methods are :class:`imblearn.pipeline.Pipeline` objects with the steps
    ``"sampler"`` and ``"net"`` (an epoch is a pass over the resampled data, so over-sampling
    takes more optimiser steps per epoch and under-sampling fewer, as usual for these
    baselines); the tree methods scikit-learn pipelines with the steps
    ``"flatten"`` and ``"model"``, which use only ``random_state`` from ``common``. Change a
    method's own settings with ``set_params``, e.g.
    ``make_method("smote").set_params(sampler__sampler__k_neighbors=3)``.

    Each method sets only the parameters in its row, and these win over ``common``; anything
    else in ``common`` reaches every network method. Keep the loss-defining parameters
    (``criterion``, ``logit_adjustment``, ``schedule``, ``class_weight``) out of ``common``:
    ``common={"criterion": "focal"}``, say, would turn ``ce``, ``iwce`` and the resampling
    methods into focal-loss methods.

    Parameters
    ----------
    name : str
        One of :data:`METHODS`.
    **common : dict
        :class:`~skiwce.IWCEClassifier` parameters shared by all methods.

    Returns
    -------
    estimator : scikit-learn classifier (unfitted)

    Raises
    ------
    ValueError
        For an unknown method name or an unknown ``IWCEClassifier`` parameter.

    See Also
    --------
    make_methods : Several methods at once, as a dict.
    compare : Run them.

    Examples
    --------
    >>> from skiwce.comparison import make_method
    >>> make_method("wce", max_epochs=10, random_state=0)
    IWCEClassifier(max_epochs=10, random_state=0, schedule='constant')
    >>> list(make_method("smote", max_epochs=10).named_steps)
    ['sampler', 'net']
    """
    _check_name(name)
    _check_common(common)
    if name in _NET_METHODS:
        return IWCEClassifier(**{**common, **_NET_METHODS[name]})
    net = IWCEClassifier(**{**common, "class_weight": None})
    if name in _SAMPLERS:
        return ImbPipeline([("sampler", ReshapingSampler(_SAMPLERS[name]())), ("net", net)])
    if name == "adaboost_net":
        return AdaBoostNetClassifier(net, n_estimators=10, random_state=common.get("random_state"))
    random_state = common.get("random_state")
    if name == "adaboost_dt":
        model = AdaBoostClassifier(
            DecisionTreeClassifier(max_depth=2), n_estimators=300, random_state=random_state
        )
    else:  # "brf"
        model = BalancedRandomForestClassifier(
            n_estimators=100,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=random_state,
        )
    return Pipeline([("flatten", Flatten()), ("model", model)])


def make_methods(names=None, **common):
    """Build several methods with the same shared settings.

    Parameters
    ----------
    names : list of str or None, default=None
        Method names from :data:`METHODS`; None means all of them, in that order.
    **common : dict
        :class:`~skiwce.IWCEClassifier` parameters shared by all methods; see
        :func:`make_method`.

    Returns
    -------
    estimators : dict
        Method name to unfitted estimator, in the order of ``names``.

    Examples
    --------
    >>> from skiwce.comparison import make_methods
    >>> list(make_methods(["iwce", "ce"], max_epochs=5))
    ['iwce', 'ce']
    """
    names = list(METHODS) if names is None else list(names)
    for name in names:
        _check_name(name)
    if len(set(names)) != len(names):
        raise ValueError(f"names must not repeat a method; got {names}.")
    return {name: make_method(name, **common) for name in names}


class AdaBoostNetClassifier(AdaBoostClassifier):
    """AdaBoost (SAMME) over a neural network, trained through ``sample_weight``.

    scikit-learn's :class:`~sklearn.ensemble.AdaBoostClassifier` with two changes for networks:

    - the boosting weights, which sum to 1, are rescaled to mean 1 before they reach the
      network's loss, so the loss keeps the scale of plain cross entropy whatever the number of
      samples (the boosting itself is unchanged: it depends on the weights' ratios only);
    - with ``warm_start=True``, every stage after the first starts from a copy of the previous
      stage's trained network, as in AdaBoost-CNN (Taherkhani et al., 2020), and by default the
      stages share the network's epoch budget: each trains ``max(1, max_epochs // n_estimators)``
      epochs.

    Parameters
    ----------
    estimator : IWCEClassifier or None, default=None
        The network; None means ``IWCEClassifier(class_weight=None)`` (cross entropy). It must
        accept ``sample_weight``; warm starting needs an :class:`~skiwce.IWCEClassifier`.
    n_estimators : int, default=10
        Maximum number of stages.
    learning_rate : float, default=1.0
        Shrinks the stage weights, as in ``AdaBoostClassifier``.
    warm_start : bool, default=True
        Start each stage from the previous stage's network.
    stage_epochs : int or None, default=None
        Epochs of every stage. None: ``max(1, max_epochs // n_estimators)`` with
        ``warm_start``, else the estimator's ``max_epochs``.
    random_state : int, RandomState instance or None, default=None
        Seeds each stage's network.

    Attributes
    ----------
    estimators_ : list of IWCEClassifier
        The fitted stages.
    estimator_weights_, estimator_errors_, classes_, n_classes_
        As for ``AdaBoostClassifier``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skiwce import IWCEClassifier
    >>> from skiwce.comparison import AdaBoostNetClassifier
    >>> X, y = make_classification(n_samples=200, weights=[0.8], random_state=0)
    >>> net = IWCEClassifier(class_weight=None, max_epochs=6, random_state=0)
    >>> boost = AdaBoostNetClassifier(net, n_estimators=3, random_state=0).fit(X, y)
    >>> [stage.n_iter_ for stage in boost.estimators_]
    [2, 2, 2]
    """

    _parameter_constraints = {
        **AdaBoostClassifier._parameter_constraints,
        "warm_start": ["boolean"],
        "stage_epochs": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=10,
        learning_rate=1.0,
        warm_start=True,
        stage_epochs=None,
        random_state=None,
    ):
        super().__init__(
            estimator=estimator,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            random_state=random_state,
        )
        self.warm_start = warm_start
        self.stage_epochs = stage_epochs

    def _validate_estimator(self):
        super()._validate_estimator()
        if self.estimator is None:
            self.estimator_ = IWCEClassifier(class_weight=None)
        if self.warm_start and not isinstance(self.estimator_, IWCEClassifier):
            raise ValueError(
                "warm_start=True needs an IWCEClassifier as estimator; got "
                f"{type(self.estimator_).__name__}. Use warm_start=False for other estimators."
            )

    def _epochs(self):
        if self.stage_epochs is not None:
            return self.stage_epochs
        max_epochs = self.estimator_.get_params().get("max_epochs")
        if max_epochs == "auto":  # no inner search per stage: the fixed budget of "auto"
            from .._classifier import AUTO_DEFAULT_EPOCHS  # noqa: PLC0415

            max_epochs = AUTO_DEFAULT_EPOCHS
        if max_epochs is None:
            return None
        return max(1, max_epochs // self.n_estimators) if self.warm_start else max_epochs

    def _make_estimator(self, append=True, random_state=None):
        previous = self.estimators_[-1] if self.estimators_ else None
        estimator = super()._make_estimator(append=False, random_state=random_state)
        epochs = self._epochs()
        if epochs is not None:
            estimator.set_params(max_epochs=epochs)
        if self.warm_start and previous is not None:
            estimator.set_params(module=copy.deepcopy(previous.net_.module_), module_params=None)
        if append:
            self.estimators_.append(estimator)
        return estimator

    def _boost(self, iboost, X, y, sample_weight, random_state):
        # Mean-1 weights for the network's loss; SAMME depends on the weights' ratios only.
        n = len(sample_weight)
        sample_weight, weight, error = super()._boost(
            iboost, X, y, sample_weight * n, random_state
        )
        if sample_weight is not None:
            sample_weight = sample_weight / n
        return sample_weight, weight, error
