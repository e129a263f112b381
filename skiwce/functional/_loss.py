"""The weighted cross-entropy loss with the paper's plain-mean reduction (pure PyTorch)."""

import torch
import torch.nn.functional as F

#: Reductions of :func:`iwce_loss`.
REDUCTIONS = ("mean", "sum", "none", "weighted_mean")


def iwce_loss(input, target, weight=None, *, sample_weight=None, reduction="mean"):
    """Weighted cross entropy, reduced as the IWCE paper does.

    ``loss_j = -s_j * w_{y_j} * log softmax(input_j)_{y_j}`` for sample ``j`` with class weight
    ``w`` and sample weight ``s``, then reduced.

    Parameters
    ----------
    input : Tensor of shape (n_samples, n_classes)
        Logits.
    target : Tensor of int64, shape (n_samples,)
        Class indices.
    weight : Tensor of shape (n_classes,), default=None
        Class weights; None means 1 for every class.
    sample_weight : Tensor of shape (n_samples,), default=None
        Per-sample weights, e.g. from AdaBoost; None means 1 for every sample.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default="mean"
        - ``"mean"``: the plain mean over the samples, ``sum_j loss_j / n`` (the paper's loss).
        - ``"weighted_mean"``: ``sum_j loss_j / sum_j s_j w_{y_j}``, what
          :class:`torch.nn.CrossEntropyLoss` computes with ``weight``. It cancels any common
          scale of the weights, so a minority-heavy batch does not get a larger loss.
        - ``"sum"`` and ``"none"`` as in PyTorch.

    Returns
    -------
    loss : Tensor
        A scalar, or one value per sample for ``"none"``.

    Examples
    --------
    >>> import torch
    >>> from skiwce.functional import iwce_loss
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> target = torch.tensor([0, 1])
    >>> w = torch.tensor([1.0, 3.0])
    >>> round(iwce_loss(logits, target, w).item(), 4)
    0.5334
    >>> round(iwce_loss(logits, target, w, reduction="weighted_mean").item(), 4)
    0.2667
    """
    check_reduction(reduction)
    _check_shapes(input, weight, sample_weight)
    return _iwce_loss(input, target, weight, sample_weight, reduction)


def check_reduction(reduction):
    """Raise a ValueError unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}.")


def _iwce_loss(input, target, weight, sample_weight, reduction):
    """:func:`iwce_loss` without its checks, for the loss modules' per-batch calls (they check
    ``reduction`` once, when made)."""
    if reduction == "weighted_mean":
        losses = F.cross_entropy(input, target, reduction="none")
        return _weighted_reduce(losses, target, weight, sample_weight, reduction)
    # The class weight inside the kernel: one op instead of a gather and a product per batch.
    w = None if weight is None else weight.to(input.dtype)
    losses = F.cross_entropy(input, target, weight=w, reduction="none")
    return _weighted_reduce(losses, target, None, sample_weight, reduction)


def _check_shapes(input, weight, sample_weight):
    if input.ndim != 2:
        raise ValueError(
            f"input must be logits of shape (n_samples, n_classes); got {tuple(input.shape)}."
        )
    if weight is not None and weight.shape != (input.shape[1],):
        raise ValueError(
            f"weight must hold one value per class, shape ({input.shape[1]},); got "
            f"{tuple(weight.shape)}."
        )
    if sample_weight is not None and sample_weight.shape != (input.shape[0],):
        raise ValueError(
            f"sample_weight must hold one value per sample, shape ({input.shape[0]},); got "
            f"{tuple(sample_weight.shape)}."
        )


def _weighted_reduce(losses, target, weight=None, sample_weight=None, reduction="mean"):
    """Weight per-sample losses by class and sample, then reduce them as :func:`iwce_loss` does.

    Losses other than cross entropy (focal loss, say) use it to share IWCE's weighting and
    reductions. ``losses`` has shape (n_samples,); the other arguments are those of
    :func:`iwce_loss`. ``reduction`` is not checked here (per batch) but by the callers, once.
    """
    sample_w = None
    if weight is not None:
        sample_w = weight.to(losses.dtype)[target]
    if sample_weight is not None:
        sw = sample_weight.to(losses.dtype)
        sample_w = sw if sample_w is None else sample_w * sw
    if sample_w is not None:
        losses = losses * sample_w
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if reduction == "weighted_mean":
        denom = sample_w.sum() if sample_w is not None else losses.new_tensor(losses.numel())
        # A batch whose samples all weigh 0 contributes nothing (0 / 0 would be NaN, and NaN
        # gradients would ruin every parameter).
        denom = torch.where(denom > 0, denom, torch.ones_like(denom))
        return losses.sum() / denom
    if reduction == "mean":
        return losses.mean()
    check_reduction(reduction)  # raises: a reduction changed after the checks
