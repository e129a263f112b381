"""MiniRocket's random-convolutional-kernel transform as a PyTorch front end, with a trained head.

MiniRocket (Dempster, Schmidt and Webb, KDD 2021) convolves a series with 84 fixed kernels of
length 9 (weights -1, and 2 at three of the nine positions: the 84 ways to choose three), at
exponentially spaced dilations, subtracts biases drawn from quantiles of the convolution outputs
of training series, and pools each output to the proportion of its positive values (PPV). Half of
the kernel/dilation combinations see the zero-padded ("same") output, half only its "valid" part.
For several channels, each kernel/dilation combination adds the convolutions of a random subset
of the channels. Written from the paper; the reference implementation was read to check details.

Nothing of the front end is trained: its biases (and channel subsets) are *fitted* from training
series by :meth:`MiniRocket.fit_features`. :class:`skiwce.IWCEClassifier` uses that: it computes
the features of the training rows once per fit and trains only ``head`` on them.
"""

from itertools import combinations
from math import log2

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._mlp import MLP

#: Length of MiniRocket's kernels.
KERNEL_LENGTH = 9
#: The 84 kernels: the positions (of 9) weighted 2; the other six are weighted -1.
KERNEL_INDICES = np.array(list(combinations(range(KERNEL_LENGTH), 3)), dtype=np.int64)
N_KERNELS = len(KERNEL_INDICES)  # 84
# Convolution outputs (series x kernels x positions) per chunk of the transform.
_CONV_ELEMENTS = 1 << 22
# Comparisons (series x kernels x features x positions) per piece of the PPV pooling: small
# enough for a CPU's cache.
_CACHE_ELEMENTS = 1 << 19


def minirocket_dilations(input_length, num_features=10_000, max_dilations_per_kernel=32):
    """MiniRocket's dilations for series of ``input_length`` and the features of each.

    ``min(num_features // 84, max_dilations_per_kernel)`` dilations exponentially spaced from
    1 to ``(input_length - 1) / 8`` (the largest at which the kernel spans the series), rounded
    down to integers; repeats merge, and each distinct dilation gets features in proportion to
    how often it appeared, the remainder spread one by one from the smallest. Series shorter
    than 9 are read as padded to 9.

    Parameters
    ----------
    input_length : int
        Length of the series.
    num_features : int, default=10_000
        Wanted features; ``num_features // 84`` per kernel (at least 1).
    max_dilations_per_kernel : int, default=32

    Returns
    -------
    dilations : ndarray of int64
    features_per_dilation : ndarray of int64
        Features per kernel at each dilation; they sum to ``max(num_features // 84, 1)``.

    Examples
    --------
    >>> from skiwce.models._minirocket import minirocket_dilations
    >>> d, f = minirocket_dilations(100)
    >>> d.tolist(), f.tolist()
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [34, 19, 15, 8, 12, 4, 8, 7, 3, 3, 3, 3])
    """
    length = max(int(input_length), KERNEL_LENGTH)
    per_kernel = max(int(num_features) // N_KERNELS, 1)
    n_dilations = max(min(per_kernel, int(max_dilations_per_kernel)), 1)
    multiplier = per_kernel / n_dilations
    top = log2((length - 1) / (KERNEL_LENGTH - 1))
    raw = np.logspace(0, top, n_dilations, base=2).astype(np.int32)
    dilations, counts = np.unique(raw, return_counts=True)
    counts = (counts * multiplier).astype(np.int64)
    remainder = per_kernel - int(counts.sum())
    for i in range(remainder):
        counts[i % len(counts)] += 1
    return dilations.astype(np.int64), counts


def minirocket_quantiles(n):
    """The first ``n`` terms of the low-discrepancy sequence ``(k * phi) mod 1``, k = 1..n,
    phi the golden ratio: the quantiles at which MiniRocket draws its biases, one per feature.

    Examples
    --------
    >>> from skiwce.models._minirocket import minirocket_quantiles
    >>> minirocket_quantiles(3).round(3).tolist()
    [0.618, 0.236, 0.854]
    """
    phi = (np.sqrt(5) + 1) / 2
    return (np.arange(1, n + 1) * phi % 1).astype(np.float32)


class MiniRocket(nn.Module):
    """MiniRocket's transform (fixed kernels, fitted biases, PPV pooling) and a trainable head.

    ``forward(X)`` returns ``head(features(X))``, the logits. The front end has no trainable
    parameters: :meth:`fit_features` fits its biases (and, for several channels, the channel
    subsets) from training series and returns their features, which the head then learns from.
    Its state lives in buffers, so it moves with ``.to(device)``, pickles and enters
    ``state_dict``. Inputs ``(n, channels, length)``; ``(n, length)`` is one channel. Series
    shorter than 9 are zero-padded on the right to 9, as the reference advises.

    The features are, per dilation (ascending), per kernel (the 84 combinations of 3 of 9
    positions, in lexicographic order), the proportion of positive values of the convolution
    output minus each of its biases: ``84 * (num_features // 84)`` features (9 996 by default).
    The convolution at dilation ``d`` pads ``4 d`` zeros on each side; at combinations where
    ``(dilation index + kernel index)`` is odd only the output positions that need no padding
    are pooled. The bias of feature ``i`` is the ``q_i`` quantile (linear interpolation) of the
    padded convolution output of one training series drawn at random for its kernel and
    dilation, ``q`` the sequence :func:`minirocket_quantiles`. With several channels each
    kernel/dilation combination sums the convolutions of ``floor(2 ** U(0, log2(min(C, 9) +
    1)))`` channels drawn without replacement.

    Parameters
    ----------
    in_channels : int, default=1
        Channels of the series.
    input_length : int, default=100
        Length of the series; it sets the dilations.
    n_classes : int, default=2
        Number of output logits.
    num_features : int, default=10_000
        Wanted features, rounded down to a multiple of 84 (at least 84).
    max_dilations_per_kernel : int, default=32
        Most dilations per kernel.
    hidden_layer_sizes : tuple of int, default=()
        Hidden layers of the head (an :class:`~skiwce.models.MLP`); ``()`` is a linear head.
    dropout : float, default=0.0
        Dropout of the head (before each hidden layer's output).
    standardize_features : bool, default=True
        Standardise the features for the head with the mean and standard deviation of the
        training features (``feature_mean``, ``feature_scale``; a constant feature is only
        centred).
    chunk_size : int or None, default=None
        Series per chunk of the transform; None sizes chunks to about 4 M convolution outputs.

    Attributes
    ----------
    head : nn.Module
        The trainable part, features to logits.
    n_features_out : int
        Number of features.
    dilations, features_per_dilation : torch.Tensor of int64 (buffers)
    biases : torch.Tensor of shape (n_features_out,) (buffer)
    channel_mask : torch.Tensor of shape (n_dilations, 84, in_channels) (buffer)
        1 where a kernel/dilation combination sums a channel.
    bias_sources : torch.Tensor of int64, shape (n_dilations, 84) (buffer)
        The training series (row of the fitted ``X``) whose convolution gave each kernel and
        dilation's biases.
    fitted : torch.Tensor of bool (buffer)
        Whether :meth:`fit_features` has run.

    Examples
    --------
    >>> import torch
    >>> from skiwce.models import MiniRocket
    >>> X = torch.randn(20, 2, 50)
    >>> net = MiniRocket(in_channels=2, input_length=50, n_classes=3)
    >>> net.fit_features(X, random_state=0).shape
    torch.Size([20, 9996])
    >>> net(X).shape
    torch.Size([20, 3])
    """

    def __init__(
        self,
        in_channels=1,
        input_length=100,
        n_classes=2,
        num_features=10_000,
        max_dilations_per_kernel=32,
        hidden_layer_sizes=(),
        dropout=0.0,
        standardize_features=True,
        chunk_size=None,
    ):
        super().__init__()
        for name, value, low in [
            ("in_channels", in_channels, 1),
            ("input_length", input_length, 1),
            ("num_features", num_features, 1),
            ("max_dilations_per_kernel", max_dilations_per_kernel, 1),
        ]:
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
        if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size >= 1):
            raise ValueError(f"chunk_size must be an int >= 1 or None; got {chunk_size!r}.")
        self.in_channels = int(in_channels)
        self.input_length = int(input_length)
        self.standardize_features = bool(standardize_features)
        self.chunk_size = chunk_size
        dilations, per_dilation = minirocket_dilations(
            input_length, num_features, max_dilations_per_kernel
        )
        self.n_features_out = int(N_KERNELS * per_dilation.sum())
        weights = -torch.ones(N_KERNELS, 1, KERNEL_LENGTH)
        for k, idx in enumerate(KERNEL_INDICES):
            weights[k, 0, idx] = 2.0
        self.register_buffer("kernels", weights)
        self.register_buffer("dilations", torch.as_tensor(dilations))
        self.register_buffer("features_per_dilation", torch.as_tensor(per_dilation))
        self.register_buffer("biases", torch.zeros(self.n_features_out))
        self.register_buffer(
            "channel_mask", torch.ones(len(dilations), N_KERNELS, self.in_channels)
        )
        self.register_buffer("feature_mean", torch.zeros(self.n_features_out))
        self.register_buffer("feature_scale", torch.ones(self.n_features_out))
        self.register_buffer(
            "bias_sources", torch.zeros(len(dilations), N_KERNELS, dtype=torch.int64)
        )
        self.register_buffer("fitted", torch.tensor(False))
        self.head = MLP(
            n_features=self.n_features_out,
            n_classes=n_classes,
            hidden_layer_sizes=hidden_layer_sizes,
            dropout=dropout,
        )

    # -- the front end -------------------------------------------------------------------------

    def _series(self, X):
        """X as a float tensor (n, channels, length >= 9) on the buffers' device."""
        X = torch.as_tensor(X, device=self.kernels.device)
        X = X.to(self.kernels.dtype)
        if X.ndim == 2:
            X = X.unsqueeze(1)
        if X.ndim != 3 or X.shape[1] != self.in_channels or X.shape[2] != self.input_length:
            raise ValueError(
                f"MiniRocket was built for series of shape ({self.in_channels}, "
                f"{self.input_length}); got X of shape {tuple(X.shape)}."
            )
        short = KERNEL_LENGTH - X.shape[-1]
        return F.pad(X, (0, short)) if short > 0 else X

    def _convolve(self, X, j, mask):
        """Convolutions at dilation ``j`` with ``4 d`` zeros padded on each side: (n, 84, length).

        ``mask`` (84, channels) weights each channel (the channel subsets). The nine taps of
        every position are gathered once, (n, channels * 9, length), and all kernels (and
        channel sums) are one matrix product with weights (84, channels * 9): faster on a CPU
        than a dilated convolution.
        """
        d = int(self.dilations[j])
        n, c, length = X.shape
        padded = F.pad(X, (4 * d, 4 * d))
        taps = torch.stack(
            [padded[..., i * d : i * d + length] for i in range(KERNEL_LENGTH)], dim=2
        )  # (n, c, 9, length)
        weights = (mask.unsqueeze(-1) * self.kernels.view(N_KERNELS, 1, KERNEL_LENGTH)).reshape(
            N_KERNELS, c * KERNEL_LENGTH
        )
        return torch.matmul(weights, taps.view(n, c * KERNEL_LENGTH, length))

    @torch.no_grad()
    def fit_features(self, X, random_state=None):
        """Fit the biases (and channel subsets) to training series ``X``; return their features.

        Parameters
        ----------
        X : array-like or tensor of shape (n, in_channels, input_length)
        random_state : int, numpy Generator or None, default=None
            Draws the channel subsets and the series behind each kernel/dilation's biases.

        Returns
        -------
        features : torch.Tensor of shape (n, n_features_out)
            As :meth:`features` returns them (standardised with ``standardize_features``).
        """
        X = self._series(X)
        rng = np.random.default_rng(random_state)
        n, c, length = X.shape
        n_dil = len(self.dilations)
        mask = torch.zeros(n_dil, N_KERNELS, c)
        top = log2(min(c, 9) + 1)
        for j in range(n_dil):
            for k in range(N_KERNELS):
                size = int(2 ** rng.uniform(0, top))
                mask[j, k, rng.choice(c, size=min(size, c), replace=False)] = 1.0
        self.channel_mask.copy_(mask)
        quantiles = torch.as_tensor(minirocket_quantiles(self.n_features_out), dtype=torch.float64)
        start = 0
        for j in range(n_dil):
            f = int(self.features_per_dilation[j])
            examples = torch.as_tensor(rng.integers(n, size=N_KERNELS), device=X.device)
            self.bias_sources[j] = examples
            with torch.autocast(X.device.type, enabled=False):
                conv = self._convolve(X[examples], j, self.channel_mask[j])
            # every kernel's biases come from its own series: the diagonal (series k, kernel k)
            own = conv[torch.arange(N_KERNELS), torch.arange(N_KERNELS)].double()
            q = quantiles[start : start + N_KERNELS * f].view(N_KERNELS, f).to(own.device)
            self.biases[start : start + N_KERNELS * f] = _quantile_rows(own, q).reshape(-1)
            start += N_KERNELS * f
        self.fitted.fill_(True)
        self.feature_mean.zero_()
        self.feature_scale.fill_(1.0)
        feats = self._ppv(X)
        if self.standardize_features:
            mean = feats.mean(0, dtype=torch.float64)
            std = feats.double().std(0, correction=0)
            std[std <= 1e-12] = 1.0
            self.feature_mean.copy_(mean)
            self.feature_scale.copy_(std)
            feats = (feats - self.feature_mean) / self.feature_scale
        return feats

    @torch.no_grad()
    def features(self, X):
        """The (standardised) features of ``X``, shape ``(n, n_features_out)``."""
        if not bool(self.fitted):
            raise RuntimeError("MiniRocket's biases are not fitted: call fit_features first.")
        feats = self._ppv(self._series(X))
        if self.standardize_features:
            feats = (feats - self.feature_mean) / self.feature_scale
        return feats

    def _ppv(self, X):
        """Proportion of positive values of every convolution minus its biases: (n, features).

        Always in the buffers' precision: under an autocast (bf16 training on a GPU) the
        convolutions would round differently from the features the head trained on.
        """
        n, _, length = X.shape
        out = torch.empty(n, self.n_features_out, dtype=X.dtype, device=X.device)
        chunk = self.chunk_size or max(1, _CONV_ELEMENTS // (N_KERNELS * length))
        with torch.autocast(X.device.type, enabled=False):
            for s in range(0, n, chunk):
                out[s : s + chunk] = self._ppv_chunk(X[s : s + chunk])
        return out

    def _ppv_chunk(self, X):
        n, _, length = X.shape
        out = torch.empty(n, self.n_features_out, dtype=X.dtype, device=X.device)
        start = 0
        for j in range(len(self.dilations)):
            d, f = int(self.dilations[j]), int(self.features_per_dilation[j])
            conv = self._convolve(X, j, self.channel_mask[j])
            biases = self.biases[start : start + N_KERNELS * f].view(N_KERNELS, f)
            feats = out[:, start : start + N_KERNELS * f].view(n, N_KERNELS, f)
            for first in (0, 1):
                # kernels k with (j + k) even pool the whole padded output, odd ones only the
                # positions that need no padding
                kernels = slice(first, None, 2)
                c = conv[:, kernels]
                if (j + first) % 2:
                    c = c[..., 4 * d : length - 4 * d]
                feats[:, kernels] = _positive_fraction(c, biases[kernels])
            start += N_KERNELS * f
        return out

    def forward(self, X):
        return self.head(self.features(X))


def _positive_fraction(conv, biases):
    """``mean(conv > bias)`` over the last axis: conv (n, k, L), biases (k, f) -> (n, k, f).

    In pieces of a few series whose (n, k, f, L) differences stay in the CPU's cache (3 to 10
    times faster than one broadcast over all); ``c - b > 0`` is ``c > b`` for floats.
    """
    n, k, length = conv.shape
    f = biases.shape[1]
    step = max(1, _CACHE_ELEMENTS // (k * f * length))
    out = torch.empty(n, k, f, dtype=conv.dtype, device=conv.device)
    b = biases.unsqueeze(-1)
    for s in range(0, n, step):
        out[s : s + step] = (conv[s : s + step].unsqueeze(2) - b).gt_(0).sum(-1)
    return out.div_(length)


def _quantile_rows(values, q):
    """Row-wise quantiles with linear interpolation (numpy's default): values (k, L), q (k, f)
    in [0, 1] -> (k, f)."""
    ordered = values.sort(dim=1).values
    pos = q * (values.shape[1] - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=values.shape[1] - 1)
    frac = pos - lo
    a, b = ordered.gather(1, lo), ordered.gather(1, hi)
    return (a + (b - a) * frac).to(torch.float32)
