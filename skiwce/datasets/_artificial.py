"""The paper's artificial Gaussian-quantile data set (Taherkhani et al.'s recipe)."""

import numbers

import numpy as np
from sklearn.datasets import make_gaussian_quantiles
from sklearn.utils import Bunch

SUBSETS = ("train", "test", "all")

_N_CLASSES = 3
# Taherkhani et al. draw a pool of 3 * 1000 training rows; when a class of the pool is short of
# its requested count the pool grows by this fraction of that size, up to _MAX_GROWTH times.
_GROWTH = 0.05
_MAX_GROWTH = 100

_DESCR = """\
Artificial Gaussian-quantile data (the IWCE paper's first experiment)
--------------------------------------------------------------------

Three classes of ``n_features``-dimensional standard normal points split by the radius
``sum_j x_j**2`` at its empirical 1/3 and 2/3 quantiles (Zhu et al. 2009; the paper's eq. 17),
made with one call of ``sklearn.datasets.make_gaussian_quantiles(n_classes=3)``.

Recipe (Taherkhani et al. 2020, AdaBoost-CNN, github a-taherkhani/AdaBoost_CNN): the first
``n_pool`` rows of that call are the training pool and the last ``n_test`` rows the test set. Each
training class is cut to its requested count by deleting its first rows (Taherkhani deletes the
first 200 class-0 and 500 class-1 rows of a 3000-row pool).

Departures from Taherkhani: the paper's counts C1 = 800, C2 = 400, C3 = 1000 are made exact
(Taherkhani ends with about 800/500/1000), so the deletions follow from the requested counts
instead of being fixed; and the pool starts at ``3 * max(train_counts)`` rows (3000, as
Taherkhani) and grows by 5 % until every class has at least its requested count. With the
default ``random_state=1`` a 3000-row pool holds only 996 rows of the third class, so the default
data are not Taherkhani's rows. The paper's 10 features and 10 000 test rows are read from a
garbled text and are inferred, not stated.
"""


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_train_counts(train_counts):
    counts = list(train_counts) if np.iterable(train_counts) else None
    if counts is None or len(counts) != _N_CLASSES:
        raise ValueError(
            f"train_counts must hold one count per class ({_N_CLASSES} classes); "
            f"got {train_counts!r}."
        )
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
            raise ValueError(f"train_counts must hold integers >= 1; got {train_counts!r}.")
    return np.asarray(counts, dtype=np.int64)


def make_paper_quantiles(
    *,
    subset="train",
    n_features=10,
    train_counts=(800, 400, 1000),
    n_test=10000,
    random_state=1,
    return_X_y=False,
):
    """The paper's artificial 3-class Gaussian-quantile data, 800/400/1000 training rows.

    One call of :func:`sklearn.datasets.make_gaussian_quantiles` with ``n_classes=3`` draws a
    pool of training rows followed by ``n_test`` test rows, following Taherkhani et al.'s
    AdaBoost-CNN recipe that the paper appears to reuse. Each training class is then cut to its
    count in ``train_counts`` by deleting its *first* rows of the pool, as Taherkhani does. The
    test set keeps its balanced classes (about ``n_test / 3`` rows each).

    The pool starts at ``3 * max(train_counts)`` rows (Taherkhani's 3000) and grows by 5 % of
    that size until every class has at least its requested count, so the counts are always
    exact. This departs from Taherkhani, who deletes a fixed 200/500 rows and ends with about
    800/500/1000; the paper reports 800/400/1000. With the default ``random_state=1`` a 3000-row
    pool holds only 996 rows of the third class, so the default data are not Taherkhani's rows.
    The row order of the pool is kept.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which rows ``data`` and ``target`` hold. ``"all"`` returns the training rows in ``data``
        and ``target`` and the test rows in ``data_test`` and ``target_test``.
    n_features : int, default=10
        Number of features (the paper's 10 is inferred from a garbled text).
    train_counts : sequence of 3 int, default=(800, 400, 1000)
        Training rows of each class (the paper's C1, C2, C3).
    n_test : int, default=10000
        Number of test rows.
    random_state : int, RandomState instance or None, default=1
        Seeds :func:`~sklearn.datasets.make_gaussian_quantiles`; 1 is Taherkhani's seed.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch; with ``subset="all"`` return
        ``(X_train, X_test, y_train, y_test)``, the order of
        :func:`~sklearn.model_selection.train_test_split`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        - ``data`` : ndarray of float32, shape (n_rows, n_features)
        - ``target`` : ndarray of int64, shape (n_rows,), classes 0, 1, 2 (from the smallest
          radius outwards)
        - ``data_test``, ``target_test`` : the test rows, with ``subset="all"`` only
        - ``target_names`` : ndarray of str, ``["c1", "c2", "c3"]``
        - ``feature_names`` : list of str
        - ``n_pool`` : int, the size of the training pool that was drawn
        - ``DESCR`` : str, the recipe and its departures from the paper
    (data, target) : tuple if ``return_X_y`` is True
        Or ``(X_train, X_test, y_train, y_test)`` with ``subset="all"``.

    See Also
    --------
    sklearn.datasets.make_gaussian_quantiles : The generator underneath.

    References
    ----------
    .. [1] A. Taherkhani, G. Cosma, T. M. McGinnity, "AdaBoost-CNN: an adaptive boosting
       algorithm for convolutional neural networks to classify multi-class imbalanced datasets
       using transfer learning", Neurocomputing 404 (2020) 351-366.

    Examples
    --------
    >>> import numpy as np
    >>> from skiwce.datasets import make_paper_quantiles
    >>> X, y = make_paper_quantiles(return_X_y=True)
    >>> X.shape, X.dtype
    ((2200, 10), dtype('float32'))
    >>> np.bincount(y)
    array([ 800,  400, 1000])
    >>> data = make_paper_quantiles(subset="all")
    >>> data.data_test.shape
    (10000, 10)
    """
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}; got {subset!r}.")
    n_features = _check_positive_int(n_features, "n_features")
    n_test = _check_positive_int(n_test, "n_test")
    counts = _check_train_counts(train_counts)

    base = _N_CLASSES * int(counts.max())
    for growth in range(_MAX_GROWTH + 1):
        n_pool = base + int(np.ceil(growth * _GROWTH * base))
        # A RandomState instance is consumed by each try, an int re-seeds it: both are
        # deterministic for a given random_state.
        X, y = make_gaussian_quantiles(
            n_samples=n_pool + n_test,
            n_features=n_features,
            n_classes=_N_CLASSES,
            random_state=random_state,
        )
        pool_counts = np.bincount(y[:n_pool], minlength=_N_CLASSES)
        if np.all(pool_counts >= counts):
            break
    else:  # pragma: no cover - needs a pool short of a class 100 times in a row
        raise ValueError(
            f"Could not draw a training pool with at least train_counts={counts.tolist()} rows "
            f"per class; the last pool of {n_pool} rows had {pool_counts.tolist()}."
        )

    X = X.astype(np.float32)
    y = y.astype(np.int64)
    X_pool, y_pool = X[:n_pool], y[:n_pool]
    keep = np.ones(n_pool, dtype=bool)
    for c in range(_N_CLASSES):
        rows = np.flatnonzero(y_pool == c)
        keep[rows[: len(rows) - counts[c]]] = False  # delete the first rows of the class
    X_train, y_train = X_pool[keep], y_pool[keep]
    X_test, y_test = X[n_pool:], y[n_pool:]

    if subset == "all" and return_X_y:
        return X_train, X_test, y_train, y_test
    if subset == "test":
        X_out, y_out = X_test, y_test
    else:
        X_out, y_out = X_train, y_train
    if return_X_y:
        return X_out, y_out
    bunch = Bunch(
        data=X_out,
        target=y_out,
        target_names=np.array(["c1", "c2", "c3"]),
        feature_names=[f"x{j}" for j in range(n_features)],
        n_pool=n_pool,
        DESCR=_DESCR,
    )
    if subset == "all":
        bunch.data_test = X_test
        bunch.target_test = y_test
    return bunch
