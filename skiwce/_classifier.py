"""IWCEClassifier: a scikit-learn estimator that builds and owns a skorch net."""

import copy
import inspect
import re
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import Callback, EarlyStopping, EpochScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn
from tqdm.auto import tqdm

from ._front_end import fit_front_end, has_fixed_front_end
from ._names import OPTIMIZER_NAMES
from ._net import BATCHINGS, PRECISIONS, IWCENet
from ._torch_utils import FUSED_DEVICES, resolve_n_threads, seeded, torch_threads
from .callbacks import IncrementalClassWeights
from .functional import (
    SCHEDULES,
    WEIGHT_STRATEGIES,
    check_class_weight,
    class_counts,
    resolve_switch_epoch,
)
from .losses import FocalLoss, IWCELoss, LDAMLoss, LogitAdjustedLoss
from .models import AUTO_MODULES, MODULE_NDIMS, MODULES, size_kwargs

__all__ = ["IWCEClassifier"]

OPTIMIZERS = dict(
    zip(
        OPTIMIZER_NAMES,
        (
            torch.optim.Adam,
            torch.optim.AdamW,
            torch.optim.SGD,
            torch.optim.Adagrad,
            torch.optim.RMSprop,
        ),
        strict=True,
    )
)
CRITERIA = {
    "iwce": IWCELoss,
    "focal": FocalLoss,
    "ldam": LDAMLoss,
    "logit_adjusted": LogitAdjustedLoss,
}
# Optimizers whose ``fused=True`` implementation runs on CPU and CUDA in every torch version
# that has it (fused Adagrad, for one, is CPU-only in some).
_FUSED_OPTIMIZERS = {
    opt
    for opt in (torch.optim.Adam, torch.optim.AdamW)
    if "fused" in inspect.signature(opt).parameters
}
# Nested parameters set as ``<prefix>__<name>`` land in these dict parameters.
_ROUTED = {
    "module": "module_params",
    "criterion": "criterion_params",
    "optimizer": "optimizer_params",
}


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
        or channel is only centred. The statistics come from the rows the network trains on
        (after the validation split, unweighted) and are applied to every later input
        (``input_mean_``, ``input_scale_``). Measured over 12 tabular and 7 series data sets
        (``benchmarks/results/defaults_cpu.md``), standardising gained 1.8 points of balanced
        accuracy on the rows on average (wine 85.75 -> 98.85, breast cancer 91.31 -> 96.51) and
        changed the series little (+0.2). False feeds X as given (the paper's setting).
    max_epochs : int, default=100
        Number of epochs (``E + 1``).
    batch_size : int, default=64
        Mini-batch size.
    lr : float, default=1e-3
        Learning rate. For :class:`~skiwce.models.HARNet` on series (``module="har"``)
        ``lr=3e-3`` did better in ``benchmarks/results/defaults_cpu.md`` (+5.6 points
        of balanced accuracy over 7 series data sets, most on the small ones), while on rows
        it did worse (-0.6), so the default stays one learning rate for every network.
    optimizer : {"adam", "adamw", "sgd", "adagrad", "rmsprop"} or torch.optim.Optimizer class, \
            default="adam"
        The optimizer.
    optimizer_params : dict or None, default=None
        Keyword arguments of the optimizer (e.g. ``{"momentum": 0.9}``), also settable as
        ``optimizer__<name>``.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra callbacks, e.g. ``skorch.callbacks.LRScheduler``; they are cloned at each fit.
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
        network. Its ``train_split`` is None after the fit, so that the fitted model holds no
        training (or validation) rows; give it a split to train it further with a validation
        set.
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
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
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
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        optimizer="adam",
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
        return tags

    # -- building blocks ----------------------------------------------------------------------

    def _module(self, input_shape, n_classes):
        """The network class (or instance) and its keyword arguments."""
        module, params = self.module, dict(self.module_params or {})
        if isinstance(module, str):
            name = module
            if module == "auto":
                name = AUTO_MODULES.get(len(input_shape) + 1)
                if name is None:
                    raise ValueError(
                        'module="auto" handles X of 2, 3 or 4 dimensions; got '
                        f"{len(input_shape) + 1}. Pass a module."
                    )
            ndim = len(input_shape) + 1
            if ndim not in MODULE_NDIMS[name]:
                raise ValueError(
                    f"module={name!r} takes X of {' or '.join(map(str, MODULE_NDIMS[name]))} "
                    f"dimensions; got X of {ndim}."
                )
            module = MODULES[name]
        if isinstance(module, nn.Module):
            if params:
                raise ValueError("module_params cannot be used with a module instance.")
            return copy.deepcopy(module), {}
        if not (isinstance(module, type) and issubclass(module, nn.Module)):
            raise ValueError(
                f"module must be one of {['auto', *MODULES]}, a torch.nn.Module subclass or an "
                f"instance of one; got {module!r}."
            )
        _check_routed("module", module, params)
        return module, {**size_kwargs(module, input_shape, n_classes), **params}

    def _criterion(self, counts):
        crit = CRITERIA[self.criterion] if isinstance(self.criterion, str) else self.criterion
        if not (isinstance(crit, type) and issubclass(crit, nn.Module)):
            raise ValueError(
                f"criterion must be one of {sorted(CRITERIA)} or a loss class; got "
                f"{self.criterion!r}."
            )
        params = dict(self.criterion_params or {})
        _check_routed("criterion", crit, params)
        if "class_counts" in inspect.signature(crit).parameters:
            params.setdefault("class_counts", np.maximum(counts, 1))
        return crit, params

    def _optimizer(self):
        """The optimizer class and its keyword arguments.

        PyTorch's fused implementation (one kernel for all parameters) is used where the
        optimizer offers it and the user chose neither ``fused`` nor ``foreach``: the same update
        rule with far less per-step overhead, which dominates small networks.
        """
        opt = OPTIMIZERS[self.optimizer] if isinstance(self.optimizer, str) else self.optimizer
        if not (isinstance(opt, type) and issubclass(opt, torch.optim.Optimizer)):
            raise ValueError(
                f"optimizer must be one of {sorted(OPTIMIZERS)} or a torch.optim.Optimizer class; "
                f"got {self.optimizer!r}."
            )
        params = dict(self.optimizer_params or {})
        # skorch itself takes ``param_groups`` (per-parameter-group settings).
        _check_routed("optimizer", opt, params, set_by_net=("params",), also=("param_groups",))
        if (
            opt in _FUSED_OPTIMIZERS
            and not {"fused", "foreach"} & params.keys()
            and torch.device(self.device).type in FUSED_DEVICES
        ):
            params["fused"] = True
        return opt, params

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
            callbacks.append((name, clone(cb)))
        return callbacks

    # -- fit / predict ------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, channels, length) or \
                (n_samples, channels, height, width)
            Training inputs; copied to float32, never modified.
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
            return self._continue(X, y, sample_weight, epochs=self.max_epochs)
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
        counts within one call.

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
        X, y, classes, sample_weight = self._check_fit_data(X, y, sample_weight, classes)
        n_classes = len(classes)
        cost = check_class_weight(self.class_weight, classes)
        if self.switch_epoch is not None:
            resolve_switch_epoch(self.switch_epoch, self.max_epochs)  # within the run
        _check_device(self.device)
        module, module_kwargs = self._module(X.shape[1:], n_classes)
        optimizer, optimizer_kwargs = self._optimizer()
        n_threads = self._n_threads(module, module_kwargs, X.shape[1:])

        rng = check_random_state(self.random_state)
        torch_seed, shuffle_seed, split_seed = (int(s) for s in rng.randint(0, 2**31 - 1, 3))
        (X_train, y_train, sw_train), valid = self._split(X, y, sample_weight, split_seed)
        stats = input_stats(X_train) if self.standardize else None
        _standardize_split(X_train, valid, stats)
        counts = class_counts(y_train, n_classes, sample_weight=sw_train)
        criterion, criterion_kwargs = self._criterion(counts)
        network = None
        if has_fixed_front_end(module):
            # features once per fit; the net trains the head (see skiwce/_front_end.py)
            network, X_train, valid = _front_end_features(
                module, module_kwargs, X_train, valid, torch_seed, self.device
            )
            module, module_kwargs = network.head, {}
        net = self._build_net(
            module=(module, module_kwargs),
            criterion=(criterion, criterion_kwargs),
            optimizer=(optimizer, optimizer_kwargs),
            callbacks=self._callbacks(cost, n_classes, valid is not None),
            n_classes=n_classes,
            valid=valid,
            n_train=len(y_train),
            sample_ndim=X.ndim - 1,
            shuffle_seed=shuffle_seed,
        )
        with seeded(torch_seed, self.device), torch_threads(n_threads):
            net.fit(self._net_input(X_train, sw_train), y_train, epochs=epochs)
        # skorch's predefined split holds the validation rows: a fitted model carries no data.
        net.train_split = None
        if network is not None:
            net.module_ = network.eval()  # the fitted front end with the trained head

        self.classes_ = classes
        self.input_shape_ = tuple(X.shape[1:])
        self.input_mean_, self.input_scale_ = (None, None) if stats is None else stats
        self.n_threads_ = n_threads
        self.net_ = net
        return self._after_training(counts)

    def _continue(self, X, y, sample_weight, *, epochs, classes=None):
        """Train the fitted network ``epochs`` more epochs (warm start, partial_fit)."""
        check_is_fitted(self)
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differ from the classes of the first "
                f"fit, {self.classes_.tolist()}."
            )
        X, y, _, sample_weight = self._check_fit_data(
            X, y, sample_weight, self.classes_, reset=False
        )
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but {type(self).__name__} was "
                f"fitted on samples of shape {self.input_shape_}."
            )
        net = self.net_
        # Seeds of this continuation: from random_state and the epochs done, so that the calls
        # of one run differ from each other and a run repeats exactly.
        rng = check_random_state(self.random_state)
        base = (int(s) for s in rng.randint(0, 2**31 - 1, 3))
        torch_seed, _, split_seed = ((s + 7919 * len(net.history)) % (2**31 - 1) for s in base)
        (X_train, y_train, sw_train), valid = self._split(X, y, sample_weight, split_seed)
        _standardize_split(X_train, valid, self._input_stats())
        counts = class_counts(y_train, len(self.classes_), sample_weight=sw_train)
        net.train_split = None if valid is None else predefined_split(valid)
        # (an attribute, as skorch keeps it: set_params would try to re-initialize)
        net.iterator_train__drop_last = len(y_train) % self.batch_size == 1 and len(y_train) > 1
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
        return self

    def _n_threads(self, module, module_kwargs, sample_shape):
        """The thread count of the fit: ``n_threads``, with ``"auto"`` resolved (see there)."""
        if self.n_threads != "auto" or torch.device(self.device).type != "cpu":
            return resolve_n_threads(self.n_threads, self.device, None, sample_shape, 0)
        with torch.random.fork_rng(devices=[]):  # building a network draws random weights
            instance = module if isinstance(module, nn.Module) else module(**module_kwargs)
        if has_fixed_front_end(instance):  # the loop trains the head, on features
            instance, sample_shape = instance.head, (instance.n_features_out,)
        return resolve_n_threads("auto", self.device, instance, sample_shape, self.batch_size)

    def _check_fit_data(self, X, y, sample_weight, classes=None, reset=True):
        """Validated inputs: X as a float32 copy, y encoded as int64 indices into ``classes``
        (by default the labels of y)."""
        X, y = validate_data(self, X, y, allow_nd=True, dtype="numeric", reset=reset)
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
        fraction = self.validation_fraction
        if self.early_stopping and fraction is None:
            fraction = 0.1
        if fraction is None:
            return (X, y, _mean_one(sample_weight)), None
        idx_train, idx_valid = train_test_split(
            np.arange(len(y)), test_size=fraction, stratify=y, random_state=seed
        )
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
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
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
            iterator_train__drop_last=n_train % self.batch_size == 1 and n_train > 1,
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
                f"{self.max_epochs} epochs; the model keeps the parameters reached so far.",
                UserWarning,
                stacklevel=3,
            )

    @staticmethod
    def _net_input(X, sample_weight):
        return X if sample_weight is None else {"X": X, "sample_weight": sample_weight}

    def _validate_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, allow_nd=True, dtype="numeric")
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
        X = standardize_inputs(self._validate_X(X), self._input_stats())
        # fork_rng: batching draws from torch's generator (as a DataLoader does); the caller's
        # random state must not move because of a prediction.
        with torch.random.fork_rng(devices=[]), torch_threads(self.n_threads_):
            logits = self.net_.forward(X, training=False, device="cpu")
        return self._adjust_logits(logits.detach().numpy().astype(np.float64))


def _front_end_features(module, module_kwargs, X_train, valid, seed, device):
    """The network with its front end fitted on ``X_train``, and the training inputs and
    validation Dataset replaced by their features."""
    X_valid = None
    if valid is not None:
        X_valid = valid.X["X"] if isinstance(valid.X, dict) else valid.X
    network, X_train, X_valid = fit_front_end(
        module, module_kwargs, X_train, X_valid, seed, device
    )
    if valid is not None:
        valid_X = {**valid.X, "X": X_valid} if isinstance(valid.X, dict) else X_valid
        valid = Dataset(valid_X, valid.y)
    return network, X_train, valid


def _check_routed(prefix, cls, params, set_by_net=(), also=()):
    """Raise a ValueError naming the valid keywords if ``params`` has one ``cls`` does not take.

    A class whose ``__init__`` takes ``**kwargs`` accepts any name; ``also`` are names skorch
    takes itself.
    """
    signature = inspect.signature(cls)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        return
    valid = [
        name
        for name, p in signature.parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and name not in set_by_net
    ] + list(also)
    unknown = [name for name in params if name not in valid]
    if unknown:
        raise ValueError(
            f"{[f'{prefix}__{name}' for name in unknown]} (in {prefix}_params): "
            f"{cls.__name__} takes no such keyword; valid ones are {valid}."
        )


def _as_float32(X):
    """A C-contiguous float32 copy of X; values beyond float32's range are an error."""
    with np.errstate(over="ignore"):
        X32 = np.array(X, dtype=np.float32, order="C")
    if not np.all(np.isfinite(X32)):
        raise ValueError(
            "X has values beyond float32's range (about ±3.4e38), which the network computes in; "
            "scale the inputs."
        )
    return X32


def input_stats(X):
    """Mean and standard deviation of float32 inputs, per feature for rows and per channel
    (axis 1, over the samples and positions) for series and images, as float32 arrays; a zero
    deviation becomes 1 (the feature or channel is only centred)."""
    axes = (0,) if X.ndim == 2 else (0, *range(2, X.ndim))
    mean = X.mean(axis=axes, dtype=np.float64)
    std = X.std(axis=axes, dtype=np.float64)
    std[~(std > 10 * np.finfo(np.float32).eps * np.maximum(np.abs(mean), 1))] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def _broadcast(stat, ndim):
    return stat if ndim == 2 else stat.reshape(1, -1, *([1] * (ndim - 2)))


def standardize_inputs(X, stats):
    """``(X - mean) / scale`` in place on ``X`` (a float32 array the caller owns); returns X.
    ``stats=None`` leaves X."""
    if stats is None:
        return X
    mean, scale = stats
    X -= _broadcast(mean, X.ndim)
    X /= _broadcast(scale, X.ndim)
    return X


def _standardize_split(X_train, valid, stats):
    """Standardise the training inputs and the validation Dataset's, in place (both are the
    fit's own copies)."""
    if stats is None:
        return
    standardize_inputs(X_train, stats)
    if valid is not None:
        X_valid = valid.X["X"] if isinstance(valid.X, dict) else valid.X
        standardize_inputs(X_valid, stats)


def _check_device(device):
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be a torch device such as 'cpu' or 'cuda'; got {device!r}."
        ) from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} but CUDA is not available on this machine.")


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
