"""Tests of skiwce.comparison's statistics: Holm, the paired tests of one data set, and the
Friedman / Nemenyi / Wilcoxon comparison across data sets, against published worked examples
and independent computations."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

# Demsar (2006), JMLR 7:1-30, Table 6: AUC of C4.5 with four settings on 14 UCI data sets, as
# printed (3 decimals). Rows: adult (sample), breast cancer, breast cancer wisconsin, cmc,
# ionosphere, iris, liver disorders, lung cancer, lymphography, mushroom, primary tumor,
# rheum, voting, wine.
DEMSAR_METHODS = ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]
DEMSAR_AUC = np.array(
    [
        [0.763, 0.768, 0.771, 0.798],
        [0.599, 0.591, 0.590, 0.569],
        [0.954, 0.971, 0.968, 0.967],
        [0.628, 0.661, 0.654, 0.657],
        [0.882, 0.888, 0.886, 0.898],
        [0.936, 0.931, 0.916, 0.931],
        [0.661, 0.668, 0.609, 0.685],
        [0.583, 0.583, 0.563, 0.625],
        [0.775, 0.838, 0.866, 0.875],
        [1.000, 1.000, 1.000, 1.000],
        [0.940, 0.962, 0.965, 0.962],
        [0.619, 0.666, 0.614, 0.669],
        [0.972, 0.981, 0.975, 0.975],
        [0.957, 0.978, 0.946, 0.970],
    ]
)
VOTING = 12
# The printed ranks of "voting" are 4, 1, 2, 3: C4.5+cf's 0.975 is ahead of C4.5+m+cf's 0.975
# in the unrounded AUCs. Break that tie the same way; every other tie is a tie in the paper too.
DEMSAR_AUC_AS_RANKED = DEMSAR_AUC.copy()
DEMSAR_AUC_AS_RANKED[VOTING, 2] += 1e-4
DEMSAR_RANKS = [3.143, 2.000, 2.893, 1.964]  # as printed on p. 13
N_DEMSAR = 14


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def demsar_scores(values=DEMSAR_AUC_AS_RANKED):
    return pd.DataFrame(values, columns=DEMSAR_METHODS)


class TestHolm:
    @pytest.fixture
    def holm(self):
        from skiwce.comparison import holm

        return holm

    def test_known_example(self, holm):
        # Sorted: 0.005 * 4 = 0.02, 0.01 * 3 = 0.03, 0.03 * 2 = 0.06, 0.04 * 1 = 0.04 -> 0.06.
        np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])

    def test_capped_at_one_and_monotone(self, holm):
        np.testing.assert_allclose(holm([0.5, 0.3, 0.9]), [1.0, 0.9, 1.0])
        p = np.random.RandomState(0).rand(20) / 10
        adjusted = holm(p)
        order = np.argsort(p)
        assert np.all(np.diff(adjusted[order]) >= 0)
        assert np.all(adjusted >= p)

    def test_single_p_value_is_unchanged(self, holm):
        np.testing.assert_allclose(holm([0.04]), [0.04])

    def test_nan_is_no_test_and_not_counted(self, holm):
        np.testing.assert_allclose(
            holm([np.nan, 0.01, 0.04, np.nan]), [np.nan, 0.02, 0.04, np.nan], equal_nan=True
        )
        assert np.isnan(holm([np.nan])).all() and holm([]).shape == (0,)

    @pytest.mark.parametrize("bad", [[1.2], [-0.1], [[0.1, 0.2]]])
    def test_bad_p_values(self, holm, bad):
        with pytest.raises(ValueError, match="p_values must"):
            holm(bad)


def _runs_table(ref, new, n_train, n_test, **columns):
    """Two methods over 2 seeds x 5 folds."""
    n = len(ref)
    return pd.DataFrame(
        {
            "method": ["ref"] * n + ["new"] * n,
            "seed": list(np.arange(n) // 5) * 2,
            "fold": list(np.arange(n) % 5) * 2,
            "n_train": n_train,
            "n_test": n_test,
            "balanced_accuracy": list(ref) + list(new),
            **columns,
        }
    )


# Two repetitions of 5-fold cross-validation of 100 rows: 80 train, 20 test in every run.
REF = [0.80, 0.78, 0.83, 0.79, 0.81, 0.82, 0.77, 0.80, 0.84, 0.79]
NEW = [0.82, 0.81, 0.83, 0.83, 0.80, 0.85, 0.80, 0.82, 0.86, 0.80]


class TestPairedTests:
    @pytest.fixture
    def paired_tests(self):
        from skiwce.comparison import paired_tests

        return paired_tests

    def test_corrected_t_by_hand(self, paired_tests):
        out = paired_tests(_runs_table(REF, NEW, 80, 20), reference="ref")
        row = out.loc["new"]
        # The formula of Nadeau and Bengio (2003), written out.
        d = np.array(NEW) - np.array(REF)
        J = 10
        mean = sum(d) / J
        s2 = sum((x - mean) ** 2 for x in d) / (J - 1)
        se = np.sqrt((1 / J + 20 / 80) * s2)
        t = mean / se
        half = stats.t.ppf(0.975, J - 1) * se
        assert row["n_pairs"] == J and row["df"] == J - 1
        assert row["mean_diff"] == pytest.approx(0.019)
        assert row["statistic"] == pytest.approx(t)
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(t, J - 1))
        assert row["ci_low"] == pytest.approx(mean - half)
        assert row["ci_high"] == pytest.approx(mean + half)
        assert row["test_train_ratio"] == pytest.approx(0.25)
        assert row["p_holm"] == row["p_value"]  # one method tested
        assert out.loc["ref"].isna().all()

    def test_corrected_t_matches_baycomp(self, paired_tests):
        # baycomp 1.0.3 (Benavoli et al.), CorrelatedTTest.compute_statistics(REF, NEW, runs=2)
        # -> variance of the mean 8.127777777777773e-05, df 9, and probs(REF, NEW, runs=2) ->
        # P(NEW < REF) = 0.03216515435740486. Its correction 1/J + 1/(folds - 1) equals
        # 1/J + n_test/n_train for equal folds; with a flat prior the posterior probability of
        # the other sign is the one-sided p-value of the corrected t-test.
        row = paired_tests(_runs_table(REF, NEW, 80, 20), reference="ref").loc["new"]
        se = row["mean_diff"] / row["statistic"]
        assert se**2 == pytest.approx(8.127777777777773e-05, rel=1e-9)
        assert row["p_value"] == pytest.approx(2 * 0.03216515435740486, rel=1e-9)

    def test_plain_t_matches_scipy(self, paired_tests):
        row = paired_tests(_runs_table(REF, NEW, 80, 20), reference="ref", test="t").loc["new"]
        expected = stats.ttest_rel(NEW, REF)
        ci = expected.confidence_interval(0.95)
        assert row["statistic"] == pytest.approx(expected.statistic)
        assert row["p_value"] == pytest.approx(expected.pvalue)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
        assert np.isnan(row["test_train_ratio"])

    def test_correction_is_less_confident(self, paired_tests):
        table = _runs_table(REF, NEW, 80, 20)
        corrected = paired_tests(table, reference="ref").loc["new"]
        plain = paired_tests(table, reference="ref", test="t").loc["new"]
        assert corrected["p_value"] > plain["p_value"]
        assert corrected["ci_high"] - corrected["ci_low"] > plain["ci_high"] - plain["ci_low"]

    def test_ratio_comes_from_the_split_sizes(self, paired_tests):
        n_test = np.array([20, 20, 20, 20, 19, 21, 20, 20, 20, 19] * 2)
        table = _runs_table(REF, NEW, 100 - n_test, n_test)
        row = paired_tests(table, reference="ref").loc["new"]
        assert row["test_train_ratio"] == pytest.approx(np.mean(n_test[:10] / (100 - n_test[:10])))
        d = np.array(NEW) - np.array(REF)
        se = np.sqrt((1 / 10 + row["test_train_ratio"]) * d.var(ddof=1))
        assert row["statistic"] == pytest.approx(d.mean() / se)

    def test_alpha_sets_the_interval(self, paired_tests):
        table = _runs_table(REF, NEW, 80, 20)
        wide = paired_tests(table, reference="ref", alpha=0.01).loc["new"]
        narrow = paired_tests(table, reference="ref", alpha=0.2).loc["new"]
        assert wide["ci_high"] - wide["ci_low"] > narrow["ci_high"] - narrow["ci_low"]
        assert wide["p_value"] == narrow["p_value"]

    def test_wilcoxon_is_available(self, paired_tests):
        row = paired_tests(_runs_table(REF, NEW, 80, 20), reference="ref", test="wilcoxon")
        expected = stats.wilcoxon(np.array(NEW) - np.array(REF))
        assert row.loc["new", "p_value"] == pytest.approx(expected.pvalue)
        assert np.isnan(row.loc["new", ["ci_low", "ci_high", "df"]].astype(float)).all()

    def test_holm_within_each_data_set(self, paired_tests):
        rng = np.random.RandomState(0)
        parts = []
        for dataset in ["a", "b"]:
            part = _runs_table(REF, NEW, 80, 20, dataset=dataset)
            third = part[part["method"] == "new"].assign(method="third")
            third["balanced_accuracy"] = np.array(REF) + rng.normal(0, 0.02, 10)
            parts += [part, third]
        table = pd.concat(parts, ignore_index=True)
        out = paired_tests(table, reference="ref")
        assert list(out.index) == [(d, m) for d in "ab" for m in ["ref", "new", "third"]]
        for dataset in "ab":
            raw = out.loc[dataset, "p_value"].to_numpy()
            from skiwce.comparison import holm

            np.testing.assert_allclose(out.loc[dataset, "p_holm"], holm(raw), equal_nan=True)
        # Each data set is tested on its own runs only.
        np.testing.assert_allclose(out.loc[("a", "new")], out.loc[("b", "new")])

    def test_failed_runs_are_left_out(self, paired_tests):
        new = list(NEW)
        new[3] = np.nan
        row = paired_tests(_runs_table(REF, new, 80, 20), reference="ref").loc["new"]
        assert row["n_pairs"] == 9 and row["df"] == 8

    def test_no_difference_and_too_few_pairs(self, paired_tests, recwarn):
        same = paired_tests(_runs_table(REF, [x + 0.0 for x in REF], 80, 20), reference="ref")
        row = same.loc["new"]
        assert (row["p_value"], row["ci_low"], row["ci_high"], row["statistic"]) == (1, 0, 0, 0)
        one = paired_tests(_runs_table(REF[:1], NEW[:1], 80, 20), reference="ref").loc["new"]
        assert one["n_pairs"] == 1 and np.isnan(one["p_value"]) and np.isnan(one["p_holm"])
        assert not recwarn.list

    def test_errors(self, paired_tests):
        table = _runs_table(REF, NEW, 80, 20)
        with pytest.raises(ValueError, match="needs the split sizes.*n_train"):
            paired_tests(table.drop(columns="n_train"), reference="ref")
        with pytest.raises(ValueError, match="test must be one of"):
            paired_tests(table, reference="ref", test="z")
        with pytest.raises(ValueError, match="alpha must be"):
            paired_tests(table, reference="ref", alpha=1.5)
        with pytest.raises(ValueError, match="reference 'x' is not a method"):
            paired_tests(table, reference="x")


class TestDemsarExample:
    """Demsar (2006), section 3.2.2: four C4.5 settings on 14 data sets."""

    def test_ranks_from_the_table(self):
        from skiwce.comparison import rank_methods

        ranks = rank_methods(demsar_scores())["mean_rank"]
        assert ranks.round(3).tolist() == DEMSAR_RANKS
        # The table's 3 decimals tie "voting"; ranked as printed, C4.5+cf and C4.5+m+cf move.
        tied = rank_methods(demsar_scores(DEMSAR_AUC))["mean_rank"]
        assert tied.round(3).tolist() == [3.143, 2.000, 2.929, 1.929]

    def test_friedman_and_iman_davenport(self):
        from skiwce.comparison import friedman_test

        result = friedman_test(demsar_scores(), tie_correction=False)
        assert result.mean_ranks.round(3).tolist() == DEMSAR_RANKS
        assert round(result.statistic, 2) == 9.28
        assert round(result.iman_davenport, 2) == 3.69
        assert result.df == 3 and result.iman_davenport_df == (3, 39)
        # "With four algorithms and 14 data sets, F_F is distributed ... with 4 - 1 = 3 and
        # (4 - 1) x (14 - 1) = 39 degrees of freedom. The critical value of F(3, 39) for
        # alpha = 0.05 is 2.85, so we reject the null-hypothesis."
        assert round(stats.f.ppf(0.95, *result.iman_davenport_df), 2) == 2.85
        assert result.iman_davenport > 2.85 and result.iman_davenport_p_value < 0.05
        assert result.p_value == pytest.approx(stats.chi2.sf(result.statistic, 3))

    def test_statistics_from_the_printed_ranks(self):
        from skiwce.comparison._stats import _friedman_chi2, _iman_davenport

        chi2 = _friedman_chi2(DEMSAR_RANKS, N_DEMSAR)
        assert round(chi2, 2) == 9.28
        F, _, df = _iman_davenport(chi2, N_DEMSAR, 4)
        assert round(F, 2) == 3.69 and df == (3, 39)

    def test_nemenyi_critical_difference(self):
        from skiwce.comparison import critical_difference
        from skiwce.comparison._stats import _nemenyi_q

        assert round(_nemenyi_q(4, 0.05), 3) == 2.569
        assert round(critical_difference(4, N_DEMSAR), 2) == 1.25
        assert round(critical_difference(4, N_DEMSAR, alpha=0.10), 2) == 1.12

    @pytest.mark.parametrize(
        "k, alpha, q",
        [(2, 0.05, 1.960), (3, 0.05, 2.343), (4, 0.05, 2.569), (9, 0.05, 3.102),
         (10, 0.05, 3.164), (2, 0.10, 1.645), (4, 0.10, 2.291), (10, 0.10, 2.920)],
    )  # fmt: skip
    def test_nemenyi_critical_values_of_table_5(self, k, alpha, q):
        from skiwce.comparison._stats import _nemenyi_q

        assert _nemenyi_q(k, alpha) == pytest.approx(q, abs=1e-3)

    def test_post_hoc_conclusions(self):
        # "even the difference between the best and the worst is smaller than CD" at 0.05;
        # at 0.10 C4.5 is worse than C4.5+m and C4.5+m+cf, C4.5+cf in neither group.
        from skiwce.comparison import rank_methods
        from skiwce.comparison._plots import _cliques

        strict = rank_methods(demsar_scores(), reference="C4.5")
        assert not strict["nemenyi_significant"].fillna(False).any()
        loose = rank_methods(demsar_scores(), reference="C4.5", alpha=0.10)
        assert loose["nemenyi_significant"].tolist()[1:] == [True, False, True]
        ranks = np.sort(DEMSAR_RANKS)  # m+cf, m, cf, C4.5
        assert _cliques(ranks, 1.254) == [(0, 3)]
        assert _cliques(ranks, 1.118) == [(0, 2), (2, 3)]

    def test_wilcoxon_of_c45_against_c45_m(self):
        # Section 3.1.3 (Table 2): C4.5+m against C4.5, zero differences split, R+ = 93 and
        # R- = 12; T = min(R+, R-) = 12 is below the critical value 21 for N = 14.
        from skiwce.comparison import rank_methods

        c45_m = rank_methods(demsar_scores(DEMSAR_AUC)[["C4.5", "C4.5+m"]], reference="C4.5")
        assert c45_m.loc["C4.5+m", "statistic"] == 12.0
        assert c45_m.loc["C4.5+m", "p_value"] < 0.05
        assert c45_m.loc["C4.5+m", ["wins", "ties", "losses"]].tolist() == [10, 2, 2]

    def test_diagram(self, tmp_path):
        from skiwce.comparison import plot_critical_difference

        ranks = dict(zip(DEMSAR_METHODS, DEMSAR_RANKS, strict=True))
        for alpha, n_cliques in [(0.05, 1), (0.10, 2)]:
            fig = plot_critical_difference(ranks, n_datasets=N_DEMSAR, alpha=alpha)
            lines = {}
            for line in fig.axes[0].lines:
                lines.setdefault(line.get_gid(), []).append(line)
            assert len(lines["clique"]) == n_cliques
            assert len(lines["method"]) == 4
            (cd_line,) = lines["cd"]
            cd = 1.254 if alpha == 0.05 else 1.118
            assert np.diff(cd_line.get_xdata())[0] == pytest.approx(cd, abs=1e-3)
            texts = [t.get_text() for t in fig.axes[0].texts]
            assert "C4.5+m+cf (1.96)" in texts and f"CD = {cd:.2f}" in texts
        fig.savefig(tmp_path / "cd.png")
        assert (tmp_path / "cd.png").stat().st_size > 1000


class TestFriedmanTest:
    @pytest.fixture
    def friedman_test(self):
        from skiwce.comparison import friedman_test

        return friedman_test

    def test_tie_corrected_matches_scipy(self, friedman_test):
        result = friedman_test(DEMSAR_AUC)  # ties in 6 of the 14 rows
        expected = stats.friedmanchisquare(*DEMSAR_AUC.T)
        assert result.statistic == pytest.approx(expected.statistic)
        assert result.p_value == pytest.approx(expected.pvalue)
        assert result.tie_correction
        rng = np.random.RandomState(0)
        scores = rng.rand(7, 5)
        assert friedman_test(scores).statistic == pytest.approx(
            stats.friedmanchisquare(*scores.T).statistic
        )

    def test_lower_is_better(self, friedman_test):
        result = friedman_test(-DEMSAR_AUC_AS_RANKED, greater_is_better=False)
        assert result.mean_ranks.round(3).tolist() == DEMSAR_RANKS

    def test_two_methods(self, friedman_test):
        result = friedman_test([[1, 2], [1, 2], [2, 1]])
        assert result.n_methods == 2 and result.df == 1
        assert result.mean_ranks.tolist() == pytest.approx([5 / 3, 4 / 3])

    def test_extremes(self, friedman_test, recwarn):
        tied = friedman_test(np.ones((4, 3)))
        assert (tied.statistic, tied.p_value, tied.iman_davenport) == (0.0, 1.0, 0.0)
        agree = friedman_test([[3, 2, 1]] * 4)
        assert agree.statistic == pytest.approx(8.0)  # N (k - 1)
        # F_F is infinite; its p-value is the exact chance that 4 random rankings agree.
        assert agree.iman_davenport == np.inf
        assert agree.iman_davenport_p_value == pytest.approx((1 / 6) ** 3)
        two = friedman_test([[0.9, 0.8, 0.8], [0.7, 0.5, 0.5]])  # ties: 3 orders per data set
        assert two.iman_davenport == np.inf and two.iman_davenport_p_value == pytest.approx(1 / 3)
        assert not recwarn.list

    @pytest.mark.parametrize(
        "scores, match",
        [
            ([[0.5, 0.6]], "at least 2 data sets"),
            ([[0.5], [0.6]], "at least 2 data sets"),
            ([[0.5, np.nan], [0.6, 0.7]], "missing values"),
            ([0.5, 0.6], "must be 2-D"),
        ],
    )
    def test_errors(self, friedman_test, scores, match):
        with pytest.raises(ValueError, match=match):
            friedman_test(scores)


class TestRankMethods:
    def test_wins_ties_losses_and_holm(self):
        from skiwce.comparison import holm, rank_methods

        scores = pd.DataFrame(
            {"ref": [0.8, 0.7, 0.9, 0.6, 0.5, 0.75], "a": [0.7, 0.7, 0.8, 0.5, 0.4, 0.7],
             "b": [0.9, 0.8, 0.95, 0.7, 0.6, 0.8]},
        )  # fmt: skip
        out = rank_methods(scores, reference="ref")
        assert out.loc["a", ["wins", "ties", "losses"]].tolist() == [0, 1, 5]
        assert out.loc["b", ["wins", "ties", "losses"]].tolist() == [6, 0, 0]
        assert out.loc["b", "mean_diff"] == pytest.approx(np.mean(scores["b"] - scores["ref"]))
        np.testing.assert_allclose(out["p_holm"], holm(out["p_value"]), equal_nan=True)
        assert out.loc["b", "p_value"] == pytest.approx(2 / 2**6)  # exact, all 6 positive
        assert out.loc["b", "rank_diff"] == pytest.approx(1 - out.loc["ref", "mean_rank"])
        assert out.loc["ref"].drop("mean_rank").isna().all()

    def test_nemenyi_p_agrees_with_the_critical_difference(self):
        from skiwce.comparison import critical_difference, rank_methods

        scores = pd.DataFrame(np.random.RandomState(1).rand(12, 4), columns=list("rabc"))
        scores["c"] += 0.6
        out = rank_methods(scores, reference="r")
        cd = critical_difference(4, 12)
        for method in "abc":
            significant = abs(out.loc[method, "rank_diff"]) >= cd
            assert bool(out.loc[method, "nemenyi_significant"]) == significant
            assert (out.loc[method, "p_nemenyi"] < 0.05) == significant

    def test_mean_ranks_only_and_errors(self):
        from skiwce.comparison import rank_methods

        out = rank_methods([[1, 2, 3], [3, 2, 1]])
        assert list(out.columns) == ["mean_rank"] and out["mean_rank"].tolist() == [2, 2, 2]
        with pytest.raises(ValueError, match="reference 'z' is not a method"):
            rank_methods(pd.DataFrame({"a": [1, 2], "b": [2, 1]}), reference="z")


class TestCriticalDifference:
    def test_formula(self):
        from skiwce.comparison import critical_difference

        q = stats.studentized_range.ppf(0.95, 5, np.inf) / np.sqrt(2)
        assert critical_difference(5, 8) == pytest.approx(q * np.sqrt(5 * 6 / (6 * 8)))

    @pytest.mark.parametrize(
        "args, match",
        [((1, 5), "n_methods must be an int >= 2"), ((3, 0), "n_datasets must be an int"),
         ((3, 2.5), "n_datasets must be an int")],
    )  # fmt: skip
    def test_errors(self, args, match):
        from skiwce.comparison import critical_difference

        with pytest.raises(ValueError, match=match):
            critical_difference(*args)


def test_equal_nonzero_differences_are_not_tested():
    # Two deterministic methods on a fixed test set: every seed gives the same difference,
    # which says nothing about its variance; no p-value, rather than p = 0.
    from skiwce.comparison import ComparisonResult, paired_tests

    table = pd.DataFrame(
        {
            "method": ["ref"] * 3 + ["other"] * 3,
            "seed": [0, 1, 2] * 2,
            "fold": 0,
            "balanced_accuracy": [0.8] * 3 + [0.7] * 3,
        }
    )
    tests = paired_tests(table, reference="ref", test="t")
    assert np.isnan(tests.loc["other", "p_value"]) and np.isnan(tests.loc["other", "p_holm"])
    assert tests.loc["other", "mean_diff"] == pytest.approx(-0.1)
    scores = table["balanced_accuracy"]
    full = table.assign(accuracy=scores, f1_macro=scores, g_mean=scores, fit_time=1.0, error=None)
    result = ComparisonResult(full, [0, 1], "ref", {}, fixed_test=True)
    markdown = result.to_markdown(metrics=["balanced_accuracy"])
    assert "other is not tested against ref (the same difference in every run" in markdown
