"""A CIFAR-style ResNet-18 for small images."""

import torch.nn.functional as F
from torch import nn


class _BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18 with a CIFAR stem (3x3 convolution, stride 1, no max-pooling).

    Four stages of two basic blocks (widths ``width * (1, 2, 4, 8)``, strides 1, 2, 2, 2), global
    average pooling and a linear layer returning logits. Works for any channel count and any image
    size (8x8 digits, 28x28, 32x32, ...).

    Parameters
    ----------
    in_channels : int, default=3
        Image channels.
    n_classes : int, default=10
        Number of output logits.
    width : int, default=64
        Channels of the first stage; 64 is the standard ResNet-18.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import ResNet18
    >>> ResNet18(in_channels=1, n_classes=10, width=8)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels=3, n_classes=10, width=64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        layers, in_planes = [], width
        for i, stride in enumerate((1, 2, 2, 2)):
            planes = width * 2**i
            layers += [_BasicBlock(in_planes, planes, stride), _BasicBlock(planes, planes, 1)]
            in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_planes, n_classes)
        )

    def forward(self, X):
        return self.head(self.layers(self.stem(X)))
