"""Plots of the schedule, the training curves and the comparison results (matplotlib).

Every function draws into ``ax``/``axes`` if given, else into a new figure, and returns the
:class:`~matplotlib.figure.Figure`; none calls ``plt.show()``, so all work with the Agg backend.
"""

import numpy as np
import pandas as pd

from ..functional import alpha_schedule

__all__ = [
    "plot_alpha",
    "plot_confusion_matrices",
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
    if history is None or not len(history):
        raise ValueError(
            "Expected a fitted IWCEClassifier or skorch net with a history; got "
            f"{type(estimator).__name__}."
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
    ax.set_xticklabels(methods, rotation=45, ha="right")
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
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['ce', 'iwce']
    """
    table = _table(result)
    if metric not in table.columns:
        raise ValueError(f"Unknown metric {metric!r}; the table has {list(table.columns)}.")
    methods = _methods(table, methods)
    data = [table.loc[table["method"] == m, metric].dropna().to_numpy() for m in methods]
    fig, ax = _new_axes(ax, figsize=(max(5.0, 0.5 * len(methods)), 4))
    ax.boxplot(data, showmeans=True)
    ax.set_xticks(np.arange(1, len(methods) + 1))
    ax.set_xticklabels(methods, rotation=45, ha="right")
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
    ['ce', 'iwce']
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
        ax.set_title(name)
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
    values = means.to_numpy(dtype=float)
    fig, ax = _new_axes(
        ax, figsize=(max(4.0, 1.3 * len(datasets) + 2), max(3.0, 0.4 * len(methods) + 1))
    )
    image = ax.imshow(values, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax, label=metric)
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        text = "–" if not np.isfinite(v) else f"{100 * v:.1f}"
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
    ax.set_yticks(range(len(methods)), methods)
    ax.set_title(f"{metric} (%) by method and data set")
    fig.tight_layout()
    return fig
