"""A multi-layer perceptron for flat (or flattened) inputs."""

from torch import nn


class MLP(nn.Module):
    """Fully connected network with ReLU activations, returning logits.

    Inputs of any shape ``(n, *dims)`` are flattened to ``(n, prod(dims))``.

    Parameters
    ----------
    n_features : int, default=10
        Number of input features (after flattening).
    n_classes : int, default=2
        Number of output logits.
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer, as in scikit-learn's ``MLPClassifier``.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import MLP
    >>> MLP(n_features=4, n_classes=3)(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, n_features=10, n_classes=2, hidden_layer_sizes=(100,), dropout=0.0):
        super().__init__()
        sizes = tuple(hidden_layer_sizes)
        if not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be ints >= 1; got {hidden_layer_sizes!r}.")
        layers = [nn.Flatten()]
        width = n_features
        for size in sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, X):
        return self.net(X)
