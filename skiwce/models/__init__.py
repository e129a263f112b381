"""PyTorch networks that return logits, sized by keyword arguments with defaults."""

import inspect

import numpy as np

from .._names import MODULE_NAMES
from ._cnn import CNN1D, HARNet
from ._minirocket import MiniRocket
from ._mlp import MLP
from ._resnet import ResNet18

__all__ = ["CNN1D", "HARNet", "MLP", "MODULES", "MiniRocket", "ResNet18", "size_kwargs"]

#: Networks by the names :class:`skiwce.IWCEClassifier` accepts for ``module``.
MODULES = dict(zip(MODULE_NAMES, (MLP, CNN1D, HARNet, ResNet18, MiniRocket), strict=True))

#: Dimensions of X (samples included) each named network takes.
MODULE_NDIMS = {
    "mlp": (2, 3, 4),
    "cnn1d": (2, 3),
    "har": (2, 3),
    "resnet18": (4,),
    "minirocket": (2, 3),
}

#: The network ``module="auto"`` picks for inputs of 2, 3 and 4 dimensions (series get
#: MiniRocket's front end with a trained linear head: benchmarks/results/minirocket_check.md).
AUTO_MODULES = {2: "mlp", 3: "minirocket", 4: "resnet18"}


def size_kwargs(module_cls, input_shape, n_classes):
    """Keyword arguments that size ``module_cls`` for the data, among those it accepts.

    The names understood are ``n_features`` (inputs flattened), ``in_channels`` (first axis of a
    sample with 2 or more axes, else 1), ``input_length`` (last axis), ``input_shape`` and
    ``n_classes``; a custom network gets whichever of them its ``__init__`` takes.

    Parameters
    ----------
    module_cls : type
        A :class:`torch.nn.Module` subclass.
    input_shape : tuple of int
        Shape of one sample.
    n_classes : int
        Number of classes.

    Returns
    -------
    kwargs : dict

    Examples
    --------
    >>> from skiwce.models import CNN1D, size_kwargs
    >>> size_kwargs(CNN1D, (1, 40), n_classes=10)
    {'in_channels': 1, 'input_length': 40, 'n_classes': 10}
    """
    input_shape = tuple(int(d) for d in input_shape)
    available = {
        "n_features": int(np.prod(input_shape)),
        "in_channels": input_shape[0] if len(input_shape) >= 2 else 1,
        "input_length": input_shape[-1],
        "input_shape": input_shape,
        "n_classes": int(n_classes),
    }
    params = inspect.signature(module_cls.__init__).parameters
    return {k: v for k, v in available.items() if k in params}
