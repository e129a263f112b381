"""Hostile inputs to IWCEClassifier: fit (X, y, sample_weight), its hyperparameters,
set_params, predict/predict_proba/score and cross-validation.

The rules every case follows are in ``_hostile.py``.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from _hostile import (
    FAST,
    Case,
    _data,
    _fitted,
    all_cases,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
    with_value,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import balanced_accuracy_score, get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from skiwce import IWCEClassifier
from skiwce.functional import balanced_weights

HAS_CUDA = torch.cuda.is_available()


def fit(**params):
    """``run`` for ``IWCEClassifier(**FAST, **params).fit(X, y, **fit_params)``."""

    def run(X, y, **fit_params):
        return IWCEClassifier(**{**FAST, **params}).fit(X, y, **fit_params)

    return run


def predict(method="predict"):
    def run(X, y=None):
        return getattr(_fitted(), method)(X)

    return run


def with_labels(counts):
    """``make`` for data with the given rows per class (first rows of the data)."""

    def make(X, y):
        labels = np.repeat(np.arange(len(counts)), counts)
        return {"X": X[: len(labels)], "y": labels}

    return make


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


def _same_as_a_manual_cv(n_splits, counts):
    """``check`` for cross_val_score: the scores of fitting each stratified fold by hand."""

    def check(scores):
        data = with_labels(counts)(*_data())
        X, y = data["X"], data["y"]
        expected = []
        for train, test in StratifiedKFold(n_splits).split(X, y):
            clf = IWCEClassifier(**FAST).fit(X[train], y[train])
            expected.append(balanced_accuracy_score(y[test], clf.predict(X[test])))
        np.testing.assert_array_equal(scores, expected)

    return check


def _check_bacc_unseen(score):
    X, y = _data()
    y_true = np.where(y == 2, 9, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # y_pred has classes not in y_true
        expected = balanced_accuracy_score(y_true, _fitted().predict(X))
    assert score == expected
    assert score <= 2 / 3  # label 9 is never predicted: its recall is 0


def _kfold_one_class_fold(X, y):
    return cross_val_score(IWCEClassifier(**FAST), X, y, cv=KFold(2), error_score="raise")


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
        match=r"switch_epoch=100 is not an epoch of the run \(3 epochs: 0 to 2\)",
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
        raises=ValueError,
        match=r"\['module__bogus'\].*MLP takes no such keyword; valid ones are .*hidden_layer",
    ),
    Case(
        "set-params-optimizer-kwarg-it-lacks",
        lambda X, y: IWCEClassifier(**FAST).set_params(optimizer__momentum=0.9).fit(X, y),
        raises=ValueError,
        match=r"\['optimizer__momentum'\].*Adam takes no such keyword; valid ones are .*betas",
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
        check=_check_bacc_unseen,
    ),
    # ---- cross-validation: a class missing from a fold ----------------------------------------
    Case(
        "cross-val-2-samples-of-a-class-cv2",
        lambda X, y: cross_val_score(
            IWCEClassifier(**FAST), X, y, cv=2, scoring="balanced_accuracy"
        ),
        make=with_labels([40, 18, 2]),
        check=_same_as_a_manual_cv(2, [40, 18, 2]),
    ),
    Case(
        "cross-val-2-samples-of-a-class-cv3",
        lambda X, y: cross_val_score(
            IWCEClassifier(**FAST), X, y, cv=3, scoring="balanced_accuracy"
        ),
        make=with_labels([40, 18, 2]),
        check=_same_as_a_manual_cv(3, [40, 18, 2]),
        warns=((UserWarning, "least populated class in y has only 2 members"),),
        allow=((UserWarning, "y_pred contains classes not in y_true"),),
    ),
    Case(
        "cross-val-training-fold-with-one-class",
        _kfold_one_class_fold,
        raises=ValueError,
        match="at least 2 classes",
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)


def test_case_table_is_large_enough():
    assert len(all_cases()) >= 40
