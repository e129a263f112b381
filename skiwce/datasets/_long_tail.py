"""Make a balanced data set long-tailed by sub-sampling its classes."""

import numbers

import numpy as np
from sklearn.utils import _safe_indexing, check_random_state

PROFILES = ("exponential", "step")


def _long_tail_counts(counts, imbalance_ratio, profile, minority):
    """Target rows per class (in sorted label order), at least 1 and at most what is there."""
    n_classes = len(counts)
    n_max = int(counts.max())
    if profile == "exponential":
        if n_classes == 1:
            targets = np.array([n_max])
        else:
            # LDAM-DRW's form, n_max * (1 / ratio) ** (i / (C - 1)), for the same rounding.
            factor = 1.0 / imbalance_ratio
            targets = np.array(
                [int(n_max * factor ** (i / (n_classes - 1.0))) for i in range(n_classes)]
            )
    else:
        targets = np.where(minority, int(n_max / imbalance_ratio), n_max)
    return np.minimum(np.maximum(targets, 1), counts)


def make_long_tailed(
    X,
    y,
    *,
    imbalance_ratio=100,
    profile="exponential",
    minority_classes=None,
    random_state=None,
):
    """Sub-sample the classes of a data set into a long-tailed (imbalanced) one.

    Each class keeps a random subset of its rows. With ``n_max`` the count of the largest class
    in ``y`` and the classes in sorted label order ``i = 0, ..., C - 1``, the kept counts are:

    - ``"exponential"``: ``n_i = int(n_max * imbalance_ratio ** (-i / (C - 1)))``, the profile of
      LDAM-DRW's CIFAR-10-LT (Cao et al. 2019); the first class keeps ``n_max``, the last
      ``n_max / imbalance_ratio``.
    - ``"step"``: the ``minority_classes`` keep ``int(n_max / imbalance_ratio)`` rows, the others
      ``n_max`` (the IWCE paper's CIFAR-10 set-up keeps 5 % of the minority classes: ratio 20).

    A class with fewer rows than its target keeps all of them, so on an unbalanced input the
    result follows the profile only where the classes are large enough. No class is cut below
    one row. The kept rows stay in their original order; ``X`` and ``y`` are not modified.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Data of any number of dimensions (tabular, sequences, images); rows are taken by index.
    y : array-like of shape (n_samples,)
        Class labels.
    imbalance_ratio : float, default=100
        Ratio of the largest to the smallest target count, at least 1 (1 keeps ``n_max`` rows of
        every class).
    profile : {"exponential", "step"}, default="exponential"
        How the counts fall from the first to the last class.
    minority_classes : array-like of labels, default=None
        The classes cut by ``profile="step"``; by default the last ``C // 2`` labels in sorted
        order (the second half; the smaller half when ``C`` is odd). Not used by
        ``"exponential"``, where giving it is an error.
    random_state : int, RandomState instance or None, default=None
        Seeds which rows each class keeps.

    Returns
    -------
    X_lt : array-like of shape (n_kept, ...)
        The kept rows of ``X``, same type and trailing shape.
    y_lt : ndarray of shape (n_kept,)
        Their labels.

    References
    ----------
    .. [1] K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma, "Learning imbalanced datasets with
       label-distribution-aware margin loss", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skiwce.datasets import make_long_tailed
    >>> X = np.zeros((500, 3, 8, 8), dtype=np.float32)
    >>> y = np.repeat([0, 1, 2, 3, 4], 100)
    >>> X_lt, y_lt = make_long_tailed(X, y, imbalance_ratio=10, random_state=0)
    >>> X_lt.shape, np.bincount(y_lt)
    ((214, 3, 8, 8), array([100,  56,  31,  17,  10]))
    >>> _, y_step = make_long_tailed(X, y, imbalance_ratio=10, profile="step", random_state=0)
    >>> np.bincount(y_step)
    array([100, 100, 100,  10,  10])
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}; got {profile!r}.")
    if (
        isinstance(imbalance_ratio, bool)
        or not isinstance(imbalance_ratio, numbers.Real)
        or not np.isfinite(imbalance_ratio)
        or imbalance_ratio < 1
    ):
        raise ValueError(f"imbalance_ratio must be a finite number >= 1; got {imbalance_ratio!r}.")
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels; got shape {y.shape}.")
    n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
    if n_rows != len(y):
        raise ValueError(f"X and y must have the same number of rows; got {n_rows} and {len(y)}.")

    classes, y_index, counts = np.unique(y, return_inverse=True, return_counts=True)
    if profile == "exponential":
        if minority_classes is not None:
            raise ValueError(
                "minority_classes is used by profile='step' only; got "
                f"minority_classes={minority_classes!r} with profile='exponential'."
            )
        minority = None
    elif minority_classes is None:
        minority = np.arange(len(classes)) >= len(classes) - len(classes) // 2
    else:
        wanted = np.atleast_1d(np.asarray(minority_classes))
        unknown = [label for label in wanted.tolist() if not np.any(classes == label)]
        if unknown:
            raise ValueError(
                f"minority_classes holds labels {unknown} that are not in y; the labels are "
                f"{classes.tolist()}."
            )
        minority = np.isin(classes, wanted)

    targets = _long_tail_counts(counts, float(imbalance_ratio), profile, minority)
    rng = check_random_state(random_state)
    keep = []
    for c, target in enumerate(targets):
        rows = np.flatnonzero(y_index == c)
        keep.append(rng.choice(rows, size=target, replace=False) if target < len(rows) else rows)
    keep = np.sort(np.concatenate(keep))
    return _safe_indexing(X, keep), y[keep]
