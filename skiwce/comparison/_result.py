"""The outcomes of a comparison: :class:`ComparisonResult` (one data set) and
:class:`SuiteResult` (several data sets)."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._baselines import display_name
from ._metrics import METRICS
from ._stats import TESTS, critical_difference, friedman_test, paired_tests, rank_methods

__all__ = ["ComparisonResult", "SuiteResult"]


def _write_metadata(path, metadata):
    path.write_text(json.dumps(metadata, indent=2, default=str) + "\n", encoding="utf-8")


def _save_figures(figures, path, dpi):
    import matplotlib.pyplot as plt

    for name, draw in figures.items():
        fig = draw()
        try:
            fig.savefig(path(name), dpi=dpi)
        finally:
            plt.close(fig)


def _collector(directory):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}

    def path(name):
        paths[name] = directory / name
        return paths[name]

    return paths, path


class ComparisonResult:
    """The outcome of :func:`compare`: a tidy table of runs, with summaries and tests.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per method, seed and fold (see :func:`compare`).
    labels : array-like
        The class labels, in the order of the ``recall_<label>`` columns and of the confusion
        matrices.
    reference : str or None
        The method the paired tests compare against.
    confusion : dict
        Method name to its confusion matrix summed over the runs (rows: true labels).
    estimators : dict or None, default=None
        ``(method, seed, fold)`` to the fitted estimator, if ``compare`` kept them.
    fixed_test : bool, default=False
        Whether every run was tested on one fixed test set (``compare``'s ``X_test``), which
        decides the default paired test (see :meth:`tests`).

    Attributes
    ----------
    table : pandas.DataFrame
        The ``table`` parameter.
    labels : ndarray
        The ``labels`` parameter.
    reference : str or None
        The ``reference`` parameter.
    confusion : dict
        The ``confusion`` parameter.
    estimators : dict or None
        The ``estimators`` parameter.
    fixed_test : bool
        The ``fixed_test`` parameter.
    methods : list of str
        The methods in the order they were given.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skiwce.comparison import compare
    >>> X, y = make_classification(n_samples=200, weights=[0.8], random_state=0)
    >>> result = compare({"tree": DecisionTreeClassifier(max_depth=3),
    ...                   "prior": DummyClassifier()}, X, y, cv=3, n_seeds=2,
    ...                  reference="tree", progress=False)
    >>> result
    ComparisonResult(methods=['tree', 'prior'], n_runs=12, n_failed=0, reference='tree')
    >>> result.summary().loc["prior", ["balanced_accuracy_mean", "n_pairs"]].tolist()
    [0.5, 6.0]
    >>> tests = result.tests()  # the corrected resampled t-test over 3 folds x 2 seeds
    >>> tests.loc["prior", ["n_pairs", "df", "test_train_ratio"]].round(3).tolist()
    [6.0, 5.0, 0.5]
    >>> bool(tests.loc["prior", "p_holm"] < 0.05)
    True
    >>> result.confusion["prior"]  # summed over the runs: each sample is tested once a seed
    array([[320,   0],
           [ 80,   0]])
    """

    def __init__(self, table, labels, reference, confusion, estimators=None, *, fixed_test=False):
        self.table = table
        self.labels = np.asarray(labels)
        self.reference = reference
        self.confusion = confusion
        self.estimators = estimators
        self.fixed_test = fixed_test

    @property
    def methods(self):
        return list(dict.fromkeys(self.table["method"]))

    def __repr__(self):
        n_failed = int(self.table["error"].notna().sum())
        return (
            f"ComparisonResult(methods={self.methods}, n_runs={len(self.table)}, "
            f"n_failed={n_failed}, reference={self.reference!r})"
        )

    def _test(self, test):
        """The paired test ``test`` resolves to, for this result's design."""
        if test == "auto":
            return "t" if self.fixed_test else "corrected_t"
        if test not in TESTS:
            raise ValueError(f"test must be 'auto' or one of {list(TESTS)}; got {test!r}.")
        if test == "corrected_t" and self.fixed_test:
            raise ValueError(
                "test='corrected_t' needs resampled training and test sets (cross-validation); "
                "these runs share one fixed test set. Use test='auto' or 't' (seed variance "
                "only) or 'wilcoxon'."
            )
        return test

    def tests(self, metric="balanced_accuracy", *, test="auto", alpha=0.05):
        """Paired tests of every method against the reference, Holm-corrected.

        The default, ``test="auto"``, is the corrected resampled t-test of Nadeau and Bengio
        over the folds x seeds of repeated cross-validation, and, when the runs share one fixed
        test set (``compare(..., X_test=...)``), a plain paired t-test over the seeds: it then
        measures the variance due to the seed only (initialisation, batch order, resampling),
        not the variance due to the choice of the training and test data, so it says whether a
        difference is more than seed noise on these data, not that it would hold on other
        data. See :func:`~skiwce.comparison.paired_tests`.

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score to compare.
        test : {"auto", "corrected_t", "t", "wilcoxon"}, default="auto"
            The test; ``"corrected_t"`` is refused for a fixed test set.
        alpha : float, default=0.05
            The confidence intervals are at level ``1 - alpha``.

        Returns
        -------
        tests : pandas.DataFrame
            As :func:`~skiwce.comparison.paired_tests` returns, indexed by method, with the
            test's name in ``attrs["test"]``.
        """
        if self.reference is None:
            raise ValueError("This result has no reference method (reference=None): no test.")
        test = self._test(test)
        out = paired_tests(
            self.table,
            reference=self.reference,
            metric=metric,
            methods=self.methods,
            test=test,
            alpha=alpha,
        )
        if isinstance(out.index, pd.MultiIndex) and out.index.get_level_values(0).nunique() == 1:
            out = out.droplevel("dataset")
        out.attrs["test"] = test
        return out

    def summary(self, test_metric="balanced_accuracy", *, test="auto", alpha=0.05):
        """Mean and standard deviation of each score per method, and paired tests.

        Parameters
        ----------
        test_metric : str, default="balanced_accuracy"
            The score the paired tests against ``reference`` use.
        test : {"auto", "corrected_t", "t", "wilcoxon"}, default="auto"
            The paired test, see :meth:`tests`.
        alpha : float, default=0.05
            The confidence intervals are at level ``1 - alpha``.

        Returns
        -------
        summary : pandas.DataFrame
            Indexed by method, with ``n_runs``, ``n_failed``, ``<metric>_mean`` and
            ``<metric>_std`` for each score in :data:`METRICS` and ``fit_time`` (std over the
            successful runs, ``ddof=1``), then, from :meth:`tests`, ``n_pairs``, ``mean_diff``
            (of ``test_metric``, method minus reference), ``ci_low``, ``ci_high``, ``p_value``
            and ``p_holm`` (NaN without a reference).
        """
        table = self.table
        grouped = table.groupby("method", sort=False)
        out = pd.DataFrame(index=pd.Index(self.methods, name="method"))
        out["n_runs"] = grouped.size()
        out["n_failed"] = grouped["error"].count()
        # Failed runs have NaN scores; their fit time (up to the failure) is left out too.
        ok = table.assign(fit_time=table["fit_time"].where(table["error"].isna()))
        grouped = ok.groupby("method", sort=False)
        for metric in [*METRICS, "fit_time"]:
            out[f"{metric}_mean"] = grouped[metric].mean()
            out[f"{metric}_std"] = grouped[metric].std(ddof=1)
        columns = ["n_pairs", "mean_diff", "ci_low", "ci_high", "p_value", "p_holm"]
        if self.reference is None:
            for column in columns:
                out[column] = np.nan
        else:
            tests = self.tests(test_metric, test=test, alpha=alpha)
            out = out.join(tests[columns])
        return out

    def to_markdown(
        self, metrics=None, *, test_metric="balanced_accuracy", test="auto", alpha=0.05, digits=2
    ):
        """A Markdown table of the summary, ready to paste into a paper or a README.

        Methods are shown by their display names (:data:`METHOD_NAMES`). Scores are shown as
        percentages, ``mean ± std`` over the runs, the best mean of each column in bold; then
        the fit time and, with a reference, the mean paired difference of ``test_metric`` to
        the reference (in points) with its confidence interval, the p-value of the paired test
        (:meth:`tests`) and its Holm correction over the methods. A note under the table says
        what was averaged, which test was used and what it measures, gives the verdict of
        each comparison in a sentence and lists the runs that failed.

        Parameters
        ----------
        metrics : list of str or None, default=None
            Score columns to show; None means all of :data:`METRICS`. Per-class recalls
            and F1 scores (``"recall_<label>"``, ``"f1_<label>"``) are allowed.
        test_metric : str, default="balanced_accuracy"
            The score of the paired test.
        test : {"auto", "corrected_t", "t", "wilcoxon"}, default="auto"
            The paired test, see :meth:`tests`.
        alpha : float, default=0.05
            Significance level of the verdicts; the intervals are at ``1 - alpha``.
        digits : int, default=2
            Decimals of the percentages.

        Returns
        -------
        markdown : str
        """
        from ._report import result_markdown

        metrics = list(METRICS) if metrics is None else list(metrics)
        unknown = [m for m in metrics if m not in self.table.columns]
        if unknown:
            valid = [*METRICS, *self._per_class_columns()]
            raise ValueError(f"Unknown metrics {unknown}; valid ones are {valid}.")
        return result_markdown(
            self, metrics, test_metric=test_metric, test=test, alpha=alpha, digits=digits
        )

    def save(
        self, directory, *, plots=True, metadata=None, dpi=120, test_metric="balanced_accuracy"
    ):
        """Write the table, the summary and the plots into a directory.

        Files: ``results.csv`` (the table), ``summary.csv`` (:meth:`summary`), ``summary.md``
        (:meth:`to_markdown`), ``settings.json`` if ``metadata`` is given, and with ``plots``
        the PNGs ``balanced_accuracy.png`` (:func:`plot_scores`), ``recall_by_method.png``,
        ``confusion_matrices.png`` and, when fitted IWCE or CE networks were kept
        (``return_estimators``), ``weight_history.png`` and ``loss_curves.png`` of their first
        run.

        Parameters
        ----------
        directory : str or path-like
            Created if missing; existing files of these names are overwritten.
        plots : bool, default=True
            Also write the PNG plots.
        metadata : dict or None, default=None
            JSON-serialisable settings to record in ``settings.json``.
        dpi : int, default=120
            Resolution of the PNGs.
        test_metric : str, default="balanced_accuracy"
            The score of the paired tests in ``summary.csv`` and ``summary.md``.

        Returns
        -------
        paths : dict
            File name to :class:`pathlib.Path` of every file written.
        """
        paths, path = _collector(directory)
        self.table.to_csv(path("results.csv"), index=False)
        self.summary(test_metric).to_csv(path("summary.csv"))
        path("summary.md").write_text(self.to_markdown(test_metric=test_metric), encoding="utf-8")
        if metadata is not None:
            _write_metadata(path("settings.json"), metadata)
        if plots:
            _save_figures(self._figures(), path, dpi)
        return paths

    def _figures(self):
        from ._plots import (
            _history,
            plot_confusion_matrices,
            plot_loss_curves,
            plot_recall_by_method,
            plot_scores,
            plot_weight_history,
        )

        figures = {"balanced_accuracy.png": lambda: plot_scores(self)}
        if self.table["error"].isna().any():
            figures["recall_by_method.png"] = lambda: plot_recall_by_method(self)
        if self.confusion:
            figures["confusion_matrices.png"] = lambda: plot_confusion_matrices(self)
        first = {}
        for (method, _, _), est in sorted(
            (self.estimators or {}).items(), key=lambda kv: (kv[0][1], kv[0][2])
        ):
            # a fitted IWCEClassifier (net_.history) or a stacked model (history_)
            if est is not None and (hasattr(est, "net_") or hasattr(est, "history_")):
                first.setdefault(method, est)
        weighted = [m for m in first if "alpha" in _history(first[m])[-1]]
        if weighted:
            ref = self.reference if self.reference in weighted else weighted[0]
            figures["weight_history.png"] = lambda: plot_weight_history(first[ref])
        if first:
            named = {display_name(m): est for m, est in first.items()}
            figures["loss_curves.png"] = lambda: plot_loss_curves(named)
        return figures

    def _per_class_columns(self):
        return [
            c for c in self.table.columns if c.startswith(("recall_", "f1_")) and c != "f1_macro"
        ]


def _folder_name(dataset):
    """A file-system-safe folder name for a data set."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(dataset)).strip("._") or "dataset"


def _folder_names(datasets):
    """Distinct safe folder names, one per data set (``_2``, ``_3``, ... where they collide)."""
    folders, used = {}, set()
    for name in datasets:
        base = folder = _folder_name(name)
        n = 1
        while folder.lower() in used:  # case-insensitive file systems too
            n += 1
            folder = f"{base}_{n}"
        used.add(folder.lower())
        folders[name] = folder
    return folders


class SuiteResult:
    """The outcome of :func:`compare_datasets`: one comparison per data set, tests and ranks.

    Per data set, :meth:`tests` compares every method with the reference over that data set's
    runs (the corrected resampled t-test over repeated cross-validation, a paired t-test over
    the seeds of a fixed test split; Holm-corrected over the methods). Across data sets, one
    score per method and data set (:meth:`scores`, the mean over its runs) is ranked
    (:meth:`ranks`: mean ranks, wins/ties/losses against the reference, Holm-corrected
    Wilcoxon tests over the data sets, Nemenyi's test), tested by :meth:`friedman` and drawn
    by :func:`~skiwce.comparison.plot_critical_difference`.

    Parameters
    ----------
    results : dict
        Data set name to its :class:`ComparisonResult`, whose tables have a ``dataset``
        column.
    reference : str or None
        The method the tests compare against.

    Attributes
    ----------
    results : dict
        The ``results`` parameter.
    reference : str or None
        The ``reference`` parameter.
    datasets : list of str
        The data set names, in order.
    methods : list of str
        The methods, in the order they were given.
    table : pandas.DataFrame
        Every run of every data set, with a ``dataset`` column first.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skiwce.comparison import compare_datasets
    >>> data = {f"d{i}": make_classification(n_samples=120, weights=[0.8], random_state=i)
    ...         for i in range(3)}
    >>> suite = compare_datasets(data, {"tree": DecisionTreeClassifier(max_depth=3),
    ...                                 "prior": DummyClassifier()},
    ...                          reference="tree", cv=3, progress=False)
    >>> suite
    SuiteResult(datasets=['d0', 'd1', 'd2'], methods=['tree', 'prior'], reference='tree')
    >>> suite.ranks()[["mean_rank", "wins", "losses"]]
            mean_rank  wins  losses
    method
    tree          1.0   NaN     NaN
    prior         2.0   0.0     3.0
    """

    def __init__(self, results, reference):
        self.results = dict(results)
        self.reference = reference

    @property
    def datasets(self):
        return list(self.results)

    @property
    def methods(self):
        methods = {}
        for result in self.results.values():
            methods.update(dict.fromkeys(result.methods))
        return list(methods)

    @property
    def table(self):
        return pd.concat([r.table for r in self.results.values()], ignore_index=True)

    def __repr__(self):
        return (
            f"SuiteResult(datasets={self.datasets}, methods={self.methods}, "
            f"reference={self.reference!r})"
        )

    def scores(self, metric="balanced_accuracy"):
        """One score per data set and method: the mean over its successful runs.

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score column.

        Returns
        -------
        scores : pandas.DataFrame
            Indexed by data set, one column per method; NaN where every run failed.
        """
        table = self.table
        if metric not in table.columns:
            raise ValueError(f"Unknown metric {metric!r}; the table has {list(table.columns)}.")
        means = table.pivot_table(
            index="dataset", columns="method", values=metric, aggfunc="mean", dropna=False
        )
        return means.reindex(index=self.datasets, columns=self.methods).astype(float)

    def _complete_scores(self, metric):
        scores = self.scores(metric)
        complete = scores.dropna()
        dropped = [d for d in scores.index if d not in complete.index]
        return complete, dropped

    def tests(self, metric="balanced_accuracy", *, test="auto", alpha=0.05):
        """The paired tests of every data set (:meth:`ComparisonResult.tests`).

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score to compare.
        test : {"auto", "corrected_t", "t", "wilcoxon"}, default="auto"
            The test; ``"auto"`` picks it per data set.
        alpha : float, default=0.05
            The confidence intervals are at level ``1 - alpha``.

        Returns
        -------
        tests : pandas.DataFrame
            Indexed by ``(dataset, method)``, the columns of
            :func:`~skiwce.comparison.paired_tests` and ``test``, the test used.
        """
        parts = []
        for name, result in self.results.items():
            part = result.tests(metric, test=test, alpha=alpha)
            part = part.assign(test=part.attrs["test"], dataset=name)
            parts.append(part.set_index("dataset", append=True).swaplevel())
        return pd.concat(parts)

    def ranks(self, metric="balanced_accuracy", *, alpha=0.05):
        """Mean ranks over the data sets and post-hoc tests against the reference.

        Data sets where some method has no score (every run failed) are left out.

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score to rank (higher is better).
        alpha : float, default=0.05
            Significance level of Nemenyi's critical difference.

        Returns
        -------
        ranks : pandas.DataFrame
            As :func:`~skiwce.comparison.rank_methods` returns.
        """
        complete, _ = self._complete_scores(metric)
        return rank_methods(complete, reference=self.reference, alpha=alpha)

    def friedman(self, metric="balanced_accuracy", *, tie_correction=True):
        """The Friedman test over the data sets (:func:`~skiwce.comparison.friedman_test`).

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score (higher is better).
        tie_correction : bool, default=True
            Correct the statistic for ties.

        Returns
        -------
        result : FriedmanResult
        """
        complete, _ = self._complete_scores(metric)
        return friedman_test(complete, tie_correction=tie_correction)

    def critical_difference(self, metric="balanced_accuracy", *, alpha=0.05):
        """Nemenyi's critical difference for these methods and (complete) data sets.

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score whose complete data sets count.
        alpha : float, default=0.05
            The family-wise significance level.

        Returns
        -------
        cd : float
        """
        complete, _ = self._complete_scores(metric)
        return critical_difference(complete.shape[1], max(1, len(complete)), alpha=alpha)

    def to_markdown(self, metric="balanced_accuracy", *, alpha=0.05, digits=2, diagram=None):
        """The report of the suite, in Markdown (the ``summary.md`` of :meth:`save`).

        Sentences first, each from a test: the reference's mean rank, the Friedman and
        Iman-Davenport tests, Nemenyi's critical difference and, for every other method, its
        wins, ties and losses and the Holm-corrected Wilcoxon test over the data sets; then,
        per data set, the verdict of the paired tests (which test, and what it measures). Then
        the tables: mean ranks, per-data-set tests, and each data set's summary.

        Parameters
        ----------
        metric : str, default="balanced_accuracy"
            The score ranked and tested.
        alpha : float, default=0.05
            Significance level of every verdict.
        digits : int, default=2
            Decimals of the scores in percent.
        diagram : str or None, default=None
            Path of the critical-difference diagram to show, relative to the report.

        Returns
        -------
        markdown : str
        """
        from ._report import suite_markdown

        return suite_markdown(self, metric=metric, alpha=alpha, digits=digits, diagram=diagram)

    def save(self, directory, *, plots=True, metadata=None, dpi=120, metric="balanced_accuracy"):
        """Write the report, the tables and the diagram, and each data set's files.

        Files: ``results.csv`` (every run), ``scores.csv`` (:meth:`scores`), ``tests.csv``
        (:meth:`tests`), ``ranks.csv`` (:meth:`ranks`, with at least 2 complete data sets),
        ``summary.md`` (:meth:`to_markdown`), ``settings.json`` if ``metadata`` is given, with
        ``plots`` ``critical_difference.png`` (:func:`plot_critical_difference`) and
        :func:`plot_method_heatmap`'s ``heatmap.png``, and one folder per data set with its
        :meth:`ComparisonResult.save` files (keys ``"<folder>/<file>"``).

        Parameters
        ----------
        directory : str or path-like
            Created if missing; existing files of these names are overwritten.
        plots : bool, default=True
            Also write the PNG plots.
        metadata : dict or None, default=None
            JSON-serialisable settings to record in ``settings.json``.
        dpi : int, default=120
            Resolution of the PNGs.
        metric : str, default="balanced_accuracy"
            The score of the report, the ranks and the diagram.

        Returns
        -------
        paths : dict
            File name to :class:`pathlib.Path` of every file written.
        """
        from ._plots import plot_critical_difference, plot_method_heatmap

        paths, path = _collector(directory)
        self.table.to_csv(path("results.csv"), index=False)
        self.scores(metric).to_csv(path("scores.csv"))
        if self.reference is not None:
            self.tests(metric).to_csv(path("tests.csv"))
        complete, _ = self._complete_scores(metric)
        rankable = len(complete) >= 2 and complete.shape[1] >= 2
        if rankable:
            self.ranks(metric).to_csv(path("ranks.csv"))
        diagram = "critical_difference.png" if plots and rankable else None
        path("summary.md").write_text(self.to_markdown(metric, diagram=diagram), encoding="utf-8")
        if metadata is not None:
            _write_metadata(path("settings.json"), metadata)
        if plots:
            figures = {"heatmap.png": lambda: plot_method_heatmap(self.table, metric=metric)}
            if rankable:
                figures["critical_difference.png"] = lambda: plot_critical_difference(
                    self, metric=metric
                )
            _save_figures(figures, path, dpi)
        for name, folder in _folder_names(self.datasets).items():
            saved = self.results[name].save(
                Path(directory) / folder, plots=plots, test_metric=metric
            )
            for file, file_path in saved.items():
                paths[f"{folder}/{file}"] = file_path
        return paths
