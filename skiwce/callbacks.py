"""The skorch callback that moves the class weights of the loss from 1 to their target."""

import numbers
import warnings
from collections.abc import Mapping

import numpy as np
import torch
from skorch.callbacks import Callback, Checkpoint, EarlyStopping
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import TensorDataset

from ._torch_utils import unwrap_dataset
from .functional import (
    NORMALIZATIONS,
    blend_class_weights,
    check_class_weight,
    check_schedule,
    class_counts,
    target_class_weights,
)
from .losses import IWCELoss

__all__ = ["IncrementalClassWeights"]


def dataset_targets(dataset):
    """Return the targets of a dataset as a NumPy array, without loading its inputs if possible.

    Understands skorch's :class:`~skorch.dataset.Dataset` and
    :class:`~torch.utils.data.TensorDataset` (the last tensor), also inside (nested)
    :class:`~torch.utils.data.Subset` (what skorch's ``ValidSplit`` returns); any other dataset
    is iterated once, reading the second item of each sample.
    """
    base, indices = unwrap_dataset(dataset)
    if isinstance(base, SkorchDataset):
        y = base.y
        if y is None:
            raise ValueError("The training data has no targets (y is None).")
    elif isinstance(base, TensorDataset):
        y = base.tensors[-1]
    else:
        return _targets_by_iteration(base, range(len(base)) if indices is None else indices)
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    return y if indices is None else y[indices]


def dataset_sample_weight(dataset):
    """Return the ``sample_weight`` a dataset carries, or None.

    skorch's recipe for sample weights passes ``X`` as a dict with a ``"sample_weight"`` entry;
    this reads it from a skorch :class:`~skorch.dataset.Dataset`, also inside
    :class:`~torch.utils.data.Subset`. Any other dataset has none.
    """
    base, indices = unwrap_dataset(dataset)
    X = base.X if isinstance(base, SkorchDataset) else None
    if not isinstance(X, Mapping) or "sample_weight" not in X:
        return None
    weights = X["sample_weight"]
    if isinstance(weights, torch.Tensor):
        weights = weights.detach().cpu().numpy()
    weights = np.asarray(weights)
    return weights if indices is None else weights[indices]


def _targets_by_iteration(dataset, indices):
    y = [dataset[int(i)][1] for i in indices]
    return np.asarray([t.item() if isinstance(t, torch.Tensor) else t for t in y])


def training_target_weights(targets, n_classes, cost, *, beta=0.999, sample_weight=None):
    """The class counts of training targets (encoded 0..n_classes-1) and the target weights
    ``BW`` computed from them, as the callback computes them at the first epoch.

    Returns
    -------
    counts : ndarray of shape (n_classes,)
    target : ndarray of float64, shape (n_classes,)
    """
    counts = class_counts(targets, n_classes, sample_weight=sample_weight)
    with warnings.catch_warnings():
        if sample_weight is not None and np.all(class_counts(targets, n_classes) > 0):
            # Every class has samples, some only of weight 0: whatever weight such a class
            # gets multiplies losses of 0, so the warning about classes without samples does
            # not apply.
            warnings.filterwarnings("ignore", message="Classes .* have no training")
        target = target_class_weights(counts, cost, beta=beta)
    return counts, target


class IncrementalClassWeights(Callback):
    """Schedule the class weights of a skorch net's loss, epoch by epoch (IWCE).

    At the start of every epoch ``e`` (0-based) it computes ``alpha = schedule(e, n_epochs)`` and
    the weights ``w = normalize(alpha * BW + (1 - alpha) * 1)``, where ``BW`` are the target
    weights (by default the balanced weights ``n / (C * n_c)`` of the training split). It writes
    ``w`` into the criterion's existing ``weight`` buffer in place, so the optimizer and its state
    are untouched, and records ``alpha`` and ``class_weight`` (a list of floats) in
    ``net.history``.

    Use it with any skorch ``NeuralNetClassifier`` whose criterion has a ``weight`` buffer that
    scales the per-class loss, such as :class:`skiwce.IWCELoss` (recommended: plain-mean reduction)
    or :class:`torch.nn.CrossEntropyLoss` (which divides by the summed weights). With
    ``CrossEntropyLoss`` the scheduled weights are not saved with the criterion
    (``save_params(f_criterion=...)``): a fresh one has no ``weight`` to load them into. They
    are recomputed from the history at every epoch's start, so skorch's ``Checkpoint`` and
    ``LoadInitState`` resume the schedule either way.

    The weighted loss changes its meaning as alpha moves, so skorch's ``EarlyStopping`` and
    ``Checkpoint``, which watch ``valid_loss`` by default, would stop at, or keep, an epoch
    before the weights reached their target; the callback warns when it sees one that monitors
    a loss. Monitor an unweighted score instead, e.g.
    ``EpochScoring("balanced_accuracy", lower_is_better=False, name="valid_bacc")`` and
    ``EarlyStopping(monitor="valid_bacc", lower_is_better=False)``, and give the schedule a
    ``switch_epoch`` before the last epoch so that there are epochs at the target to stop in.

    Parameters
    ----------
    T : float, default=20.0
        Temperature of the ``"exponential"`` schedule, ``> 0``; ``inf`` gives static weighted cross
        entropy, a tiny value plain cross entropy until the last epoch.
    schedule : {"exponential", "step", "linear", "constant"} or callable, default="exponential"
        How alpha moves; a callable takes ``(epoch, n_epochs)`` and returns alpha in ``[0, 1]``.
        See :func:`skiwce.functional.check_schedule`.
    switch_epoch : int, float or None, default=None
        The epoch from which alpha is 1 (an int, or a float fraction of the last epoch). None: the
        last epoch, or 80 % of it for ``"step"``.
    class_weight : {"balanced", "effective_number"}, dict, array-like or None, default="balanced"
        Target weights ``BW``: a strategy computed from the class counts of the training split, or
        fixed costs per class (a dict keyed by the net's ``classes_`` or an array). None gives unit
        weights, i.e. plain cross entropy whatever alpha. When the training data carry sample
        weights (``X`` a dict with a ``"sample_weight"`` entry, skorch's recipe), a class's
        count is the sum of its samples' weights, as in scikit-learn.
    beta : float, default=0.999
        Parameter of ``"effective_number"``.
    normalize : {"prior", "sum"} or None, default="prior"
        How the weights are rescaled each epoch: ``"prior"`` keeps the expected weight of a
        training sample at 1 (a no-op for balanced weights, so the loss keeps the scale of cross
        entropy); ``"sum"`` makes the weights sum to 1 (the paper's literal reading); None leaves
        them. See :func:`skiwce.functional.normalize_class_weights`.
    n_epochs : int or None, default=None
        Length of the schedule; None uses ``net.max_epochs``. The epoch index is the number of
        epochs in ``net.history``, so warm-started training continues the schedule.
    classes : array-like or None, default=None
        The class labels; None uses ``net.classes_``. The targets must be indices into them.
    criterion : str, default="criterion"
        Name of the criterion whose ``weight`` is scheduled (``net.criterion_`` by default).

    Attributes
    ----------
    class_counts_ : ndarray of shape (n_classes,)
        Training samples per class, counted on the training split at the first epoch.
    target_weights_ : ndarray of shape (n_classes,)
        The target weights ``BW``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch import NeuralNetClassifier
    >>> from torch import nn
    >>> from skiwce import IncrementalClassWeights, IWCELoss
    >>> X = np.random.RandomState(0).randn(60, 4).astype("float32")
    >>> y = np.r_[np.zeros(50), np.ones(10)].astype("int64")
    >>> net = NeuralNetClassifier(
    ...     nn.Linear(4, 2), criterion=IWCELoss, max_epochs=3, train_split=None, verbose=0,
    ...     callbacks=[IncrementalClassWeights(T=1.0)],
    ... ).fit(X, y)
    >>> [round(a, 3) for a in net.history[:, "alpha"]]
    [0.135, 0.368, 1.0]
    >>> net.history[-1, "class_weight"]
    [0.6, 3.0]
    """

    def __init__(
        self,
        T=20.0,
        schedule="exponential",
        switch_epoch=None,
        class_weight="balanced",
        beta=0.999,
        normalize="prior",
        n_epochs=None,
        classes=None,
        criterion="criterion",
    ):
        self.T = T
        self.schedule = schedule
        self.switch_epoch = switch_epoch
        self.class_weight = class_weight
        self.beta = beta
        self.normalize = normalize
        self.n_epochs = n_epochs
        self.classes = classes
        self.criterion = criterion

    def initialize(self):
        if self.normalize not in (*NORMALIZATIONS, None):
            raise ValueError(
                f"normalize must be one of {NORMALIZATIONS} or None; got {self.normalize!r}."
            )
        if self.n_epochs is not None and not (
            isinstance(self.n_epochs, numbers.Integral)
            and not isinstance(self.n_epochs, bool)
            and self.n_epochs >= 1
        ):
            raise ValueError(f"n_epochs must be None or an int >= 1; got {self.n_epochs!r}.")
        self.schedule_ = check_schedule(self.schedule, T=self.T, switch_epoch=self.switch_epoch)
        self.class_counts_ = None
        self.target_weights_ = None
        return self

    def _classes(self, net):
        if self.classes is not None:
            return np.asarray(self.classes)
        classes = getattr(net, "classes_", None)
        if classes is None:
            raise ValueError(
                "IncrementalClassWeights needs the classes: pass classes=... or use a net that "
                "has classes_ (e.g. skorch's NeuralNetClassifier)."
            )
        return np.asarray(classes)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # Counts are taken from the training split, known only at the first epoch.
        self.class_counts_ = None
        self.target_weights_ = None
        # The whole schedule, now: a bad switch epoch or alpha is an error before training.
        n_epochs = self.n_epochs if self.n_epochs is not None else net.max_epochs
        alphas = {self.schedule_(epoch, n_epochs) for epoch in range(n_epochs)}
        if len(alphas) > 1:
            self._warn_about_loss_monitors(net)

    @staticmethod
    def _warn_about_loss_monitors(net):
        """Warn when EarlyStopping or Checkpoint watch a loss while the weights move."""
        for name, cb in net.callbacks_:
            monitor = getattr(cb, "monitor", None)
            if isinstance(cb, (EarlyStopping, Checkpoint)) and isinstance(monitor, str):
                if "loss" in monitor:
                    warnings.warn(
                        f"{type(cb).__name__} {name!r} monitors {monitor!r}, whose meaning moves "
                        "with alpha (the class weights change every epoch): it can stop at, or "
                        "keep the parameters of, an epoch before the weights reach their "
                        "target. Monitor an unweighted score instead, e.g. EpochScoring("
                        "'balanced_accuracy', lower_is_better=False, name='valid_bacc') with "
                        "monitor='valid_bacc' (or 'valid_bacc_best' for Checkpoint).",
                        UserWarning,
                        stacklevel=2,
                    )

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.class_counts_ is None:
            classes = self._classes(net)
            cost = check_class_weight(self.class_weight, classes)
            targets = dataset_targets(dataset_train)
            sample_weight = dataset_sample_weight(dataset_train)
            self.class_counts_, self.target_weights_ = training_target_weights(
                targets, len(classes), cost, beta=self.beta, sample_weight=sample_weight
            )
        n_epochs = self.n_epochs if self.n_epochs is not None else net.max_epochs
        epoch = len(net.history) - 1
        alpha = self.schedule_(epoch, n_epochs)
        weights = blend_class_weights(
            alpha, self.target_weights_, self.class_counts_, self.normalize
        )
        self._write_weights(net, weights)
        net.history.record("alpha", alpha)
        net.history.record("class_weight", [float(w) for w in weights])

    def _write_weights(self, net, weights):
        crit = getattr(net, self.criterion + "_", None)
        crit = getattr(crit, "_orig_mod", crit)  # a criterion compiled by torch.compile
        if crit is None:
            raise ValueError(
                f"The net has no criterion {self.criterion!r} (no attribute "
                f"{self.criterion + '_'!r}); set IncrementalClassWeights(criterion=...) to the "
                "name of the net's criterion."
            )
        if "weight" not in crit._buffers:
            raise ValueError(
                f"The criterion {type(crit).__name__} has no 'weight' buffer, so class weights "
                "cannot be scheduled; use skiwce.IWCELoss or torch.nn.CrossEntropyLoss."
            )
        current = crit.weight
        if current is None:
            # First use: create the buffer once; later epochs write into it in place. Only
            # IWCELoss can load a saved weight into a fresh loss (whose weight is None): for any
            # other criterion (torch's CrossEntropyLoss) the buffer stays out of the saved state,
            # else a fresh net could not load it. It is recomputed at every epoch's start.
            device = next(iter(crit.buffers()), torch.empty(0, device=net.device)).device
            crit.register_buffer(
                "weight",
                torch.as_tensor(weights, dtype=torch.float32, device=device),
                persistent=isinstance(crit, IWCELoss),
            )
            return
        if current.shape != weights.shape:
            raise ValueError(
                f"The criterion's weight has shape {tuple(current.shape)} but there are "
                f"{len(weights)} classes."
            )
        with torch.no_grad():
            current.copy_(torch.as_tensor(weights, dtype=current.dtype))
