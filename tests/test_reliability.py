"""Reliability: hostile inputs, persistence, determinism and faults.

The hostile-input suite is one table (:data:`CASES`) run by one test: every public entry point
either raises a clear error (the exception type is checked, and the message must name the
parameter or the problem), or shows a documented behaviour that a check pins down. For every case
the caller's inputs are compared with copies taken before the call, and an error must not come
from inside torch unless the case says why torch's own message is the documented answer.

Cases marked ``xfail(strict=True)`` are library defects: the test states what should happen; the
fix flips them.
"""

import contextlib
import copy
import functools
import io
import math
import os
import pickle
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import DataConversionWarning, FitFailedWarning, UndefinedMetricWarning
from sklearn.metrics import balanced_accuracy_score, get_scorer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from torch import nn

from skiwce import IncrementalClassWeights, IWCEClassifier, IWCELoss
from skiwce.functional import (
    alpha_schedule,
    balanced_weights,
    blend_class_weights,
    check_schedule,
    class_counts,
    effective_number_weights,
    exponential_alpha,
    iwce_loss,
    normalize_class_weights,
)

# The higher layers are written alongside this suite; their cases skip until they exist.
try:
    from skiwce import datasets as sk_datasets
except ImportError:  # pragma: no cover
    sk_datasets = None
try:
    from skiwce import comparison as sk_comparison
except ImportError:  # pragma: no cover
    sk_comparison = None
try:
    from skiwce import cli as sk_cli
except ImportError:  # pragma: no cover
    sk_cli = None

FAST = {"max_epochs": 3, "batch_size": 16, "lr": 0.01, "random_state": 0}
TORCH_DIR = os.path.dirname(torch.__file__)
HAS_CUDA = torch.cuda.is_available()


@functools.cache
def _data():
    """60 rows, 5 features, classes 0/1/2 with 40/15/5 rows (float32)."""
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [40, 15, 5])
    X = (rng.randn(60, 5) + 0.8 * y[:, None]).astype(np.float32)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@pytest.fixture
def data():
    """Fresh, writable copies of the small 3-class problem."""
    X, y = _data()
    return X.copy(), y.copy()


@functools.cache
def _fitted():
    """An IWCEClassifier fitted once on :func:`_data` (predict does not change it)."""
    X, y = _data()
    return IWCEClassifier(**FAST).fit(X, y)


# -- the case table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile input.

    ``make(X, y)`` builds the caller's inputs (a dict of keyword arguments of ``run``) from fresh
    copies of the data, or ``make(tmp_path)`` writes files when ``files`` is True;
    ``run(**inputs)`` calls the entry point. Either ``raises`` (with a ``match`` that names the
    parameter or the problem) or ``check(result)`` states the outcome. ``warns`` lists
    ``(category, regex)`` warnings that must be emitted, ``allow`` those that may; any other
    warning fails the case.
    """

    id: str
    run: Callable[..., Any]
    make: Callable[..., dict] = lambda X, y: {"X": X, "y": y}
    raises: Any = None
    match: str | None = None
    check: Callable[[Any], None] | None = None
    warns: tuple = ()
    allow: tuple = ()
    torch_ok: str | None = None  # why torch's own error is the documented answer
    defect: str | None = None  # an xfail reason: what happens and what should happen
    needs: Any = True  # a module the case needs (skipped if None)
    files: bool = False  # make(tmp_path) writes files instead of make(X, y)
    skip_if: tuple = (False, "")


def fit(**params):
    """``run`` for ``IWCEClassifier(**FAST, **params).fit(X, y, **fit_params)``."""

    def run(X, y, **fit_params):
        return IWCEClassifier(**{**FAST, **params}).fit(X, y, **fit_params)

    return run


def predict(method="predict"):
    def run(X, y=None):
        return getattr(_fitted(), method)(X)

    return run


def with_value(X, value, index=(3, 1)):
    X[index] = value
    return X


def with_labels(counts):
    """``make`` for data with the given rows per class (first rows of the data)."""

    def make(X, y):
        labels = np.repeat(np.arange(len(counts)), counts)
        return {"X": X[: len(labels)], "y": labels}

    return make


def skorch_fit(net_criterion=IWCELoss, **cb_params):
    """``run`` for a plain skorch net with IWCELoss and IncrementalClassWeights."""

    def run(X, y, **net_params):
        net = NeuralNetClassifier(
            nn.Linear(X.shape[1], 3),
            criterion=net_criterion,
            max_epochs=2,
            batch_size=16,
            lr=0.01,
            train_split=None,
            verbose=0,
            callbacks=[("iwce", IncrementalClassWeights(**cb_params))],
            **net_params,
        )
        return net.fit(X, y)

    return run


def logits_make(n_classes=3, n=4):
    def make(X, y):
        g = torch.Generator().manual_seed(0)
        return {
            "input": torch.randn(n, n_classes, generator=g),
            "target": torch.tensor([0, 1, 2, 2][:n]),
        }

    return make


def cli_run(*argv):
    def run(**_):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = sk_cli.main(list(argv))
        return code, err.getvalue()

    return run


def cli_usage_error(pattern):
    def check(result):
        code, err = result
        assert code == 2, err
        assert re.search(pattern, err), err

    return check


def _check_one_rare_sample(clf):
    assert clf.class_counts_.tolist() == [40, 19, 1]
    assert clf.net_.history[-1, "alpha"] == 1.0
    np.testing.assert_allclose(
        clf.net_.history[-1, "class_weight"], balanced_weights([40, 19, 1]), rtol=1e-12
    )


def _check_single_epoch(clf):
    # alpha(E) = 1 exactly at the last epoch, which is the only one: pure WCE.
    assert clf.net_.history[:, "alpha"] == [1.0]
    np.testing.assert_allclose(
        clf.net_.history[0, "class_weight"], balanced_weights([40, 15, 5]), rtol=1e-12
    )


def _check_one_batch(clf):
    assert [len(h["batches"]) for h in clf.net_.history] == [1, 1, 1]
    X, y = _data()
    other = IWCEClassifier(**{**FAST, "batch_size": 1000, "batching": "dataloader"}).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), other.predict_proba(X))


def _check_huge_T_is_wce(clf):
    assert clf.net_.history[:, "alpha"] == [1.0, 1.0, 1.0]
    X, y = _data()
    wce = IWCEClassifier(**{**FAST, "T": math.inf}).fit(X, y)
    assert clf.net_.history[:, "train_loss"] == wce.net_.history[:, "train_loss"]


def _check_same_as_c_order(clf):
    X, y = _data()
    np.testing.assert_array_equal(clf.predict_proba(X), _fitted().predict_proba(X))


def _check_unseen_accuracy(result):
    score, y_pred, y_true = result
    assert set(np.unique(y_pred)) <= {0, 1, 2}  # only labels seen in fit are predicted
    assert score == np.mean(y_pred == y_true)  # the unseen label 9 always counts as an error


def _unseen_labels(X, y):
    return {"X": X, "y": np.where(y == 2, 9, y)}


def _score_unseen(X, y):
    clf = _fitted()
    return clf.score(X, y), clf.predict(X), y


def _bacc_unseen(X, y):
    return get_scorer("balanced_accuracy")(_fitted(), X, y)


def _finite_scores(scores):
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))


def _kfold_one_class_fold(X, y):
    return cross_val_score(IWCEClassifier(**FAST), X, y, cv=KFold(2), error_score="raise")


class PlainCE(nn.Module):
    """A criterion with no ``weight``: IncrementalClassWeights has nothing to schedule."""

    def forward(self, input, target):
        return F.cross_entropy(input, target)


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


def _compare(estimators, **kwargs):
    def run(X, y):
        return sk_comparison.compare(estimators, X, y, progress=False, **kwargs)

    return run


CASES = [
    # ---- IWCEClassifier.fit: X ------------------------------------------------------------------
    Case(
        "fit-X-nan",
        fit(),
        make=lambda X, y: {"X": with_value(X, np.nan), "y": y},
        raises=ValueError,
        match="Input X contains NaN",
    ),
    Case(
        "fit-X-inf",
        fit(),
        make=lambda X, y: {"X": with_value(X, -np.inf), "y": y},
        raises=ValueError,
        match="Input X contains infinity",
    ),
    Case(
        "fit-X-empty",
        fit(),
        make=lambda X, y: {"X": X[:0], "y": y[:0]},
        raises=ValueError,
        match="0 sample",
    ),
    Case(
        "fit-X-zero-features",
        fit(),
        make=lambda X, y: {"X": X[:, :0], "y": y},
        raises=ValueError,
        match="0 feature",
    ),
    Case(
        "fit-X-object-strings",
        fit(),
        make=lambda X, y: {"X": np.full(X.shape, "a", dtype=object), "y": y},
        raises=ValueError,
        match="could not convert string to float",
    ),
    Case(
        "fit-X-complex",
        fit(),
        make=lambda X, y: {"X": X.astype(np.complex128), "y": y},
        raises=ValueError,
        match="Complex data not supported",
    ),
    Case(
        "fit-X-1d",
        fit(),
        make=lambda X, y: {"X": X[:, 0], "y": y},
        raises=ValueError,
        match="Expected 2D array, got 1D array",
    ),
    Case(
        "fit-X-5d-auto",
        fit(),
        make=lambda X, y: {"X": X.reshape(60, 5, 1, 1, 1), "y": y},
        raises=ValueError,
        match='module="auto" handles X of 2, 3 or 4 dimensions; got 5',
    ),
    Case(
        "fit-X-overflows-float32",
        fit(),
        make=lambda X, y: {"X": X.astype(np.float64) * 1e300, "y": y},
        raises=ValueError,
        match="float32",
    ),
    Case(
        "fit-X-int",
        fit(),
        make=lambda X, y: {"X": (X * 10).astype(np.int64), "y": y},
        check=lambda clf: clf.predict_proba(_data()[0]).shape == (60, 3),
    ),
    Case(
        "fit-X-bool",
        fit(),
        make=lambda X, y: {"X": X > 0, "y": y},
        check=lambda clf: clf.predict(_data()[0] > 0).shape == (60,),
    ),
    Case(
        "fit-X-lists",
        fit(),
        make=lambda X, y: {"X": X.tolist(), "y": y.tolist()},
        check=_check_same_as_c_order,
    ),
    Case(
        "fit-X-read-only",
        fit(),
        make=lambda X, y: {"X": _data()[0], "y": _data()[1]},
        check=lambda clf: _check_same_as_c_order(clf) or not _data()[0].flags.writeable,
    ),
    Case(
        "fit-X-fortran-order",
        fit(),
        make=lambda X, y: {"X": np.asfortranarray(X), "y": y},
        check=_check_same_as_c_order,
    ),
    Case(
        "fit-X-strided-view",
        fit(),
        make=lambda X, y: {"X": np.repeat(X, 2, axis=1)[:, ::2], "y": y},
        check=_check_same_as_c_order,
    ),
    # ---- IWCEClassifier.fit: y ------------------------------------------------------------------
    Case(
        "fit-y-2d",
        fit(),
        make=lambda X, y: {"X": X, "y": np.c_[y, y]},
        raises=ValueError,
        match="y should be a 1d array",
    ),
    Case(
        "fit-y-column-vector",
        fit(),
        make=lambda X, y: {"X": X, "y": y[:, None]},
        warns=((DataConversionWarning, "column-vector y was passed"),),
        check=lambda clf: clf.classes_.tolist() == [0, 1, 2],
    ),
    Case(
        "fit-y-length-mismatch",
        fit(),
        make=lambda X, y: {"X": X, "y": y[:-1]},
        raises=ValueError,
        match="inconsistent numbers of samples",
    ),
    Case(
        "fit-y-nan",
        fit(),
        make=lambda X, y: {"X": X, "y": np.where(y == 2, np.nan, y)},
        raises=ValueError,
        match="Input y contains NaN",
    ),
    Case(
        "fit-y-continuous",
        fit(),
        make=lambda X, y: {"X": X, "y": np.linspace(0, 1, 60)},
        raises=ValueError,
        match="Unknown label type",
    ),
    Case(
        "fit-y-mixed-types",
        fit(),
        make=lambda X, y: {"X": X, "y": np.array(["a", 1] * 30, dtype=object)},
        raises=ValueError,
        match="(?i)mix",
    ),
    Case(
        "fit-one-class",
        fit(),
        make=lambda X, y: {"X": X, "y": np.zeros_like(y)},
        raises=ValueError,
        match="at least 2 classes",
    ),
    Case(
        "fit-one-sample-of-a-class",
        fit(),
        make=with_labels([40, 19, 1]),
        check=_check_one_rare_sample,
    ),
    Case(
        "fit-one-sample-of-a-class-with-validation",
        fit(validation_fraction=0.2),
        make=with_labels([40, 19, 1]),
        raises=ValueError,
        match="least populated class.* only 1 member",
    ),
    Case(
        "fit-validation-too-small-for-the-classes",
        fit(validation_fraction=0.01),
        raises=ValueError,
        match="greater or equal to the number of classes",
    ),
    Case(
        "fit-string-labels",
        fit(),
        make=lambda X, y: {"X": X, "y": np.array(["cat", "dog", "eel"])[y]},
        check=lambda clf: set(clf.predict(_data()[0])) <= {"cat", "dog", "eel"},
    ),
    # ---- IWCEClassifier.fit: sample_weight ---------------------------------------------------
    Case(
        "fit-sample-weight-nan",
        fit(),
        make=lambda X, y: {"X": X, "y": y, "sample_weight": np.r_[np.nan, np.ones(59)]},
        raises=ValueError,
        match="sample_weight contains NaN",
    ),
    Case(
        "fit-sample-weight-negative",
        fit(),
        make=lambda X, y: {"X": X, "y": y, "sample_weight": np.r_[-1.0, np.ones(59)]},
        raises=ValueError,
        match="Negative values in data passed to `?sample_weight",
    ),
    Case(
        "fit-sample-weight-all-zero",
        fit(),
        make=lambda X, y: {"X": X, "y": y, "sample_weight": np.zeros(60)},
        raises=ValueError,
        match="at least one non-zero",
    ),
    Case(
        "fit-sample-weight-wrong-length",
        fit(),
        make=lambda X, y: {"X": X, "y": y, "sample_weight": np.ones(3)},
        raises=ValueError,
        match=r"sample_weight.shape == \(3,\), expected \(60,\)",
    ),
    # ---- IWCEClassifier: hyperparameters -----------------------------------------------------
    Case("T-1e308-is-wce", fit(T=1e308), check=_check_huge_T_is_wce),
    Case(
        "T-subnormal-is-ce-until-last",
        fit(T=5e-324),
        check=lambda clf: clf.net_.history[:, "alpha"] == [0.0, 0.0, 1.0],
    ),
    Case("T-negative", fit(T=-1), raises=InvalidParameterError, match="'T' parameter"),
    Case("T-nan", fit(T=np.nan), raises=InvalidParameterError, match="'T' parameter"),
    Case("T-string", fit(T="20"), raises=InvalidParameterError, match="'T' parameter"),
    Case("lr-nan", fit(lr=np.nan), raises=InvalidParameterError, match="'lr' parameter"),
    Case("lr-inf", fit(lr=np.inf), raises=InvalidParameterError, match="'lr' parameter"),
    Case("lr-zero", fit(lr=0.0), raises=InvalidParameterError, match="'lr' parameter"),
    Case(
        "max-epochs-0",
        fit(max_epochs=0),
        raises=InvalidParameterError,
        match="'max_epochs' parameter",
    ),
    Case(
        "max-epochs-float",
        fit(max_epochs=2.5),
        raises=InvalidParameterError,
        match="'max_epochs' parameter",
    ),
    Case("max-epochs-1-alpha-is-1", fit(max_epochs=1), check=_check_single_epoch),
    Case(
        "batch-size-0",
        fit(batch_size=0),
        raises=InvalidParameterError,
        match="'batch_size' parameter",
    ),
    Case(
        "batch-size-minus-1",
        fit(batch_size=-1),  # skorch's "whole data" -1 is not accepted
        raises=InvalidParameterError,
        match="'batch_size' parameter",
    ),
    Case("batch-size-larger-than-n", fit(batch_size=1000), check=_check_one_batch),
    Case(
        "switch-epoch-negative",
        fit(switch_epoch=-1),
        raises=InvalidParameterError,
        match="'switch_epoch' parameter",
    ),
    Case(
        "switch-epoch-after-the-run",
        fit(switch_epoch=100),
        raises=ValueError,
        match=r"switch_epoch=100 is not an epoch of the run \(max_epochs=3",
    ),
    Case(
        "class-weight-nan",
        fit(class_weight={0: np.nan}),
        raises=ValueError,
        match="class_weight costs must be finite and positive",
    ),
    Case(
        "class-weight-wrong-length",
        fit(class_weight=[1.0, 2.0]),
        raises=ValueError,
        match=r"one cost per class, shape \(3,\)",
    ),
    Case(
        "schedule-returns-nan",
        fit(schedule=lambda e, n: math.nan),
        raises=ValueError,
        match=r"returned alpha=nan at epoch 0; alpha must be a float",
    ),
    Case(
        "n-threads-0",
        fit(n_threads=0),
        raises=InvalidParameterError,
        match="'n_threads' parameter",
    ),
    Case(
        "logit-adjustment-nan",
        fit(logit_adjustment=np.nan),
        raises=InvalidParameterError,
        match="'logit_adjustment' parameter",
    ),
    Case(
        "device-unknown",
        fit(device="tpu"),
        raises=(ValueError, InvalidParameterError),
        match="device",
    ),
    Case(
        "device-cuda-without-cuda",
        fit(device="cuda"),
        raises=(ValueError, RuntimeError),
        match="(?i)cuda.*(not available|no cuda|unavailable)",
        skip_if=(HAS_CUDA, "CUDA is available here"),
    ),
    Case(
        "module-params-negative-width",
        fit(module_params={"hidden_layer_sizes": (-3,)}),
        raises=ValueError,
        match="hidden_layer_sizes",
    ),
    Case(
        "module-params-zero-width",
        fit(module_params={"hidden_layer_sizes": (0,)}),
        raises=ValueError,
        match="hidden_layer_sizes",
    ),
    Case(
        "module-instance-wrong-output-width",
        fit(module=nn.Linear(5, 7)),
        raises=ValueError,
        match="(?i)(output|logit).*3|3 classes",
    ),
    Case(
        "module-resnet18-on-2d-X",
        fit(module="resnet18"),
        raises=ValueError,
        match="resnet18",
    ),
    Case(
        "module-instance-wrong-input-width",
        fit(module=nn.Linear(3, 3)),
        raises=RuntimeError,
        match="mat1 and mat2 shapes cannot be multiplied",
        torch_ok="a user's module instance is used as given; torch's shape message names both "
        "shapes",
    ),
    # ---- set_params --------------------------------------------------------------------------
    Case(
        "set-params-unknown",
        lambda X, y: IWCEClassifier().set_params(bogus=1),
        raises=ValueError,
        match="Invalid parameter 'bogus'",
    ),
    Case(
        "set-params-bad-value-checked-at-fit",
        lambda X, y: IWCEClassifier(**FAST).set_params(T=-1).fit(X, y),
        raises=InvalidParameterError,
        match="'T' parameter",
    ),
    Case(
        "set-params-unknown-module-kwarg",
        lambda X, y: IWCEClassifier(**FAST).set_params(module__bogus=1).fit(X, y),
        raises=TypeError,
        match="unexpected keyword argument 'bogus'",
    ),
    Case(
        "set-params-optimizer-kwarg-it-lacks",
        lambda X, y: IWCEClassifier(**FAST).set_params(optimizer__momentum=0.9).fit(X, y),
        raises=TypeError,
        match="unexpected keyword argument 'momentum'",
    ),
    # ---- predict / predict_proba / score -----------------------------------------------------
    Case(
        "predict-X-nan",
        predict(),
        make=lambda X, y: {"X": with_value(X, np.nan)},
        raises=ValueError,
        match="Input X contains NaN",
    ),
    Case(
        "predict-X-empty",
        predict(),
        make=lambda X, y: {"X": X[:0]},
        raises=ValueError,
        match="0 sample",
    ),
    Case(
        "predict-X-1d",
        predict(),
        make=lambda X, y: {"X": X[0]},
        raises=ValueError,
        match="Expected 2D array",
    ),
    Case(
        "predict-X-wrong-width",
        predict("predict_proba"),
        make=lambda X, y: {"X": X[:, :4]},
        raises=ValueError,
        match="X has 4 features, but IWCEClassifier is expecting 5",
    ),
    Case(
        "predict-X-strings",
        predict(),
        make=lambda X, y: {"X": np.full((2, 5), "a")},
        raises=ValueError,
        match="dtype='numeric' is not compatible",
    ),
    Case(
        "predict-X-overflows-float32",
        predict("predict_proba"),
        make=lambda X, y: {"X": X.astype(np.float64) * 1e300},
        raises=ValueError,
        match="float32",
    ),
    Case(
        "score-with-labels-unseen-at-fit",
        _score_unseen,
        make=_unseen_labels,
        check=_check_unseen_accuracy,
    ),
    Case(
        "balanced-accuracy-with-labels-unseen-at-fit",
        _bacc_unseen,
        make=_unseen_labels,
        warns=((UserWarning, "y_pred contains classes not in y_true"),),
        check=lambda score: 0.0 <= score <= 1.0,
    ),
    # ---- cross-validation: a class missing from a fold ----------------------------------------
    Case(
        "cross-val-2-samples-of-a-class-cv2",
        lambda X, y: cross_val_score(
            IWCEClassifier(**FAST), X, y, cv=2, scoring="balanced_accuracy"
        ),
        make=with_labels([40, 18, 2]),
        check=_finite_scores,
    ),
    Case(
        "cross-val-2-samples-of-a-class-cv3",
        lambda X, y: cross_val_score(
            IWCEClassifier(**FAST), X, y, cv=3, scoring="balanced_accuracy"
        ),
        make=with_labels([40, 18, 2]),
        check=_finite_scores,
        warns=((UserWarning, "least populated class in y has only 2 members"),),
        allow=((UserWarning, "y_pred contains classes not in y_true"),),
    ),
    Case(
        "cross-val-training-fold-with-one-class",
        _kfold_one_class_fold,
        raises=ValueError,
        match="at least 2 classes",
    ),
    # ---- IncrementalClassWeights + IWCELoss in a plain skorch NeuralNetClassifier --------------
    Case("skorch-T-negative", skorch_fit(T=-1), raises=ValueError, match="T must be a float > 0"),
    Case("skorch-T-nan", skorch_fit(T=math.nan), raises=ValueError, match="T must be a float > 0"),
    Case(
        "skorch-T-1e308",
        skorch_fit(T=1e308),
        check=lambda net: net.history[:, "alpha"] == [1.0, 1.0],
    ),
    Case(
        "skorch-schedule-unknown",
        skorch_fit(schedule="cosine"),
        raises=ValueError,
        match="schedule must be one of",
    ),
    Case(
        "skorch-class-weight-negative",
        skorch_fit(class_weight=[1.0, -2.0, 1.0]),
        raises=ValueError,
        match="class_weight costs must be finite and positive",
    ),
    Case(
        "skorch-normalize-unknown",
        skorch_fit(normalize="l2"),
        raises=ValueError,
        match="normalize must be one of",
    ),
    Case(
        "skorch-beta-1",
        skorch_fit(class_weight="effective_number", beta=1.0),
        raises=ValueError,
        match=r"beta must be a float in \[0, 1\)",
    ),
    Case(
        "skorch-classes-fewer-than-labels",
        skorch_fit(classes=[0, 1]),
        raises=ValueError,
        match=r"class indices in \[0, 2\)",
    ),
    Case(
        "skorch-labels-not-indices",
        skorch_fit(),
        make=lambda X, y: {"X": X, "y": y + 1},
        raises=ValueError,
        match=r"class indices in \[0, 3\)",
    ),
    Case(
        "skorch-labels-strings",
        skorch_fit(),
        make=lambda X, y: {"X": X, "y": np.array(["a", "b", "c"])[y]},
        raises=ValueError,
        match="integer class indices",
    ),
    Case(
        "skorch-labels-float",
        skorch_fit(),
        make=lambda X, y: {"X": X, "y": y.astype(np.float32)},
        raises=RuntimeError,
        match="expected target dtype to be Long",
        torch_ok="skorch's documented contract: classifier targets are int64 class indices",
    ),
    Case(
        "skorch-criterion-name-unknown",
        skorch_fit(criterion="loss"),
        raises=ValueError,
        match="criterion",
    ),
    Case(
        "skorch-criterion-without-weight",
        skorch_fit(net_criterion=PlainCE),
        raises=ValueError,
        match="weight",
    ),
    Case(
        "skorch-criterion-weight-wrong-length",
        lambda X, y: skorch_fit()(X, y, criterion__weight=torch.ones(2)),
        raises=ValueError,
        match=r"criterion's weight has shape \(2,\) but there are 3 classes",
    ),
    Case(
        "skorch-n-epochs-0",
        skorch_fit(n_epochs=0),
        raises=ValueError,
        match="n_epochs",
    ),
    Case(
        "skorch-X-nan-trains-to-nan",
        skorch_fit(),
        make=lambda X, y: {"X": with_value(X, np.nan), "y": y},
        # Documented: skorch does not validate X (IWCEClassifier does, see fit-X-nan).
        check=lambda net: all(math.isnan(v) for v in net.history[:, "train_loss"]),
    ),
    # ---- IWCELoss and the functional core ------------------------------------------------------
    Case(
        "loss-weight-too-long",
        lambda input, target: iwce_loss(input, target, torch.ones(4)),
        make=logits_make(),
        raises=ValueError,
        match="weight",
    ),
    Case(
        "loss-weight-too-short",
        lambda input, target: iwce_loss(input, target, torch.ones(2)),
        make=logits_make(),
        raises=ValueError,
        match="weight",
    ),
    Case(
        "loss-sample-weight-wrong-length",
        lambda input, target: iwce_loss(input, target, sample_weight=torch.ones(3)),
        make=logits_make(),
        raises=ValueError,
        match="sample_weight",
    ),
    Case(
        "loss-target-out-of-range",
        lambda input, target: iwce_loss(input, target + 1),
        make=logits_make(),
        raises=IndexError,
        match="Target 3 is out of bounds",
        torch_ok="iwce_loss is a torch function; torch's message names the bad target",
    ),
    Case(
        "loss-nan-logits-propagate",
        lambda input, target: iwce_loss(input * math.nan, target),
        make=logits_make(),
        check=lambda loss: bool(torch.isnan(loss)),
    ),
    Case(
        "loss-module-bad-reduction",
        lambda: IWCELoss(reduction="avg"),
        make=lambda X, y: {},
        raises=ValueError,
        match="reduction must be one of",
    ),
    Case(
        "balanced-weights-negative-count",
        lambda counts: balanced_weights(counts),
        make=lambda X, y: {"counts": np.array([-1, 5])},
        raises=ValueError,
        match="count",
    ),
    Case(
        "balanced-weights-nan-count",
        lambda counts: balanced_weights(counts),
        make=lambda X, y: {"counts": np.array([np.nan, 5.0])},
        raises=ValueError,
        match="count",
    ),
    Case(
        "effective-number-negative-count",
        lambda counts: effective_number_weights(counts),
        make=lambda X, y: {"counts": np.array([-1, 5])},
        raises=ValueError,
        match="count",
    ),
    Case(
        "normalize-infinite-weight",
        lambda weights: normalize_class_weights(weights, [1, 1], "sum"),
        make=lambda X, y: {"weights": np.array([np.inf, 1.0])},
        raises=ValueError,
        match="finite",
    ),
    Case(
        "blend-negative-target",
        lambda target: blend_class_weights(1.0, target, [1, 1], normalize=None),
        make=lambda X, y: {"target": np.array([-1.0, 3.0])},
        raises=ValueError,
        match="(?i)negative|non-negative|positive",
    ),
    Case(
        "class-counts-strings",
        lambda y: class_counts(y, 2),
        make=lambda X, y: {"y": np.array(["a", "b"])},
        raises=ValueError,
        match="integer class indices",
    ),
    Case(
        "alpha-schedule-0-epochs",
        lambda: alpha_schedule(0),
        make=lambda X, y: {},
        raises=ValueError,
        match="n_epochs must be an int >= 1",
    ),
    Case(
        "schedule-callable-returns-inf",
        lambda: check_schedule(lambda e, n: math.inf)(0, 3),
        make=lambda X, y: {},
        raises=ValueError,
        match="alpha must be a float in",
    ),
    Case(
        "exponential-alpha-subnormal-T",
        lambda: [exponential_alpha(e, 3, T=5e-324) for e in range(3)],
        make=lambda X, y: {},
        check=lambda a: a == [0.0, 0.0, 1.0],
    ),
    # ---- data sets -----------------------------------------------------------------------------
    Case(
        "wisdm-empty-file",
        _load_wisdm,
        files=True,
        make=_wisdm_file(b""),
        raises=ValueError,
        match="No valid WISDM record",
        needs=sk_datasets,
    ),
    Case(
        "wisdm-binary-garbage",
        _load_wisdm,
        files=True,
        make=_wisdm_file(bytes(range(256)) * 20),
        raises=ValueError,
        match="No valid WISDM record",
        needs=sk_datasets,
    ),
    Case(
        "wisdm-nul-bytes-skipped",
        _load_wisdm,
        files=True,
        make=_wisdm_file(b"7,Walking,1,0.1,0.2,0.3;\n\x00\x00,,\xff,\n" * 3),
        check=lambda b: (b.n_skipped, b.data.shape) == (3, (2, 3, 2)),
        needs=sk_datasets,
    ),
    Case(
        "wisdm-path-is-a-directory",
        lambda path: sk_datasets.load_wisdm(path.parent),
        files=True,
        make=_wisdm_file(b""),
        raises=FileNotFoundError,
        match="WISDM file not found",
        needs=sk_datasets,
    ),
    Case(
        "wisdm-value-overflows-float32",
        _load_wisdm,
        files=True,
        make=_wisdm_file(
            b"7,Walking,1,0.1,0.2,0.3;\n7,Walking,2,1e39,0.2,0.3;\n7,Walking,3,0.1,0.2,0.3;\n"
        ),
        check=lambda b: b.n_skipped == 1 and np.isfinite(b.data).all(),
        needs=sk_datasets,
    ),
    Case(
        "cifar-truncated-pickle",
        _load_cifar,
        files=True,
        make=_cifar_folder(GOOD_CIFAR[:40]),
        raises=ValueError,
        match="Could not read the CIFAR-10 file .*test_batch",
        needs=sk_datasets,
    ),
    Case(
        "cifar-empty-file",
        _load_cifar,
        files=True,
        make=_cifar_folder(b""),
        raises=ValueError,
        match="Could not read the CIFAR-10 file .*EOFError",
        needs=sk_datasets,
    ),
    Case(
        "cifar-float-pixels",
        _load_cifar,
        files=True,
        make=_cifar_folder(pickle.dumps({b"data": np.zeros((2, 3072)), b"labels": [0, 1]})),
        raises=ValueError,
        match="expected b'data' of uint8",
        needs=sk_datasets,
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
        needs=sk_datasets,
    ),
    Case(
        "long-tail-nan-ratio",
        lambda X, y: sk_datasets.make_long_tailed(X, y, imbalance_ratio=math.nan),
        raises=ValueError,
        match="imbalance_ratio must be a finite number",
        needs=sk_datasets,
    ),
    Case(
        "long-tail-y-2d",
        lambda X, y: sk_datasets.make_long_tailed(X, np.c_[y, y]),
        raises=ValueError,
        match="1-D array of labels",
        needs=sk_datasets,
    ),
    Case(
        "load-dataset-unknown",
        lambda: sk_datasets.load_dataset("cifar100"),
        make=lambda X, y: {},
        raises=ValueError,
        match="Unknown data set 'cifar100'",
        needs=sk_datasets,
    ),
    # ---- compare -------------------------------------------------------------------------------
    Case(
        "compare-unknown-method",
        _compare(["iwce", "xgboost"], cv=2),
        raises=ValueError,
        match="Unknown method 'xgboost'",
        needs=sk_comparison,
    ),
    Case(
        "compare-X-nan",
        _compare(["iwce"], cv=2),
        make=lambda X, y: {"X": with_value(X, np.nan), "y": y},
        raises=ValueError,
        match="contains NaN",
        needs=sk_comparison,
    ),
    Case(
        "compare-cv-1",
        _compare(["iwce"], cv=1),
        raises=ValueError,
        match="cv must be an int >= 2",
        needs=sk_comparison,
    ),
    Case(
        "compare-X-test-without-y-test",
        lambda X, y: sk_comparison.compare(["iwce"], X, y, X_test=X, progress=False),
        raises=ValueError,
        match="Give both X_test and y_test",
        needs=sk_comparison,
    ),
    # ---- CLI -----------------------------------------------------------------------------------
    Case(
        "cli-no-command",
        cli_run(),
        make=lambda X, y: {},
        check=cli_usage_error("required: COMMAND"),
        needs=sk_cli,
    ),
    Case(
        "cli-unknown-dataset",
        cli_run("compare", "--dataset", "nosuch"),
        make=lambda X, y: {},
        check=cli_usage_error("unknown dataset 'nosuch'"),
        needs=sk_cli,
    ),
    Case(
        "cli-unknown-method",
        cli_run("compare", "--dataset", "digits", "--methods", "xgb"),
        make=lambda X, y: {},
        check=cli_usage_error("--methods: invalid choice: 'xgb'"),
        needs=sk_cli,
    ),
    Case(
        "cli-epochs-0",
        cli_run("compare", "--dataset", "digits", "--epochs", "0"),
        make=lambda X, y: {},
        check=cli_usage_error("--epochs: expected a positive integer"),
        needs=sk_cli,
    ),
    Case(
        "cli-T-nan",
        cli_run("compare", "--dataset", "digits", "--T", "nan"),
        make=lambda X, y: {},
        check=cli_usage_error("--T: expected a positive number"),
        needs=sk_cli,
    ),
    Case(
        "cli-cv-1",
        cli_run("compare", "--dataset", "digits", "--cv", "1"),
        make=lambda X, y: {},
        check=cli_usage_error("--cv must be at least 2"),
        needs=sk_cli,
    ),
    Case(
        "cli-jobs-0",
        cli_run(
            "compare",
            "--dataset",
            "digits",
            "--methods",
            "ce",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--cv",
            "2",
            "--jobs",
            "0",
            "--no-progress",
            "--no-plots",
            "--out",
            os.devnull,
        ),
        make=lambda X, y: {},
        check=cli_usage_error("--jobs"),
        needs=sk_cli,
    ),
]

_IDS = [c.id for c in CASES]
assert len(set(_IDS)) == len(_IDS), "case ids must be unique"


def _param(case):
    marks = []
    if case.needs is None:
        marks.append(pytest.mark.skip(reason="that part of skiwce does not exist yet"))
    if case.skip_if[0]:
        marks.append(pytest.mark.skip(reason=case.skip_if[1]))
    if case.defect:
        marks.append(pytest.mark.xfail(strict=True, reason=case.defect))
    return pytest.param(case, id=case.id, marks=marks)


def _assert_same(before, after, where):
    """The caller's input ``after`` equals its copy ``before`` (arrays, tensors, containers)."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray) and after.dtype == before.dtype, where
        assert after.shape == before.shape, where
        equal_nan = before.dtype.kind in "fc"
        assert np.array_equal(after, before, equal_nan=equal_nan), f"{where} was modified"
    elif isinstance(before, torch.Tensor):
        torch.testing.assert_close(after, before, rtol=0, atol=0, equal_nan=True)
    elif isinstance(before, dict):
        for key in before:
            _assert_same(before[key], after[key], f"{where}[{key!r}]")
    elif isinstance(before, list | tuple):
        assert len(after) == len(before), where
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            _assert_same(b, a, f"{where}[{i}]")
    else:
        assert after == before or (after != after and before != before), f"{where} was modified"


def _matches(warning, specs):
    return any(
        issubclass(warning.category, cat) and re.search(pattern, str(warning.message))
        for cat, pattern in specs
    )


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_input(case, data, tmp_path):
    X, y = data
    inputs = case.make(tmp_path) if case.files else case.make(X, y)
    snapshot = copy.deepcopy(inputs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.raises is not None:
            with pytest.raises(case.raises, match=case.match) as excinfo:
                case.run(**inputs)
            origin = str(excinfo.traceback[-1].path)
            assert case.torch_ok or not origin.startswith(TORCH_DIR), (
                f"raised deep inside torch ({origin}): {excinfo.value!r}"
            )
        else:
            result = case.run(**inputs)
            if case.check is not None:
                outcome = case.check(result)
                assert outcome is None or outcome, f"check failed for {case.id}"
    for spec in case.warns:
        assert any(_matches(w, [spec]) for w in caught), f"expected warning {spec} not emitted"
    unexpected = [w for w in caught if not _matches(w, (*case.warns, *case.allow))]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]
    _assert_same(snapshot, inputs, "input")


def test_case_table_is_large_enough():
    assert len(CASES) >= 40


def test_diverging_fit_is_reported(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, RuntimeError, UserWarning), match="(?i)nan|finite|diverg"):
            IWCEClassifier(**{**FAST, "lr": 1e20}).fit(X * 100, y)


# -- more properties ---------------------------------------------------------------------------

small_counts = st.lists(st.integers(1, 50), min_size=2, max_size=6)


class TestProperties:
    @settings(max_examples=30, deadline=None)
    @given(small_counts, st.floats(0, 1))
    def test_uniform_logits_give_log_C_for_every_alpha(self, counts, alpha):
        # The per-sample-mean invariant carried to the loss: over the training set, prior-
        # normalised weights average to 1, so uninformative logits cost log(C) at any alpha.
        counts = np.asarray(counts)
        target = torch.repeat_interleave(torch.arange(len(counts)), torch.as_tensor(counts))
        w = torch.as_tensor(blend_class_weights(alpha, balanced_weights(counts), counts))
        logits = torch.zeros(len(target), len(counts), dtype=torch.float64)
        loss = iwce_loss(logits, target, w)
        assert math.isclose(loss.item(), math.log(len(counts)), rel_tol=1e-9)

    @settings(max_examples=30, deadline=None)
    @given(small_counts, st.floats(0, 0.9999))
    def test_effective_number_finite_positive_and_order_reversing(self, counts, beta):
        w = effective_number_weights(counts, beta=beta)
        assert np.all(np.isfinite(w)) and np.all(w > 0)
        assert math.isclose(w.sum(), len(counts), rel_tol=1e-9)
        order = np.argsort(counts, kind="stable")
        assert np.all(np.diff(w[order]) <= 1e-12 * w.max())  # more samples, no larger weight

    @settings(max_examples=30, deadline=None)
    @given(small_counts, st.randoms(use_true_random=False))
    def test_balanced_weights_permute_with_the_classes(self, counts, random):
        perm = list(range(len(counts)))
        random.shuffle(perm)
        w = balanced_weights(counts)
        np.testing.assert_allclose(balanced_weights(np.asarray(counts)[perm]), w[perm])
        rare, common = int(np.argmin(counts)), int(np.argmax(counts))
        assert w[rare] >= w[common]

    @settings(max_examples=40, deadline=None)
    @given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda a: not 0 <= a <= 1))
    def test_callable_schedule_outside_unit_interval_is_rejected(self, alpha):
        with pytest.raises(ValueError, match=r"alpha must be a float in \[0, 1\]"):
            check_schedule(lambda e, n: alpha)(0, 5)

    @settings(max_examples=30, deadline=None)
    @given(st.integers(1, 12), st.floats(1e-3, 1e3), st.integers(0, 2**16))
    def test_reductions_agree_and_weighted_mean_ignores_scale(self, n, scale, seed):
        g = torch.Generator().manual_seed(seed)
        logits = torch.randn(n, 3, generator=g, dtype=torch.float64)
        target = torch.randint(0, 3, (n,), generator=g)
        w = torch.rand(3, generator=g, dtype=torch.float64) + 0.1
        per = iwce_loss(logits, target, w, reduction="none")
        torch.testing.assert_close(iwce_loss(logits, target, w, reduction="sum"), per.sum())
        torch.testing.assert_close(iwce_loss(logits, target, w), per.mean())
        torch.testing.assert_close(
            iwce_loss(logits, target, scale * w, reduction="weighted_mean"),
            iwce_loss(logits, target, w, reduction="weighted_mean"),
        )

    @settings(max_examples=10, deadline=None)
    @given(
        st.integers(1, 4),
        st.floats(1e-2, 1e2) | st.just(math.inf),
        st.lists(st.integers(1, 8), min_size=2, max_size=4),
    )
    def test_fitted_history_follows_the_schedule(self, n_epochs, T, counts):
        y = np.repeat(np.arange(len(counts)), counts)
        X = np.random.RandomState(0).randn(len(y), 3).astype(np.float32)
        clf = IWCEClassifier(
            T=T,
            max_epochs=n_epochs,
            batch_size=8,
            random_state=0,
            module_params={"hidden_layer_sizes": (4,)},
        ).fit(X, y)
        alphas = clf.net_.history[:, "alpha"]
        assert alphas == alpha_schedule(n_epochs, T=T)
        assert alphas[-1] == 1.0 and all(0.0 <= a <= 1.0 for a in alphas)
        assert all(a <= b for a, b in zip(alphas, alphas[1:], strict=False))
        weights = np.array(clf.net_.history[:, "class_weight"])
        assert np.all(np.isfinite(weights)) and np.all(weights > 0)
        np.testing.assert_allclose(weights @ np.asarray(counts) / len(y), 1.0, rtol=1e-9)
        np.testing.assert_allclose(weights[-1], balanced_weights(counts), rtol=1e-12)


# -- persistence ---------------------------------------------------------------------------------


def _module_level_schedule(epoch, n_epochs):
    return min(1.0, (epoch + 1) / n_epochs)


class TestPersistence:
    @pytest.mark.parametrize("dumper", ["pickle", "joblib"])
    def test_round_trip_also_after_a_second_fit(self, data, dumper, tmp_path):
        X, y = data
        path = tmp_path / "clf.bin"

        def round_trip(obj):
            if dumper == "pickle":
                path.write_bytes(pickle.dumps(obj))
                return pickle.loads(path.read_bytes())
            joblib.dump(obj, path)
            return joblib.load(path)

        clf = IWCEClassifier(**FAST).fit(X, y)
        loaded = round_trip(clf)
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
        # A second fit, on other data, of the original and of the loaded copy.
        X2, y2 = X[::-1].copy(), y[::-1].copy()
        clf.fit(X2, y2)
        loaded.fit(X2, y2)
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        again = round_trip(loaded)
        np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
        assert again.net_.history[:, "train_loss"] == clf.net_.history[:, "train_loss"]

    def test_unfitted_and_module_level_schedule_pickle(self, data):
        X, y = data
        clf = IWCEClassifier(schedule=_module_level_schedule, **FAST)
        loaded = pickle.loads(pickle.dumps(clf))
        assert loaded.get_params()["schedule"] is _module_level_schedule
        fitted = pickle.loads(pickle.dumps(loaded.fit(X, y)))
        assert fitted.net_.history[:, "alpha"] == [1 / 3, 2 / 3, 1.0]

    def test_lambda_schedule_does_not_pickle(self, data):
        # Documented: a lambda or local function cannot be pickled (Python's rule), so a
        # fitted model using one cannot be saved or sent to a joblib/Dask worker.
        X, y = data
        clf = IWCEClassifier(schedule=lambda e, n: 1.0, **FAST).fit(X, y)
        with pytest.raises((pickle.PicklingError, AttributeError), match="(?i)lambda|pickle"):
            pickle.dumps(clf)

    def test_skorch_save_params_load_params(self, data, tmp_path):
        X, y = data
        clf = IWCEClassifier(**FAST).fit(X, y)
        files = {
            "f_params": tmp_path / "params.pt",
            "f_optimizer": tmp_path / "optimizer.pt",
            "f_history": tmp_path / "history.json",
        }
        clf.net_.save_params(**files)

        fresh = clone(clf.net_).initialize()
        assert not np.array_equal(fresh.predict_proba(X), clf.net_.predict_proba(X))
        fresh.load_params(**files)
        np.testing.assert_array_equal(fresh.predict_proba(X), clf.net_.predict_proba(X))
        assert fresh.history[:, "alpha"] == clf.net_.history[:, "alpha"]
        opt_a, opt_b = fresh.optimizer_.state_dict(), clf.net_.optimizer_.state_dict()
        assert opt_a["param_groups"] == opt_b["param_groups"]
        for key, state in opt_b["state"].items():
            for name, value in state.items():
                torch.testing.assert_close(opt_a["state"][key][name], value)
        # The restored net drops into a copy of the estimator.
        restored = copy.deepcopy(clf)
        restored.net_ = fresh
        np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))

    def test_skorch_criterion_state_round_trip(self, data, tmp_path):
        X, y = data
        clf = IWCEClassifier(**FAST).fit(X, y)
        clf.net_.save_params(f_criterion=tmp_path / "criterion.pt")
        assert torch.load(tmp_path / "criterion.pt", weights_only=True).keys() == {"weight"}
        fresh = clone(clf.net_).initialize()
        fresh.load_params(f_criterion=tmp_path / "criterion.pt")
        torch.testing.assert_close(fresh.criterion_.weight, clf.net_.criterion_.weight)

    def test_skorch_checkpoint_resume(self, data, tmp_path):
        from skorch.callbacks import Checkpoint, LoadInitState

        X, y = data
        checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)  # save every epoch

        def make_net():
            return NeuralNetClassifier(
                nn.Linear(5, 3),
                criterion=IWCELoss,
                max_epochs=2,
                train_split=None,
                verbose=0,
                callbacks=[IncrementalClassWeights(T=1.0), checkpoint, LoadInitState(checkpoint)],
            )

        make_net().fit(X, y)
        resumed = make_net().fit(X, y)
        assert len(resumed.history) == 4  # the loaded history goes on, and so does the schedule
        assert resumed.history[-1, "alpha"] == 1.0

    def test_load_params_uses_weights_only(self, data, tmp_path, monkeypatch):
        X, y = data
        clf = IWCEClassifier(**FAST).fit(X, y)
        f_params, f_opt = tmp_path / "params.pt", tmp_path / "optimizer.pt"
        clf.net_.save_params(f_params=f_params, f_optimizer=f_opt)
        # Each file holds tensors (and plain numbers) only: torch's safe loader reads it.
        state = torch.load(f_params, weights_only=True)
        assert state and all(isinstance(v, torch.Tensor) for v in state.values())
        assert state.keys() == clf.net_.module_.state_dict().keys()
        torch.load(f_opt, weights_only=True)
        module = clone(clf.net_).initialize().module_
        module.load_state_dict(state)
        with torch.no_grad():
            np.testing.assert_array_equal(
                module(torch.as_tensor(X)).numpy(), clf.net_.forward(X).numpy()
            )
        # skorch's load path asks torch.load for weights_only=True.
        calls = []
        real_load = torch.load

        def spy(*args, **kwargs):
            calls.append(kwargs.get("weights_only"))
            return real_load(*args, **kwargs)

        monkeypatch.setattr(torch, "load", spy)
        clone(clf.net_).initialize().load_params(f_params=f_params, f_optimizer=f_opt)
        assert calls == [True, True]

    def test_load_params_refuses_a_file_with_objects(self, data, tmp_path):
        X, y = data
        clf = IWCEClassifier(**FAST).fit(X, y)
        path = tmp_path / "evil.pt"
        state = dict(clf.net_.module_.state_dict())
        state["payload"] = _Payload()  # an arbitrary object: a weights-only load rejects it
        torch.save(state, path)
        with pytest.raises(pickle.UnpicklingError, match="(?i)weights.only"):
            clone(clf.net_).initialize().load_params(f_params=path)

    @pytest.mark.slow
    def test_fresh_interpreter_loads_and_retrains_bit_identically(self, data, tmp_path):
        X, y = data
        clf = IWCEClassifier(**FAST).fit(X, y)
        joblib.dump(clf, tmp_path / "clf.joblib")
        np.save(tmp_path / "X.npy", X)
        np.save(tmp_path / "y.npy", y)
        script = textwrap.dedent(
            """
            import sys, joblib, numpy as np
            from sklearn.base import clone
            d = sys.argv[1]
            X, y = np.load(d + "/X.npy"), np.load(d + "/y.npy")
            clf = joblib.load(d + "/clf.joblib")
            again = clone(clf).fit(X, y)
            np.savez(d + "/out.npz", loaded=clf.predict_proba(X), refit=again.predict_proba(X))
            """
        )
        subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=120)
        out = np.load(tmp_path / "out.npz")
        np.testing.assert_array_equal(out["loaded"], clf.predict_proba(X))
        np.testing.assert_array_equal(out["refit"], clf.predict_proba(X))


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


# -- determinism ---------------------------------------------------------------------------------


class TestDeterminism:
    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"batching": "dataloader"},
            {"validation_fraction": 0.25, "early_stopping": True, "n_iter_no_change": 1},
            {"module_params": {"dropout": 0.5}},
            {"optimizer": "sgd", "optimizer_params": {"momentum": 0.9}},
        ],
        ids=["default", "dataloader", "early-stopping", "dropout", "sgd"],
    )
    def test_same_random_state_bit_identical(self, data, params):
        X, y = data
        a = IWCEClassifier(**{**FAST, **params}).fit(X, y)
        b = IWCEClassifier(**{**FAST, **params}).fit(X, y)
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
        assert a.net_.history[:, "train_loss"] == b.net_.history[:, "train_loss"]
        for pa, pb in zip(a.net_.module_.parameters(), b.net_.module_.parameters(), strict=True):
            assert torch.equal(pa, pb)

    def test_sequences_bit_identical(self):
        rng = np.random.RandomState(0)
        X = rng.randn(40, 2, 16).astype(np.float32)
        y = np.repeat([0, 1], [30, 10])
        params = {**FAST, "module": "cnn1d", "max_epochs": 2}
        a = IWCEClassifier(**params).fit(X, y).predict_proba(X)
        b = IWCEClassifier(**params).fit(X, y).predict_proba(X)
        np.testing.assert_array_equal(a, b)

    @pytest.mark.parametrize("module", ["mlp", "cnn1d"])
    def test_one_and_two_threads_same_bits(self, data, module):
        # What reliability.md states for small networks on this machine's kernels; large
        # products and convolutions may split their reductions differently elsewhere.
        X, y = data
        one = IWCEClassifier(**{**FAST, "module": module, "n_threads": 1}).fit(X, y)
        two = IWCEClassifier(**{**FAST, "module": module, "n_threads": 2}).fit(X, y)
        np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
        assert one.net_.history[:, "train_loss"] == two.net_.history[:, "train_loss"]

    def test_random_state_instance_semantics(self, data):
        X, y = data
        params = {k: v for k, v in FAST.items() if k != "random_state"}
        a = IWCEClassifier(random_state=np.random.RandomState(0), **params).fit(X, y)
        b = IWCEClassifier(random_state=np.random.RandomState(0), **params).fit(X, y)
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
        # scikit-learn's convention: a shared RandomState instance moves on between fits.
        shared = IWCEClassifier(random_state=np.random.RandomState(0), **params)
        first = shared.fit(X, y).predict_proba(X)
        assert not np.array_equal(shared.fit(X, y).predict_proba(X), first)

    @pytest.mark.parametrize("random_state", [0, None])
    def test_caller_torch_rng_untouched(self, data, random_state):
        X, y = data
        torch.manual_seed(1234)
        before = torch.get_rng_state()
        clf = IWCEClassifier(**{**FAST, "random_state": random_state}).fit(X, y)
        clf.predict_proba(X)
        assert torch.equal(torch.get_rng_state(), before)

    def test_caller_numpy_rng_untouched_with_an_int_seed(self, data):
        X, y = data
        np.random.seed(7)  # noqa: NPY002 (the caller's global state is the point)
        before = np.random.get_state()[1].copy()  # noqa: NPY002
        IWCEClassifier(**FAST).fit(X, y)
        np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002

    @pytest.mark.slow
    def test_grid_search_n_jobs_1_equals_n_jobs_2(self, data):
        X, y = data
        est = IWCEClassifier(**FAST)
        grid = {"T": [1.0, 10.0]}
        serial = GridSearchCV(est, grid, cv=2, scoring="balanced_accuracy", n_jobs=1).fit(X, y)
        parallel = GridSearchCV(est, grid, cv=2, scoring="balanced_accuracy", n_jobs=2).fit(X, y)
        for key in ["mean_test_score", "split0_test_score", "split1_test_score"]:
            np.testing.assert_array_equal(parallel.cv_results_[key], serial.cv_results_[key])
        np.testing.assert_array_equal(
            parallel.best_estimator_.predict_proba(X), serial.best_estimator_.predict_proba(X)
        )


# -- faults ------------------------------------------------------------------------------------


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (Ctrl-C) at the end of ``epoch`` (1-based), or after ``batch``
    training batches of that epoch."""

    def __init__(self, epoch=2, batch=None):
        self.epoch = epoch
        self.batch = batch

    def on_batch_end(self, net, training=False, **kwargs):
        if (
            training
            and self.batch is not None
            and len(net.history) == self.epoch
            and len(net.history[-1]["batches"]) == self.batch
        ):
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if self.batch is None and len(net.history) == self.epoch:
            raise KeyboardInterrupt


class Fail(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("disk full")


class Broken(ClassifierMixin, BaseEstimator):
    """A classifier whose fit always fails (picklable, for joblib workers)."""

    def fit(self, X, y):
        raise RuntimeError("boom")

    def predict(self, X):  # pragma: no cover - never fitted
        return np.zeros(len(X))


class FixedSplits:
    """A cross-validation splitter that yields the given (train, test) pairs."""

    def __init__(self, splits):
        self.splits = splits

    def split(self, X, y=None, groups=None):
        return iter(self.splits)


def _usable(clf, X):
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


class TestInterruption:
    @pytest.mark.parametrize(
        ("epoch", "batch", "n_iter"),
        [(2, None, 2), (2, 1, 2), (1, 1, 1)],
        ids=["after-epoch-2", "inside-epoch-2", "after-the-first-batch"],
    )
    def test_keyboard_interrupt_leaves_a_usable_model(self, data, epoch, batch, n_iter):
        X, y = data
        clf = IWCEClassifier(callbacks=[InterruptAt(epoch, batch)], **{**FAST, "max_epochs": 4})
        with pytest.warns(UserWarning, match=f"interrupted after {n_iter} of 4 epochs"):
            clf.fit(X, y)
        assert clf.interrupted_ is True and clf.n_iter_ == n_iter
        _usable(clf, X)
        np.testing.assert_array_equal(
            pickle.loads(pickle.dumps(clf)).predict_proba(X), clf.predict_proba(X)
        )

    def test_refit_clears_interrupted(self, data):
        X, y = data
        clf = IWCEClassifier(callbacks=[InterruptAt(1)], **FAST)
        with pytest.warns(UserWarning, match="interrupted"):
            clf.fit(X, y)
        clf.set_params(callbacks=None).fit(X, y)  # no warning (warnings are errors here)
        assert clf.interrupted_ is False and clf.n_iter_ == 3

    def test_early_stopping_is_not_an_interruption(self, data):
        X, y = data
        clf = IWCEClassifier(
            early_stopping=True,
            n_iter_no_change=1,
            validation_fraction=0.3,
            schedule="constant",  # weights at their target from the start: every epoch counts
            **{**FAST, "max_epochs": 30, "lr": 1e-9},
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            clf.fit(X, y)
        assert clf.interrupted_ is False
        assert clf.n_iter_ == 2 < 30  # stopped by patience 1 on a flat valid_bacc
        _usable(clf, X)

    def test_interrupt_with_early_stopping_on_is_reported(self, data):
        X, y = data
        clf = IWCEClassifier(
            early_stopping=True,
            n_iter_no_change=50,
            callbacks=[InterruptAt(2)],
            **{**FAST, "max_epochs": 10},
        )
        with pytest.warns(UserWarning, match="interrupted after 2 of 10 epochs"):
            clf.fit(X, y)
        assert clf.interrupted_ is True

    def test_other_errors_propagate_and_restore_global_state(self, data):
        X, y = data
        X_before = X.copy()
        torch.manual_seed(99)
        rng_before, threads_before = torch.get_rng_state(), torch.get_num_threads()
        with pytest.raises(RuntimeError, match="disk full"):
            IWCEClassifier(callbacks=[Fail()], n_threads=1, **FAST).fit(X, y)
        assert torch.equal(torch.get_rng_state(), rng_before)
        assert torch.get_num_threads() == threads_before
        np.testing.assert_array_equal(X, X_before)


@pytest.mark.skipif(sk_comparison is None, reason="skiwce.comparison does not exist yet")
class TestCompareFaults:
    def test_failing_method_is_recorded_and_the_run_goes_on(self, data):
        X, y = data
        estimators = {"iwce": IWCEClassifier(**FAST), "broken": Broken()}
        with pytest.warns(FitFailedWarning, match="2 of 4 fits failed .* 'broken'"):
            result = sk_comparison.compare(estimators, X, y, cv=2, progress=False)
        table = result.table
        broken = table[table["method"] == "broken"]
        assert broken["error"].tolist() == ["RuntimeError: boom"] * 2
        assert broken["balanced_accuracy"].isna().all()
        ok = table[table["method"] == "iwce"]
        assert ok["error"].isna().all() and ok["balanced_accuracy"].notna().all()
        assert result.summary().loc["broken", "n_failed"] == 2
        assert "Failed runs, left out of the means: broken (2 of 2)" in result.to_markdown()

    def test_failing_fold_is_recorded(self, data):
        X, y = data
        idx = np.arange(60)
        both = np.r_[idx[:20], idx[40:50], idx[55:58]]  # all classes
        zeros_only = idx[20:40]
        test = np.setdiff1d(idx, both)
        cv = FixedSplits([(both, test), (zeros_only, test)])
        with pytest.warns(FitFailedWarning, match="1 of 2 fits failed"):
            result = sk_comparison.compare(
                {"iwce": IWCEClassifier(**FAST)}, X, y, cv=cv, progress=False, reference=None
            )
        errors = result.table.set_index("fold")["error"]
        assert errors[0] is None
        assert "at least 2 classes" in errors[1]

    def test_failure_in_a_worker_process_is_recorded(self, data):
        X, y = data
        estimators = {"iwce": IWCEClassifier(**FAST), "broken": Broken()}
        with pytest.warns(FitFailedWarning, match="2 of 4 fits failed"):
            result = sk_comparison.compare(estimators, X, y, cv=2, progress=False, n_jobs=2)
        table = result.table
        assert table.loc[table["method"] == "broken", "error"].notna().all()
        assert table.loc[table["method"] == "iwce", "error"].isna().all()

    @pytest.mark.parametrize("wrap", ["plain", "pipeline"])
    def test_ctrl_c_stops_the_comparison(self, data, wrap):
        # skorch turns Ctrl-C into a warning and a half-trained net; compare must not score it.
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X, y = data
        clf = IWCEClassifier(callbacks=[InterruptAt(1, 1)], **FAST)
        est = clf if wrap == "plain" else make_pipeline(StandardScaler(), clf)
        with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
            sk_comparison.compare({"iwce": est}, X, y, cv=2, progress=False)

    def test_fit_time_of_failed_runs_left_out_of_the_mean(self, data):
        X, y = data
        estimators = {"iwce": IWCEClassifier(**FAST), "broken": Broken()}
        with pytest.warns(FitFailedWarning):
            result = sk_comparison.compare(estimators, X, y, cv=2, progress=False)
        assert result.table["fit_time"].notna().all()  # recorded per run ...
        assert np.isnan(result.summary().loc["broken", "fit_time_mean"])  # ... not averaged

    def test_macro_f1_ignores_a_class_absent_from_the_test_fold(self):
        from sklearn.metrics import f1_score

        from skiwce.comparison._compare import _scores

        y_true = np.array([0, 0, 1, 1])
        y_pred = np.array([0, 0, 1, 1])
        scores = _scores(y_true, y_pred, np.array([0, 1, 2]))
        assert scores["f1_macro"] == 1.0 == scores["balanced_accuracy"] == scores["g_mean"]
        assert np.isnan(scores["recall_2"])
        # Predicting the absent class is still penalised, as scikit-learn's default does.
        y_bad = np.array([0, 2, 1, 1])
        bad = _scores(y_true, y_bad, np.array([0, 1, 2]))["f1_macro"]
        assert bad == pytest.approx(f1_score(y_true, y_bad, average="macro", zero_division=0))

    def test_class_absent_from_the_test_part_warns_nothing(self, data):
        X, y = data
        keep = y != 2
        with warnings.catch_warnings():
            warnings.simplefilter("error", UndefinedMetricWarning)
            result = sk_comparison.compare(
                {"iwce": IWCEClassifier(**FAST)},
                X,
                y,
                X_test=X[keep],
                y_test=y[keep],
                progress=False,
                reference=None,
            )
        assert result.table["error"].isna().all(), result.table["error"].tolist()

    def test_balanced_accuracy_matches_scikit_learn_with_an_absent_class(self, data):
        X, y = data
        keep = y != 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            result = sk_comparison.compare(
                {"iwce": IWCEClassifier(**FAST)},
                X,
                y,
                X_test=X[keep],
                y_test=y[keep],
                progress=False,
                reference=None,
                return_estimators=True,
            )
        (estimator,) = result.estimators.values()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "y_pred contains classes not in ..."
            expected = balanced_accuracy_score(y[keep], estimator.predict(X[keep]))
        assert result.table["balanced_accuracy"].iloc[0] == pytest.approx(expected)


@pytest.mark.skipif(sk_cli is None, reason="skiwce.cli does not exist yet")
def test_cli_bad_module_is_a_usage_error(tmp_path):
    argv = [
        "compare",
        "--dataset",
        "digits",
        "--methods",
        "ce",
        "--epochs",
        "1",
        "--seeds",
        "1",
        "--cv",
        "2",
        "--module",
        "nosuch",
        "--no-progress",
        "--no-plots",
        "--out",
        str(tmp_path),
    ]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = sk_cli.main(argv)
    assert code == 2
    assert "--module" in err.getvalue()
