"""Optimizers skiwce adds to PyTorch's."""

import torch


class LBFGS(torch.optim.LBFGS):
    """Full-batch L-BFGS with a strong-Wolfe line search and an L2 penalty.

    PyTorch's :class:`torch.optim.LBFGS` with ``line_search_fn="strong_wolfe"`` by default and
    a ``weight_decay``: the objective it minimises is the loss plus
    ``weight_decay / 2 * sum(||w||^2)`` over the weights ``w``, the parameters of two or more
    dimensions; biases (one dimension) are not penalised (the penalty of
    :class:`sklearn.linear_model.LogisticRegression` with ``C = 1 / (weight_decay * n)`` when
    the loss is a mean over ``n`` rows). One :meth:`step` runs up to ``max_iter`` iterations
    on the batch its closure evaluates; it is a full-batch method, meant for the whole training
    set in one batch (:class:`skiwce.IWCEClassifier` gives it that).

    The line search chooses each step: ``lr`` is the length of the first trial step of each
    line search relative to the quasi-Newton direction, 1 (the natural step) by default.

    Parameters
    ----------
    params : iterable of parameters
    lr : float, default=1.0
    max_iter : int, default=10
        Iterations per :meth:`step` (per epoch in skorch's loop).
    history_size : int, default=10
    tolerance_grad, tolerance_change : float
        Stop a step early when the gradient's largest entry, or the change of the loss or of
        the parameters, falls below these.
    line_search_fn : {"strong_wolfe", None}, default="strong_wolfe"
    weight_decay : float, default=0.0
        Strength of the L2 penalty on the weights (not the biases).

    Examples
    --------
    >>> import torch
    >>> from skiwce._optim import LBFGS
    >>> w = torch.nn.Parameter(torch.tensor([[3.0]]))  # a weight (2-D): penalised
    >>> opt = LBFGS([w], weight_decay=1.0)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 1.0) ** 2).sum() / 2
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> round(w.item(), 4)  # the minimum of (w - 1)^2 / 2 + w^2 / 2
    0.5
    """

    def __init__(
        self,
        params,
        lr=1.0,
        max_iter=10,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=10,
        line_search_fn="strong_wolfe",
        weight_decay=0.0,
    ):
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay must be >= 0; got {weight_decay!r}.")
        super().__init__(
            params,
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        for group in self.param_groups:
            group["weight_decay"] = float(weight_decay)

    def step(self, closure):
        """One L-BFGS step (up to ``max_iter`` iterations) on ``closure``'s loss plus the L2
        penalty; returns the first evaluation's loss without the penalty (what the closure
        returned: skorch records that as the training loss)."""
        group = self.param_groups[0]
        decay = group["weight_decay"]
        if not decay:
            return super().step(closure)
        params = [p for p in group["params"] if p.ndim >= 2]
        first = []

        def penalised():
            loss = closure()
            if not first:
                first.append(loss)
            with torch.no_grad():
                penalty = sum(p.pow(2).sum() for p in params)
                for p in params:
                    if p.grad is not None:
                        p.grad.add_(p, alpha=decay)
            return loss + 0.5 * decay * penalty

        super().step(penalised)
        return first[0] if first else None
