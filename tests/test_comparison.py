"""Tests of skiwce.comparison: baselines, samplers, compare, paired statistics and plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.stats import wilcoxon  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin, clone  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.metrics import balanced_accuracy_score, f1_score  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

# Small, quick settings shared by the network methods: enough to learn the toy data.
FAST = {"max_epochs": 4, "batch_size": 16, "lr": 0.01}


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Small networks train fastest, and least disturbed by other processes, on one thread."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def image_data(sequence_data):
    X, y = sequence_data
    return X.reshape(len(X), 2, 4, 4), y


@pytest.fixture(scope="module")
def small_result(imbalanced_data):
    from skiwce.comparison import compare

    X, y = imbalanced_data
    estimators = {
        "iwce": DecisionTreeClassifier(max_depth=3),
        "stump": DecisionTreeClassifier(max_depth=1),
        "dummy": DummyClassifier(strategy="stratified"),
    }
    return compare(estimators, X, y, cv=3, n_seeds=2, progress=False)


@pytest.fixture(scope="module")
def fitted(imbalanced_data):
    """An IWCEClassifier fitted with a validation split (train and valid loss)."""
    from skiwce import IWCEClassifier

    X, y = imbalanced_data
    return IWCEClassifier(T=1.0, max_epochs=4, validation_fraction=0.2, random_state=0).fit(X, y)


class _Failing(ClassifierMixin, BaseEstimator):
    """Raises in fit: a method that breaks."""

    def fit(self, X, y):
        raise RuntimeError("boom")

    def predict(self, X):  # pragma: no cover - never fitted
        return np.zeros(len(X))


class _WeightRecorder(DecisionTreeClassifier):
    """A tree that records the mean of the sample weights it is given."""

    means = []

    def fit(self, X, y, sample_weight=None, check_input=True):
        type(self).means.append(float(np.mean(sample_weight)))
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


class TestMakeMethod:
    @pytest.fixture
    def make_method(self):
        from skiwce.comparison import make_method

        return make_method

    def test_every_method_builds_an_unfitted_estimator(self, make_method):
        from skiwce.comparison import METHODS

        for name in METHODS:
            est = make_method(name, **FAST)
            clone(est)
            assert hasattr(est, "fit") and hasattr(est, "predict")

    def test_net_methods_share_the_common_settings(self, make_method):
        from skiwce import IWCEClassifier

        for name in ["iwce", "ce", "wce", "drw", "focal", "cb_focal", "la_loss"]:
            est = make_method(name, module="cnn1d", max_epochs=7, T=3.0, random_state=1)
            assert isinstance(est, IWCEClassifier)
            params = est.get_params()
            assert (params["module"], params["max_epochs"], params["random_state"]) == (
                "cnn1d",
                7,
                1,
            )

    @pytest.mark.parametrize(
        "name, expected",
        [
            ("iwce", {"class_weight": "balanced", "schedule": "exponential", "T": 5.0}),
            ("ce", {"class_weight": None}),
            ("wce", {"class_weight": "balanced", "schedule": "constant"}),
            ("drw", {"class_weight": "balanced", "schedule": "step"}),
            ("focal", {"criterion": "focal", "class_weight": None}),
            ("cb_focal", {"criterion": "focal", "class_weight": "effective_number"}),
            ("ldam_drw", {"criterion": "ldam", "schedule": "step"}),
            ("la_loss", {"criterion": "logit_adjusted", "class_weight": None}),
            ("la_posthoc", {"class_weight": None, "logit_adjustment": 1.0}),
        ],
    )
    def test_defining_parameters(self, make_method, name, expected):
        params = make_method(name, T=5.0).get_params()
        assert {k: params[k] for k in expected} == expected

    def test_defining_parameters_override_common(self, make_method):
        assert make_method("ce", class_weight="balanced").class_weight is None

    def test_pipelines(self, make_method):
        from imblearn.over_sampling import SMOTE, RandomOverSampler
        from imblearn.pipeline import Pipeline as ImbPipeline
        from imblearn.under_sampling import RandomUnderSampler

        from skiwce.comparison import AdaBoostNetClassifier, Flatten, ReshapingSampler

        for name, sampler in [
            ("smote", SMOTE),
            ("ros", RandomOverSampler),
            ("rus", RandomUnderSampler),
        ]:
            est = make_method(name, max_epochs=3)
            assert isinstance(est, ImbPipeline)
            assert isinstance(est.named_steps["sampler"], ReshapingSampler)
            assert isinstance(est.named_steps["sampler"].sampler, sampler)
            assert est.named_steps["net"].class_weight is None
            assert est.named_steps["net"].max_epochs == 3
        for name in ["adaboost_dt", "brf"]:
            assert isinstance(make_method(name).named_steps["flatten"], Flatten)
        boost = make_method("adaboost_net", max_epochs=3, random_state=2)
        assert isinstance(boost, AdaBoostNetClassifier)
        assert boost.estimator.class_weight is None and boost.random_state == 2

    def test_unknown_method(self, make_method):
        with pytest.raises(ValueError, match="Unknown method 'nope'.*'iwce'.*'brf'"):
            make_method("nope")

    def test_unknown_common_parameter(self, make_method):
        with pytest.raises(ValueError, match="Unknown IWCEClassifier parameters \\['epochs'\\]"):
            make_method("ce", epochs=3)

    def test_make_methods(self):
        from skiwce.comparison import METHODS, make_methods

        assert list(make_methods(**FAST)) == list(METHODS)
        assert list(make_methods(["ce", "iwce"])) == ["ce", "iwce"]
        with pytest.raises(ValueError, match="repeat"):
            make_methods(["ce", "ce"])
        with pytest.raises(ValueError, match="Unknown method"):
            make_methods(["ce", "bogus"])


class TestBaselines:
    """Every method fits and predicts on 2-D rows, 3-D series and 4-D images."""

    @pytest.mark.parametrize(
        "name",
        [
            "iwce",
            "ce",
            "wce",
            "drw",
            "focal",
            "cb_focal",
            "ldam_drw",
            "la_loss",
            "la_posthoc",
            "smote",
            "ros",
            "rus",
            "adaboost_dt",
            "adaboost_net",
            "brf",
        ],
    )
    @pytest.mark.parametrize("kind", ["2d", "3d", "4d"])
    def test_fit_predict(self, name, kind, imbalanced_data, sequence_data, image_data):
        from skiwce.comparison import make_method

        X, y = {"2d": imbalanced_data, "3d": sequence_data, "4d": image_data}[kind]
        module = {"2d": "mlp", "3d": "cnn1d", "4d": "mlp"}[kind]
        est = make_method(name, module=module, random_state=0, **FAST).fit(X, y)
        pred = est.predict(X)
        assert pred.shape == y.shape
        assert set(np.unique(pred)) <= set(np.unique(y))
        # Better than always predicting the majority class (balanced accuracy 1 / n_classes).
        recalls = [np.mean(pred[y == c] == c) for c in np.unique(y)]
        assert np.mean(recalls) > 1.0 / len(recalls)

    def test_list_covers_all_methods(self):
        from skiwce.comparison import METHODS

        marks = TestBaselines.test_fit_predict.pytestmark
        names = next(m.args[1] for m in marks if m.args[0] == "name")
        assert names == list(METHODS)


class TestReshapingSampler:
    @pytest.fixture
    def sampler_cls(self):
        from skiwce.comparison import ReshapingSampler

        return ReshapingSampler

    def test_random_over_sampling_selects_rows(self, sampler_cls, sequence_data):
        from imblearn.over_sampling import RandomOverSampler

        X, y = sequence_data
        sampler = sampler_cls(RandomOverSampler(random_state=0))
        X_res, y_res = sampler.fit_resample(X, y)
        assert X_res.shape[1:] == X.shape[1:] and X_res.dtype == X.dtype
        np.testing.assert_array_equal(np.bincount(y_res), [np.bincount(y).max()] * 2)
        np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
        np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])

    def test_keeps_the_samplers_own_changes_to_rows(self, sampler_cls, sequence_data):
        # RandomOverSampler(shrinkage=...) says which rows it drew but adds noise to the copies
        # (a smoothed bootstrap): the wrapper must return what the sampler made.
        from imblearn.over_sampling import RandomOverSampler

        X, y = sequence_data
        sampler = sampler_cls(RandomOverSampler(shrinkage=1.0, random_state=0))
        X_res, y_res = sampler.fit_resample(X, y)
        X_ref, y_ref = RandomOverSampler(shrinkage=1.0, random_state=0).fit_resample(
            X.reshape(len(X), -1), y
        )
        np.testing.assert_array_equal(X_res, X_ref.reshape(-1, *X.shape[1:]))
        np.testing.assert_array_equal(y_res, y_ref)
        assert not np.array_equal(X_res[len(X) :], X[sampler.sampler_.sample_indices_[len(X) :]])
        assert sampler.sample_indices_ is None  # not rows of X

    def test_integer_samples_made_new_are_not_truncated(self, sampler_cls, sequence_data):
        from imblearn.over_sampling import RandomOverSampler

        X, y = sequence_data
        X_int = np.round(X * 10).astype(np.int64)
        sampler = sampler_cls(RandomOverSampler(shrinkage=1.0, random_state=0))
        X_res, _ = sampler.fit_resample(X_int, y)
        assert np.issubdtype(X_res.dtype, np.floating)
        assert np.any(X_res != np.round(X_res))

    def test_random_under_sampling(self, sampler_cls, image_data):
        from imblearn.under_sampling import RandomUnderSampler

        X, y = image_data
        X_res, y_res = sampler_cls(RandomUnderSampler(random_state=0)).fit_resample(X, y)
        assert X_res.shape == (2 * np.bincount(y).min(), 2, 4, 4)

    def test_smote_reshapes_synthetic_rows(self, sampler_cls, sequence_data):
        from imblearn.over_sampling import SMOTE

        X, y = sequence_data
        sampler = sampler_cls(SMOTE(random_state=0))
        X_res, y_res = sampler.fit_resample(X, y)
        assert sampler.sample_indices_ is None
        assert X_res.shape == (2 * np.bincount(y).max(), *X.shape[1:])
        assert X_res.dtype == X.dtype
        # The original samples come first and are unchanged.
        np.testing.assert_array_equal(X_res[: len(X)], X)
        # Synthetic minority samples lie between minority samples: the bump stays in place.
        synthetic = X_res[len(X) :]
        assert np.all(synthetic[:, 0, 10:13].mean(axis=1) > 1.0)

    def test_default_is_random_over_sampling(self, sampler_cls, sequence_data):
        from imblearn.over_sampling import RandomOverSampler

        X, y = sequence_data
        sampler = sampler_cls().fit(X, y)
        assert isinstance(sampler.sampler_, RandomOverSampler)

    def test_resamples_in_fit_only(self, sampler_cls, sequence_data):
        from imblearn.pipeline import Pipeline

        X, y = sequence_data
        pipe = Pipeline([("sampler", sampler_cls()), ("model", DummyClassifier())]).fit(X, y)
        assert pipe.predict(X).shape == y.shape

    def test_bad_input(self, sampler_cls, sequence_data):
        X, y = sequence_data
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            sampler_cls().fit_resample(X, y[:-1])
        with pytest.raises(ValueError, match="Unknown label type"):
            sampler_cls().fit_resample(X, np.linspace(0, 1, len(X)))


class TestFlatten:
    def test_flattens_and_checks_shape(self, image_data):
        from skiwce.comparison import Flatten

        X, _ = image_data
        flat = Flatten().fit(X)
        np.testing.assert_array_equal(flat.transform(X), X.reshape(len(X), -1))
        with pytest.raises(ValueError, match="fitted on samples of shape \\(2, 4, 4\\)"):
            flat.transform(X.reshape(len(X), 2, 2, 8))

    def test_2d_passes(self, imbalanced_data):
        from skiwce.comparison import Flatten

        X, _ = imbalanced_data
        np.testing.assert_array_equal(Flatten().fit_transform(X), X)


class TestAdaBoostNetClassifier:
    @pytest.fixture
    def boost_cls(self):
        from skiwce.comparison import AdaBoostNetClassifier

        return AdaBoostNetClassifier

    def test_warm_start_splits_the_budget(self, boost_cls, imbalanced_data):
        from skiwce import IWCEClassifier

        X, y = imbalanced_data
        net = IWCEClassifier(class_weight=None, max_epochs=6, batch_size=16, lr=0.01)
        boost = boost_cls(net, n_estimators=3, random_state=0).fit(X, y)
        stages = boost.estimators_
        assert len(stages) >= 2
        assert [s.n_iter_ for s in stages] == [2] * len(stages)
        assert stages[0].module == "auto"
        # Later stages start from a copy of the previous stage's network.
        assert all(isinstance(s.module, torch.nn.Module) for s in stages[1:])
        assert stages[1].module is not stages[0].net_.module_
        # It learns: predicting the majority class scores 1/3 balanced accuracy.
        assert balanced_accuracy_score(y, boost.predict(X)) > 0.6

    def test_cold_start(self, boost_cls, imbalanced_data):
        from skiwce import IWCEClassifier

        X, y = imbalanced_data
        net = IWCEClassifier(class_weight=None, max_epochs=2, batch_size=32, lr=0.01)
        boost = boost_cls(net, n_estimators=2, warm_start=False, random_state=0).fit(X, y)
        assert all(s.module == "auto" and s.n_iter_ == 2 for s in boost.estimators_)
        stage = boost_cls(net, n_estimators=2, stage_epochs=1, random_state=0).fit(X, y)
        assert all(s.n_iter_ == 1 for s in stage.estimators_)

    def test_sample_weights_have_mean_one(self, boost_cls, imbalanced_data):
        X, y = imbalanced_data
        _WeightRecorder.means = []
        boost_cls(_WeightRecorder(max_depth=1), n_estimators=3, warm_start=False).fit(X, y)
        assert len(_WeightRecorder.means) == 3
        np.testing.assert_allclose(_WeightRecorder.means, 1.0)

    def test_warm_start_needs_an_iwce_classifier(self, boost_cls, imbalanced_data):
        X, y = imbalanced_data
        with pytest.raises(ValueError, match="warm_start=True needs an IWCEClassifier"):
            boost_cls(DecisionTreeClassifier()).fit(X, y)

    def test_default_estimator(self, boost_cls):
        from skiwce import IWCEClassifier

        X = np.random.RandomState(0).randn(60, 3).astype(np.float32)
        y = (X[:, 0] > 0.5).astype(int)
        boost = boost_cls(n_estimators=1, random_state=0).fit(X, y)
        assert isinstance(boost.estimators_[0], IWCEClassifier)
        assert boost.estimators_[0].class_weight is None


class TestCompare:
    @pytest.fixture
    def compare(self):
        from skiwce.comparison import compare

        return compare

    def test_table(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare(["iwce", "ce"], X, y, cv=3, n_seeds=2, progress=False, common_params=FAST)
        table = result.table
        assert list(table.columns) == [
            "method",
            "seed",
            "fold",
            "n_train",
            "n_test",
            "accuracy",
            "balanced_accuracy",
            "f1_macro",
            "g_mean",
            "recall_0",
            "recall_1",
            "recall_2",
            "f1_0",
            "f1_1",
            "f1_2",
            "fit_time",
            "error",
        ]
        assert len(table) == 2 * 2 * 3
        assert table["method"].tolist() == ["iwce"] * 6 + ["ce"] * 6
        assert table[["seed", "fold"]].drop_duplicates().shape[0] == 6
        assert table["error"].isna().all()
        assert table["balanced_accuracy"].between(0, 1).all()
        np.testing.assert_allclose(
            table["balanced_accuracy"], table[["recall_0", "recall_1", "recall_2"]].mean(axis=1)
        )
        assert set(result.confusion) == {"iwce", "ce"}
        # Each sample is tested once per seed: the summed confusion matrix counts 2 * n.
        assert result.confusion["ce"].sum() == 2 * len(y)

    def test_same_random_state_same_table(self, compare, sequence_data):
        X, y = sequence_data
        kwargs = dict(cv=2, n_seeds=2, progress=False, common_params=FAST, random_state=3)
        names = ["iwce", "smote", "adaboost_dt"]
        first = compare(names, X, y, **kwargs).table.drop(columns="fit_time")
        second = compare(names, X, y, **kwargs).table.drop(columns="fit_time")
        pd.testing.assert_frame_equal(first, second)

    def test_seeds_reshuffle_folds_and_seed_estimators(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare(
            {"dummy": DummyClassifier(strategy="uniform")},
            X,
            y,
            cv=3,
            n_seeds=3,
            reference=None,
            progress=False,
            return_estimators=True,
        )
        seeds = {seed: est.random_state for (_, seed, _), est in result.estimators.items()}
        assert len(set(seeds.values())) == 3
        # Folds differ between seeds: the per-fold scores are not the same.
        scores = result.table.pivot(index="fold", columns="seed", values="accuracy")
        assert not np.allclose(scores[0], scores[1])
        other = compare(
            {"dummy": DummyClassifier(strategy="uniform")},
            X,
            y,
            cv=3,
            n_seeds=1,
            random_state=1,
            reference=None,
            progress=False,
        )
        assert not np.allclose(other.table["accuracy"], result.table["accuracy"][:3])

    def test_nested_random_states_are_seeded(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare(
            ["smote"],
            X,
            y,
            cv=2,
            reference=None,
            progress=False,
            common_params=FAST,
            return_estimators=["smote"],
        )
        est = result.estimators[("smote", 0, 0)]
        params = est.get_params()
        assert params["sampler__sampler__random_state"] == params["net__random_state"]
        assert isinstance(params["net__random_state"], int)

    def test_fixed_test_set(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare(
            ["ce", "iwce"],
            X[:200],
            y[:200],
            X_test=X[200:],
            y_test=y[200:],
            n_seeds=3,
            progress=False,
            common_params=FAST,
        )
        assert len(result.table) == 6
        assert (result.table["fold"] == 0).all()
        assert result.confusion["ce"].sum() == 3 * 100

    def test_failed_fit_is_recorded(self, compare, imbalanced_data):
        X, y = imbalanced_data
        estimators = {"iwce": DummyClassifier(), "broken": _Failing()}
        with pytest.warns(FitFailedWarning, match="2 of 4 fits failed.*'broken'.*boom"):
            result = compare(estimators, X, y, cv=2, progress=False)
        broken = result.table[result.table["method"] == "broken"]
        assert broken["error"].tolist() == ["RuntimeError: boom"] * 2
        assert broken["balanced_accuracy"].isna().all()
        assert result.table.loc[result.table["method"] == "iwce", "error"].isna().all()
        summary = result.summary()
        assert summary.loc["broken", "n_failed"] == 2
        assert np.isnan(summary.loc["broken", "p_value"])
        assert "Failed runs, left out of the means: broken (2 of 2)" in result.to_markdown()
        assert "broken" not in result.confusion

    @pytest.mark.parametrize(
        "backend", ["threading", pytest.param("loky", marks=pytest.mark.slow)]
    )
    def test_parallel_matches_sequential(self, compare, imbalanced_data, backend):
        from joblib import parallel_config

        X, y = imbalanced_data
        estimators = {"iwce": DecisionTreeClassifier(max_depth=2), "dummy": DummyClassifier()}
        kwargs = dict(cv=2, n_seeds=2, progress=False)
        sequential = compare(estimators, X, y, **kwargs).table.drop(columns="fit_time")
        with parallel_config(backend=backend):
            parallel = compare(estimators, X, y, n_jobs=2, **kwargs)
        pd.testing.assert_frame_equal(sequential, parallel.table.drop(columns="fit_time"))

    def test_progress_bar(self, compare, imbalanced_data, capsys):
        X, y = imbalanced_data
        compare({"iwce": DummyClassifier()}, X, y, cv=2, progress=True)
        assert "2/2" in capsys.readouterr().err

    def test_train_scores(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare(
            {"iwce": DecisionTreeClassifier()},
            X,
            y,
            cv=2,
            progress=False,
            return_train_score=True,
        )
        assert (result.table["train_accuracy"] == 1.0).all()
        assert "train_balanced_accuracy" in result.table

    def test_per_class_f1_scores(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare(
            {"iwce": DecisionTreeClassifier(max_depth=2, random_state=0)},
            X,
            y,
            X_test=X[::2],
            y_test=y[::2],
            progress=False,
            return_estimators=True,
        )
        row = result.table.iloc[0]
        y_pred = result.estimators[("iwce", 0, 0)].predict(X[::2])
        expected = f1_score(y[::2], y_pred, average=None, labels=[0, 1, 2])
        np.testing.assert_allclose(row[["f1_0", "f1_1", "f1_2"]].astype(float), expected)
        assert row["f1_macro"] == pytest.approx(expected.mean())

    def test_string_labels(self, compare, imbalanced_data):
        X, y = imbalanced_data
        labels = np.array(["cat", "dog", "eel"])[y]
        result = compare({"iwce": DummyClassifier()}, X, labels, cv=2, progress=False)
        assert {"recall_cat", "recall_dog", "recall_eel"} <= set(result.table.columns)
        assert list(result.labels) == ["cat", "dog", "eel"]

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"estimators": "iwce"}, "Wrap it in a list"),
            ({"estimators": []}, "estimators is empty"),
            ({"estimators": ["iwce", "nope"]}, "Unknown method 'nope'"),
            ({"estimators": {"a": 3}}, "must be an estimator"),
            ({"estimators": ["ce"]}, "reference 'iwce' is not among the methods \\['ce'\\]"),
            ({"X_test": np.zeros((3, 8))}, "both X_test and y_test"),
            ({"cv": 1}, "cv must be an int >= 2"),
            ({"cv": "five"}, "cv must be an int >= 2"),
            ({"n_seeds": 0}, "n_seeds must be an int >= 1"),
            ({"return_estimators": ["ce"]}, "return_estimators names unknown methods"),
        ],
    )
    def test_errors(self, compare, imbalanced_data, kwargs, match):
        X, y = imbalanced_data
        kwargs = {"estimators": {"iwce": DummyClassifier()}, **kwargs}
        with pytest.raises(ValueError, match=match):
            compare(X=X, y=y, progress=False, **kwargs)

    def test_splitter(self, compare, imbalanced_data):
        from sklearn.model_selection import KFold, StratifiedShuffleSplit

        X, y = imbalanced_data
        cv = StratifiedShuffleSplit(n_splits=2, test_size=0.3, random_state=None)
        a = compare(
            {"iwce": DummyClassifier(strategy="uniform")}, X, y, cv=cv, n_seeds=2, progress=False
        )
        b = compare(
            {"iwce": DummyClassifier(strategy="uniform")}, X, y, cv=cv, n_seeds=2, progress=False
        )
        pd.testing.assert_frame_equal(
            a.table.drop(columns="fit_time"), b.table.drop(columns="fit_time")
        )
        c = compare({"iwce": DummyClassifier()}, X, y, cv=KFold(3), progress=False)
        assert len(c.table) == 3

    def test_the_callers_splitter_is_not_changed(self, compare, imbalanced_data):
        from sklearn.model_selection import StratifiedKFold

        X, y = imbalanced_data
        # A splitter of its own, without get_params (so scikit-learn cannot clone it).
        own = _SeededSplitter(random_state=123)
        result = compare(
            {"iwce": DummyClassifier(strategy="uniform")}, X, y, cv=own, n_seeds=2, progress=False
        )
        assert own.random_state == 123
        # The seeds still reached copies of it: the folds differ between the seeds.
        tests = result.table.pivot(index="fold", columns="seed", values="n_test")
        assert not tests[0].equals(tests[1])
        sklearn_cv = StratifiedKFold(3, shuffle=True, random_state=None)
        compare({"iwce": DummyClassifier()}, X, y, cv=sklearn_cv, n_seeds=2, progress=False)
        assert sklearn_cv.random_state is None

    def test_split_sizes_are_recorded(self, compare, imbalanced_data):
        X, y = imbalanced_data
        result = compare({"iwce": DummyClassifier()}, X, y, cv=4, n_seeds=2, progress=False)
        per_seed = result.table.groupby("seed")
        assert (per_seed["n_test"].sum() == len(y)).all()  # each row tested once a seed
        assert (result.table["n_train"] + result.table["n_test"] == len(y)).all()
        fixed = compare(
            {"iwce": DummyClassifier()}, X[:200], y[:200], X_test=X[200:], y_test=y[200:],
            progress=False,
        )  # fmt: skip
        assert fixed.table[["n_train", "n_test"]].values.tolist() == [[200, 100]]


class _SeededSplitter:
    """A shuffling splitter with a random_state and no get_params."""

    def __init__(self, random_state):
        self.shuffle = True
        self.random_state = random_state

    def split(self, X, y=None, groups=None):
        # Unequal folds drawn from the seed, so different seeds give different fold sizes.
        rng = np.random.RandomState(self.random_state)
        cuts = np.sort(rng.choice(np.arange(20, len(X) - 20), size=2, replace=False))
        order = rng.permutation(len(X))
        for test in np.split(order, cuts):
            yield np.setdiff1d(order, test), test


class TestCompareStacked:
    """compare trains the seeds x folds of each plain IWCEClassifier method as one stack."""

    def test_stacked_runs_equal_runs_one_at_a_time(self, imbalanced_data):
        from skiwce.comparison import compare

        X, y = imbalanced_data
        kw = dict(cv=3, n_seeds=2, progress=False, common_params={**FAST, "module": "mlp"})
        # la_posthoc: the stacked models' post-hoc logit adjustment too
        methods = ["iwce", "ce", "wce", "la_posthoc", "smote"]
        stacked = compare(methods, X, y, **kw).table
        alone = compare(methods, X, y, stack=False, **kw).table
        score_cols = [c for c in stacked.columns if c not in ("fit_time", "error")]
        # the same networks up to float rounding (batched against single matrix products)
        pd.testing.assert_frame_equal(stacked[score_cols], alone[score_cols], atol=0.02)
        assert stacked["error"].isna().all()
        # a stack shares its time equally among its runs; SMOTE's runs were fitted alone
        for method in ("iwce", "ce", "wce", "la_posthoc"):
            assert stacked.loc[stacked.method == method, "fit_time"].nunique() == 1
        assert stacked.loc[stacked.method == "smote", "fit_time"].nunique() == 6

    def test_methods_that_differ_only_in_T_share_one_stack(self, imbalanced_data):
        from skiwce.comparison import compare, make_method

        X, y = imbalanced_data
        methods = {f"T={t}": make_method("iwce", T=t, **FAST) for t in (1.0, 10.0)}
        methods["ce"] = make_method("ce", **FAST)
        kw = dict(cv=3, progress=False, reference=None)
        table = compare(methods, X, y, **kw).table
        alone = compare(methods, X, y, stack=False, **kw).table
        times = table.groupby("method")["fit_time"].unique()
        assert len(times["T=1.0"]) == 1 and times["T=1.0"][0] == times["T=10.0"][0]
        assert times["ce"][0] != times["T=1.0"][0]  # class_weight=None: its own stack
        np.testing.assert_allclose(
            table["balanced_accuracy"], alone["balanced_accuracy"], atol=0.02
        )

    def test_stacks_run_as_jobs_of_the_pool(self, imbalanced_data):
        from skiwce.comparison import compare

        X, y = imbalanced_data
        kw = dict(cv=3, progress=False, common_params={**FAST, "module": "mlp"})
        one = compare(["iwce", "ce", "smote"], X, y, **kw).table
        pool = compare(["iwce", "ce", "smote"], X, y, n_jobs=2, **kw).table
        cols = [c for c in one.columns if c != "fit_time"]
        pd.testing.assert_frame_equal(one[cols], pool[cols])
        assert pool.loc[pool.method == "iwce", "fit_time"].nunique() == 1

    def test_a_failing_stack_records_the_error_in_each_run(self, imbalanced_data, monkeypatch):
        import skiwce._stacked_fit as stacked_fit
        from skiwce.comparison import compare

        def fail(*args, **kwargs):
            raise RuntimeError("out of memory")

        monkeypatch.setattr(stacked_fit, "fit_stacked", fail)
        X, y = imbalanced_data
        with pytest.warns(FitFailedWarning, match="6 of 12 fits failed"):
            table = compare(
                ["iwce", "smote"], X, y, cv=3, n_seeds=2, progress=False, common_params=FAST
            ).table
        iwce = table[table.method == "iwce"]
        assert (iwce["error"] == "RuntimeError: out of memory").all()
        assert iwce["balanced_accuracy"].isna().all()
        assert table.loc[table.method == "smote", "error"].isna().all()

    def test_kept_estimators_of_a_stack_predict_and_have_a_history(self, imbalanced_data):
        from skiwce import IWCEClassifier
        from skiwce.comparison import compare, plot_loss_curves, plot_weight_history

        X, y = imbalanced_data
        kw = dict(cv=2, progress=False, common_params=FAST, return_estimators=["iwce"])
        stacked = compare(["iwce", "ce"], X, y, **kw)
        alone = compare(["iwce", "ce"], X, y, stack=False, **kw)
        for key, member in stacked.estimators.items():
            est = alone.estimators[key]
            assert type(est) is IWCEClassifier and type(member) is not IWCEClassifier
            np.testing.assert_allclose(member.predict_proba(X), est.predict_proba(X), atol=1e-3)
            history = member.history_
            np.testing.assert_allclose(
                history[:, "train_loss"], est.net_.history[:, "train_loss"], rtol=1e-4
            )
            np.testing.assert_allclose(
                history[:, "class_weight"], est.net_.history[:, "class_weight"]
            )
        first = stacked.estimators["iwce", 0, 0]
        assert len(plot_weight_history(first).axes) >= 1
        assert len(plot_loss_curves({"iwce": first}).axes[0].lines) == 1


class TestBudgetWarning:
    @pytest.fixture
    def methods(self):
        return {
            "tree": DecisionTreeClassifier(random_state=0),
            "dummy": DummyClassifier(strategy="stratified"),
        }

    @staticmethod
    def fixed_test(X, y):
        return {"X": X[:60], "y": y[:60], "X_test": X[60:], "y_test": y[60:]}

    def test_detectable_difference_by_hand(self):
        from skiwce.comparison._runner import detectable_difference

        # t_{0.975, 4} = 2.7764: 5 folds, n_test / n_train = 1/4
        assert detectable_difference(5, 0.25) == pytest.approx(2.7764451 * np.sqrt(0.45))
        # 5 seeds of a fixed test set: t / sqrt(5)
        assert detectable_difference(5) == pytest.approx(2.7764451 / np.sqrt(5))
        assert detectable_difference(1) == np.inf

    def test_too_few_runs_warn(self, methods, imbalanced_data):
        from skiwce.comparison import BudgetWarning, compare

        X, y = imbalanced_data
        with pytest.warns(BudgetWarning, match=r"3 paired runs .* exceed 3\.9\d standard"):
            compare(methods, X, y, cv=3, progress=False, reference="tree")
        with pytest.warns(BudgetWarning, match="3 paired seeds of the fixed test set"):
            compare(methods, **self.fixed_test(X, y), n_seeds=3, progress=False, reference="tree")

    def test_enough_runs_and_epochs_do_not_warn(self, methods, imbalanced_data):
        import warnings

        from skiwce.comparison import BudgetWarning, compare

        X, y = imbalanced_data
        with warnings.catch_warnings():
            warnings.simplefilter("error", BudgetWarning)
            # 2 seeds x 5 folds: 2.262 * sqrt(1/10 + 1/4) = 1.34 standard deviations
            compare(methods, X, y, cv=5, n_seeds=2, progress=False, reference="tree")
            compare(methods, **self.fixed_test(X, y), n_seeds=5, progress=False, reference="tree")

    def test_short_training_warns_naming_the_methods(self, methods, imbalanced_data):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from skiwce import IWCEClassifier
        from skiwce.comparison import BudgetWarning, compare

        X, y = imbalanced_data
        methods["net"] = make_pipeline(StandardScaler(), IWCEClassifier(max_epochs=5))
        with pytest.warns(BudgetWarning, match=r"networks of \['net'\] train for fewer than 20"):
            compare(methods, X, y, cv=5, n_seeds=2, progress=False, reference="tree")


class TestMetrics:
    @staticmethod
    def old_g_mean(y_true, y_pred, labels):
        """The G-mean as skiwce computed it before imbalanced-learn's geometric_mean_score."""
        from sklearn.metrics import recall_score

        recalls = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
        kept = recalls[np.isin(labels, np.unique(y_true))]
        return float(np.prod(kept) ** (1.0 / len(kept)))

    @pytest.mark.parametrize("case", range(40))
    def test_g_mean_is_unchanged(self, case, recwarn):
        from skiwce.comparison._metrics import scores

        rng = np.random.RandomState(case)
        labels = np.array([0, 1, 2, 3]) if case % 2 else np.array(["ant", "bee", "cat", "dog"])
        y_true = labels[rng.randint(0, 4 - case % 3, size=30)]  # some classes absent
        y_pred = np.where(rng.rand(30) < 0.6, y_true, labels[rng.randint(0, 4, size=30)])
        if case % 5 == 0:
            y_pred[:3] = labels[3]  # predicts a class absent from y_true
        expected = self.old_g_mean(y_true, y_pred, labels)
        assert scores(y_true, y_pred, labels)["g_mean"] == pytest.approx(expected, abs=1e-12)
        assert not recwarn.list

    def test_g_mean_with_a_missed_class_is_zero(self):
        from skiwce.comparison._metrics import scores

        labels = np.array([0, 1, 2])
        out = scores(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0]), labels)
        assert out["g_mean"] == 0.0 and np.isnan(out["recall_2"])


class TestDisplayNames:
    def test_every_method_has_one(self):
        from skiwce.comparison import METHOD_NAMES, METHODS

        assert list(METHOD_NAMES) == list(METHODS)
        assert len(set(METHOD_NAMES.values())) == len(METHOD_NAMES)
        assert METHOD_NAMES["la_loss"] == "Logit-adjusted loss"
        assert METHOD_NAMES["smote"] == "SMOTE + net"

    def test_tables_and_plots_show_them_and_keep_the_codes(self, imbalanced_data):
        from skiwce.comparison import compare, plot_method_heatmap, plot_scores

        X, y = imbalanced_data
        estimators = {"la_loss": DecisionTreeClassifier(max_depth=2), "mine": DummyClassifier()}
        result = compare(estimators, X, y, cv=2, reference="la_loss", progress=False)
        assert result.methods == ["la_loss", "mine"]  # the codes are the keys
        md = result.to_markdown()
        assert "| Logit-adjusted loss |" in md and "| mine |" in md
        assert "Δ Balanced acc. (method − Logit-adjusted loss, points)" in md
        ticks = [t.get_text() for t in plot_scores(result).axes[0].get_xticklabels()]
        assert ticks == ["Logit-adjusted loss", "mine"]
        heat = plot_method_heatmap(result.table.assign(dataset="a"))
        assert [t.get_text() for t in heat.axes[0].get_yticklabels()] == [
            "Logit-adjusted loss",
            "mine",
        ]


class TestPairedWilcoxon:
    @pytest.fixture
    def paired_wilcoxon(self):
        from skiwce.comparison import paired_wilcoxon

        return paired_wilcoxon

    @staticmethod
    def table(ref, other, **extra):
        n = len(ref)
        return pd.DataFrame(
            {
                "method": ["ref"] * n + ["other"] * n,
                "seed": list(np.arange(n) // 3) * 2,
                "fold": list(np.arange(n) % 3) * 2,
                "balanced_accuracy": list(ref) + list(other),
                **extra,
            }
        )

    def test_hand_made_table(self, paired_wilcoxon):
        # All six differences positive and distinct: the exact two-sided p is 2 / 2**6.
        ref = [0.70, 0.71, 0.72, 0.73, 0.74, 0.75]
        other = [0.71, 0.73, 0.75, 0.77, 0.79, 0.81]
        out = paired_wilcoxon(self.table(ref, other), reference="ref")
        assert list(out.index) == ["ref", "other"]
        assert out.loc["other", "n_pairs"] == 6
        assert out.loc["other", "mean_diff"] == pytest.approx(0.035)
        assert out.loc["other", "statistic"] == 0.0
        assert out.loc["other", "p_value"] == pytest.approx(2 / 2**6)
        assert out.loc["ref"].isna().all()

    def test_matches_scipy(self, paired_wilcoxon):
        rng = np.random.RandomState(0)
        ref, other = rng.rand(9), rng.rand(9)
        out = paired_wilcoxon(self.table(ref, other), reference="ref")
        expected = wilcoxon(other - ref)
        assert out.loc["other", "statistic"] == pytest.approx(expected.statistic)
        assert out.loc["other", "p_value"] == pytest.approx(expected.pvalue)

    def test_pairs_by_seed_and_fold_not_by_row_order(self, paired_wilcoxon):
        ref = [0.70, 0.71, 0.72, 0.73, 0.74, 0.75]
        other = [0.71, 0.73, 0.75, 0.77, 0.79, 0.81]
        table = self.table(ref, other)
        shuffled = table.sample(frac=1.0, random_state=0)
        pd.testing.assert_frame_equal(
            paired_wilcoxon(table, reference="ref"),
            paired_wilcoxon(shuffled, reference="ref").loc[["ref", "other"]],
        )

    def test_all_ties(self, paired_wilcoxon, recwarn):
        ref = [0.7, 0.8, 0.9, 0.7, 0.8, 0.9]
        # Differences that are zero up to floating-point rounding count as ties.
        other = [0.1 + 0.6, 0.8, 0.9, 0.7, 0.8, 0.9]
        out = paired_wilcoxon(self.table(ref, other), reference="ref")
        assert out.loc["other", "p_value"] == 1.0
        assert out.loc["other", "statistic"] == 0.0
        assert out.loc["other", "mean_diff"] == pytest.approx(0.0)
        assert not recwarn.list

    def test_too_few_pairs(self, paired_wilcoxon, recwarn):
        out = paired_wilcoxon(self.table([0.7], [0.8]), reference="ref")
        assert out.loc["other", "n_pairs"] == 1
        assert np.isnan(out.loc["other", "p_value"])
        assert not recwarn.list

    def test_failed_runs_are_left_out(self, paired_wilcoxon):
        ref = [0.70, 0.71, np.nan, 0.73, 0.74, 0.75]
        other = [0.71, np.nan, 0.75, 0.77, 0.79, 0.81]
        out = paired_wilcoxon(self.table(ref, other), reference="ref")
        assert out.loc["other", "n_pairs"] == 4
        assert out.loc["other", "mean_diff"] == pytest.approx(np.mean([0.01, 0.04, 0.05, 0.06]))

    def test_pairs_within_datasets(self, paired_wilcoxon):
        a = self.table([0.7, 0.8, 0.9], [0.71, 0.82, 0.93], dataset="a")
        b = self.table([0.7, 0.8, 0.9], [0.74, 0.85, 0.96], dataset="b")
        out = paired_wilcoxon(pd.concat([a, b]), reference="ref")
        assert out.loc["other", "n_pairs"] == 6
        assert out.loc["other", "p_value"] == pytest.approx(2 / 2**6)

    def test_other_metric_and_methods(self, paired_wilcoxon):
        table = self.table([0.7, 0.8, 0.9], [0.6, 0.7, 0.8], f1_macro=[0.5] * 6)
        out = paired_wilcoxon(table, reference="ref", metric="f1_macro", methods=["other"])
        assert list(out.index) == ["other"]
        assert out.loc["other", "p_value"] == 1.0

    def test_errors(self, paired_wilcoxon):
        table = self.table([0.7, 0.8], [0.6, 0.7])
        match = "reference 'x' is not a method.*\\['ref', 'other'\\]"
        with pytest.raises(ValueError, match=match):
            paired_wilcoxon(table, reference="x")
        with pytest.raises(ValueError, match="needs a 'g_mean' column"):
            paired_wilcoxon(table, reference="ref", metric="g_mean")
        with pytest.raises(ValueError, match="to pair runs"):
            paired_wilcoxon(table.drop(columns=["seed", "fold"]), reference="ref")


class TestComparisonResult:
    def test_summary(self, small_result):
        summary = small_result.summary()
        assert list(summary.index) == ["iwce", "stump", "dummy"]
        table = small_result.table
        for method in summary.index:
            rows = table[table["method"] == method]
            assert summary.loc[method, "n_runs"] == 6
            assert summary.loc[method, "accuracy_mean"] == pytest.approx(rows["accuracy"].mean())
            assert summary.loc[method, "g_mean_std"] == pytest.approx(rows["g_mean"].std())
        assert summary.loc["stump", "n_pairs"] == 6
        assert np.isnan(summary.loc["iwce", "p_value"])
        ref = table[table["method"] == "iwce"]["balanced_accuracy"].to_numpy()
        dummy = table[table["method"] == "dummy"]["balanced_accuracy"].to_numpy()
        # The default test over repeated cross-validation is the corrected resampled t-test.
        tests = small_result.tests()
        for column in ["n_pairs", "mean_diff", "ci_low", "ci_high", "p_value", "p_holm"]:
            np.testing.assert_allclose(summary[column], tests[column])
        diffs = dummy - ref
        ratio = np.mean(table["n_test"] / table["n_train"])
        t = diffs.mean() / np.sqrt((1 / 6 + ratio) * diffs.var(ddof=1))
        assert summary.loc["dummy", "p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 5))
        assert summary.loc["dummy", "mean_diff"] == pytest.approx(np.mean(diffs))
        assert summary.loc["dummy", "mean_diff"] < 0
        # The plain Wilcoxon test stays available.
        plain = small_result.summary(test="wilcoxon")
        assert plain.loc["dummy", "p_value"] == pytest.approx(wilcoxon(diffs).pvalue)
        assert np.isnan(plain.loc["dummy", "ci_low"])

    def test_to_markdown(self, small_result):
        md = small_result.to_markdown()
        lines = md.splitlines()
        assert lines[0].startswith("| Method | Accuracy (%) | Balanced acc. (%) |")
        assert lines[0].endswith(
            "| Δ Balanced acc. (method − IWCE, points) | 95 % CI | p (corrected t) | Holm p |"
        )
        assert lines[1].startswith("| --- | ---: |")
        # Display names: the method called "iwce" is shown as IWCE.
        assert [line.split(" | ")[0] for line in lines[2:5]] == ["| IWCE", "| stump", "| dummy"]
        assert "(reference)" in lines[2]
        assert all(line.count("|") == lines[0].count("|") for line in lines[:5])
        assert "**" in md  # the best mean of each column is bold
        assert "6 runs per method (2 seeds × 3 folds)" in md
        assert "Failed runs" not in md

    def test_to_markdown_options(self, small_result):
        md = small_result.to_markdown(["recall_2"], digits=1)
        assert "| recall_2 (%) | Fit time (s) |" in md
        with pytest.raises(ValueError, match="Unknown metrics \\['nope'\\].*recall_0"):
            small_result.to_markdown(["nope"])

    def test_markdown_escapes_and_no_reference(self, imbalanced_data):
        from skiwce.comparison import compare

        X, y = imbalanced_data
        result = compare({"a|b": DummyClassifier()}, X, y, cv=2, reference=None, progress=False)
        md = result.to_markdown()
        assert "| a\\|b |" in md and "Wilcoxon" not in md
        assert result.summary()["p_value"].isna().all()

    def test_repr(self, small_result):
        assert repr(small_result) == (
            "ComparisonResult(methods=['iwce', 'stump', 'dummy'], n_runs=18, n_failed=0, "
            "reference='iwce')"
        )

    def test_save(self, tmp_path, imbalanced_data):
        from skiwce.comparison import compare

        X, y = imbalanced_data
        result = compare(
            ["iwce", "ce"],
            X,
            y,
            cv=2,
            progress=False,
            common_params=FAST,
            return_estimators=["iwce"],
        )
        paths = result.save(tmp_path / "out", metadata={"epochs": 4})
        assert set(paths) == {
            "results.csv",
            "summary.csv",
            "summary.md",
            "settings.json",
            "balanced_accuracy.png",
            "recall_by_method.png",
            "confusion_matrices.png",
            "weight_history.png",
            "loss_curves.png",
        }
        for path in paths.values():
            assert path.exists() and path.stat().st_size > 0
        back = pd.read_csv(paths["results.csv"])
        assert back.shape == result.table.shape
        assert not plt.get_fignums()  # the figures are closed
        assert set(result.save(tmp_path / "bare", plots=False)) == {
            "results.csv",
            "summary.csv",
            "summary.md",
        }


class TestPlots:
    @staticmethod
    def saved(fig, tmp_path, name="plot.png"):
        from matplotlib.figure import Figure

        assert isinstance(fig, Figure)
        path = tmp_path / name
        fig.savefig(path)
        assert path.stat().st_size > 1000
        return path

    def test_plot_alpha(self, tmp_path):
        from skiwce.comparison import plot_alpha

        fig = plot_alpha()
        assert len(fig.axes[0].lines) == 5
        np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata()[-1], 1.0)
        self.saved(fig, tmp_path)
        assert len(plot_alpha(20, n_epochs=50, schedule="step").axes[0].lines) == 1

    def test_plot_weight_history(self, fitted, tmp_path):
        from skiwce.comparison import plot_weight_history

        fig = plot_weight_history(fitted)
        alpha_line = fig.axes[0].lines[0]
        np.testing.assert_allclose(alpha_line.get_ydata(), fitted.net_.history[:, "alpha"])
        assert len(fig.axes[1].lines) == 3
        assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["0", "1", "2"]
        self.saved(fig, tmp_path)
        _, axes = plt.subplots(1, 2)
        fig = plot_weight_history(fitted.net_, labels=["a", "b", "c"], axes=axes)
        assert fig is axes[0].figure

    def test_plot_weight_history_errors(self):
        from skiwce.comparison import plot_weight_history

        with pytest.raises(ValueError, match="fitted IWCEClassifier"):
            plot_weight_history(DummyClassifier())

    def test_plot_loss_curves(self, fitted, tmp_path):
        from skiwce.comparison import plot_loss_curves

        fig = plot_loss_curves(fitted)
        assert len(fig.axes[0].lines) == 2  # train and valid
        self.saved(fig, tmp_path)
        assert len(plot_loss_curves({"a": fitted, "b": fitted}).axes[0].lines) == 4

    def test_plot_recall_by_method(self, small_result, tmp_path):
        from skiwce.comparison import plot_recall_by_method

        fig = plot_recall_by_method(small_result)
        assert len(fig.axes[0].patches) == 3 * 3
        self.saved(fig, tmp_path)
        fig = plot_recall_by_method(small_result.table, methods=["dummy"])
        assert len(fig.axes[0].patches) == 3
        with pytest.raises(ValueError, match="Unknown methods \\['x'\\]"):
            plot_recall_by_method(small_result, methods=["x"])
        with pytest.raises(ValueError, match="no recall_<label> columns"):
            plot_recall_by_method(pd.DataFrame({"method": ["a"]}))
        with pytest.raises(ValueError, match="ComparisonResult or its table"):
            plot_recall_by_method([1, 2])

    def test_plot_scores(self, small_result, tmp_path):
        from skiwce.comparison import plot_scores

        self.saved(plot_scores(small_result, "g_mean"), tmp_path)
        with pytest.raises(ValueError, match="Unknown metric 'nope'"):
            plot_scores(small_result, "nope")

    def test_plot_confusion_matrices(self, small_result, tmp_path):
        from skiwce.comparison import plot_confusion_matrices

        fig = plot_confusion_matrices(small_result, ncols=2)
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in visible] == ["IWCE", "stump", "dummy"]
        # Normalised by the true class: each row of texts sums to 1.
        values = np.array([float(t.get_text()) for t in visible[0].texts]).reshape(3, 3)
        np.testing.assert_allclose(values.sum(axis=1), 1.0, atol=0.02)
        self.saved(fig, tmp_path)
        counts = plot_confusion_matrices(small_result, methods=["dummy"], normalize=None)
        total = sum(float(t.get_text()) for t in counts.axes[0].texts)
        assert total == small_result.confusion["dummy"].sum()
        with pytest.raises(ValueError, match="normalize must be one of"):
            plot_confusion_matrices(small_result, normalize="rows")
        with pytest.raises(ValueError, match="No confusion matrix for \\['x'\\]"):
            plot_confusion_matrices(small_result, methods=["x"])

    def test_plot_method_heatmap(self, small_result, tmp_path):
        from skiwce.comparison import plot_method_heatmap

        table = pd.concat(
            [
                small_result.table.assign(dataset="a"),
                small_result.table.assign(dataset="b"),
            ]
        )
        fig = plot_method_heatmap(table)
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert len(texts) == 3 * 2
        mean = small_result.table.groupby("method")["balanced_accuracy"].mean()["iwce"]
        assert texts[0] == f"{100 * mean:.1f}"
        self.saved(fig, tmp_path)
        with pytest.raises(ValueError, match="needs a 'dataset' column"):
            plot_method_heatmap(small_result)


class TestCompareDataset:
    def test_named_data_set(self):
        from skiwce.comparison import compare_dataset

        result = compare_dataset(
            "digits_lt",
            ["ce", "adaboost_dt"],
            n_seeds=1,
            progress=False,
            common_params={"max_epochs": 1, "module": "mlp"},
        )
        table = result.table
        assert table.columns[0] == "dataset" and (table["dataset"] == "digits_lt").all()
        assert result.reference == "ce"  # iwce is not among the methods
        assert len(table) == 2 and (table["fold"] == 0).all()  # the fixed test split
        assert result.confusion["ce"].sum() == 500

    def test_class_names_label_the_recalls(self):
        from skiwce.comparison import compare_dataset

        result = compare_dataset(
            "paper_quantiles", ["brf"], n_seeds=1, progress=False, reference=None
        )
        assert ["recall_c1", "recall_c2", "recall_c3"] == [
            c for c in result.table.columns if c.startswith("recall_")
        ]

    def test_unknown_data_set(self):
        from skiwce.comparison import compare_dataset

        with pytest.raises(ValueError, match="Unknown data set 'nope'.*paper_quantiles"):
            compare_dataset("nope")


class TestUserData:
    """compare passes X as given: a DataFrame to a pipeline that selects columns by name, a
    sparse matrix to a method that takes it."""

    @staticmethod
    def table(n=120):
        rng = np.random.RandomState(0)
        frame = pd.DataFrame(
            {"a": rng.randn(n), "b": rng.randn(n), "c": rng.choice(["x", "y", "z"], n)}
        )
        y = ((frame["a"] + 0.5 * rng.randn(n) > 0.8) | (frame["c"] == "z")).astype(int)
        return frame, y.to_numpy()

    @staticmethod
    def pipeline(model=None):
        from sklearn.compose import make_column_transformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        columns = make_column_transformer((StandardScaler(), ["a", "b"]), (OneHotEncoder(), ["c"]))
        return make_pipeline(columns, model or LogisticRegression())

    def test_a_named_column_pipeline_gets_the_dataframe(self):
        from sklearn.model_selection import StratifiedKFold, cross_val_score

        from skiwce import IWCEClassifier
        from skiwce.comparison import compare

        frame, y = self.table()
        methods = {
            "net": self.pipeline(IWCEClassifier(**FAST, random_state=0)),
            "logreg": self.pipeline(),
        }
        result = compare(methods, frame, y, cv=3, n_seeds=2, progress=False, reference="net")
        assert result.table["error"].isna().all()
        # the same splits and scores as scikit-learn's cross-validation on the DataFrame
        seed = int(np.random.RandomState(0).randint(0, 2**31 - 1, size=2)[0])
        cv = StratifiedKFold(3, shuffle=True, random_state=seed)
        expected = cross_val_score(self.pipeline(), frame, y, cv=cv, scoring="balanced_accuracy")
        got = result.table.query("method == 'logreg' and seed == 0")["balanced_accuracy"]
        np.testing.assert_allclose(got, expected)
        # a fixed test set of the same kind
        fixed = compare(
            {"logreg": self.pipeline()},
            frame[:80],
            y[:80],
            X_test=frame[80:],
            y_test=y[80:],
            progress=False,
            reference=None,
        )
        assert fixed.table["error"].isna().all()

    def test_named_methods_refuse_text_columns_by_name(self):
        from skiwce.comparison import compare

        frame, y = self.table()
        with pytest.raises(ValueError, match=r"non-numeric columns \['c'\].*OneHotEncoder"):
            compare(["iwce", "ce"], frame, y, cv=2, progress=False)

    def test_named_methods_take_a_numeric_dataframe(self):
        from skiwce.comparison import compare

        frame, y = self.table()
        result = compare(
            ["iwce", "ce"],
            frame[["a", "b"]],
            y,
            cv=2,
            progress=False,
            common_params={**FAST, "max_epochs": 20},
        )
        assert result.table["error"].isna().all()

    def test_sparse_matrix_reaches_the_methods(self):
        import scipy.sparse as sp

        from skiwce import IWCEClassifier
        from skiwce.comparison import compare

        rng = np.random.RandomState(0)
        X = rng.randn(90, 10) * (rng.rand(90, 10) < 0.4)
        y = (X[:, 0] > 0.2).astype(int)
        seen = []

        class Recorder(DecisionTreeClassifier):
            def fit(self, X, y, sample_weight=None):
                seen.append(sp.issparse(X))
                return super().fit(X, y, sample_weight=sample_weight)

        methods = {"iwce": IWCEClassifier(**{**FAST, "max_epochs": 20}), "tree": Recorder()}
        for fmt in ("csr", "coo"):
            result = compare(methods, sp.csr_matrix(X).asformat(fmt), y, cv=2, progress=False)
            assert result.table["error"].isna().all()
        assert seen and all(seen)
        # the stacked engine takes dense arrays: a sparse X trains the runs one by one, as
        # the dense copy does without stacks
        dense = compare(methods, X, y, cv=2, progress=False, stack=False)
        np.testing.assert_allclose(
            result.table["balanced_accuracy"], dense.table["balanced_accuracy"]
        )

    def test_a_numeric_dataframe_trains_stacked_and_in_suites(self):
        from skiwce import IWCEClassifier
        from skiwce.comparison import compare, compare_datasets

        frame, y = self.table(90)
        frame = frame[["a", "b"]]
        net = IWCEClassifier(**{**FAST, "max_epochs": 20}, random_state=0)
        stacked = compare({"iwce": net}, frame, y, cv=2, progress=False, return_estimators=True)
        alone = compare({"iwce": net}, frame.to_numpy(), y, cv=2, progress=False, stack=False)
        assert stacked.table["error"].isna().all()
        assert type(next(iter(stacked.estimators.values()))).__name__ == "StackMember"
        np.testing.assert_allclose(
            stacked.table["balanced_accuracy"], alone.table["balanced_accuracy"], atol=0.05
        )
        full, y_full = self.table()
        suite = compare_datasets(
            {"t1": (full, y_full), "t2": (full[::-1], y_full[::-1])},
            {"logreg": self.pipeline(), "prior": DummyClassifier()},
            cv=5,
            n_seeds=2,
            progress=False,
        )
        assert suite.table["error"].isna().all() and suite.datasets == ["t1", "t2"]

    def test_every_run_failed_says_so(self):
        from skiwce.comparison import compare

        frame, y = self.table()
        with pytest.warns(FitFailedWarning):
            result = compare(
                {"a": _Failing(), "b": _Failing()}, frame, y, cv=2, progress=False, reference="a"
            )
        md = result.to_markdown()
        assert "Every run failed (2 per method): nothing to average or test" in md
        assert "Mean ± std" not in md and "1/0" not in md and "df = 0" not in md


def _parse_markdown_table(lines):
    header = [c.strip() for c in lines[0].strip("|").split(" | ")]
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[2:]]
    return header, rows


class TestReportAgreesWithItself:
    """The sentences under a table use the table's sign convention and point of view."""

    def test_verdicts_use_the_table_delta(self, imbalanced_data):
        import re

        from skiwce.comparison import compare

        X, y = imbalanced_data
        methods = {
            "iwce": DecisionTreeClassifier(max_depth=4),
            "stump": DecisionTreeClassifier(max_depth=1),
            "prior": DummyClassifier(),
        }
        result = compare(methods, X, y, cv=5, n_seeds=2, progress=False)
        md = result.to_markdown()
        lines = md.splitlines()
        header, rows = _parse_markdown_table(lines[: 2 + len(methods)])
        column = header.index("Δ Balanced acc. (method − IWCE, points)")
        deltas = {row[0]: row[column] for row in rows if row[0] != "IWCE"}
        verdict = next(line for line in lines if line.startswith("Verdict"))
        for name, delta in deltas.items():
            sentence = re.search(rf"{name} is ([^(]*)\(Δ = ([-+][0-9.]+)", verdict)
            assert sentence, (name, verdict)
            words, stated = sentence.groups()
            assert stated == delta
            if words.startswith("worse"):
                assert float(delta) < 0
            if words.startswith("better"):
                assert float(delta) > 0
            if words.startswith(("better", "worse")):
                assert f"by {abs(float(delta)):.2f} points" in words
        assert float(deltas["prior"]) < 0 and "prior is worse than IWCE" in verdict

    def test_suite_sentences_match_the_ranks_table(self):
        import re

        from sklearn.datasets import make_classification

        from skiwce.comparison import compare_datasets

        data = {
            f"d{i}": make_classification(n_samples=120, weights=[0.8], random_state=i)
            for i in range(3)
        }
        methods = {
            "iwce": DecisionTreeClassifier(max_depth=4, random_state=0),
            "prior": DummyClassifier(),
        }
        suite = compare_datasets(data, methods, cv=5, n_seeds=2, progress=False)
        lines = suite.to_markdown().splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("| Method | Mean rank"))
        header, rows = _parse_markdown_table(lines[start : start + 4])
        row = next(r for r in rows if r[0] == "prior")
        wtl = row[header.index("Wins/ties/losses vs IWCE")]
        delta = row[header.index("Δ mean (method − IWCE, points)")]
        assert wtl == "0/0/3" and float(delta) < 0
        sentence = next(line for line in lines if line.startswith("  - prior is"))
        assert f"{wtl} wins/ties/losses" in sentence
        assert re.search(rf"mean Δ = {re.escape(delta)} points", sentence)
        assert sentence.startswith("  - prior is ")
        # the per-data-set table and its sentences agree too
        start = next(i for i, line in enumerate(lines) if line.startswith("| Data set |"))
        header, rows = _parse_markdown_table(lines[start : start + 2 + 6])
        for row in rows:
            if row[1] != "prior":
                continue
            line = next(x for x in lines if x.startswith(f"- **{row[0]}**"))
            assert f"Δ = {row[header.index('Δ Balanced acc. (method − IWCE, points)')]}" in line


class TestBudgetWarningsNameTheirDataSets:
    def test_once_per_message_naming_the_data_sets(self):
        import warnings

        from sklearn.datasets import make_classification

        from skiwce.comparison import BudgetWarning, compare_dataset, compare_datasets

        data = {
            f"d{i}": make_classification(n_samples=90, weights=[0.8], random_state=i)
            for i in range(3)
        }
        methods = {"tree": DecisionTreeClassifier(max_depth=2), "prior": DummyClassifier()}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compare_datasets(data, methods, cv=3, progress=False)
        budget = [str(w.message) for w in caught if issubclass(w.category, BudgetWarning)]
        assert len(budget) == 1
        assert budget[0].startswith("The results on d0, d1 and d2 may not be trusted: 3 paired")
        with pytest.warns(BudgetWarning, match="^The results on paper_quantiles may not be"):
            compare_dataset(
                "paper_quantiles", {"prior": DummyClassifier()}, n_seeds=2, progress=False
            )
