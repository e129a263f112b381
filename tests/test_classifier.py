import io
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.base import clone
from sklearn.ensemble import AdaBoostClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, LRScheduler
from torch import nn

from skiwce import IWCEClassifier, IWCELoss
from skiwce.functional import balanced_weights
from skiwce.models import CNN1D, MLP, HARNet, MiniRocket, ResNet18

FAST = {"max_epochs": 4, "batch_size": 32, "lr": 0.01, "random_state": 0}

# Channels-last against contiguous training of the small ResNet below (4 epochs) is only equal up
# to the CPU kernels' rounding, amplified by training. Measured on this project's machine: the
# two layouts' probabilities differed by 8.3e-5 and their last training losses by 4e-4
# (relative); the same run on inputs moved by one float32 ulp differed from the unmoved one by
# 6.5e-5 and 5e-4. Other x86-64 CPUs (AVX2 against AVX-512 kernels) differ by a few ulp: these
# tolerances leave a factor of about 20 over the one-ulp effect and stay below what a real
# difference does: another random_state moved these losses by 3-36 % and the probabilities by
# up to 0.04.
CHANNELS_LAST_ATOL = 2e-3
CHANNELS_LAST_RTOL = 1e-2


def histories_equal(a, b, key="train_loss", epochs=slice(None)):
    return a.net_.history[epochs, key] == b.net_.history[epochs, key]


class TestFit:
    def test_learns_and_logs_schedule(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(T=2.0, max_epochs=15, lr=0.01, random_state=0).fit(X, y)
        assert clf.score(X, y) > 0.8
        assert clf.n_iter_ == 15
        assert clf.net_.history[-1, "alpha"] == 1.0
        counts = np.bincount(y)
        assert clf.class_counts_.tolist() == counts.tolist()
        np.testing.assert_allclose(
            clf.net_.history[-1, "class_weight"], balanced_weights(counts), rtol=1e-12
        )

    def test_fitted_attributes(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).fit(X, y)
        assert clf.n_features_in_ == 8
        assert clf.input_shape_ == (8,)
        assert clf.classes_.tolist() == [0, 1, 2]
        assert isinstance(clf.net_.module_, MLP)

    def test_string_labels(self, imbalanced_data):
        X, y = imbalanced_data
        labels = np.array(["normal", "rare", "very rare"], dtype=object)[y]
        clf = IWCEClassifier(**FAST).fit(X, labels)
        assert set(clf.predict(X)) <= set(labels)
        assert clf.classes_.tolist() == ["normal", "rare", "very rare"]
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-10)

    def test_repeatable_and_leaves_global_rng_alone(self, imbalanced_data):
        X, y = imbalanced_data
        torch.manual_seed(123)
        before = torch.get_rng_state()
        a = IWCEClassifier(**FAST).fit(X, y)
        assert torch.equal(torch.get_rng_state(), before)
        b = IWCEClassifier(**FAST).fit(X, y)
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
        c = IWCEClassifier(**{**FAST, "random_state": 1}).fit(X, y)
        assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))

    def test_caller_arrays_untouched(self, imbalanced_data):
        X, y = imbalanced_data
        X_copy, y_copy = X.copy(), y.copy()
        sw = np.ones(len(y))
        X.flags.writeable = False
        try:
            clf = IWCEClassifier(**FAST).fit(X, y, sample_weight=sw)
            clf.predict(X)
        finally:
            X.flags.writeable = True
        np.testing.assert_array_equal(X, X_copy)
        np.testing.assert_array_equal(y, y_copy)
        assert np.all(sw == 1)

    @pytest.mark.parametrize(
        ("shape", "module", "expected"),
        [
            ((2, 16), "auto", MiniRocket),
            ((2, 16), "har", HARNet),
            ((2, 16), "cnn1d", CNN1D),
            ((1, 6, 6), "auto", ResNet18),
        ],
    )
    def test_nd_inputs(self, shape, module, expected):
        rng = np.random.RandomState(0)
        y = np.repeat([0, 1], [30, 10])
        X = rng.randn(40, *shape).astype(np.float32)
        params = {"width": 4} if expected is ResNet18 else None
        clf = IWCEClassifier(module=module, module_params=params, **FAST).fit(X, y)
        assert isinstance(clf.net_.module_, expected)
        assert clf.predict_proba(X).shape == (40, 2)
        with pytest.raises(ValueError, match="samples of shape"):
            clf.predict(rng.randn(3, shape[0], *(d + 1 for d in shape[1:])))

    def test_sequence_task_is_learned(self, sequence_data):
        X, y = sequence_data
        clf = IWCEClassifier(module="cnn1d", T=1.0, max_epochs=20, lr=0.01, random_state=0)
        assert clf.fit(X, y).score(X, y) > 0.9

    def test_custom_module_class_and_instance(self, imbalanced_data):
        X, y = imbalanced_data

        class Tiny(nn.Module):
            def __init__(self, n_features, n_classes, hidden=4):
                super().__init__()
                self.body = nn.Sequential(
                    nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
                )

            def forward(self, X):
                return self.body(X)

        clf = IWCEClassifier(module=Tiny, module_params={"hidden": 3}, **FAST).fit(X, y)
        assert clf.net_.module_.body[0].out_features == 3
        instance = nn.Linear(8, 3)
        weight = instance.weight.detach().clone()
        clf = IWCEClassifier(module=instance, **FAST).fit(X, y)
        assert clf.net_.module_ is not instance
        assert torch.equal(instance.weight, weight)  # the parameter is not trained in place

    def test_optimizers_and_callbacks(self, imbalanced_data):
        X, y = imbalanced_data
        sched = LRScheduler(policy="ExponentialLR", gamma=0.5)
        clf = IWCEClassifier(optimizer="adagrad", callbacks=[sched], **{**FAST, "lr": 0.1}).fit(
            X, y
        )
        assert isinstance(clf.net_.optimizer_, torch.optim.Adagrad)
        assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**4)
        assert sched.get_params()["gamma"] == 0.5  # the user's callback was cloned, not used
        assert not hasattr(sched, "lr_scheduler_")
        clf = IWCEClassifier(optimizer=torch.optim.SGD, optimizer_params={"momentum": 0.9}, **FAST)
        clf.fit(X, y)
        assert clf.net_.optimizer_.param_groups[0]["momentum"] == 0.9

    @pytest.mark.parametrize("criterion", ["focal", "ldam", "logit_adjusted"])
    def test_other_criteria(self, imbalanced_data, criterion):
        X, y = imbalanced_data
        clf = IWCEClassifier(criterion=criterion, **FAST).fit(X, y)
        assert type(clf.net_.criterion_).__name__.lower().startswith(criterion.split("_")[0][:4])
        assert np.isfinite(clf.net_.history[-1, "train_loss"])

    def test_logit_adjustment_favours_rare_classes(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(class_weight=None, **FAST).fit(X, y)
        plain = clf.predict_proba(X)
        clf.set_params(logit_adjustment=1.0)
        adjusted = clf.predict_proba(X)
        assert adjusted[:, 2].mean() > plain[:, 2].mean()

    def test_early_stopping_watches_balanced_accuracy_at_target_weights(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(
            early_stopping=True,
            n_iter_no_change=2,
            switch_epoch=5,
            max_epochs=50,
            lr=0.05,
            random_state=0,
        ).fit(X, y)
        history = clf.net_.history
        assert "valid_bacc" in history[-1]
        assert 8 <= clf.n_iter_ < 50  # counting starts at the switch epoch (index 5)
        assert history[-1, "alpha"] == 1.0
        assert not clf.interrupted_
        es = clf.net_.callbacks_[[n for n, _ in clf.net_.callbacks_].index("early_stopping")][1]
        assert es.monitor == "valid_bacc" and not es.lower_is_better
        assert es.best_epoch_ >= 6  # 1-based: never an epoch before the weights' target
        assert clf.class_counts_.sum() == 270  # 10 % held out, stratified

    def test_early_stopping_never_stops_before_the_target(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(
            early_stopping=True, n_iter_no_change=1, max_epochs=6, lr=0.05, random_state=0
        ).fit(X, y)
        assert clf.n_iter_ == 6  # the default switch epoch is the last one

    def test_loss_is_the_plain_mean(self, imbalanced_data):
        # The paper's -(1/n) sum_j w_{y_j} log p_{y_j}, not PyTorch's weighted mean, with the
        # last epoch's (balanced) weights.
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).fit(X, y)
        # A minority-heavy batch: over the whole training set balanced weights sum to n, and the
        # two reductions would agree.
        batch = np.r_[np.flatnonzero(y == 2), np.flatnonzero(y == 0)[:5]]
        logits = clf.net_.forward(X[batch], training=False)
        target = torch.from_numpy(y[batch])
        w = torch.tensor(clf.net_.history[-1, "class_weight"])
        per_sample = torch.nn.functional.cross_entropy(logits, target, reduction="none")
        per_sample = per_sample * w[target]
        loss = clf.net_.get_loss(logits, target)
        torch.testing.assert_close(loss, per_sample.mean())
        weighted_mean = per_sample.sum() / w[target].sum()
        assert abs(loss - weighted_mean) > 1e-3 * loss  # the two reductions differ here

    def test_validation_fraction_only_scores(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(validation_fraction=0.2, **FAST).fit(X, y)
        assert clf.n_iter_ == 4
        # The split fit makes (its third seed), stratified; the weights come from the rest.
        split_seed = int(np.random.RandomState(FAST["random_state"]).randint(0, 2**31 - 1, 3)[2])
        train, valid = train_test_split(
            np.arange(len(y)), test_size=0.2, stratify=y, random_state=split_seed
        )
        assert clf.class_counts_.tolist() == np.bincount(y[train]).tolist()
        # valid_bacc is the balanced accuracy of the last epoch's (the final) model there.
        expected = balanced_accuracy_score(y[valid], clf.predict(X[valid]))
        assert clf.net_.history[-1, "valid_bacc"] == pytest.approx(expected, abs=1e-12)

    def test_verbose_2_prints_the_epoch_table_without_colour_codes(self, imbalanced_data, capsys):
        X, y = imbalanced_data
        IWCEClassifier(verbose=2, **{**FAST, "max_epochs": 2}).fit(X, y)
        out = capsys.readouterr().out
        assert "train_loss" in out and "alpha" in out and "class_weight" not in out
        assert "\x1b[" not in out  # captured output is not a terminal

    def test_verbose_1_is_a_progress_line_off_a_terminal(self, imbalanced_data, capsys):
        X, y = imbalanced_data
        clf = IWCEClassifier(verbose=1, validation_fraction=0.2, **FAST).fit(X, y)
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "fit MLP: 4 epochs; train_loss=" in captured.err and "alpha=1" in captured.err
        assert "valid_bacc=" in captured.err and "\x1b[" not in captured.err
        pickle.dumps(clf)  # no stream left in the callback

    def test_verbose_1_draws_a_bar_on_a_terminal(self, imbalanced_data, monkeypatch):
        import io
        import sys

        class Terminal(io.StringIO):
            def isatty(self):
                return True

        stream = Terminal()
        monkeypatch.setattr(sys, "stderr", stream)
        X, y = imbalanced_data
        IWCEClassifier(verbose=1, **FAST).fit(X, y)
        assert "4/4" in stream.getvalue() and "epoch" in stream.getvalue()


class TestLimits:
    def test_tiny_T_is_cross_entropy_but_last_epoch(self, imbalanced_data):
        X, y = imbalanced_data
        iwce = IWCEClassifier(T=1e-6, **FAST).fit(X, y)
        ce = IWCEClassifier(class_weight=None, **FAST).fit(X, y)
        assert iwce.net_.history[:-1, "alpha"] == [0.0, 0.0, 0.0]
        assert histories_equal(iwce, ce, epochs=slice(0, 3))
        assert iwce.net_.history[-1, "train_loss"] != ce.net_.history[-1, "train_loss"]

    def test_infinite_T_is_static_wce(self, imbalanced_data):
        X, y = imbalanced_data
        iwce = IWCEClassifier(T=float("inf"), **FAST).fit(X, y)
        wce = IWCEClassifier(schedule="constant", **FAST).fit(X, y)
        assert histories_equal(iwce, wce)
        np.testing.assert_array_equal(iwce.predict_proba(X), wce.predict_proba(X))
        ce = IWCEClassifier(class_weight=None, **FAST).fit(X, y)
        assert not histories_equal(iwce, ce)


class TestBatching:
    @pytest.mark.parametrize("validation_fraction", [None, 0.2])
    def test_tensor_path_equals_dataloader_path(self, imbalanced_data, validation_fraction):
        X, y = imbalanced_data
        params = {
            **FAST,
            "validation_fraction": validation_fraction,
            "module_params": {"dropout": 0.3},  # dropout reads the global generator
        }
        sw = np.linspace(0.5, 1.5, len(y))
        fast = IWCEClassifier(batching="tensor", **params).fit(X, y, sample_weight=sw)
        slow = IWCEClassifier(batching="dataloader", **params).fit(X, y, sample_weight=sw)
        assert histories_equal(fast, slow)
        np.testing.assert_array_equal(fast.predict_proba(X), slow.predict_proba(X))

    def test_images_channels_last_and_one_sample_last_batch(self):
        rng = np.random.RandomState(0)
        X = rng.rand(33, 1, 8, 8).astype(np.float32)  # 33 = 32 + 1: BatchNorm needs 2
        y = np.repeat([0, 1], [20, 13])
        params = {
            **FAST,
            "module": "resnet18",
            "module_params": {"width": 4},
            "channels_last": True,
        }
        fast = IWCEClassifier(batching="tensor", **params).fit(X, y)
        slow = IWCEClassifier(batching="dataloader", **params).fit(X, y)
        # Deterministic: one batch an epoch, the one-sample last batch dropped, in both paths.
        for clf in (fast, slow):
            assert clf.net_.history[:, "train_batch_count"] == [1] * FAST["max_epochs"]
            assert [b["train_batch_size"] for b in clf.net_.history[0, "batches"]] == [32]
        # Kernel-dependent: channels-last convolutions pick CPU kernels by layout and alignment,
        # whose float32 sums differ in the last bits between machines. See
        # CHANNELS_LAST_RTOL for the measurement behind the tolerance.
        np.testing.assert_allclose(
            fast.net_.history[:, "train_loss"],
            slow.net_.history[:, "train_loss"],
            rtol=CHANNELS_LAST_RTOL,
        )

    def test_3d_and_odd_batch(self, sequence_data):
        X, y = sequence_data
        params = {**FAST, "batch_size": 7, "module": "cnn1d"}
        fast = IWCEClassifier(batching="tensor", **params).fit(X, y)
        slow = IWCEClassifier(batching="dataloader", **params).fit(X, y)
        assert histories_equal(fast, slow)


class TestSampleWeight:
    def test_only_ratios_matter(self, imbalanced_data):
        X, y = imbalanced_data
        sw = np.linspace(0.5, 1.5, len(y))
        a = IWCEClassifier(**FAST).fit(X, y, sample_weight=sw)
        b = IWCEClassifier(**FAST).fit(X, y, sample_weight=sw / 4)
        np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)

    def test_ones_equal_none(self, imbalanced_data):
        X, y = imbalanced_data
        a = IWCEClassifier(**FAST).fit(X, y)
        b = IWCEClassifier(**FAST).fit(X, y, sample_weight=np.ones(len(y)))
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))

    def test_weights_change_the_fit(self, imbalanced_data):
        X, y = imbalanced_data
        a = IWCEClassifier(class_weight=None, **FAST).fit(X, y)
        sw = np.where(y == 2, 5.0, 1.0)
        b = IWCEClassifier(class_weight=None, **FAST).fit(X, y, sample_weight=sw)
        assert b.predict_proba(X)[:, 2].mean() > a.predict_proba(X)[:, 2].mean()

    def test_class_counts_are_weighted_as_in_sklearn(self, imbalanced_data):
        # Weights act as repetitions: a class weighted 5x counts 5x, and its balanced weight is
        # a fifth, as compute_class_weight("balanced", ..., sample_weight=...) gives.
        from sklearn.utils.class_weight import compute_class_weight

        X, y = imbalanced_data
        sw = np.where(y == 2, 5.0, 1.0)
        clf = IWCEClassifier(**FAST).fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(
            clf.class_counts_, np.bincount(y, weights=sw) * len(y) / sw.sum()
        )
        expected = compute_class_weight("balanced", classes=np.arange(3), y=y, sample_weight=sw)
        np.testing.assert_allclose(clf.net_.history[-1, "class_weight"], expected, rtol=1e-6)
        # The same target weights as the callback computes for a plain skorch net.
        callback = dict(clf.net_.callbacks_)["iwce"]
        np.testing.assert_allclose(callback.class_counts_, clf.class_counts_, rtol=1e-6)

    def test_zero_weight_validation_split_is_unweighted_with_a_warning(self, imbalanced_data):
        from sklearn.model_selection import train_test_split

        X, y = imbalanced_data
        # The split fit draws with random_state=0 (the third of its seeds): weight 0 on it.
        split_seed = int(np.random.RandomState(0).randint(0, 2**31 - 1, 3)[2])
        _, idx_valid = train_test_split(
            np.arange(len(y)), test_size=0.2, stratify=y, random_state=split_seed
        )
        sw = np.ones(len(y))
        sw[idx_valid] = 0.0
        clf = IWCEClassifier(validation_fraction=0.2, **FAST)
        with pytest.warns(UserWarning, match="0 on every validation sample"):
            clf.fit(X, y, sample_weight=sw)
        assert np.isfinite(clf.net_.history[:, "valid_loss"]).all()

    def test_negative_rejected(self, imbalanced_data):
        X, y = imbalanced_data
        with pytest.raises(ValueError, match="Negative values in data"):
            IWCEClassifier(**FAST).fit(X, y, sample_weight=-np.ones(len(y)))


class TestParams:
    def test_module_dunder_routing(self):
        clf = IWCEClassifier(module_params={"dropout": 0.1})
        original = clf.module_params
        clf.set_params(module__hidden_layer_sizes=(5,), optimizer__weight_decay=1e-4, T=3.0)
        assert clf.module_params == {"dropout": 0.1, "hidden_layer_sizes": (5,)}
        assert original == {"dropout": 0.1}  # a new dict, the old one untouched
        assert clf.optimizer_params == {"weight_decay": 1e-4}
        assert clf.T == 3.0
        assert clone(clf).get_params() == clf.get_params()

    def test_deep_params_list_the_routed_names(self):
        clf = IWCEClassifier(
            module_params={"dropout": 0.1},
            criterion_params={"reduction": "sum"},
            optimizer_params={"weight_decay": 1e-4},
        )
        deep = clf.get_params(deep=True)
        assert deep["module__dropout"] == 0.1
        assert deep["criterion__reduction"] == "sum"
        assert deep["optimizer__weight_decay"] == 1e-4
        assert "module__dropout" not in clf.get_params(deep=False)
        # What get_params returns, set_params takes back unchanged.
        again = IWCEClassifier().set_params(**deep)
        assert again.get_params(deep=True) == deep

    @pytest.mark.parametrize(
        "params, match",
        [
            ({"module__hiden": (5,)}, r"module__hiden.*MLP.*hidden_layer_sizes"),
            ({"criterion__gama": 2.0, "criterion": "focal"}, r"criterion__gama.*FocalLoss.*gamma"),
            ({"optimizer__momentun": 0.9, "optimizer": "sgd"}, r"optimizer__momentun.*momentum"),
        ],
    )
    def test_unknown_routed_name_is_an_early_error(self, imbalanced_data, params, match):
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).set_params(**params)
        with pytest.raises(ValueError, match=match):
            clf.fit(X, y)
        assert not hasattr(clf, "net_")  # raised before any training

    def test_skorchs_own_optimizer_param_groups(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(
            module="mlp", optimizer_params={"param_groups": [("*bias", {"lr": 0.0})]}, **FAST
        ).fit(X, y)
        lrs = sorted(group["lr"] for group in clf.net_.optimizer_.param_groups)
        assert lrs == [0.0, FAST["lr"]]

    def test_routed_names_of_a_module_with_kwargs_are_not_checked(self, imbalanced_data):
        class Net(torch.nn.Module):
            def __init__(self, n_features, n_classes, **kwargs):
                super().__init__()
                self.kwargs = kwargs
                self.lin = torch.nn.Linear(n_features, n_classes)

            def forward(self, X):
                return self.lin(X)

        X, y = imbalanced_data
        clf = IWCEClassifier(Net, {"anything": 1}, **FAST).fit(X, y)
        assert clf.net_.module_.kwargs == {"anything": 1}

    def test_init_stores_only(self):
        params = {"module": "nope", "T": -3, "schedule": "bad", "max_epochs": 0}
        clf = IWCEClassifier(**params)
        for k, v in params.items():
            assert getattr(clf, k) == v


class TestDecisionFunction:
    def test_binary_is_the_log_odds(self, imbalanced_data):
        X, y = imbalanced_data
        y2 = np.where(y == 0, "no", "yes")
        clf = IWCEClassifier(**FAST).fit(X, y2)
        scores = clf.decision_function(X)
        assert scores.shape == (len(X),)
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(scores, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(clf.predict(X), np.where(scores > 0, "yes", "no"))
        # scikit-learn's scorers use it: ROC AUC from the decision function.
        from sklearn.metrics import get_scorer, roc_auc_score

        assert get_scorer("roc_auc")(clf, X, y2) == roc_auc_score(y2 == "yes", scores)

    def test_multiclass_is_the_logits(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(logit_adjustment=1.0, **FAST).fit(X, y)
        scores = clf.decision_function(X)
        assert scores.shape == (len(X), 3)
        np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(axis=1)])
        np.testing.assert_allclose(
            clf.predict_log_proba(X),
            scores - np.log(np.exp(scores).sum(1, keepdims=True)),
            atol=1e-6,
        )

    @pytest.mark.parametrize(
        "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
    )
    def test_subset_invariance_at_float32_precision(self, imbalanced_data, method):
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).fit(X, y)
        full = getattr(clf, method)(X)
        for rows in [slice(0, 7), slice(5, 70), np.arange(0, len(X), 3)]:
            part = getattr(clf, method)(X[rows])
            if method == "predict":
                np.testing.assert_array_equal(part, full[rows])
            else:
                np.testing.assert_allclose(part, full[rows], rtol=1e-5, atol=1e-6)


class TestFittedState:
    def test_holds_no_training_rows(self, imbalanced_data):
        # A fitted model is shared and pickled: it must not carry the data it was fitted on
        # (skorch's predefined split keeps the validation rows in net_.train_split).
        X, y = imbalanced_data
        for params in [{}, {"validation_fraction": 0.2}, {"early_stopping": True}]:
            clf = IWCEClassifier(**{**FAST, **params}).fit(X, y)
            blob = pickle.dumps(clf)
            assert not [i for i in range(len(X)) if X[i].tobytes() in blob], params
        assert clf.net_.train_split is None
        assert "valid_bacc" in clf.net_.history[-1]


class TestEcosystem:
    def test_pipeline_and_grid_search(self, imbalanced_data):
        X, y = imbalanced_data
        pipe = make_pipeline(StandardScaler(), IWCEClassifier(**FAST))
        grid = GridSearchCV(
            pipe,
            {
                "iwceclassifier__T": [1.0, 10.0],
                "iwceclassifier__module__hidden_layer_sizes": [(8,), (16,)],
            },
            cv=2,
            scoring="balanced_accuracy",
        ).fit(X, y)
        assert len(grid.cv_results_["params"]) == 4
        best = grid.best_estimator_[-1]
        hidden = grid.best_params_["iwceclassifier__module__hidden_layer_sizes"]
        assert best.net_.module_.net[1].out_features == hidden[0]

    def test_cross_val_score(self, imbalanced_data):
        X, y = imbalanced_data
        scores = cross_val_score(
            IWCEClassifier(**FAST), X, y, cv=StratifiedKFold(3), scoring="balanced_accuracy"
        )
        expected = [
            balanced_accuracy_score(
                y[test], IWCEClassifier(**FAST).fit(X[train], y[train]).predict(X[test])
            )
            for train, test in StratifiedKFold(3).split(X, y)
        ]
        np.testing.assert_array_equal(scores, expected)

    def test_imblearn_smote_pipeline(self, imbalanced_data):
        X, y = imbalanced_data
        pipe = make_imb_pipeline(SMOTE(random_state=0), IWCEClassifier(class_weight=None, **FAST))
        pipe.fit(X, y)
        assert pipe[-1].class_counts_.tolist() == [np.bincount(y).max()] * 3

    def test_adaboost_over_the_net(self, imbalanced_data):
        X, y = imbalanced_data
        boost = AdaBoostClassifier(
            estimator=IWCEClassifier(**FAST), n_estimators=3, random_state=0
        ).fit(X, y)
        assert len(boost.estimators_) >= 2
        # AdaBoost's sample weights reach the nets: a later stage counts its classes by them.
        plain = np.bincount(y).astype(float)
        later = boost.estimators_[1].class_counts_
        assert later.sum() == pytest.approx(len(y), rel=1e-5)  # rescaled to mean 1
        assert not np.allclose(later, plain)
        # It learns: predicting the majority class scores 1/3 balanced accuracy.
        assert balanced_accuracy_score(y, boost.predict(X)) > 0.6

    @pytest.mark.parametrize("dumper", ["pickle", "joblib"])
    def test_persistence_round_trip(self, imbalanced_data, dumper):
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).fit(X, y)
        buf = io.BytesIO()
        if dumper == "pickle":
            pickle.dump(clf, buf)
            buf.seek(0)
            loaded = pickle.load(buf)
        else:
            joblib.dump(clf, buf)
            buf.seek(0)
            loaded = joblib.load(buf)
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        assert loaded.net_.history[:, "alpha"] == clf.net_.history[:, "alpha"]


class TestBadInput:
    @pytest.mark.parametrize("value", [np.nan, np.inf])
    def test_non_finite_X(self, imbalanced_data, value):
        X, y = imbalanced_data
        X = X.copy()
        X[3, 1] = value
        with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
            IWCEClassifier(**FAST).fit(X, y)

    def test_empty(self):
        with pytest.raises(ValueError, match="0 sample"):
            IWCEClassifier(**FAST).fit(np.zeros((0, 3)), np.zeros(0))

    def test_one_class(self):
        with pytest.raises(ValueError, match="at least 2 classes"):
            IWCEClassifier(**FAST).fit(np.zeros((5, 3)), np.zeros(5))

    def test_sparse_is_refused_by_the_stacked_engine(self, imbalanced_data):
        # IWCEClassifier takes it (TestSparseInput); the stacked engine takes dense arrays.
        from skiwce import IWCEClassifierCV
        from skiwce._stacked_fit import fit_stacked

        X, y = imbalanced_data
        with pytest.raises(TypeError, match="Sparse data was passed"):
            fit_stacked(IWCEClassifier(**FAST), sp.csr_matrix(X), y, [np.arange(len(y))])
        # IWCEClassifierCV trains its candidates one by one on sparse X, as GridSearchCV would
        search = IWCEClassifierCV(Ts=[5.0], cv=2, refit=False, **FAST).fit(sp.csr_matrix(X), y)
        assert search.engine_ == "sequential"
        dense = IWCEClassifierCV(Ts=[5.0], cv=2, refit=False, engine="sequential", **FAST)
        np.testing.assert_allclose(
            search.cv_results_["mean_test_score"],
            dense.fit(X, y).cv_results_["mean_test_score"],
            atol=0.02,
        )

    def test_series_model_given_rows_names_the_shapes(self):
        rng = np.random.RandomState(0)
        X, y = rng.randn(30, 3, 60).astype(np.float32), np.arange(30) % 2
        clf = IWCEClassifier(max_epochs=1, random_state=0).fit(X, y)
        match = (
            r"X has 2 dimensions, shape \(30, 60\), but IWCEClassifier was fitted on series of "
            r"shape \(n_samples, channels=3, length=60\); pass X of shape \(n_samples, 3, 60\)"
        )
        for method in (clf.predict, clf.predict_proba, clf.decision_function):
            with pytest.raises(ValueError, match=match):
                method(X[:, 0, :])
        with pytest.raises(ValueError, match=match):
            clf.partial_fit(X[:, 0, :], y)
        rows = IWCEClassifier(max_epochs=1, random_state=0).fit(X[:, 0, :], y)
        with pytest.raises(
            ValueError, match="fitted on rows of shape \\(n_samples, n_features=60"
        ):
            rows.predict(X)

    @pytest.mark.parametrize("early_stopping", [False, True])
    def test_validation_split_too_small_names_the_parameter(self, early_stopping):
        X = np.random.RandomState(0).randn(41, 4)
        y = np.repeat([0, 1, 2], [20, 20, 1])
        params = {"early_stopping": True} if early_stopping else {"validation_fraction": 0.2}
        match = (
            "early_stopping=True \\(which holds out validation_fraction=0.1\\)"
            if early_stopping
            else "validation_fraction=0.2 holds out a stratified validation part"
        )
        with pytest.raises(ValueError, match=match) as info:
            IWCEClassifier(max_epochs=1, **params).fit(X, y)
        assert "the smallest class has 1" in str(info.value)

    def test_feature_count_at_predict(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).fit(X, y)
        with pytest.raises(
            ValueError, match="X has 7 features, but IWCEClassifier is expecting 8"
        ):
            clf.predict(X[:, :7])

    @pytest.mark.parametrize("T", [0, -1.0, float("nan")])
    def test_bad_T(self, imbalanced_data, T):
        with pytest.raises(InvalidParameterError, match="The 'T' parameter of IWCEClassifier"):
            IWCEClassifier(T=T).fit(*imbalanced_data)

    def test_unknown_module_lists_valid(self, imbalanced_data):
        with pytest.raises(InvalidParameterError, match="The 'module' parameter") as err:
            IWCEClassifier(module="transformer").fit(*imbalanced_data)
        assert all(f"'{name}'" in str(err.value) for name in ["auto", "mlp", "cnn1d", "har"])

    def test_unknown_schedule_lists_valid(self, imbalanced_data):
        with pytest.raises(InvalidParameterError, match="The 'schedule' parameter") as err:
            IWCEClassifier(schedule="cosine").fit(*imbalanced_data)
        assert all(f"'{name}'" in str(err.value) for name in ["exponential", "step", "linear"])

    def test_switch_epoch_beyond_the_run(self, imbalanced_data):
        with pytest.raises(ValueError, match=r"switch_epoch=4 is not an epoch of the run"):
            IWCEClassifier(switch_epoch=4, **FAST).fit(*imbalanced_data)
        # The last epoch is fine.
        IWCEClassifier(switch_epoch=3, **FAST).fit(*imbalanced_data)

    def test_class_weight_keys_not_labels(self, imbalanced_data):
        with pytest.raises(ValueError, match=r"keys \[7\] that are not class labels"):
            IWCEClassifier(class_weight={7: 2.0}, **FAST).fit(*imbalanced_data)

    def test_module_class_not_a_module(self, imbalanced_data):
        with pytest.raises(ValueError, match="torch.nn.Module subclass"):
            IWCEClassifier(module=dict, **FAST).fit(*imbalanced_data)

    def test_module_params_with_instance(self, imbalanced_data):
        with pytest.raises(ValueError, match="module_params cannot be used"):
            IWCEClassifier(module=nn.Linear(8, 3), module_params={"a": 1}).fit(*imbalanced_data)

    def test_auto_needs_2_to_4_dims(self):
        with pytest.raises(ValueError, match='module="auto" handles X of 2, 3 or 4'):
            IWCEClassifier(**FAST).fit(np.zeros((4, 1, 1, 1, 1)), [0, 1, 0, 1])

    def test_continuous_target(self, imbalanced_data):
        X, _ = imbalanced_data
        with pytest.raises(ValueError, match="Unknown label type"):
            IWCEClassifier(**FAST).fit(X, np.linspace(0, 1, len(X)))

    def test_unfitted(self):
        from sklearn.exceptions import NotFittedError

        with pytest.raises(NotFittedError):
            IWCEClassifier().predict(np.zeros((2, 3)))


class TestRuntime:
    def test_n_threads_is_restored(self, imbalanced_data):
        before = torch.get_num_threads()
        torch.set_num_threads(2)
        try:
            clf = IWCEClassifier(n_threads=1, **FAST).fit(*imbalanced_data)
            clf.predict(imbalanced_data[0])
            assert torch.get_num_threads() == 2
        finally:
            torch.set_num_threads(before)

    # Importing torch's compiler stack warns about torch.jit internals, not about skiwce.
    @pytest.mark.filterwarnings(
        "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
    )
    def test_compile_skips_the_criterion(self):
        from skiwce._net import IWCENet

        net = IWCENet(MLP, module__n_features=3, criterion=IWCELoss, compile=True).initialize()
        assert type(net.criterion_) is IWCELoss
        assert type(net.module_) is not MLP  # the network is compiled (lazily)

    def test_keyboard_interrupt_keeps_a_usable_model(self, imbalanced_data):
        from skorch.callbacks import Callback

        class Interrupt(Callback):
            def on_epoch_end(self, net, **kwargs):
                if len(net.history) == 2:
                    raise KeyboardInterrupt

        X, y = imbalanced_data
        clf = IWCEClassifier(callbacks=[Interrupt()], **FAST)
        with pytest.warns(UserWarning, match="interrupted after 2 of 4 epochs"):
            clf.fit(X, y)
        assert clf.interrupted_ and clf.n_iter_ == 2
        assert clf.predict(X).shape == y.shape
        assert not IWCEClassifier(**FAST).fit(X, y).interrupted_

    def test_bf16_autocast_on_cpu(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(precision="bf16", **FAST).fit(X, y)
        assert np.isfinite(clf.net_.history[-1, "train_loss"])
        logits = clf.net_.forward(X[:4])
        assert logits.dtype == torch.float32
        fp32 = IWCEClassifier(precision="auto", **FAST).fit(X, y)  # "auto" is fp32 on CPU
        assert fp32.net_.history[:, "train_loss"] != clf.net_.history[:, "train_loss"]
        assert (
            fp32.net_.history[:, "train_loss"]
            == (IWCEClassifier(precision="32", **FAST).fit(X, y).net_.history[:, "train_loss"])
        )

    @pytest.mark.parametrize(
        ("device", "capability", "expected"),
        [("cpu", None, "32"), ("cuda:1", (7, 5), "32"), ("cuda:1", (8, 0), "bf16")],
    )
    def test_auto_precision_is_bf16_on_native_bf16_gpus(
        self, monkeypatch, device, capability, expected
    ):
        from skiwce._net import resolve_precision

        asked = []

        def capability_of(d):
            asked.append(d)
            return capability

        monkeypatch.setattr(torch.cuda, "get_device_capability", capability_of)
        assert resolve_precision("auto", device) == expected
        # The fit's device is asked, not the current one; an explicit choice is kept.
        assert asked == ([] if capability is None else [torch.device(device)])
        assert resolve_precision("bf16", device) == "bf16"

    def test_channels_last_images(self):
        rng = np.random.RandomState(0)
        X = rng.rand(24, 3, 8, 8).astype(np.float32)
        y = np.repeat([0, 1], 12)
        params = {**FAST, "module": "resnet18", "module_params": {"width": 4}}
        cl = IWCEClassifier(channels_last=True, **params).fit(X, y)
        conv = cl.net_.module_.stem[0].weight
        assert conv.is_contiguous(memory_format=torch.channels_last)
        # One forward pass of the same parameters in either layout: float32 rounding only
        # (measured 1.5e-8 on logits of about 0.2).
        proba = cl.predict_proba(X)
        cl.net_.module_.to(memory_format=torch.contiguous_format)
        cl.net_.channels_last = False
        np.testing.assert_allclose(cl.predict_proba(X), proba, rtol=1e-5, atol=1e-6)
        # Training in either layout: the same run up to the kernels' rounding, amplified by 4
        # epochs of training (see CHANNELS_LAST_RTOL).
        plain = IWCEClassifier(channels_last=False, **params).fit(X, y)
        np.testing.assert_allclose(proba, plain.predict_proba(X), atol=CHANNELS_LAST_ATOL)


class TestPackage:
    def test_public_names_load_on_first_use(self):
        import skiwce

        assert {"IWCEClassifier", "IWCELoss", "IncrementalClassWeights", "compare"} <= set(
            dir(skiwce)
        )
        assert skiwce.IWCEClassifier is IWCEClassifier
        assert skiwce.IWCELoss is IWCELoss
        with pytest.raises(AttributeError, match="has no attribute 'nope'"):
            skiwce.nope  # noqa: B018

    def test_named_choices_match_the_implementations(self):
        from skiwce._classifier import OPTIMIZERS
        from skiwce._names import DATASETS, METHODS, MODULE_NAMES, OPTIMIZER_NAMES
        from skiwce.comparison import METHOD_NAMES, make_method
        from skiwce.datasets import load_dataset
        from skiwce.models import MODULES

        assert tuple(OPTIMIZERS) == OPTIMIZER_NAMES and tuple(MODULES) == MODULE_NAMES
        assert set(METHOD_NAMES) == set(METHODS)
        for name in METHODS:
            assert hasattr(make_method(name), "fit")
        for name in DATASETS:
            assert len(load_dataset(name).target) > 0


class ThreadProbe(Callback):
    """Records torch's thread count at each epoch's start."""

    def initialize(self):
        self.threads_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.threads_.append(torch.get_num_threads())


class TestThreads:
    @pytest.fixture
    def two_threads(self):
        before = torch.get_num_threads()
        torch.set_num_threads(2)
        yield
        torch.set_num_threads(before)

    def test_auto_trains_small_networks_on_one_thread(self, imbalanced_data, two_threads):
        X, y = imbalanced_data
        clf = IWCEClassifier(callbacks=[("probe", ThreadProbe())], **FAST).fit(X, y)
        assert clf.n_threads == "auto" and clf.n_threads_ == 1
        assert dict(clf.net_.callbacks_)["probe"].threads_ == [1] * FAST["max_epochs"]
        assert torch.get_num_threads() == 2  # the caller's setting, restored

    def test_auto_leaves_large_networks_to_torch(self, imbalanced_data, two_threads):
        class Wide(nn.Module):
            def __init__(self, n_features, n_classes):
                super().__init__()
                self.net = nn.Sequential(
                    nn.Linear(n_features, 4096), nn.Linear(4096, 4096), nn.Linear(4096, n_classes)
                )

            def forward(self, X):
                return self.net(X)

        X, y = imbalanced_data
        clf = IWCEClassifier(
            Wide,
            callbacks=[("probe", ThreadProbe())],
            **{**FAST, "max_epochs": 1, "batch_size": 256},
        ).fit(X[:40], y[:40])
        assert clf.n_threads_ is None  # 4096 * 4096 * 256 > 1e9 multiply-accumulates a batch
        assert dict(clf.net_.callbacks_)["probe"].threads_ == [2]

    def test_an_int_is_used_as_given(self, imbalanced_data, two_threads):
        X, y = imbalanced_data
        clf = IWCEClassifier(n_threads=2, callbacks=[("probe", ThreadProbe())], **FAST).fit(X, y)
        assert clf.n_threads_ == 2 and dict(clf.net_.callbacks_)["probe"].threads_ == [2] * 4

    def test_count_macs(self):
        from skiwce._torch_utils import count_macs

        net = CNN1D(input_length=10, n_classes=3)
        training = [m.training for m in net.modules()]
        # conv 1x32x3 at 10 positions, conv 32x64x2 at 10, linear 320x128, 128x16, 16x3
        expected = 96 * 10 + 4096 * 10 + 320 * 128 + 128 * 16 + 16 * 3
        assert count_macs(net, (10,)) == expected
        assert [m.training for m in net.modules()] == training


class TestWarmStartAndPartialFit:
    def test_warm_start_continues_the_network_and_the_schedule(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(warm_start=True, T=1.0, **{**FAST, "max_epochs": 3}).fit(X, y)
        module, first = clf.net_.module_, clf.net_.history[:, "alpha"]
        clf.fit(X, y)
        assert clf.net_.module_ is module and clf.n_iter_ == 6
        alphas = clf.net_.history[:, "alpha"]
        assert alphas[:3] == first and first[-1] == 1.0
        assert alphas[3:] == [1.0, 1.0, 1.0]  # past the schedule's end: the target weights
        # Adam kept its state: one step count over both fits.
        state = clf.net_.optimizer_.state[next(module.parameters())]
        assert int(state["step"]) == 6 * clf.net_.history[0, "train_batch_count"]

    def test_without_warm_start_a_refit_starts_afresh(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(**FAST).fit(X, y)
        module = clf.net_.module_
        clf.fit(X, y)
        assert clf.net_.module_ is not module and clf.n_iter_ == FAST["max_epochs"]

    def test_partial_fit_calls_add_up_to_a_fit(self, imbalanced_data):
        # No dropout and the whole data at each call: the same batches, the same schedule.
        X, y = imbalanced_data
        fitted = IWCEClassifier(T=1.0, **FAST).fit(X, y)
        partial = IWCEClassifier(T=1.0, **FAST)
        for _ in range(FAST["max_epochs"]):
            partial.partial_fit(X, y, classes=np.unique(y))
        assert partial.n_iter_ == FAST["max_epochs"]
        assert partial.net_.history[:, "alpha"] == fitted.net_.history[:, "alpha"]
        assert partial.net_.history[:, "train_loss"] == fitted.net_.history[:, "train_loss"]
        np.testing.assert_array_equal(partial.predict_proba(X), fitted.predict_proba(X))
        partial.partial_fit(X, y)  # past the schedule's end
        assert partial.net_.history[-1, "alpha"] == 1.0

    def test_partial_fit_checks_its_inputs(self, imbalanced_data):
        X, y = imbalanced_data
        with pytest.raises(ValueError, match="classes must be passed on the first call"):
            IWCEClassifier(**FAST).partial_fit(X, y)
        with pytest.warns(UserWarning, match="no training"):  # a chunk may lack a class
            clf = IWCEClassifier(**FAST).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
        assert clf.classes_.tolist() == [0, 1, 2]
        with pytest.raises(ValueError, match=r"labels \[7\] that are not among the classes"):
            clf.partial_fit(X[:10], np.r_[y[:9], 7])
        with pytest.raises(ValueError, match="differ from the classes of the first fit"):
            clf.partial_fit(X, y, classes=[0, 1])
        with pytest.raises(ValueError, match="features"):
            clf.partial_fit(X[:, :3], y)

    def test_continued_training_scores_validation_and_keeps_no_rows(self, imbalanced_data):
        X, y = imbalanced_data
        clf = IWCEClassifier(validation_fraction=0.2, warm_start=True, **FAST).fit(X, y)
        clf.fit(X, y).partial_fit(X, y)
        assert clf.n_iter_ == 2 * FAST["max_epochs"] + 1
        assert all("valid_bacc" in row for row in clf.net_.history)
        assert clf.net_.train_split is None
        blob = pickle.dumps(clf)
        assert not [i for i in range(len(X)) if X[i].tobytes() in blob]


class TestStandardize:
    """standardize=True: the network sees (X - mean) / std of its training rows."""

    @pytest.mark.parametrize(
        "shape, axes", [((120, 5), (0,)), ((120, 2, 9), (0, 2)), ((120, 3, 4, 4), (0, 2, 3))]
    )
    def test_statistics_and_equivalence_with_prescaled_inputs(self, shape, axes):
        rng = np.random.RandomState(0)
        X = (rng.randn(*shape) * 7 + 3).astype(np.float32)
        y = (X.reshape(len(X), -1)[:, 0] > 3).astype(int)
        module = {2: "mlp", 3: "cnn1d", 4: "resnet18"}[len(shape)]
        params = {"module_params": {"width": 2}} if module == "resnet18" else {}
        clf = IWCEClassifier(module=module, **params, **FAST).fit(X, y)
        np.testing.assert_allclose(clf.input_mean_, X.mean(axis=axes), rtol=1e-5)
        np.testing.assert_allclose(clf.input_scale_, X.std(axis=axes), rtol=1e-5)
        assert clf.input_mean_.shape == (shape[1],)
        # the same network as standardize=False on inputs scaled the same way
        bshape = (1, -1, *([1] * (len(shape) - 2)))
        Xs = (X - clf.input_mean_.reshape(bshape)) / clf.input_scale_.reshape(bshape)
        plain = IWCEClassifier(module=module, standardize=False, **params, **FAST).fit(Xs, y)
        assert plain.input_mean_ is None
        np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(Xs))

    def test_statistics_come_from_the_training_part(self):
        rng = np.random.RandomState(1)
        X, y = rng.randn(100, 3).astype(np.float32), np.arange(100) % 2
        clf = IWCEClassifier(validation_fraction=0.3, **FAST).fit(X, y)
        idx_train, _ = train_test_split(
            np.arange(100),
            test_size=0.3,
            stratify=y,
            random_state=np.random.RandomState(0).randint(0, 2**31 - 1, 3)[2],
        )
        np.testing.assert_allclose(clf.input_mean_, X[idx_train].mean(0), rtol=1e-5)
        assert not np.allclose(clf.input_mean_, X.mean(0), rtol=1e-3)

    def test_constant_feature_is_only_centred(self):
        rng = np.random.RandomState(2)
        X = np.c_[rng.randn(60, 2), np.full(60, 5.0)]
        y = np.arange(60) % 2
        clf = IWCEClassifier(**FAST).fit(X, y)
        assert clf.input_scale_[2] == 1.0 and clf.input_mean_[2] == 5.0
        assert np.all(np.isfinite(clf.predict_proba(X)))

    def test_raw_units_no_longer_hurt(self):
        """Features in wildly different units: standardising makes the default fit work."""
        rng = np.random.RandomState(3)
        X = rng.randn(300, 4)
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        X = X * np.array([1e3, 1e-3, 1.0, 50.0]) + np.array([5e3, 0.0, -20.0, 100.0])
        raw = IWCEClassifier(standardize=False, **FAST).fit(X, y)
        scaled = IWCEClassifier(**FAST).fit(X, y)
        assert balanced_accuracy_score(y, scaled.predict(X)) > 0.9
        assert balanced_accuracy_score(y, scaled.predict(X)) > (
            balanced_accuracy_score(y, raw.predict(X)) + 0.1
        )

    def test_warm_start_and_partial_fit_keep_the_first_statistics(self):
        rng = np.random.RandomState(4)
        X, y = rng.randn(80, 3).astype(np.float32), np.arange(80) % 2
        clf = IWCEClassifier(warm_start=True, **FAST).fit(X, y)
        mean = clf.input_mean_.copy()
        clf.fit(X * 10 + 5, y)
        np.testing.assert_array_equal(clf.input_mean_, mean)
        part = IWCEClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
        part.partial_fit(X + 100, y)
        np.testing.assert_allclose(part.input_mean_, X.mean(0), rtol=1e-5)


class TestSparseInput:
    """scipy sparse X: kept sparse, made dense one batch at a time, the same network as the
    dense copy."""

    @staticmethod
    def _data():
        rng = np.random.RandomState(0)
        X = rng.randn(90, 12) * (rng.rand(90, 12) < 0.3)
        y = np.repeat([0, 1, 2], [60, 20, 10])
        X[:, 3] += y
        return X, y

    @pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"standardize": False},
            {"validation_fraction": 0.2},
            {"batching": "dataloader"},
            {"early_stopping": True, "switch_epoch": 0.5},
        ],
    )
    def test_same_network_as_the_dense_copy(self, fmt, params):
        X, y = self._data()
        sw = np.linspace(1.0, 2.0, len(y))
        Xs = sp.csr_matrix(X).asformat(fmt)
        kept = Xs.copy()
        dense = IWCEClassifier(**{**FAST, "batch_size": 16}, **params).fit(X, y, sample_weight=sw)
        sparse = IWCEClassifier(**{**FAST, "batch_size": 16}, **params).fit(
            Xs, y, sample_weight=sw
        )
        for a, b in zip(
            dense.net_.module_.parameters(), sparse.net_.module_.parameters(), strict=True
        ):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(
            dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)), atol=1e-6
        )
        np.testing.assert_allclose(sparse.predict_proba(X), sparse.predict_proba(Xs), atol=1e-6)
        if params.get("standardize", True):
            np.testing.assert_allclose(sparse.input_mean_, dense.input_mean_, rtol=1e-6)
            np.testing.assert_allclose(sparse.input_scale_, dense.input_scale_, rtol=1e-6)
        assert (Xs != kept).nnz == 0  # the caller's matrix is untouched

    def test_never_dense_beyond_a_batch(self, monkeypatch):
        from skiwce import _net

        X, y = self._data()
        sizes = []
        dense = _net.SparseRows.dense

        def spy(self, rows):
            block = dense(self, rows)
            sizes.append(len(block))
            return block

        monkeypatch.setattr(_net.SparseRows, "dense", spy)
        monkeypatch.setattr(sp.csr_matrix, "toarray", _refuse_whole(sp.csr_matrix.toarray))
        clf = IWCEClassifier(**{**FAST, "batch_size": 16}, validation_fraction=0.2)
        clf.fit(sp.csr_matrix(X), y)
        clf.predict(sp.csr_matrix(X))
        assert sizes and max(sizes) <= 16

    def test_tags_and_pipelines(self):
        from sklearn.compose import make_column_transformer
        from sklearn.preprocessing import OneHotEncoder

        assert IWCEClassifier().__sklearn_tags__().input_tags.sparse
        rng = np.random.RandomState(0)
        cats = rng.randint(0, 30, size=(120, 2))
        y = (cats[:, 0] % 3 == 0).astype(int)
        pipe = make_pipeline(
            make_column_transformer((OneHotEncoder(), [0, 1])), IWCEClassifier(**FAST)
        )
        assert sp.issparse(pipe[0].fit_transform(cats))  # the encoder's default output
        pipe.fit(cats, y)
        assert pipe.predict(cats).shape == (120,)


def _refuse_whole(toarray):
    """A CSR toarray that fails on more than 16 rows (a batch is 16 here)."""

    def checked(self, *args, **kwargs):
        assert self.shape[0] <= 16, f"made {self.shape[0]} rows dense"
        return toarray(self, *args, **kwargs)

    return checked


class TestValidationCallbacks:
    """skorch callbacks that need a validation split; callbacks that stop before the target."""

    @pytest.mark.parametrize(
        "make", [lambda: EarlyStopping(), lambda: Checkpoint(dirname="unused")], ids=["es", "ck"]
    )
    def test_valid_monitor_without_split_is_an_error_at_fit_start(self, make, imbalanced_data):
        X, y = imbalanced_data
        started = []

        class Spy(Callback):
            def on_train_begin(self, net, **kwargs):
                started.append(True)

        clf = IWCEClassifier(**FAST, callbacks=[Spy(), make()])
        with pytest.raises(
            ValueError, match="callbacks\\[1\\] .* monitors 'valid_loss.*set validation_fraction"
        ):
            clf.fit(X, y)
        assert not started

    def test_valid_monitor_with_a_split_trains(self, imbalanced_data):
        X, y = imbalanced_data
        stop = EarlyStopping(monitor="valid_bacc", lower_is_better=False, patience=50)
        clf = IWCEClassifier(**FAST, validation_fraction=0.2, callbacks=[stop]).fit(X, y)
        assert clf.n_iter_ == FAST["max_epochs"]

    def test_stopping_before_the_target_warns(self, imbalanced_data):
        X, y = imbalanced_data
        stop = EarlyStopping(
            monitor="valid_bacc", lower_is_better=False, patience=1, threshold=10.0
        )
        clf = IWCEClassifier(
            **{**FAST, "max_epochs": 40}, validation_fraction=0.2, callbacks=[stop]
        )
        with pytest.warns(
            UserWarning, match="stopped training at epoch 2 of 40, with alpha = 0.1"
        ):
            clf.fit(X, y)
        assert clf.n_iter_ == 2 and not clf.interrupted_

    def test_stopping_at_the_target_is_silent(self, imbalanced_data):
        X, y = imbalanced_data
        stop = EarlyStopping(
            monitor="valid_bacc", lower_is_better=False, patience=1, threshold=10.0
        )
        clf = IWCEClassifier(
            **{**FAST, "max_epochs": 40},
            schedule="constant",
            validation_fraction=0.2,
            callbacks=[stop],
        ).fit(X, y)
        assert clf.n_iter_ == 2

    def test_the_cv_estimator_checks_them_too(self, imbalanced_data):
        from skiwce import IWCEClassifierCV

        X, y = imbalanced_data
        clf = IWCEClassifierCV(Ts=[1.0, 5.0], cv=2, **FAST, callbacks=[EarlyStopping()])
        with pytest.raises(ValueError, match="set validation_fraction"):
            clf.fit(X, y)
