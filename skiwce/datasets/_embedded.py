"""Data that work offline, and the registry of named data sets used by the comparison."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.utils import Bunch, check_random_state

from .._names import DATASETS, FETCHED_DATASETS
from ._artificial import make_paper_quantiles
from ._long_tail import make_long_tailed
from ._mnist1d import make_mnist1d

_DIGITS_TEST_PER_CLASS = 50
_DIGITS_RATIO = 10
_MNIST1D_LT_SAMPLES = 8000
_MNIST1D_TEST_PER_CLASS = 200
_MNIST1D_RATIO = 20


def load_digits_images(*, return_X_y=False):
    """scikit-learn's handwritten digits as one-channel 8 x 8 images scaled to [0, 1].

    The 1797 images of :func:`sklearn.datasets.load_digits` (about 180 per class), which ship
    with scikit-learn, so they work offline. Pixel values 0..16 are divided by 16.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        - ``data`` : ndarray of float32, shape (1797, 1, 8, 8)
        - ``target`` : ndarray of int64, shape (1797,), digits 0..9
        - ``target_names`` : ndarray of int, ``0..9``
        - ``DESCR`` : str, scikit-learn's description
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skiwce.datasets import load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> X.shape, X.dtype, float(X.max())
    ((1797, 1, 8, 8), dtype('float32'), 1.0)
    """
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    if return_X_y:
        return X, y
    descr = (
        "Digits as images (skiwce)\n-------------------------\n\n"
        "scikit-learn's digits reshaped to (n, 1, 8, 8) float32 and divided by 16.\n\n"
        + digits.DESCR
    )
    return Bunch(data=X, target=y, target_names=np.arange(10), DESCR=descr)


def _balanced_test_split(y, per_class, rng):
    """Boolean mask of a test part with ``per_class`` random rows of every class."""
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        test[rng.choice(rows, size=per_class, replace=False)] = True
    return test


def _long_tailed_split(X, y, *, per_class, ratio, rng, name, descr):
    test = _balanced_test_split(y, per_class, rng)
    X_train, y_train = make_long_tailed(
        X[~test], y[~test], imbalance_ratio=ratio, profile="exponential", random_state=rng
    )
    counts = np.bincount(y_train).tolist()
    return Bunch(
        data=X_train,
        target=y_train,
        data_test=X[test],
        target_test=y[test],
        target_names=np.arange(10),
        DESCR=(
            f"{name}\n{'-' * len(name)}\n\n{descr}\n\nTraining part: exponential long tail, "
            f"imbalance ratio {ratio}, rows per class {counts}. Test part: {per_class} random "
            "rows of every class, drawn before the long tail is made.\n"
        ),
    )


def load_dataset(name, *, random_state=0):
    """Load one of the named data sets of the comparison: offline, or downloaded on first use.

    The offline ones, the keys of :data:`DATASETS`:

    - ``"paper_quantiles"``: :func:`make_paper_quantiles` with ``subset="all"``;
    - ``"digits"``: :func:`load_digits_images`;
    - ``"digits_lt"``: the digits split into a balanced test part of 50 images per class and a
      training part made long-tailed by :func:`make_long_tailed` (exponential, ratio 10);
    - ``"mnist1d"``: :func:`make_mnist1d` with 4000 rows;
    - ``"mnist1d_lt"``: :func:`make_mnist1d` with 8000 rows split into a balanced test part of
      200 signals per class and a long-tailed training part (exponential, ratio 20).

    Each loads in well under a second. Two more are downloaded into scikit-learn's data home
    on first use (see :func:`fetch_wisdm` and :func:`fetch_cifar10`), then read from there:

    - ``"wisdm"``: :func:`fetch_wisdm` (80-record windows, hop 40), users 1-28 as the training
      part and users 29-36 as the test part, the paper's split; the activities are encoded as
      integers into ``target_names`` and the users are in ``groups`` and ``groups_test``;
    - ``"cifar10_lt"``: :func:`fetch_cifar10` scaled to [0, 1] (float32), classes 5-9 of the
      training part cut to 5 % of the largest class by :func:`make_long_tailed` (``"step"``,
      ratio 20, the paper's set-up), and the 10 000 test images.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`, ``"wisdm"`` or ``"cifar10_lt"``.
    random_state : int, RandomState instance or None, default=0
        Seeds generation, the test split and the long tail. ``"digits"`` and ``"wisdm"`` do
        not use it.
        ``"paper_quantiles"`` passes it to :func:`make_paper_quantiles` (whose own default, 1,
        is Taherkhani's seed).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data``, ``target``, ``target_names`` and ``DESCR``, and ``data_test`` and
        ``target_test`` for the data sets with a fixed test split (``paper_quantiles``,
        ``wisdm`` and the ``*_lt`` sets); the others leave the split to the caller.

    Raises
    ------
    ValueError
        If ``name`` is not a known name; the message lists them.
    OSError
        If ``"wisdm"`` or ``"cifar10_lt"`` is not in the cache and cannot be downloaded; the
        message says what to do.

    Examples
    --------
    >>> import numpy as np
    >>> from skiwce.datasets import DATASETS, load_dataset
    >>> sorted(DATASETS)
    ['digits', 'digits_lt', 'mnist1d', 'mnist1d_lt', 'paper_quantiles']
    >>> data = load_dataset("digits_lt")
    >>> data.data.shape[1:], np.bincount(data.target_test)
    ((1, 8, 8), array([50, 50, 50, 50, 50, 50, 50, 50, 50, 50]))
    """
    if name in FETCHED_DATASETS:
        return _load_fetched(name, random_state)
    if name not in DATASETS:
        raise ValueError(
            f"Unknown data set {name!r}; the valid names are {sorted(DATASETS)}, and, downloaded "
            f"on first use, {sorted(FETCHED_DATASETS)}."
        )
    if name == "paper_quantiles":
        return make_paper_quantiles(subset="all", random_state=random_state)
    if name == "digits":
        return load_digits_images()
    if name == "mnist1d":
        return make_mnist1d(random_state=random_state)
    rng = check_random_state(random_state)
    if name == "digits_lt":
        X, y = load_digits_images(return_X_y=True)
        return _long_tailed_split(
            X,
            y,
            per_class=_DIGITS_TEST_PER_CLASS,
            ratio=_DIGITS_RATIO,
            rng=rng,
            name="Long-tailed digits",
            descr=DATASETS[name],
        )
    X, y = make_mnist1d(_MNIST1D_LT_SAMPLES, random_state=rng, return_X_y=True)
    return _long_tailed_split(
        X,
        y,
        per_class=_MNIST1D_TEST_PER_CLASS,
        ratio=_MNIST1D_RATIO,
        rng=rng,
        name="Long-tailed MNIST-1D",
        descr=DATASETS[name],
    )


#: The paper's WISDM split: users up to this one train, the others test.
_WISDM_LAST_TRAIN_USER = 28
#: The paper's imbalanced CIFAR-10: the minority classes keep 5 % (ratio 20).
_CIFAR_MINORITY = [5, 6, 7, 8, 9]
_CIFAR_RATIO = 20


def _load_fetched(name, random_state):
    from ._fetch import fetch_cifar10, fetch_wisdm

    if name == "wisdm":
        wisdm = fetch_wisdm()
        names, target = np.unique(wisdm.target, return_inverse=True)
        train = wisdm.groups <= _WISDM_LAST_TRAIN_USER
        return Bunch(
            data=wisdm.data[train],
            target=target[train].astype(np.int64),
            data_test=wisdm.data[~train],
            target_test=target[~train].astype(np.int64),
            groups=wisdm.groups[train],
            groups_test=wisdm.groups[~train],
            target_names=names.astype(str),
            DESCR=(
                f"{wisdm.DESCR}\nSplit (the paper's): users 1-{_WISDM_LAST_TRAIN_USER} train, "
                "the others test.\n"
            ),
        )
    cifar = fetch_cifar10(subset="all")
    X, y = make_long_tailed(
        cifar.data,
        cifar.target,
        imbalance_ratio=_CIFAR_RATIO,
        profile="step",
        minority_classes=_CIFAR_MINORITY,
        random_state=random_state,
    )
    counts = np.bincount(y, minlength=len(cifar.target_names)).tolist()
    return Bunch(
        data=np.divide(X, 255, dtype=np.float32),
        target=y,
        data_test=np.divide(cifar.data_test, 255, dtype=np.float32),
        target_test=cifar.target_test,
        target_names=cifar.target_names,
        DESCR=(
            f"{cifar.DESCR}\nImbalanced training part (skiwce's cifar10_lt): classes "
            f"{_CIFAR_MINORITY} cut to 1/{_CIFAR_RATIO} of the largest class, images per class "
            f"{counts}; pixels scaled to [0, 1].\n"
        ),
    )
