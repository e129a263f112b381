"""One description of a fit, below both trainers.

:func:`fit_spec` turns an :class:`~skiwce.IWCEClassifier`'s parameters and the shape and classes
of its data into a :class:`FitSpec`: the network factory, the loss, the optimizer and its
options, the target class costs and the learning rate of every epoch. The estimator's skorch
loop and the stacked engine (:mod:`skiwce._stacked_fit`) both consume it; neither re-derives
what the other decides, and neither compares copies of the user's objects.
:func:`why_not_stacked` says, from a spec, what the stacked engine would not train as a single
fit does (a phrase), or None.

The pieces a fit shares whichever loop trains it live here too: the seeds drawn from
``random_state`` (:func:`fit_seeds`), the validation split (:func:`split_rows`) and the input
standardisation (:func:`input_stats`, :func:`standardize_inputs`).
"""

import copy
import dataclasses
import inspect
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from torch import nn

from ._front_end import has_fixed_front_end
from ._names import OPTIMIZER_NAMES
from ._optim import LBFGS
from ._torch_utils import FUSED_DEVICES
from .functional import check_class_weight, resolve_switch_epoch
from .losses import FocalLoss, IWCELoss, LDAMLoss, LogitAdjustedLoss
from .models import AUTO_MODULES, MODULE_NDIMS, MODULES, size_kwargs

OPTIMIZERS = dict(
    zip(
        OPTIMIZER_NAMES,
        (
            torch.optim.Adam,
            torch.optim.AdamW,
            torch.optim.SGD,
            torch.optim.Adagrad,
            torch.optim.RMSprop,
            LBFGS,
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


@dataclasses.dataclass(frozen=True)
class FitSpec:
    """What one fit trains, decided once from the estimator's parameters and the data.

    Attributes
    ----------
    params : dict
        The estimator's parameters, as given (``get_params(deep=False)``).
    sample_shape : tuple of int
    classes : ndarray
    module : type or nn.Module
        The network class, or the user's instance (copied by :meth:`build_module`).
    module_kwargs : dict
        Keyword arguments of the class (sized from the data), empty for an instance.
    criterion, criterion_kwargs
        The loss class and its keyword arguments (the class counts are added per fit by
        :meth:`criterion_for`).
    optimizer, optimizer_kwargs
        The optimizer class and its keyword arguments (``fused`` added where it runs).
    cost
        The target class costs, as :func:`skiwce.functional.check_class_weight` returns them.
    lr_schedule : list of float or None
        The learning rate of every epoch, when the callbacks are at most one skorch
        ``LRScheduler`` stepped every epoch that changes only learning rates; else None.
    """

    params: dict
    sample_shape: tuple
    classes: np.ndarray
    module: object
    module_kwargs: dict
    criterion: type
    criterion_kwargs: dict
    optimizer: type
    optimizer_kwargs: dict
    cost: object
    lr_schedule: list | None

    @property
    def n_classes(self):
        return len(self.classes)

    @property
    def full_batch(self):
        """Whether the optimizer is a full-batch method (L-BFGS): every step sees the whole
        training set, whatever ``batch_size``."""
        return issubclass(self.optimizer, torch.optim.LBFGS)

    def build_module(self):
        """A new network: a copy of the user's instance, or the class called with its
        keyword arguments (drawing its initial weights from torch's generator)."""
        if isinstance(self.module, nn.Module):
            return copy.deepcopy(self.module)
        return self.module(**self.module_kwargs)

    def criterion_for(self, counts):
        """The loss class and its keyword arguments for training class counts ``counts``."""
        kwargs = dict(self.criterion_kwargs)
        if "class_counts" in inspect.signature(self.criterion).parameters:
            kwargs.setdefault("class_counts", np.maximum(counts, 1))
        return self.criterion, kwargs


def fit_spec(params, sample_shape, classes):
    """The :class:`FitSpec` of an estimator with parameters ``params`` on data whose samples
    have shape ``sample_shape`` and whose labels are ``classes``.

    Raises a ValueError naming the parameter for settings that cannot train.
    """
    sample_shape = tuple(int(d) for d in sample_shape)
    classes = np.asarray(classes)
    cost = check_class_weight(params["class_weight"], classes)
    n_epochs = params["max_epochs"] if isinstance(params["max_epochs"], Integral) else None
    if params["switch_epoch"] is not None and n_epochs is not None:
        resolve_switch_epoch(params["switch_epoch"], n_epochs)  # within the run
    check_device(params["device"])
    module, module_kwargs = resolve_module(
        params["module"], params["module_params"], sample_shape, len(classes)
    )
    criterion, criterion_kwargs = resolve_criterion(
        params["criterion"], params["criterion_params"]
    )
    optimizer, optimizer_kwargs = resolve_optimizer(
        params["optimizer"],
        params["optimizer_params"],
        params["device"],
        fixed_front_end=has_fixed_front_end(module),
    )
    return FitSpec(
        params=dict(params),
        sample_shape=sample_shape,
        classes=classes,
        module=module,
        module_kwargs=module_kwargs,
        criterion=criterion,
        criterion_kwargs=criterion_kwargs,
        optimizer=optimizer,
        optimizer_kwargs=optimizer_kwargs,
        cost=cost,
        lr_schedule=None
        if n_epochs is None
        else epoch_learning_rates(params["callbacks"], params["lr"], n_epochs),
    )


# -- the pieces ------------------------------------------------------------------------------


def resolve_module(module, module_params, sample_shape, n_classes):
    """The network class (or instance) and its keyword arguments."""
    params = dict(module_params or {})
    if isinstance(module, str):
        name = module
        ndim = len(sample_shape) + 1
        if module == "auto":
            name = AUTO_MODULES.get(ndim)
            if name is None:
                raise ValueError(
                    f'module="auto" handles X of 2, 3 or 4 dimensions; got {ndim}. Pass a module.'
                )
        if ndim not in MODULE_NDIMS[name]:
            raise ValueError(
                f"module={name!r} takes X of {' or '.join(map(str, MODULE_NDIMS[name]))} "
                f"dimensions; got X of {ndim}."
            )
        module = MODULES[name]
    if isinstance(module, nn.Module):
        if params:
            raise ValueError("module_params cannot be used with a module instance.")
        return module, {}
    if not (isinstance(module, type) and issubclass(module, nn.Module)):
        raise ValueError(
            f"module must be one of {['auto', *MODULES]}, a torch.nn.Module subclass or an "
            f"instance of one; got {module!r}."
        )
    check_routed("module", module, params)
    return module, {**size_kwargs(module, sample_shape, n_classes), **params}


def resolve_criterion(criterion, criterion_params):
    """The loss class and its keyword arguments (without the class counts)."""
    crit = CRITERIA[criterion] if isinstance(criterion, str) else criterion
    if not (isinstance(crit, type) and issubclass(crit, nn.Module)):
        raise ValueError(
            f"criterion must be one of {sorted(CRITERIA)} or a loss class; got {criterion!r}."
        )
    params = dict(criterion_params or {})
    check_routed("criterion", crit, params)
    return crit, params


#: ``optimizer="auto"`` on a network with a fixed front end: the L2 penalty of its L-BFGS.
AUTO_HEAD_WEIGHT_DECAY = 1e-2


def resolve_optimizer(optimizer, optimizer_params, device, fixed_front_end=False):
    """The optimizer class and its keyword arguments.

    ``"auto"`` is Adam, except for a network with a fixed front end (``fixed_front_end``: only
    its head trains, on fixed features), which trains full batch with L-BFGS and an L2 penalty
    of ``AUTO_HEAD_WEIGHT_DECAY`` unless ``optimizer_params`` sets ``weight_decay``. (On rows
    with few minority rows, ``IWCEClassifier``'s ``max_epochs="auto"`` resolves ``"auto"`` to
    L-BFGS for the MLP before this is called: ``IWCEClassifier._budget``.)

    PyTorch's fused implementation (one kernel for all parameters) is used where the optimizer
    offers it and the user chose neither ``fused`` nor ``foreach``: the same update rule with
    far less per-step overhead, which dominates small networks.
    """
    params = dict(optimizer_params or {})
    if optimizer == "auto":
        optimizer = "lbfgs" if fixed_front_end else "adam"
        if fixed_front_end:
            params.setdefault("weight_decay", AUTO_HEAD_WEIGHT_DECAY)
    opt = OPTIMIZERS.get(optimizer) if isinstance(optimizer, str) else optimizer
    if not (isinstance(opt, type) and issubclass(opt, torch.optim.Optimizer)):
        raise ValueError(
            f"optimizer must be 'auto', one of {sorted(OPTIMIZERS)} or a torch.optim.Optimizer "
            f"class; got {optimizer!r}."
        )
    # skorch itself takes ``param_groups`` (per-parameter-group settings).
    check_routed("optimizer", opt, params, set_by_net=("params",), also=("param_groups",))
    if opt is LBFGS:
        # a line search sets each step; ``lr`` (Adam's step) does not apply
        params.setdefault("lr", 1.0)
    if (
        opt in _FUSED_OPTIMIZERS
        and not {"fused", "foreach"} & params.keys()
        and torch.device(device).type in FUSED_DEVICES
    ):
        params["fused"] = True
    return opt, params


def check_routed(prefix, cls, params, set_by_net=(), also=()):
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


def check_device(device):
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be a torch device such as 'cpu' or 'cuda'; got {device!r}."
        ) from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} but CUDA is not available on this machine.")


def epoch_learning_rates(callbacks, lr, n_epochs):
    """The learning rate of every epoch under ``callbacks``, or None if they do anything else
    than one skorch ``LRScheduler`` stepped every epoch by a schedule that needs no score
    (``ReduceLROnPlateau`` does) and changes nothing but the learning rate (``CyclicLR`` and
    ``OneCycleLR`` with ``cycle_momentum=True``, their default, also cycle the momentum)."""
    from skorch.callbacks import LRScheduler  # noqa: PLC0415
    from torch.optim.lr_scheduler import CyclicLR, OneCycleLR, ReduceLROnPlateau  # noqa: PLC0415

    callbacks = [cb[1] if isinstance(cb, tuple) else cb for cb in callbacks or []]
    if not callbacks:
        return [float(lr)] * n_epochs
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
    if policy in (CyclicLR, OneCycleLR) and scheduler.kwargs.get("cycle_momentum", True):
        return None
    try:
        return [float(x) for x in scheduler.simulate(n_epochs, lr)]
    except Exception:  # noqa: BLE001 - a schedule that cannot be simulated is not stacked
        return None


def fit_seeds(random_state):
    """The three seeds of a fit (torch's generator, the shuffling, the validation split), drawn
    from ``random_state`` as every fit draws them."""
    rng = check_random_state(random_state)
    return tuple(int(s) for s in rng.randint(0, 2**31 - 1, 3))


def validation_fraction(params):
    """The fraction of the training rows held out: ``validation_fraction``, 0.1 for early
    stopping without one, or None."""
    fraction = params["validation_fraction"]
    if params["early_stopping"] and fraction is None:
        fraction = 0.1
    return fraction


def split_rows(y, fraction, seed, params=None):
    """Positions (into ``y``) of the training rows and of the validation rows (or None): a
    stratified split of ``fraction`` seeded by ``seed``; all rows when ``fraction`` is None.
    A split the classes are too small for is a ValueError naming the setting (``params``, the
    estimator's parameters, say which)."""
    positions = np.arange(len(y))
    if fraction is None:
        return positions, None
    try:
        return train_test_split(positions, test_size=fraction, stratify=y, random_state=seed)
    except ValueError as exc:
        raise ValueError(_split_error(params or {}, fraction, y, exc)) from exc


def _split_error(params, fraction, y, exc):
    """The message of a validation split that cannot be made (a class too small for it)."""
    setting = (
        f"validation_fraction={params.get('validation_fraction')}"
        if params.get("validation_fraction") is not None
        else f"early_stopping=True (which holds out validation_fraction={fraction})"
    )
    counts = np.bincount(np.asarray(y))
    present = counts[counts > 0]
    return (
        f"{setting} holds out a stratified validation part of the training data, which needs "
        f"at least 2 samples of every class and room for each class in the {fraction:g} held "
        f"out; here {len(y)} samples, the smallest class has {int(present.min())} "
        f"(scikit-learn: {exc}). Use a larger validation_fraction, more data, or "
        "validation_fraction=None (no validation, so no early_stopping)."
    )


def input_stats(X):
    """Mean and standard deviation of float32 inputs, per feature for rows and per channel
    (axis 1, over the samples and positions) for series and images, as float32 arrays. A sparse
    matrix's are computed without making it dense.

    A feature (or channel) whose deviation is zero, or no larger than float32 rounding of its
    mean (10 ulp of the mean: the spread of copies of one value), gets scale 1: it is only
    centred. The test is relative to the mean alone, so data of any scale (1e-7 or 1e7)
    standardises alike.
    """
    if sp.issparse(X):
        from sklearn.utils.sparsefuncs import mean_variance_axis  # noqa: PLC0415

        mean, var = mean_variance_axis(X.astype(np.float64), axis=0)
        std = np.sqrt(var)
    else:
        axes = (0,) if X.ndim == 2 else (0, *range(2, X.ndim))
        mean = X.mean(axis=axes, dtype=np.float64)
        std = X.std(axis=axes, dtype=np.float64)
    eps = np.finfo(np.float32)
    constant = ~(std > 10 * eps.eps * np.abs(mean)) | ~(std > eps.tiny)
    std[constant] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def _broadcast(stat, ndim):
    return stat if ndim == 2 else stat.reshape(1, -1, *([1] * (ndim - 2)))


def standardize_inputs(X, stats):
    """``(X - mean) / scale`` in place on ``X`` (a float32 array the caller owns); returns X.
    ``stats=None`` leaves X. A sparse matrix is not changed: it comes back as
    :class:`~skiwce._net.SparseRows`, which standardise each batch as they make it dense."""
    if sp.issparse(X):
        from ._net import SparseRows  # noqa: PLC0415

        return SparseRows(X, stats)
    if stats is None:
        return X
    mean, scale = stats
    X -= _broadcast(mean, X.ndim)
    X /= _broadcast(scale, X.ndim)
    return X


# -- what the stacked engine covers ------------------------------------------------------------


def why_not_stacked(spec):
    """What the stacked engine would not train as a single fit of ``spec`` does (a phrase),
    or None when it trains exactly that fit; decided once per spec (the search that checks it
    and the engine that trains it share the answer, and the probe below runs once).

    The reasons: another loss or loss options, callbacks other than one ``LRScheduler`` that
    changes only the learning rate once per epoch, ``compile``, ``channels_last=True``,
    ``warm_start``, a precision other than float32, an optimizer or option the engine does not
    implement, and a network that ``torch.vmap`` cannot run (a recurrent layer, a forward with
    control flow on the data), found by running two copies on two samples.
    """
    if "_why_not_stacked" not in spec.__dict__:  # (a frozen dataclass: set past its guard)
        object.__setattr__(spec, "_why_not_stacked", _why_not_stacked(spec))
    return spec.__dict__["_why_not_stacked"]


def _why_not_stacked(spec):
    from ._net import resolve_precision  # noqa: PLC0415
    from ._stacked import unsupported_optimizer_options  # noqa: PLC0415

    p = spec.params
    if not isinstance(p["max_epochs"], Integral):
        return f"max_epochs={p['max_epochs']!r} (each fit chooses its own budget)"
    if spec.criterion is not IWCELoss:
        return f"criterion={p['criterion']!r} (it trains the IWCE loss)"
    extra = dict(spec.criterion_kwargs)
    if set(extra) - {"reduction"} or extra.get("reduction", "mean") != "mean":
        return f"criterion_params={p['criterion_params']!r}"
    if p["callbacks"] and spec.lr_schedule is None:
        return (
            "callbacks other than one skorch LRScheduler stepped every epoch that changes only "
            "learning rates (CyclicLR and OneCycleLR cycle momentum unless cycle_momentum=False)"
        )
    if p["compile"]:
        return "compile=True"
    if p["channels_last"] is True:
        return "channels_last=True"
    if p.get("warm_start"):
        return "warm_start=True"
    if resolve_precision(p["precision"], p["device"]) != "32":
        return f"precision={p['precision']!r} (it computes in float32)"
    reason = unsupported_optimizer_options(spec.optimizer, spec.optimizer_kwargs)
    if reason:
        return reason
    return _vmap_reason(spec)


def _vmap_reason(spec):
    """Why two copies of the network cannot train under ``torch.vmap`` (None if they can, or
    if the network has a stacked form and never goes through vmap)."""
    from ._stacked import StackedNetwork, has_stacked_form  # noqa: PLC0415

    with torch.random.fork_rng(devices=[]):
        modules = [spec.build_module(), spec.build_module()]
        sample_shape = spec.sample_shape
        if has_fixed_front_end(modules[0]):  # the stack trains the heads, on features
            sample_shape = (modules[0].n_features_out,)
            modules = [m.head for m in modules]
        if has_stacked_form(modules[0]):
            return None
        try:
            stack = StackedNetwork(modules)
            x = torch.randn(2, 2, *sample_shape)
            stack.forward(x, training=True).float().sum().backward()
        except Exception as exc:  # noqa: BLE001 - any failure means: not stacked
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return (
                f"a network torch.vmap cannot run ({type(exc).__name__}: {first[:120]}); "
                "it trains alone"
            )
    return None
