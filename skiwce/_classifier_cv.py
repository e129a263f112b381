"""IWCEClassifierCV: a search over T whose candidates train as one stacked model."""

import copy
import inspect
import time
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import issparse
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._classifier import IWCEClassifier, _RoutedParamsMixin
from ._fit_spec import why_not_stacked
from ._front_end import shared_front_ends
from ._stacked_fit import PER_MODEL, _as_history, fit_validated, stack_spec

#: The keys of every epoch row of ``histories_``, whichever engine trained the candidate.
HISTORY_KEYS = ("epoch", "train_loss", "alpha", "class_weight", "valid_bacc")

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
    than training them one by one.

    What "the same search as ``GridSearchCV(IWCEClassifier(...), {"T": Ts})``" means, exactly:
    each stacked candidate is the network ``IWCEClassifier(T=T, random_state=random_state,
    ...)`` would train on its fold: the same initial weights, rows, batches, class weights,
    validation split, input standardisation and learning rates; without dropout its training
    losses equal the single fit's up to float32 rounding (1e-4 relative, tested for every
    option in ``tests/test_classifier_cv.py``), so scores agree but for a rare prediction
    that rounding flips. With dropout the masks differ (same rate, other random draws). With
    ``sample_weight``, candidates are scored with the test fold's weights as ``GridSearchCV``
    does. The stacked engine covers the IWCE loss (``criterion="iwce"``) with every weight
    strategy and schedule, sample weights, validation scores and early stopping, frozen
    parameters (``requires_grad=False``), the optimizers Adam, AdamW, SGD and Adagrad, one
    skorch ``LRScheduler`` stepped per epoch that changes only the learning rate, and every
    network that has a stacked form (:class:`~skiwce.models.MLP`,
    :class:`~skiwce.models.CNN1D`, :class:`~skiwce.models.HARNet`) or that ``torch.vmap`` runs
    (ResNet-18; checked on two copies before training). Everything else (another loss or
    optimizer, other callbacks, schedulers that cycle momentum, ``compile``, bf16, recurrent
    networks, folds without every class) trains one candidate after the other with
    ``engine="auto"``, exactly as ``GridSearchCV`` would; ``engine_`` says which ran.

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
    param_grid : dict or None, default=None
        Other parameters to search with T, as in ``GridSearchCV``: names of
        :class:`IWCEClassifier`'s parameters (``module__<name>`` too) mapped to lists of
        values; every combination with every T is a candidate, in ``GridSearchCV``'s order
        for ``{"T": Ts, **param_grid}``. ``max_epochs`` and ``lr`` vary per model inside one
        stack (a model whose epochs are done sits out the rest of the stack's steps); any
        other name trains the candidates one by one.
    cv : int, cross-validation generator or iterable, default=5
        As in ``GridSearchCV``: an int is ``StratifiedKFold(cv)``.
    scoring : str, callable, list, tuple, set, dict or None, default="balanced_accuracy"
        How a candidate is scored on its test fold, as in ``GridSearchCV``: one metric (a
        name, a scorer; None is the estimator's ``score``, accuracy), or several (a list of
        names, or a dict of name to name or scorer), each giving ``mean_test_<name>`` and its
        companions in ``cv_results_``. With one metric the keys end in ``_score``.
    refit : bool or str, default=True
        Refit an :class:`IWCEClassifier` with the best T on all the data (``best_estimator_``),
        which the prediction methods and :meth:`score` use. With several metrics, the name of
        the one that chooses T (or False: no choice, no ``best_*`` attributes).
    error_score : "raise" or float, default=np.nan
        The score of a candidate whose fit or scoring fails, as in ``GridSearchCV``: failures
        are warned about (``FitFailedWarning``) and the search goes on; "raise" raises the
        first. If the stacked training itself fails, the candidates are trained one by one so
        that only the failing ones get this score. If every fit fails, the search raises.
    return_train_score : bool, default=False
        Also score each candidate on its training rows (``split<i>_train_score``,
        ``mean_train_score``, ``std_train_score``).
    n_jobs : int or None, default=None
        Fits at once (joblib) where candidates are trained apart: the one-by-one fits, and the
        stacks when there are several (``max_models`` smaller than the candidates). None is 1.
    max_models : int, default=64
        At most this many candidates train in one stack; more are trained in chunks of that
        size, one after the other (memory grows with the stack). Fewer, with a
        ``ResourceWarning``, when the estimate of one model's training memory (parameters,
        gradients, optimizer state and one batch's activations) times ``max_models`` exceeds
        half the free memory (the device's on CUDA): a stack of 25 ResNet-18 takes several GB.
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
        As in :class:`IWCEClassifier`, for every candidate and the refitted model, but
        ``max_epochs`` defaults to 100: ``"auto"`` would run an inner search in every
        candidate (it trains them one by one); search it with ``param_grid`` instead. With an int
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
        The best candidate's parameters: ``{"T": T_}`` and its values of ``param_grid``.
    cv_results_ : dict of ndarray
        In ``GridSearchCV``'s layout (``pandas.DataFrame(cv_results_)`` works): ``params``,
        ``param_T``, ``split<i>_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time`` (``_<name>`` instead of ``_score`` for each of several metrics;
        the ``_train_`` keys with ``return_train_score``). A stack's training time is shared
        equally by its candidates.
    best_estimator_ : IWCEClassifier
        The refitted model (with ``refit=True``).
    refit_time_ : float
        Seconds the refit took.
    histories_ : list of skorch History
        Per candidate (in the order of ``cv_results_``'s rows, then folds), its epochs'
        ``epoch``, ``train_loss``, ``alpha``, ``class_weight`` and ``valid_bacc`` (the keys
        the fit recorded), whichever engine trained it; empty for a failed fit.
    multimetric_ : bool
        Whether several metrics were scored.
    scorer_ : callable or dict
        The scorer, or the scorers by name.
    engine_ : {"stacked", "sequential"}
        How the candidates were trained.
    engine_reason_ : str or None
        Why they were trained one by one (what the stacked engine would not train as the
        single fits do, e.g. the L-BFGS head of series' default network), None when stacked.
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
        "param_grid": [dict, None],
        "cv": ["cv_object"],
        "scoring": [str, callable, list, tuple, set, dict, None],
        "refit": ["boolean", str],
        "error_score": [StrOptions({"raise"}), Real],
        "return_train_score": ["boolean"],
        "n_jobs": [Integral, None],
        "max_models": [Interval(Integral, 1, None, closed="left")],
        "engine": [StrOptions({"auto", "stacked", "sequential"})],
    }

    def __init__(
        self,
        module="auto",
        module_params=None,
        *,
        Ts=(1.0, 5.0, 10.0, 20.0, 50.0),
        param_grid=None,
        cv=5,
        scoring="balanced_accuracy",
        refit=True,
        error_score=np.nan,
        return_train_score=False,
        n_jobs=None,
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
        optimizer="auto",
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
        self.param_grid = param_grid
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.n_jobs = n_jobs
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
        tags.input_tags.sparse = True  # candidates trained one by one, densified per batch
        return tags

    def _estimator(self, T, **others):
        """The IWCEClassifier of candidate ``T`` (and ``param_grid``'s ``others``), unfitted."""
        params = {name: getattr(self, name) for name in _ESTIMATOR_PARAMS}
        return IWCEClassifier(T=T, **copy.deepcopy(params)).set_params(**others)

    def _candidates(self, Ts):
        """The candidates' parameters, in GridSearchCV's order for ``{"T": Ts, **param_grid}``,
        and what the stacked engine cannot vary per model in them (None if nothing)."""
        grid = dict(self.param_grid or {})
        if "T" in grid:
            raise ValueError("param_grid cannot hold 'T': give the temperatures as Ts.")
        bad = [
            name
            for name, values in grid.items()
            if isinstance(values, str) or not hasattr(values, "__len__") or len(values) == 0
        ]
        if bad:
            raise ValueError(
                f"param_grid must map parameter names to non-empty lists of values; got "
                f"{ {name: grid[name] for name in bad} }."
            )
        valid = set(IWCEClassifier().get_params(deep=True)) - {"T"}
        unknown = sorted(set(grid) - valid - {n for n in grid if "__" in n})
        if unknown:
            raise ValueError(
                f"param_grid names {unknown}, which IWCEClassifier does not take; valid ones "
                f"are {sorted(valid)} and module__<name>, optimizer__<name>, "
                "criterion__<name>."
            )
        return list(ParameterGrid({"T": Ts, **grid}))

    def _groups(self, candidates):
        """The candidates in stacks: one group per combination of the values that are not
        per model (``param_grid`` over a width), each with its template estimator. Returns a
        list of (template, candidate indices)."""
        groups = {}
        for i, cand in enumerate(candidates):
            shared = {k: v for k, v in cand.items() if k not in PER_MODEL}
            key = repr(sorted(shared.items()))
            if key not in groups:
                groups[key] = (self._estimator(cand["T"], **shared), [])
            groups[key][1].append(i)
        return list(groups.values())

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
            Per-sample weights, for the candidates' training rows and the refit, as in
            :meth:`IWCEClassifier.fit`, and for their scores on the test folds where the
            scorer takes ``sample_weight`` (as ``GridSearchCV`` passes them; a scorer that
            does not take them is warned about and scores unweighted).
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv`` splitter.

        Returns
        -------
        self : IWCEClassifierCV
        """
        Ts = self._check_Ts()
        candidates = self._candidates(Ts)
        template = self._estimator(Ts[0])
        template._validate_params()
        data = template._check_fit_data(X, y, sample_weight, accept_sparse=True)
        Xv, y_enc, classes, sw = data
        self.n_features_in_ = template.n_features_in_
        if hasattr(template, "feature_names_in_"):
            self.feature_names_in_ = template.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # a refit on an array forgets the earlier names
        self.classes_ = classes
        scorers, refit_metric, multimetric = self._scorers(template)
        score_weight = None
        if sw is not None:
            score_weight = sw.astype(np.float64)
            scoring_scorers = _weighted_where_accepted(scorers)
        else:
            scoring_scorers = scorers
        cv = check_cv(self.cv, y_enc, classifier=True)
        splits = [
            (np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64))
            for tr, te in cv.split(Xv, y_enc, groups)
        ]
        self.n_splits_ = len(splits)

        stacks, reason = [], None
        if self.engine != "sequential":
            for est, members in self._groups(candidates):
                est._validate_params()
                spec = stack_spec(est, Xv.shape[1:], classes)
                stacks.append((est, spec, members))
                reason = reason or why_not_stacked(spec)
            if reason is None and issparse(Xv):
                reason = "sparse X (the stacked engine takes dense arrays)"
            if reason is None and any(
                len(np.unique(y_enc[tr])) < len(classes) for tr, _ in splits
            ):
                reason = "folds whose training rows lack a class"
            if self.engine == "stacked" and reason:
                raise ValueError(f"engine='stacked' cannot train {reason}; use engine='auto'.")
        engine = "sequential" if self.engine == "sequential" or reason else "stacked"
        y_arr = np.asarray(y)
        if engine == "stacked":
            try:
                outcome = self._fit_stacked(
                    candidates, stacks, y_arr, data, splits, scoring_scorers, score_weight
                )
            except Exception as exc:
                if self.error_score == "raise":
                    raise
                warnings.warn(
                    f"The stacked training failed ({type(exc).__name__}: {exc}); training the "
                    "candidates one by one, each failure scored error_score.",
                    FitFailedWarning,
                    stacklevel=2,
                )
                engine, reason = "sequential", f"the stacked training failed ({exc})"
        if engine == "sequential":
            outcome = self._fit_sequential(
                candidates, X, y, sample_weight, splits, scoring_scorers, score_weight
            )
        test, train, fit_times, score_times, histories, failures = outcome
        self._warn_about_failures(failures, len(candidates) * len(splits))
        self.engine_ = engine
        self.engine_reason_ = None if engine == "stacked" else reason or "engine='sequential'"
        self.histories_ = histories
        self.multimetric_ = multimetric
        self.scorer_ = scorers if self.multimetric_ else scorers["score"]
        self.cv_results_ = self._results(candidates, test, train, fit_times, score_times)
        key = refit_metric if self.multimetric_ else "score"
        if key is not None:
            mean = self.cv_results_[f"mean_test_{key}"]
            if not np.all(np.isfinite(mean)):
                warnings.warn(
                    f"One or more of the mean test scores are non-finite: {mean}; the best T "
                    "is the best of the finite ones (the first T if none is), as in "
                    "GridSearchCV.",
                    UserWarning,
                    stacklevel=2,
                )
            # GridSearchCV's choice: the first of the best ranks (NaN ranks last)
            self.best_index_ = int(np.argmin(self.cv_results_[f"rank_test_{key}"]))
            self.best_score_ = float(mean[self.best_index_])
            self.best_params_ = dict(candidates[self.best_index_])
            self.T_ = self.best_params_["T"]
        if self.refit:
            start = time.perf_counter()
            best = self._estimator(**self.best_params_)
            self.best_estimator_ = best.fit(X, y, sample_weight=sample_weight)
            self.refit_time_ = time.perf_counter() - start
        return self

    def _scorers(self, template):
        """The scorers by name (``{"score": scorer}`` for one metric), the metric that
        chooses T (None: ``refit=False`` with several metrics) and whether there are
        several."""
        scoring = self.scoring
        if scoring is None or isinstance(scoring, str) or callable(scoring):
            return {"score": check_scoring(template, scoring=scoring)}, "score", False
        if isinstance(scoring, dict):
            named = dict(scoring)
        elif isinstance(scoring, (list, tuple, set)):
            if not all(isinstance(name, str) for name in scoring):
                raise ValueError(
                    f"scoring as a list must hold metric names (str); got {scoring!r}."
                )
            named = {name: name for name in scoring}
        else:
            raise ValueError(
                f"scoring must be a str, a callable, a list of names, a dict or None; got "
                f"{scoring!r}."
            )
        if not named:
            raise ValueError("scoring is an empty list or dict; give at least one metric.")
        scorers = {name: check_scoring(template, scoring=s) for name, s in named.items()}
        if self.refit is True or (isinstance(self.refit, str) and self.refit not in scorers):
            raise ValueError(
                f"With several metrics in scoring, refit must name the one that chooses T "
                f"(one of {sorted(scorers)}) or be False; got refit={self.refit!r}."
            )
        return scorers, (self.refit if isinstance(self.refit, str) else None), True

    def _score_all(self, scorers, est, X, y, sample_weight):
        """Every metric of a fitted candidate, ``error_score`` for a metric that raises, and
        the first such error (a string, or None)."""
        out, error = {}, None
        for name, scorer in scorers.items():
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            try:
                out[name] = float(scorer(est, X, y, **kwargs))
            except Exception as exc:
                if self.error_score == "raise":
                    raise
                out[name] = float(self.error_score)
                error = error or f"scoring {name!r} failed: {type(exc).__name__}: {exc}"
        return out, error

    def _fit_sequential(self, candidates, X, y, sample_weight, splits, scorers, score_weight):
        """One IWCEClassifier fit per candidate, as GridSearchCV does (``n_jobs`` of them at
        once)."""
        if issparse(X):
            X = X.tocsr()  # rows can be taken (COO, DIA... cannot be indexed)
        elif not hasattr(X, "iloc"):
            X = np.asarray(X)
        sw = None if sample_weight is None else np.asarray(sample_weight)
        tasks = [(cand, train, test) for cand in candidates for train, test in splits]
        # a fixed front end (MiniRocket) is fitted once per fold, not once per candidate
        with shared_front_ends():
            outputs = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_one)(cand, X, y, sw, score_weight, train, test, scorers)
                for cand, train, test in tasks
            )
        return self._collect(candidates, splits, outputs)

    def _fit_one(self, cand, X, y, sw, score_weight, train, test, scorers):
        """Fit and score one candidate; a failed fit scores ``error_score`` (or raises)."""
        est = clone(self._estimator(**cand))
        start = time.perf_counter()
        try:
            est.fit(
                _rows(X, train), _rows(y, train), sample_weight=None if sw is None else sw[train]
            )
        except Exception as exc:
            if self.error_score == "raise":
                raise
            failed = dict.fromkeys(scorers, float(self.error_score))
            error = f"{type(exc).__name__}: {exc}"
            return failed, failed, time.perf_counter() - start, 0.0, _as_history([]), error
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        test_w = None if score_weight is None else score_weight[test]
        scores, error = self._score_all(scorers, est, _rows(X, test), _rows(y, test), test_w)
        score_time = time.perf_counter() - start
        train_scores = None
        if self.return_train_score:
            train_w = None if score_weight is None else score_weight[train]
            train_scores, _ = self._score_all(
                scorers, est, _rows(X, train), _rows(y, train), train_w
            )
        history = _as_history(
            [{k: row[k] for k in HISTORY_KEYS if k in row} for row in est.net_.history]
        )
        return scores, train_scores, fit_time, score_time, history, error

    def _fit_stacked(self, candidates, stacks, y, data, splits, scorers, score_weight):
        """All (candidate, fold) pairs as stacked models, one stack (or chunks of
        ``max_models``) per entry of ``stacks`` (template, spec, candidate indices), scored on
        their test folds; ``data`` is what ``_check_fit_data`` returned for the whole of X, y.
        With ``n_jobs``, the stacks train in parallel."""
        Xv = data[0]
        jobs = []  # (template, spec, [(model position, per-model parameters, rows)])
        for template, spec, members in stacks:
            models = [
                (i * len(splits) + j, {**candidates[i], "random_state": self.random_state}, tr)
                for i in members
                for j, (tr, _) in enumerate(splits)
            ]
            for start in range(0, len(models), self.max_models):
                jobs.append((template, spec, models[start : start + self.max_models]))

        def run(template, spec, models):
            per_model = [{k: v for k, v in own.items() if k in PER_MODEL} for _, own, _ in models]
            return fit_validated(
                template,
                *data,
                [rows for _, _, rows in models],
                per_model=per_model,
                max_models=self.max_models,
                spec=spec,
            )

        if len(jobs) > 1 and self.n_jobs not in (None, 1):
            parts = Parallel(n_jobs=self.n_jobs)(delayed(run)(*job) for job in jobs)
        else:
            parts = [run(*job) for job in jobs]
        members = [None] * (len(candidates) * len(splits))
        for (_, _, models), part in zip(jobs, parts, strict=True):
            for (position, _, _), member in zip(models, part, strict=True):
                members[position] = member
        outputs = []
        for c, member in enumerate(members):
            train, test = splits[c % len(splits)]
            start = time.perf_counter()
            test_w = None if score_weight is None else score_weight[test]
            scores, error = self._score_all(scorers, member, Xv[test], y[test], test_w)
            score_time = time.perf_counter() - start
            train_scores = None
            if self.return_train_score:
                train_w = None if score_weight is None else score_weight[train]
                train_scores, _ = self._score_all(scorers, member, Xv[train], y[train], train_w)
            outputs.append(
                (scores, train_scores, member.fit_time_, score_time, member.history_, error)
            )
        return self._collect(candidates, splits, outputs)

    @staticmethod
    def _collect(candidates, splits, outputs):
        """Per-candidate outputs as arrays (candidate, fold) per metric, and the failures."""
        shape = (len(candidates), len(splits))
        names = list(outputs[0][0])
        test = {name: np.empty(shape) for name in names}
        train = {name: np.empty(shape) for name in names} if outputs[0][1] is not None else None
        fit_times, score_times = np.empty(shape), np.empty(shape)
        histories, failures = [], []
        for c, (scores, train_scores, fit_time, score_time, history, error) in enumerate(outputs):
            i, j = divmod(c, len(splits))
            for name in names:
                test[name][i, j] = scores[name]
                if train is not None:
                    train[name][i, j] = (train_scores or scores)[name]
            fit_times[i, j], score_times[i, j] = fit_time, score_time
            histories.append(history)
            if error is not None:
                own = ", ".join(f"{k}={v}" for k, v in candidates[i].items())
                failures.append(f"{own}, fold {j}: {error}")
        return test, train, fit_times, score_times, histories, failures

    def _warn_about_failures(self, failures, n_fits):
        if not failures:
            return
        if len(failures) == n_fits:
            raise ValueError(
                f"All the {n_fits} candidate fits (or their scorings) failed; the first error: "
                f"{failures[0]}"
            )
        shown = "\n".join(failures[:5])
        warnings.warn(
            f"{len(failures)} of the {n_fits} candidate fits (or their scorings) failed and score "
            f"error_score={self.error_score!r}:\n{shown}",
            FitFailedWarning,
            stacklevel=3,
        )

    def _results(self, candidates, test, train, fit_times, score_times):
        results = {
            "mean_fit_time": fit_times.mean(1),
            "std_fit_time": fit_times.std(1),
            "mean_score_time": score_times.mean(1),
            "std_score_time": score_times.std(1),
        }
        for name in candidates[0]:
            values = [cand[name] for cand in candidates]
            try:
                column = np.asarray(values)
                if column.ndim != 1:
                    raise ValueError
            except ValueError:  # (tuples of widths: one object each, as GridSearchCV keeps)
                column = np.empty(len(values), dtype=object)
                column[:] = values
            results[f"param_{name}"] = np.ma.MaskedArray(column, mask=False)
        results["params"] = candidates
        for name, scores in test.items():
            parts = [("test", scores)] + ([("train", train[name])] if train is not None else [])
            for kind, values in parts:
                for j in range(values.shape[1]):
                    results[f"split{j}_{kind}_{name}"] = values[:, j]
                results[f"mean_{kind}_{name}"] = values.mean(1)
                results[f"std_{kind}_{name}"] = values.std(1)
                if kind == "test":
                    mean = values.mean(1)
                    filled = np.where(np.isnan(mean), -np.inf, mean)
                    ranks = rankdata(-filled, method="min").astype(np.int32)
                    results[f"rank_test_{name}"] = ranks
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
        best = self._best()
        if self.multimetric_:
            scorer = self.scorer_[self.refit]
        else:
            scorer = check_scoring(best, scoring=self.scoring)
        if sample_weight is not None:
            return scorer(self._best(), X, y, sample_weight=sample_weight)
        return scorer(self._best(), X, y)


def _weighted_where_accepted(scorers):
    """The scorers, those that do not take ``sample_weight`` wrapped to drop it (with a
    warning, as GridSearchCV warns): they score unweighted."""
    out, refusing = {}, []
    for name, scorer in scorers.items():
        if hasattr(scorer, "_accept_sample_weight"):
            accept = scorer._accept_sample_weight()
        elif hasattr(scorer, "_score_func"):
            accept = "sample_weight" in inspect.signature(scorer._score_func).parameters
        else:
            accept = "sample_weight" in inspect.signature(scorer).parameters
        out[name] = scorer if accept else _Unweighted(scorer)
        if not accept:
            refusing.append(name)
    if refusing:
        warnings.warn(
            f"The scoring {refusing} does not take sample_weight: those scores are unweighted "
            "although the candidates were fitted with sample_weight.",
            UserWarning,
            stacklevel=3,
        )
    return out


class _Unweighted:
    """A scorer called without the ``sample_weight`` it does not take."""

    def __init__(self, scorer):
        self.scorer = scorer

    def __call__(self, estimator, X, y, sample_weight=None):
        return self.scorer(estimator, X, y)


def _rows(a, idx):
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    return a[idx] if issparse(a) else np.asarray(a)[idx]
