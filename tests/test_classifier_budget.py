"""max_epochs="auto": the training budget chosen from the data (issue 19)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skiwce import IWCEClassifier
from skiwce._classifier import (
    AUTO_DEFAULT_EPOCHS,
    AUTO_EPOCHS,
    AUTO_FULL_BATCH_EPOCHS,
    AUTO_MIN_STEPS,
    AUTO_WEIGHT_DECAYS,
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


def test_auto_picks_the_l2_penalty_a_search_over_the_same_values_picks(rare):
    # few minority rows, the MLP and optimizer="auto": L-BFGS, its weight_decay searched
    X, y = rare
    clf = IWCEClassifier(**_kw()).fit(X, y)
    search = clf.budget_search_
    assert list(search["param_optimizer__weight_decay"]) == list(AUTO_WEIGHT_DECAYS)
    assert "param_max_epochs" not in search
    # one by one, as GridSearchCV: the same fits (float tolerance across CPUs)
    reference = _same_as_grid_search(
        search,
        IWCEClassifier(**_kw(optimizer="lbfgs", max_epochs=AUTO_FULL_BATCH_EPOCHS)),
        {"optimizer__weight_decay": list(AUTO_WEIGHT_DECAYS)},
        X,
        y,
        atol=1e-6,
    )
    best = int(np.argmin(search["rank_test_score"]))
    assert best == reference.best_index_
    chosen = search["params"][best]["optimizer__weight_decay"]
    assert clf.budget_ == {
        "optimizer": "lbfgs",
        "max_epochs": AUTO_FULL_BATCH_EPOCHS,
        "optimizer__weight_decay": chosen,
    }
    # what was chosen is what the final network trains with; the user's parameters stay
    assert isinstance(clf.net_.optimizer_, LBFGS)
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == chosen
    assert clf.max_epochs_ == clf.n_iter_ == AUTO_FULL_BATCH_EPOCHS
    assert clf.net_.batch_size == len(y)  # full batch
    assert clf.optimizer == "auto" and clf.optimizer_params is None


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
    assert ("param_optimizer__weight_decay" in clf.budget_search_) is lbfgs
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
    clf = IWCEClassifier(**_kw()).fit(X, y)
    width = clf.budget_["module__hidden_layer_sizes"]
    linears = [m for m in clf.net_.module_.modules() if m.__class__.__name__ == "Linear"]
    assert len(linears) == len(width) + 1
    assert clf.module_params is None
    kw = _kw(module_params={"hidden_layer_sizes": (3,)})
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
