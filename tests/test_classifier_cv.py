"""IWCEClassifierCV: the stacked search gives what GridSearchCV over IWCEClassifier gives."""

import numpy as np
import pandas as pd
import pytest
from _stacking import LOSS_RTOL, search_losses, single_fit_losses
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EpochScoring, LRScheduler

from skiwce import IWCEClassifier, IWCEClassifierCV


@pytest.fixture(scope="module")
def data():
    # 203 rows: 3-fold training sets of 135 and 136 rows, so folds differ in their batch
    # counts and last batches; with batch_size 16, 136 % 16 == 8 and 135 % 16 == 7.
    X, y = make_classification(
        n_samples=203,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.7, 0.2],
        random_state=0,
    )
    return X, y


def _kw(**extra):
    return {"max_epochs": 4, "batch_size": 16, "random_state": 0, "n_threads": 1, **extra}


CV = StratifiedKFold(3, shuffle=True, random_state=0)
TS = [0.5, 5.0, np.inf]


@pytest.mark.parametrize(
    "module, extra",
    [
        ("mlp", {}),
        ("cnn1d", {"module_params": {"dropout": 0.0}}),
        ("mlp", {"optimizer": "adamw", "optimizer_params": {"weight_decay": 0.1}}),
        ("mlp", {"optimizer": "sgd", "optimizer_params": {"momentum": 0.9}, "lr": 0.05}),
        ("mlp", {"schedule": "step", "switch_epoch": 0.5, "normalize": "sum"}),
        ("mlp", {"class_weight": "effective_number", "beta": 0.9}),
        ("mlp", {"class_weight": None}),
        ("mlp", {"standardize": False}),
        ("har", {"module_params": {"dropout": 0.0, "channels": (4, 3), "kernel_size": 2}}),
        (
            "cnn1d",
            {
                "module_params": {"dropout": 0.0},
                "optimizer": "adagrad",
                "lr": 0.01,
                "callbacks": [LRScheduler(policy="ExponentialLR", gamma=0.7)],
            },
        ),
        (
            "har",
            {
                "module_params": {"dropout": 0.0, "channels": (8, 6), "kernel_size": 3},
                "optimizer": "sgd",
                "optimizer_params": {"momentum": 0.9, "weight_decay": 5e-4},
                "lr": 0.05,
                "callbacks": [("cosine", LRScheduler(policy="CosineAnnealingLR", T_max=4))],
            },
        ),
    ],
)
def test_equals_gridsearchcv_over_iwceclassifier(data, module, extra):
    X, y = data
    kw = _kw(module=module, **extra)
    search = IWCEClassifierCV(Ts=TS, cv=CV, **kw).fit(X, y)
    assert search.engine_ == "stacked"
    grid = GridSearchCV(IWCEClassifier(**kw), {"T": TS}, cv=CV, scoring="balanced_accuracy").fit(
        X, y
    )
    np.testing.assert_allclose(
        search_losses(search), single_fit_losses(X, y, TS, CV, **kw), rtol=LOSS_RTOL
    )
    # identical networks up to float rounding: at most a rare prediction flips
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=0.02
    )
    assert set(search.cv_results_) == set(grid.cv_results_)
    for key in ("param_T", "params", "rank_test_score", "mean_fit_time"):
        assert type(search.cv_results_[key]) is type(grid.cv_results_[key]), key
    assert search.cv_results_["param_T"].dtype == grid.cv_results_["param_T"].dtype
    assert search.cv_results_["params"] == grid.cv_results_["params"]
    assert search.best_params_ == {"T": search.T_}
    assert isinstance(search.best_estimator_, IWCEClassifier)
    assert search.best_estimator_.T == search.T_
    np.testing.assert_array_equal(search.predict(X), search.best_estimator_.predict(X))


def test_sample_weight_reaches_every_candidate(data):
    X, y = data
    sw = np.random.RandomState(0).uniform(0.2, 3.0, len(y))
    search = IWCEClassifierCV(Ts=[1.0, 20.0], cv=CV, refit=False, **_kw()).fit(
        X, y, sample_weight=sw
    )
    expected = single_fit_losses(X, y, [1.0, 20.0], CV, sample_weight=sw, **_kw())
    np.testing.assert_allclose(search_losses(search), expected, rtol=LOSS_RTOL)
    unweighted = IWCEClassifierCV(Ts=[1.0, 20.0], cv=CV, refit=False, **_kw()).fit(X, y)
    assert not np.allclose(search_losses(unweighted), expected, rtol=1e-3)


def test_early_stopping_per_candidate_as_iwceclassifier(data):
    X, y = data
    kw = _kw(max_epochs=25, early_stopping=True, n_iter_no_change=2, switch_epoch=0.2, lr=0.01)
    search = IWCEClassifierCV(Ts=[1.0, 10.0], cv=CV, refit=False, **kw).fit(X, y)
    lengths, scores, valid = [], [], []
    for T in [1.0, 10.0]:
        for train, test in CV.split(X, y):
            est = IWCEClassifier(T=T, **kw).fit(X[train], y[train])
            lengths.append(est.n_iter_)
            scores.append(balanced_accuracy_score(y[test], est.predict(X[test])))
            valid.append([row["valid_bacc"] for row in est.net_.history])
    assert [len(h) for h in search.histories_] == lengths
    assert min(lengths) < 25  # some stopped early, and each where its own fit stops
    for h, expected in zip(search.histories_, valid, strict=True):
        np.testing.assert_allclose([row["valid_bacc"] for row in h], expected, atol=1e-12)
    # the best epoch's parameters restored, as EarlyStopping(load_best=True) does
    found = np.stack([search.cv_results_[f"split{j}_test_score"] for j in range(3)], axis=1)
    np.testing.assert_allclose(found.ravel(), scores, atol=0.02)


def test_dropout_on_scores_match_sequential_fits_statistically(data):
    """With dropout the stacked masks differ from a single fit's; the scores must not."""
    X, y = data
    kw = _kw(module="cnn1d", max_epochs=15, lr=3e-3)
    cv = StratifiedKFold(4, shuffle=True, random_state=1)
    stacked = IWCEClassifierCV(Ts=[5.0], cv=cv, refit=False, **kw).fit(X, y)
    sequential = IWCEClassifierCV(Ts=[5.0], cv=cv, refit=False, engine="sequential", **kw)
    sequential.fit(X, y)
    a = np.array([stacked.cv_results_[f"split{j}_test_score"][0] for j in range(4)])
    b = np.array([sequential.cv_results_[f"split{j}_test_score"][0] for j in range(4)])
    # the same networks trained with other dropout masks: the fold scores differ by seed noise
    # (a few points) and do not differ systematically
    assert not np.array_equal(a, b)
    assert abs(a.mean() - b.mean()) < 0.06
    assert np.max(np.abs(a - b)) < 0.15


def test_resnet_through_vmap_equals_iwceclassifier():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 1, 5, 5).astype(np.float32)
    y = (X[:, 0, 2, 2] + 0.5 * rng.randn(60) > 0.3).astype(int)
    kw = _kw(module="resnet18", module_params={"width": 2}, max_epochs=2)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = IWCEClassifierCV(Ts=[1.0, 10.0], cv=cv, refit=False, **kw).fit(X, y)
    assert search.engine_ == "stacked"
    np.testing.assert_allclose(
        search_losses(search), single_fit_losses(X, y, [1.0, 10.0], cv, **kw), rtol=LOSS_RTOL
    )


def test_chunks_of_max_models_give_the_same_search(data):
    X, y = data
    one = IWCEClassifierCV(Ts=TS, cv=CV, refit=False, **_kw()).fit(X, y)
    chunked = IWCEClassifierCV(Ts=TS, cv=CV, refit=False, max_models=2, **_kw()).fit(X, y)
    np.testing.assert_allclose(search_losses(one), search_losses(chunked), rtol=1e-5)
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], chunked.cv_results_["mean_test_score"]
    )


def test_settings_it_cannot_stack_train_one_by_one(data):
    X, y = data
    kw = _kw(criterion="focal")
    search = IWCEClassifierCV(Ts=[1.0, 5.0], cv=CV, refit=False, **kw).fit(X, y)
    assert search.engine_ == "sequential"
    grid = GridSearchCV(
        IWCEClassifier(**kw), {"T": [1.0, 5.0]}, cv=CV, scoring="balanced_accuracy"
    ).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
    )
    with pytest.raises(ValueError, match="engine='stacked' cannot train criterion='focal'"):
        IWCEClassifierCV(Ts=[1.0], cv=CV, engine="stacked", **kw).fit(X, y)
    for extra, phrase in [
        ({"optimizer": "rmsprop"}, "RMSprop"),
        ({"optimizer_params": {"amsgrad": True}}, "amsgrad"),
        ({"compile": True}, "compile"),
        ({"callbacks": [EpochScoring("f1_macro")]}, "callbacks other than one skorch LRScheduler"),
        (
            {"callbacks": [LRScheduler(policy="ReduceLROnPlateau")]},
            "callbacks other than one skorch LRScheduler",
        ),
        (
            {"callbacks": [LRScheduler(policy="StepLR", step_size=2, step_every="batch")]},
            "callbacks other than",
        ),
    ]:
        with pytest.raises(ValueError, match=phrase):
            IWCEClassifierCV(Ts=[1.0], cv=CV, engine="stacked", **_kw(**extra)).fit(X, y)


def test_cv_results_frame_groups_and_scoring(data):
    X, y = data
    groups = np.arange(len(y)) % 4
    search = IWCEClassifierCV(
        Ts=[2.0, 30.0], cv=GroupKFold(4), scoring="f1_macro", refit=False, **_kw()
    ).fit(X, y, groups=groups)
    frame = pd.DataFrame(search.cv_results_)
    assert len(frame) == 2 and search.n_splits_ == 4
    assert list(frame["param_T"]) == [2.0, 30.0]
    assert frame["rank_test_score"].min() == 1
    assert search.best_score_ == frame["mean_test_score"].max()
    assert len(search.histories_) == 8
    with pytest.raises(AttributeError, match="refit=False"):
        search.predict(X)


def test_score_uses_scoring_and_labels_of_any_type(data):
    X, y = data
    labels = np.array(["rare", "mid", "common"])[y]
    search = IWCEClassifierCV(Ts=[5.0], cv=3, **_kw()).fit(X, labels)
    assert set(search.predict(X)) <= set(labels)
    np.testing.assert_array_equal(search.classes_, np.unique(labels))
    assert search.score(X, labels) == pytest.approx(
        balanced_accuracy_score(labels, search.predict(X))
    )
    assert search.predict_proba(X).shape == (len(y), 3)
    assert search.decision_function(X).shape == (len(y), 3)


def test_in_a_pipeline_and_inside_gridsearchcv_for_what_cannot_be_stacked(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), IWCEClassifierCV(Ts=[1.0, 10.0], cv=2, **_kw()))
    grid = GridSearchCV(
        pipe,
        {"iwceclassifiercv__module__hidden_layer_sizes": [(4,), (16,)]},
        cv=2,
        scoring="balanced_accuracy",
    ).fit(X, y)
    best = grid.best_estimator_[-1]
    assert best.module_params["hidden_layer_sizes"] in [(4,), (16,)]
    assert (
        best.best_estimator_.net_.module_.net[1].out_features
        == (best.module_params["hidden_layer_sizes"][0])
    )
    params = clone(pipe).get_params()
    assert "iwceclassifiercv__Ts" in params


@pytest.mark.parametrize("Ts", [[], [1.0, -2.0], [0.0], [[1.0]], [np.nan], [-np.inf], ["a"]])
def test_bad_Ts_are_an_early_error(data, Ts):
    X, y = data
    with pytest.raises(ValueError, match=r"Ts must be a non-empty 1-D list of temperatures > 0"):
        IWCEClassifierCV(Ts=Ts, **_kw()).fit(X, y)


def test_does_not_modify_the_callers_arrays(data):
    X, y = data
    X0, y0 = X.copy(), y.copy()
    sw = np.ones(len(y))
    IWCEClassifierCV(Ts=[1.0], cv=2, refit=False, **_kw()).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sw, 1.0)


def test_verbose_draws_one_bar_per_stack(data, capsys):
    X, y = data
    IWCEClassifierCV(Ts=[1.0], cv=2, refit=False, **_kw(verbose=1)).fit(X, y)
    # off a terminal (pytest's capture) tqdm draws no bar: one closing line instead
    err = capsys.readouterr().err
    assert err.startswith("fit 2 stacked models: 4 epochs; mean train_loss=")
    IWCEClassifierCV(Ts=[1.0], cv=2, refit=False, **_kw()).fit(X, y)
    assert capsys.readouterr().err == ""
