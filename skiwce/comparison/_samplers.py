"""Resampling and flattening for samples of any shape: (n, features), (n, channels, length),
(n, channels, height, width)."""

import numpy as np
from imblearn.base import SamplerMixin
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["Flatten", "ReshapingSampler"]


class ReshapingSampler(SamplerMixin, BaseEstimator):
    """Run any imbalanced-learn sampler on samples of any shape.

    imbalanced-learn's samplers take 2-D arrays. This wrapper gives the sampler a flattened view
    ``X.reshape(n, -1)`` and returns samples of the original shape:

    - a sampler that selects rows, and says which in ``sample_indices_`` (random over- and
      under-sampling, most cleaning methods), is applied as an index: the output is
      ``X[sample_indices_]``, the original rows untouched and in their original dtype;
    - a sampler that makes new rows (SMOTE and its variants), or changes the rows it selected
      (``RandomOverSampler(shrinkage=...)`` adds noise to its copies), runs on the flattened
      rows and its rows are reshaped back to the sample shape, in the dtype the sampler
      returned or ``X``'s if that is wider (so ``RandomOverSampler``'s noise on integer ``X``
      stays float; SMOTE itself casts its rows to ``X``'s dtype).

    Use it as a step of an :class:`imblearn.pipeline.Pipeline`, which resamples in ``fit`` only.

    Parameters
    ----------
    sampler : imbalanced-learn sampler, default=None
        The sampler to run; cloned at each fit. None means
        :class:`~imblearn.over_sampling.RandomOverSampler`.

    Attributes
    ----------
    sampler_ : imbalanced-learn sampler
        The fitted clone of ``sampler``.
    sample_indices_ : ndarray of shape (n_resampled,) or None
        Rows of ``X`` the output is made of, or None when the sampler made new rows or changed
        the ones it selected.
    input_shape_ : tuple of int
        Shape of one sample.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.over_sampling import SMOTE
    >>> from skiwce.comparison import ReshapingSampler
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(30, 3, 8)                       # 30 series, 3 channels, length 8
    >>> y = np.r_[np.zeros(24), np.ones(6)]
    >>> X_res, y_res = ReshapingSampler().fit_resample(X, y)
    >>> X_res.shape, np.bincount(y_res.astype(int))
    ((48, 3, 8), array([24, 24]))
    >>> X_res, y_res = ReshapingSampler(SMOTE(k_neighbors=3, random_state=0)).fit_resample(X, y)
    >>> X_res.shape
    (48, 3, 8)
    """

    _parameter_constraints = {"sampler": [HasMethods(["fit_resample"]), None]}

    def __init__(self, sampler=None):
        self.sampler = sampler

    def _validate(self, X, y):
        X = check_array(X, allow_nd=True, dtype="numeric")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        return X, y

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **params):
        """Fit the sampler on ``X, y``; use :meth:`fit_resample` to get the resampled data.

        Returns
        -------
        self : ReshapingSampler
        """
        self.fit_resample(X, y, **params)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y, **params):
        """Resample ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples of any shape.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            Passed to the sampler's ``fit_resample``.

        Returns
        -------
        X_resampled : ndarray of shape (n_resampled, ...)
            Samples of the input's sample shape.
        y_resampled : ndarray of shape (n_resampled,)
        """
        X, y = self._validate(X, y)
        return self._fit_resample(X, y, **params)

    def _fit_resample(self, X, y, **params):
        self.input_shape_ = tuple(X.shape[1:])
        self.sampler_ = RandomOverSampler() if self.sampler is None else clone(self.sampler)
        flat = X.reshape(len(X), -1)
        X_flat, y_res = self.sampler_.fit_resample(flat, y, **params)
        X_flat = np.asarray(X_flat)
        indices = getattr(self.sampler_, "sample_indices_", None)
        if indices is not None and np.array_equal(X_flat, flat[indices]):
            self.sample_indices_ = np.asarray(indices)
            return X[self.sample_indices_], y[self.sample_indices_]
        # New rows, or selected rows the sampler changed (RandomOverSampler's shrinkage adds
        # noise): what the sampler made, in a dtype that holds it (integer X is not truncated).
        self.sample_indices_ = None
        dtype = np.result_type(X.dtype, X_flat.dtype)
        X_res = X_flat.astype(dtype, copy=False).reshape((-1, *self.input_shape_))
        return X_res, np.asarray(y_res)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class Flatten(TransformerMixin, BaseEstimator):
    """Flatten each sample to one row: ``(n, ...) -> (n, prod(...))``.

    Lets estimators that need 2-D inputs (trees, boosting, forests) take series and images in a
    pipeline. 2-D inputs pass unchanged.

    Attributes
    ----------
    input_shape_ : tuple of int
        Shape of one sample seen in :meth:`fit`.
    n_features_in_ : int
        Size of the second axis of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skiwce.comparison import Flatten
    >>> Flatten().fit_transform(np.zeros((5, 3, 4, 4))).shape
    (5, 48)
    """

    def fit(self, X, y=None):
        """Record the sample shape.

        Returns
        -------
        self : Flatten
        """
        X = validate_data(self, X, allow_nd=True, dtype="numeric")
        self.input_shape_ = tuple(X.shape[1:])
        return self

    def transform(self, X):
        """Flatten the samples of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples of the shape seen in :meth:`fit`.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, n_flat_features)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, allow_nd=True, dtype="numeric")
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but Flatten was fitted on samples "
                f"of shape {self.input_shape_}."
            )
        return X.reshape(len(X), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
