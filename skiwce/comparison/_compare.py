"""``compare``: fit several methods on the same splits and seeds and score them."""

import functools
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    recall_score,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_array, check_consistent_length, check_random_state, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from tqdm.auto import tqdm

from ._baselines import METHODS, make_methods
from ._stats import paired_wilcoxon

__all__ = ["METRICS", "ComparisonResult", "compare", "compare_dataset"]

#: The scores of every run, with the names used as columns of the table.
METRICS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced acc.",
    "f1_macro": "Macro F1",
    "g_mean": "G-mean",
}


class ComparisonResult:
    """The outcome of :func:`compare`: a tidy table of runs, with summaries.

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
    >>> result.confusion["prior"]  # summed over the runs: each sample is tested once a seed
    array([[320,   0],
           [ 80,   0]])
    """

    def __init__(self, table, labels, reference, confusion, estimators=None):
        self.table = table
        self.labels = np.asarray(labels)
        self.reference = reference
        self.confusion = confusion
        self.estimators = estimators

    @property
    def methods(self):
        return list(dict.fromkeys(self.table["method"]))

    def __repr__(self):
        n_failed = int(self.table["error"].notna().sum())
        return (
            f"ComparisonResult(methods={self.methods}, n_runs={len(self.table)}, "
            f"n_failed={n_failed}, reference={self.reference!r})"
        )

    def summary(self, test_metric="balanced_accuracy"):
        """Mean and standard deviation of each score per method, and paired tests.

        Parameters
        ----------
        test_metric : str, default="balanced_accuracy"
            The score the paired Wilcoxon test against ``reference`` uses.

        Returns
        -------
        summary : pandas.DataFrame
            Indexed by method, with ``n_runs``, ``n_failed``, ``<metric>_mean`` and
            ``<metric>_std`` for each score in :data:`METRICS` and ``fit_time`` (std over the
            successful runs, ``ddof=1``), then ``n_pairs``, ``mean_diff`` (of ``test_metric``,
            method minus reference) and ``p_value`` from :func:`paired_wilcoxon` (NaN without a
            reference).
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
        if self.reference is None:
            out["n_pairs"] = out["mean_diff"] = out["p_value"] = np.nan
        else:
            tests = paired_wilcoxon(
                table, reference=self.reference, metric=test_metric, methods=self.methods
            )
            out = out.join(tests[["n_pairs", "mean_diff", "p_value"]])
        return out

    def to_markdown(self, metrics=None, *, test_metric="balanced_accuracy", digits=2):
        """A Markdown table of the summary, ready to paste into a paper or a README.

        Scores are shown as percentages, ``mean ± std`` over the runs, the best mean of each
        column in bold; then the fit time, the mean paired difference of ``test_metric`` to the
        reference (in points) and the Wilcoxon p-value. A note under the table says what was
        averaged and which runs failed.

        Parameters
        ----------
        metrics : list of str or None, default=None
            Score columns to show; None means all of :data:`METRICS`. Per-class recalls
            and F1 scores (``"recall_<label>"``, ``"f1_<label>"``) are allowed.
        test_metric : str, default="balanced_accuracy"
            The score of the paired test.
        digits : int, default=2
            Decimals of the percentages.

        Returns
        -------
        markdown : str
        """
        metrics = list(METRICS) if metrics is None else list(metrics)
        unknown = [m for m in metrics if m not in self.table.columns]
        if unknown:
            valid = [*METRICS, *self._per_class_columns()]
            raise ValueError(f"Unknown metrics {unknown}; valid ones are {valid}.")
        summary = self.summary(test_metric=test_metric)
        grouped = self.table.groupby("method", sort=False)
        means = grouped[metrics].mean().reindex(summary.index)
        stds = grouped[metrics].std(ddof=1).reindex(summary.index)
        test_name = METRICS.get(test_metric, test_metric)
        header = ["Method", *(f"{METRICS.get(m, m)} (%)" for m in metrics), "Fit time (s)"]
        if self.reference is not None:
            header += [f"Δ {test_name} vs {self.reference}", "p (Wilcoxon)"]
        lines = [_md_row(header), _md_row(["---"] + ["---:"] * (len(header) - 1))]
        best = {m: means[m].max() for m in metrics}
        for method in summary.index:
            row = [_md_escape(method)]
            for m in metrics:
                cell = _fmt_pm(100 * means.at[method, m], 100 * stds.at[method, m], digits)
                if np.isfinite(means.at[method, m]) and means.at[method, m] == best[m]:
                    cell = f"**{cell}**"
                row.append(cell)
            row.append(_fmt_num(summary.at[method, "fit_time_mean"], 2))
            if self.reference is not None:
                if method == self.reference:
                    row += ["(reference)", "–"]
                else:
                    diff = summary.at[method, "mean_diff"]
                    row.append(_fmt_num(100 * diff, digits, signed=True))
                    row.append(_fmt_p(summary.at[method, "p_value"]))
            lines.append(_md_row(row))
        n_runs = int(summary["n_runs"].max()) if len(summary) else 0
        n_seeds, n_folds = self.table["seed"].nunique(), self.table["fold"].nunique()
        runs = (
            f"{n_seeds} seed{'s' * (n_seeds != 1)} × {n_folds} folds"
            if n_folds > 1
            else f"{n_seeds} seed{'s' * (n_seeds != 1)}, one train/test split each"
        )
        note = f"Mean ± std over {n_runs} runs per method ({runs})"
        if self.reference is not None:
            note += (
                f"; Δ in points and a two-sided paired Wilcoxon signed-rank test of "
                f"{test_name.lower()} against {self.reference} over the shared runs"
            )
        lines += ["", note + "."]
        failed = summary[summary["n_failed"] > 0]
        if len(failed):
            listed = ", ".join(
                f"{_md_escape(m)} ({int(k)} of {int(n)})"
                for m, k, n in zip(failed.index, failed["n_failed"], failed["n_runs"], strict=True)
            )
            lines.append(f"Failed runs, left out of the means: {listed}.")
        return "\n".join(lines) + "\n"

    def save(self, directory, *, plots=True, metadata=None, dpi=120):
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

        Returns
        -------
        paths : dict
            File name to :class:`pathlib.Path` of every file written.
        """
        import json
        from pathlib import Path

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}

        def path(name):
            paths[name] = directory / name
            return paths[name]

        self.table.to_csv(path("results.csv"), index=False)
        self.summary().to_csv(path("summary.csv"))
        path("summary.md").write_text(self.to_markdown(), encoding="utf-8")
        if metadata is not None:
            path("settings.json").write_text(
                json.dumps(metadata, indent=2, default=str) + "\n", encoding="utf-8"
            )
        if plots:
            self._save_plots(path, dpi)
        return paths

    def _save_plots(self, path, dpi):
        import matplotlib.pyplot as plt

        from ._plots import (
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
            if est is not None and hasattr(est, "net_"):
                first.setdefault(method, est)
        weighted = [m for m in first if "alpha" in first[m].net_.history[-1]]
        if weighted:
            ref = self.reference if self.reference in weighted else weighted[0]
            figures["weight_history.png"] = lambda: plot_weight_history(first[ref])
        if first:
            figures["loss_curves.png"] = lambda: plot_loss_curves(first)
        for name, draw in figures.items():
            fig = draw()
            try:
                fig.savefig(path(name), dpi=dpi)
            finally:
                plt.close(fig)

    def _per_class_columns(self):
        return [
            c for c in self.table.columns if c.startswith(("recall_", "f1_")) and c != "f1_macro"
        ]


def _md_escape(text):
    return str(text).replace("|", "\\|")


def _md_row(cells):
    return "| " + " | ".join(cells) + " |"


def _fmt_num(value, digits, signed=False):
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _fmt_pm(mean, std, digits):
    if not np.isfinite(mean):
        return "–"
    if not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _fmt_p(p):
    if p is None or not np.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _seed_estimator(estimator, seed):
    """Set every ``random_state`` parameter of ``estimator``, nested ones too, to ``seed``."""
    keys = [
        k
        for k in estimator.get_params(deep=True)
        if k == "random_state" or k.endswith("__random_state")
    ]
    if keys:
        estimator.set_params(**dict.fromkeys(keys, seed))
    return estimator


def _scores(y_true, y_pred, labels):
    """Metrics of one run. Balanced accuracy and G-mean average over the classes present in
    ``y_true`` (as scikit-learn's ``balanced_accuracy_score``); an absent class's recall is NaN.
    Macro F1 averages over the classes in ``y_true`` or ``y_pred`` (scikit-learn's default), so a
    class absent from a test fold is not scored 0 unless it is predicted."""
    recalls = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    f1s = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    present = np.isin(labels, np.unique(y_true))
    recalls = np.where(present, recalls, np.nan)
    # A class neither in y_true nor predicted has no F1 (sklearn would say 0).
    f1s = np.where(present | np.isin(labels, np.unique(y_pred)), f1s, np.nan)
    kept = recalls[present]
    scores = {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": float(np.mean(kept)),
        "f1_macro": f1_score(y_true, y_pred, average="macro", zero_division=0),
        "g_mean": float(np.prod(kept) ** (1.0 / len(kept))),
    }
    scores.update({f"recall_{label}": float(r) for label, r in zip(labels, recalls, strict=True)})
    scores.update({f"f1_{label}": float(f) for label, f in zip(labels, f1s, strict=True)})
    return scores


def _run(task, estimator, X, y, X_eval, y_eval, labels, return_train_score, keep):
    """Fit one method on one split; never raises for a failed fit."""
    name, seed, fold, seed_value, train, test = task
    row = {"method": name, "seed": seed, "fold": fold}
    nan_scores = dict.fromkeys(_scores_keys(labels, return_train_score), np.nan)
    estimator = _seed_estimator(clone(estimator), seed_value)
    X_train, y_train = X[train], y[train]
    X_test, y_test = (X[test], y[test]) if X_eval is None else (X_eval, y_eval)
    _warm_up_torch()
    start = time.perf_counter()
    try:
        estimator.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        if _interrupted(estimator):
            # skorch turns Ctrl-C into a warning and a half-trained model; a comparison stops.
            raise KeyboardInterrupt
        y_pred = estimator.predict(X_test)
        scores = _scores(y_test, y_pred, labels)
        if return_train_score:
            y_fit = estimator.predict(X_train)
            scores["train_accuracy"] = accuracy_score(y_train, y_fit)
            scores["train_balanced_accuracy"] = balanced_accuracy_score(y_train, y_fit)
        cm = confusion_matrix(y_test, y_pred, labels=labels)
        error = None
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result, not a crash
        fit_time = time.perf_counter() - start
        scores, cm, estimator = nan_scores, None, None
        error = f"{type(exc).__name__}: {exc}"
    row.update(scores)
    row["fit_time"] = fit_time
    row["error"] = error
    return row, cm, (estimator if keep else None)


@functools.cache
def _warm_up_torch():
    """Pay torch's one-time costs before the first timed fit of this process.

    Making the first optimizer imports ``torch._dynamo`` (about a second), which would otherwise
    be charged to whichever method runs first.
    """
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def _interrupted(estimator):
    """Whether a fit (of the estimator, a pipeline step or an ensemble member) was cut short."""
    if getattr(estimator, "interrupted_", False):
        return True
    parts = [step for _, step in getattr(estimator, "steps", [])]
    parts += _flat(getattr(estimator, "estimators_", None))
    return any(_interrupted(part) for part in parts if part is not None)


def _flat(members):
    """Ensemble members (a list, or an array such as gradient boosting's) as a flat list."""
    if isinstance(members, (list, tuple, np.ndarray)):
        return [m for item in members for m in _flat(item)]
    return [] if members is None else [members]


def _scores_keys(labels, return_train_score):
    keys = [*METRICS, *(f"recall_{label}" for label in labels)]
    keys += [f"f1_{label}" for label in labels]
    if return_train_score:
        keys += ["train_accuracy", "train_balanced_accuracy"]
    return keys


def _check_cv(cv):
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be an int >= 2 or a cross-validation splitter; got {cv}.")
        return cv
    if hasattr(cv, "split") and not isinstance(cv, str):
        return cv
    raise ValueError(f"cv must be an int >= 2 or a cross-validation splitter; got {cv!r}.")


def _splits(cv, X, y, seed_value):
    if isinstance(cv, Integral):
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed_value)
    else:
        splitter = clone(cv) if hasattr(cv, "get_params") else cv
        if hasattr(splitter, "random_state") and getattr(splitter, "shuffle", True):
            splitter.random_state = seed_value
    return list(splitter.split(X, y))


def _resolve_estimators(estimators, common_params):
    if isinstance(estimators, str):
        raise ValueError(
            f"estimators must be a dict name -> estimator or a list of method names; got the "
            f"string {estimators!r}. Wrap it in a list."
        )
    if isinstance(estimators, dict):
        if not estimators:
            raise ValueError("estimators is empty; give at least one method.")
        for name, est in estimators.items():
            if not hasattr(est, "fit") or not hasattr(est, "predict"):
                raise ValueError(
                    f"estimators[{name!r}] must be an estimator with fit and predict; got {est!r}."
                )
        return {str(name): est for name, est in estimators.items()}
    names = list(estimators)
    if not names:
        raise ValueError("estimators is empty; give at least one method.")
    return make_methods(names, **(common_params or {}))


def compare(
    estimators,
    X,
    y,
    *,
    X_test=None,
    y_test=None,
    cv=5,
    n_seeds=1,
    random_state=0,
    n_jobs=None,
    reference="iwce",
    progress=True,
    common_params=None,
    return_train_score=False,
    return_estimators=False,
):
    """Fit several methods on the same splits with the same seeds, and score every run.

    For each of ``n_seeds`` seeds, the data are split by stratified ``cv``-fold cross-validation
    shuffled with that seed (or, when ``X_test, y_test`` are given, trained on all of ``X, y``
    and tested on them), and every method is fitted on every split with every ``random_state``
    parameter (nested ones too, e.g. a pipeline's sampler and network) set to the seed's
    integer. The same ``random_state`` gives the same splits, seeds and, for deterministic
    estimators, the same table. Methods see identical splits and seeds, so their scores are
    paired run by run.

    A fit that raises is recorded in the ``error`` column, with NaN scores, and the comparison
    goes on; a :class:`~sklearn.exceptions.FitFailedWarning` says how many failed. A fit
    interrupted by Ctrl-C (which skorch turns into a warning and a half-trained network) stops
    the comparison with ``KeyboardInterrupt``. Before the first timed fit of each process,
    torch's one-time start-up (about a second) is paid untimed, so ``fit_time`` does not charge
    it to the first method.

    Parameters
    ----------
    estimators : dict or list of str
        Method name to unfitted scikit-learn classifier, or names of
        :data:`~skiwce.comparison.METHODS` built by :func:`~skiwce.comparison.make_methods` with
        ``common_params``.
    X : array-like of shape (n_samples, ...)
        Inputs of any sample shape the estimators take: ``(n, features)``,
        ``(n, channels, length)``, ``(n, channels, height, width)``.
    y : array-like of shape (n_samples,)
        Class labels.
    X_test, y_test : array-like or None, default=None
        A fixed test set. When given, each seed is one train/test run (``fold`` 0) and ``cv`` is
        not used.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds, or a splitter (a shuffling splitter with a ``random_state``
        gets each seed's integer).
    n_seeds : int, default=1
        Number of repetitions with different seeds.
    random_state : int, RandomState instance or None, default=0
        Draws the seeds.
    n_jobs : int or None, default=None
        Runs in parallel with joblib over (method, seed, fold); None runs them one after the
        other in this process.
    reference : str or None, default="iwce"
        The method the paired tests of :meth:`~skiwce.comparison.ComparisonResult.summary`
        compare against; None for no test.
    progress : bool, default=True
        Show a tqdm progress bar over the runs (on stderr).
    common_params : dict or None, default=None
        :class:`~skiwce.IWCEClassifier` parameters shared by the methods named in
        ``estimators`` (ignored when ``estimators`` is a dict), e.g.
        ``{"module": "cnn1d", "max_epochs": 50}``.
    return_train_score : bool, default=False
        Also score the training data (``train_accuracy``, ``train_balanced_accuracy``).
    return_estimators : bool or list of str, default=False
        Keep the fitted estimators in :attr:`~skiwce.comparison.ComparisonResult.estimators`:
        all of them, or those of the listed methods.

    Returns
    -------
    result : ComparisonResult
        Its ``table`` has one row per method, seed and fold with the columns ``method``,
        ``seed`` (0-based), ``fold``, ``accuracy``, ``balanced_accuracy``, ``f1_macro``,
        ``g_mean``, ``recall_<label>`` and ``f1_<label>`` for each class (NaN for a class
        absent from the test data, and for F1 also never predicted), the train scores if
        asked, ``fit_time``
        (seconds) and ``error`` (None, or ``"ExceptionType: message"`` of a fit or prediction
        that raised).

    See Also
    --------
    skiwce.comparison.make_methods : The baselines.
    skiwce.comparison.paired_wilcoxon : The paired test of the summary.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skiwce.comparison import compare
    >>> X, y = make_classification(n_samples=200, weights=[0.85], random_state=0)
    >>> result = compare(["iwce", "ce"], X, y, cv=3, progress=False,
    ...                  common_params={"max_epochs": 3})
    >>> result.table.shape
    (6, 13)
    >>> list(result.table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['method', 'seed', 'fold', 'accuracy', 'balanced_accuracy', 'f1_macro', 'g_mean',
     'recall_0', 'recall_1', 'f1_0', 'f1_1', 'fit_time', 'error']
    >>> result.summary().loc["ce", ["n_runs", "n_pairs"]].tolist()
    [3.0, 3.0]
    >>> print(result.to_markdown().splitlines()[0])
    | Method | Accuracy (%) | Balanced acc. (%) | Macro F1 (%) | G-mean (%) | Fit time (s) | ...
    """
    estimators = _resolve_estimators(estimators, common_params)
    if reference is not None and reference not in estimators:
        raise ValueError(
            f"reference {reference!r} is not among the methods {list(estimators)}; pass one of "
            "them or reference=None."
        )
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, Integral) or n_seeds < 1:
        raise ValueError(f"n_seeds must be an int >= 1; got {n_seeds!r}.")
    X = check_array(X, allow_nd=True, dtype=None)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    check_classification_targets(y)
    if (X_test is None) != (y_test is None):
        raise ValueError("Give both X_test and y_test, or neither.")
    if X_test is not None:
        X_test = check_array(X_test, allow_nd=True, dtype=None)
        y_test = column_or_1d(y_test, warn=True)
        check_consistent_length(X_test, y_test)
        if X_test.shape[1:] != X.shape[1:]:
            raise ValueError(
                f"X_test has samples of shape {X_test.shape[1:]} but X has {X.shape[1:]}."
            )
        labels = np.unique(np.concatenate([y, y_test]))
    else:
        cv = _check_cv(cv)
        labels = np.unique(y)

    if isinstance(return_estimators, (bool, np.bool_)):
        keep = set(estimators) if return_estimators else set()
    else:
        keep = set(return_estimators)
        unknown = sorted(keep - set(estimators))
        if unknown:
            raise ValueError(
                f"return_estimators names unknown methods {unknown}; the methods are "
                f"{list(estimators)}."
            )

    rng = check_random_state(random_state)
    seed_values = [int(s) for s in rng.randint(0, 2**31 - 1, size=n_seeds)]
    tasks = []
    for seed, seed_value in enumerate(seed_values):
        if X_test is None:
            splits = _splits(cv, X, y, seed_value)
        else:
            splits = [(np.arange(len(y)), None)]
        for fold, (train, test) in enumerate(splits):
            for name in estimators:
                tasks.append((name, seed, fold, seed_value, train, test))

    def jobs():
        for task in tasks:
            yield delayed(_run)(
                task,
                estimators[task[0]],
                X,
                y,
                X_test,
                y_test,
                labels,
                return_train_score,
                task[0] in keep,
            )

    bar = tqdm(total=len(tasks), desc="compare", unit="fit", disable=not progress)
    outputs = []
    try:
        if n_jobs is None:
            for job in jobs():
                func, args, kwargs = job
                outputs.append(func(*args, **kwargs))
                bar.update()
        else:
            parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            for out in parallel(jobs()):
                outputs.append(out)
                bar.update()
    finally:
        bar.close()

    order = {name: i for i, name in enumerate(estimators)}
    outputs.sort(key=lambda o: (order[o[0]["method"]], o[0]["seed"], o[0]["fold"]))
    columns = ["method", "seed", "fold", *_scores_keys(labels, return_train_score)]
    columns += ["fit_time", "error"]
    table = pd.DataFrame([o[0] for o in outputs], columns=columns)
    table["error"] = table["error"].astype(object).where(table["error"].notna(), None)

    confusion = {}
    for row, cm, _ in outputs:
        if cm is not None:
            name = row["method"]
            confusion[name] = confusion.get(name, 0) + cm
    kept = None
    if keep:
        kept = {
            (r["method"], r["seed"], r["fold"]): est
            for r, _, est in outputs
            if r["method"] in keep
        }

    failed = table[table["error"].notna()]
    if len(failed):
        first = failed.iloc[0]
        warnings.warn(
            f"{len(failed)} of {len(table)} fits failed and are recorded in the 'error' column "
            f"of the table; the first, {first['method']!r} (seed {first['seed']}, fold "
            f"{first['fold']}): {first['error']}",
            FitFailedWarning,
            stacklevel=2,
        )
    return ComparisonResult(table, labels, reference, confusion, kept)


def compare_dataset(
    dataset,
    estimators=None,
    *,
    data_random_state=0,
    common_params=None,
    reference="iwce",
    **kwargs,
):
    """Run :func:`compare` on one of the named data sets of :mod:`skiwce.datasets`.

    Loads ``dataset`` with :func:`skiwce.datasets.load_dataset`; a data set with a fixed test
    split (``data_test``, ``target_test``) is evaluated on it, one run per seed, the others by
    repeated stratified cross-validation. Labels are the data set's ``target_names``, so the
    recall columns read e.g. ``recall_c1``. The table gets a ``dataset`` column first, ready
    to be concatenated with other data sets' tables for :func:`plot_method_heatmap`.

    Parameters
    ----------
    dataset : str
        A key of :data:`skiwce.datasets.DATASETS`.
    estimators : dict, list of str or None, default=None
        As for :func:`compare`; None means all :data:`~skiwce.comparison.METHODS`.
    data_random_state : int, default=0
        Passed to ``load_dataset`` (generation, test split, long tail).
    common_params : dict or None, default=None
        :class:`~skiwce.IWCEClassifier` parameters shared by named methods.
    reference : str or None, default="iwce"
        The method of the paired tests; when it is not among the methods, the first method.
    **kwargs : dict
        Other parameters of :func:`compare` (``cv``, ``n_seeds``, ``random_state``, ``n_jobs``,
        ``progress``...).

    Returns
    -------
    result : ComparisonResult

    Raises
    ------
    ValueError
        For an unknown data set; the message lists the valid names.

    Examples
    --------
    >>> from skiwce.comparison import compare_dataset
    >>> result = compare_dataset("paper_quantiles", ["iwce", "ce"], n_seeds=1, progress=False,
    ...                          common_params={"max_epochs": 1, "batch_size": 256})
    >>> result.table[["dataset", "method", "seed", "fold"]]
               dataset method  seed  fold
    0  paper_quantiles   iwce     0     0
    1  paper_quantiles     ce     0     0
    """
    from ..datasets import load_dataset

    data = load_dataset(dataset, random_state=data_random_state)
    y, y_test = data.target, data.get("target_test")
    names = data.get("target_names")
    if names is not None:
        names = np.asarray(names)
        y, y_test = (None if t is None else _label(t, names) for t in (y, y_test))
    if estimators is None:
        estimators = list(METHODS)
    if reference is not None and reference not in list(estimators):
        reference = next(iter(estimators), None)
    result = compare(
        estimators,
        data.data,
        y,
        X_test=data.get("data_test"),
        y_test=y_test,
        reference=reference,
        common_params=common_params,
        **kwargs,
    )
    result.table.insert(0, "dataset", dataset)
    return result


def _label(target, names):
    """Class names for integer targets that index ``names``; other targets unchanged."""
    target = np.asarray(target)
    if (
        np.issubdtype(target.dtype, np.integer)
        and target.size
        and target.min() >= 0
        and target.max() < len(names)
    ):
        return names[target]
    return target
