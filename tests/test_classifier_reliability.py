"""IWCEClassifier reliability: diverging fits, persistence, determinism and interruption.

The hostile-input cases of the classifier are in ``test_classifier_inputs.py``.
"""

import copy
import math
import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import torch
from _hostile import (
    FAST,
    InterruptAt,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from skiwce import IWCEClassifier
from skiwce.functional import alpha_schedule, balanced_weights


def test_diverging_fit_is_reported(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, RuntimeError, UserWarning), match="(?i)nan|finite|diverg"):
            IWCEClassifier(**{**FAST, "lr": 1e20}).fit(X * 100, y)


# -- more properties ---------------------------------------------------------------------------


class TestProperties:
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


class Fail(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("disk full")


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
