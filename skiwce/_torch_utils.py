"""Small torch helpers shared by the estimator, the skorch net and the callback."""

import contextlib

import numpy as np
import torch
from torch.utils.data import Subset


@contextlib.contextmanager
def torch_threads(n):
    """Set torch's intra-op CPU thread count to ``n`` for a block, then restore it.

    ``n=None`` leaves the setting alone. The setting is process-wide.
    """
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n is not None:
            torch.set_num_threads(before)


@contextlib.contextmanager
def seeded(seed, device):
    """Seed torch's generators of ``device`` for a block, restoring the caller's state after.

    On CPU only the CPU generator is seeded and restored; on CUDA also the device's own. The
    state is process-wide: fits running at once in threads of one process share it, so only
    process-based parallelism (joblib's default loky, Dask worker processes) is reproducible.
    """
    device = torch.device(device)
    cuda = []
    if device.type == "cuda" and torch.cuda.is_available():
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


def unwrap_dataset(dataset):
    """The dataset under any nesting of :class:`~torch.utils.data.Subset` (what skorch's
    ``ValidSplit`` returns), and the indices of the samples into it (None: all of them)."""
    indices = None
    while isinstance(dataset, Subset):
        inner = np.asarray(dataset.indices, dtype=np.int64)
        indices = inner if indices is None else inner[indices]
        dataset = dataset.dataset
    return dataset, indices
