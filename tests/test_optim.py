"""optimizer="lbfgs" (skiwce's full-batch L-BFGS with an L2 penalty) and optimizer="auto"."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skiwce import IWCEClassifier, IWCEClassifierCV
from skiwce._optim import LBFGS


@pytest.fixture
def rows():
    X, y = make_classification(
        n_samples=90,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.6, 0.3, 0.1],
        random_state=0,
    )
    return X.astype(np.float32), y


@pytest.fixture
def series():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 30)).astype(np.float32)
    y = np.r_[np.zeros(30, int), np.ones(10, int)]
    X[y == 1, 0, 10:15] += 3.0
    return X, y


def _linear(**kwargs):
    params = {
        "module": "mlp",
        "module_params": {"hidden_layer_sizes": ()},
        "optimizer": "lbfgs",
        "class_weight": None,
        "standardize": False,
        "random_state": 0,
    }
    return IWCEClassifier(**{**params, **kwargs})


def _penalised_loss(model, X, y, decay):
    """Mean cross entropy plus decay / 2 * ||W||^2 (the weights, not the intercepts)."""
    W = torch.as_tensor(model.coef_, dtype=torch.float64)
    b = torch.as_tensor(model.intercept_, dtype=torch.float64)
    logits = torch.as_tensor(X, dtype=torch.float64) @ W.T + b
    ce = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y))
    return float(ce + 0.5 * decay * (W**2).sum())


class _Coef:
    def __init__(self, clf):
        layer = clf.net_.module_.net[-1]
        self.coef_ = layer.weight.detach().double().numpy()
        self.intercept_ = layer.bias.detach().double().numpy()


class TestLBFGS:
    def test_minimises_the_penalised_loss_as_logistic_regression(self, rows):
        # weight_decay is LogisticRegression's L2 with C = 1 / (weight_decay * n), intercepts
        # unpenalised: both solvers reach the same minimum of the same objective
        X, y = rows
        decay = 0.05
        clf = _linear(max_epochs=1, optimizer_params={"weight_decay": decay, "max_iter": 500})
        clf.fit(X, y)
        ref = LogisticRegression(C=1 / (decay * len(y)), tol=1e-10, max_iter=10_000).fit(X, y)
        ours, theirs = (_penalised_loss(m, X, y, decay) for m in (_Coef(clf), ref))
        assert ours == pytest.approx(theirs, rel=1e-4)
        np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=2e-3)

    def test_biases_are_not_penalised(self):
        w = torch.nn.Parameter(torch.tensor([[3.0]]))
        b = torch.nn.Parameter(torch.tensor([3.0]))
        opt = LBFGS([w, b], weight_decay=1.0, max_iter=50)

        def closure():
            opt.zero_grad()
            loss = ((w - 1.0) ** 2).sum() / 2 + ((b - 1.0) ** 2).sum() / 2
            loss.backward()
            return loss

        opt.step(closure)
        assert w.item() == pytest.approx(0.5, abs=1e-5)  # (w - 1)^2 / 2 + w^2 / 2
        assert b.item() == pytest.approx(1.0, abs=1e-5)

    def test_a_step_returns_the_first_loss_without_the_penalty(self):
        w = torch.nn.Parameter(torch.tensor([[3.0]]))
        opt = LBFGS([w], weight_decay=1.0)

        def closure():
            opt.zero_grad()
            loss = ((w - 1.0) ** 2).sum() / 2
            loss.backward()
            return loss

        # (3 - 1)^2 / 2 = 2 at the start; the penalty (4.5 there) is the optimizer's own
        assert opt.step(closure).item() == pytest.approx(2.0)

    def test_negative_weight_decay_is_refused(self):
        with pytest.raises(ValueError, match="weight_decay must be >= 0"):
            LBFGS([torch.nn.Parameter(torch.zeros(1, 1))], weight_decay=-1.0)

    def test_full_batch_and_its_own_step(self, rows):
        X, y = rows
        clf = _linear(max_epochs=2, batch_size=8).fit(X, y)
        assert clf.net_.batch_size == len(y)  # one batch: the whole training set
        group = clf.net_.optimizer_.param_groups[0]
        assert group["lr"] == 1.0  # not the estimator's lr: the line search sets steps
        assert group["weight_decay"] == 0.0
        clf = _linear(max_epochs=2, optimizer_params={"lr": 0.5, "max_iter": 3}).fit(X, y)
        group = clf.net_.optimizer_.param_groups[0]
        assert (group["lr"], group["max_iter"]) == (0.5, 3)

    def test_a_torch_lbfgs_class_trains_full_batch(self, rows):
        X, y = rows
        clf = _linear(optimizer=torch.optim.LBFGS, lr=0.1, max_epochs=2, batch_size=8)
        clf.fit(X, y)
        assert clf.net_.batch_size == len(y)
        assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.1


class TestAuto:
    def test_adam_for_networks(self, rows):
        X, y = rows
        clf = IWCEClassifier(max_epochs=2, random_state=0).fit(X, y)
        assert type(clf.net_.optimizer_) is torch.optim.Adam
        assert clf.net_.optimizer_.param_groups[0]["lr"] == clf.lr

    def test_lbfgs_for_a_fixed_front_end(self, series):
        X, y = series
        clf = IWCEClassifier(module_params={"num_features": 168}, random_state=0).fit(X, y)
        assert type(clf.net_.optimizer_) is LBFGS
        assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01
        assert clf.max_epochs_ == 10 and clf.budget_ == {"max_epochs": 10}
        assert clf.net_.batch_size == len(y)
        assert clf.score(X, y) == 1.0

    def test_user_settings_reach_the_head_optimizer(self, series):
        X, y = series
        clf = IWCEClassifier(
            module_params={"num_features": 168},
            optimizer_params={"weight_decay": 0.5},
            max_epochs=3,
            random_state=0,
        ).fit(X, y)
        assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.5
        assert clf.max_epochs_ == 3 and len(clf.net_.history) == 3
        adam = IWCEClassifier(
            module_params={"num_features": 168}, optimizer="adam", max_epochs=3, random_state=0
        ).fit(X, y)
        assert type(adam.net_.optimizer_) is torch.optim.Adam
        assert adam.net_.batch_size == adam.batch_size

    def test_an_unknown_optimizer_names_the_choices(self, rows):
        X, y = rows
        with pytest.raises(ValueError, match="optimizer"):
            IWCEClassifier(optimizer="newton").fit(X, y)

    def test_search_says_why_it_trains_one_by_one(self, series):
        X, y = series
        search = IWCEClassifierCV(
            Ts=[1.0, 5.0], cv=2, module_params={"num_features": 168}, random_state=0
        ).fit(X, y)
        assert search.engine_ == "sequential"
        assert "LBFGS" in search.engine_reason_
        stacked = IWCEClassifierCV(
            Ts=[1.0, 5.0],
            cv=2,
            module_params={"num_features": 168},
            optimizer="adam",
            max_epochs=2,
            random_state=0,
        ).fit(X, y)
        assert (stacked.engine_, stacked.engine_reason_) == ("stacked", None)
        with pytest.raises(ValueError, match="engine='stacked' cannot train optimizer LBFGS"):
            IWCEClassifierCV(
                Ts=[1.0], cv=2, module_params={"num_features": 168}, engine="stacked"
            ).fit(X, y)


def test_a_search_fits_each_folds_front_end_once(series, monkeypatch):
    # the default head does not stack; its candidates share each fold's fitted MiniRocket
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from skiwce.models import MiniRocket

    X, y = series
    calls = []
    original = MiniRocket.fit_features

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MiniRocket, "fit_features", counted)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    params = {"module_params": {"num_features": 168}, "max_epochs": 3, "random_state": 0}
    search = IWCEClassifierCV(Ts=[1.0, 5.0, np.inf], cv=cv, **params).fit(X, y)
    assert search.engine_ == "sequential"
    assert len(calls) == 2 + 1  # one per fold, one for the refit
    calls.clear()
    grid = GridSearchCV(
        IWCEClassifier(**params), {"T": [1.0, 5.0, np.inf]}, cv=cv, scoring="balanced_accuracy"
    ).fit(X, y)
    assert len(calls) == 3 * 2 + 1  # GridSearchCV: one per candidate and fold
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(search.predict_proba(X), grid.predict_proba(X))


@pytest.mark.parametrize("validation_fraction", [None, 0.25])
def test_the_row_space_head_is_the_full_head(series, monkeypatch, validation_fraction):
    # with far more features than rows the L-BFGS head trains in the rows' coordinates: the
    # same model as training all the features' weights (both start at zero)
    import skiwce._classifier as module

    X, y = series
    params = {
        "module_params": {"num_features": 840},
        "validation_fraction": validation_fraction,
        "optimizer_params": {"weight_decay": 0.1},
        "random_state": 0,
    }
    state = torch.get_rng_state()
    monkeypatch.setattr(module, "ROW_SPACE_RATIO", 1)  # always
    reduced = IWCEClassifier(**params).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)  # the caller's generator is untouched
    monkeypatch.setattr(module, "ROW_SPACE_RATIO", 10**9)  # never
    full = IWCEClassifier(**params).fit(X, y)
    head = reduced.net_.module_.head
    assert head.net[-1].weight.shape == (2, 840)
    # (the two paths round differently, so their line searches may step apart on the way;
    # they reach the same minimum)
    assert reduced.net_.history[-1, "train_loss"] == pytest.approx(
        full.net_.history[-1, "train_loss"], rel=1e-2
    )
    np.testing.assert_allclose(reduced.predict_proba(X), full.predict_proba(X), atol=1e-3)
    # further epochs train the whole network's head
    before = head.net[-1].weight.detach().clone()
    reduced.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert not torch.equal(reduced.net_.module_.head.net[-1].weight, before)


def test_continuations_stay_full_batch(rows):
    X, y = rows
    clf = _linear(max_epochs=2, warm_start=True).fit(X[:60], y[:60])
    assert clf.net_.batch_size == 60
    clf.fit(X, y)  # two more epochs on all 90 rows: one batch each
    assert clf.net_.batch_size == 90
    assert [len(row["batches"]) for row in clf.net_.history] == [1, 1, 1, 1]
