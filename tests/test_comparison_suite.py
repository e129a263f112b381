"""Tests of skiwce.comparison.compare_datasets and SuiteResult: several data sets, their tests,
ranks, report and files."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


class _FailsOnFiveFeatures(ClassifierMixin, BaseEstimator):
    """A stump that cannot fit data with 5 features: a method with no score on a data set."""

    def fit(self, X, y):
        if X.shape[1] == 5:
            raise RuntimeError("five features")
        self.tree_ = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
        self.classes_ = self.tree_.classes_
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def _data(seed, n=150, n_features=6):
    X, y = make_classification(
        n_samples=n, n_features=n_features, n_informative=3, weights=[0.75], random_state=seed
    )
    return X.astype(np.float32), y


def _estimators():
    return {
        "iwce": DecisionTreeClassifier(max_depth=3),
        "stump": DecisionTreeClassifier(max_depth=1),
        "prior": DummyClassifier(strategy="stratified"),
    }


@pytest.fixture(scope="module")
def data():
    out = {f"cv{i}": _data(i) for i in range(4)}
    out["fixed"] = (*_data(10, n=120), *_data(11, n=80))
    return out


@pytest.fixture(scope="module")
def suite(data):
    from skiwce.comparison import compare_datasets

    return compare_datasets(data, _estimators(), cv=3, n_seeds=2, progress=False)


class TestCompareDatasets:
    def test_one_comparison_per_data_set(self, suite, data):
        from skiwce.comparison import ComparisonResult, SuiteResult

        assert isinstance(suite, SuiteResult)
        assert suite.datasets == list(data) and suite.methods == ["iwce", "stump", "prior"]
        assert suite.reference == "iwce"
        for name, result in suite.results.items():
            assert isinstance(result, ComparisonResult)
            assert (result.table["dataset"] == name).all()
            assert result.fixed_test == (name == "fixed")
        table = suite.table
        assert table.columns[0] == "dataset" and len(table) == 4 * 3 * 6 + 3 * 2
        fixed = table[table["dataset"] == "fixed"]
        assert (fixed["n_train"] == 120).all() and (fixed["n_test"] == 80).all()
        cv = table[table["dataset"] == "cv0"]
        assert set(cv["n_test"]) == {50} and set(cv["n_train"]) == {100}

    def test_scores_are_the_means_over_runs(self, suite):
        scores = suite.scores()
        means = suite.table.groupby(["dataset", "method"])["balanced_accuracy"].mean()
        for (dataset, method), value in means.items():
            assert scores.at[dataset, method] == pytest.approx(value)
        assert list(scores.index) == suite.datasets and list(scores.columns) == suite.methods

    def test_tests_per_data_set(self, suite):
        from skiwce.comparison import paired_tests

        tests = suite.tests()
        assert tests.index.names == ["dataset", "method"]
        assert set(tests.loc["cv0", "test"]) == {"corrected_t"}
        assert set(tests.loc["fixed", "test"]) == {"t"}  # seeds on one test set
        table = suite.table
        cv1 = paired_tests(table[table["dataset"] == "cv1"], reference="iwce").loc["cv1"]
        np.testing.assert_allclose(
            tests.loc["cv1", "p_holm"].astype(float), cv1["p_holm"], equal_nan=True
        )
        assert tests.loc[("cv2", "stump"), "n_pairs"] == 6
        assert tests.loc[("fixed", "stump"), "n_pairs"] == 2

    def test_ranks_and_friedman_use_one_score_per_data_set(self, suite):
        from skiwce.comparison import critical_difference, friedman_test, rank_methods

        scores = suite.scores()
        pd.testing.assert_frame_equal(suite.ranks(), rank_methods(scores, reference="iwce"))
        assert suite.friedman().statistic == pytest.approx(friedman_test(scores).statistic)
        assert suite.critical_difference() == pytest.approx(critical_difference(3, 5))

    def test_report_sentences_come_from_the_tests(self, suite):
        md = suite.to_markdown()
        ranks = suite.ranks()
        friedman = suite.friedman()
        assert md.startswith("# IWCE against 2 methods on 5 data sets")
        assert f"- IWCE ranks {ranks.at['iwce', 'mean_rank']:.2f} of 3" in md
        assert f"χ²_F = {friedman.statistic:.2f}" in md
        assert f"CD = {suite.critical_difference():.2f} mean ranks" in md
        holm_stump = ranks.at["stump", "p_holm"]
        assert f"Wilcoxon Holm p = {holm_stump:.3f}" in md
        assert "the smallest possible p is 0.0625" in md  # 5 data sets
        tests = suite.tests()
        p = tests.loc[("cv0", "prior"), "p_holm"]
        phrase = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        line = next(x for x in md.splitlines() if x.startswith("- **cv0**"))
        assert "corrected resampled t-test" in line and f"Holm {phrase}" in line
        delta = tests.loc[("cv0", "prior"), "mean_diff"]
        verb = (
            ("better than" if delta > 0 else "worse than") if p < 0.05 else "not distinguishable"
        )
        assert f"prior is {verb}" in line
        fixed = next(x for x in md.splitlines() if x.startswith("- **fixed**"))
        assert "measures seed variance only" in fixed
        assert "## cv0" in md and "## fixed" in md  # each data set's own table
        assert "![Critical-difference diagram]" not in md

    def test_save(self, suite, tmp_path):
        paths = suite.save(tmp_path / "out", metadata={"seeds": 2})
        top = {name for name in paths if "/" not in name}
        assert top == {
            "results.csv",
            "scores.csv",
            "tests.csv",
            "ranks.csv",
            "summary.md",
            "settings.json",
            "heatmap.png",
            "critical_difference.png",
        }
        assert {name.split("/")[0] for name in paths if "/" in name} == set(suite.datasets)
        assert "cv0/summary.md" in paths and "fixed/balanced_accuracy.png" in paths
        for path in paths.values():
            assert path.exists() and path.stat().st_size > 0
        assert paths["critical_difference.png"].stat().st_size > 5000
        md = paths["summary.md"].read_text(encoding="utf-8")
        assert "![Critical-difference diagram](critical_difference.png)" in md
        back = pd.read_csv(paths["ranks.csv"], index_col="method")
        np.testing.assert_allclose(back["mean_rank"], suite.ranks()["mean_rank"])
        assert len(pd.read_csv(paths["results.csv"])) == len(suite.table)
        assert not plt.get_fignums()
        bare = suite.save(tmp_path / "bare", plots=False)
        assert not [p for p in bare if p.endswith(".png")]
        assert "](critical_difference.png)" not in bare["summary.md"].read_text("utf-8")

    def test_diagram_of_a_suite(self, suite):
        from skiwce.comparison import plot_critical_difference

        fig = plot_critical_difference(suite)
        texts = [t.get_text() for t in fig.axes[0].texts]
        ranks = suite.ranks()["mean_rank"]
        assert f"IWCE ({ranks['iwce']:.2f})" in texts  # display names
        assert f"CD = {suite.critical_difference():.2f}" in texts
        with pytest.raises(ValueError, match="n_datasets is taken from the suite"):
            plot_critical_difference(suite, n_datasets=3)

    def test_a_method_without_scores_on_a_data_set_is_left_out_of_the_ranks(self, data):
        from skiwce.comparison import compare_datasets

        datasets = {**data, "five": _data(20, n_features=5)}
        estimators = {**_estimators(), "fragile": _FailsOnFiveFeatures()}
        with pytest.warns(FitFailedWarning, match="3 of 12 fits failed"):
            suite = compare_datasets(datasets, estimators, cv=3, n_seeds=1, progress=False)
        assert np.isnan(suite.scores().at["five", "fragile"])
        assert len(suite.friedman().mean_ranks) == 4 and suite.friedman().n_datasets == 5
        assert "Left out of the ranks (a method has no score there): five." in suite.to_markdown()

    def test_no_reference_and_one_data_set(self, data):
        from skiwce.comparison import compare_datasets

        one = compare_datasets({"cv0": data["cv0"]}, _estimators(), cv=2, progress=False)
        assert "No test across data sets" in one.to_markdown()
        suite = compare_datasets(
            {"cv0": data["cv0"], "cv1": data["cv1"]},
            _estimators(),
            cv=2,
            reference=None,
            progress=False,
        )
        assert list(suite.ranks().columns) == ["mean_rank"]
        md = suite.to_markdown()
        assert md.startswith("# 3 methods on 2 data sets") and "Per data set" not in md

    def test_named_data_sets(self):
        from skiwce.comparison import Flatten, compare_datasets

        tree = make_pipeline(Flatten(), DecisionTreeClassifier(max_depth=3))
        suite = compare_datasets(
            ["paper_quantiles", "digits_lt"],
            {"brf": tree, "prior": DummyClassifier()},
            n_seeds=2,
            progress=False,
        )
        assert suite.reference == "brf"  # iwce is not a method: the first one
        assert all(result.fixed_test for result in suite.results.values())
        assert "recall_c1" in suite.results["paper_quantiles"].table.columns
        assert set(suite.tests()["test"]) == {"t"}
        # Display names: the method called "brf" is shown as the balanced random forest.
        assert "Balanced random forest" in suite.to_markdown()
        assert set(suite.table["method"]) == {"brf", "prior"}  # the codes stay the keys

    @pytest.mark.parametrize(
        "datasets, match",
        [
            ("digits", "Wrap it in a list, or use compare_dataset"),
            ([], "datasets is empty"),
            (["digits", "digits"], "must not repeat"),
            (["nope"], "Unknown data set 'nope'.*paper_quantiles"),
            ([("X", "y")], "must hold data set names"),
            ({"a": [1, 2]}, "must be \\(X, y\\)"),
            ({"a": {"data": [[1]]}}, "has no \\['target'\\]"),
        ],
    )
    def test_errors(self, datasets, match):
        from skiwce.comparison import compare_datasets

        with pytest.raises(ValueError, match=match):
            compare_datasets(datasets, _estimators(), progress=False)

    def test_compare_dataset_takes_one_name(self):
        from skiwce.comparison import compare_dataset

        with pytest.raises(ValueError, match="Use compare_datasets for several"):
            compare_dataset(["digits", "digits_lt"])


class TestSaveEdgeCases:
    def test_names_that_clean_to_one_folder_get_their_own(self, data, tmp_path):
        from skiwce.comparison import compare_datasets

        given = {"a b": data["cv0"], "a_b": data["cv1"], "A_B": data["cv2"]}
        suite = compare_datasets(given, _estimators(), cv=2, progress=False)
        paths = suite.save(tmp_path, plots=False)
        folders = {name.split("/")[0] for name in paths if "/" in name}
        assert folders == {"a_b", "a_b_2", "A_B_3"}
        for folder, name in [("a_b", "a b"), ("a_b_2", "a_b"), ("A_B_3", "A_B")]:
            table = pd.read_csv(paths[f"{folder}/results.csv"])
            assert set(table["dataset"]) == {name}

    def test_the_metric_reaches_each_data_set(self, suite, tmp_path):
        paths = suite.save(tmp_path, plots=False, metric="g_mean")
        assert "G-mean" in paths["cv0/summary.md"].read_text(encoding="utf-8")
        assert "difference of balanced accuracy" not in paths["cv0/summary.md"].read_text(
            encoding="utf-8"
        )


class TestSingleDataSetTests:
    """The paired tests of one ComparisonResult follow its design."""

    def test_fixed_test_set_uses_a_t_test_over_seeds_and_says_so(self, data):
        from skiwce.comparison import compare

        X, y, X_test, y_test = data["fixed"]
        result = compare(
            _estimators(), X, y, X_test=X_test, y_test=y_test, n_seeds=3, progress=False
        )
        assert result.fixed_test
        tests = result.tests()
        assert tests.attrs["test"] == "t" and tests.loc["stump", "df"] == 2
        md = result.to_markdown()
        assert "| p (paired t) | Holm p |" in md
        assert "paired t-test over the 3 seeds, df = 2" in md
        assert "measures seed variance only" in md
        with pytest.raises(ValueError, match="these runs share one fixed test set"):
            result.tests(test="corrected_t")
        assert "Wilcoxon signed-rank test" in result.to_markdown(test="wilcoxon")

    def test_cross_validation_uses_the_corrected_t_test(self, data):
        from skiwce.comparison import compare

        X, y = data["cv0"]
        result = compare(_estimators(), X, y, cv=3, n_seeds=2, progress=False)
        assert not result.fixed_test and result.tests().attrs["test"] == "corrected_t"
        md = result.to_markdown()
        assert "corrected resampled t-test (Nadeau and Bengio, 2003) over the 6 shared" in md
        assert "(1/6 + 0.500) s²" in md
        assert "Verdict at α = 0.05: stump is " in md
        with pytest.raises(ValueError, match="test must be 'auto' or one of"):
            result.tests(test="z")
        with pytest.raises(ValueError, match="no reference"):
            compare(_estimators(), X, y, cv=2, progress=False, reference=None).tests()
