"""Hostile inputs to skiwce.comparison.compare, and its handling of failing and interrupted
runs.

The rules every case follows are in ``_hostile.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from _hostile import (
    FAST,
    Case,
    InterruptAt,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
    with_value,
)
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import FitFailedWarning, UndefinedMetricWarning
from sklearn.metrics import balanced_accuracy_score

from skiwce import IWCEClassifier
from skiwce import comparison as sk_comparison


def _compare(estimators, **kwargs):
    def run(X, y):
        return sk_comparison.compare(estimators, X, y, progress=False, **kwargs)

    return run


def _runs(X, y):
    """A table of runs as compare makes it, without the split sizes."""
    table = sk_comparison.compare(
        {"iwce": DummyClassifier(strategy="stratified"), "prior": DummyClassifier()},
        X,
        y,
        cv=2,
        progress=False,
    ).table
    return {"table": table.drop(columns=["n_train", "n_test"]).to_dict("list")}


def _scores_with_nan(X, y):
    scores = X[:4, :3].astype(float)
    scores[1, 2] = np.nan
    return {"scores": scores}


CASES = [
    # ---- compare -------------------------------------------------------------------------------
    Case(
        "compare-unknown-method",
        _compare(["iwce", "xgboost"], cv=2),
        raises=ValueError,
        match="Unknown method 'xgboost'",
    ),
    Case(
        "compare-X-nan",
        _compare(["iwce"], cv=2),
        make=lambda X, y: {"X": with_value(X, np.nan), "y": y},
        raises=ValueError,
        match="contains NaN",
    ),
    Case(
        "compare-cv-1",
        _compare(["iwce"], cv=1),
        raises=ValueError,
        match="cv must be an int >= 2",
    ),
    Case(
        "compare-X-test-without-y-test",
        lambda X, y: sk_comparison.compare(["iwce"], X, y, X_test=X, progress=False),
        raises=ValueError,
        match="Give both X_test and y_test",
    ),
    # ---- compare_datasets ----------------------------------------------------------------------
    Case(
        "compare-datasets-a-string",
        lambda: sk_comparison.compare_datasets("digits", ["iwce"]),
        make=lambda X, y: {},
        raises=ValueError,
        match="Wrap it in a list",
    ),
    Case(
        "compare-datasets-X-without-y",
        lambda X: sk_comparison.compare_datasets({"a": X}, ["iwce"]),
        make=lambda X, y: {"X": X},
        raises=ValueError,
        match="must be \\(X, y\\), \\(X, y, X_test, y_test\\)",
    ),
    Case(
        "compare-datasets-own-data",
        lambda X, y: sk_comparison.compare_datasets(
            {"a": (X, y), "b": (X, y)}, {"iwce": DummyClassifier()}, cv=2, progress=False
        ),
        check=lambda suite: suite.datasets == ["a", "b"] and len(suite.table) == 4,
    ),
    # ---- statistics ----------------------------------------------------------------------------
    Case(
        "paired-tests-without-split-sizes",
        lambda table: sk_comparison.paired_tests(pd.DataFrame(table), reference="iwce"),
        make=_runs,
        raises=ValueError,
        match="needs the split sizes",
    ),
    Case(
        "friedman-missing-score",
        lambda scores: sk_comparison.friedman_test(scores),
        make=_scores_with_nan,
        raises=ValueError,
        match="missing values",
    ),
    Case(
        "friedman-one-data-set",
        lambda scores: sk_comparison.friedman_test(scores),
        make=lambda X, y: {"scores": X[:1, :3]},
        raises=ValueError,
        match="at least 2 data sets",
    ),
    Case(
        "rank-methods-unknown-reference",
        lambda scores: sk_comparison.rank_methods(scores, reference="iwce"),
        make=lambda X, y: {"scores": X[:4, :3]},
        raises=ValueError,
        match="reference 'iwce' is not a method",
    ),
    Case(
        "holm-p-above-1",
        lambda p: sk_comparison.holm(p),
        make=lambda X, y: {"p": np.array([0.01, 1.5])},
        raises=ValueError,
        match="p_values must lie in \\[0, 1\\]",
    ),
    Case(
        "critical-difference-one-method",
        lambda: sk_comparison.critical_difference(1, 10),
        make=lambda X, y: {},
        raises=ValueError,
        match="n_methods must be an int >= 2",
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)


# -- faults ------------------------------------------------------------------------------------


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

        from skiwce.comparison._metrics import scores as _scores

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
