"""Many IWCEClassifier fits as one stacked training: what IWCEClassifierCV and compare use.

:func:`fit_stacked` takes K unfitted :class:`~skiwce.IWCEClassifier` that differ only in ``T``
and ``random_state`` and K training row sets of one data set, and trains the K networks that
``estimator.fit(X[rows], y[rows])`` would train, as one stacked model
(:mod:`skiwce._stacked`). Each comes back as a light fitted classifier that predicts as the
fitted IWCEClassifier would.
"""

import copy
import time
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from torch import nn

from ._classifier import (
    EpochBar,
    IWCEClassifier,
    _as_float32,
    _check_device,
    _LogitPredictionsMixin,
    _mean_one,
    input_stats,
    standardize_inputs,
)
from ._front_end import FeatureCache, has_fixed_front_end, with_head
from ._net import resolve_precision
from ._stacked import (
    EarlyStop,
    ModelPlan,
    StackedNetwork,
    train_stacked,
    unsupported_optimizer_options,
)
from ._torch_utils import resolve_n_threads, seeded, torch_threads
from .callbacks import training_target_weights
from .functional import (
    blend_class_weights,
    check_class_weight,
    check_schedule,
    resolve_switch_epoch,
)

# Parameters in which the estimators of one stack may differ.
_PER_MODEL = ("T", "random_state")


def why_not_stacked(estimator):
    """What the stacked engine does not cover in ``estimator``'s settings (a phrase), or None.

    ``estimator`` is an unfitted :class:`~skiwce.IWCEClassifier`.
    """
    if type(estimator) is not IWCEClassifier:
        return f"{type(estimator).__name__} (it trains IWCEClassifier itself)"
    if estimator.criterion != "iwce":
        return f"criterion={estimator.criterion!r} (it trains the IWCE loss)"
    params = estimator.criterion_params or {}
    if set(params) - {"reduction"} or params.get("reduction", "mean") != "mean":
        return f"criterion_params={estimator.criterion_params!r}"
    if estimator.callbacks and epoch_learning_rates(estimator.callbacks, 1.0, 1) is None:
        return "callbacks other than one skorch LRScheduler stepped every epoch"
    if estimator.compile:
        return "compile=True"
    if estimator.channels_last is True:
        return "channels_last=True"
    if estimator.warm_start:
        return "warm_start=True"
    try:
        _check_device(estimator.device)
        precision = resolve_precision(estimator.precision, estimator.device)
        optimizer, options = estimator._optimizer()
    except ValueError:
        return None  # the fit reports it
    if precision != "32":
        return f"precision={estimator.precision!r} (it computes in float32)"
    return unsupported_optimizer_options(optimizer, options)


def epoch_learning_rates(callbacks, lr, n_epochs):
    """The learning rate of every epoch under ``callbacks``, or None if they do anything else
    than one skorch ``LRScheduler`` stepped every epoch by a schedule that needs no score
    (``ReduceLROnPlateau`` does)."""
    from skorch.callbacks import LRScheduler  # noqa: PLC0415
    from torch.optim.lr_scheduler import ReduceLROnPlateau  # noqa: PLC0415

    callbacks = [cb[1] if isinstance(cb, tuple) else cb for cb in callbacks or []]
    if not callbacks:
        return [lr] * n_epochs
    if len(callbacks) > 1 or type(callbacks[0]) is not LRScheduler:
        return None
    scheduler = callbacks[0]
    if scheduler.step_every != "epoch":
        return None
    try:
        policy = scheduler._get_policy_cls()
    except AttributeError:  # an unknown policy name: the fit reports it
        return None
    if policy is ReduceLROnPlateau:
        return None
    try:
        return [float(x) for x in scheduler.simulate(n_epochs, lr)]
    except Exception:  # noqa: BLE001 - a schedule that cannot be simulated is not stacked
        return None


def same_settings(a, b):
    """Whether two IWCEClassifier can train in one stack: equal but for T and random_state."""
    return _same(_settings(a), _settings(b))


def _settings(est):
    return {k: v for k, v in est.get_params(deep=False).items() if k not in _PER_MODEL}


def _shared_params(estimators):
    first = _settings(estimators[0])
    for est in estimators[1:]:
        if not _same(first, _settings(est)):
            raise ValueError("the estimators of one stack may differ only in T and random_state")
    return first


def _same(a, b):
    """Equal settings: containers item by item, objects with ``get_params`` (callbacks,
    clones of each other) by class and parameters, arrays by value."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if hasattr(a, "get_params") and not isinstance(a, type):
        return type(a) is type(b) and _same(a.get_params(), b.get_params())
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an object without equality is equal only to itself
        return a is b


def fit_stacked(estimators, X, y, train_sets, *, sample_weight=None, max_models=64):
    """Train ``estimators[k]`` on rows ``train_sets[k]`` of ``X, y``, all as stacked models.

    Parameters
    ----------
    estimators : list of IWCEClassifier
        Unfitted, differing only in ``T`` and ``random_state``; each draws its seeds from its
        own ``random_state`` as its ``fit`` would (so pass copies, as ``clone`` makes).
    X, y : array-like
        The whole data; validated and encoded once (labels over all of y).
    train_sets : list of ndarray of int
        Each estimator's training rows; every class of y must be among them.
    sample_weight : array-like of shape (n_samples,) or None
    max_models : int, default=64
        Models per stack; more are trained in chunks of this size.

    Returns
    -------
    members : list of StackMember
        The fitted models, in the order of ``estimators``.
    """
    data = estimators[0]._check_fit_data(X, y, sample_weight)
    return fit_validated(estimators, *data, train_sets, max_models=max_models)


def fit_validated(estimators, Xv, y_enc, classes, sw, train_sets, *, max_models=64):
    """:func:`fit_stacked` on data already validated by ``IWCEClassifier._check_fit_data``
    (float32 X, encoded y, the classes, sample weights), e.g. by a caller that needs them too;
    the estimators' parameters are validated."""
    template = estimators[0]
    template._validate_params()
    params = _shared_params(estimators)
    n_classes = len(classes)
    for rows in train_sets:
        if len(np.unique(y_enc[rows])) < n_classes:
            raise ValueError("every class must have training rows in every training set")
    cost = check_class_weight(params["class_weight"], classes)
    if params["switch_epoch"] is not None:
        resolve_switch_epoch(params["switch_epoch"], params["max_epochs"])
    _check_device(template.device)
    module, module_kwargs = template._module(Xv.shape[1:], n_classes)
    optimizer, options = template._optimizer()
    # Each estimator's seeds, drawn as its own fit draws them.
    seeds = []
    for est in estimators:
        rng = check_random_state(est.random_state)
        seeds.append(tuple(int(s) for s in rng.randint(0, 2**31 - 1, 3)))
    lrs = epoch_learning_rates(params["callbacks"], params["lr"], params["max_epochs"])
    early = EarlyStop(params["n_iter_no_change"]) if params["early_stopping"] else None
    X_t, y_t = torch.from_numpy(Xv), torch.from_numpy(y_enc)
    cache = None
    if has_fixed_front_end(module):  # heads trained on each fold's features (_front_end.py)
        cache = FeatureCache(module, module_kwargs, Xv, template.device, standardize_inputs)
    members = [None] * len(estimators)
    for start in range(0, len(estimators), max_models):
        chunk = list(range(start, min(start + max_models, len(estimators))))
        plans, counts, modules = [], [], []
        for k in chunk:
            plan, cnt = _plan(
                estimators[k], train_sets[k], Xv, y_enc, sw, n_classes, seeds[k], cost, params
            )
            plans.append(plan)
            counts.append(cnt)
            with seeded(seeds[k][0], template.device):
                modules.append(_build(module, module_kwargs))
        raw_plans, networks = plans, None
        if cache is not None:
            X_t, y_t, plans, modules, networks = cache.stack_chunk(
                plans, modules, [seeds[k][0] for k in chunk], y_enc
            )
        # the single model's rule, applied to the K models of a step together
        n_threads = resolve_n_threads(
            params["n_threads"],
            params["device"],
            modules[0],
            tuple(X_t.shape[1:]),
            params["batch_size"],
            n_models=len(chunk),
        )
        tick = time.perf_counter()
        with seeded(seeds[chunk[0]][0], template.device), torch_threads(n_threads):
            stack = StackedNetwork(modules, device=template.device)
            bar = _EpochBar(params["max_epochs"], len(chunk), params["verbose"])
            histories = train_stacked(
                stack,
                X_t,
                y_t,
                plans,
                n_epochs=params["max_epochs"],
                batch_size=params["batch_size"],
                optimizer=optimizer,
                lr=params["lr"],
                optimizer_options=options,
                n_classes=n_classes,
                lr_schedule=lrs,
                early_stopping=early,
                on_epoch_end=bar.update,
            )
            bar.close()
        fit_time = (time.perf_counter() - tick) / len(chunk)
        for pos, k in enumerate(chunk):
            fitted = stack.module(pos, modules[pos])
            if networks is not None:
                fitted = with_head(networks[pos], fitted)
            members[k] = StackMember(
                fitted,
                classes,
                counts[pos],
                params["logit_adjustment"],
                n_threads,
                epoch_rows=histories[pos],
                fit_time=fit_time,
                T=estimators[k].T,
                input_stats=raw_plans[pos].input_stats,
            )
    _warn_if_diverged(members)
    return members


def _plan(est, train, Xv, y_enc, sw, n_classes, seeds, cost, params):
    """The ModelPlan of ``est`` on rows ``train``: what its fit on those rows does."""
    _, shuffle_seed, split_seed = seeds
    fraction = params["validation_fraction"]
    if params["early_stopping"] and fraction is None:
        fraction = 0.1
    rows, valid = np.asarray(train, dtype=np.int64), None
    if fraction is not None:
        idx_train, idx_valid = train_test_split(
            np.arange(len(rows)),
            test_size=fraction,
            stratify=y_enc[rows],
            random_state=split_seed,
        )
        rows, valid = rows[idx_train], rows[idx_valid]
    sw_rows = None if sw is None else _mean_one(sw[rows])
    stats = input_stats(Xv[rows]) if params["standardize"] else None
    counts, target = training_target_weights(
        y_enc[rows], n_classes, cost, beta=params["beta"], sample_weight=sw_rows
    )
    weights = alphas = None
    if params["class_weight"] is not None:
        schedule = check_schedule(params["schedule"], T=est.T, switch_epoch=params["switch_epoch"])
        alphas = [schedule(e, params["max_epochs"]) for e in range(params["max_epochs"])]
        weights = np.stack(
            [blend_class_weights(a, target, counts, params["normalize"]) for a in alphas]
        )
    plan = ModelPlan(
        train_idx=rows,
        sample_weight=sw_rows,
        class_weight=weights,
        alphas=alphas,
        shuffle_seed=shuffle_seed,
        valid_idx=valid,
        input_stats=stats,
    )
    return plan, counts


def _build(module, kwargs):
    return copy.deepcopy(module) if isinstance(module, nn.Module) else module(**kwargs)


def _warn_if_diverged(members):
    bad = [m for m in members if m.history_ and not np.isfinite(m.history_[-1]["train_loss"])]
    if bad:
        warnings.warn(
            f"Training diverged for {len(bad)} of {len(members)} stacked models (non-finite "
            "training loss); their predictions are meaningless. Lower lr or scale the inputs.",
            ConvergenceWarning,
            stacklevel=3,
        )


def _as_history(rows):
    """Epoch rows as a skorch History (``history_[:, "train_loss"]`` works, as on a net)."""
    from skorch.history import History  # noqa: PLC0415

    history = History()
    for row in rows:
        history.new_epoch()
        for key, value in row.items():
            history.record(key, value)
    return history


class StackMember(_LogitPredictionsMixin, ClassifierMixin, BaseEstimator):
    """One model of a stack, fitted: predicts as the fitted IWCEClassifier would.

    Attributes: ``classes_``, ``class_counts_``, ``history_`` (a skorch ``History`` of its
    epochs' ``train_loss``, ``alpha``, ``class_weight``, ``valid_bacc``), ``n_iter_``,
    ``fit_time_`` (its share of the stack's training time), ``T`` and ``module_`` (the
    network, in eval mode, on the fit's device).
    """

    def __init__(
        self,
        module=None,
        classes=None,
        counts=None,
        logit_adjustment=0.0,
        n_threads=1,
        epoch_rows=None,
        fit_time=None,
        T=None,
        input_stats=None,
    ):
        self.module = module
        self.classes = classes
        self.counts = counts
        self.logit_adjustment = logit_adjustment
        self.n_threads = n_threads
        self.epoch_rows = epoch_rows
        self.fit_time = fit_time
        self.T = T
        self.input_stats = input_stats
        self.module_ = module
        self.classes_ = classes
        self.class_counts_ = counts
        self.history_ = _as_history(epoch_rows or [])
        self.n_iter_ = len(self.history_)
        self.fit_time_ = fit_time

    def __sklearn_is_fitted__(self):
        return True

    def _logits(self, X):
        X = torch.from_numpy(standardize_inputs(_as_float32(X), self.input_stats))
        device = next(self.module_.parameters()).device
        with torch.no_grad(), torch.random.fork_rng(devices=[]), torch_threads(self.n_threads):
            parts = [
                self.module_(X[s : s + 4096].to(device)).cpu() for s in range(0, len(X), 4096)
            ]
        return self._adjust_logits(torch.cat(parts).numpy().astype(np.float64))


class _EpochBar:
    """verbose=1: one :class:`EpochBar` over the epochs of a stack (nothing otherwise)."""

    def __init__(self, n_epochs, n_models, verbose):
        self.bar = EpochBar(n_epochs, f"fit {n_models} stacked models") if verbose == 1 else None
        self.epochs = 0

    def update(self, epoch, histories):
        if self.bar is not None:
            losses = [h[-1]["train_loss"] for h in histories if h]
            self.bar.update({"mean train_loss": np.mean(losses)})
            self.epochs = epoch + 1

    def close(self):
        if self.bar is not None:
            self.bar.close(self.epochs)
