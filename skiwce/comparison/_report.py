"""Markdown reports of comparisons: the tables, and sentences that state the tests' verdicts."""

import math

import numpy as np
import pandas as pd

from ._baselines import display_name
from ._metrics import METRICS
from ._stats import _nemenyi_q

_SHORT_TESTS = {"corrected_t": "corrected t", "t": "paired t", "wilcoxon": "Wilcoxon"}
_LONG_TESTS = {
    "corrected_t": "corrected resampled t-test",
    "t": "paired t-test over the seeds",
    "wilcoxon": "Wilcoxon signed-rank test",
}


def _md_escape(text):
    return str(text).replace("|", "\\|")


def _md_row(cells):
    return "| " + " | ".join(cells) + " |"


def _finite(value):
    return value is not None and value is not pd.NA and bool(np.isfinite(value))


def _fmt_num(value, digits, signed=False):
    if not _finite(value):
        return "–"
    if signed:
        return f"{round(value, digits) + 0.0:+.{digits}f}"  # no "-0.00"
    return f"{value:.{digits}f}"


def _fmt_pm(mean, std, digits):
    if not _finite(mean):
        return "–"
    if not _finite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _fmt_p(p):
    if not _finite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _p_phrase(p):
    """``p = 0.041`` or ``p < 0.001``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _fmt_ci(low, high, digits):
    if not (_finite(low) and _finite(high)):
        return "–"
    return f"[{_fmt_num(100 * low, digits, True)}, {_fmt_num(100 * high, digits, True)}]"


def _name(method):
    return _md_escape(display_name(method))


def _delta_header(what, reference):
    """The title of a column of differences, with its sign convention:
    ``"Δ Balanced acc. (method − IWCE, points)"``."""
    return f"Δ {what} (method − {reference}, points)"


def _metric_name(metric):
    """The column title of a score: ``"Balanced acc."``."""
    return METRICS.get(metric, metric)


_IN_SENTENCES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "f1_macro": "macro F1",
    "g_mean": "G-mean",
}


def _metric_words(metric):
    """The name of a score in a sentence: ``"balanced accuracy"``."""
    return _IN_SENTENCES.get(metric, metric)


def _points(value, digits):
    """A signed number of points, without ``-0.00``."""
    return _fmt_num(value, digits, signed=True)


def _plural(n, word):
    return f"{n} {word}{'s' * (n != 1)}"


def _level(alpha):
    return f"{100 * (1 - alpha):g} %"


# -- one data set ----------------------------------------------------------------------------


def _runs_sentence(result, n_runs, n_failed=0):
    n_seeds, n_folds = result.table["seed"].nunique(), result.table["fold"].nunique()
    seeds = _plural(n_seeds, "seed")
    if result.fixed_test:
        runs = f"{seeds}, each trained on the training set and tested on the fixed test set"
    elif n_folds > 1:
        runs = f"{seeds} × {n_folds} folds"
    else:
        runs = f"{seeds}, one train/test split each"
    if n_failed:
        return f"Mean ± std over the successful runs of {n_runs} per method ({runs})"
    return f"Mean ± std over {n_runs} runs per method ({runs})"


def describe_test(result, tests, test, test_metric, alpha):
    """What the p-values of a result's table are: the test, its runs and what it measures."""
    reference = _name(result.reference)
    pairs = tests["n_pairs"].to_numpy(dtype=float)
    J = int(np.nanmax(pairs)) if np.isfinite(pairs).any() else 0
    n_tested = int(np.isfinite(tests["p_value"].to_numpy(dtype=float)).sum())
    what = (
        f"Δ: mean paired difference of {_metric_words(test_metric)}, method − {reference}, in "
        "points (negative: the method scores below the reference)"
    )
    if test != "wilcoxon":
        what += f", with its {_level(alpha)} confidence interval"
    if J < 2:
        p = f"p: no test, fewer than 2 successful runs of a method are paired with {reference}'s"
        return f"{what}; {p}"
    if test == "corrected_t":
        ratios = tests["test_train_ratio"].to_numpy(dtype=float)
        ratio = float(np.nanmean(ratios)) if np.isfinite(ratios).any() else math.nan
        p = (
            f"p: two-sided corrected resampled t-test (Nadeau and Bengio, 2003) over the {J} "
            f"shared runs (folds × seeds), its variance of the mean inflated from s²/J to "
            f"(1/J + n_test/n_train) s² = (1/{J} + {ratio:.3f}) s² because the folds share "
            f"training rows, df = {max(J - 1, 0)}"
        )
    elif result.fixed_test:
        runs = "seeds" if test == "t" else "seeds (Wilcoxon signed-rank test)"
        kind = "paired t-test" if test == "t" else "test"
        p = (
            f"p: two-sided {kind} over the {J} {runs}"
            + (f", df = {max(J - 1, 0)}" if test == "t" else "")
            + ". Every run trains on the same training set and tests on the same fixed test "
            "set, so this measures seed variance only (initialisation, batch order, "
            "resampling), not the variance due to the choice of the training and test data"
        )
    else:
        name = "paired t-test" if test == "t" else "paired Wilcoxon signed-rank test"
        p = (
            f"p: two-sided {name} over the {J} shared runs, not corrected for the training "
            "rows that the folds share (too confident; the corrected resampled t-test is "
            "the default)"
        )
    holm = (
        f"Holm p: Holm-corrected over the {_plural(n_tested, 'method')} tested against {reference}"
    )
    return f"{what}; {p}; {holm}"


def verdicts(tests, reference, alpha, digits):
    """``"CE is worse than IWCE by 4.10 points (Δ = -4.10, 95 % CI ...); WCE is not
    distinguishable from IWCE (Δ = +0.20, ...)"``: each method against the reference, every
    number a difference method − reference, as in the tables."""
    parts = []
    ref = display_name(reference)
    for method, row in tests.iterrows():
        if method == reference:
            continue
        name = display_name(method)
        p = row["p_holm"]
        if not _finite(p):
            why = (
                "fewer than 2 shared runs"
                if not row["n_pairs"] >= 2
                else "the same difference in every run: no variance to test"
            )
            parts.append(f"{name} is not tested against {ref} ({why})")
            continue
        delta = 100 * row["mean_diff"]  # the method's score minus the reference's
        details = [f"Δ = {_points(delta, digits)}"]
        if _finite(row["ci_low"]) and _finite(row["ci_high"]):
            low, high = 100 * row["ci_low"], 100 * row["ci_high"]
            details.append(f"{_level(alpha)} CI {_points(low, digits)} to {_points(high, digits)}")
        details = ", ".join(details) + f"; Holm {_p_phrase(p)}"
        if p < alpha and delta != 0:
            verb = "better than" if delta > 0 else "worse than"
            parts.append(f"{name} is {verb} {ref} by {abs(delta):.{digits}f} points ({details})")
        else:
            parts.append(f"{name} is not distinguishable from {ref} ({details})")
    return "; ".join(parts)


def result_markdown(result, metrics, *, test_metric, test, alpha, digits):
    """The Markdown table of :meth:`ComparisonResult.to_markdown`, with its notes."""
    summary = result.summary(test_metric=test_metric, test=test, alpha=alpha)
    tests = None
    if result.reference is not None:
        test = result._test(test)
        tests = result.tests(test_metric, test=test, alpha=alpha)
    grouped = result.table.groupby("method", sort=False)
    means = grouped[metrics].mean().reindex(summary.index)
    stds = grouped[metrics].std(ddof=1).reindex(summary.index)
    test_name = _metric_name(test_metric)
    header = ["Method", *(f"{_metric_name(m)} (%)" for m in metrics), "Fit time (s)"]
    if tests is not None:
        header += [
            _delta_header(test_name, _name(result.reference)),
            f"{_level(alpha)} CI",
            f"p ({_SHORT_TESTS[test]})",
            "Holm p",
        ]
    lines = [_md_row(header), _md_row(["---"] + ["---:"] * (len(header) - 1))]
    best = {m: means[m].max() for m in metrics}
    for method in summary.index:
        row = [_name(method)]
        for m in metrics:
            cell = _fmt_pm(100 * means.at[method, m], 100 * stds.at[method, m], digits)
            if _finite(means.at[method, m]) and means.at[method, m] == best[m]:
                cell = f"**{cell}**"
            row.append(cell)
        row.append(_fmt_num(summary.at[method, "fit_time_mean"], 2))
        if tests is not None:
            if method == result.reference:
                row += ["(reference)", "–", "–", "–"]
            else:
                t = tests.loc[method]
                row.append(_fmt_num(100 * t["mean_diff"], digits, signed=True))
                row.append(_fmt_ci(t["ci_low"], t["ci_high"], digits))
                row.append(_fmt_p(t["p_value"]))
                row.append(_fmt_p(t["p_holm"]))
        lines.append(_md_row(row))
    n_runs = int(summary["n_runs"].max()) if len(summary) else 0
    n_ok = int((summary["n_runs"] - summary["n_failed"]).max()) if len(summary) else 0
    if n_ok == 0:
        first = result.table["error"].dropna()
        note = (
            f"Every run failed ({n_runs} per method): nothing to average or test. The errors "
            "are in the table's error column"
            + (f"; the first: {_md_escape(first.iloc[0])}" if len(first) else "")
        )
        tests = None
    else:
        note = _runs_sentence(result, n_runs, int(summary["n_failed"].sum()))
        if tests is not None:
            note += ". " + describe_test(result, tests, test, test_metric, alpha)
    lines += ["", note + "."]
    if tests is not None:
        verdict = verdicts(tests, result.reference, alpha, digits)
        if verdict:
            lines += ["", f"Verdict at α = {alpha:g}: {verdict}."]
    failed = summary[summary["n_failed"] > 0]
    if len(failed):
        listed = ", ".join(
            f"{_name(m)} ({int(k)} of {int(n)})"
            for m, k, n in zip(failed.index, failed["n_failed"], failed["n_runs"], strict=True)
        )
        lines += ["", f"Failed runs, left out of the means: {listed}."]
    return "\n".join(lines) + "\n"


# -- several data sets -----------------------------------------------------------------------


def _design(result):
    """``"fixed test set, 3 seeds"`` or ``"5 folds × 3 seeds"``."""
    n_seeds, n_folds = result.table["seed"].nunique(), result.table["fold"].nunique()
    if result.fixed_test:
        return f"fixed test set, {_plural(n_seeds, 'seed')}"
    return f"{_plural(n_folds, 'fold')} × {_plural(n_seeds, 'seed')}"


def _across_sentences(suite, metric, alpha, complete, dropped):
    """The bullet points on the comparison across data sets."""
    n, k = complete.shape
    ref = suite.reference
    lines = []
    if n < 2 or k < 2:
        lines.append(
            f"- No test across data sets: the Friedman test needs at least 2 data sets with a "
            f"score for every method and at least 2 methods; there are {n} and {k}."
        )
        return lines
    ranks = suite.ranks(metric, alpha=alpha)
    friedman = suite.friedman(metric)
    order = ranks["mean_rank"].sort_values(kind="stable")
    best = order.index[0]
    if ref is not None:
        lines.append(
            f"- {_name(ref)} ranks {ranks.at[ref, 'mean_rank']:.2f} of {k} (mean rank over "
            f"{n} data sets, 1 = best); the best mean rank is {order.iloc[0]:.2f} "
            f"({_name(best)})."
        )
    else:
        lines.append(
            f"- The best mean rank over {n} data sets is {order.iloc[0]:.2f} of {k} "
            f"({_name(best)}; 1 = best)."
        )
    differ = friedman.iman_davenport_p_value < alpha
    f_p = _p_phrase(friedman.iman_davenport_p_value)
    if math.isinf(friedman.iman_davenport):
        f_p = f"exact {f_p} (every data set ranks the methods alike)"
    caveat = f" (large-sample approximations, rough with {n} data sets)" if n < 10 else ""
    lines.append(
        f"- Friedman test (tie-corrected): χ²_F = {friedman.statistic:.2f}, df = {friedman.df}, "
        f"{_p_phrase(friedman.p_value)}; Iman–Davenport F_F = {friedman.iman_davenport:.2f}, "
        f"df = ({friedman.iman_davenport_df[0]}, {friedman.iman_davenport_df[1]}), {f_p}: the "
        "methods' ranks "
        + ("differ significantly" if differ else "do not differ significantly")
        + f" at α = {alpha:g}{caveat}."
    )
    cd = suite.critical_difference(metric, alpha=alpha)
    lines.append(
        f"- Nemenyi post-hoc test: critical difference CD = {cd:.2f} mean ranks at α = "
        f"{alpha:g} (q = {_nemenyi_q(k, alpha):.3f}, k = {k}, N = {n}); two methods whose mean "
        "ranks differ by less are not significantly different (joined in the diagram)."
    )
    if ref is not None:
        lines.append(
            f"- Each method against {_name(ref)}: its wins/ties/losses over the data sets, the "
            f"mean difference Δ (method − {_name(ref)}) and a Wilcoxon signed-rank test of the "
            f"differences over the {n} data sets, Holm-corrected over the "
            f"{_plural(k - 1, 'comparison')}:"
        )
        for method, row in ranks.iterrows():
            if method == ref:
                continue
            # The method's point of view, as in the ranks table.
            wtl = f"{int(row['wins'])}/{int(row['ties'])}/{int(row['losses'])}"
            p = row["p_holm"]
            delta = 100 * row["mean_diff"]
            if _finite(p) and p < alpha and delta != 0:
                verb = "better than" if delta > 0 else "worse than"
            else:
                verb = "not distinguishable from"
            nemenyi = "at least" if row["nemenyi_significant"] else "less than"
            lines.append(
                f"  - {_name(method)} is {verb} {_name(ref)}: {wtl} wins/ties/losses, mean "
                f"Δ = {_points(delta, 2)} points, Wilcoxon Holm {_p_phrase(p)}; mean ranks "
                f"{row['mean_rank']:.2f} and {ranks.at[ref, 'mean_rank']:.2f} differ by "
                f"{nemenyi} CD (Nemenyi {_p_phrase(row['p_nemenyi'])})."
            )
        smallest = 2.0 / 2**n
        if smallest >= alpha:
            lines.append(
                f"- With {n} data sets no two-sided Wilcoxon test can reach p < {alpha:g} (the "
                f"smallest possible p is {smallest:.3g}): a verdict across data sets needs "
                f"more of them (at least {math.ceil(math.log2(2 / alpha) + 1e-9)})."
            )
    if dropped:
        lines.append(
            "- Left out of the ranks (a method has no score there): "
            + ", ".join(_md_escape(d) for d in dropped)
            + "."
        )
    return lines


def _ranks_table(suite, metric, alpha, complete, digits):
    ranks = suite.ranks(metric, alpha=alpha)
    ref = suite.reference
    header = ["Method", "Mean rank", f"Mean {_metric_words(metric)} (%)"]
    if ref is not None:
        header += [
            f"Wins/ties/losses vs {_name(ref)}",
            _delta_header("mean", _name(ref)),
            "p (Wilcoxon)",
            "Holm p",
            "Nemenyi p",
        ]
    lines = [_md_row(header), _md_row(["---"] + ["---:"] * (len(header) - 1))]
    means = complete.mean(axis=0)
    for method in ranks["mean_rank"].sort_values(kind="stable").index:
        row = ranks.loc[method]
        cells = [_name(method), f"{row['mean_rank']:.2f}", _fmt_num(100 * means[method], digits)]
        if ref is not None:
            if method == ref:
                cells += ["(reference)", "–", "–", "–", "–"]
            else:
                cells += [
                    f"{int(row['wins'])}/{int(row['ties'])}/{int(row['losses'])}",
                    _fmt_num(100 * row["mean_diff"], digits, signed=True),
                    _fmt_p(row["p_value"]),
                    _fmt_p(row["p_holm"]),
                    _fmt_p(row["p_nemenyi"]),
                ]
        lines.append(_md_row(cells))
    note = (
        f"One score per method and data set (the mean over its runs), ranked within each data "
        f"set (1 = best, ties averaged) over {len(complete)} data sets."
    )
    if ref is not None:
        note += (
            f" Wins/ties/losses and Δ are the method's against {_name(ref)}; p: two-sided "
            "Wilcoxon signed-rank test over the data sets (zero differences split, Demsar "
            "2006); Holm p: corrected over the methods; Nemenyi p: the rank difference, for "
            "the family of all pairs."
        )
    return lines + ["", note]


def _per_dataset(suite, metric, alpha, digits):
    """The verdict sentence and the tests table of every data set."""
    lines, rows = [], []
    tests = suite.tests(metric, alpha=alpha)
    ref = suite.reference
    for name, result in suite.results.items():
        part = tests.loc[name]
        test = part["test"].dropna().iloc[0] if part["test"].notna().any() else "t"
        long = _LONG_TESTS[test]
        if result.fixed_test:
            long += ", which measures seed variance only"
        verdict = verdicts(part, ref, alpha, digits)
        lines.append(
            f"- **{_md_escape(name)}** ({_design(result)}; {long}): "
            + (verdict if verdict else "one method only")
            + "."
        )
        means = result.table.groupby("method", sort=False)[metric].mean()
        for method in result.methods:
            t = part.loc[method]
            cells = [_md_escape(name), _name(method), _fmt_num(100 * means.get(method), digits)]
            if method == ref:
                cells += ["(reference)", "–", "–", "–", "–"]
            else:
                cells += [
                    _fmt_num(100 * t["mean_diff"], digits, signed=True),
                    _fmt_ci(t["ci_low"], t["ci_high"], digits),
                    _fmt_p(t["p_value"]),
                    _fmt_p(t["p_holm"]),
                    _SHORT_TESTS[test],
                ]
            rows.append(_md_row(cells))
    header = [
        "Data set",
        "Method",
        f"{_metric_name(metric)} (%)",
        _delta_header(_metric_name(metric), _name(ref)),
        f"{_level(alpha)} CI",
        "p",
        "Holm p",
        "Test",
    ]
    table = [_md_row(header), _md_row(["---", "---"] + ["---:"] * 5 + ["---"]), *rows]
    return lines, table


def suite_markdown(suite, *, metric, alpha, digits, diagram=None):
    """The report of :meth:`SuiteResult.to_markdown`."""
    complete, dropped = suite._complete_scores(metric)
    n_data = len(suite.datasets)
    ref = suite.reference
    title = (
        f"# {_name(ref)} against {_plural(len(suite.methods) - 1, 'method')} on "
        f"{_plural(n_data, 'data set')}"
        if ref is not None
        else f"# {_plural(len(suite.methods), 'method')} on {_plural(n_data, 'data set')}"
    )
    lines = [
        title,
        "",
        f"Score: {_metric_words(metric)}. Data sets: "
        + ", ".join(_md_escape(d) for d in suite.datasets)
        + ".",
        "",
        "## Across data sets",
        "",
        *_across_sentences(suite, metric, alpha, complete, dropped),
    ]
    n, k = complete.shape
    if n >= 2 and k >= 2:
        if diagram:
            lines += ["", f"![Critical-difference diagram]({diagram})"]
        lines += ["", *_ranks_table(suite, metric, alpha, complete, digits)]
    if ref is not None:
        sentences, table = _per_dataset(suite, metric, alpha, digits)
        lines += [
            "",
            "## Per data set",
            "",
            f"Each method against {_name(ref)} over the runs of each data set: the corrected "
            "resampled t-test (Nadeau and Bengio, 2003) over repeated cross-validation, a "
            "paired t-test over the seeds for a fixed test set (seed variance only); "
            f"Holm-corrected over the methods of the data set; verdicts at α = {alpha:g}, "
            f"Δ = the method's score − {_name(ref)}'s.",
            "",
            *sentences,
            "",
            *table,
        ]
    for name, result in suite.results.items():
        lines += [
            "",
            f"## {_md_escape(name)}",
            "",
            result.to_markdown(test_metric=metric, alpha=alpha, digits=digits).rstrip("\n"),
        ]
    return "\n".join(lines) + "\n"
