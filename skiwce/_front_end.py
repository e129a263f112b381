"""Networks with a fixed front end: features fitted once per fit, only the head trained.

A network follows the protocol when it has

- ``fit_features(X, random_state)``: fits its front end (nothing trained: e.g. MiniRocket's
  biases) to training inputs ``X`` (a float32 tensor) and returns their features, a tensor
  ``(n, n_features)``;
- ``features(X)``: the features of any inputs with the fitted front end;
- ``head``: a module, features to logits, that holds every trainable parameter, and
  ``n_features_out``, the number of features;

and ``forward(X) == head(features(X))``. :class:`skiwce.IWCEClassifier` then computes the
features of its training (and validation) rows once and trains the head on them with skorch's
loop, its loss, schedule and callbacks; afterwards ``net_.module_`` is the whole network, the
fitted front end with the trained head, so prediction, pickling and warm starts see one module.
Further epochs (``warm_start``, ``partial_fit`` after the first call) train that whole network
on the raw inputs: the same head on the same fitted front end, with the features recomputed
per batch.
The stacked engine (:class:`skiwce.IWCEClassifierCV`, ``compare``) fits one front end per
distinct training set and seed, and trains the candidates' heads on those features.
:class:`skiwce.models.MiniRocket` is the one such network of the package.
"""

import contextlib
import contextvars
import copy
import dataclasses
import hashlib

import numpy as np
import torch
from torch import nn

from ._torch_utils import seeded
from .models import MLP


def has_fixed_front_end(module):
    """Whether ``module`` (a network class or instance) follows the fixed-front-end protocol."""
    return all(callable(getattr(module, name, None)) for name in ("fit_features", "features"))


def _to_numpy(features):
    return np.ascontiguousarray(features.detach().to("cpu", torch.float32).numpy())


# Fitted front ends shared by the fits of one search (see shared_front_ends); None: no sharing.
_SHARED = contextvars.ContextVar("skiwce_shared_front_ends", default=None)


@contextlib.contextmanager
def shared_front_ends():
    """Within the block, fits that would fit the same front end (network class and keyword
    arguments, training and validation inputs, seed and device) fit it once: the later ones
    get a copy of the fitted network and the same features, exactly what they would have
    computed. For a search's candidates that differ only in the head's training (T, epochs,
    learning rate) on the same folds. Fits in other processes (``n_jobs``) do not share."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _digest(X):
    if X is None:
        return None
    X = np.ascontiguousarray(X)
    return (X.shape, X.dtype.str, hashlib.blake2b(X.view(np.uint8).ravel()).hexdigest())


def fit_front_end(module, module_kwargs, X_train, X_valid, seed, device):
    """Build the network under ``seed`` (as skorch would build it), fit its front end on
    ``X_train`` and return ``(network, train features, validation features or None)``.

    ``module`` is a class (built with ``module_kwargs``) or an instance (copied); the features
    are float32 numpy arrays on the CPU, computed on ``device``. Inside
    :func:`shared_front_ends`, a fit already made there is reused.
    """
    shared, key = _SHARED.get(), None
    if shared is not None and isinstance(module, type):
        key = (
            module,
            repr(sorted(module_kwargs.items())),
            _digest(X_train),
            _digest(X_valid),
            int(seed),
            str(device),
        )
        if key in shared:
            network, train, valid = shared[key]
            return copy.deepcopy(network), train, valid
    network, train, valid = _fit_front_end(module, module_kwargs, X_train, X_valid, seed, device)
    if key is not None:
        shared[key] = (copy.deepcopy(network), train, valid)
    return network, train, valid


def _fit_front_end(module, module_kwargs, X_train, X_valid, seed, device):
    with seeded(seed, device):
        network = (
            copy.deepcopy(module) if isinstance(module, nn.Module) else module(**module_kwargs)
        )
    network.to(device)
    with torch.no_grad():
        train = _to_numpy(network.fit_features(torch.from_numpy(X_train).to(device), seed))
        valid = (
            None
            if X_valid is None
            else _to_numpy(network.features(torch.from_numpy(X_valid).to(device)))
        )
    return network, train, valid


class FeatureCache:
    """The features of each fold's rows under that fold's front end, for the stacked engine.

    A front end is fitted once per distinct training rows, validation rows and seed, on the
    plan's standardised training rows in the plan's order (as the estimator's fit on those
    rows would fit it); the features of its training and validation rows are computed once and
    kept (a block of ``rows x n_features_out`` float32 values; the test rows are transformed
    when scored). Memory: one block per fold and seed.
    """

    def __init__(self, module, module_kwargs, Xv, device, standardize):
        self.module = module
        self.module_kwargs = module_kwargs
        self.Xv = Xv
        self.device = device
        self.standardize = standardize
        self.blocks = {}  # key -> (rows (sorted), features, fitted network)

    def _block(self, plan, seed):
        valid = np.asarray([] if plan.valid_idx is None else plan.valid_idx, dtype=np.int64)
        key = (np.asarray(plan.train_idx).tobytes(), valid.tobytes(), int(seed))
        if key not in self.blocks:
            rows = np.union1d(plan.train_idx, valid)
            X = self.Xv[rows]  # a copy (fancy indexing), standardised in place
            self.standardize(X, plan.input_stats)
            train = X[np.searchsorted(rows, plan.train_idx)]
            network, _, features = fit_front_end(
                self.module, self.module_kwargs, train, X, seed, self.device
            )
            self.blocks[key] = (rows, features, network)
        return key

    def stack_chunk(self, plans, modules, seeds, y_enc):
        """What the stacked engine trains for models ``plans`` built as ``modules`` (whole
        networks, built as the estimator builds them) with front-end seeds ``seeds``: the
        features of the chunk's blocks ``X`` and their labels ``y``, the plans re-pointed at
        them, the heads to train, and each model's fitted network."""
        keys = [self._block(p, s) for p, s in zip(plans, seeds, strict=True)]
        offsets, start = {}, 0
        for key in dict.fromkeys(keys):
            offsets[key] = start
            start += len(self.blocks[key][0])
        moved, networks = [], []
        for plan, key in zip(plans, keys, strict=True):
            rows, _, network = self.blocks[key]

            def at(idx, rows=rows, offset=offsets[key]):
                return None if idx is None else offset + np.searchsorted(rows, idx)

            moved.append(
                dataclasses.replace(
                    plan,
                    train_idx=at(plan.train_idx),
                    valid_idx=at(plan.valid_idx),
                    input_stats=None,  # the front end's output is what the head sees
                )
            )
            networks.append(network)
        X = np.concatenate([self.blocks[key][1] for key in offsets])
        y = np.concatenate([y_enc[self.blocks[key][0]] for key in offsets])
        heads = [m.head for m in modules]
        return torch.from_numpy(X), torch.from_numpy(y), moved, heads, networks


#: A linear head trained full batch on ``n`` rows of ``p`` features trains in their ``n``-dim
#: row space when ``n * ROW_SPACE_RATIO <= p`` (where the factorisation costs less than it saves).
ROW_SPACE_RATIO = 16


def linear_layer(head):
    """The head's one ``nn.Linear`` when the head computes only it (skiwce's ``MLP`` without
    hidden layers, a ``Sequential`` of it and ``Flatten``/``Identity``, or a bare ``Linear``);
    else None."""
    if isinstance(head, nn.Linear):
        return head
    seq = head.net if isinstance(head, MLP) else head
    if isinstance(seq, nn.Sequential):
        layers = [m for m in seq if not isinstance(m, (nn.Flatten, nn.Identity))]
        if len(layers) == 1 and isinstance(layers[0], nn.Linear):
            return layers[0]
    return None


def row_space(features):
    """An orthonormal basis ``Q`` (p, n) of a space holding the rows of ``features`` (n, p)
    and the rows' coordinates in it, ``features @ Q`` (n, n): float32 numpy arrays.

    A linear layer ``x @ W.T + b`` whose weights ``W`` start at zero and move only along
    gradients of a loss of those rows plus an L2 penalty on ``W`` keeps ``W = V @ Q.T``: it
    trains exactly as the layer ``z @ V.T + b`` on the coordinates ``z``, with ``n`` inputs
    instead of ``p``, for any optimizer whose steps turn with a rotation of the inputs
    (gradient descent, L-BFGS; not Adam's per-coordinate scaling).
    """
    F = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    Q, R = torch.linalg.qr(F.T)  # F.T = Q R, so F @ Q = R.T
    return Q.contiguous().numpy(), R.T.contiguous().numpy()


def with_head(network, head):
    """A copy of the fitted ``network`` (front end) holding ``head`` (a trained head)."""
    out = copy.deepcopy(network)
    out.head = head.to(next(iter(network.buffers())).device)
    return out.eval()
