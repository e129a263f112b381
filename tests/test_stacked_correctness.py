"""The stacked search is the search it claims to be, or says why not (issue 21).

One test per defect found in review, through the public API (IWCEClassifierCV, compare), against
GridSearchCV(IWCEClassifier) or single fits where that is the promise; then the sweep: every
parameter of IWCEClassifier is either shown to train in a stack exactly as a single fit does, or
listed as falling back to one-by-one fits.
"""

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from _stacking import LOSS_RTOL, search_losses, single_fit_losses
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold
from skorch.callbacks import LRScheduler
from skorch.history import History
from torch import nn
from torch.optim.lr_scheduler import OneCycleLR

from skiwce import IWCEClassifier, IWCEClassifierCV
from skiwce.models import MLP

CV = StratifiedKFold(3, shuffle=True, random_state=0)
TS = [0.5, 5.0]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=150,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.7, 0.2],
        random_state=0,
    )
    return X.astype(np.float32), y


def _kw(**extra):
    return {"max_epochs": 3, "batch_size": 16, "random_state": 0, "n_threads": 1, **extra}


def _assert_stacked_equals_single(X, y, Ts=TS, **kw):
    search = IWCEClassifierCV(Ts=Ts, cv=CV, refit=False, engine="stacked", **kw).fit(X, y)
    np.testing.assert_allclose(
        search_losses(search), single_fit_losses(X, y, Ts, CV, **kw), rtol=LOSS_RTOL
    )
    return search


class _LSTMNet(nn.Module):
    """A recurrent network (torch.vmap has no batching rule for aten::lstm)."""

    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        self.lstm = nn.LSTM(1, 4, batch_first=True)
        self.head = nn.Linear(4, n_classes)

    def forward(self, X):
        out, _ = self.lstm(X.unsqueeze(-1))
        return self.head(out[:, -1])


class _DataDependent(nn.Module):
    """A forward with Python control flow on the data's values."""

    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        self.lin = nn.Linear(n_features, n_classes)

    def forward(self, X):
        if X.sum() > 0:
            return self.lin(X)
        return -self.lin(X)


class _Broken(nn.Module):
    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        self.lin = nn.Linear(n_features, n_classes)

    def forward(self, X):
        raise RuntimeError("broken")


def _frozen_backbone(n_features=6, n_classes=3):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(n_features, 8), nn.ReLU(), nn.Linear(8, n_classes))
    net[0].weight.requires_grad_(False)
    net[0].bias.requires_grad_(False)
    return net


def _plain_bacc(estimator, X, y):
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(y, estimator.predict(X))


# -- the ten defects ---------------------------------------------------------------------------


class TestDefects:
    def test_1_module_instance_and_callable_schedule_object_stack(self, data):
        from skiwce.comparison import compare, make_method

        X, y = data
        instance = MLP(n_features=6, n_classes=3, hidden_layer_sizes=(8,))
        _assert_stacked_equals_single(X, y, **_kw(module=instance))

        def ramp(epoch, n_epochs, power=2.0):
            return ((epoch + 1) / n_epochs) ** power

        schedule = functools.partial(ramp, power=3.0)
        _assert_stacked_equals_single(X, y, **_kw(schedule=schedule))
        methods = {
            "inst": make_method("iwce", module=instance, **_kw()),
            "partial": make_method("iwce", schedule=schedule, **_kw()),
        }
        table = compare(methods, X, y, cv=3, progress=False, reference=None).table
        assert table["error"].isna().all(), table["error"].unique()
        assert table["balanced_accuracy"].notna().all()
        assert table.groupby("method")["fit_time"].nunique().eq(1).all()  # each one stack

    @pytest.mark.parametrize("module", [_LSTMNet, _DataDependent])
    def test_2_networks_vmap_cannot_run_train_one_by_one(self, data, module):
        X, y = data
        search = IWCEClassifierCV(Ts=TS, cv=CV, refit=False, module=module, **_kw()).fit(X, y)
        assert search.engine_ == "sequential"
        grid = GridSearchCV(
            IWCEClassifier(module=module, **_kw()), {"T": TS}, cv=CV, scoring="balanced_accuracy"
        ).fit(X, y)
        np.testing.assert_array_equal(
            search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
        )
        with pytest.raises(ValueError, match="engine='stacked' cannot train a network torch.vmap"):
            IWCEClassifierCV(Ts=TS, cv=CV, engine="stacked", module=module, **_kw()).fit(X, y)

    def test_3_frozen_parameters_stay_frozen(self, data):
        from skiwce.comparison import compare, make_method

        X, y = data
        backbone = _frozen_backbone()
        frozen = backbone[0].weight.detach().clone()
        _assert_stacked_equals_single(X, y, **_kw(module=backbone))
        result = compare(
            {"iwce": make_method("iwce", module=backbone, **_kw())},
            X,
            y,
            cv=3,
            progress=False,
            return_estimators=True,
        )
        for member in result.estimators.values():
            assert type(member) is not IWCEClassifier  # a model of the stack
            torch.testing.assert_close(member.module_[0].weight.detach(), frozen)
            assert not torch.equal(member.module_[2].weight.detach(), backbone[2].weight)

    @pytest.mark.parametrize(
        "scheduler",
        [
            LRScheduler(policy="CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=1),
            LRScheduler(policy=OneCycleLR, max_lr=1e-2, total_steps=10),
        ],
    )
    def test_4_schedulers_that_cycle_momentum_train_one_by_one(self, data, scheduler):
        X, y = data
        kw = _kw(callbacks=[scheduler], optimizer="sgd", optimizer_params={"momentum": 0.9})
        search = IWCEClassifierCV(Ts=TS, cv=CV, refit=False, **kw).fit(X, y)
        assert search.engine_ == "sequential"
        np.testing.assert_allclose(
            search_losses(search), single_fit_losses(X, y, TS, CV, **kw), rtol=LOSS_RTOL
        )
        # without the momentum cycle, the stack trains it exactly
        quiet = LRScheduler(policy=scheduler.policy, **scheduler.kwargs, cycle_momentum=False)
        _assert_stacked_equals_single(X, y, **{**kw, "callbacks": [quiet]})

    def test_5_standardize_does_not_depend_on_the_scale_of_the_data(self, data):
        X, y = data
        kw = _kw(max_epochs=20, module="mlp")
        base = IWCEClassifier(**kw).fit(X, y)
        for factor in (1e-7, 1e7):
            tiny = IWCEClassifier(**kw).fit(X * factor, y)
            np.testing.assert_allclose(tiny.input_scale_, base.input_scale_ * factor, rtol=1e-5)
            # the same standardised inputs up to float32 rounding: the same predictions
            agree = np.mean(tiny.predict(X * factor) == base.predict(X))
            assert agree > 0.97
        constant = np.hstack([X, np.full((len(X), 1), 3.3e-8, np.float32)])
        clf = IWCEClassifier(**kw).fit(constant, y)
        assert clf.input_scale_[-1] == 1.0  # a constant feature is only centred

    def test_6_sample_weight_reaches_the_scorer_as_in_gridsearchcv(self, data):
        X, y = data
        sw = np.random.RandomState(1).uniform(0.1, 5.0, len(y))
        grid = GridSearchCV(
            IWCEClassifier(**_kw()), {"T": TS}, cv=CV, scoring="balanced_accuracy"
        ).fit(X, y, sample_weight=sw)
        one_by_one = IWCEClassifierCV(Ts=TS, cv=CV, engine="sequential", **_kw()).fit(
            X, y, sample_weight=sw
        )
        np.testing.assert_allclose(
            one_by_one.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
        )
        stacked = IWCEClassifierCV(Ts=TS, cv=CV, **_kw()).fit(X, y, sample_weight=sw)
        assert stacked.engine_ == "stacked"
        np.testing.assert_allclose(
            stacked.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=0.02
        )

    def test_7_compare_records_a_stacked_prediction_error(self, data):
        from skiwce.comparison import compare, make_method

        X, y = data
        X_test = X[:20].astype(np.float64)
        X_test[3, 0] = 1e39  # beyond float32's range
        kw = dict(X_test=X_test, y_test=y[:20], cv=3, progress=False, reference=None)
        methods = {"iwce": make_method("iwce", **_kw())}
        with pytest.warns(FitFailedWarning):
            stacked = compare(methods, X, y, **kw).table
        with pytest.warns(FitFailedWarning):
            alone = compare(methods, X, y, stack=False, **kw).table
        assert stacked["error"].str.contains("float32's range").all()
        assert list(stacked["error"]) == list(alone["error"])
        assert stacked["balanced_accuracy"].isna().all()

    def test_8_error_score(self, data):
        X, y = data
        groups = np.arange(len(y)) % 3
        sw = np.where(groups == 0, 1.0, 0.0)  # fold 0 trains on groups 1 and 2: all weight 0
        # a scorer without sample_weight: the zero-weight test folds still score (unweighted)
        kw = dict(Ts=TS, cv=GroupKFold(3), refit=False, scoring=_plain_bacc, **_kw())

        def fit(**extra):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                search = IWCEClassifierCV(**kw, **extra).fit(X, y, sample_weight=sw, groups=groups)
            return search, [str(w.message) for w in caught]

        bad = next(
            j for j, (_, test) in enumerate(GroupKFold(3).split(X, y, groups)) if sw[test].all()
        )
        good = (bad + 1) % 3
        search, messages = fit()
        assert any("2 of the 6 candidate fits" in m for m in messages), messages
        assert any("The stacked training failed" in m for m in messages), messages
        assert any("non-finite" in m for m in messages), messages
        assert search.engine_ == "sequential"  # the stack failed, then one by one
        assert np.isnan(search.cv_results_[f"split{bad}_test_score"]).all()
        assert np.isfinite(search.cv_results_[f"split{good}_test_score"]).all()
        assert np.isnan(search.cv_results_["mean_test_score"]).all()
        assert search.best_index_ == 0  # as GridSearchCV chooses among NaNs
        search, messages = fit(error_score=-1.0)
        assert (search.cv_results_[f"split{bad}_test_score"] == -1.0).all()
        assert np.isfinite(search.cv_results_["mean_test_score"]).all()
        with pytest.raises(ValueError, match="sums to zero"):
            fit(error_score="raise")
        with pytest.raises(ValueError, match="All the 6 candidate fits.*RuntimeError: broken"):
            IWCEClassifierCV(**{**kw, "module": _Broken}).fit(X, y, groups=groups)

    def test_9_feature_names_follow_the_last_fit(self, data):
        X, y = data
        frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        search = IWCEClassifierCV(Ts=[5.0], cv=2, refit=False, **_kw())
        search.fit(frame, y)
        assert list(search.feature_names_in_) == list(frame.columns)
        search.fit(X, y)
        assert not hasattr(search, "feature_names_in_")

    def test_10_histories_have_one_shape_whichever_engine(self, data):
        X, y = data
        kw = dict(Ts=TS, cv=CV, refit=False, validation_fraction=0.2, **_kw())
        stacked = IWCEClassifierCV(**kw).fit(X, y)
        alone = IWCEClassifierCV(engine="sequential", **kw).fit(X, y)
        assert stacked.engine_ == "stacked"
        for a, b in zip(stacked.histories_, alone.histories_, strict=True):
            assert type(a) is History and type(b) is History
            assert [sorted(row) for row in a] == [sorted(row) for row in b]
            keys = ["alpha", "batches", "class_weight", "epoch", "train_loss", "valid_bacc"]
            assert sorted(a[0]) == keys  # ("batches": skorch's History, empty here)


# -- the smaller findings ------------------------------------------------------------------------


def test_members_of_a_stack_check_their_input(data):
    from skiwce.comparison import compare

    X, y = data
    result = compare(
        ["iwce"], X, y, cv=2, progress=False, common_params=_kw(), return_estimators=True
    )
    member = next(iter(result.estimators.values()))
    with pytest.raises(ValueError, match=r"samples of shape \(5,\).*fitted on samples of shape"):
        member.predict(X[:, :5])
    with pytest.raises(ValueError, match="NaN"):
        member.predict(np.full_like(X[:3], np.nan))


def test_stacks_are_chunked_by_their_memory_estimate(data, monkeypatch):
    import skiwce._stacked_fit as stacked_fit

    X, y = data
    whole = IWCEClassifierCV(Ts=TS, cv=CV, refit=False, **_kw()).fit(X, y)
    one_model = stacked_fit.stack_memory_per_model(
        stacked_fit.stack_spec(IWCEClassifier(**_kw()), X.shape[1:], np.unique(y))
    )
    # free memory for about 2.5 models at MEMORY_SHARE: stacks of 2
    monkeypatch.setattr(
        stacked_fit, "free_memory", lambda device: int(2.5 * one_model / stacked_fit.MEMORY_SHARE)
    )
    with pytest.warns(ResourceWarning, match="training them in stacks of 2"):
        chunked = IWCEClassifierCV(Ts=TS, cv=CV, refit=False, **_kw()).fit(X, y)
    np.testing.assert_allclose(search_losses(chunked), search_losses(whole), rtol=LOSS_RTOL)


def test_memory_estimate_counts_parameters_state_and_activations():
    import skiwce._stacked_fit as stacked_fit

    spec = stacked_fit.stack_spec(
        IWCEClassifier(module="mlp", module_params={"hidden_layer_sizes": (10,)}, batch_size=8),
        (4,),
        np.arange(2),
    )
    n_params = 4 * 10 + 10 + 10 * 2 + 2
    # Adam: parameters, gradients and two moments; outputs of Linear(10), ReLU(10), Linear(2)
    # every leaf layer's output: Flatten(4), Linear(10), ReLU(10), Linear(2)
    expected = 4 * (4 * n_params + 2 * (4 + 10 + 10 + 2) * 8)
    assert stacked_fit.stack_memory_per_model(spec) == expected


def test_partial_fit_standardises_with_the_first_calls_statistics(data):
    X, y = data
    clf = IWCEClassifier(**_kw())
    clf.partial_fit(X[:50], y[:50], classes=np.unique(y))
    mean, scale = clf.input_mean_.copy(), clf.input_scale_.copy()
    clf.partial_fit(X[50:] * 10, y[50:])
    np.testing.assert_array_equal(clf.input_mean_, mean)
    np.testing.assert_array_equal(clf.input_scale_, scale)
    with pytest.warns(UserWarning, match="no training samples"):
        one_row = IWCEClassifier(**_kw()).partial_fit(X[:1], y[:1], classes=np.unique(y))
    np.testing.assert_array_equal(one_row.input_scale_, np.ones(X.shape[1], np.float32))


def test_multi_metric_scoring_refit_and_train_scores(data):
    X, y = data
    kw = dict(cv=CV, scoring=["balanced_accuracy", "f1_macro"], return_train_score=True)
    grid = GridSearchCV(IWCEClassifier(**_kw()), {"T": TS}, refit="f1_macro", **kw).fit(X, y)
    search = IWCEClassifierCV(Ts=TS, refit="f1_macro", engine="sequential", **kw, **_kw()).fit(
        X, y
    )
    assert set(search.cv_results_) == set(grid.cv_results_)
    for key in grid.cv_results_:
        if key.startswith(("split", "mean_t", "std_t", "rank")):
            np.testing.assert_allclose(search.cv_results_[key], grid.cv_results_[key], err_msg=key)
    assert search.best_index_ == grid.best_index_ and search.multimetric_
    assert search.score(X, y) == pytest.approx(grid.score(X, y))
    with pytest.raises(ValueError, match="refit must name the one that chooses T"):
        IWCEClassifierCV(Ts=TS, refit=True, **kw, **_kw()).fit(X, y)
    no_refit = IWCEClassifierCV(Ts=TS, refit=False, **kw, **_kw()).fit(X, y)
    assert not hasattr(no_refit, "best_index_")


def test_n_jobs_runs_one_by_one_fits_and_several_stacks(data):
    X, y = data
    kw = dict(Ts=TS, cv=CV, refit=False, **_kw())
    one = IWCEClassifierCV(engine="sequential", **kw).fit(X, y)
    two = IWCEClassifierCV(engine="sequential", n_jobs=2, **kw).fit(X, y)
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    stacks = IWCEClassifierCV(max_models=2, n_jobs=2, **kw).fit(X, y)
    whole = IWCEClassifierCV(**kw).fit(X, y)
    np.testing.assert_allclose(search_losses(stacks), search_losses(whole), rtol=LOSS_RTOL)


# -- the sweep ---------------------------------------------------------------------------------

#: Every parameter of IWCEClassifier, with settings the stacked engine trains exactly as a
#: single fit ("equal": tested below to 1e-4 of the training losses), and settings it hands to
#: one-by-one fits ("fallback", with a phrase of the reason). A new parameter must join.
SWEEP = {
    "module": {
        "equal": ["mlp", "cnn1d", "har", MLP, MLP(n_features=6, n_classes=3)],
        "fallback": [(_LSTMNet, "torch.vmap")],
    },
    "module_params": {"equal": [{"hidden_layer_sizes": (5,)}, None]},
    "T": {"equal": [0.5, np.inf]},
    "schedule": {"equal": ["step", "linear", "constant", functools.partial(min, 1.0)]},
    "switch_epoch": {"equal": [1, 0.5]},
    "class_weight": {"equal": ["effective_number", None, {0: 1.0, 1: 3.0, 2: 9.0}]},
    "beta": {"equal": [0.9]},
    "normalize": {"equal": ["sum", None]},
    "criterion": {"fallback": [("focal", "criterion='focal'"), ("ldam", "criterion='ldam'")]},
    "criterion_params": {
        "equal": [{"reduction": "mean"}],
        "fallback": [({"reduction": "sum"}, "criterion_params")],
    },
    "logit_adjustment": {"equal": [1.0]},
    "standardize": {"equal": [False]},
    "max_epochs": {"equal": [2]},
    "batch_size": {"equal": [7, 200]},
    "lr": {"equal": [0.05]},
    "optimizer": {
        "equal": ["adamw", "sgd", "adagrad"],
        "fallback": [("rmsprop", "RMSprop")],
    },
    "optimizer_params": {
        "equal": [{"weight_decay": 0.1}, {"betas": (0.8, 0.9)}, {"foreach": False}],
        "fallback": [({"amsgrad": True}, "amsgrad")],
    },
    "callbacks": {
        "equal": [[LRScheduler(policy="StepLR", step_size=1, gamma=0.5)]],
        "fallback": [
            ([LRScheduler(policy="ReduceLROnPlateau")], "callbacks other than"),
            ([LRScheduler(policy=OneCycleLR, max_lr=0.01, total_steps=3)], "cycle momentum"),
        ],
    },
    "validation_fraction": {"equal": [0.2]},
    "early_stopping": {"equal": [True]},
    "n_iter_no_change": {"equal": [1]},
    "warm_start": {"fallback": [(True, "warm_start=True")]},
    "batching": {"equal": ["dataloader"]},
    "precision": {"equal": ["32"], "fallback": [("bf16", "precision='bf16'")]},
    "channels_last": {"equal": [False], "fallback": [(True, "channels_last=True")]},
    "compile": {"fallback": [(True, "compile=True")]},
    "device": {"equal": ["cpu"]},
    "n_threads": {"equal": [2, None]},
    "random_state": {"equal": [7]},
    "verbose": {"equal": [1]},
}


def test_the_sweep_names_every_parameter():
    assert set(SWEEP) == set(IWCEClassifier._get_param_names())


def _cases(kind):
    return [
        pytest.param(name, value, id=f"{name}-{i}")
        for name, kinds in SWEEP.items()
        for i, value in enumerate(kinds.get(kind, []))
    ]


@pytest.mark.parametrize("name, value", _cases("equal"))
def test_sweep_stacked_equals_a_single_fit(data, name, value, capsys):
    from skiwce._fit_spec import why_not_stacked
    from skiwce._stacked_fit import stack_spec

    X, y = data
    Ts = [value] if name == "T" else TS
    kw = _kw() if name == "T" else _kw(**{name: value})
    if name == "switch_epoch" or name == "n_iter_no_change":
        kw.update(schedule="step", early_stopping=True, max_epochs=4)
    if name == "module_params":
        kw["module"] = "mlp"
    if value in ("cnn1d", "har"):
        # their default dropout draws other masks in a stack (same rate): tested statistically
        # in test_classifier_cv.py; here without it, the networks are the same
        kw["module_params"] = {"dropout": 0.0}
    spec = stack_spec(IWCEClassifier(**kw), X.shape[1:], np.unique(y))
    assert why_not_stacked(spec) is None
    _assert_stacked_equals_single(X, y, Ts=Ts, **kw)


@pytest.mark.parametrize("name, value", _cases("fallback"))
def test_sweep_fallback_trains_one_by_one(data, name, value):
    from skiwce._fit_spec import why_not_stacked
    from skiwce._stacked_fit import stack_spec

    X, y = data
    value, phrase = value
    est = IWCEClassifier(**_kw(**{name: value}))
    assert name != "T"
    reason = why_not_stacked(stack_spec(est, X.shape[1:], np.unique(y)))
    assert reason is not None and phrase in reason


# -- searching more than T -----------------------------------------------------------------------


def test_param_grid_over_epochs_and_lr_stacks_and_equals_gridsearchcv(data):
    X, y = data
    grid_values = {"max_epochs": [2, 4], "lr": [1e-3, 1e-2]}
    kw = _kw(module="mlp")
    search = IWCEClassifierCV(Ts=TS, param_grid=grid_values, cv=CV, **kw).fit(X, y)
    assert search.engine_ == "stacked"
    grid = GridSearchCV(
        IWCEClassifier(**kw), {"T": TS, **grid_values}, cv=CV, scoring="balanced_accuracy"
    ).fit(X, y)
    assert search.cv_results_["params"] == grid.cv_results_["params"]
    assert set(search.cv_results_) == set(grid.cv_results_)
    for name in ("param_T", "param_max_epochs", "param_lr"):
        assert search.cv_results_[name].dtype == grid.cv_results_[name].dtype, name
    expected = []
    for params in grid.cv_results_["params"]:
        for train, _ in CV.split(X, y):
            est = IWCEClassifier(**{**kw, **params}).fit(X[train], y[train])
            expected.append(list(est.net_.history[:, "train_loss"]))
    found = [list(h[:, "train_loss"]) for h in search.histories_]
    assert [len(h) for h in found] == [len(h) for h in expected]  # ragged: 2 or 4 epochs
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=LOSS_RTOL)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=0.02
    )
    assert set(search.best_params_) == {"T", "max_epochs", "lr"}
    assert search.best_estimator_.get_params()["max_epochs"] == search.best_params_["max_epochs"]


def test_param_grid_over_other_parameters_trains_one_stack_each(data):
    X, y = data
    grid_values = {"module__hidden_layer_sizes": [(4,), (8,)], "max_epochs": [2, 3]}
    kw = _kw(module="mlp")
    search = IWCEClassifierCV(Ts=[5.0], param_grid=grid_values, cv=CV, refit=False, **kw)
    search.fit(X, y)
    assert search.engine_ == "stacked"
    grid = GridSearchCV(
        IWCEClassifier(**kw), {"T": [5.0], **grid_values}, cv=CV, scoring="balanced_accuracy"
    ).fit(X, y)
    assert search.cv_results_["params"] == grid.cv_results_["params"]
    expected = []
    for params in grid.cv_results_["params"]:
        for train, _ in CV.split(X, y):
            est = IWCEClassifier(**kw).set_params(**params).fit(X[train], y[train])
            expected.append(list(est.net_.history[:, "train_loss"]))
    for a, b in zip(search_losses(search), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=LOSS_RTOL)
    assert search.cv_results_["param_module__hidden_layer_sizes"].dtype == object
    # a group the engine cannot train: the whole search one by one
    mixed = {"optimizer": ["adam", "rmsprop"]}
    one_by_one = IWCEClassifierCV(Ts=[5.0], param_grid=mixed, cv=CV, refit=False, **kw)
    assert one_by_one.fit(X, y).engine_ == "sequential"
    with pytest.raises(ValueError, match="engine='stacked' cannot train optimizer RMSprop"):
        IWCEClassifierCV(Ts=[5.0], param_grid=mixed, engine="stacked", **kw).fit(X, y)
    for bad, phrase in [
        ({"T": [1.0]}, "give the temperatures as Ts"),
        ({"max_epoch": [3]}, "IWCEClassifier does not take"),
        ({"lr": []}, "non-empty lists"),
    ]:
        with pytest.raises(ValueError, match=phrase):
            IWCEClassifierCV(param_grid=bad, **_kw()).fit(X, y)
