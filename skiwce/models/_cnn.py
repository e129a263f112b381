"""The paper's two 1D convolutional networks."""

import torch.nn.functional as F
from torch import nn


def _as_sequence(X):
    """(n, length) -> (n, 1, length); (n, channels, length) unchanged."""
    return X.unsqueeze(1) if X.ndim == 2 else X


def _pad_to(X, length):
    """Zero-pad the last axis on the right up to ``length``."""
    short = length - X.shape[-1]
    return F.pad(X, (0, short)) if short > 0 else X


class CNN1D(nn.Module):
    """The paper's network for the artificial Gaussian-quantile data.

    Conv1d(32, k=3) + ReLU, Conv1d(64, k=2), MaxPool(2), FC 128 + ReLU, Dropout, FC 16 + ReLU,
    FC ``n_classes`` (logits). A row of ``n`` features is read as a one-channel sequence of length
    ``n``; inputs of shape ``(n, channels, length)`` are used as they are. Sequences shorter than
    the 5 samples the layers need are zero-padded on the right, so 1 to 4 features work too.

    Parameters
    ----------
    input_length : int, default=10
        Length of the sequence (the number of features of a flat row).
    in_channels : int, default=1
        Input channels.
    n_classes : int, default=3
        Number of output logits.
    channels : tuple of (int, int), default=(32, 64)
        Filters of the two convolutions.
    kernel_sizes : tuple of (int, int), default=(3, 2)
        Kernel sizes of the two convolutions.
    hidden : tuple of (int, int), default=(128, 16)
        Widths of the two fully connected layers.
    dropout : float, default=0.2
        Dropout after the first fully connected layer.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import CNN1D
    >>> CNN1D(input_length=10, n_classes=3)(torch.zeros(4, 10)).shape
    torch.Size([4, 3])
    >>> CNN1D(input_length=1, n_classes=2)(torch.zeros(4, 1)).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        input_length=10,
        in_channels=1,
        n_classes=3,
        channels=(32, 64),
        kernel_sizes=(3, 2),
        hidden=(128, 16),
        dropout=0.2,
    ):
        super().__init__()
        k1, k2 = kernel_sizes
        # Shortest input for which the pooled length is >= 1.
        self.min_length = k1 + k2 - 2 + 2
        length = max(input_length, self.min_length)
        pooled = (length - k1 + 1 - k2 + 1) // 2
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, channels[0], k1),
            nn.ReLU(),
            nn.Conv1d(channels[0], channels[1], k2),
            nn.MaxPool1d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(channels[1] * pooled, hidden[0]),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden[0], hidden[1]),
            nn.ReLU(),
            nn.Linear(hidden[1], n_classes),
        )

    def forward(self, X):
        return self.classifier(self.features(_pad_to(_as_sequence(X), self.min_length)))


class HARNet(nn.Module):
    """The paper's network for human-activity recognition (WISDM).

    Conv1d(100, k=10) + ReLU, MaxPool(3), Conv1d(160, k=10) + ReLU, global average pooling,
    Dropout, FC ``n_classes`` (logits). Inputs are ``(n, channels, length)`` (a flat row is one
    channel); sequences shorter than the layers need are zero-padded on the right.

    Parameters
    ----------
    in_channels : int, default=3
        Input channels (3 accelerometer axes for WISDM).
    n_classes : int, default=6
        Number of output logits.
    channels : tuple of (int, int), default=(100, 160)
        Filters of the two convolutions.
    kernel_size : int, default=10
        Kernel size of both convolutions.
    pool : int, default=3
        Max-pooling size between them.
    dropout : float, default=0.2
        Dropout before the output layer.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import HARNet
    >>> HARNet(in_channels=3, n_classes=6)(torch.zeros(2, 3, 80)).shape
    torch.Size([2, 6])
    """

    def __init__(
        self, in_channels=3, n_classes=6, channels=(100, 160), kernel_size=10, pool=3, dropout=0.2
    ):
        super().__init__()
        self.min_length = (kernel_size - 1) + pool * kernel_size
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, channels[0], kernel_size),
            nn.ReLU(),
            nn.MaxPool1d(pool),
            nn.Conv1d(channels[0], channels[1], kernel_size),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
        )
        self.classifier = nn.Linear(channels[1], n_classes)

    def forward(self, X):
        return self.classifier(self.features(_pad_to(_as_sequence(X), self.min_length)))
