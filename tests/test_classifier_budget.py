"""max_epochs="auto": the training budget chosen from the data (issue 19)."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.class_weight import compute_sample_weight

from skiwce import IWCEClassifier
from skiwce._auto_rows import (
    AUTO_ENCODED_WEIGHT_DECAYS,
    AUTO_ENCODINGS,
    AUTO_ENSEMBLE_ROUNDS,
    AUTO_WEIGHT_DECAYS,
    QuantileBins,
    candidates,
    greedy_ensemble,
    make_encoder,
)
from skiwce._classifier import (
    AUTO_DEFAULT_EPOCHS,
    AUTO_EPOCHS,
    AUTO_FULL_BATCH_EPOCHS,
    AUTO_MIN_STEPS,
)
from skiwce._fit_spec import fit_seeds
from skiwce._optim import LBFGS
from skiwce.models import MLP


@pytest.fixture(scope="module")
def rare():
    # 240 rows, 12 in the rare class: the inner search runs
    X, y = make_classification(
        n_samples=240, n_features=5, n_informative=3, weights=[0.95], flip_y=0, random_state=3
    )
    return X, y


def _kw(**extra):
    return {"random_state": 0, "n_threads": 1, "batch_size": 32, **extra}


def _same_as_grid_search(search, estimator, grid, X, y, atol):
    """Check the inner search's ``cv_results_`` against GridSearchCV's over ``grid`` (and the
    default T) on the inner search's folds: keys, types, candidates, scores within ``atol``.
    Returns the fitted GridSearchCV."""
    cv = StratifiedKFold(3, shuffle=True, random_state=fit_seeds(0)[2])
    reference = GridSearchCV(
        estimator, {"T": [20.0], **grid}, cv=cv, scoring="balanced_accuracy"
    ).fit(X, y)
    results = reference.cv_results_
    assert set(search) == set(results)
    for key in ("params", *(f"param_{k}" for k in grid), "rank_test_score", "mean_test_score"):
        assert type(search[key]) is type(results[key]), key
    assert search["params"] == results["params"]
    np.testing.assert_allclose(search["mean_test_score"], results["mean_test_score"], atol=atol)
    return reference


def _member(cand, X, y, seed):
    """One candidate of the ensemble, built by hand: its encoding appended to the rows, then
    the MLP solved by L-BFGS with its penalty."""
    columns = [FunctionTransformer()]
    if cand["encoding"] is not None:
        columns.append(make_encoder(cand["encoding"]))
    clf = IWCEClassifier(
        **_kw(
            optimizer="lbfgs",
            max_epochs=AUTO_FULL_BATCH_EPOCHS,
            optimizer_params={"weight_decay": cand["weight_decay"]},
            random_state=seed,
        )
    )
    # float32, as the estimator's copy of the rows
    return make_pipeline(make_union(*columns), clf).fit(np.asarray(X, np.float32), y)


def test_auto_ensemble_is_what_its_out_of_fold_scores_choose(rare):
    # few minority rows, the MLP and optimizer="auto": an ensemble of L-BFGS MLPs
    X, y = rare
    clf = IWCEClassifier(**_kw()).fit(X, y)
    search = clf.budget_search_
    grid = candidates(sparse=False)
    assert search["params"] == grid
    assert len(grid) == len(AUTO_WEIGHT_DECAYS) + len(AUTO_ENCODINGS) * len(
        AUTO_ENCODED_WEIGHT_DECAYS
    )
    # GridSearchCV's layout: the same keys (and the ensemble's weights), the same types
    reference = GridSearchCV(
        LogisticRegression(), {"C": [1.0, 2.0], "tol": [1e-4]}, cv=3, scoring="neg_log_loss"
    ).fit(X, y)
    same = {k for k in reference.cv_results_ if "time" not in k and "param_" not in k}
    assert same | {"param_encoding", "param_weight_decay", "ensemble_weight"} == set(search)
    for key in ("params", "mean_test_score", "rank_test_score"):
        assert type(search[key]) is type(reference.cv_results_[key]), key
        if key != "params":
            assert search[key].dtype == reference.cv_results_[key].dtype, key
    assert type(search["param_weight_decay"]) is type(reference.cv_results_["param_C"])
    # each candidate's score on each inner fold: its balanced log-loss there, fitted by hand
    seed = fit_seeds(0)[2]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(X, y))
    balanced = compute_sample_weight("balanced", y)
    for k in (0, 5, 8):  # one candidate of each encoding (all ten: 30 fits)
        for f, (train, test) in enumerate(folds):
            proba = _member(grid[k], X[train], y[train], seed)
            proba = proba.predict_proba(X[test].astype(np.float32))
            score = -log_loss(y[test], proba, sample_weight=balanced[test])
            assert search[f"split{f}_test_score"][k] == pytest.approx(score, abs=1e-5), (k, f)
    # the ensemble: weights in multiples of 1/rounds, summing to 1, heaviest member first
    weights = search["ensemble_weight"]
    np.testing.assert_allclose(weights.sum(), 1.0)
    rounds = weights * AUTO_ENSEMBLE_ROUNDS
    np.testing.assert_allclose(rounds, np.round(rounds), atol=1e-9)
    chosen = [
        {**grid[k], "weight": weights[k]}
        for k in np.argsort(-weights, kind="stable")
        if weights[k] > 0
    ]
    assert clf.budget_["ensemble"] == chosen
    assert clf.budget_["optimizer"] == "lbfgs"
    assert clf.max_epochs_ == clf.n_iter_ == AUTO_FULL_BATCH_EPOCHS
    # predictions: the weighted mean of the members refitted on all the rows
    X32 = X.astype(np.float32)
    expected = sum(m["weight"] * _member(m, X, y, seed).predict_proba(X32) for m in chosen)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-5)
    assert isinstance(clf.net_.optimizer_, LBFGS)  # the heaviest member's network
    assert clf.net_.batch_size == len(y)  # full batch
    assert clf.optimizer == "auto" and clf.optimizer_params is None


def test_greedy_ensemble_selection():
    y = np.array([0, 0, 1, 1])
    sure = np.array([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]])
    flat = np.full((4, 2), 0.5)
    wrong = sure[:, ::-1]
    assert greedy_ensemble([flat, sure, wrong], y, np.ones(4)).tolist() == [0.0, 1.0, 0.0]
    # two candidates right on different rows: their mixture beats either alone
    left = np.array([[0.99, 0.01], [0.4, 0.6], [0.01, 0.99], [0.6, 0.4]])
    right = np.array([[0.4, 0.6], [0.99, 0.01], [0.6, 0.4], [0.01, 0.99]])
    weights = greedy_ensemble([left, right], y, np.ones(4), rounds=4)
    assert weights.tolist() == [0.5, 0.5]
    # row weights count: a class weighted up decides the choice
    fits_0 = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    fits_1 = np.array([[0.6, 0.4], [0.6, 0.4], [0.1, 0.9], [0.1, 0.9]])
    up_1 = np.array([1.0, 1.0, 10.0, 10.0])
    assert greedy_ensemble([fits_0, fits_1], y, up_1, rounds=1).tolist() == [0.0, 1.0]
    assert greedy_ensemble([fits_0, fits_1], y, up_1[::-1], rounds=1).tolist() == [1.0, 0.0]


def test_quantile_bins():
    X = np.c_[np.arange(10.0), np.r_[np.zeros(8), np.ones(2)], np.ones(10)]
    bins = QuantileBins(n_bins=4).fit(X)
    Z = bins.transform(X)
    # a value's bin: how many edges (distinct inner quantiles) are <= it; 4 bins, then one
    # edge each for the binary and the constant column (the raw column stays beside them)
    assert [len(e) for e in bins.edges_] == [3, 1, 1]
    assert Z.shape == (10, 4 + 2 + 2)
    np.testing.assert_array_equal(Z.sum(axis=1), 3)
    np.testing.assert_array_equal(Z[:, :4].sum(axis=0), [3, 2, 2, 3])
    # values outside the training range fall in the outer bins
    np.testing.assert_array_equal(bins.transform([[-5.0, 0.0, 1.0]])[0, :4], [1, 0, 0, 0])
    np.testing.assert_array_equal(bins.transform([[50.0, 0.0, 1.0]])[0, :4], [0, 0, 0, 1])


def test_auto_ensemble_continues_and_takes_the_user_settings(rare):
    X, y = rare
    clf = IWCEClassifier(**_kw(warm_start=True, logit_adjustment=1.0)).fit(X, y)
    members = [m.estimator for _, m in clf.ensemble_]
    assert all(m.logit_adjustment == 0.0 for m in members)  # applied once, to the mixture
    logits = np.log(sum(w * m.predict_proba(X) for w, m in clf.ensemble_))
    prior = np.bincount(y) / len(y)
    expected = softmax(logits - np.log(prior), axis=1)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-6)
    # sparse rows predicted by an ensemble fitted on dense ones: the same probabilities
    dense = clf.predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(sp.csr_matrix(X)), dense, atol=1e-6)
    # a warm start trains every member on
    clf.fit(X, y)
    assert [len(m.net_.history) for m in members] == [2 * AUTO_FULL_BATCH_EPOCHS] * len(members)
    # a user's weight_decay: one network, no ensemble
    one = IWCEClassifier(**_kw(optimizer_params={"weight_decay": 0.05})).fit(X, y)
    assert one.ensemble_ is None and one.budget_search_ is None
    assert one.net_.optimizer_.param_groups[0]["weight_decay"] == 0.05
    # sparse rows: the candidates without encodings
    sparse = IWCEClassifier(**_kw()).fit(sp.csr_matrix(X), y)
    assert {p["encoding"] for p in sparse.budget_search_["params"]} == {None}


def test_auto_epochs_a_search_over_the_same_values_picks(rare):
    # Adam (set, or another network than the MLP): the epochs are searched
    X, y = rare
    clf = IWCEClassifier(**_kw(optimizer="adam")).fit(X, y)
    search = clf.budget_search_
    grid = {"max_epochs": list(search["param_max_epochs"])}
    assert sorted(set(grid["max_epochs"])) == sorted(
        {max(e, -(-AUTO_MIN_STEPS // 5)) for e in AUTO_EPOCHS}  # 160 rows: 5 batches of 32
    )
    assert "param_module__hidden_layer_sizes" not in search  # AUTO_WIDTHS is empty
    # the same networks up to float32 rounding (stacked against one by one)
    _same_as_grid_search(
        search,
        IWCEClassifier(**_kw(optimizer="adam", max_epochs=100)),
        {k: sorted(set(v)) for k, v in grid.items()},
        X,
        y,
        atol=0.02,
    )
    best = int(np.argmin(search["rank_test_score"]))
    assert clf.budget_ == {k: v for k, v in search["params"][best].items() if k != "T"}
    # the chosen budget is what the final network trains with
    assert clf.max_epochs_ == clf.budget_["max_epochs"] == clf.n_iter_
    assert clf.net_.max_epochs == clf.max_epochs_
    assert clf.module_params is None  # the user's parameters stay as given


def test_auto_without_a_search(rare):
    X, y = rare
    big_X, big_y = make_classification(n_samples=400, weights=[0.6], random_state=0)
    clf = IWCEClassifier(**_kw()).fit(big_X, big_y)  # rarest class >= 100 rows
    assert clf.budget_search_ is None
    assert clf.max_epochs_ == AUTO_DEFAULT_EPOCHS == clf.n_iter_
    fixed = IWCEClassifier(**_kw(max_epochs=3)).fit(X, y)
    assert fixed.budget_ is None and fixed.budget_search_ is None and fixed.max_epochs_ == 3
    assert clf.net_.optimizer_.__class__.__name__ == "Adam"  # many minority rows: Adam
    partial = IWCEClassifier(**_kw()).partial_fit(X, y, classes=[0, 1])
    assert partial.budget_search_ is None and partial.max_epochs_ == AUTO_DEFAULT_EPOCHS
    assert partial.n_iter_ == 1
    assert partial.net_.optimizer_.__class__.__name__ == "Adam"
    # the user's L2 penalty: L-BFGS with it, nothing searched
    set_l2 = IWCEClassifier(**_kw(optimizer_params={"weight_decay": 0.05})).fit(X, y)
    assert set_l2.budget_search_ is None
    assert set_l2.budget_ == {"optimizer": "lbfgs", "max_epochs": AUTO_FULL_BATCH_EPOCHS}
    assert set_l2.net_.optimizer_.param_groups[0]["weight_decay"] == 0.05
    # settings for Adam keep Adam (and its epoch search)
    adam = IWCEClassifier(**_kw(optimizer_params={"eps": 1e-7})).fit(X, y)
    assert adam.net_.optimizer_.__class__.__name__ == "Adam"
    assert adam.net_.optimizer_.param_groups[0]["eps"] == 1e-7
    assert "param_max_epochs" in adam.budget_search_


def test_auto_caps_the_steps_of_a_large_table(monkeypatch):
    import skiwce._classifier as classifier

    X, y = make_classification(n_samples=220, n_features=6, random_state=0)  # no search
    monkeypatch.setattr(classifier, "AUTO_MAX_STEPS", 70)
    monkeypatch.setattr(classifier, "AUTO_MIN_CAPPED_EPOCHS", 3)
    clf = IWCEClassifier(**_kw()).fit(X, y)  # 7 batches of 32 per epoch: 70 steps
    assert clf.budget_ == {"max_epochs": 10} and clf.budget_search_ is None
    assert clf.max_epochs_ == clf.n_iter_ == clf.net_.max_epochs == 10
    monkeypatch.setattr(classifier, "AUTO_MIN_CAPPED_EPOCHS", 12)  # the floor wins
    assert IWCEClassifier(**_kw()).fit(X, y).max_epochs_ == 12
    monkeypatch.setattr(classifier, "AUTO_MAX_STEPS", 10**6)  # never above 100 epochs
    assert IWCEClassifier(**_kw(max_epochs="auto")).fit(X, y).budget_["max_epochs"] == 100
    # an int turns it off; series keep 100 epochs whatever their size
    assert IWCEClassifier(**_kw(max_epochs=7)).fit(X, y).max_epochs_ == 7
    monkeypatch.setattr(classifier, "AUTO_MAX_STEPS", 70)
    series = IWCEClassifier(**_kw(module="mlp")).fit(X[:, None, :], y)
    assert series.max_epochs_ == 100


@pytest.mark.parametrize(
    ("module", "lbfgs"),
    [("mlp", True), (MLP, True), (type("MyMLP", (MLP,), {}), True), ("cnn1d", False)],
)
def test_auto_solves_only_the_mlp(rare, module, lbfgs):
    X, y = rare
    clf = IWCEClassifier(**_kw(module=module, max_epochs="auto")).fit(X, y)
    assert isinstance(clf.net_.optimizer_, LBFGS) is lbfgs
    assert ("param_weight_decay" in clf.budget_search_) is lbfgs
    assert ("param_max_epochs" in clf.budget_search_) is not lbfgs


def test_auto_searches_rows_only_and_widths_only_when_asked(rare, monkeypatch):
    import skiwce._classifier as classifier

    X, y = rare
    series = IWCEClassifier(**_kw(module="cnn1d", module_params={"dropout": 0.0}))
    series.fit(X[:, None, :], y)
    # series: no inner search (their defaults are measured in benchmarks/results/series_cpu.md)
    assert series.budget_search_ is None and series.budget_ == {"max_epochs": 100}
    # the width mechanism (off by default): only for the default network without a width
    monkeypatch.setattr(classifier, "AUTO_EPOCHS", (20,))
    monkeypatch.setattr(classifier, "AUTO_WIDTHS", ((), (4,)))
    clf = IWCEClassifier(**_kw(optimizer="adam")).fit(X, y)
    width = clf.budget_["module__hidden_layer_sizes"]
    linears = [m for m in clf.net_.module_.modules() if m.__class__.__name__ == "Linear"]
    assert len(linears) == len(width) + 1
    assert clf.module_params is None
    kw = _kw(optimizer="adam", module_params={"hidden_layer_sizes": (3,)})
    fixed = IWCEClassifier(**kw).fit(X, y)
    assert "param_module__hidden_layer_sizes" not in fixed.budget_search_
    assert fixed.net_.module_.net[1].out_features == 3


def test_auto_gives_tiny_data_enough_steps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(35, 4))
    y = np.r_[np.zeros(29, int), np.ones(6, int)]
    X[y == 1] += 1.5
    clf = IWCEClassifier(**_kw(batch_size=64, optimizer="adam")).fit(X, y)
    # one batch per epoch on an inner fold: every candidate trains >= AUTO_MIN_STEPS steps
    assert min(clf.budget_search_["param_max_epochs"]) >= AUTO_MIN_STEPS
    assert clf.max_epochs_ >= AUTO_MIN_STEPS
    assert len(np.unique(clf.predict(X))) == 2
    # the default (L-BFGS, full batch) has no steps to lack
    default = IWCEClassifier(**_kw(batch_size=64)).fit(X, y)
    assert isinstance(default.net_.optimizer_, LBFGS)
    assert len(np.unique(default.predict(X))) == 2


def test_warm_start_continues_with_the_chosen_epochs(rare):
    X, y = rare
    clf = IWCEClassifier(**_kw(warm_start=True)).fit(X, y)
    first = clf.n_iter_
    clf.fit(X, y)
    assert clf.n_iter_ == 2 * first


def test_auto_inside_a_search_is_trained_one_by_one(rare):
    from skiwce import IWCEClassifierCV

    X, y = rare
    search = IWCEClassifierCV(Ts=[5.0], cv=2, max_epochs="auto", refit=False, **_kw())
    assert search.fit(X, y).engine_ == "sequential"
    with pytest.raises(ValueError, match="max_epochs='auto'"):
        IWCEClassifierCV(Ts=[5.0], cv=2, max_epochs="auto", engine="stacked", **_kw()).fit(X, y)
