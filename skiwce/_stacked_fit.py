"""Many IWCEClassifier fits as one stacked training: what IWCEClassifierCV and compare use.

:func:`fit_stacked` takes one unfitted :class:`~skiwce.IWCEClassifier` (the template), a ``T``
and a ``random_state`` per model and K training row sets of one data set, and trains the K
networks that ``clone(template).set_params(T=T_k, random_state=rs_k).fit(X[rows_k], y[rows_k])``
would train, as one stacked model (:mod:`skiwce._stacked`). What a fit trains is decided once,
from the template, by :func:`skiwce._fit_spec.fit_spec`, the description the estimator's own
loop uses too; the models differ only in what is theirs (T, seeds, rows). Each comes back as a
light fitted classifier that predicts as the fitted IWCEClassifier would.
"""

import functools
import os
import time
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from ._classifier import (
    EpochBar,
    _as_float32,
    _LogitPredictionsMixin,
    _mean_one,
)
from ._fit_spec import (
    epoch_learning_rates,
    fit_seeds,
    fit_spec,
    input_stats,
    split_rows,
    standardize_inputs,
    validation_fraction,
    why_not_stacked,
)
from ._front_end import FeatureCache, has_fixed_front_end, with_head
from ._stacked import EarlyStop, ModelPlan, StackedNetwork, train_stacked
from ._torch_utils import resolve_n_threads, seeded, torch_threads
from .callbacks import training_target_weights
from .functional import blend_class_weights, check_schedule, resolve_switch_epoch

#: Parameters in which the models of one stack may differ (each model's own value).
PER_MODEL = ("T", "random_state", "max_epochs", "lr")

#: Share of the free memory (CPU: MemAvailable; CUDA: the device's free memory) a stack may
#: take by the estimate of :func:`stack_memory_per_model`; more models train in chunks.
MEMORY_SHARE = 0.5


def stack_spec(estimator, sample_shape, classes):
    """The :class:`~skiwce._fit_spec.FitSpec` of ``estimator`` (an unfitted IWCEClassifier,
    whose parameters are validated) on samples of ``sample_shape`` with labels ``classes``."""
    estimator._validate_params()
    return fit_spec(estimator.get_params(deep=False), sample_shape, classes)


def fit_stacked(template, X, y, train_sets, *, per_model=None, sample_weight=None, max_models=64):
    """Train one model per row set of ``train_sets``, all as stacked models.

    Parameters
    ----------
    template : IWCEClassifier
        Unfitted; its settings are every model's, but for those in ``per_model``.
    X, y : array-like
        The whole data; validated and encoded once (labels over all of y).
    train_sets : list of ndarray of int
        Each model's training rows; every class of y must be among them.
    per_model : list of dict or None
        Each model's own values of ``T``, ``random_state``, ``max_epochs`` and ``lr`` (the
        parameters in :data:`PER_MODEL`; missing ones are the template's). A model draws its
        seeds from its ``random_state`` as a fit does.
    sample_weight : array-like of shape (n_samples,) or None
    max_models : int, default=64
        Models per stack; more are trained in chunks of this size (fewer where the memory
        estimate says so, with a warning).

    Returns
    -------
    members : list of StackMember
        The fitted models, in the order of ``train_sets``.
    """
    data = template._check_fit_data(X, y, sample_weight)
    return fit_validated(template, *data, train_sets, per_model=per_model, max_models=max_models)


def fit_validated(
    template,
    Xv,
    y_enc,
    classes,
    sw,
    train_sets,
    *,
    per_model=None,
    max_models=64,
    spec=None,
):
    """:func:`fit_stacked` on data already validated by ``IWCEClassifier._check_fit_data``
    (float32 X, encoded y, the classes, sample weights); ``spec`` is the template's, if the
    caller built it already."""
    K = len(train_sets)
    per_model = [{}] * K if per_model is None else list(per_model)
    if len(per_model) != K:
        raise ValueError("per_model and train_sets must have one entry per model")
    unknown = {name for own in per_model for name in own} - set(PER_MODEL)
    if unknown:
        raise ValueError(f"the models of a stack may differ only in {PER_MODEL}; got {unknown}")
    if spec is None:
        spec = stack_spec(template, Xv.shape[1:], classes)
    reason = why_not_stacked(spec)
    if reason is not None:
        raise ValueError(f"the stacked engine cannot train {reason}")
    params = spec.params
    models = [{name: own.get(name, params[name]) for name in PER_MODEL} for own in per_model]
    for own in models:
        if params["switch_epoch"] is not None:
            resolve_switch_epoch(params["switch_epoch"], own["max_epochs"])
    n_classes = spec.n_classes
    for rows in train_sets:
        if len(np.unique(y_enc[rows])) < n_classes:
            raise ValueError("every class must have training rows in every training set")
    # each model's seeds, drawn as its fit draws them
    seeds = [fit_seeds(own["random_state"]) for own in models]
    early = EarlyStop(params["n_iter_no_change"]) if params["early_stopping"] else None
    X_t, y_t = torch.from_numpy(Xv), torch.from_numpy(y_enc)
    cache = None
    if has_fixed_front_end(spec.module):  # heads trained on each fold's features (_front_end.py)
        cache = FeatureCache(
            spec.module, spec.module_kwargs, Xv, params["device"], standardize_inputs
        )
    per_stack = _models_per_stack(spec, K, max_models)
    members = [None] * K
    for start in range(0, K, per_stack):
        chunk = list(range(start, min(start + per_stack, K)))
        plans, counts, modules = [], [], []
        for k in chunk:
            plan, cnt = _plan(spec, models[k], train_sets[k], Xv, y_enc, sw, seeds[k])
            plans.append(plan)
            counts.append(cnt)
            with seeded(seeds[k][0], params["device"]):
                modules.append(spec.build_module())
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
        with seeded(seeds[chunk[0]][0], params["device"]), torch_threads(n_threads):
            stack = StackedNetwork(modules, device=params["device"])
            epochs = [models[k]["max_epochs"] for k in chunk]
            bar = _EpochBar(max(epochs), len(chunk), params["verbose"])
            histories = train_stacked(
                stack,
                X_t,
                y_t,
                plans,
                n_epochs=epochs,
                batch_size=params["batch_size"],
                optimizer=spec.optimizer,
                lr=models[chunk[0]]["lr"],
                optimizer_options=spec.optimizer_kwargs,
                n_classes=n_classes,
                lr_schedule=[
                    epoch_learning_rates(
                        params["callbacks"], models[k]["lr"], models[k]["max_epochs"]
                    )
                    for k in chunk
                ],
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
                T=models[k]["T"],
                input_stats=raw_plans[pos].input_stats,
                sample_shape=spec.sample_shape,
            )
    _warn_if_diverged(members)
    return members


def same_settings(a, b):
    """Whether two IWCEClassifier can train in one stack: equal but for T and random_state.

    Used to put different methods of a comparison (IWCE at several temperatures) into one
    stack; a method always stacks with itself. Settings are compared by value: containers
    item by item, objects with ``get_params`` (callbacks) by class and parameters, arrays and
    tensors by value, networks by class and state, ``functools.partial`` by its parts.
    """
    return _same(_settings(a), _settings(b))


def _settings(est):
    return {k: v for k, v in est.get_params(deep=False).items() if k not in ("T", "random_state")}


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, torch.nn.Module) or isinstance(b, torch.nn.Module):
        return (
            type(a) is type(b)
            and repr(a) == repr(b)
            and _same(
                {k: v for k, v in a.state_dict().items()},
                {k: v for k, v in b.state_dict().items()},
            )
            and [p.requires_grad for p in a.parameters()]
            == [p.requires_grad for p in b.parameters()]
        )
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and bool(torch.equal(a, b))
        )
    if isinstance(a, functools.partial) and isinstance(b, functools.partial):
        return _same((a.func, a.args, a.keywords), (b.func, b.args, b.keywords))
    if hasattr(a, "get_params") and not isinstance(a, type):
        return type(a) is type(b) and _same(a.get_params(), b.get_params())
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an object without equality is equal only to itself
        return False


# -- memory ------------------------------------------------------------------------------------


def stack_memory_per_model(spec):
    """An estimate, in bytes, of what one model adds to a stack while it trains: its
    parameters, gradients and optimizer state (two moments for Adam(W), one buffer for SGD with
    momentum and Adagrad) in float32, and the activations of one batch kept for the backward
    pass (every layer's output, measured on one sample, times ``batch_size``, twice for their
    gradients)."""
    with torch.random.fork_rng(devices=[]):
        module = spec.build_module()
    n_params = sum(p.numel() for p in module.parameters())
    copies = 2 + {torch.optim.Adam: 2, torch.optim.AdamW: 2}.get(spec.optimizer, 1)
    outputs = [0]

    def hook(layer, inputs, output):
        if isinstance(output, torch.Tensor) and not list(layer.children()):
            outputs[0] += output.numel()

    handles = [m.register_forward_hook(hook) for m in module.modules()]
    try:
        with torch.no_grad():
            module.eval()(torch.zeros(1, *spec.sample_shape))
    except Exception:  # noqa: BLE001 - a network that cannot run one sample: parameters only
        outputs[0] = 0
    finally:
        for handle in handles:
            handle.remove()
    activations = 2 * outputs[0] * int(spec.params["batch_size"])
    return 4 * (copies * n_params + activations)


def free_memory(device):
    """Free memory in bytes on ``device`` (None where it cannot be read)."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _models_per_stack(spec, n_models, max_models):
    """Models per stack: ``max_models``, fewer if ``MEMORY_SHARE`` of the free memory holds
    fewer by :func:`stack_memory_per_model` (with a warning that says so)."""
    per_stack = min(max_models, n_models)
    free = free_memory(spec.params["device"])
    if free is None:
        return per_stack
    per_model = stack_memory_per_model(spec)
    fits = max(1, int(MEMORY_SHARE * free // max(per_model, 1)))
    if fits < per_stack:
        warnings.warn(
            f"A stack of {per_stack} models needs about {per_stack * per_model / 2**30:.2f} GiB "
            f"by its estimate ({per_model / 2**20:.0f} MiB a model) and "
            f"{free / 2**30:.2f} GiB are free on {spec.params['device']}: training them in "
            f"stacks of {fits}. Lower max_models to choose the chunks yourself.",
            ResourceWarning,
            stacklevel=4,
        )
        return fits
    return per_stack


def _plan(spec, own, train, Xv, y_enc, sw, seeds):
    """The ModelPlan of the model with its own parameters ``own`` (T, max_epochs...) and seeds
    ``seeds`` on rows ``train``: what a fit of ``spec`` on those rows does."""
    params = spec.params
    _, shuffle_seed, split_seed = seeds
    rows, valid = np.asarray(train, dtype=np.int64), None
    idx_train, idx_valid = split_rows(y_enc[rows], validation_fraction(params), split_seed, params)
    if idx_valid is not None:
        rows, valid = rows[idx_train], rows[idx_valid]
    sw_rows = None if sw is None else _mean_one(sw[rows])
    stats = input_stats(Xv[rows]) if params["standardize"] else None
    counts, target = training_target_weights(
        y_enc[rows], spec.n_classes, spec.cost, beta=params["beta"], sample_weight=sw_rows
    )
    weights = alphas = None
    if params["class_weight"] is not None:
        schedule = check_schedule(
            params["schedule"], T=own["T"], switch_epoch=params["switch_epoch"]
        )
        alphas = [schedule(e, own["max_epochs"]) for e in range(own["max_epochs"])]
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
    network, in eval mode, on the fit's device). Its prediction methods validate X as the
    estimator's do (numeric, finite, the sample shape of the fit).
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
        sample_shape=None,
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
        self.sample_shape = sample_shape
        self.module_ = module
        self.classes_ = classes
        self.class_counts_ = counts
        self.history_ = _as_history(epoch_rows or [])
        self.n_iter_ = len(self.history_)
        self.fit_time_ = fit_time

    def __sklearn_is_fitted__(self):
        return True

    def _logits(self, X):
        X = check_array(X, allow_nd=True, dtype="numeric")
        if self.sample_shape is not None and tuple(X.shape[1:]) != tuple(self.sample_shape):
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but this model was fitted on "
                f"samples of shape {tuple(self.sample_shape)}."
            )
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
