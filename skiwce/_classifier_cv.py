"""IWCEClassifierCV: a search over T whose candidates train as one stacked model."""

import copy
import time
from numbers import Integral

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._classifier import IWCEClassifier, _RoutedParamsMixin
from ._stacked_fit import fit_validated, why_not_stacked

__all__ = ["IWCEClassifierCV"]

# IWCEClassifier's parameters that the CV estimator takes as they are (all but T, searched, and
# warm_start, which has no meaning for a search).
_ESTIMATOR_PARAMS = [
    name for name in IWCEClassifier._get_param_names() if name not in ("T", "warm_start")
]


class IWCEClassifierCV(_RoutedParamsMixin, ClassifierMixin, BaseEstimator):
    """IWCE classifier with the temperature T chosen by cross-validation, all candidates
    trained at once.

    Like scikit-learn's ``LogisticRegressionCV``: it cross-validates an
    :class:`IWCEClassifier` for every T in ``Ts`` and refits the best on all the data. The
    ``len(Ts) * n_splits`` candidate networks are independent copies of one architecture; they
    are trained as one stacked model (parameters stacked along a leading axis, one batched
    computation and one optimizer step for all of them, each model with its own rows, batch
    order, class-weight schedule, dropout and early stopping), which on a CPU costs far less
    than training them one by one. Each candidate is the network ``IWCEClassifier(T=T,
    random_state=random_state, ...)`` would train on its fold: the same initial weights and
    batches, and, without dropout, the same result up to float rounding (tested against
    ``GridSearchCV``).

    The stacked engine covers the IWCE loss (``criterion="iwce"``) with every weight strategy
    and schedule, sample weights, validation scores and early stopping, the optimizers Adam,
    AdamW and SGD, and every network (a fast stacked form for
    :class:`~skiwce.models.MLP`, :class:`~skiwce.models.CNN1D` and
    :class:`~skiwce.models.HARNet`, ``torch.vmap`` for the others). Other settings (another
    loss or optimizer, callbacks, ``compile``, bf16) are trained one candidate after the other
    with ``engine="auto"``, as ``GridSearchCV`` would; ``engine_`` says which ran.

    Parameters
    ----------
    module : {"auto", "mlp", "cnn1d", "har", "resnet18", "minirocket"}, nn.Module class or \
            instance, default="auto"
        The network, as in :class:`IWCEClassifier`. A network with a fixed front end
        (:class:`~skiwce.models.MiniRocket`) has it fitted once per fold (and seed): the
        candidates of one fold share its features and only their heads train.
    module_params : dict or None, default=None
        Keyword arguments of the network (also ``module__<name>``).
    Ts : array-like of float, default=(1.0, 5.0, 10.0, 20.0, 50.0)
        The temperatures to try, each ``> 0`` (``inf`` allowed).
    cv : int, cross-validation generator or iterable, default=5
        As in ``GridSearchCV``: an int is ``StratifiedKFold(cv)``.
    scoring : str, callable or None, default="balanced_accuracy"
        How a candidate is scored on its test fold; None is the estimator's ``score``
        (accuracy). Also what :meth:`score` returns.
    refit : bool, default=True
        Refit an :class:`IWCEClassifier` with the best T on all the data (``best_estimator_``),
        which the prediction methods use.
    max_models : int, default=64
        At most this many candidates train in one stack; more are trained in chunks of that
        size, one after the other (memory grows with the stack).
    engine : {"auto", "stacked", "sequential"}, default="auto"
        ``"stacked"`` trains the candidates as one model and is an error for settings it does
        not cover; ``"sequential"`` fits one :class:`IWCEClassifier` per candidate;
        ``"auto"`` stacks when it can.

    Other Parameters
    ----------------
    schedule, switch_epoch, class_weight, beta, normalize, criterion, criterion_params, \
logit_adjustment, standardize, max_epochs, batch_size, lr, optimizer, optimizer_params, \
callbacks, validation_fraction, early_stopping, n_iter_no_change, batching, precision, \
channels_last, compile, device, n_threads, random_state, verbose
        As in :class:`IWCEClassifier`, for every candidate and the refitted model. With an int
        ``random_state`` every candidate starts from the same initial weights, as in a
        ``GridSearchCV`` over an estimator with that ``random_state``. With
        ``standardize=True`` each candidate standardises with the statistics of its own
        training rows, as its fit would. ``n_threads="auto"``
        counts the work of all the models of a stack. ``verbose=1`` draws one bar over the
        epochs of the stack.

    Attributes
    ----------
    T_ : float
        The best temperature.
    best_score_ : float
        Its mean cross-validated score.
    best_index_ : int
        Its index in ``cv_results_`` (and ``Ts``).
    best_params_ : dict
        ``{"T": T_}``.
    cv_results_ : dict of ndarray
        In ``GridSearchCV``'s layout (``pandas.DataFrame(cv_results_)`` works): ``params``,
        ``param_T``, ``split<i>_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``. A stack's training time is shared equally by its candidates.
    best_estimator_ : IWCEClassifier
        The refitted model (with ``refit=True``).
    refit_time_ : float
        Seconds the refit took.
    histories_ : list of list of dict
        Per candidate (in the order of ``cv_results_``'s rows, then folds), its epochs'
        ``train_loss``, ``alpha`` and ``valid_bacc``.
    engine_ : {"stacked", "sequential"}
        How the candidates were trained.
    n_splits_ : int
        Number of folds.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int

    See Also
    --------
    skiwce.IWCEClassifier : One fit with a given T.
    sklearn.model_selection.GridSearchCV : The same search, one fit at a time, over any
        parameter.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skiwce import IWCEClassifierCV
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> search = IWCEClassifierCV(Ts=[1.0, 10.0], cv=3, max_epochs=10, random_state=0)
    >>> search = search.fit(X, y)
    >>> search.engine_, len(search.cv_results_["params"])
    ('stacked', 2)
    >>> search.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **{
            name: constraint
            for name, constraint in IWCEClassifier._parameter_constraints.items()
            if name in _ESTIMATOR_PARAMS
        },
        "Ts": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "refit": ["boolean"],
        "max_models": [Interval(Integral, 1, None, closed="left")],
        "engine": [StrOptions({"auto", "stacked", "sequential"})],
    }

    def __init__(
        self,
        module="auto",
        module_params=None,
        *,
        Ts=(1.0, 5.0, 10.0, 20.0, 50.0),
        cv=5,
        scoring="balanced_accuracy",
        refit=True,
        max_models=64,
        engine="auto",
        schedule="exponential",
        switch_epoch=None,
        class_weight="balanced",
        beta=0.999,
        normalize="prior",
        criterion="iwce",
        criterion_params=None,
        logit_adjustment=0.0,
        standardize=True,
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        optimizer="adam",
        optimizer_params=None,
        callbacks=None,
        validation_fraction=None,
        early_stopping=False,
        n_iter_no_change=10,
        batching="tensor",
        precision="auto",
        channels_last="auto",
        compile=False,
        device="cpu",
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.module_params = module_params
        self.Ts = Ts
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.max_models = max_models
        self.engine = engine
        self.schedule = schedule
        self.switch_epoch = switch_epoch
        self.class_weight = class_weight
        self.beta = beta
        self.normalize = normalize
        self.criterion = criterion
        self.criterion_params = criterion_params
        self.logit_adjustment = logit_adjustment
        self.standardize = standardize
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.callbacks = callbacks
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.batching = batching
        self.precision = precision
        self.channels_last = channels_last
        self.compile = compile
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def _estimator(self, T):
        """The IWCEClassifier of candidate T (unfitted)."""
        params = {name: getattr(self, name) for name in _ESTIMATOR_PARAMS}
        return IWCEClassifier(T=T, **copy.deepcopy(params))

    def _check_Ts(self):
        try:
            Ts = np.asarray(self.Ts, dtype=np.float64)
        except (TypeError, ValueError):
            Ts = None
        if Ts is None or Ts.ndim != 1 or Ts.size == 0 or not np.all(Ts > 0):  # NaN fails too
            raise ValueError(
                f"Ts must be a non-empty 1-D list of temperatures > 0 (inf allowed); got "
                f"{self.Ts!r}."
            )
        return [float(T) for T in Ts]

    # -- fit ------------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Cross-validate every T and refit the best on all of ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, channels, length) or \
                (n_samples, channels, height, width)
            Training inputs; never modified.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, for the candidates' training rows and the refit (not for the
            scores), as in :meth:`IWCEClassifier.fit`.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv`` splitter.

        Returns
        -------
        self : IWCEClassifierCV
        """
        Ts = self._check_Ts()
        template = self._estimator(Ts[0])
        template._validate_params()
        data = template._check_fit_data(X, y, sample_weight)
        Xv, y_enc, classes, _ = data
        self.n_features_in_ = template.n_features_in_
        if hasattr(template, "feature_names_in_"):
            self.feature_names_in_ = template.feature_names_in_
        self.classes_ = classes
        cv = check_cv(self.cv, y_enc, classifier=True)
        splits = [
            (np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64))
            for tr, te in cv.split(Xv, y_enc, groups)
        ]
        self.n_splits_ = len(splits)
        scorer = check_scoring(template, scoring=self.scoring)

        reason = why_not_stacked(template)
        if reason is None and any(len(np.unique(y_enc[tr])) < len(classes) for tr, _ in splits):
            reason = "folds whose training rows lack a class"
        if self.engine == "stacked" and reason:
            raise ValueError(f"engine='stacked' cannot train {reason}; use engine='auto'.")
        engine = "sequential" if self.engine == "sequential" or reason else "stacked"
        if engine == "stacked":
            scores, fit_times, score_times, histories = self._fit_stacked(
                Ts, y, data, splits, scorer
            )
        else:
            scores, fit_times, score_times, histories = self._fit_sequential(
                Ts, X, y, sample_weight, splits, scorer
            )
        self.engine_ = engine
        self.histories_ = histories
        self.cv_results_ = self._results(Ts, scores, fit_times, score_times)
        self.best_index_ = int(np.nanargmax(self.cv_results_["mean_test_score"]))
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.T_ = Ts[self.best_index_]
        self.best_params_ = {"T": self.T_}
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = self._estimator(self.T_).fit(X, y, sample_weight=sample_weight)
            self.refit_time_ = time.perf_counter() - start
        return self

    def _fit_sequential(self, Ts, X, y, sample_weight, splits, scorer):
        """One IWCEClassifier fit per candidate, as GridSearchCV does."""
        X = np.asarray(X) if not hasattr(X, "iloc") else X
        scores = np.empty((len(Ts), len(splits)))
        fit_times, score_times = np.empty_like(scores), np.empty_like(scores)
        histories = []
        for i, T in enumerate(Ts):
            for j, (train, test) in enumerate(splits):
                est = clone(self._estimator(T))
                sw = None if sample_weight is None else np.asarray(sample_weight)[train]
                start = time.perf_counter()
                est.fit(_rows(X, train), _rows(y, train), sample_weight=sw)
                fit_times[i, j] = time.perf_counter() - start
                start = time.perf_counter()
                scores[i, j] = scorer(est, _rows(X, test), _rows(y, test))
                score_times[i, j] = time.perf_counter() - start
                histories.append(
                    [
                        {
                            k: row[k]
                            for k in ("epoch", "train_loss", "alpha", "valid_bacc")
                            if k in row
                        }
                        for row in est.net_.history
                    ]
                )
        return scores, fit_times, score_times, histories

    def _fit_stacked(self, Ts, y, data, splits, scorer):
        """All (T, fold) candidates as stacked models, scored on their test folds; ``data`` is
        what ``_check_fit_data`` returned for the whole of X, y."""
        y = np.asarray(y)
        estimators = [self._estimator(T) for T in Ts for _ in splits]
        trains = [train for _ in Ts for train, _ in splits]
        members = fit_validated(estimators, *data, trains, max_models=self.max_models)
        Xv = data[0]
        scores = np.empty((len(Ts), len(splits)))
        fit_times, score_times = np.empty_like(scores), np.empty_like(scores)
        for c, member in enumerate(members):
            i, j = divmod(c, len(splits))
            test = splits[j][1]
            start = time.perf_counter()
            scores[i, j] = scorer(member, Xv[test], y[test])
            score_times[i, j] = time.perf_counter() - start
            fit_times[i, j] = member.fit_time_
        return scores, fit_times, score_times, [m.history_ for m in members]

    def _results(self, Ts, scores, fit_times, score_times):
        results = {
            "mean_fit_time": fit_times.mean(1),
            "std_fit_time": fit_times.std(1),
            "mean_score_time": score_times.mean(1),
            "std_score_time": score_times.std(1),
            "param_T": np.ma.MaskedArray(np.asarray(Ts), mask=False),
            "params": [{"T": T} for T in Ts],
        }
        for j in range(scores.shape[1]):
            results[f"split{j}_test_score"] = scores[:, j]
        mean = scores.mean(1)
        results["mean_test_score"] = mean
        results["std_test_score"] = scores.std(1)
        filled = np.where(np.isnan(mean), -np.inf, mean)
        results["rank_test_score"] = rankdata(-filled, method="min").astype(np.int32)
        return results

    # -- predict --------------------------------------------------------------------------

    def _best(self):
        check_is_fitted(self)
        if not hasattr(self, "best_estimator_"):
            raise AttributeError(
                "IWCEClassifierCV was fitted with refit=False: it has no model to predict "
                "with; use best_params_ to fit one."
            )
        return self.best_estimator_

    def predict(self, X):
        """Labels predicted by ``best_estimator_``."""
        return self._best().predict(X)

    def predict_proba(self, X):
        """Class probabilities of ``best_estimator_``."""
        return self._best().predict_proba(X)

    def predict_log_proba(self, X):
        """Log class probabilities of ``best_estimator_``."""
        return self._best().predict_log_proba(X)

    def decision_function(self, X):
        """Scores (logits) of ``best_estimator_``, in scikit-learn's shapes."""
        return self._best().decision_function(X)

    def score(self, X, y, sample_weight=None):
        """The ``scoring`` of ``best_estimator_`` on ``X, y`` (balanced accuracy by default).

        Parameters
        ----------
        X : array-like
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        scorer = check_scoring(self._best(), scoring=self.scoring)
        if sample_weight is not None:
            return scorer(self._best(), X, y, sample_weight=sample_weight)
        return scorer(self._best(), X, y)


def _rows(a, idx):
    return a.iloc[idx] if hasattr(a, "iloc") else np.asarray(a)[idx]
