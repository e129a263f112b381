"""The skorch net that :class:`skiwce.IWCEClassifier` builds: fast in-memory batching and
per-sample weights on top of skorch's training loop."""

from collections.abc import Mapping

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader

from ._torch_utils import unwrap_dataset

BATCHINGS = ("tensor", "dataloader")
PRECISIONS = ("auto", "32", "bf16")


def resolve_precision(precision, device):
    """``"auto"`` is bf16 on a CUDA device with native bf16 (compute capability 8.0, Ampere, and
    newer), else fp32: older GPUs only emulate bf16, slower than fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
    if precision == "auto":
        device = torch.device(device)
        native_bf16 = device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8
        return "bf16" if native_bf16 else "32"
    return precision


def _to_tensor(a):
    if isinstance(a, torch.Tensor):
        return a
    a = np.asarray(a)
    if not a.flags.writeable or not a.flags.c_contiguous:
        a = np.array(a, order="C")  # torch warns on read-only arrays
    return torch.from_numpy(a)


class SparseRows:
    """The rows of a scipy sparse matrix, made dense one batch at a time.

    ``matrix`` is a CSR matrix of float32 (the estimator's own copy); ``stats``, a
    ``(mean, scale)`` pair of per-feature float32 arrays or None, standardises each batch as it
    is made dense (centring would make the whole matrix dense; a batch is dense anyway). The
    memory this costs is the CSR copy (about 8 bytes per stored value) and one dense batch of
    ``batch_size x n_features`` float32 at a time.

    Both batching paths take it: :class:`TensorBatches` slices batches with :meth:`dense`, and
    skorch's DataLoader path indexes one row at a time.
    """

    def __init__(self, matrix, stats=None):
        self.matrix = matrix
        self.stats = stats

    @property
    def shape(self):
        return self.matrix.shape

    def __len__(self):
        return self.matrix.shape[0]

    def dense(self, rows):
        """Rows (a slice or integer indices) as a dense float32 array, standardised."""
        block = self.matrix[rows].toarray()
        if block.dtype != np.float32:
            block = block.astype(np.float32)
        if self.stats is not None:
            mean, scale = self.stats
            block -= mean
            block /= scale
        return block

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            return self.dense([i])[0]
        return self.dense(i)

    def subset(self, indices):
        return SparseRows(self.matrix[np.asarray(indices)], self.stats)


def _in_memory_data(dataset):
    """(X, y) of a skorch Dataset (or a Subset of one) as CPU tensors, X possibly a dict.

    Returns None when the data is not held in memory as arrays (a custom torch Dataset, sparse
    matrices, pandas objects), for which skorch's DataLoader path is used. :class:`SparseRows`
    stay as they are: their batches are made dense when sliced.
    """
    dataset, indices = unwrap_dataset(dataset)
    if type(dataset) is not SkorchDataset:
        return None
    if indices is not None:
        indices = torch.from_numpy(indices)

    def convert(a):
        if a is None:
            return None
        if isinstance(a, SparseRows):
            return a if indices is None else a.subset(indices.numpy())
        if not isinstance(a, (np.ndarray, torch.Tensor)):
            raise TypeError
        t = _to_tensor(a)
        return t if indices is None else t.index_select(0, indices)

    try:
        X = dataset.X
        if isinstance(X, Mapping):
            X = {k: convert(v) for k, v in X.items()}
        else:
            X = convert(X)
        return X, convert(dataset.y)
    except TypeError:
        return None


class TensorBatches:
    """Mini-batches by index slicing of tensors made once, with a seeded permutation per epoch.

    With ``shuffle=True`` each epoch draws from ``generator`` exactly what a
    :class:`~torch.utils.data.DataLoader` with that generator draws, so both paths see the same
    batches and train to the same result (a test holds them to it).
    """

    def __init__(
        self,
        X,
        y,
        batch_size,
        shuffle=False,
        generator=None,
        device="cpu",
        channels_last=False,
        drop_last=False,
    ):
        self.device = torch.device(device)
        self.drop_last = drop_last
        if channels_last:
            X = _channels_last(X)
        self.X = self._place(X)
        self.y = None if y is None else self._place(y)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        first = next(iter(X.values())) if isinstance(X, Mapping) else X
        self.n_samples = len(first)

    def _place(self, t):
        if isinstance(t, Mapping):
            return {k: self._place(v) for k, v in t.items()}
        if isinstance(t, SparseRows):  # made dense (and moved) one batch at a time
            return t
        if self.device.type == "cuda":
            if _fits_on_device(t, self.device):
                return t.to(self.device)
            return t.pin_memory()
        return t

    def _take(self, t, idx):
        if t is None:
            return None
        if isinstance(t, Mapping):
            return {k: self._take(v, idx) for k, v in t.items()}
        if isinstance(t, SparseRows):
            rows = idx if isinstance(idx, slice) else idx.cpu().numpy()
            t = torch.from_numpy(t.dense(rows))
            return t.to(self.device, non_blocking=True) if t.device != self.device else t
        out = t[idx] if isinstance(idx, slice) else t.index_select(0, idx.to(t.device))
        if out.device != self.device:
            out = out.to(self.device, non_blocking=True)
        return out

    def __len__(self):
        if self.drop_last:
            return self.n_samples // self.batch_size
        return (self.n_samples + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n, bs = self.n_samples, self.batch_size
        starts = range(0, len(self) * bs, bs)
        # Draw what a DataLoader draws: a base seed when its iterator is made (from the global
        # generator when it has none, which moves dropout's random numbers), then, shuffling,
        # RandomSampler's permutation and a second (empty-sliced) one it computes once the
        # first is used up. Without a generator, RandomSampler seeds a fresh one from the
        # global generator and permutes with that.
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        if self.shuffle:
            generator = self.generator
            if generator is None:
                seed = int(torch.empty((), dtype=torch.int64).random_().item())
                generator = torch.Generator().manual_seed(seed)
            perm = torch.randperm(n, generator=generator)
            torch.randperm(n, generator=generator)
            first = next(iter(self.X.values())) if isinstance(self.X, Mapping) else self.X
            # once per epoch; _take moves it only if needed
            perm = perm.to(getattr(first, "device", "cpu"))
            for start in starts:
                idx = perm[start : start + bs]
                yield self._take(self.X, idx), self._take(self.y, idx)
        else:
            for start in starts:
                idx = slice(start, start + bs)
                yield self._take(self.X, idx), self._take(self.y, idx)


def _channels_last(X):
    """Images (4-D tensors, also inside a dict) in channels-last memory layout."""
    if isinstance(X, Mapping):
        return {k: _channels_last(v) for k, v in X.items()}
    if isinstance(X, torch.Tensor) and X.ndim == 4:
        return X.contiguous(memory_format=torch.channels_last)
    return X


def _fits_on_device(t, device, fraction=0.5):
    free, _ = torch.cuda.mem_get_info(device)
    return t.element_size() * t.nelement() < fraction * free


class IWCENet(NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` with sample weights and fast in-memory batching.

    - ``X`` may be a dict ``{"X": X, "sample_weight": w}``: the module sees ``X`` only and the
      criterion gets ``sample_weight=w`` (skorch's documented recipe for sample weights).
    - ``batching="tensor"`` slices tensors made once per fit instead of collating samples through
      a DataLoader, when the data are in-memory arrays; other data, and
      ``batching="dataloader"``, use skorch's DataLoader path. Both give the same batches.
    - ``precision="bf16"`` runs the forward pass under bf16 autocast (logits and loss in fp32);
      ``"auto"`` picks it on CUDA devices that support it.
    - ``channels_last=True`` keeps the module and 4-D inputs in channels-last memory layout,
      which tensor cores prefer for convolutions.
    """

    def __init__(self, *args, batching="tensor", precision="32", channels_last=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.batching = batching
        self.precision = precision
        self.channels_last = channels_last

    def initialize_module(self):
        self.precision_ = resolve_precision(self.precision, self.device)
        super().initialize_module()
        if self.channels_last:
            self.module_ = self.module_.to(memory_format=torch.channels_last)
        return self

    def _set_training(self, training=True):
        # skorch walks every module tree on every batch to set its mode, a measurable share of a
        # small network's step; walk it only when the mode changes. The mode this net last set
        # is remembered per module object, so that a new module (a child created in eval mode
        # included) gets its whole tree set once. A child's mode changed by hand between two
        # batches of the same mode is left alone (skorch would reset it).
        modes = self.__dict__.setdefault("_modes_set_", {})
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if not isinstance(module, torch.nn.Module):
                continue
            if modes.get(name) == (id(module), training) and module.training == training:
                continue
            module.train(training)
            modes[name] = (id(module), training)

    def torch_compile(self, module, name):
        # Criteria are not compiled: the scheduled class-weight buffer changes every epoch.
        if name.startswith("criterion"):
            return module
        return super().torch_compile(module, name)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch swallows KeyboardInterrupt after this returns; remember that it happened.
        self.interrupted_ = False
        self.stopped_by_ = None
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping stops training by raising KeyboardInterrupt too.
            stoppers = [
                f"{type(cb).__name__} {name!r}"
                for name, cb in self.callbacks_
                if isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
            ]
            self.interrupted_ = not stoppers
            self.stopped_by_ = stoppers[0] if stoppers else None
            raise

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping) and "sample_weight" in x:
            x = x["X"]
        if self.channels_last:
            x = _channels_last(x)
        if self.precision_ == "32":
            return super().infer(x, **fit_params)
        with torch.autocast(device_type=torch.device(self.device).type, dtype=torch.bfloat16):
            logits = super().infer(x, **fit_params)
        return logits.float()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        n_classes = len(self.classes_)
        if y_pred.ndim != 2 or y_pred.shape[1] != n_classes:
            raise ValueError(
                f"The module returned output of shape {tuple(y_pred.shape)}; a classifier of "
                f"{n_classes} classes needs logits of shape (batch, {n_classes})."
            )
        if isinstance(X, Mapping) and "sample_weight" in X:
            y_true = y_true.to(y_pred.device)
            sample_weight = X["sample_weight"].to(y_pred.device)
            return self.criterion_(y_pred, y_true, sample_weight=sample_weight)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def get_iterator(self, dataset, training=False):
        if self.batching not in BATCHINGS:
            raise ValueError(f"batching must be one of {BATCHINGS}; got {self.batching!r}.")
        which = "iterator_train" if training else "iterator_valid"
        data = None
        if self.batching == "tensor" and getattr(self, which) is DataLoader:
            # (a custom iterator class does what its user asked; only a DataLoader is replaced)
            data = _in_memory_data(dataset)
        if data is None:
            return super().get_iterator(dataset, training=training)
        kwargs = self.get_params_for(which)
        if set(kwargs) - {"batch_size", "shuffle", "generator", "drop_last"}:
            # A sampler, collate_fn, workers...: only a DataLoader does what was asked.
            return super().get_iterator(dataset, training=training)
        batch_size = kwargs.get("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        return TensorBatches(
            *data,
            batch_size=batch_size,
            shuffle=bool(kwargs.get("shuffle", False)) and training,
            generator=kwargs.get("generator"),
            device=self.device,
            channels_last=self.channels_last,
            drop_last=bool(kwargs.get("drop_last", False)),
        )
