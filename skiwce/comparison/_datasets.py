"""``compare_dataset`` and ``compare_datasets``: :func:`compare` on named or given data sets."""

import warnings
from collections.abc import Mapping

import numpy as np

from ._baselines import METHODS
from ._result import SuiteResult
from ._runner import UNTRUSTED, BudgetWarning, compare

__all__ = ["compare_dataset", "compare_datasets"]


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


def _load(name, data_random_state):
    from ..datasets import load_dataset

    return load_dataset(name, random_state=data_random_state)


def _as_bunch(name, data):
    """A data set given as ``(X, y)``, ``(X, y, X_test, y_test)`` or a mapping with ``data``
    and ``target`` (and optionally ``data_test``, ``target_test``, ``target_names``)."""
    if isinstance(data, Mapping):
        missing = [k for k in ("data", "target") if k not in data]
        if missing:
            raise ValueError(f"datasets[{name!r}] has no {missing}; give data and target.")
        return data
    if isinstance(data, tuple) and len(data) in (2, 4):
        keys = ("data", "target", "data_test", "target_test")
        return dict(zip(keys, data, strict=False))
    raise ValueError(
        f"datasets[{name!r}] must be (X, y), (X, y, X_test, y_test) or a mapping with 'data' "
        f"and 'target'; got {type(data).__name__}."
    )


def _compare_one(name, data, estimators, *, reference, common_params, kwargs):
    y, y_test = data["target"], data.get("target_test")
    names = data.get("target_names")
    if names is not None:
        names = np.asarray(names)
        y, y_test = (None if t is None else _label(t, names) for t in (y, y_test))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BudgetWarning)
        result = compare(
            estimators,
            data["data"],
            y,
            X_test=data.get("data_test"),
            y_test=y_test,
            reference=reference,
            common_params=common_params,
            **kwargs,
        )
    budget = []
    for w in caught:
        if issubclass(w.category, BudgetWarning):
            budget.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    result.table.insert(0, "dataset", name)
    return result, budget


def _warn_about_budget(messages):
    """compare's BudgetWarnings, once per distinct message, naming the data sets it concerns
    (``messages``: data set name to its messages)."""
    by_text = {}
    for name, texts in messages.items():
        for text in texts:
            by_text.setdefault(text, []).append(name)
    for text, names in by_text.items():
        where = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        if text.startswith(UNTRUSTED):
            text = f"The results on {where} may not be trusted: " + text[len(UNTRUSTED) :]
        else:
            text = f"On {where}: {text}"
        warnings.warn(text, BudgetWarning, stacklevel=3)


def _reference(reference, estimators):
    if reference is not None and reference not in list(estimators):
        return next(iter(estimators), None)
    return reference


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
    to be concatenated with other data sets' tables for :func:`plot_method_heatmap`; for
    several data sets with ranks and tests across them, use :func:`compare_datasets`.

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
    >>> result.table[["dataset", "method", "seed", "fold", "n_train", "n_test"]]
               dataset method  seed  fold  n_train  n_test
    0  paper_quantiles   iwce     0     0     2200   10000
    1  paper_quantiles     ce     0     0     2200   10000
    >>> result.fixed_test  # so the paired tests are t-tests over the seeds
    True
    """
    if not isinstance(dataset, str):
        raise ValueError(
            f"dataset must be one data set name; got {dataset!r}. Use compare_datasets for "
            "several."
        )
    if estimators is None:
        estimators = list(METHODS)
    data = _load(dataset, data_random_state)
    result, budget = _compare_one(
        dataset,
        data,
        estimators,
        reference=_reference(reference, estimators),
        common_params=common_params,
        kwargs=kwargs,
    )
    _warn_about_budget({dataset: budget})
    return result


def compare_datasets(
    datasets,
    estimators=None,
    *,
    data_random_state=0,
    common_params=None,
    reference="iwce",
    **kwargs,
):
    """Run :func:`compare` on several data sets, and compare the methods across them.

    Each data set is compared as :func:`compare_dataset` does (a fixed test split when it has
    one, else repeated stratified cross-validation), with the same methods, settings and
    ``random_state``. The returned :class:`SuiteResult` tests the methods per data set
    (:meth:`~SuiteResult.tests`: the corrected resampled t-test over repeated cross-validation,
    a paired t-test over the seeds of a fixed test split, Holm-corrected) and across data sets
    (:meth:`~SuiteResult.ranks`, :meth:`~SuiteResult.friedman`,
    :func:`plot_critical_difference`), and writes it all with :meth:`~SuiteResult.save`.

    Parameters
    ----------
    datasets : list of str or dict
        Names of :data:`skiwce.datasets.DATASETS`, or a dict name to data: ``(X, y)``,
        ``(X, y, X_test, y_test)`` or a mapping with ``data`` and ``target`` (and optionally
        ``data_test``, ``target_test``, ``target_names``), as ``load_dataset`` returns.
    estimators : dict, list of str or None, default=None
        As for :func:`compare`; None means all :data:`~skiwce.comparison.METHODS`.
    data_random_state : int, default=0
        Passed to ``load_dataset`` for named data sets.
    common_params : dict or None, default=None
        :class:`~skiwce.IWCEClassifier` parameters shared by named methods.
    reference : str or None, default="iwce"
        The method of the tests; when it is not among the methods, the first method.
    **kwargs : dict
        Other parameters of :func:`compare` (``cv``, ``n_seeds``, ``random_state``, ``n_jobs``,
        ``progress``...).

    Returns
    -------
    suite : SuiteResult

    Raises
    ------
    ValueError
        For no data set, a repeated or unknown one, or data in an unknown form.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skiwce.comparison import Flatten, compare_datasets
    >>> tree = make_pipeline(Flatten(), DecisionTreeClassifier(max_depth=4))  # images too
    >>> suite = compare_datasets(["paper_quantiles", "digits_lt"],
    ...                          {"tree": tree, "prior": DummyClassifier()},
    ...                          n_seeds=2, progress=False)
    >>> suite.reference  # "iwce" is not among the methods: the first one
    'tree'
    >>> suite.scores().round(2)
    method           tree  prior
    dataset
    paper_quantiles  0.45   0.33
    digits_lt        0.54   0.10
    >>> suite.tests().loc["digits_lt", ["n_pairs", "test"]].values.tolist()
    [[nan, 't'], [2.0, 't']]
    """
    if isinstance(datasets, str):
        raise ValueError(
            f"datasets must be a list of data set names or a dict; got the string "
            f"{datasets!r}. Wrap it in a list, or use compare_dataset."
        )
    if isinstance(datasets, Mapping):
        items = [(str(name), _as_bunch(name, data)) for name, data in datasets.items()]
    else:
        names = list(datasets)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"datasets must not repeat a data set; got {repeated} twice.")
        for name in names:
            if not isinstance(name, str):
                raise ValueError(
                    f"datasets must hold data set names (str); got {name!r}. Give a dict "
                    "name -> (X, y) for data of your own."
                )
        # Load every data set first: a bad name fails before any training.
        items = [(name, _load(name, data_random_state)) for name in names]
    if not items:
        raise ValueError("datasets is empty; give at least one data set.")
    if estimators is None:
        estimators = list(METHODS)
    reference = _reference(reference, estimators)
    results, budget = {}, {}
    for name, data in items:
        results[name], budget[name] = _compare_one(
            name,
            data,
            estimators,
            reference=reference,
            common_params=common_params,
            kwargs=kwargs,
        )
    _warn_about_budget(budget)
    return SuiteResult(results, reference)
