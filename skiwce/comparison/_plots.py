"""Plots of the schedule, the training curves and the comparison results (matplotlib).

Every function draws into ``ax``/``axes`` if given, else into a new figure, and returns the
:class:`~matplotlib.figure.Figure`; none calls ``plt.show()``, so all work with the Agg backend.
"""

import math

import numpy as np
import pandas as pd

from ..functional import alpha_schedule
from ._baselines import display_name
from ._metrics import METRICS
from ._stats import critical_difference, rank_methods

__all__ = [
    "plot_alpha",
    "plot_confusion_matrices",
    "plot_critical_difference",
    "plot_loss_curves",
    "plot_method_heatmap",
    "plot_recall_by_method",
    "plot_scores",
    "plot_weight_history",
]


def _new_axes(ax, **subplots_kw):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    return plt.subplots(**subplots_kw)


def _table(result):
    table = getattr(result, "table", result)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"Expected a ComparisonResult or its table (a pandas DataFrame); got "
            f"{type(result).__name__}."
        )
    return table


def _history(estimator):
    net = getattr(estimator, "net_", estimator)
    history = getattr(net, "history", None)
    if history is None:  # a stacked model of compare or IWCEClassifierCV
        history = getattr(estimator, "history_", None)
    if history is None or not len(history):
        raise ValueError(
            "Expected a fitted IWCEClassifier, a model of a stacked training or a skorch net "
            f"with a history; got {type(estimator).__name__}."
        )
    return history


def _methods(table, methods):
    present = list(dict.fromkeys(table["method"]))
    if methods is None:
        return present
    unknown = [m for m in methods if m not in present]
    if unknown:
        raise ValueError(f"Unknown methods {unknown}; the table has {present}.")
    return list(methods)


def plot_alpha(
    T=(10, 20, 30, 40, 50), *, n_epochs=201, schedule="exponential", switch_epoch=None, ax=None
):
    """Alpha per epoch for several temperatures, as the IWCE paper's Fig. 3.

    Parameters
    ----------
    T : float or sequence of float, default=(10, 20, 30, 40, 50)
        Temperatures, one curve each.
    n_epochs : int, default=201
        Number of epochs (the paper's ``E = 200`` is the last 0-based epoch).
    schedule : str or callable, default="exponential"
        See :func:`skiwce.functional.alpha_schedule`.
    switch_epoch : int, float or None, default=None
        See :func:`skiwce.functional.alpha_schedule`.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skiwce.comparison import plot_alpha
    >>> fig = plot_alpha(T=[10, 50], n_epochs=201)
    >>> len(fig.axes[0].lines)
    2
    """
    fig, ax = _new_axes(ax, figsize=(5, 3.5))
    temperatures = [T] if np.ndim(T) == 0 else list(T)
    epochs = np.arange(n_epochs)
    for t in temperatures:
        alphas = alpha_schedule(n_epochs, schedule, T=t, switch_epoch=switch_epoch)
        ax.plot(epochs, alphas, label=f"T = {t:g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("alpha")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"IWCE schedule ({schedule})")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_weight_history(estimator, *, labels=None, axes=None):
    """Alpha and the class weights per epoch of a fitted IWCE network.

    Parameters
    ----------
    estimator : IWCEClassifier or skorch net
        Fitted, with ``alpha`` and ``class_weight`` in its history (as
        :class:`skiwce.IncrementalClassWeights` records them).
    labels : list or None, default=None
        Class names for the legend; None uses the estimator's ``classes_``.
    axes : pair of matplotlib Axes or None, default=None
        Where to draw alpha and the weights; None makes a new figure with two panels.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from skiwce import IWCEClassifier
    >>> from skiwce.comparison import plot_weight_history
    >>> X, y = make_classification(n_samples=100, weights=[0.8], random_state=0)
    >>> clf = IWCEClassifier(T=2.0, max_epochs=6, random_state=0).fit(X, y)
    >>> fig = plot_weight_history(clf)
    >>> len(fig.axes), len(fig.axes[1].lines)
    (2, 2)
    """
    history = _history(estimator)
    try:
        alphas = np.asarray(history[:, "alpha"], dtype=float)
        weights = np.asarray(history[:, "class_weight"], dtype=float)
    except KeyError as exc:
        raise ValueError(
            "The history has no 'alpha' and 'class_weight'; the net was not trained with "
            "skiwce.IncrementalClassWeights."
        ) from exc
    if labels is None:
        labels = getattr(estimator, "classes_", None)
    if labels is None:
        labels = range(weights.shape[1])
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    else:
        fig = axes[0].figure
    epochs = np.arange(len(alphas))
    axes[0].plot(epochs, alphas, marker=".")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("alpha")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].set_title("alpha")
    for k, label in enumerate(labels):
        axes[1].plot(epochs, weights[:, k], marker=".", label=str(label))
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("class weight")
    axes[1].set_title("class weights")
    axes[1].legend(title="class")
    fig.tight_layout()
    return fig


def plot_loss_curves(estimators, *, ax=None):
    """Training (solid) and validation (dashed) loss per epoch of one or several networks.

    The IWCE loss is weighted, so its scale moves with alpha; compare curves of one method over
    epochs, or methods at the same epoch, with that in mind.

    Parameters
    ----------
    estimators : IWCEClassifier, skorch net, or dict of them
        Fitted networks; a dict maps names (for the legend) to networks.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from skiwce import IWCEClassifier
    >>> from skiwce.comparison import plot_loss_curves
    >>> X, y = make_classification(n_samples=100, weights=[0.8], random_state=0)
    >>> clf = IWCEClassifier(max_epochs=4, validation_fraction=0.2, random_state=0).fit(X, y)
    >>> fig = plot_loss_curves({"iwce": clf})
    >>> len(fig.axes[0].lines)
    2
    """
    if not isinstance(estimators, dict):
        estimators = {type(estimators).__name__: estimators}
    fig, ax = _new_axes(ax, figsize=(5, 3.5))
    for i, (name, est) in enumerate(estimators.items()):
        history = _history(est)
        color = f"C{i % 10}"
        epochs = np.arange(len(history))
        ax.plot(epochs, history[:, "train_loss"], color=color, label=f"{name} train")
        if "valid_loss" in history[-1]:
            ax.plot(
                epochs,
                history[:, "valid_loss"],
                color=color,
                linestyle="--",
                label=f"{name} valid",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss curves")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_recall_by_method(result, *, methods=None, ax=None):
    """Mean recall of every class, by method, with the standard deviation over runs.

    Parameters
    ----------
    result : ComparisonResult or pandas.DataFrame
        A comparison result or its table (with ``recall_<label>`` columns).
    methods : list of str or None, default=None
        Methods to show, in this order; None means all.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skiwce.comparison import plot_recall_by_method
    >>> table = pd.DataFrame({"method": ["ce", "ce", "iwce", "iwce"],
    ...                       "recall_0": [.9, .8, .85, .8], "recall_1": [.4, .5, .7, .6]})
    >>> fig = plot_recall_by_method(table)
    >>> len(fig.axes[0].patches)
    4
    """
    table = _table(result)
    methods = _methods(table, methods)
    columns = [c for c in table.columns if c.startswith("recall_")]
    if not columns:
        raise ValueError("The table has no recall_<label> columns.")
    grouped = table.groupby("method", sort=False)[columns]
    means = grouped.mean().reindex(methods)
    stds = grouped.std(ddof=1).reindex(methods).fillna(0.0)
    fig, ax = _new_axes(ax, figsize=(max(5.0, 0.6 * len(methods) * max(1, len(columns)) / 2), 4))
    x = np.arange(len(methods))
    width = 0.8 / len(columns)
    for k, col in enumerate(columns):
        ax.bar(
            x + (k - (len(columns) - 1) / 2) * width,
            means[col].to_numpy(),
            width,
            yerr=stds[col].to_numpy(),
            label=col[len("recall_") :],
            capsize=2,
        )
    ax.set_xticks(x)
    ax.set_xticklabels([display_name(m) for m in methods], rotation=45, ha="right")
    ax.set_ylabel("recall")
    ax.set_ylim(0, 1.05)
    ax.set_title("Recall per class")
    ax.legend(title="class", fontsize="small")
    fig.tight_layout()
    return fig


def plot_scores(result, metric="balanced_accuracy", *, methods=None, ax=None):
    """Box plot of one score over the runs, by method.

    Parameters
    ----------
    result : ComparisonResult or pandas.DataFrame
        A comparison result or its table.
    metric : str, default="balanced_accuracy"
        The score column.
    methods : list of str or None, default=None
        Methods to show, in this order; None means all.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skiwce.comparison import plot_scores
    >>> table = pd.DataFrame({"method": ["ce", "ce", "iwce", "iwce"],
    ...                       "balanced_accuracy": [.7, .72, .75, .74]})
    >>> fig = plot_scores(table)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]  # the display names
    ['CE', 'IWCE']
    """
    table = _table(result)
    if metric not in table.columns:
        raise ValueError(f"Unknown metric {metric!r}; the table has {list(table.columns)}.")
    methods = _methods(table, methods)
    data = [table.loc[table["method"] == m, metric].dropna().to_numpy() for m in methods]
    fig, ax = _new_axes(ax, figsize=(max(5.0, 0.5 * len(methods)), 4))
    ax.boxplot(data, showmeans=True)
    ax.set_xticks(np.arange(1, len(methods) + 1))
    ax.set_xticklabels([display_name(m) for m in methods], rotation=45, ha="right")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} over runs")
    fig.tight_layout()
    return fig


def plot_confusion_matrices(result, *, methods=None, normalize="true", ncols=4):
    """Confusion matrices of the methods, summed over the runs.

    Parameters
    ----------
    result : ComparisonResult or dict
        A comparison result, or a dict method name to confusion matrix (rows: true classes).
    methods : list of str or None, default=None
        Methods to show, in this order; None means all with a matrix.
    normalize : {"true", "pred", "all"} or None, default="true"
        Divide by the row sums (recall), the column sums (precision), the total, or show counts.
    ncols : int, default=4
        Panels per row.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skiwce.comparison import plot_confusion_matrices
    >>> fig = plot_confusion_matrices({"ce": np.array([[8, 2], [5, 5]]),
    ...                                "iwce": np.array([[7, 3], [2, 8]])})
    >>> [ax.get_title() for ax in fig.axes if ax.get_title()]
    ['CE', 'IWCE']
    """
    import matplotlib.pyplot as plt

    if normalize not in ("true", "pred", "all", None):
        raise ValueError(
            f"normalize must be one of ('true', 'pred', 'all', None); got {normalize!r}."
        )
    matrices = getattr(result, "confusion", result)
    if not isinstance(matrices, dict):
        raise ValueError(
            "Expected a ComparisonResult or a dict of confusion matrices; got "
            f"{type(result).__name__}."
        )
    labels = getattr(result, "labels", None)
    names = list(matrices) if methods is None else list(methods)
    unknown = [m for m in names if m not in matrices]
    if unknown:
        raise ValueError(f"No confusion matrix for {unknown}; there are {list(matrices)}.")
    if not names:
        raise ValueError("There is no confusion matrix to plot (all fits failed?).")
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        cm = np.asarray(matrices[name], dtype=float)
        if normalize == "true":
            cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1e-12)
        elif normalize == "pred":
            cm = cm / np.maximum(cm.sum(axis=0, keepdims=True), 1e-12)
        elif normalize == "all":
            cm = cm / max(cm.sum(), 1e-12)
        ticks = labels if labels is not None and len(labels) == len(cm) else range(len(cm))
        ticks = [str(t) for t in ticks]
        ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
        threshold = (1 if normalize else cm.max()) / 2
        for (i, j), v in np.ndenumerate(cm):
            ax.text(
                j,
                i,
                f"{v:.2f}" if normalize else f"{v:.0f}",
                ha="center",
                va="center",
                color="white" if v > threshold else "black",
                fontsize="small",
            )
        ax.set_xticks(range(len(cm)), ticks)
        ax.set_yticks(range(len(cm)), ticks)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(display_name(name))
    fig.tight_layout()
    return fig


def plot_method_heatmap(table, *, metric="balanced_accuracy", methods=None, ax=None):
    """Heat map of a score's mean, method by data set.

    Parameters
    ----------
    table : pandas.DataFrame or ComparisonResult
        Runs with the columns ``method``, ``dataset`` and ``metric``, e.g. the tables of several
        comparisons concatenated with a ``dataset`` column added.
    metric : str, default="balanced_accuracy"
        The score to show.
    methods : list of str or None, default=None
        Methods (rows), in this order; None means all.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skiwce.comparison import plot_method_heatmap
    >>> table = pd.DataFrame({"method": ["ce", "iwce"] * 2, "dataset": ["a", "a", "b", "b"],
    ...                       "balanced_accuracy": [.7, .75, .6, .66]})
    >>> fig = plot_method_heatmap(table)
    >>> len(fig.axes[0].texts)
    4
    """
    table = _table(table)
    for column in ("method", "dataset", metric):
        if column not in table.columns:
            raise ValueError(f"table needs a {column!r} column; it has {list(table.columns)}.")
    methods = _methods(table, methods)
    datasets = list(dict.fromkeys(table["dataset"]))
    means = table.pivot_table(
        index="method", columns="dataset", values=metric, aggfunc="mean", dropna=False
    ).reindex(index=methods, columns=datasets)
    values = 100 * means.to_numpy(dtype=float)  # in %, as the cells and the colour bar read
    name = METRICS.get(metric, metric)
    fig, ax = _new_axes(
        ax, figsize=(max(4.0, 1.3 * len(datasets) + 3), max(3.0, 0.4 * len(methods) + 1))
    )
    image = ax.imshow(values, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax, label=f"{name} (%)")
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        text = "–" if not np.isfinite(v) else f"{v:.1f}"
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize="small",
            color="black" if np.isfinite(v) and v > middle else "white",
        )
    ax.set_xticks(range(len(datasets)), datasets, rotation=30, ha="right")
    ax.set_yticks(range(len(methods)), [display_name(m) for m in methods])
    ax.set_title(f"{name} (%) by method and data set")
    fig.tight_layout()
    return fig


def _cliques(ranks, cd):
    """Maximal runs ``(i, j)`` of sorted mean ranks whose spread is below ``cd``."""
    groups = []
    for i in range(len(ranks)):
        j = i
        while j + 1 < len(ranks) and ranks[j + 1] - ranks[i] < cd:
            j += 1
        if j > i and not (groups and j <= groups[-1][1]):
            groups.append((i, j))
    return groups


def plot_critical_difference(
    result, *, metric="balanced_accuracy", alpha=0.05, n_datasets=None, cd=None, ax=None
):
    """Critical-difference diagram of mean ranks over data sets (Demsar 2006, Fig. 1).

    The methods' mean ranks (1 = best) are marked on an axis, the best half labelled on the
    left and the others on the right; a bar above the axis shows Nemenyi's critical
    difference (:func:`critical_difference`), and thick lines under it join groups of methods
    whose mean ranks differ by less than it, i.e. that are not significantly different.

    Drawn with matplotlib alone (no extra dependency), from the same mean ranks and critical
    difference that :meth:`SuiteResult.ranks` and :meth:`SuiteResult.critical_difference`
    report, so the diagram and the report cannot disagree.

    Parameters
    ----------
    result : SuiteResult, dict or pandas.Series
        A suite of comparisons (its data sets with a score for every method count), or the
        mean rank of each method.
    metric : str, default="balanced_accuracy"
        The score ranked, for a suite.
    alpha : float, default=0.05
        Significance level of the critical difference.
    n_datasets : int or None, default=None
        Number of data sets behind mean ranks given directly (not for a suite).
    cd : float or None, default=None
        The critical difference to draw; None computes it from ``alpha``, the number of
        methods and of data sets.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skiwce.comparison import plot_critical_difference
    >>> ranks = {"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}
    >>> fig = plot_critical_difference(ranks, n_datasets=14, alpha=0.10)  # Demsar's Fig. 1
    >>> [line.get_gid() for line in fig.axes[0].lines].count("clique")
    2
    """
    if hasattr(result, "results") and hasattr(result, "_complete_scores"):
        if n_datasets is not None:
            raise ValueError("n_datasets is taken from the suite; give it for mean ranks only.")
        complete, _ = result._complete_scores(metric)
        if len(complete) < 2 or complete.shape[1] < 2:
            raise ValueError(
                "The diagram needs at least 2 data sets with a score for every method and at "
                f"least 2 methods; there are {len(complete)} and {complete.shape[1]}."
            )
        ranks = rank_methods(complete)["mean_rank"]
        n_datasets = len(complete)
    elif isinstance(result, (dict, pd.Series)):
        ranks = pd.Series(result, dtype=float)
        if len(ranks) < 2 or not np.all(np.isfinite(ranks.to_numpy())):
            raise ValueError(f"Expected finite mean ranks of at least 2 methods; got {result}.")
        if cd is None and n_datasets is None:
            raise ValueError("Give n_datasets (or cd) with mean ranks.")
    else:
        raise ValueError(
            f"Expected a SuiteResult or a dict of mean ranks; got {type(result).__name__}."
        )
    k = len(ranks)
    at = ""
    if cd is None:
        cd = critical_difference(k, n_datasets, alpha=alpha)
        at = f" at α = {alpha:g}"
    ranks = ranks.sort_values(kind="stable")
    values = ranks.to_numpy(dtype=float)
    cliques = _cliques(values, cd)
    half = math.ceil(k / 2)
    lo, hi = 1.0, max(float(k), 1.0 + cd)
    span = hi - lo
    rows = max(half, k - half)
    clique_top, row_step = 0.25, 0.3
    label_top = clique_top + 0.12 * len(cliques) + 0.25
    bottom = label_top + row_step * rows
    fig, ax = _new_axes(ax, figsize=(8.0, 1.0 + 0.9 * bottom))
    ax.set_xlim(lo - 0.65 * span, hi + 0.65 * span)
    ax.set_ylim(bottom, -1.0)
    ax.axis("off")
    # The rank axis, with integer ticks.
    ax.plot([1, k], [0, 0], color="black", linewidth=1.2, gid="axis")
    for tick in range(1, k + 1):
        ax.plot([tick, tick], [0, -0.1], color="black", linewidth=1.0)
        ax.text(tick, -0.15, str(tick), ha="center", va="bottom", fontsize="small")
    # The critical difference, from rank 1.
    ax.plot([1, 1 + cd], [-0.65, -0.65], color="black", linewidth=1.5, gid="cd")
    for end in (1, 1 + cd):
        ax.plot([end, end], [-0.72, -0.58], color="black", linewidth=1.0)
    ax.text(1 + cd / 2, -0.75, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize="small")
    # Methods: the best half on the left, the others on the right, lines that never cross.
    for i, (method, rank) in enumerate(ranks.items()):
        if i < half:
            y, x_text, ha = label_top + row_step * i, lo - 0.08 * span, "right"
        else:
            y, x_text, ha = label_top + row_step * (k - 1 - i), hi + 0.08 * span, "left"
        ax.plot([rank, rank, x_text], [0, y, y], color="black", linewidth=0.8, gid="method")
        ax.text(
            x_text + (-0.02 if ha == "right" else 0.02) * span,
            y,
            f"{display_name(method)} ({rank:.2f})",
            ha=ha,
            va="center",
            fontsize="small",
        )
    # Groups of methods not significantly different.
    for c, (i, j) in enumerate(cliques):
        y = clique_top + 0.12 * c
        ax.plot(
            [values[i] - 0.03 * span, values[j] + 0.03 * span],
            [y, y],
            color="black",
            linewidth=3.0,
            solid_capstyle="round",
            gid="clique",
        )
    title = "Mean rank (1 = best)"
    if n_datasets is not None:
        title += f" over {n_datasets} data sets"
    ax.set_title(title + f"; Nemenyi critical difference{at}", fontsize="medium")
    fig.tight_layout()
    return fig
