"""IWCEClassifier: a scikit-learn estimator that builds and owns a skorch net."""

import re
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import Callback, EarlyStopping, EpochScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn
from tqdm.auto import tqdm

from ._auto_rows import fit_ensemble
from ._fit_spec import (
    CRITERIA,
    OPTIMIZERS,
    fit_seeds,
    fit_spec,
    input_stats,
    split_rows,
    standardize_inputs,
    validation_fraction,
)
from ._front_end import (
    ROW_SPACE_RATIO,
    fit_front_end,
    has_fixed_front_end,
    linear_layer,
    row_space,
)
from ._net import BATCHINGS, PRECISIONS, IWCENet
from ._torch_utils import resolve_n_threads, seeded, torch_threads
from .callbacks import IncrementalClassWeights
from .functional import SCHEDULES, WEIGHT_STRATEGIES, check_class_weight, class_counts
from .models import MLP, MODULES

__all__ = ["IWCEClassifier"]

#: ``max_epochs="auto"``: the inner search runs where the rarest class has fewer training rows.
AUTO_SEARCH_BELOW = 100
#: ``max_epochs="auto"``: the epochs searched, and the epochs used without a search.
AUTO_EPOCHS = (10, 20, 50, 100)
AUTO_DEFAULT_EPOCHS = 100
#: ``max_epochs="auto"`` with a full-batch optimizer (L-BFGS): its epochs.
AUTO_FULL_BATCH_EPOCHS = 10
#: ``max_epochs="auto"``: hidden layers searched for the default network on rows (none: the
#: benchmark found the default width at a chosen budget better than a narrower or linear one).
AUTO_WIDTHS = ()
#: ``max_epochs="auto"``: searched epoch counts are raised to at least this many steps.
AUTO_MIN_STEPS = 100
#: ``max_epochs="auto"`` on rows without a search: at most this many optimizer steps (100
#: epochs of ``batch_size`` 64 up to 2 560 rows), but at least ``AUTO_MIN_CAPPED_EPOCHS`` epochs.
AUTO_MAX_STEPS = 4000
AUTO_MIN_CAPPED_EPOCHS = 20
# ``max_epochs="auto"`` and ``optimizer="auto"`` on rows with fewer than ``AUTO_SEARCH_BELOW``
# rows in the rarest class: an ensemble of MLPs trained by L-BFGS, chosen out of fold (the
# candidates' penalties and encodings are in skiwce/_auto_rows.py).

# Nested parameters set as ``<prefix>__<name>`` land in these dict parameters.
_ROUTED = {
    "module": "module_params",
    "criterion": "criterion_params",
    "optimizer": "optimizer_params",
}


def _is_mlp(module):
    """Whether ``module`` (the parameter) names or is the MLP, as ``"auto"`` is on rows."""
    if isinstance(module, str):
        return module in ("auto", "mlp")
    return isinstance(module, MLP) or (isinstance(module, type) and issubclass(module, MLP))


class _RoutedParamsMixin:
    """``get_params``/``set_params`` with the nested names ``module__x``, ``criterion__x`` and
    ``optimizer__x``, routed into the ``*_params`` dicts (shared by the two estimators)."""

    def get_params(self, deep=True):
        """Get parameters; with ``deep=True`` also the entries of ``module_params``,
        ``criterion_params`` and ``optimizer_params`` as ``module__x``, ``criterion__x`` and
        ``optimizer__x``, the names :meth:`set_params` takes.

        Parameters
        ----------
        deep : bool, default=True
            Include the routed names.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=deep)
        if deep:
            for prefix, attr in _ROUTED.items():
                if isinstance(params[attr], dict):  # (fit validates it; get_params never fails)
                    for name, value in params[attr].items():
                        params[f"{prefix}__{name}"] = value
        return params

    def set_params(self, **params):
        """Set parameters; ``module__x``, ``criterion__x`` and ``optimizer__x`` update the
        ``module_params``, ``criterion_params`` and ``optimizer_params`` dicts.

        Returns
        -------
        self : estimator
        """
        routed = {}
        for key in list(params):
            prefix, sep, name = key.partition("__")
            if sep and prefix in _ROUTED:
                routed.setdefault(_ROUTED[prefix], {})[name] = params.pop(key)
        super().set_params(**params)
        for attr, values in routed.items():
            setattr(self, attr, {**(getattr(self, attr) or {}), **values})
        return self


class _LogitPredictionsMixin:
    """The prediction methods of a classifier whose ``_logits(X)`` returns the network's
    logits (the fitted IWCEClassifier, a model of a stacked training), with its post-hoc
    ``logit_adjustment`` over the training prior ``class_counts_``."""

    def _adjust_logits(self, logits):
        if self.logit_adjustment:
            prior = np.maximum(self.class_counts_, 1) / self.class_counts_.sum()
            logits = logits - self.logit_adjustment * np.log(prior)
        return logits

    def decision_function(self, X):
        """The network's (adjusted) logits, in scikit-learn's shapes.

        ``predict`` is the argmax of these scores, ``predict_proba`` their softmax.

        Parameters
        ----------
        X : array-like of the shape seen in :meth:`fit`

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]`` against ``classes_[0]`` (positive
            means ``classes_[1]``), as scikit-learn's binary classifiers return; else one
            column per class in the order of ``classes_``.
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Class probabilities, the softmax of the network's (adjusted) logits.

        Parameters
        ----------
        X : array-like of the shape seen in :meth:`fit`

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of the shape seen in :meth:`fit`

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        logits = self._logits(X)
        return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of the shape seen in :meth:`fit`

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]


class IWCEClassifier(_RoutedParamsMixin, _LogitPredictionsMixin, ClassifierMixin, BaseEstimator):
    """Neural-network classifier trained with incremental weighted cross entropy (IWCE).

    Training starts as plain cross entropy and moves, epoch by epoch, to class-weighted cross
    entropy: at 0-based epoch ``e`` the class weights are ``w(e) = alpha(e) * BW + (1 - alpha(e))``
    with ``alpha(e) = min(1, exp((e - E_s) / T))``, ``BW`` the balanced weights
    ``n / (C * n_c)`` of the training data and ``E_s`` by default the last epoch
    ``max_epochs - 1``, where alpha is exactly 1. The loss is the plain mean over samples of
    ``-w_{y_j} log p_{y_j}``. ``T -> 0`` gives plain cross entropy until the last epoch;
    ``T = inf`` gives static weighted cross entropy; ``class_weight=None`` gives plain cross
    entropy.

    The estimator builds a skorch ``NeuralNetClassifier`` in :meth:`fit` (``net_``) with
    :class:`skiwce.IWCELoss` and :class:`skiwce.IncrementalClassWeights`; its history,
    ``net_.history``, holds ``alpha`` and ``class_weight`` for every epoch.

    Parameters
    ----------
    module : {"auto", "mlp", "cnn1d", "har", "resnet18", "minirocket"}, nn.Module class or \
            instance, default="auto"
        The network. ``"auto"`` picks :class:`~skiwce.models.MLP` for inputs
        ``(n, features)``, :class:`~skiwce.models.MiniRocket` (MiniRocket's random-kernel
        transform and a linear head) for ``(n, channels, length)`` and
        :class:`~skiwce.models.ResNet18` for ``(n, channels, height, width)``; the paper's
        series network is ``"har"``. A class is sized from the data through whichever of
        ``n_features``, ``in_channels``, ``input_length``, ``input_shape`` and ``n_classes`` its
        ``__init__`` accepts; an instance is copied and used as it is. It must return logits.
        A network with a fixed front end (``fit_features``, ``features`` and a ``head``, as
        MiniRocket has) gets its front end fitted on the training rows and their features
        computed once per fit; the epochs train the head on them, and ``net_.module_`` is the
        whole network afterwards.
    module_params : dict or None, default=None
        Keyword arguments of the network, e.g. ``{"hidden_layer_sizes": (64,)}``. Also settable
        one by one as ``module__<name>``, in ``set_params`` and in ``GridSearchCV`` grids.
    T : float, default=20.0
        Temperature of the exponential schedule, ``> 0``; ``inf`` is allowed.
    schedule : {"exponential", "step", "linear", "constant"} or callable, default="exponential"
        How alpha moves over the epochs; ``"step"`` with a switch epoch is deferred re-weighting
        (DRW); a callable takes ``(epoch, n_epochs)`` and returns alpha in ``[0, 1]``.
    switch_epoch : int, float or None, default=None
        The epoch ``E_s`` from which alpha is 1: an int below ``max_epochs``, or a float ``f``
        in ``[0, 1]``, the first epoch at or after ``f * (max_epochs - 1)``. None means the last
        epoch (0.8 for ``"step"``: epoch 160 of 200, as LDAM-DRW).
    class_weight : {"balanced", "effective_number"}, dict, array-like or None, \
            default="balanced"
        The target weights ``BW``: balanced ``n / (C * n_c)`` (the paper), class-balanced
        effective-number weights (Cui et al.), costs per label (dict) or per class in the order
        of ``classes_`` (array), or None for plain cross entropy (no weights, no schedule, no
        ``alpha`` in the history).
    beta : float, default=0.999
        Parameter of ``class_weight="effective_number"``.
    normalize : {"prior", "sum"} or None, default="prior"
        Rescaling of the weights at every epoch: ``"prior"`` keeps the expected weight of a
        training sample at 1 (balanced weights already do, so the loss keeps the scale of cross
        entropy); ``"sum"`` makes them sum to 1, the paper's literal reading; None leaves them.
    criterion : {"iwce", "focal", "ldam", "logit_adjusted"} or loss class, default="iwce"
        The loss. All take the scheduled class weights; ``"ldam"`` and ``"logit_adjusted"`` also
        get the training class counts (``class_counts``). Use ``class_weight=None`` for their
        unweighted forms. A custom class needs a ``weight`` buffer (unless
        ``class_weight=None``) and, for ``sample_weight``, a ``sample_weight`` argument in
        ``forward``, as :class:`skiwce.IWCELoss` subclasses have.
    criterion_params : dict or None, default=None
        Keyword arguments of the loss (e.g. ``{"gamma": 2.0}`` for focal loss), also settable as
        ``criterion__<name>``.
    logit_adjustment : float, default=0.0
        Post-hoc logit adjustment (Menon et al., 2021): :meth:`predict_proba` uses
        ``logits - logit_adjustment * log(prior)``; 0 leaves the logits unchanged. The
        per-epoch ``valid_bacc`` (and so early stopping) scores the unadjusted logits.
    standardize : bool, default=True
        Standardise the inputs inside the estimator: subtract the training data's mean and
        divide by its standard deviation, per feature for rows ``(n, features)`` and per
        channel (over the samples and positions) for series and images; a constant feature
        or channel (a deviation within float32 rounding of its mean) is only centred, whatever
        the data's scale (1e-7 or 1e7 alike). The statistics come from the rows the network
        trains on (after the validation split, unweighted) and are applied to every later input
        (``input_mean_``, ``input_scale_``). Measured over 12 tabular and 7 series data sets
        (``benchmarks/results/defaults_cpu.md``), standardising gained 1.8 points of balanced
        accuracy on the rows on average (wine 85.75 -> 98.85, breast cancer 91.31 -> 96.51) and
        changed the series little (+0.2). False feeds X as given (the paper's setting).
    max_epochs : int or "auto", default="auto"
        Number of epochs (``E + 1``), or ``"auto"``: the training budget is chosen from the data.
        On rows (2-D X) whose rarest class has fewer than ``AUTO_SEARCH_BELOW`` (100) training
        rows, where a long budget memorises a few dozen minority rows, the budget comes from
        cross-validation on the training rows (3 stratified folds, fewer if the rarest class
        has fewer than 3 rows). For the MLP with ``optimizer="auto"`` (the default on rows) the
        fit trains an *ensemble*: 10 candidates, the MLP solved by L-BFGS (10 epochs, full
        batch) with an L2 penalty ``weight_decay`` of 0.01, 0.03, 0.1 or 0.3 on the rows as
        they are, or of 0.03, 0.1 or 0.3 with one-hot quantile bins (8 per feature) or
        quadratic spline features (4 quantile knots) appended to the rows (not for sparse X);
        each candidate's out-of-fold probabilities, then greedy forward selection with
        replacement (Caruana et al., 2004; 15 rounds) choosing the members and their weights
        that minimise the log-loss weighted as the loss weighs the classes (balanced by default,
        the costs for a dict or array ``class_weight``); the members are refitted on all the
        rows and :meth:`predict_proba` is their weighted mean. That is 30 small fits one
        after the other, plus the members' refits. A ``weight_decay`` in
        ``optimizer_params`` trains one network with it, no ensemble; other
        ``optimizer_params`` keep Adam. Otherwise (Adam, another network) an inner
        :class:`IWCEClassifierCV` with this estimator's settings and T, scored by balanced
        accuracy (accuracy weighted by the costs for a user's ``class_weight``), searches
        ``max_epochs`` in ``AUTO_EPOCHS`` (10, 20, 50 and 100, each raised to at least
        ``AUTO_MIN_STEPS``, 100 optimizer steps, so a tiny data set still trains), trained as
        one stack of ragged runs, then trains the chosen budget on all the rows. Other rows (a
        rarest class of 100 rows or more) train 100 epochs of Adam, fewer on a large table: at
        most ``AUTO_MAX_STEPS`` (4 000) optimizer steps and at least 20 epochs (5 000 rows in
        batches of 64: 51 epochs). Series and images train 100 epochs (10 with a full-batch
        optimizer, as series' default head). What was chosen is in ``max_epochs_`` and
        ``budget_``, the cross-validation in ``budget_search_``, the ensemble in
        ``ensemble_``. What it gains against the peers, and what it costs, is in
        ``benchmarks/results/rows_cpu.md`` (the ensemble, over three repetitions of 5-fold
        cross-validation on 26 tables: 79.61 against the balanced random forest's 78.41,
        11.5 s a fit against the forest's 1.35 s); a ``GridSearchCV`` over this estimator
        pays it in every fit: give an int to turn it off. :meth:`partial_fit` and
        ``warm_start`` continuations use the epochs of the first fit (100 epochs of Adam for
        ``"auto"`` with ``partial_fit``; a warm start after an ensemble trains every member
        on).
    batch_size : int, default=64
        Mini-batch size.
    lr : float, default=1e-3
        Learning rate. For :class:`~skiwce.models.HARNet` on series (``module="har"``)
        ``lr=3e-3`` did better in ``benchmarks/results/defaults_cpu.md`` (+5.6 points
        of balanced accuracy over 7 series data sets, most on the small ones), while on rows
        it did worse (-0.6), so the default stays one learning rate for every network.
    optimizer : {"auto", "adam", "adamw", "sgd", "adagrad", "rmsprop", "lbfgs"} or \
            torch.optim.Optimizer class, default="auto"
        The optimizer. ``"lbfgs"`` is full-batch L-BFGS with a strong-Wolfe line search and
        an L2 penalty ``weight_decay`` on the weights (not the biases), 0 unless
        ``optimizer_params`` sets it: every epoch is one L-BFGS step of up to ``max_iter``
        (10) iterations on the whole training set. As with scikit-learn's
        ``MLPClassifier(solver="lbfgs")``, ``batch_size`` and ``lr`` do not apply to it (the
        line search sets each step; ``optimizer_params={"lr": ...}`` scales its first trial
        step, 1 by default); any ``torch.optim.LBFGS`` class trains full batch too.
        ``"auto"`` is ``"adam"``, except for a network with a fixed front end
        (``module="minirocket"``, the default for series), whose linear head, a convex problem
        on fixed features, trains with ``"lbfgs"`` and ``weight_decay=0.01`` (unless
        ``optimizer_params`` sets it) for 10 epochs under ``max_epochs="auto"`` (where the
        rows are far fewer than the features it trains in their coordinates: the same model,
        faster). On ``benchmarks/series.py``'s 15 sets that head scored 81.71 on average
        against 80.73 for 100 epochs of Adam (MiniRocket: 79.34), fitting in 1.7 times
        MiniRocket's median time against 4.1 (``benchmarks/results/series_cpu.md``). On rows,
        ``"auto"`` is L-BFGS for the MLP where ``max_epochs="auto"`` builds its ensemble of
        penalised networks (fewer than 100 rows in the rarest class, see ``max_epochs``),
        Adam elsewhere: a fixed penalty does not suit every table (one that suits 300 rows
        underfits 2 200), and on the largest nonlinear table of ``rows_cpu.md`` (2 200 rows)
        L-BFGS with a fixed penalty reached 71.4 at best against 89.0 for Adam.
    optimizer_params : dict or None, default=None
        Keyword arguments of the optimizer (e.g. ``{"momentum": 0.9}``), also settable as
        ``optimizer__<name>``.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra callbacks, e.g. ``skorch.callbacks.LRScheduler``; they are cloned at each fit.
        There is no validation split unless ``validation_fraction`` is set (or
        ``early_stopping=True``), unlike skorch's default: a callback that monitors a
        ``valid_*`` key (skorch's ``EarlyStopping()`` and ``Checkpoint()`` watch
        ``valid_loss``) is an error at the start of :meth:`fit` without one. Monitor
        ``"valid_bacc"`` (balanced accuracy, ``lower_is_better=False``) rather than the
        weighted ``valid_loss``. A callback that stops training before alpha reaches 1 (the
        weights their target) warns: the model is then close to plain cross entropy;
        ``early_stopping=True`` avoids it.
    validation_fraction : float or None, default=None
        Fraction of the training data held out (stratified) to score balanced accuracy every
        epoch (``valid_bacc`` in the history). The class weights are computed on the rest.
    early_stopping : bool, default=False
        Stop when ``valid_bacc`` has not improved for ``n_iter_no_change`` epochs and restore the
        best epoch's parameters. Uses ``validation_fraction`` (0.1 if None). It watches balanced
        accuracy, never the weighted validation loss, whose meaning moves with alpha, and only
        epochs whose weights reached their target (alpha = 1): from the switch epoch on. With
        the default exponential schedule that is the last epoch, so to stop early set
        ``switch_epoch`` (e.g. 0.5) or use ``schedule="step"`` or ``"constant"``.
    n_iter_no_change : int, default=10
        Patience of early stopping.
    warm_start : bool, default=False
        With a fitted model, :meth:`fit` trains the same network (weights, optimizer state,
        history) for ``max_epochs`` more epochs instead of a new one. The schedule continues
        where it was: it is laid over the first fit's ``max_epochs``, so the further epochs
        keep alpha = 1 (the target weights). Other parameters changed since the first fit do
        not reach the network; ``classes_`` and the sample shape must stay the same.
    batching : {"tensor", "dataloader"}, default="tensor"
        ``"tensor"`` makes tensors once per fit and slices batches from them (fast);
        ``"dataloader"`` uses skorch's DataLoader. Both draw the same random numbers and batches,
        so on a CPU they give the same result (tested). If the number of training samples is 1
        more than a multiple of ``batch_size``, that last one-sample batch is dropped each epoch
        (BatchNorm cannot train on it).
    precision : {"auto", "32", "bf16"}, default="auto"
        ``"bf16"`` runs the network under bfloat16 autocast (the loss and the returned
        probabilities stay fp32); ``"auto"`` uses it on CUDA devices that support it and fp32
        elsewhere.
    channels_last : "auto" or bool, default="auto"
        Keep image batches and the network in channels-last memory layout; ``"auto"`` does so
        for 4-D inputs on CUDA.
    compile : bool, default=False
        Compile the network (not the loss, whose weights change every epoch) with
        ``torch.compile``; pays off for long runs on a GPU.
    device : str or torch.device, default="cpu"
        Where to train, e.g. ``"cuda"``.
    n_threads : int, "auto" or None, default="auto"
        Torch's intra-op CPU threads during :meth:`fit` and prediction, restored afterwards;
        None leaves torch's setting. ``"auto"`` uses 1 thread for networks below 1e9
        multiply-accumulates per training batch (the MLP and the 1-D networks on tables and
        series, narrow ResNets on small images) and torch's setting above (ResNet-18 of the
        default width on images); on a GPU it leaves torch's setting. Measured on a 2-core
        CPU (``benchmarks/threads.py``): with the cores idle, 2 threads made the small networks'
        steps 1.0 to 1.7 times faster, but with one other busy process 1.25 to 2.8 times slower;
        the large ones gained 1.6 to 1.8 times when idle and lost 1.25 to 2 times when busy.
        On a shared machine, set ``n_threads=1`` for those too. The setting is process-wide:
        don't run fits in several threads of one process. The choice is ``n_threads_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, dropout and the validation split. The
        caller's torch random state (CPU, and the fit's CUDA device) is restored after the fit.
        Runs are bit-identical on a CPU; fits in several threads of one process share torch's
        generator and are not reproducible (use processes).
    verbose : int, default=0
        0: silent. 1: a progress bar over the epochs (tqdm, on standard error) with the last
        training loss, alpha and ``valid_bacc``; a widget in notebooks, and no bar but a last
        line when standard error is not a terminal (a log file). 2 or more: skorch's epoch table
        on standard output, without colour codes when that is not a terminal.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    input_mean_, input_scale_ : ndarray of float32 or None
        The standardisation (``standardize=True``): per feature, shape ``(n_features,)``, for
        rows; per channel, shape ``(channels,)``, for series and images. None with
        ``standardize=False``.
    n_features_in_ : int
        Number of features (the size of the second axis of ``X``).
    input_shape_ : tuple of int
        Shape of one sample, ``X.shape[1:]``.
    class_counts_ : ndarray of shape (n_classes,)
        Training samples per class (after the validation split, if any), from which the target
        weights are computed. With ``sample_weight``, the sum of each class's sample weights
        after their rescaling to mean 1 (floats), as scikit-learn counts classes for
        ``class_weight="balanced"``.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net; ``net_.history`` holds the per-epoch log, ``net_.module_`` the
        network. With an ensemble (``ensemble_``), the heaviest member's net, whose inputs
        are that member's (the standardised rows, with its encoding appended). Its
        ``train_split`` is None after the fit, so that the fitted model holds no training (or
        validation) rows; give it a split to train it further with a validation set.
    max_epochs_ : int
        The epochs of the schedule: ``max_epochs``, or what ``"auto"`` chose.
    budget_ : dict or None
        With ``max_epochs="auto"``, what was chosen: ``{"max_epochs": ...}``; with
        ``optimizer="auto"`` choosing L-BFGS for the MLP, also ``"optimizer": "lbfgs"`` and
        ``"ensemble"``, the members heaviest first, each
        ``{"encoding": None | "bins" | "splines", "weight_decay": ..., "weight": ...}``;
        where the width was searched, ``"module__hidden_layer_sizes"``. None for an int
        ``max_epochs``.
    budget_search_ : dict or None
        The cross-validation behind ``budget_`` in GridSearchCV's ``cv_results_`` layout, or
        None where none ran: the inner search's, or for the ensemble each candidate's
        (``params``, ``param_encoding``, ``param_weight_decay``), its negated weighted
        log-loss per fold (``split<k>_test_score``, as scikit-learn's ``neg_log_loss``),
        their mean, spread and rank, and ``ensemble_weight``.
    ensemble_ : list of (float, object) or None
        The ensemble's ``(weight, member)`` pairs, heaviest first, where ``max_epochs="auto"``
        built one; a member's ``estimator`` is a fitted :class:`IWCEClassifier` (on the rows
        with its ``encoding`` appended). None otherwise.
    n_iter_ : int
        Number of epochs run; an epoch interrupted part-way (see ``interrupted_``) counts.
    n_threads_ : int or None
        The torch threads of the fit and of predictions: ``n_threads`` with ``"auto"``
        resolved; None means torch's setting.
    interrupted_ : bool
        Whether training was stopped by ``KeyboardInterrupt`` (Ctrl-C). As in skorch, the fit
        then returns with the parameters of the last completed batch, and warns; inside a
        ``GridSearchCV`` each Ctrl-C therefore ends one fit, not the search.

    See Also
    --------
    skiwce.IncrementalClassWeights : The schedule as a callback for your own skorch net.
    skiwce.IWCELoss : The loss module.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skiwce import IWCEClassifier
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> clf = IWCEClassifier(T=5.0, max_epochs=20, random_state=0).fit(X, y)
    >>> clf.predict(X[:5])
    array([1, 0, 0, 0, 0])
    >>> clf.net_.history[-1, "alpha"]
    1.0
    """

    _parameter_constraints = {
        "module": [StrOptions({"auto", *MODULES}), nn.Module, type],
        "module_params": [dict, None],
        "T": [Interval(Real, 0, None, closed="neither"), Options(Real, {np.inf})],
        "schedule": [StrOptions(set(SCHEDULES)), callable],
        "switch_epoch": [
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, 1, closed="both"),
            None,
        ],
        "class_weight": [StrOptions(set(WEIGHT_STRATEGIES)), dict, "array-like", None],
        "beta": [Interval(Real, 0, 1, closed="left")],
        "normalize": [StrOptions({"prior", "sum"}), None],
        "criterion": [StrOptions(set(CRITERIA)), type],
        "criterion_params": [dict, None],
        "logit_adjustment": [Interval(Real, None, None, closed="neither")],
        "standardize": ["boolean"],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions({"auto", *OPTIMIZERS}), type],
        "optimizer_params": [dict, None],
        "callbacks": [list, None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "batching": [StrOptions(set(BATCHINGS))],
        "precision": [StrOptions(set(PRECISIONS))],
        "channels_last": [StrOptions({"auto"}), "boolean"],
        "compile": ["boolean"],
        "device": [str, torch.device],
        "n_threads": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module="auto",
        module_params=None,
        *,
        T=20.0,
        schedule="exponential",
        switch_epoch=None,
        class_weight="balanced",
        beta=0.999,
        normalize="prior",
        criterion="iwce",
        criterion_params=None,
        logit_adjustment=0.0,
        standardize=True,
        max_epochs="auto",
        batch_size=64,
        lr=1e-3,
        optimizer="auto",
        optimizer_params=None,
        callbacks=None,
        validation_fraction=None,
        early_stopping=False,
        n_iter_no_change=10,
        warm_start=False,
        batching="tensor",
        precision="auto",
        channels_last="auto",
        compile=False,
        device="cpu",
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.module_params = module_params
        self.T = T
        self.schedule = schedule
        self.switch_epoch = switch_epoch
        self.class_weight = class_weight
        self.beta = beta
        self.normalize = normalize
        self.criterion = criterion
        self.criterion_params = criterion_params
        self.logit_adjustment = logit_adjustment
        self.standardize = standardize
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.callbacks = callbacks
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.batching = batching
        self.precision = precision
        self.channels_last = channels_last
        self.compile = compile
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = True  # densified per batch (see fit)
        return tags

    # -- building blocks ----------------------------------------------------------------------

    def _callbacks(self, cost, n_classes, has_valid):
        callbacks = []
        if self.class_weight is not None:
            weights = IncrementalClassWeights(
                T=self.T,
                schedule=self.schedule,
                switch_epoch=self.switch_epoch,
                class_weight=cost,
                beta=self.beta,
                normalize=self.normalize,
                classes=np.arange(n_classes),
            )
            callbacks.append(("iwce", weights))
        if has_valid:
            callbacks.append(
                (
                    "valid_bacc",
                    EpochScoring("balanced_accuracy", lower_is_better=False, name="valid_bacc"),
                )
            )
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    _EarlyStoppingAtTarget(
                        monitor="valid_bacc",
                        lower_is_better=False,
                        patience=self.n_iter_no_change,
                        load_best=True,
                        sink=print if self.verbose else _silent,
                    ),
                )
            )
        if self.verbose == 1:
            callbacks.append(("progress", EpochProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            name, cb = cb if isinstance(cb, tuple) else (f"user_{i}", cb)
            if not has_valid:
                _check_needs_no_validation(i, cb)
            callbacks.append((name, clone(cb)))
        return callbacks

    # -- fit / predict ------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, channels, length) or \
                (n_samples, channels, height, width), or sparse matrix
            Training inputs; copied to float32, never modified. A scipy sparse matrix (rows
            of features; CSR or CSC, other formats are converted) stays sparse: the copy is a
            float32 CSR matrix (about 8 bytes per stored value), the standardisation
            statistics are computed without making it dense, and each mini-batch is made
            dense (and standardised) when it is sliced, so at most ``batch_size x
            n_features`` float32 values are dense at a time, in training and prediction.
            The stacked engine (:class:`~skiwce.IWCEClassifierCV`, ``compare``'s stacks)
            takes dense arrays only.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights multiplying each sample's loss (e.g. from AdaBoost).
            They are rescaled to mean 1 on the training data, so only their ratios matter:
            AdaBoost's weights, which sum to 1, do not shrink the loss and the gradients. The
            class counts behind the target weights are weighted too (``class_counts_``). On a
            validation split whose weights are all 0 the validation loss is unweighted, with a
            warning.

        Returns
        -------
        self : IWCEClassifier
        """
        if self.warm_start and hasattr(self, "net_"):
            return self._continue(X, y, sample_weight, epochs=self.max_epochs_)
        return self._train_new(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one more epoch on ``X, y``.

        The first call builds the network and needs ``classes``, every label of the problem;
        later calls continue its training (weights, optimizer state, history). The schedule is
        laid over ``max_epochs`` epochs, counted over all the calls (and any :meth:`fit` before
        them): call ``k`` (0-based) trains with ``alpha(k)``, and calls after the
        ``max_epochs``-th keep alpha = 1. The balanced target weights come from the class counts
        of each call's data, so pass the whole training set, or chunks with its class
        proportions. With the whole data at every call, ``max_epochs`` calls give the same
        network as one :meth:`fit` of a network without dropout (tested). Early stopping
        counts within one call. With ``standardize=True`` the statistics come from the first
        call's training rows and stay for every later call (``input_mean_``,
        ``input_scale_``), as the network's first layer has learnt on them: give the first call
        representative data (a first call of one row only centres, with every scale 1).

        Parameters
        ----------
        X : array-like of the sample shape of the first call
        y : array-like of shape (n_samples,)
            Labels, all among ``classes`` (a call may lack some of them).
        classes : array-like or None, default=None
            All the labels; needed on the first call, optional (and checked) afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            As for :meth:`fit`.

        Returns
        -------
        self : IWCEClassifier
        """
        if hasattr(self, "net_"):
            return self._continue(X, y, sample_weight, epochs=1, classes=classes)
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every label of the "
                "problem, e.g. classes=np.unique(y_all)."
            )
        return self._train_new(X, y, sample_weight, epochs=1, classes=classes)

    def _train_new(self, X, y, sample_weight, *, epochs=None, classes=None):
        """Build a network and train it (``epochs`` epochs; None: ``max_epochs``)."""
        X, y, classes, sample_weight = self._check_fit_data(
            X, y, sample_weight, classes, accept_sparse=True
        )
        torch_seed, shuffle_seed, split_seed = fit_seeds(self.random_state)
        params, budget, search = self._budget(X, y, classes, sample_weight, epochs, split_seed)
        if budget is not None and "ensemble" in budget:
            return self._train_ensemble(X, y, classes, sample_weight, params, budget, split_seed)
        spec = fit_spec(params, X.shape[1:], classes)
        n_classes = spec.n_classes
        n_threads = self._n_threads(spec)

        (X_train, y_train, sw_train), valid = self._split(X, y, sample_weight, split_seed)
        stats = input_stats(X_train) if self.standardize else None
        X_train = _standardize_split(X_train, valid, stats)
        counts = class_counts(y_train, n_classes, sample_weight=sw_train)
        # (a user's instance is copied: their module is never trained)
        module = spec.build_module() if isinstance(spec.module, nn.Module) else spec.module
        module_kwargs = spec.module_kwargs
        network = basis = None
        if has_fixed_front_end(spec.module):
            # features once per fit; the net trains the head (see skiwce/_front_end.py)
            network, X_train, valid = _front_end_features(
                spec.module, spec.module_kwargs, X_train, valid, torch_seed, self.device
            )
            module, module_kwargs = network.head, {}
            if spec.full_batch and linear_layer(network.head) is not None:
                module, X_train, valid, basis = _linear_head_problem(network, X_train, valid)
        net = self._build_net(
            module=(module, module_kwargs),
            criterion=spec.criterion_for(counts),
            optimizer=(spec.optimizer, spec.optimizer_kwargs),
            callbacks=self._callbacks(spec.cost, n_classes, valid is not None),
            n_classes=n_classes,
            valid=valid,
            n_train=len(y_train),
            sample_ndim=X.ndim - 1,
            shuffle_seed=shuffle_seed,
            max_epochs=params["max_epochs"],
            batch_size=max(len(y_train), 1) if spec.full_batch else self.batch_size,
        )
        with seeded(torch_seed, self.device), torch_threads(n_threads):
            net.fit(self._net_input(X_train, sw_train), y_train, epochs=epochs)
        # skorch's predefined split holds the validation rows: a fitted model carries no data.
        net.train_split = None
        if network is not None:
            if basis is not None:  # the head trained in the row space: its weights in full
                _set_linear_head(network, net.module_, basis)
            net.module_ = network.eval()  # the fitted front end with the trained head
            if basis is not None:  # further epochs train the whole network's head
                net.initialize_optimizer()

        self.classes_ = classes
        self.input_shape_ = tuple(X.shape[1:])
        self.input_mean_, self.input_scale_ = (None, None) if stats is None else stats
        self.n_threads_ = n_threads
        self.max_epochs_ = params["max_epochs"]
        self.budget_ = budget
        self.budget_search_ = search
        self.ensemble_ = None
        self.net_ = net
        return self._after_training(counts)

    def _train_ensemble(self, X, y, classes, sample_weight, params, budget, seed):
        """``max_epochs="auto"`` on rows with few minority rows: the ensemble of MLPs chosen
        out of fold (skiwce/_auto_rows.py), its members refitted on all the rows."""
        n_classes = len(classes)
        counts = class_counts(y, n_classes, sample_weight=sample_weight)
        costs = check_class_weight(self.class_weight, classes)
        # the log-loss the selection minimises weighs the classes as the loss does
        if isinstance(costs, np.ndarray):
            per_class = costs
        elif costs is None:
            per_class = np.ones(n_classes)
        else:  # balanced, on the (sample-weighted) class counts
            per_class = 1.0 / np.maximum(counts, np.finfo(np.float64).tiny)
        row_weights = per_class[y] * (1.0 if sample_weight is None else sample_weight)
        optimizer_params = dict(self.optimizer_params or {})
        member_params = {
            **params,
            "logit_adjustment": 0.0,  # applied once, to the ensemble's probabilities
            "warm_start": False,
            "verbose": 0,
            "random_state": seed,
        }

        def make(weight_decay):
            return type(self)(
                **{
                    **member_params,
                    "optimizer_params": {**optimizer_params, "weight_decay": weight_decay},
                }
            )

        members, weights, search = fit_ensemble(make, X, y, sample_weight, row_weights, seed)
        budget["ensemble"] = [
            {
                "encoding": m.encoding,
                "weight_decay": m.estimator.optimizer_params["weight_decay"],
                "weight": float(w),
            }
            for m, w in zip(members, weights, strict=True)
        ]
        heaviest = members[0].estimator
        self.classes_ = classes
        self.input_shape_ = tuple(X.shape[1:])
        stats = input_stats(X) if self.standardize else None  # of the rows; members have their own
        self.input_mean_, self.input_scale_ = (None, None) if stats is None else stats
        self.n_threads_ = heaviest.n_threads_
        self.max_epochs_ = params["max_epochs"]
        self.budget_ = budget
        self.budget_search_ = search
        self.ensemble_ = list(zip(weights.tolist(), members, strict=True))
        self.net_ = heaviest.net_
        return self._after_training(counts)

    def _budget(self, X, y, classes, sample_weight, epochs, seed):
        """The parameters of this fit with ``max_epochs="auto"`` (and, on few minority rows,
        ``optimizer="auto"``) resolved: ``(params, budget, search)``, ``budget`` the chosen
        values (None if ``max_epochs`` is an int) and ``search`` the inner search's
        ``cv_results_`` (None if none ran)."""
        params = self.get_params(deep=False)
        if self.max_epochs != "auto":
            return params, None, None
        params["max_epochs"] = AUTO_DEFAULT_EPOCHS
        if epochs is None and fit_spec(params, X.shape[1:], classes).full_batch:
            # L-BFGS converges in a few full-batch steps (series' default head)
            params["max_epochs"] = AUTO_FULL_BATCH_EPOCHS
            return params, {"max_epochs": AUTO_FULL_BATCH_EPOCHS}, None
        counts = np.bincount(y, minlength=len(classes))
        rarest = int(counts.min())
        if epochs is not None or X.ndim != 2:
            # partial_fit (one epoch at a time), series and images (measured with their own
            # defaults): the fixed budget
            return params, {"max_epochs": AUTO_DEFAULT_EPOCHS}, None
        if rarest >= AUTO_SEARCH_BELOW or rarest < 2:
            # rows where the budget matters little, or a class too rare to cross-validate: the
            # fixed budget, at most AUTO_MAX_STEPS optimizer steps on a large table
            steps = -(-len(y) // self.batch_size)  # per epoch
            capped = max(AUTO_MIN_CAPPED_EPOCHS, -(-AUTO_MAX_STEPS // steps))
            params["max_epochs"] = min(AUTO_DEFAULT_EPOCHS, capped)
            return params, {"max_epochs": params["max_epochs"]}, None
        from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415

        from ._classifier_cv import IWCEClassifierCV  # noqa: PLC0415 - it builds on this class

        optimizer_params = dict(self.optimizer_params or {})
        fixed = {}
        if (
            self.optimizer == "auto"
            and _is_mlp(self.module)
            and set(optimizer_params) <= {"weight_decay"}  # other settings are for Adam
        ):
            # few minority rows: the MLP solved by L-BFGS, its L2 penalty searched (unless set)
            params["optimizer"] = fixed["optimizer"] = "lbfgs"
            params["max_epochs"] = fixed["max_epochs"] = AUTO_FULL_BATCH_EPOCHS
            if "weight_decay" in optimizer_params:
                return params, fixed, None
            return params, {**fixed, "ensemble": None}, None
        else:
            steps = -(-int(len(y) * 2 / 3) // self.batch_size)  # per epoch, on an inner fold
            epochs_grid = {max(e, -(-AUTO_MIN_STEPS // steps)) for e in AUTO_EPOCHS}
            grid = {"max_epochs": sorted(epochs_grid)}
        module_params = dict(self.module_params or {})
        if (
            AUTO_WIDTHS
            and self.module == "auto"
            and X.ndim == 2
            and "hidden_layer_sizes" not in module_params
        ):
            grid["module__hidden_layer_sizes"] = list(AUTO_WIDTHS)
        inner = {k: v for k, v in params.items() if k not in ("T", "warm_start", "max_epochs")}
        inner["verbose"] = 0
        costs = check_class_weight(self.class_weight, classes)
        scoring = "balanced_accuracy"
        if isinstance(costs, np.ndarray):  # the user's costs: what they want predictions to follow
            scoring = _CostWeightedAccuracy(
                dict(zip(classes.tolist(), costs.tolist(), strict=True))
            )
        search = IWCEClassifierCV(
            Ts=[self.T],
            param_grid=grid,
            cv=StratifiedKFold(min(3, rarest), shuffle=True, random_state=seed),
            scoring=scoring,
            refit=False,
            max_epochs=params["max_epochs"],
            **inner,
        )
        search.fit(X, classes[y], sample_weight=sample_weight)
        budget = {**fixed, **{k: v for k, v in search.best_params_.items() if k != "T"}}
        params["max_epochs"] = budget["max_epochs"]
        if "optimizer__weight_decay" in budget:
            params["optimizer_params"] = {
                **optimizer_params,
                "weight_decay": budget["optimizer__weight_decay"],
            }
        if "module__hidden_layer_sizes" in budget:
            width = budget["module__hidden_layer_sizes"]
            params["module_params"] = {**module_params, "hidden_layer_sizes": width}
        return params, budget, search.cv_results_

    def _continue(self, X, y, sample_weight, *, epochs, classes=None):
        """Train the fitted network ``epochs`` more epochs (warm start, partial_fit)."""
        check_is_fitted(self)
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differ from the classes of the first "
                f"fit, {self.classes_.tolist()}."
            )
        X, y, _, sample_weight = self._check_fit_data(
            X, y, sample_weight, self.classes_, reset=False, accept_sparse=True
        )
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but {type(self).__name__} was "
                f"fitted on samples of shape {self.input_shape_}."
            )
        if getattr(self, "ensemble_", None):  # every member trains on
            for _, member in self.ensemble_:
                member.continue_(X, y, sample_weight, epochs)
            counts = class_counts(y, len(self.classes_), sample_weight=sample_weight)
            return self._after_training(counts)
        net = self.net_
        # Seeds of this continuation: from random_state and the epochs done, so that the calls
        # of one run differ from each other and a run repeats exactly.
        base = fit_seeds(self.random_state)
        torch_seed, _, split_seed = ((s + 7919 * len(net.history)) % (2**31 - 1) for s in base)
        (X_train, y_train, sw_train), valid = self._split(X, y, sample_weight, split_seed)
        X_train = _standardize_split(X_train, valid, self._input_stats())
        counts = class_counts(y_train, len(self.classes_), sample_weight=sw_train)
        net.train_split = None if valid is None else predefined_split(valid)
        # (attributes, as skorch keeps them: set_params would try to re-initialize)
        if isinstance(net.optimizer_, torch.optim.LBFGS):  # full batch: all of this call's rows
            net.batch_size = max(len(y_train), 1)
        net.iterator_train__drop_last = len(y_train) % net.batch_size == 1 and len(y_train) > 1
        try:
            with seeded(torch_seed, self.device), torch_threads(self.n_threads_):
                net.partial_fit(self._net_input(X_train, sw_train), y_train, epochs=epochs)
        finally:
            net.train_split = None
        return self._after_training(counts)

    def _after_training(self, counts):
        net = self.net_
        self.class_counts_ = counts
        self.n_iter_ = len(net.history)
        self.interrupted_ = bool(getattr(net, "interrupted_", False))
        self._warn_if_diverged_or_interrupted()
        _warn_if_stopped_before_target(net)
        return self

    def _n_threads(self, spec):
        """The thread count of the fit: ``n_threads``, with ``"auto"`` resolved (see there)."""
        if self.n_threads != "auto" or torch.device(self.device).type != "cpu":
            return resolve_n_threads(self.n_threads, self.device, None, spec.sample_shape, 0)
        with torch.random.fork_rng(devices=[]):  # building a network draws random weights
            instance = spec.build_module()
        sample_shape = spec.sample_shape
        if has_fixed_front_end(instance):  # the loop trains the head, on features
            instance, sample_shape = instance.head, (instance.n_features_out,)
        return resolve_n_threads("auto", self.device, instance, sample_shape, self.batch_size)

    def _check_fit_data(self, X, y, sample_weight, classes=None, reset=True, accept_sparse=False):
        """Validated inputs: X as a float32 copy (a CSR matrix for sparse X, with
        ``accept_sparse``), y encoded as int64 indices into ``classes`` (by default the labels
        of y)."""
        if not reset:
            self._check_sample_ndim(X)
        X, y = validate_data(
            self,
            X,
            y,
            allow_nd=True,
            dtype="numeric",
            reset=reset,
            accept_sparse=_SPARSE_FORMATS if accept_sparse else False,
        )
        if y.dtype == object and len({isinstance(label, str) for label in y}) > 1:
            raise ValueError("Mix of label input types (string and number) in y.")
        check_classification_targets(y)
        if classes is None:
            classes, y_enc = np.unique(y, return_inverse=True)
        else:
            classes = np.unique(classes)
            unseen = np.setdiff1d(np.unique(y), classes)
            if unseen.size:
                raise ValueError(
                    f"y has labels {unseen.tolist()} that are not among the classes "
                    f"{classes.tolist()}."
                )
            y_enc = np.searchsorted(classes, y)
        if len(classes) < 2:
            raise ValueError(
                f"IWCEClassifier needs samples of at least 2 classes in y; got 1 class "
                f"({classes[0]!r})."
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float32, ensure_non_negative=True
            )
        # A copy: the caller's array stays intact.
        return _as_float32(X), y_enc.astype(np.int64), classes, sample_weight

    def _split(self, X, y, sample_weight, seed):
        """The training part ``(X, y, sample_weight)`` and the validation Dataset (or None).

        Sample weights are rescaled to mean 1 on each part.
        """
        params = self.get_params(deep=False)
        idx_train, idx_valid = split_rows(y, validation_fraction(params), seed, params)
        if idx_valid is None:
            return (X, y, _mean_one(sample_weight)), None
        valid_X = self._net_input(X[idx_valid], _mean_one_valid(_take(sample_weight, idx_valid)))
        train = (X[idx_train], y[idx_train], _mean_one(_take(sample_weight, idx_train)))
        return train, Dataset(valid_X, y[idx_valid])

    def _build_net(
        self,
        *,
        module,
        criterion,
        optimizer,
        callbacks,
        n_classes,
        valid,
        n_train,
        sample_ndim,
        shuffle_seed,
        max_epochs,
        batch_size,
    ):
        """The skorch net; ``module``, ``criterion`` and ``optimizer`` are (class, kwargs)."""
        channels_last = self.channels_last
        if channels_last == "auto":
            channels_last = sample_ndim == 3 and torch.device(self.device).type == "cuda"
        routed = {
            f"{prefix}__{name}": value
            for prefix, (_, kwargs) in [
                ("module", module),
                ("criterion", criterion),
                ("optimizer", optimizer),
            ]
            for name, value in kwargs.items()
        }
        return IWCENet(
            module=module[0],
            criterion=criterion[0],
            optimizer=optimizer[0],
            lr=self.lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=callbacks,
            classes=np.arange(n_classes),
            device=self.device,
            # verbose=1 is the epoch bar (a callback); skorch's table from 2 on.
            verbose=self.verbose if self.verbose >= 2 else 0,
            batching=self.batching,
            precision=self.precision,
            channels_last=channels_last,
            compile=self.compile,
            iterator_train__shuffle=True,
            iterator_train__generator=torch.Generator().manual_seed(shuffle_seed),
            # BatchNorm cannot train on a batch of one sample: drop such a last batch (a
            # different random sample each epoch).
            iterator_train__drop_last=n_train % batch_size == 1 and n_train > 1,
            callbacks__print_log__keys_ignored=["class_weight"],
            # (skorch silences the table by its sink when verbose=0: set it only when printing)
            **(
                {"callbacks__print_log__sink": _print_plain_off_terminal}
                if self.verbose >= 2
                else {}
            ),
            **routed,
        )

    def _warn_if_diverged_or_interrupted(self):
        losses = [row["train_loss"] for row in self.net_.history if "train_loss" in row]
        if losses and not np.isfinite(losses[-1]):
            first = next(i for i, loss in enumerate(losses) if not np.isfinite(loss))
            warnings.warn(
                f"Training diverged: the training loss is {losses[-1]} since epoch {first}; the "
                "model's predictions are meaningless. Lower lr or scale the inputs.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if self.interrupted_:
            warnings.warn(
                f"{type(self).__name__}.fit was interrupted after {self.n_iter_} of "
                f"{self.net_.max_epochs} epochs; the model keeps the parameters reached so far.",
                UserWarning,
                stacklevel=3,
            )

    @staticmethod
    def _net_input(X, sample_weight):
        return X if sample_weight is None else {"X": X, "sample_weight": sample_weight}

    def _check_sample_ndim(self, X):
        """A clear error for X whose dimensions are not those of the fit (validate_data would
        compare its second axis with the fit's channels)."""
        if not hasattr(X, "shape"):
            try:
                X = np.asarray(X)
            except (ValueError, TypeError):
                return  # validate_data says what is wrong
        ndim, expected = len(X.shape), len(self.input_shape_) + 1
        if ndim != expected and ndim >= 2:
            shape = X.shape
            raise ValueError(
                f"X has {ndim} dimensions, shape {tuple(shape)}, but {type(self).__name__} was "
                f"fitted on {_sample_kind(self.input_shape_)}; pass X of shape "
                f"(n_samples, {', '.join(map(str, self.input_shape_))})."
            )

    def _validate_X(self, X):
        check_is_fitted(self)
        self._check_sample_ndim(X)
        X = validate_data(
            self, X, reset=False, allow_nd=True, dtype="numeric", accept_sparse=_SPARSE_FORMATS
        )
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but {type(self).__name__} was "
                f"fitted on samples of shape {self.input_shape_}."
            )
        return _as_float32(X)

    def _input_stats(self):
        """The fitted standardisation, (mean, scale), or None."""
        mean = getattr(self, "input_mean_", None)
        return None if mean is None else (mean, self.input_scale_)

    def _logits(self, X):
        if getattr(self, "ensemble_", None):  # the log of the members' mean probabilities
            X = self._validate_X(X)
            proba = sum(weight * member.predict_proba(X) for weight, member in self.ensemble_)
            logits = np.log(np.maximum(proba, np.finfo(np.float64).tiny))
            return self._adjust_logits(logits - logits.mean(axis=1, keepdims=True))
        X = standardize_inputs(self._validate_X(X), self._input_stats())
        # fork_rng: batching draws from torch's generator (as a DataLoader does); the caller's
        # random state must not move because of a prediction.
        with torch.random.fork_rng(devices=[]), torch_threads(self.n_threads_):
            logits = self.net_.forward(X, training=False, device="cpu")
        return self._adjust_logits(logits.detach().numpy().astype(np.float64))


_SPARSE_FORMATS = ("csr", "csc")


def _front_end_features(module, module_kwargs, X_train, valid, seed, device):
    """The network with its front end fitted on ``X_train``, and the training inputs and
    validation Dataset replaced by their features."""
    X_valid = None if valid is None else _inputs(valid)
    network, X_train, X_valid = fit_front_end(
        module, module_kwargs, X_train, X_valid, seed, device
    )
    return network, X_train, None if valid is None else _with_inputs(valid, X_valid)


def _inputs(dataset):
    """The inputs of a validation Dataset (whose X may be ``{"X": ..., "sample_weight": ...}``)."""
    return dataset.X["X"] if isinstance(dataset.X, dict) else dataset.X


def _with_inputs(dataset, X):
    """``dataset`` with inputs ``X`` instead of its own (its sample weights kept)."""
    return Dataset({**dataset.X, "X": X} if isinstance(dataset.X, dict) else X, dataset.y)


def _linear_head_problem(network, X_train, valid):
    """The problem of a linear head trained full batch on fixed features: the head, its
    weights set to zero (as LogisticRegression starts; L-BFGS then finds the same minimum
    from any start, and zero keeps them in the features' row space), and, where the features
    are many more than the rows, that problem in the rows' coordinates: ``(module, X_train,
    valid, basis)``, ``basis`` None when the head trains as it is (see ``row_space``)."""
    layer = linear_layer(network.head)
    with torch.no_grad():
        layer.weight.zero_()
    n, p = X_train.shape
    if n * ROW_SPACE_RATIO > p:
        return network.head, X_train, valid, None
    basis, X_train = row_space(X_train)
    if valid is not None:
        valid = _with_inputs(valid, np.ascontiguousarray(_inputs(valid) @ basis))
    # (made on the meta device: no draw from the caller's random generators)
    reduced = nn.Linear(
        basis.shape[1], layer.out_features, device="meta", dtype=layer.weight.dtype
    )
    reduced = reduced.to_empty(device=layer.weight.device)
    with torch.no_grad():
        reduced.weight.zero_()
        reduced.bias.copy_(layer.bias)
    return reduced, X_train, valid, basis


def _set_linear_head(network, reduced, basis):
    """Write a head trained in the row space ``basis`` into ``network``'s linear head."""
    layer = linear_layer(network.head)
    with torch.no_grad():
        Q = torch.from_numpy(basis).to(layer.weight.device)
        layer.weight.copy_(reduced.weight @ Q.T)
        layer.bias.copy_(reduced.bias)


def _sample_kind(input_shape):
    """``"series of shape (n_samples, channels=3, length=60)"``: what a fit's X was."""
    names = {
        1: ("rows", ("n_features",)),
        2: ("series", ("channels", "length")),
        3: ("images", ("channels", "height", "width")),
    }
    kind, axes = names.get(len(input_shape), ("samples", [f"d{i}" for i in input_shape]))
    dims = ", ".join(f"{a}={n}" for a, n in zip(axes, input_shape, strict=True))
    return f"{kind} of shape (n_samples, {dims})"


def _as_float32(X):
    """A C-contiguous float32 copy of X (a CSR float32 copy of a sparse matrix); values
    beyond float32's range are an error."""
    if sp.issparse(X):
        with np.errstate(over="ignore"):
            X32 = X.tocsr().astype(np.float32)  # a copy, also of a CSR matrix
        finite = np.all(np.isfinite(X32.data))
    else:
        with np.errstate(over="ignore"):
            X32 = np.array(X, dtype=np.float32, order="C")
        finite = np.all(np.isfinite(X32))
    if not finite:
        raise ValueError(
            "X has values beyond float32's range (about ±3.4e38), which the network computes in; "
            "scale the inputs."
        )
    return X32


def _standardize_split(X_train, valid, stats):
    """Standardise the training inputs and the validation Dataset's, in place (both are the
    fit's own copies); returns the training inputs (sparse ones as SparseRows, also in the
    Dataset)."""
    X_train = standardize_inputs(X_train, stats)
    if valid is not None:
        if isinstance(valid.X, dict):
            valid.X["X"] = standardize_inputs(valid.X["X"], stats)
        else:
            valid.X = standardize_inputs(valid.X, stats)
    return X_train


def _monitor(cb):
    """The history key a skorch callback watches (EarlyStopping, Checkpoint,
    ReduceLROnPlateau through LRScheduler...), or None."""
    monitor = getattr(cb, "monitor", None)
    return monitor if isinstance(monitor, str) else None


def _check_needs_no_validation(i, cb):
    """A user callback that watches a ``valid_*`` key in a fit without a validation split
    is an error now, not a KeyError deep in training."""
    _, cb = cb if isinstance(cb, tuple) else (None, cb)
    monitor = _monitor(cb)
    if monitor is not None and monitor.startswith("valid_"):
        raise ValueError(
            f"callbacks[{i}] ({type(cb).__name__}) monitors {monitor!r}, a score of the "
            "validation split, but this fit holds none out: set validation_fraction (e.g. "
            "0.1) to score the held-out rows every epoch ('valid_bacc': balanced accuracy, "
            "'valid_loss': the weighted loss), or use early_stopping=True, which watches "
            "valid_bacc from the epoch the weights reach their target."
        )


def _warn_if_stopped_before_target(net):
    """Warn when a callback (a user's EarlyStopping) ended training while the class weights
    were still far from their target: the model is then close to plain cross entropy."""
    stopper = getattr(net, "stopped_by_", None)
    if stopper is None or not len(net.history):
        return
    alpha = net.history[-1].get("alpha", 1.0)
    if alpha < 1.0:
        warnings.warn(
            f"{stopper} stopped training at epoch {len(net.history)} of {net.max_epochs}, "
            f"with alpha = {alpha:.3g}: the class weights never reached their target, so the "
            "model is closer to plain cross entropy than to IWCE. Use early_stopping=True "
            "(it only watches epochs from the switch epoch on), or set switch_epoch (e.g. 0.5) "
            "or schedule='step' so that the weights reach their target before it can stop.",
            UserWarning,
            stacklevel=6,  # the caller of fit (through _fit_context)
        )


def _mean_one(sample_weight):
    """Sample weights rescaled to mean 1, so that their scale (e.g. AdaBoost's, which sum to 1)
    does not scale the loss and the gradients."""
    if sample_weight is None:
        return None
    total = float(np.sum(sample_weight, dtype=np.float64))
    if not total > 0:
        raise ValueError("sample_weight sums to zero on the training data; nothing to learn.")
    return (sample_weight * np.float32(len(sample_weight) / total)).astype(np.float32)


def _mean_one_valid(sample_weight):
    """Validation weights rescaled to mean 1; unweighted (None) when they are all 0."""
    if sample_weight is not None and not np.sum(sample_weight, dtype=np.float64) > 0:
        warnings.warn(
            "sample_weight is 0 on every validation sample; the validation loss is unweighted.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return _mean_one(sample_weight)


def _take(a, idx):
    return None if a is None else a[idx]


def _silent(*args, **kwargs):
    pass


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _print_plain_off_terminal(text):
    """print, with skorch's colour codes removed when standard output is not a terminal."""
    if not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()):
        text = _ANSI.sub("", text)
    print(text)


class _CostWeightedAccuracy:
    """A scorer: accuracy with each test row weighted by its class's cost (the budget search's
    score under a user's ``class_weight``)."""

    def __init__(self, costs):
        self.costs = costs

    def __call__(self, estimator, X, y):
        from sklearn.metrics import accuracy_score  # noqa: PLC0415

        weights = np.array([self.costs[label] for label in np.asarray(y).tolist()])
        return accuracy_score(y, estimator.predict(X), sample_weight=weights)


class EpochBar:
    """A tqdm bar over epochs (on standard error), with the last epoch's scores.

    tqdm's ``auto`` bar: a widget in notebooks; on a stream that is not a terminal (a log file)
    no bar is drawn and ``close`` writes one line, ``"<desc>: <epochs> epochs; k=v, ..."``.
    """

    def __init__(self, total, desc):
        self.desc = desc
        self.last = {}
        self.bar = tqdm(
            total=total,
            desc=desc,
            unit="epoch",
            file=sys.stderr,
            disable=None,  # tqdm's choice: no bar off a terminal, a widget in notebooks
        )
        self.plain = bool(self.bar.disable)

    def update(self, scores):
        self.last = {k: f"{v:.4g}" for k, v in scores.items()}
        self.bar.set_postfix(self.last, refresh=False)
        self.bar.update()

    def close(self, epochs):
        self.bar.close()
        if self.plain:
            done = ", ".join(f"{k}={v}" for k, v in self.last.items())
            print(f"{self.desc}: {epochs} epochs; {done}", file=sys.stderr)


class EpochProgressBar(Callback):
    """:class:`EpochBar` over the epochs of a skorch fit, with the last loss, alpha and
    validation score."""

    def on_train_begin(self, net, **kwargs):
        total = max(int(net.max_epochs) - len(net.history), 0) or None
        self.bar_ = EpochBar(total, f"fit {type(net.module_).__name__}")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.update({k: row[k] for k in ("train_loss", "valid_bacc", "alpha") if k in row})

    def on_train_end(self, net, **kwargs):
        bar, self.bar_ = getattr(self, "bar_", None), None  # a fitted model pickles no stream
        if bar is not None:
            bar.close(len(net.history))


class _EarlyStoppingAtTarget(EarlyStopping):
    """Early stopping that watches only epochs whose class weights reached their target.

    Before alpha reaches 1 the loss is still close to plain cross entropy; stopping (or keeping
    the best parameters) there would throw IWCE away.
    """

    def on_epoch_end(self, net, **kwargs):
        if net.history[-1].get("alpha", 1.0) < 1.0:
            return
        super().on_epoch_end(net, **kwargs)
