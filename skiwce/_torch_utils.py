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


def count_macs(module, sample_shape):
    """Multiply-accumulates of one forward pass of one sample through the convolutions and
    linear layers of ``module`` (other layers are cheap beside them and are not counted).

    The pass runs in eval mode without gradients on a zero sample; the module's mode and the
    caller's random state are left as they were.

    Parameters
    ----------
    module : torch.nn.Module
    sample_shape : tuple of int
        Shape of one sample.

    Returns
    -------
    macs : int

    Examples
    --------
    >>> from torch import nn
    >>> from skiwce._torch_utils import count_macs
    >>> count_macs(nn.Sequential(nn.Conv1d(1, 4, 3), nn.Flatten(), nn.Linear(32, 2)), (1, 10))
    160
    """
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        if isinstance(layer, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
            # Each weight is used once per output position.
            total += layer.weight.numel() * int(np.prod(output.shape[2:]))
        elif isinstance(layer, torch.nn.Linear):
            total += layer.weight.numel() * int(np.prod(output.shape[1:-1]))

    layers = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.Linear)
    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, layers)]
    modes = {m: m.training for m in module.modules()}
    device = next(iter(module.parameters()), torch.empty(0)).device
    try:
        module.eval()
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            module(torch.zeros(1, *sample_shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
        for m, training in modes.items():
            m.training = training
    return total


# Fused CPU kernels of Adam/AdamW arrived in PyTorch 2.4.
FUSED_DEVICES = (
    ("cpu", "cuda") if torch.torch_version.TorchVersion(torch.__version__) >= "2.4" else ("cuda",)
)
# Below this many multiply-accumulates per training step, n_threads="auto" trains on 1 thread
# (benchmarks/threads.py: more threads gain little there when the cores are idle and lose
# much when they are shared).
AUTO_THREADS_MACS = 1e9


def resolve_n_threads(n_threads, device, module, sample_shape, batch_size, n_models=1):
    """``n_threads`` with ``"auto"`` resolved: 1 thread on a CPU when one training step (a
    batch of ``batch_size`` samples through ``n_models`` copies of ``module``) costs fewer than
    AUTO_THREADS_MACS multiply-accumulates, else None (torch's setting; also on a GPU)."""
    if n_threads != "auto":
        return n_threads
    if torch.device(device).type != "cpu":
        return None  # the network runs on the device; torch's CPU setting is left alone
    try:
        macs = count_macs(module, sample_shape) * batch_size * n_models
    except Exception:  # noqa: BLE001 - the fit itself will report a network that fails
        return 1
    return 1 if macs < AUTO_THREADS_MACS else None
