"""Loss modules for skorch nets.

Each subclasses :class:`torch.nn.CrossEntropyLoss`, so skorch's ``predict_proba`` applies a
softmax to the logits, and accepts an optional ``sample_weight`` in ``forward``.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .functional._loss import _check_shapes, _iwce_loss, _weighted_reduce, check_reduction

__all__ = ["IWCELoss", "FocalLoss", "LDAMLoss", "LogitAdjustedLoss"]


def _as_prior(class_counts):
    counts = torch.as_tensor(np.asarray(class_counts, dtype=np.float64))
    if counts.ndim != 1 or len(counts) < 2 or not torch.all(counts > 0):
        raise ValueError(
            "class_counts must be one positive count per class (at least 2); got "
            f"{class_counts!r}."
        )
    return counts / counts.sum()


class IWCELoss(nn.CrossEntropyLoss):
    """Cross entropy with class weights that a callback can change between epochs.

    The class weights live in the ``weight`` buffer inherited from
    :class:`~torch.nn.CrossEntropyLoss`; :class:`skiwce.IncrementalClassWeights` overwrites it in
    place at the start of every epoch. Unlike ``CrossEntropyLoss``, the default reduction is the
    plain mean over samples, ``-(1/n) sum_j w_{y_j} log p_{y_j}``, as in the IWCE paper; PyTorch's
    ``CrossEntropyLoss(weight=w)`` divides by ``sum_j w_{y_j}`` instead (``"weighted_mean"``
    here), which cancels the global scale of the weights.

    Parameters
    ----------
    weight : Tensor of shape (n_classes,), default=None
        Initial class weights; None means unit weights (plain cross entropy) until a callback
        sets them.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default="mean"
        See :func:`skiwce.functional.iwce_loss`.

    Examples
    --------
    >>> import torch
    >>> from skiwce import IWCELoss
    >>> loss = IWCELoss(weight=torch.tensor([1.0, 3.0]))
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> round(loss(logits, torch.tensor([0, 1])).item(), 4)
    0.5334
    """

    def __init__(self, weight=None, reduction="mean"):
        check_reduction(reduction)
        super().__init__(weight=weight)
        self.reduction = reduction

    def forward(self, input, target, sample_weight=None):
        _check_shapes(input, self.weight, sample_weight)
        return _iwce_loss(input, target, self.weight, sample_weight, self.reduction)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The weights are usually set by a callback after construction; a fresh loss (weight
        # None) must still load a saved one, e.g. skorch's load_params(f_criterion=...).
        key = prefix + "weight"
        if self.weight is None and key in state_dict:
            self.weight = torch.empty_like(state_dict[key])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class FocalLoss(IWCELoss):
    """Focal loss (Lin et al., 2017): cross entropy scaled by ``(1 - p_y) ** gamma``.

    Class weights (the ``weight`` buffer) act as focal loss's alpha and can be scheduled by
    :class:`skiwce.IncrementalClassWeights` like IWCE's.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``; 0 gives weighted cross entropy.
    weight, reduction
        As for :class:`IWCELoss`.

    Examples
    --------
    >>> import torch
    >>> from skiwce.losses import FocalLoss
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> round(FocalLoss(gamma=2.0)(logits, torch.tensor([0, 1])).item(), 4)
    0.0122
    """

    def __init__(self, gamma=2.0, weight=None, reduction="mean"):
        if not gamma >= 0:
            raise ValueError(f"gamma must be >= 0; got {gamma!r}.")
        super().__init__(weight=weight, reduction=reduction)
        self.gamma = gamma

    def forward(self, input, target, sample_weight=None):
        _check_shapes(input, self.weight, sample_weight)
        log_p = F.log_softmax(input, dim=1).gather(1, target[:, None])[:, 0]
        # 1 - p as -expm1(log p), exact near p = 1; kept at or above the smallest normal
        # number, since d/dx x**gamma is infinite at x = 0 for gamma < 1 (NaN gradients once a
        # probability rounds to 1). Below it the factor is constant: no gradient, and a loss
        # term of at most tiny**gamma * |log p|, itself ~0.
        one_minus_p = (-torch.expm1(log_p)).clamp_min(torch.finfo(log_p.dtype).tiny)
        losses = -(one_minus_p**self.gamma) * log_p
        return _weighted_reduce(losses, target, self.weight, sample_weight, self.reduction)


class LDAMLoss(IWCELoss):
    """Label-distribution-aware margin loss (Cao et al., 2019).

    Subtracts a margin ``m_c ∝ n_c ** (-1/4)`` (largest margin ``max_margin``) from the true
    class's logit and scales the logits by ``s`` before cross entropy. Cao et al. use ``s = 30``
    with a normalised (cosine) output layer; on the raw logits of an ordinary linear head,
    keep ``s = 1``. With the ``"step"``
    schedule of :class:`skiwce.IncrementalClassWeights` it is LDAM-DRW.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training samples per class.
    max_margin : float, default=0.5
        The margin of the rarest class.
    s : float, default=1.0
        Logit scale.
    weight, reduction
        As for :class:`IWCELoss`.

    Examples
    --------
    >>> import torch
    >>> from skiwce.losses import LDAMLoss
    >>> loss = LDAMLoss(class_counts=[100, 10])
    >>> loss.margins.round(decimals=3)
    tensor([0.2810, 0.5000], dtype=torch.float64)
    """

    def __init__(self, class_counts, max_margin=0.5, s=1.0, weight=None, reduction="mean"):
        super().__init__(weight=weight, reduction=reduction)
        prior = _as_prior(class_counts)
        m = prior ** (-0.25)
        self.register_buffer("margins", m * (max_margin / m.max()))
        self.s = s

    def forward(self, input, target, sample_weight=None):
        margin = self.margins.to(input.dtype)[target]
        shifted = input - F.one_hot(target, input.shape[1]).to(input.dtype) * margin[:, None]
        _check_shapes(input, self.weight, sample_weight)
        return _iwce_loss(self.s * shifted, target, self.weight, sample_weight, self.reduction)


class LogitAdjustedLoss(IWCELoss):
    """Logit-adjusted cross entropy (Menon et al., 2021).

    Trains on ``logits + tau * log(prior)``, so that the raw logits estimate balanced class
    posteriors and ``argmax`` of them needs no post-hoc correction.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training samples per class.
    tau : float, default=1.0
        Strength of the adjustment.
    weight, reduction
        As for :class:`IWCELoss`.

    Examples
    --------
    >>> import torch
    >>> from skiwce.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(class_counts=[90, 10])
    >>> loss.log_prior.exp()
    tensor([0.9000, 0.1000], dtype=torch.float64)
    """

    def __init__(self, class_counts, tau=1.0, weight=None, reduction="mean"):
        super().__init__(weight=weight, reduction=reduction)
        self.register_buffer("log_prior", torch.log(_as_prior(class_counts)))
        self.tau = tau

    def forward(self, input, target, sample_weight=None):
        adjusted = input + self.tau * self.log_prior.to(input.dtype)
        _check_shapes(input, self.weight, sample_weight)
        return _iwce_loss(adjusted, target, self.weight, sample_weight, self.reduction)
