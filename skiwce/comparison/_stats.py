"""Paired statistics over the runs of a comparison table."""

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

__all__ = ["paired_wilcoxon"]

#: Columns that identify a run; methods are paired on those the table has.
PAIR_KEYS = ("dataset", "seed", "fold")


def _wilcoxon(diffs):
    """(statistic, p-value) of a two-sided Wilcoxon signed-rank test, without warnings.

    Fewer than 2 pairs give NaN (no test); differences that are all zero give statistic 0 and
    p = 1 (no evidence of a difference).
    """
    if len(diffs) < 2:
        return np.nan, np.nan
    # Scores equal up to rounding are ties, not tiny differences.
    diffs = np.round(diffs, 12)
    if not np.any(diffs):
        return 0.0, 1.0
    res = wilcoxon(diffs, zero_method="wilcox", alternative="two-sided", method="auto")
    return float(res.statistic), float(res.pvalue)


def paired_wilcoxon(table, *, reference, metric="balanced_accuracy", methods=None):
    """Paired Wilcoxon signed-rank test of each method against a reference method.

    Methods are paired on the runs they share, i.e. on the same ``seed`` and ``fold`` (and
    ``dataset`` if the table has that column); runs where either score is missing (a failed fit)
    are left out. The test is scipy's two-sided :func:`scipy.stats.wilcoxon` on the differences
    ``method - reference`` (zero differences dropped, exact p-values for up to 50 pairs without
    ties). With fewer than 2 pairs there is no test (NaN); when all differences are zero,
    ``p_value`` is 1.

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
    for column in ("method", metric):
        if column not in table.columns:
            raise ValueError(f"table needs a {column!r} column; it has {list(table.columns)}.")
    present = list(dict.fromkeys(table["method"]))
    if reference not in present:
        raise ValueError(f"reference {reference!r} is not a method of the table; got {present}.")
    methods = present if methods is None else list(methods)
    keys = [k for k in PAIR_KEYS if k in table.columns]
    if not keys:
        raise ValueError(
            f"table needs at least one of the columns {list(PAIR_KEYS)} to pair runs."
        )

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
