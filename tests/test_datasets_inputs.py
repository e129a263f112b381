"""Hostile inputs to skiwce.datasets: WISDM and CIFAR-10 files, make_long_tailed, load_dataset.

The rules every case follows are in ``_hostile.py``.
"""

import math
import pickle

import numpy as np
import pytest
from _hostile import (
    Case,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
)

from skiwce import datasets as sk_datasets


def _wisdm_file(content):
    def make(tmp_path):
        path = tmp_path / "WISDM_ar_v1.1_raw.txt"
        path.write_bytes(content)
        return {"path": path}

    return make


def _cifar_folder(test_batch):
    def make(tmp_path):
        folder = tmp_path / "cifar-10-batches-py"
        folder.mkdir()
        names = {b"label_names": [b"cat", b"dog", b"ship"]}
        (folder / "batches.meta").write_bytes(pickle.dumps(names))
        (folder / "test_batch").write_bytes(test_batch)
        return {"root": tmp_path}

    return make


GOOD_CIFAR = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]})


def _load_wisdm(path):
    return sk_datasets.load_wisdm(path, window=2, step=1)


def _load_cifar(root):
    return sk_datasets.load_cifar10(root, subset="test")


CASES = [
    # ---- data sets -----------------------------------------------------------------------------
    Case(
        "wisdm-empty-file",
        _load_wisdm,
        files=True,
        make=_wisdm_file(b""),
        raises=ValueError,
        match="No valid WISDM record",
    ),
    Case(
        "wisdm-binary-garbage",
        _load_wisdm,
        files=True,
        make=_wisdm_file(bytes(range(256)) * 20),
        raises=ValueError,
        match="No valid WISDM record",
    ),
    Case(
        "wisdm-nul-bytes-skipped",
        _load_wisdm,
        files=True,
        make=_wisdm_file(b"7,Walking,1,0.1,0.2,0.3;\n\x00\x00,,\xff,\n" * 3),
        check=lambda b: (b.n_skipped, b.data.shape) == (3, (2, 3, 2)),
    ),
    Case(
        "wisdm-path-is-a-directory",
        lambda path: sk_datasets.load_wisdm(path.parent),
        files=True,
        make=_wisdm_file(b""),
        raises=FileNotFoundError,
        match="WISDM file not found",
    ),
    Case(
        "wisdm-value-overflows-float32",
        _load_wisdm,
        files=True,
        make=_wisdm_file(
            b"7,Walking,1,0.1,0.2,0.3;\n7,Walking,2,1e39,0.2,0.3;\n7,Walking,3,0.1,0.2,0.3;\n"
        ),
        check=lambda b: b.n_skipped == 1 and np.isfinite(b.data).all(),
    ),
    Case(
        "cifar-truncated-pickle",
        _load_cifar,
        files=True,
        make=_cifar_folder(GOOD_CIFAR[:40]),
        raises=ValueError,
        match="Could not read the CIFAR-10 file .*test_batch",
    ),
    Case(
        "cifar-empty-file",
        _load_cifar,
        files=True,
        make=_cifar_folder(b""),
        raises=ValueError,
        match="Could not read the CIFAR-10 file .*EOFError",
    ),
    Case(
        "cifar-float-pixels",
        _load_cifar,
        files=True,
        make=_cifar_folder(pickle.dumps({b"data": np.zeros((2, 3072)), b"labels": [0, 1]})),
        raises=ValueError,
        match="expected b'data' of uint8",
    ),
    Case(
        "cifar-label-without-a-name",
        _load_cifar,
        files=True,
        make=_cifar_folder(
            pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 7]})
        ),
        raises=ValueError,
        match=r"b'labels' to hold 2 integers in \[0, 3\)",
    ),
    Case(
        "long-tail-nan-ratio",
        lambda X, y: sk_datasets.make_long_tailed(X, y, imbalance_ratio=math.nan),
        raises=ValueError,
        match="imbalance_ratio must be a finite number",
    ),
    Case(
        "long-tail-y-2d",
        lambda X, y: sk_datasets.make_long_tailed(X, np.c_[y, y]),
        raises=ValueError,
        match="1-D array of labels",
    ),
    Case(
        "load-dataset-unknown",
        lambda: sk_datasets.load_dataset("cifar100"),
        make=lambda X, y: {},
        raises=ValueError,
        match="Unknown data set 'cifar100'",
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)
