"""``compare``: fit several methods on the same splits and seeds and score every run."""

import copy
import functools
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import (
    _safe_indexing,
    check_array,
    check_consistent_length,
    check_random_state,
    column_or_1d,
)
from sklearn.utils.multiclass import check_classification_targets
from tqdm.auto import tqdm

from ._baselines import make_methods
from ._metrics import scores, scores_keys
from ._result import ComparisonResult

__all__ = ["BudgetWarning", "compare"]

# Below this many epochs a network method's result is flagged (benchmarks/results/budget_cpu.md:
# at 5 epochs the paper's MLP reached 48 % balanced accuracy on the paper's data against 87 % at
# 100; the CNN 90 % against 94 %).
MIN_EPOCHS = 20
# A paired test is flagged when the smallest difference it can find at p < 0.05 exceeds this
# many standard deviations of the per-run differences.
MAX_DETECTABLE = 1.5
# How a BudgetWarning starts (compare_datasets names the data sets in its place).
UNTRUSTED = "The result may not be trusted: "


class BudgetWarning(UserWarning):
    """:func:`~skiwce.comparison.compare`'s budget is too small for its verdicts to be trusted:
    too few paired runs for the tests, or networks trained for too few epochs.

    See the user guide's "When the budget is too small" for the two rules and the
    measurements behind them.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from skiwce.comparison import BudgetWarning, compare
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> methods = {"a": DummyClassifier(), "b": DummyClassifier(strategy="uniform")}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", BudgetWarning)
    ...     _ = compare(methods, X, y, cv=3, progress=False, reference="a")
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    The result may not be trusted: 3 paired runs (seeds x folds) per method: a difference must
    exceed 3.93 standard deviations ...
    """


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


def _run(task, estimator, X, y, X_eval, y_eval, labels, return_train_score, keep):
    """Fit one method on one split; never raises for a failed fit."""
    name, seed, fold, seed_value, train, test = task
    X_train, y_train = _rows(X, train), y[train]
    X_test, y_test = (_rows(X, test), y[test]) if X_eval is None else (X_eval, y_eval)
    # The split sizes: the corrected resampled t-test needs n_test / n_train.
    row = {"method": name, "seed": seed, "fold": fold, "n_train": len(y_train)}
    row["n_test"] = len(y_test)
    nan_scores = dict.fromkeys(scores_keys(labels, return_train_score), np.nan)
    estimator = _seed_estimator(clone(estimator), seed_value)
    _warm_up_torch()
    start = time.perf_counter()
    try:
        estimator.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        if _interrupted(estimator):
            # skorch turns Ctrl-C into a warning and a half-trained model; a comparison stops.
            raise KeyboardInterrupt
        run_scores, cm = _evaluate(
            estimator, X_train, y_train, X_test, y_test, labels, return_train_score
        )
        error = None
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result, not a crash
        fit_time = time.perf_counter() - start
        run_scores, cm, estimator = nan_scores, None, None
        error = f"{type(exc).__name__}: {exc}"
    row.update(run_scores)
    row["fit_time"] = fit_time
    row["error"] = error
    return row, cm, (estimator if keep else None)


def _rows(X, indices):
    """Rows of X (an array of any sample shape, a DataFrame or a sparse matrix), as
    scikit-learn's cross-validation takes them."""
    return _safe_indexing(X, indices)


def _is_frame(X):
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _non_numeric_columns(frame):
    return [
        str(c)
        for c, dtype in frame.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    ]


def _check_X(X, name, *, named):
    """``X`` as the methods will get it: a DataFrame or a sparse matrix as given (a sparse
    format without row indexing as CSR), anything else as an array of any sample shape.

    ``named`` (the methods are skiwce's, built from names): X must be numeric and finite, and
    a DataFrame becomes an array, as the networks and samplers take it. Estimators given by the
    caller get X as given, to check as they do (a pipeline may encode or impute).
    """
    if sp.issparse(X):
        if X.ndim != 2:
            raise ValueError(f"{name} is a sparse matrix of {X.ndim} dimensions; give 2.")
        X = X if X.format in ("csr", "csc") else X.tocsr()
        if named:
            check_array(X, accept_sparse=("csr", "csc"), input_name=name)
        return X
    if _is_frame(X):
        if not named:
            return X
        text = _non_numeric_columns(X)
        if text:
            raise ValueError(
                f"{name} has non-numeric columns {text}; the named methods take numbers. "
                "Encode them first (e.g. pandas.get_dummies, or a OneHotEncoder in a "
                "ColumnTransformer), or give the methods as a dict of pipelines that encode "
                "them."
            )
        return check_array(X, dtype="numeric", input_name=name)
    if named:
        return check_array(X, allow_nd=True, dtype=None, input_name=name)
    return check_array(X, allow_nd=True, dtype=None, ensure_all_finite=False, input_name=name)


def _run_alone(*args):
    """:func:`_run` as a job of compare's list-returning jobs."""
    return [_run(*args)]


def _evaluate(estimator, X_train, y_train, X_test, y_test, labels, return_train_score):
    """The scores and the confusion matrix of a fitted estimator on its test data."""
    y_pred = estimator.predict(X_test)
    run_scores = scores(y_test, y_pred, labels)
    if return_train_score:
        y_fit = estimator.predict(X_train)
        run_scores["train_accuracy"] = accuracy_score(y_train, y_fit)
        run_scores["train_balanced_accuracy"] = balanced_accuracy_score(y_train, y_fit)
    return run_scores, confusion_matrix(y_test, y_pred, labels=labels)


def _stackable(estimator, X, y, tasks):
    """Whether the runs ``tasks`` of one method can train as one stacked model: a plain
    IWCEClassifier whose fit the engine trains exactly (see
    :func:`skiwce._fit_spec.why_not_stacked`), every class in every training set."""
    from .._classifier import IWCEClassifier  # noqa: PLC0415 - torch-heavy, needed here only
    from .._fit_spec import why_not_stacked  # noqa: PLC0415
    from .._stacked_fit import stack_spec  # noqa: PLC0415

    if type(estimator) is not IWCEClassifier or np.ndim(X) < 2:
        return False
    if sp.issparse(X):  # the stacked engine takes dense arrays; a fit alone densifies per batch
        return False
    classes = np.unique(y)
    try:
        spec = stack_spec(estimator, np.shape(X)[1:], classes)
    except (ValueError, TypeError):  # invalid settings: the one-by-one fit records the error
        return False
    if why_not_stacked(spec) is not None:
        return False
    return all(len(np.unique(y[task[4]])) == len(classes) for task in tasks)


def _stacks(estimators, X, y, tasks, keep):
    """The runs that train as stacked models, in groups: all runs (seeds x folds) of the
    stackable methods whose settings differ at most in ``T`` (IWCE at several temperatures
    is one stack)."""
    from .._stacked_fit import same_settings  # noqa: PLC0415

    by_method = {}
    for task in tasks:
        by_method.setdefault(task[0], []).append(task)
    groups = []  # (representative estimator, tasks)
    for name, method_tasks in by_method.items():
        est = estimators[name]
        if not _stackable(est, X, y, method_tasks):
            continue
        for rep, group in groups:
            if same_settings(rep, est):
                group.extend(method_tasks)
                break
        else:
            groups.append((est, list(method_tasks)))
    return [group for _, group in groups]


def _run_stacked(tasks, estimators, X, y, X_eval, y_eval, labels, return_train_score, keep):
    """The runs ``tasks`` (of methods whose settings differ at most in T), trained as one
    stacked model.

    Each run's ``fit_time`` is its share of the stack's training time. A stack that raises
    records the error in every one of its runs.
    """
    from .._stacked_fit import fit_stacked  # noqa: PLC0415

    seeded = [_seed_estimator(clone(estimators[task[0]]), task[3]) for task in tasks]
    _warm_up_torch()
    start = time.perf_counter()
    try:
        members = fit_stacked(
            seeded[0],
            X,
            y,
            [task[4] for task in tasks],
            per_model=[{"T": est.T, "random_state": est.random_state} for est in seeded],
        )
        error = None
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result, not a crash
        members, error = [None] * len(tasks), f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - start) / len(tasks)
    outputs = []
    for task, member in zip(tasks, members, strict=True):
        name, seed, fold, _, train, test = task
        X_test, y_test = (_rows(X, test), y[test]) if X_eval is None else (X_eval, y_eval)
        row = {"method": name, "seed": seed, "fold": fold, "n_train": len(train)}
        row["n_test"] = len(y_test)
        cm, run_error = None, error
        nan_scores = dict.fromkeys(scores_keys(labels, return_train_score), np.nan)
        if member is None:
            row.update(nan_scores)
        else:
            try:
                run_scores, cm = _evaluate(
                    member, _rows(X, train), y[train], X_test, y_test, labels, return_train_score
                )
                row.update(run_scores)
            except Exception as exc:  # noqa: BLE001 - as a one-by-one run records it
                row.update(nan_scores)
                run_error = f"{type(exc).__name__}: {exc}"
        row["fit_time"] = elapsed if member is None else member.fit_time_
        row["error"] = run_error
        outputs.append((row, cm, member if name in keep else None))
    return outputs


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


def _check_cv(cv):
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be an int >= 2 or a cross-validation splitter; got {cv}.")
        return cv
    if hasattr(cv, "split") and not isinstance(cv, str):
        return cv
    raise ValueError(f"cv must be an int >= 2 or a cross-validation splitter; got {cv!r}.")


def _splits(cv, X, y, seed_value):
    """The (train, test) index pairs of one seed; the caller's splitter is never changed."""
    if isinstance(cv, Integral):
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed_value)
    else:
        # A copy gets the seed: scikit-learn splitters are cloned, any other is deep-copied.
        splitter = clone(cv) if hasattr(cv, "get_params") else copy.deepcopy(cv)
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
    stack=True,
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
    X : array-like of shape (n_samples, ...), DataFrame or sparse matrix
        Inputs of any sample shape the estimators take: ``(n, features)``,
        ``(n, channels, length)``, ``(n, channels, height, width)``. Each method gets its rows
        as given, the way :func:`~sklearn.model_selection.cross_validate` passes them: a
        DataFrame stays a DataFrame (so a pipeline can select columns by name and encode
        text columns), a sparse matrix stays sparse (a format without row indexing becomes
        CSR). With methods given by name, X must be numeric and finite and a DataFrame
        becomes an array; a DataFrame with non-numeric columns is refused, naming them.
    y : array-like of shape (n_samples,)
        Class labels.
    X_test, y_test : array-like or None, default=None
        A fixed test set, of the same kind as ``X``. When given, each seed is one train/test
        run (``fold`` 0) and ``cv`` is not used.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds, or a splitter (a copy of a shuffling splitter with a
        ``random_state`` gets each seed's integer; the splitter given is not changed).
    n_seeds : int, default=1
        Number of repetitions with different seeds.
    random_state : int, RandomState instance or None, default=0
        Draws the seeds.
    n_jobs : int or None, default=None
        Runs in parallel with joblib over (method, seed, fold), a stack of runs (``stack``)
        being one job; None runs them one after the other in this process.
    reference : str or None, default="iwce"
        The method the paired tests of :meth:`~skiwce.comparison.ComparisonResult.tests`
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
    stack : bool, default=True
        Train all the runs (seeds x folds) of each network method that is a plain
        :class:`~skiwce.IWCEClassifier` as one stacked model (see
        :class:`~skiwce.IWCEClassifierCV`), together with those of methods whose settings
        differ only in ``T``: the same networks, trained in one batched computation, far
        faster on a CPU; each run's ``fit_time`` is then its share of the stack's time.
        Methods the stacked engine does not cover (pipelines with a sampler, AdaBoost, other
        losses) are fitted one run at a time. A stacked run's kept estimator
        (``return_estimators``) is the trained model of the stack, which predicts as the
        IWCEClassifier would and has ``history_`` (``train_loss``, ``alpha``,
        ``class_weight`` per epoch) instead of ``net_``. False fits every run on its own.

    Returns
    -------
    result : ComparisonResult
        Its ``table`` has one row per method, seed and fold with the columns ``method``,
        ``seed`` (0-based), ``fold``, ``n_train`` and ``n_test`` (the sizes of the run's
        training and test data, which the corrected resampled t-test needs), ``accuracy``,
        ``balanced_accuracy``, ``f1_macro``, ``g_mean``, ``recall_<label>`` and ``f1_<label>``
        for each class (NaN for a class absent from the test data, and for F1 also never
        predicted), the train scores if asked, ``fit_time`` (seconds) and ``error`` (None, or
        ``"ExceptionType: message"`` of a fit or prediction that raised). Its
        ``fixed_test`` is True when ``X_test`` was given: the paired tests are then t-tests
        over the seeds, which measure seed variance only.

    See Also
    --------
    skiwce.comparison.make_methods : The baselines.
    skiwce.comparison.compare_datasets : The same on several data sets, with ranks.
    skiwce.comparison.paired_tests : The paired tests of the summary.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skiwce.comparison import compare
    >>> X, y = make_classification(n_samples=200, weights=[0.85], random_state=0)
    >>> result = compare(["iwce", "ce"], X, y, cv=3, progress=False,
    ...                  common_params={"max_epochs": 3})
    >>> result.table.shape
    (6, 15)
    >>> list(result.table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['method', 'seed', 'fold', 'n_train', 'n_test', 'accuracy', 'balanced_accuracy',
     'f1_macro', 'g_mean', 'recall_0', 'recall_1', 'f1_0', 'f1_1', 'fit_time', 'error']
    >>> result.table[["n_train", "n_test"]].iloc[0].tolist()
    [133, 67]
    >>> result.summary().loc["ce", ["n_runs", "n_pairs"]].tolist()
    [3.0, 3.0]
    >>> print(result.to_markdown().splitlines()[0])
    | Method | Accuracy (%) | Balanced acc. (%) | Macro F1 (%) | G-mean (%) | Fit time (s) | ...
    """
    named = not isinstance(estimators, dict)
    estimators = _resolve_estimators(estimators, common_params)
    if reference is not None and reference not in estimators:
        raise ValueError(
            f"reference {reference!r} is not among the methods {list(estimators)}; pass one of "
            "them or reference=None."
        )
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, Integral) or n_seeds < 1:
        raise ValueError(f"n_seeds must be an int >= 1; got {n_seeds!r}.")
    X = _check_X(X, "X", named=named)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    check_classification_targets(y)
    if (X_test is None) != (y_test is None):
        raise ValueError("Give both X_test and y_test, or neither.")
    if X_test is not None:
        X_test = _check_X(X_test, "X_test", named=named)
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

    stacks = _stacks(estimators, X, y, tasks, keep) if stack else []
    in_stacks = {task[0] for group in stacks for task in group}
    tasks_alone = [task for task in tasks if task[0] not in in_stacks]

    def jobs():
        # The stacks first (the longest jobs), then the runs fitted alone; each job returns a
        # list of (row, confusion matrix, estimator).
        for group in stacks:
            yield delayed(_run_stacked)(
                group, estimators, X, y, X_test, y_test, labels, return_train_score, keep
            )
        for task in tasks_alone:
            yield delayed(_run_alone)(
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
            results = (func(*args, **kwargs) for func, args, kwargs in jobs())
        else:
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs())
        for out in results:
            outputs += out
            bar.update(len(out))
    finally:
        bar.close()

    order = {name: i for i, name in enumerate(estimators)}
    outputs.sort(key=lambda o: (order[o[0]["method"]], o[0]["seed"], o[0]["fold"]))
    columns = ["method", "seed", "fold", "n_train", "n_test"]
    columns += scores_keys(labels, return_train_score)
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
    _warn_about_budget(table, estimators, reference, fixed_test=X_test is not None)
    return ComparisonResult(
        table, labels, reference, confusion, kept, fixed_test=X_test is not None
    )


def detectable_difference(n_runs, test_train_ratio=None):
    """The smallest mean paired difference, in standard deviations of the per-run differences,
    that a two-sided paired test over ``n_runs`` runs finds at p < 0.05.

    ``t_{0.975, n-1} * sqrt(1 / n + ratio)`` with the corrected resampled t-test's
    ``ratio = n_test / n_train`` (repeated cross-validation), or ``t / sqrt(n)`` for a paired
    t-test over the seeds of a fixed test set (``test_train_ratio=None``). Infinite below 2
    runs.
    """
    from scipy import stats  # noqa: PLC0415

    if n_runs < 2:
        return np.inf
    t = stats.t.ppf(0.975, n_runs - 1)
    return float(t * np.sqrt(1 / n_runs + (test_train_ratio or 0.0)))


def _warn_about_budget(table, estimators, reference, *, fixed_test):
    """BudgetWarning when the runs are too few for the paired tests, or networks trained for
    fewer than MIN_EPOCHS epochs."""
    messages = []
    method = reference if reference is not None else next(iter(estimators))
    runs = table[(table["method"] == method) & table["error"].isna()]
    if len(runs):
        ratio = None if fixed_test else float(np.mean(runs["n_test"] / runs["n_train"]))
        factor = detectable_difference(len(runs), ratio)
        if factor > MAX_DETECTABLE:
            kind = "seeds of the fixed test set" if fixed_test else "runs (seeds x folds)"
            messages.append(
                f"{len(runs)} paired {kind} per method: a difference must exceed "
                f"{factor:.2f} standard deviations of the per-run differences to reach "
                f"p < 0.05, so only large differences can be found; use more seeds "
                f"(n_seeds / --seeds)."
            )
    short = sorted(
        name
        for name, est in estimators.items()
        if any(
            (key == "max_epochs" or key.endswith("__max_epochs"))
            and isinstance(value, Integral)
            and value < MIN_EPOCHS
            for key, value in est.get_params(deep=True).items()
            if isinstance(value, Integral)
        )
    )
    if short:
        messages.append(
            f"the networks of {short} train for fewer than {MIN_EPOCHS} epochs; they have "
            "likely not converged, so the comparison measures the budget rather than the "
            "methods (max_epochs / --epochs)."
        )
    if messages:
        warnings.warn(
            UNTRUSTED + " Also, ".join(messages),
            BudgetWarning,
            stacklevel=3,
        )
