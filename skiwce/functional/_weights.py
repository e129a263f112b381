"""Class-weight strategies and their normalisation (pure NumPy)."""

import numbers
import warnings
from collections.abc import Mapping

import numpy as np

#: Names of the class-weight strategies computed from class counts.
WEIGHT_STRATEGIES = ("balanced", "effective_number")
#: Names of the weight normalisations (None is also accepted).
NORMALIZATIONS = ("prior", "sum")


def class_counts(y, n_classes, sample_weight=None):
    """Count the samples of each class in encoded labels, optionally weighted.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    n_classes : int
        Number of classes; classes without samples get a count of 0.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Non-negative weights: each class's count is then the sum of its samples' weights, as
        scikit-learn's ``compute_class_weight("balanced", ..., sample_weight=...)`` counts.

    Returns
    -------
    counts : ndarray of shape (n_classes,)
        int64 counts, or float64 weighted counts when ``sample_weight`` is given.

    Examples
    --------
    >>> from skiwce.functional import class_counts
    >>> class_counts([0, 0, 2], n_classes=4)
    array([2, 0, 1, 0])
    >>> class_counts([0, 0, 2], n_classes=3, sample_weight=[0.5, 0.5, 2.0])
    array([1., 0., 2.])
    """
    y = np.asarray(y).ravel()
    if y.size and y.dtype.kind not in "iufb":
        raise ValueError(
            f"y must hold integer class indices; got dtype {y.dtype}. Encode labels first, e.g. "
            "with np.unique(y, return_inverse=True)."
        )
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"y must hold integer class indices; got dtype {y.dtype}.")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"y must hold class indices in [0, {n_classes}); got values in [{y.min()}, {y.max()}]."
        )
    y = y.astype(np.int64, copy=False)
    if sample_weight is None:
        return np.bincount(y, minlength=n_classes).astype(np.int64)
    sample_weight = np.asarray(sample_weight, dtype=np.float64).ravel()
    if sample_weight.shape != y.shape:
        raise ValueError(
            f"sample_weight must have one weight per label, shape {y.shape}; got shape "
            f"{sample_weight.shape}."
        )
    if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    return np.bincount(y, weights=sample_weight, minlength=n_classes)


def _check_counts(counts):
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or len(counts) < 1:
        raise ValueError(f"counts must be one count per class; got shape {counts.shape}.")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError(f"counts must be finite and non-negative; got {counts.tolist()}.")
    return counts


def _safe_counts(counts):
    """Counts as floats with empty classes counted as 1, warning once about them."""
    counts = _check_counts(counts)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        warnings.warn(
            f"Classes {empty.tolist()} have no training samples (or only samples of weight 0); "
            "they get the finite weight of a class with one sample.",
            UserWarning,
            stacklevel=3,
        )
        counts = np.where(counts == 0, 1.0, counts)
    return counts


def balanced_weights(counts):
    """Balanced class weights ``n / (C * n_c)`` (the paper's eq. 13).

    This is scikit-learn's ``compute_class_weight("balanced")``. A class with no sample gets the
    weight of a class with one sample, with a warning, never ``inf``.

    Parameters
    ----------
    counts : array-like of shape (n_classes,)
        Number of training samples of each class.

    Returns
    -------
    weights : ndarray of float64, shape (n_classes,)

    Examples
    --------
    >>> from skiwce.functional import balanced_weights
    >>> balanced_weights([800, 400, 1000])
    array([0.91666667, 1.83333333, 0.73333333])
    """
    n = float(np.sum(counts))
    safe = _safe_counts(counts)
    return n / (len(safe) * safe)


def effective_number_weights(counts, beta=0.999):
    """Class-balanced weights from the effective number of samples (Cui et al., 2019).

    ``w_c = (1 - beta) / (1 - beta ** n_c)``, rescaled so that the weights sum to the number of
    classes as in the original paper. ``beta = 0`` gives equal weights; ``beta -> 1`` approaches
    inverse-frequency weights.

    Parameters
    ----------
    counts : array-like of shape (n_classes,)
        Number of training samples of each class.
    beta : float, default=0.999
        Hyperparameter in ``[0, 1)``.

    Returns
    -------
    weights : ndarray of float64, shape (n_classes,)

    Examples
    --------
    >>> from skiwce.functional import effective_number_weights
    >>> effective_number_weights([100, 10], beta=0.99).round(3)
    array([0.262, 1.738])
    """
    if not (isinstance(beta, numbers.Real) and 0 <= beta < 1):
        raise ValueError(f"beta must be a float in [0, 1); got {beta!r}.")
    safe = _safe_counts(counts)
    w = (1.0 - beta) / (1.0 - np.power(beta, safe))
    return w * len(w) / w.sum()


def normalize_class_weights(weights, counts, normalize="prior"):
    """Rescale class weights.

    Parameters
    ----------
    weights : array-like of shape (n_classes,)
        Non-negative class weights.
    counts : array-like of shape (n_classes,)
        Training samples per class; used by ``"prior"``.
    normalize : {"prior", "sum"} or None, default="prior"
        - ``"prior"``: scale so that the expected weight of a training sample is 1,
          ``sum_c (n_c / n) * w_c = 1``. Balanced weights already satisfy it, unit weights are left
          exactly unchanged, and the loss keeps the scale of plain cross entropy.
        - ``"sum"``: scale so that the weights sum to 1 (the paper's literal reading).
        - ``None``: return the weights as given.

    Returns
    -------
    weights : ndarray of float64, shape (n_classes,)

    Examples
    --------
    >>> from skiwce.functional import normalize_class_weights
    >>> normalize_class_weights([5.5, 0.55], [1, 10], normalize="sum").round(2)
    array([0.91, 0.09])
    >>> normalize_class_weights([2.0, 2.0], [1, 3], normalize="prior")
    array([1., 1.])
    """
    w = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"Class weights must be finite and non-negative; got {w.tolist()}.")
    if normalize is None:
        return w.copy()
    if normalize == "sum":
        total = w.sum()
    elif normalize == "prior":
        counts = _check_counts(counts)
        # counts @ w / n, written so that unit weights give exactly 1.
        return w * (counts.sum() / float(counts @ w)) if counts @ w > 0 else _zero_mass(w)
    else:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS} or None; got {normalize!r}.")
    return w / total if total > 0 else _zero_mass(w)


def _zero_mass(w):
    raise ValueError(
        f"Class weights {w.tolist()} give no weight to any training sample; at least one class "
        "with training samples needs a positive weight."
    )


def check_class_weight(class_weight, classes):
    """Normalise the flexible ``class_weight`` parameter to one canonical form.

    Parameters
    ----------
    class_weight : {"balanced", "effective_number"}, dict, array-like or None
        A strategy name; a dict mapping labels of ``classes`` to costs; an array of one cost per
        class in the order of ``classes``; or None for unit weights (plain cross entropy).
    classes : array-like of shape (n_classes,)
        The labels the weights refer to.

    Returns
    -------
    class_weight : str or ndarray of float64
        The strategy name, or one finite, positive cost per class.

    Examples
    --------
    >>> from skiwce.functional import check_class_weight
    >>> check_class_weight({"fraud": 10.0}, classes=["fraud", "ok"])
    array([10.,  1.])
    """
    classes = np.asarray(classes)
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):
        if class_weight not in WEIGHT_STRATEGIES:
            raise ValueError(
                f"class_weight must be one of {WEIGHT_STRATEGIES}, a dict, an array or None; "
                f"got {class_weight!r}."
            )
        return class_weight
    if isinstance(class_weight, Mapping):
        unknown = [k for k in class_weight if not np.any(classes == k)]
        uncovered = [c for c in classes.tolist() if c not in class_weight]
        # As scikit-learn: keys of classes absent from these data (a rare class missing from a
        # cross-validation fold) are ignored when the dict covers every present class; otherwise
        # an unknown key is most likely a misspelt label.
        if unknown and uncovered:
            raise ValueError(
                f"class_weight has keys {unknown} that are not class labels, and no cost for "
                f"the classes {uncovered}; the labels are {classes.tolist()}."
            )
        costs = np.ones(n_classes)
        for label, cost in class_weight.items():
            if label not in unknown:
                costs[np.flatnonzero(classes == label)[0]] = cost
    else:
        costs = np.asarray(class_weight, dtype=np.float64)
        if costs.shape != (n_classes,):
            raise ValueError(
                f"class_weight as an array needs one cost per class, shape ({n_classes},); "
                f"got shape {costs.shape}."
            )
    if not np.all(np.isfinite(costs)) or np.any(costs <= 0):
        raise ValueError(f"class_weight costs must be finite and positive; got {costs.tolist()}.")
    return costs


def target_class_weights(counts, class_weight="balanced", *, beta=0.999):
    """The target weights ``BW`` that IWCE moves towards.

    Parameters
    ----------
    counts : array-like of shape (n_classes,)
        Training samples per class.
    class_weight : {"balanced", "effective_number"} or array-like, default="balanced"
        A strategy name or one cost per class (see :func:`check_class_weight`).
    beta : float, default=0.999
        Used by ``"effective_number"`` only.

    Returns
    -------
    weights : ndarray of float64, shape (n_classes,)

    Examples
    --------
    >>> from skiwce.functional import target_class_weights
    >>> target_class_weights([10, 1])
    array([0.55, 5.5 ])
    """
    if isinstance(class_weight, str):
        if class_weight == "balanced":
            return balanced_weights(counts)
        if class_weight == "effective_number":
            return effective_number_weights(counts, beta=beta)
        raise ValueError(f"class_weight must be one of {WEIGHT_STRATEGIES}; got {class_weight!r}.")
    return np.asarray(class_weight, dtype=np.float64).copy()


def blend_class_weights(alpha, target, counts, normalize="prior"):
    """IWCE's weights at one epoch: ``normalize(alpha * target + (1 - alpha) * 1)``.

    Parameters
    ----------
    alpha : float
        Schedule value in ``[0, 1]``; 0 gives unit weights (cross entropy), 1 the target weights.
    target : array-like of shape (n_classes,)
        Target weights (e.g. :func:`balanced_weights`).
    counts : array-like of shape (n_classes,)
        Training samples per class, for ``normalize="prior"``.
    normalize : {"prior", "sum"} or None, default="prior"
        See :func:`normalize_class_weights`.

    Returns
    -------
    weights : ndarray of float64, shape (n_classes,)

    Examples
    --------
    >>> from skiwce.functional import blend_class_weights
    >>> blend_class_weights(0.5, [0.55, 5.5], counts=[10, 1])
    array([0.775, 3.25 ])
    >>> blend_class_weights(0.0, [0.55, 5.5], counts=[10, 1])
    array([1., 1.])
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1]; got {alpha!r}.")
    target = np.asarray(target, dtype=np.float64)
    return normalize_class_weights(alpha * target + (1.0 - alpha), counts, normalize)
