"""Statistics of a comparison.

Per data set: paired tests of each method against a reference over the runs of that data set
(:func:`paired_tests`: the corrected resampled t-test of Nadeau and Bengio for repeated
cross-validation, a plain paired t-test over the seeds of a fixed test split, or the plain
Wilcoxon test) with :func:`holm`'s correction across the methods.

Across data sets: one score per method and data set, their ranks (:func:`rank_methods`), the
Friedman test with the Iman-Davenport F (:func:`friedman_test`), Nemenyi's critical difference
(:func:`critical_difference`) and Holm-corrected Wilcoxon tests over the data sets against the
reference, as Demsar (2006) recommends.
"""

import dataclasses
import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "FriedmanResult",
    "critical_difference",
    "friedman_test",
    "holm",
    "paired_tests",
    "paired_wilcoxon",
    "rank_methods",
]

#: Columns that identify a run; methods are paired on those the table has.
PAIR_KEYS = ("dataset", "seed", "fold")

#: The paired tests of :func:`paired_tests`, with the names the reports use.
TESTS = {
    "corrected_t": "corrected resampled t-test",
    "t": "paired t-test",
    "wilcoxon": "Wilcoxon signed-rank test",
}

_DECIMALS = 12  # scores equal up to rounding are ties, not tiny differences


# -- multiple comparisons -------------------------------------------------------------------


def holm(p_values):
    """Holm's step-down adjustment of p-values for multiple comparisons.

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i + 1`` (``i`` from 1),
    the products are made non-decreasing in that order and capped at 1 (Holm, 1979). Rejecting
    the hypotheses whose adjusted p-value is below ``alpha`` controls the family-wise error rate
    at ``alpha``, with more power than Bonferroni's correction. NaN entries (no test) are left
    NaN and do not count in ``m``.

    Parameters
    ----------
    p_values : array-like of shape (m,)
        Raw p-values in [0, 1], or NaN.

    Returns
    -------
    adjusted : ndarray of shape (m,)
        The adjusted p-values, in the order of ``p_values``.

    Examples
    --------
    >>> from skiwce.comparison import holm
    >>> holm([0.01, 0.04, 0.03, 0.005])
    array([0.03, 0.06, 0.06, 0.02])
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be one-dimensional; got shape {p.shape}.")
    finite = ~np.isnan(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError(f"p_values must lie in [0, 1]; got {p.tolist()}.")
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(finite)
    m = len(tested)
    if m:
        order = tested[np.argsort(p[tested], kind="stable")]
        adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out[order] = np.minimum(adjusted, 1.0)
    return out


# -- paired tests on the runs of one data set ------------------------------------------------


def _wilcoxon(diffs, zero_method="wilcox"):
    """(statistic, p-value) of a two-sided Wilcoxon signed-rank test, without warnings.

    Fewer than 2 pairs give NaN (no test); differences that are all zero give statistic 0 and
    p = 1 (no evidence of a difference). ``zero_method="wilcox"`` drops zero differences,
    ``"zsplit"`` ranks them and splits their ranks between the two sums (Demsar 2006).
    """
    if len(diffs) < 2:
        return np.nan, np.nan
    diffs = np.round(diffs, _DECIMALS)
    if not np.any(diffs):
        return 0.0, 1.0
    res = stats.wilcoxon(diffs, zero_method=zero_method, alternative="two-sided", method="auto")
    return float(res.statistic), float(res.pvalue)


def _t_test(diffs, inflation, alpha):
    """A two-sided one-sample t-test of the mean of ``diffs`` against 0.

    The variance of the mean is ``s**2 * inflation`` (``s**2`` the sample variance, ddof 1):
    ``inflation = 1 / J`` is the plain paired t-test, ``1 / J + n_test / n_train`` Nadeau and
    Bengio's correction. Returns ``(mean, ci_low, ci_high, statistic, df, p_value)`` with the
    ``1 - alpha`` confidence interval of the mean; fewer than 2 differences give NaN, and
    differences that are all 0 p = 1; equal, non-zero differences (two deterministic methods:
    the runs carry no information on the variance) no test, NaN.
    """
    J = len(diffs)
    if J < 2:
        mean = float(np.mean(diffs)) if J else np.nan
        return mean, np.nan, np.nan, np.nan, np.nan, np.nan
    diffs = np.round(diffs, _DECIMALS)
    mean = float(np.mean(diffs))
    df = J - 1
    se = math.sqrt(float(np.var(diffs, ddof=1)) * inflation)
    if se < 1e-12:  # no spread (up to the rounding of the mean of equal numbers)
        if mean == 0.0:
            return 0.0, 0.0, 0.0, 0.0, df, 1.0
        return mean, np.nan, np.nan, np.nan, df, np.nan
    statistic = mean / se
    p_value = 2.0 * float(stats.t.sf(abs(statistic), df))
    half = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    return mean, mean - half, mean + half, statistic, df, p_value


def _check_table(table, metric, reference):
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
    for column in ("method", metric):
        if column not in table.columns:
            raise ValueError(f"table needs a {column!r} column; it has {list(table.columns)}.")
    present = list(dict.fromkeys(table["method"]))
    if reference not in present:
        raise ValueError(f"reference {reference!r} is not a method of the table; got {present}.")
    keys = [k for k in PAIR_KEYS if k in table.columns]
    if not keys:
        raise ValueError(
            f"table needs at least one of the columns {list(PAIR_KEYS)} to pair runs."
        )
    return present, keys


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1; got {alpha!r}.")
    return float(alpha)


def paired_wilcoxon(table, *, reference, metric="balanced_accuracy", methods=None):
    """Paired Wilcoxon signed-rank test of each method against a reference method, pooled.

    Methods are paired on the runs they share, i.e. on the same ``seed`` and ``fold`` (and
    ``dataset`` if the table has that column); runs where either score is missing (a failed fit)
    are left out. The test is scipy's two-sided :func:`scipy.stats.wilcoxon` on the differences
    ``method - reference`` (zero differences dropped, exact p-values for up to 50 pairs without
    ties). With fewer than 2 pairs there is no test (NaN); when all differences are zero,
    ``p_value`` is 1.

    This pools every run into one test, which a statistician would not sign: runs of different
    data sets are not exchangeable, and folds of repeated cross-validation share training rows,
    so the test is far too confident. It is kept for reference; the verdicts of
    :class:`~skiwce.comparison.ComparisonResult` come from :func:`paired_tests` (per data set)
    and :func:`rank_methods` (across data sets).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per method and run, with the columns ``method``, ``metric`` and the pairing
        columns, as :attr:`~skiwce.comparison.ComparisonResult.table`.
    reference : str
        The method the others are compared to.
    metric : str, default="balanced_accuracy"
        The score column to compare.
    methods : list of str or None, default=None
        Methods to test, in this order; None means all methods of the table in order of
        appearance. The reference's own row has NaN statistics.

    Returns
    -------
    tests : pandas.DataFrame
        Indexed by method, with the columns ``n_pairs``, ``mean_diff`` (mean of
        ``method - reference``), ``statistic`` and ``p_value``.

    See Also
    --------
    paired_tests : The tests a statistician would sign, per data set.

    Examples
    --------
    >>> import pandas as pd
    >>> from skiwce.comparison import paired_wilcoxon
    >>> table = pd.DataFrame({
    ...     "method": ["a"] * 6 + ["b"] * 6,
    ...     "seed": [0] * 12,
    ...     "fold": list(range(6)) * 2,
    ...     "balanced_accuracy": [.80, .81, .82, .83, .84, .85, .70, .72, .71, .74, .73, .75],
    ... })
    >>> paired_wilcoxon(table, reference="a")
            n_pairs  mean_diff  statistic  p_value
    method
    a           NaN        NaN        NaN      NaN
    b           6.0     -0.1...        0.0   0.03125
    """
    present, keys = _check_table(table, metric, reference)
    methods = present if methods is None else list(methods)
    scores = table.dropna(subset=[metric]).pivot_table(
        index=keys, columns="method", values=metric, aggfunc="mean"
    )
    rows = {}
    for method in methods:
        if method == reference or method not in scores or reference not in scores:
            rows[method] = (np.nan, np.nan, np.nan, np.nan)
            continue
        pair = scores[[method, reference]].dropna()
        diffs = (pair[method] - pair[reference]).to_numpy(dtype=float)
        statistic, p_value = _wilcoxon(diffs)
        mean_diff = float(diffs.mean()) if len(diffs) else np.nan
        rows[method] = (float(len(diffs)), mean_diff, statistic, p_value)
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["n_pairs", "mean_diff", "statistic", "p_value"]
    )
    out.index.name = "method"
    return out


_TEST_COLUMNS = [
    "n_pairs",
    "mean_diff",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "p_value",
    "p_holm",
    "test_train_ratio",
]


def paired_tests(
    table, *, reference, metric="balanced_accuracy", methods=None, test="corrected_t", alpha=0.05
):
    """Paired tests of each method against a reference, per data set, Holm-corrected.

    Within each data set (each value of the ``dataset`` column, or the whole table without
    one), every method is paired with the reference on the runs they share (same ``seed`` and
    ``fold``; runs where either score is missing are left out) and the ``J`` differences
    ``d = method - reference`` are tested two-sided:

    - ``"corrected_t"``: the corrected resampled t-test of Nadeau and Bengio (2003), as
      Bouckaert and Frank (2004) apply it to repeated cross-validation. Folds share training
      rows, so the differences are correlated and the plain variance of their mean,
      ``s**2 / J``, is far too small; the test uses ``t = mean(d) / sqrt((1/J + n_test/n_train)
      * s**2)`` with ``J - 1`` degrees of freedom, ``J`` = folds x repetitions, ``s**2`` the
      sample variance of ``d`` and ``n_test / n_train`` the mean ratio of the runs' split sizes
      (the ``n_test`` and ``n_train`` columns, which :func:`~skiwce.comparison.compare` records).
    - ``"t"``: the plain paired t-test, ``t = mean(d) / sqrt(s**2 / J)``, ``J - 1`` degrees of
      freedom. Right for independent runs, e.g. several seeds trained on one fixed training set
      and tested on one fixed test set; there it measures the variance due to the seed only
      (initialisation, batch order, resampling), not the variance due to the choice of the data.
    - ``"wilcoxon"``: the plain Wilcoxon signed-rank test (see :func:`paired_wilcoxon`; no
      confidence interval). With repeated cross-validation it is too confident, for the same
      reason as the uncorrected t-test.

    The p-values of the methods of one data set are then adjusted with :func:`holm` (the
    family: the methods tested against the reference on that data set).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per method and run, as :attr:`~skiwce.comparison.ComparisonResult.table`, with
        the columns ``method``, ``metric`` and ``seed`` and/or ``fold``; ``n_train`` and
        ``n_test`` for ``"corrected_t"``.
    reference : str
        The method the others are compared to.
    metric : str, default="balanced_accuracy"
        The score column to compare.
    methods : list of str or None, default=None
        Methods to test, in this order; None means all methods of the table in order of
        appearance. The reference's own row has NaN statistics.
    test : {"corrected_t", "t", "wilcoxon"}, default="corrected_t"
        The test, see above.
    alpha : float, default=0.05
        The confidence intervals are at level ``1 - alpha``.

    Returns
    -------
    tests : pandas.DataFrame
        Indexed by method, or by ``(dataset, method)`` if the table has a ``dataset`` column,
        with the columns ``n_pairs`` (``J``), ``mean_diff`` (mean of ``method - reference``),
        ``ci_low`` and ``ci_high`` (its confidence interval; NaN for ``"wilcoxon"``),
        ``statistic`` (t, or Wilcoxon's W), ``df``, ``p_value``, ``p_holm`` and
        ``test_train_ratio`` (the ``n_test / n_train`` of the correction, NaN for the other
        tests). Fewer than 2 pairs give NaN statistics; differences that are all zero p = 1.

    See Also
    --------
    rank_methods : The comparison across data sets.

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine Learning 52,
    239-281 (2003). R. Bouckaert and E. Frank, "Evaluating the replicability of significance
    tests for comparing learning algorithms", PAKDD 2004. S. Holm, "A simple sequentially
    rejective multiple test procedure", Scand. J. Statist. 6, 65-70 (1979).

    Examples
    --------
    Two repetitions of 5-fold cross-validation of 100 rows (80 train, 20 test each run):

    >>> import pandas as pd
    >>> from skiwce.comparison import paired_tests
    >>> ref = [.80, .78, .83, .79, .81, .82, .77, .80, .84, .79]
    >>> new = [.82, .81, .83, .83, .80, .85, .80, .82, .86, .80]
    >>> table = pd.DataFrame({
    ...     "method": ["ref"] * 10 + ["new"] * 10, "seed": [0] * 5 + [1] * 5 + [0] * 5 + [1] * 5,
    ...     "fold": list(range(5)) * 4, "n_train": 80, "n_test": 20,
    ...     "balanced_accuracy": ref + new})
    >>> tests = paired_tests(table, reference="ref")
    >>> tests.loc["new", ["n_pairs", "mean_diff", "df", "p_value"]].round(4).tolist()
    [10.0, 0.019, 9.0, 0.0643]
    >>> paired_tests(table, reference="ref", test="t").loc["new", "p_value"].round(4)
    np.float64(0.0034)
    """
    present, keys = _check_table(table, metric, reference)
    if test not in TESTS:
        raise ValueError(f"test must be one of {list(TESTS)}; got {test!r}.")
    alpha = _check_alpha(alpha)
    if test == "corrected_t":
        missing = [c for c in ("n_train", "n_test") if c not in table.columns]
        if missing:
            raise ValueError(
                f"the corrected resampled t-test needs the split sizes: table has no "
                f"{missing} column(s). compare records them; or use test='t' or 'wilcoxon'."
            )
    methods = present if methods is None else list(methods)
    run_keys = [k for k in keys if k != "dataset"]
    if not run_keys:
        raise ValueError("table needs a 'seed' or 'fold' column to pair the runs of a data set.")
    if "dataset" in table.columns:
        parts = [
            _paired_tests_one(part, reference, metric, methods, test, alpha, run_keys)
            .assign(dataset=name)
            .set_index("dataset", append=True)
            .reorder_levels(["dataset", "method"])
            for name, part in table.groupby("dataset", sort=False)
        ]
        return pd.concat(parts)
    return _paired_tests_one(table, reference, metric, methods, test, alpha, run_keys)


def _paired_tests_one(table, reference, metric, methods, test, alpha, keys):
    ok = table.dropna(subset=[metric])
    scores = ok.pivot_table(index=keys, columns="method", values=metric, aggfunc="mean")
    ratio = None
    if test == "corrected_t":
        ref_rows = ok[ok["method"] == reference]
        ratio = (
            (ref_rows["n_test"] / ref_rows["n_train"]).groupby([ref_rows[k] for k in keys]).mean()
        )
    rows = {}
    for method in methods:
        row = dict.fromkeys(_TEST_COLUMNS, np.nan)
        if method != reference and method in scores and reference in scores:
            pair = scores[[method, reference]].dropna()
            diffs = (pair[method] - pair[reference]).to_numpy(dtype=float)
            J = len(diffs)
            row["n_pairs"] = float(J)
            if test == "wilcoxon":
                row["mean_diff"] = float(diffs.mean()) if J else np.nan
                row["statistic"], row["p_value"] = _wilcoxon(diffs)
            else:
                inflation = 1.0 / J if J else np.nan
                if test == "corrected_t" and J:
                    row["test_train_ratio"] = float(ratio.reindex(pair.index).mean())
                    inflation += row["test_train_ratio"]
                (
                    row["mean_diff"],
                    row["ci_low"],
                    row["ci_high"],
                    row["statistic"],
                    row["df"],
                    row["p_value"],
                ) = _t_test(diffs, inflation, alpha)
        rows[method] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=_TEST_COLUMNS)
    out["p_holm"] = holm(out["p_value"].to_numpy(dtype=float))
    out.index.name = "method"
    return out


# -- across data sets ------------------------------------------------------------------------


def _score_matrix(scores, name="scores"):
    """Scores as a float DataFrame, rows the data sets (blocks), columns the methods."""
    if isinstance(scores, pd.DataFrame):
        frame = scores.astype(float)
    else:
        values = np.asarray(scores, dtype=float)
        if values.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (data sets x methods); got shape {values.shape}."
            )
        frame = pd.DataFrame(values)
    n, k = frame.shape
    if n < 2 or k < 2:
        raise ValueError(
            f"{name} needs at least 2 data sets (rows) and 2 methods (columns); got {n} x {k}."
        )
    if frame.isna().to_numpy().any():
        incomplete = list(frame.index[frame.isna().any(axis=1)])
        raise ValueError(
            f"{name} has missing values (data sets {incomplete}); every method needs a score "
            "on every data set. Leave the incomplete data sets out."
        )
    return frame


def _ranks(frame, greater_is_better):
    """Ranks within each data set, 1 = best, ties averaged."""
    values = np.round(frame.to_numpy(dtype=float), _DECIMALS)
    ranks = stats.rankdata(-values if greater_is_better else values, axis=1)
    return pd.DataFrame(ranks, index=frame.index, columns=frame.columns)


def _friedman_chi2(mean_ranks, n_datasets):
    """Friedman's statistic from the mean ranks (Demsar 2006, eq. on p. 11), without ties."""
    R = np.asarray(mean_ranks, dtype=float)
    k = len(R)
    return 12.0 * n_datasets / (k * (k + 1)) * (np.sum(R**2) - k * (k + 1) ** 2 / 4.0)


def _iman_davenport(chi2, n_datasets, k):
    """Iman and Davenport's F from Friedman's statistic, with its p-value."""
    denominator = n_datasets * (k - 1) - chi2
    df = (k - 1, (k - 1) * (n_datasets - 1))
    if denominator <= 1e-12 * n_datasets * (k - 1):  # every data set ranks the methods alike
        return math.inf, 0.0, df
    F = (n_datasets - 1) * chi2 / denominator
    return float(F), float(stats.f.sf(F, *df)), df


def _nemenyi_q(n_methods, alpha):
    """Nemenyi's critical value: the studentized range quantile over sqrt(2)."""
    return float(stats.studentized_range.ppf(1.0 - alpha, n_methods, np.inf)) / math.sqrt(2.0)


@dataclasses.dataclass(frozen=True, eq=False)
class FriedmanResult:
    """The outcome of :func:`friedman_test`.

    Attributes
    ----------
    statistic : float
        Friedman's chi-square statistic ``chi2_F``.
    p_value : float
        Its p-value from the chi-square distribution with ``df`` degrees of freedom.
    df : int
        ``k - 1``.
    iman_davenport : float
        Iman and Davenport's ``F_F = (N - 1) chi2_F / (N (k - 1) - chi2_F)``, less conservative
        than ``chi2_F`` (Demsar 2006); infinite when every data set ranks the methods alike.
    iman_davenport_p_value : float
        Its p-value from the F distribution with ``iman_davenport_df`` degrees of freedom; when
        ``iman_davenport`` is infinite, the exact probability under the null hypothesis that
        every data set ranks the methods alike, ``(1 / k!)**(N - 1)`` without ties.
    iman_davenport_df : tuple of int
        ``(k - 1, (k - 1) (N - 1))``.
    mean_ranks : pandas.Series
        Mean rank of each method over the data sets (1 = best, ties averaged).
    n_datasets : int
        ``N``.
    n_methods : int
        ``k``.
    tie_correction : bool
        Whether ``statistic`` was corrected for ties.
    """

    statistic: float
    p_value: float
    df: int
    iman_davenport: float
    iman_davenport_p_value: float
    iman_davenport_df: tuple
    mean_ranks: pd.Series
    n_datasets: int
    n_methods: int
    tie_correction: bool


def friedman_test(scores, *, greater_is_better=True, tie_correction=True):
    """Friedman's test that ``k`` methods perform alike over ``N`` data sets, and its F variant.

    The methods are ranked within each data set (1 = best, ties averaged); with mean ranks
    ``R_j``, Friedman's statistic is ``chi2_F = 12 N / (k (k + 1)) (sum_j R_j**2 - k (k + 1)**2
    / 4)``, chi-square with ``k - 1`` degrees of freedom, and Iman and Davenport's ``F_F = (N -
    1) chi2_F / (N (k - 1) - chi2_F)``, F with ``k - 1`` and ``(k - 1)(N - 1)`` degrees of
    freedom, which Demsar (2006) recommends as less conservative. With ``tie_correction``,
    ``chi2_F`` is divided by ``1 - sum (t**3 - t) / (N k (k**2 - 1))`` over the groups of ``t``
    tied scores, as :func:`scipy.stats.friedmanchisquare` does; Demsar's worked examples use the
    uncorrected statistic. Both are large-sample approximations: with fewer than about 10 data
    sets, read them with care (Demsar 2006 points to exact tables).

    Parameters
    ----------
    scores : pandas.DataFrame or array-like of shape (N, k)
        One score per data set (row) and method (column), e.g. the mean over the runs; at least
        2 of each, no missing values.
    greater_is_better : bool, default=True
        Whether higher scores are better (accuracy) or lower ones (errors, fit time).
    tie_correction : bool, default=True
        Correct ``chi2_F`` for ties.

    Returns
    -------
    result : FriedmanResult

    See Also
    --------
    critical_difference : Nemenyi's post-hoc test.
    rank_methods : Ranks and post-hoc tests against a reference.

    References
    ----------
    J. Demsar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7, 1-30
    (2006). R. Iman and J. Davenport, "Approximations of the critical region of the Friedman
    statistic", Comm. Statist. 9, 571-595 (1980).

    Examples
    --------
    >>> from skiwce.comparison import friedman_test
    >>> scores = [[0.80, 0.75, 0.70], [0.90, 0.85, 0.88], [0.60, 0.55, 0.50], [0.7, 0.6, 0.65]]
    >>> result = friedman_test(scores)
    >>> result.mean_ranks.tolist()
    [1.0, 2.5, 2.5]
    >>> round(result.statistic, 3), round(result.p_value, 4)
    (6.0, 0.0498)
    """
    frame = _score_matrix(scores)
    ranks = _ranks(frame, greater_is_better)
    n, k = frame.shape
    mean_ranks = ranks.mean(axis=0)
    chi2 = float(_friedman_chi2(mean_ranks, n))
    if tie_correction:
        ties = 0.0
        for row in ranks.to_numpy():
            _, counts = np.unique(row, return_counts=True)
            ties += float(np.sum(counts**3 - counts))
        c = 1.0 - ties / (n * k * (k**2 - 1))
        chi2 = chi2 / c if c > 0 else 0.0  # every data set ties every method: no evidence
    chi2 = max(chi2, 0.0)
    F, F_p, F_df = _iman_davenport(chi2, n, k)
    if math.isinf(F):
        # Every data set ranks the methods alike: F_F is infinite and its F approximation
        # meaningless (p = 0 whatever N). The exact p-value is the chance of that under the
        # null, each data set's ranks permuted at random: prod over the other data sets of
        # 1 / (number of distinct orders of its ranks), (1 / k!)**(N - 1) without ties.
        F_p = 1.0
        for row in ranks.to_numpy()[1:]:
            _, counts = np.unique(row, return_counts=True)
            orders = math.factorial(k) // math.prod(math.factorial(int(c)) for c in counts)
            F_p /= orders
    chi2_p = float(stats.chi2.sf(chi2, k - 1))
    return FriedmanResult(
        statistic=chi2,
        p_value=chi2_p,
        df=k - 1,
        iman_davenport=F,
        iman_davenport_p_value=F_p,
        iman_davenport_df=F_df,
        mean_ranks=mean_ranks,
        n_datasets=n,
        n_methods=k,
        tie_correction=bool(tie_correction),
    )


def critical_difference(n_methods, n_datasets, *, alpha=0.05):
    """Nemenyi's critical difference of mean ranks.

    ``CD = q_alpha sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` the ``1 - alpha`` quantile of the
    studentized range of ``k`` means with infinite degrees of freedom, divided by ``sqrt(2)``
    (Demsar 2006, Table 5: 2.569 for ``k = 4`` at ``alpha = 0.05``). Two methods whose mean
    ranks over ``N`` data sets differ by at least ``CD`` perform significantly differently, the
    family-wise error rate of all ``k (k - 1) / 2`` comparisons held at ``alpha``.

    Parameters
    ----------
    n_methods : int
        ``k``, at least 2.
    n_datasets : int
        ``N``, at least 1.
    alpha : float, default=0.05
        The family-wise significance level.

    Returns
    -------
    cd : float

    Examples
    --------
    >>> from skiwce.comparison import critical_difference
    >>> round(critical_difference(4, 14), 3)
    1.254
    """
    for name, value, low in (("n_methods", n_methods, 2), ("n_datasets", n_datasets, 1)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
    alpha = _check_alpha(alpha)
    k, n = int(n_methods), int(n_datasets)
    return _nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n))


def rank_methods(scores, *, reference=None, alpha=0.05, greater_is_better=True):
    """Mean ranks of the methods over data sets, and post-hoc tests against a reference.

    The methods are ranked within each data set (1 = best, ties averaged) and the ranks
    averaged. Against ``reference``, each other method gets its wins, ties and losses over the
    data sets, a two-sided Wilcoxon signed-rank test of its score differences over the ``N``
    data sets, Holm-corrected over the ``k - 1`` comparisons (as Benavoli et al. (2016)
    recommend over tests on mean ranks), and Nemenyi's test of its mean-rank difference
    (significant when it reaches :func:`critical_difference`; the p-value is for the family
    of all pairs, as in a critical-difference diagram).

    With ``N`` data sets and no ties, the smallest two-sided Wilcoxon p-value is ``2 / 2**N``:
    at least 6 data sets are needed for p < 0.05.

    Parameters
    ----------
    scores : pandas.DataFrame or array-like of shape (N, k)
        One score per data set (row) and method (column), no missing values.
    reference : str or None, default=None
        A column of ``scores``; None gives the mean ranks only.
    alpha : float, default=0.05
        Significance level of Nemenyi's critical difference.
    greater_is_better : bool, default=True
        Whether higher scores are better.

    Returns
    -------
    ranks : pandas.DataFrame
        Indexed by method (the columns of ``scores``, in order) with ``mean_rank`` and, with a
        reference, ``wins``, ``ties``, ``losses`` (of the method against the reference),
        ``mean_diff`` (mean score difference, method minus reference), ``statistic`` and
        ``p_value`` of the Wilcoxon test, ``p_holm``, ``rank_diff`` (the method's mean rank
        minus the reference's), ``p_nemenyi`` and ``nemenyi_significant``. The reference's
        row has NaN in the test columns.

    References
    ----------
    A. Benavoli, G. Corani and F. Mangili, "Should we really use post-hoc tests based on
    mean-ranks?", JMLR 17, 1-10 (2016).

    Examples
    --------
    >>> import pandas as pd
    >>> from skiwce.comparison import rank_methods
    >>> scores = pd.DataFrame({"iwce": [.80, .90, .62, .70], "ce": [.75, .85, .60, .60],
    ...                        "wce": [.70, .88, .62, .65]}, index=["a", "b", "c", "d"])
    >>> rank_methods(scores, reference="iwce")[["mean_rank", "wins", "ties", "losses"]]
            mean_rank  wins  ties  losses
    method
    iwce        1.125   NaN   NaN     NaN
    ce          2.750   0.0   0.0     4.0
    wce         2.125   0.0   1.0     3.0
    """
    frame = _score_matrix(scores)
    alpha = _check_alpha(alpha)
    ranks = _ranks(frame, greater_is_better)
    out = pd.DataFrame({"mean_rank": ranks.mean(axis=0)})
    out.index.name = "method"
    if reference is None:
        return out
    if reference not in frame.columns:
        raise ValueError(
            f"reference {reference!r} is not a method (column) of scores; got "
            f"{list(frame.columns)}."
        )
    n, k = frame.shape
    se = math.sqrt(k * (k + 1) / (6.0 * n))
    cd = critical_difference(k, n, alpha=alpha)
    columns = ["wins", "ties", "losses", "mean_diff", "statistic", "p_value", "rank_diff"]
    columns += ["p_nemenyi", "nemenyi_significant"]
    rows = {}
    for method in frame.columns:
        if method == reference:
            rows[method] = {**dict.fromkeys(columns, np.nan), "nemenyi_significant": pd.NA}
            continue
        diffs = np.round((frame[method] - frame[reference]).to_numpy(), _DECIMALS)
        better = diffs > 0 if greater_is_better else diffs < 0
        worse = diffs < 0 if greater_is_better else diffs > 0
        statistic, p_value = _wilcoxon(diffs, zero_method="zsplit")
        rank_diff = float(out.at[method, "mean_rank"] - out.at[reference, "mean_rank"])
        q = abs(rank_diff) / se * math.sqrt(2.0)
        rows[method] = {
            "wins": float(np.sum(better)),
            "ties": float(np.sum(diffs == 0)),
            "losses": float(np.sum(worse)),
            "mean_diff": float(np.mean(diffs)),
            "statistic": statistic,
            "p_value": p_value,
            "rank_diff": rank_diff,
            "p_nemenyi": float(stats.studentized_range.sf(q, k, np.inf)) if q else 1.0,
            "nemenyi_significant": abs(rank_diff) >= cd - 1e-12,
        }
    tests = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    out = out.join(tests)
    out.insert(out.columns.get_loc("p_value") + 1, "p_holm", holm(out["p_value"].to_numpy()))
    out["nemenyi_significant"] = out["nemenyi_significant"].astype("boolean")
    return out
