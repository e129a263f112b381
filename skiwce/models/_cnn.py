"""The paper's two 1D convolutional networks.

Both keep every input position connected to the output, for any input length: convolutions are
length-preserving (``padding="same"``) or, with ``padding="valid"``, inputs too short for the
layers are zero-padded on the right; max-pooling rounds its output length up (``ceil_mode``), so
it never drops the tail of a sequence whose length is not a multiple of the pool size.
"""

import torch.nn.functional as F
from torch import nn

PADDINGS = ("same", "valid")


def _as_sequence(X):
    """(n, length) -> (n, 1, length); (n, channels, length) unchanged."""
    return X.unsqueeze(1) if X.ndim == 2 else X


def _pad_to(X, length):
    """Zero-pad the last axis on the right up to ``length``."""
    short = length - X.shape[-1]
    return F.pad(X, (0, short)) if short > 0 else X


def _check_padding(padding):
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}; got {padding!r}.")


def _conv(in_channels, out_channels, kernel_size, padding):
    """Conv1d; ``"same"`` pads ``(k - 1) // 2`` zeros on the left and ``k // 2`` on the right,
    as Keras does (PyTorch's own ``padding="same"`` warns for even kernels)."""
    conv = nn.Conv1d(in_channels, out_channels, kernel_size)
    if padding == "valid" or kernel_size == 1:
        return conv
    return nn.Sequential(nn.ConstantPad1d(((kernel_size - 1) // 2, kernel_size // 2), 0.0), conv)


def _pooled_length(length, pool):
    """Output length of ``MaxPool1d(pool, ceil_mode=True)`` on ``length`` (>= 1) positions."""
    return max(1, -(-(length - pool) // pool) + 1)


class CNN1D(nn.Module):
    """The paper's network for the artificial Gaussian-quantile data.

    Conv1d(32, k=3) + ReLU, Conv1d(64, k=2), MaxPool(2), FC 128 + ReLU, Dropout, FC 16 + ReLU,
    FC ``n_classes`` (logits). A row of ``n`` features is read as a one-channel sequence of length
    ``n``; inputs of shape ``(n, channels, length)`` are used as they are.

    The convolutions keep the sequence's length (``padding="same"``, as in the Keras code of
    Taherkhani et al.'s AdaBoost-CNN, the likely source of the paper's network and data), and the
    pooling rounds up, so every feature reaches the output. ``padding="valid"`` is the literal
    reading of the paper's layer table; inputs shorter than the 4 samples it needs are then
    zero-padded on the right. With floor pooling that variant never saw the 10th feature of a
    10-feature row, which capped its test accuracy on the paper's data near 81 %.

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
    padding : {"same", "valid"}, default="same"
        Padding of the convolutions: ``"same"`` keeps the length, ``"valid"`` adds none.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import CNN1D
    >>> CNN1D(input_length=10, n_classes=3)(torch.zeros(4, 10)).shape
    torch.Size([4, 3])
    >>> CNN1D(input_length=1, n_classes=2, padding="valid")(torch.zeros(4, 1)).shape
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
        padding="same",
    ):
        super().__init__()
        _check_padding(padding)
        k1, k2 = kernel_sizes
        # Shortest input the layers take: any for "same"; for "valid", one position left after
        # both convolutions.
        self.min_length = 1 if padding == "same" else k1 + k2 - 1
        length = max(input_length, self.min_length)
        if padding == "valid":
            length -= k1 + k2 - 2
        self.features = nn.Sequential(
            _conv(in_channels, channels[0], k1, padding),
            nn.ReLU(),
            _conv(channels[0], channels[1], k2, padding),
            nn.MaxPool1d(2, ceil_mode=True),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(channels[1] * _pooled_length(length, 2), hidden[0]),
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
    channel). The pooling rounds up, so the last samples of a window whose length does not fit
    the pool are not dropped; with ``padding="valid"`` (the paper's and the Keras tutorial's
    layers) sequences shorter than the layers need are zero-padded on the right.

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
    padding : {"valid", "same"}, default="valid"
        Padding of the convolutions: ``"valid"`` adds none, ``"same"`` keeps the length.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import HARNet
    >>> HARNet(in_channels=3, n_classes=6)(torch.zeros(2, 3, 80)).shape
    torch.Size([2, 6])
    """

    def __init__(
        self,
        in_channels=3,
        n_classes=6,
        channels=(100, 160),
        kernel_size=10,
        pool=3,
        dropout=0.2,
        padding="valid",
    ):
        super().__init__()
        _check_padding(padding)
        # Shortest input for "valid": kernel_size positions left after the first convolution and
        # the (rounded-up) pooling, for the second convolution.
        self.min_length = 1 if padding == "same" else kernel_size + pool * (kernel_size - 1)
        self.features = nn.Sequential(
            _conv(in_channels, channels[0], kernel_size, padding),
            nn.ReLU(),
            nn.MaxPool1d(pool, ceil_mode=True),
            _conv(channels[0], channels[1], kernel_size, padding),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
        )
        self.classifier = nn.Linear(channels[1], n_classes)

    def forward(self, X):
        return self.classifier(self.features(_pad_to(_as_sequence(X), self.min_length)))
