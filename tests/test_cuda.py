"""Tests that need a CUDA device; skipped where there is none (CI has none).

They cover what the CPU tests cannot: data placed on the device or pinned on the host, bf16
autocast chosen by ``precision="auto"``, channels-last images, the criterion's weight buffer on
the device, the caller's CUDA random state, ``torch.compile`` and a comparison run on the GPU.
``benchmarks/gpu_check.sh`` runs them together with the GPU speed benchmark.
"""

import numpy as np
import pytest
import torch

from skiwce import IWCEClassifier, compare
from skiwce import _net as net_module

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

FAST = {"max_epochs": 4, "batch_size": 32, "random_state": 0}


def _fit(X, y, **params):
    return IWCEClassifier(**{**FAST, **params}).fit(X, y)


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    y = (rng.rand(96) < 0.3).astype(np.int64)
    X = rng.rand(96, 3, 8, 8).astype(np.float32)
    X[y == 1, 0] += 0.5
    return X, y


def test_fit_predict_on_cuda(imbalanced_data):
    X, y = imbalanced_data
    clf = _fit(X, y, device="cuda", T=1.0)
    assert all(p.device.type == "cuda" for p in clf.net_.module_.parameters())
    weight = clf.net_.criterion_.weight
    assert weight.device.type == "cuda"
    # alpha reaches 1 in the last epoch, so the final weights are the balanced ones.
    counts = np.bincount(y)
    balanced = len(y) / (len(counts) * counts)
    balanced = balanced / (balanced @ counts / len(y))  # normalize="prior"
    np.testing.assert_allclose(weight.cpu().numpy(), balanced, rtol=1e-5)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= set(clf.classes_)


def test_cuda_fp32_matches_cpu(imbalanced_data):
    # Same initialization (built on the CPU, then moved), same batches (permutations drawn on the
    # CPU), no dropout: fp32 on the GPU follows the CPU fit up to rounding.
    X, y = imbalanced_data
    cpu = _fit(X, y, module="mlp", precision="32")
    gpu = _fit(X, y, module="mlp", precision="32", device="cuda")
    np.testing.assert_allclose(
        gpu.net_.history[:, "train_loss"], cpu.net_.history[:, "train_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-4)


def test_precision_auto_is_bf16_on_cuda(imbalanced_data):
    X, y = imbalanced_data
    clf = _fit(X, y, device="cuda")
    native_bf16 = torch.cuda.get_device_capability()[0] >= 8
    assert clf.net_.precision_ == ("bf16" if native_bf16 else "32")
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(clf.net_.history[:, "train_loss"]).all()


def test_channels_last_auto_for_images(images):
    X, y = images
    clf = _fit(X, y, module="resnet18", module_params={"width": 8}, device="cuda")
    conv = clf.net_.module_.stem[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert clf.predict_proba(X).shape == (len(X), 2)
    flat = _fit(
        X, y, module="resnet18", module_params={"width": 8}, device="cuda", channels_last=False
    )
    assert not flat.net_.module_.stem[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_pinned_host_batches_equal_device_batches(imbalanced_data, monkeypatch):
    # Data too large for the device stay pinned on the host and travel batch by batch; the
    # batches, and so the fit, are the same.
    X, y = imbalanced_data
    on_device = _fit(X, y, module="mlp", precision="32", device="cuda")
    monkeypatch.setattr(net_module, "_fits_on_device", lambda t, device, fraction=0.5: False)
    batches = net_module.TensorBatches(
        torch.from_numpy(X), torch.from_numpy(y), batch_size=32, device="cuda"
    )
    assert batches.X.device.type == "cpu" and batches.X.is_pinned()
    on_host = _fit(X, y, module="mlp", precision="32", device="cuda")
    np.testing.assert_allclose(
        on_host.net_.history[:, "train_loss"], on_device.net_.history[:, "train_loss"], rtol=1e-6
    )
    np.testing.assert_allclose(on_host.predict_proba(X), on_device.predict_proba(X), atol=1e-6)


def test_tensor_batching_equals_dataloader_on_cuda(imbalanced_data):
    X, y = imbalanced_data
    fast = _fit(X, y, module="mlp", precision="32", device="cuda")
    general = _fit(X, y, module="mlp", precision="32", device="cuda", batching="dataloader")
    np.testing.assert_allclose(
        fast.net_.history[:, "train_loss"], general.net_.history[:, "train_loss"], rtol=1e-6
    )


def test_sample_weight_on_cuda(imbalanced_data):
    X, y = imbalanced_data
    w = np.random.RandomState(0).rand(len(y)).astype(np.float32)
    w_before = w.copy()
    clf = IWCEClassifier(device="cuda", **FAST).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(w, w_before)
    assert np.isfinite(clf.net_.history[:, "train_loss"]).all()


def test_caller_cuda_rng_state_restored(imbalanced_data):
    X, y = imbalanced_data
    torch.cuda.manual_seed(123)
    before = torch.cuda.get_rng_state()
    _fit(X, y, device="cuda", module_params={"dropout": 0.5})
    assert torch.equal(torch.cuda.get_rng_state(), before)


# Importing torch's compiler stack warns about torch.jit internals, and on Ampere and newer GPUs
# inductor suggests TF32 for fp32 matmuls: torch's advice, not about skiwce.
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:TensorFloat32 tensor cores:UserWarning")
def test_compile_on_cuda(imbalanced_data):
    X, y = imbalanced_data
    eager = _fit(X, y, module="mlp", precision="32", device="cuda", max_epochs=2)
    compiled = _fit(X, y, module="mlp", precision="32", device="cuda", max_epochs=2, compile=True)
    assert hasattr(compiled.net_.module_, "_orig_mod")  # torch.compile's wrapper
    np.testing.assert_allclose(
        compiled.net_.history[:, "train_loss"], eager.net_.history[:, "train_loss"], rtol=1e-3
    )
    np.testing.assert_allclose(compiled.predict_proba(X), eager.predict_proba(X), atol=1e-3)


def test_compare_on_cuda(imbalanced_data):
    X, y = imbalanced_data
    result = compare(
        ["ce", "iwce"],
        X,
        y,
        cv=2,
        progress=False,
        common_params={"device": "cuda", "max_epochs": 3, "batch_size": 32},
    )
    assert result.table["error"].isna().all()
    assert len(result.table) == 4


def test_sparse_input_on_cuda(imbalanced_data):
    # Sparse rows stay on the host; each batch is made dense there and moved to the device.
    import scipy.sparse as sp

    X, y = imbalanced_data
    X = np.where(np.abs(X) < 0.8, 0.0, X).astype(np.float32)
    dense = _fit(X, y, module="mlp", precision="32", device="cuda", validation_fraction=0.2)
    sparse = _fit(
        sp.csr_matrix(X), y, module="mlp", precision="32", device="cuda", validation_fraction=0.2
    )
    assert all(p.device.type == "cuda" for p in sparse.net_.module_.parameters())
    np.testing.assert_allclose(
        sparse.net_.history[:, "train_loss"], dense.net_.history[:, "train_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-5
    )


def test_minirocket_on_cuda(imbalanced_data):
    """MiniRocket's front end fitted on the device; predictions follow the CPU's (the features
    are computed in fp32 even under bf16 autocast)."""
    rng = np.random.RandomState(0)
    y = (rng.rand(80) < 0.3).astype(np.int64)
    X = rng.randn(80, 2, 30).astype(np.float32)
    X[y == 1, 0, 5:9] += 1.5
    params = {"module": "minirocket", "module_params": {"num_features": 840}, "precision": "32"}
    gpu = _fit(X, y, device="cuda", **params)
    cpu = _fit(X, y, **params)
    assert gpu.net_.module_.biases.device.type == "cuda"
    assert np.mean(gpu.predict(X) == cpu.predict(X)) > 0.95
    bf16 = _fit(X, y, device="cuda", module="minirocket", module_params={"num_features": 840})
    assert bf16.predict_proba(X).shape == (80, 2)
