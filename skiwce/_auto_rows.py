"""The default on rows with few minority rows: an ensemble of penalised MLPs chosen out of fold.

``IWCEClassifier()`` (``max_epochs="auto"``, ``optimizer="auto"``) on a table whose rarest class
has fewer than ``AUTO_SEARCH_BELOW`` training rows trains the MLP by full-batch L-BFGS, each
candidate with an L2 penalty and an input encoding (the rows as they are, or with a one-hot
of per-feature quantile bins, or with spline features appended). Every candidate is
cross-validated on the training rows (``min(3, rarest)`` stratified folds); the ensemble is
built from the candidates' out-of-fold probabilities by greedy forward selection with
replacement (Caruana et al., "Ensemble selection from libraries of models", ICML 2004),
minimising the class-weighted log-loss, and its members are refitted on all the rows.
``benchmarks/rows.py`` measures it against the peers (``benchmarks/results/rows_cpu.md``).
"""

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import SplineTransformer

#: The L2 penalties (``weight_decay``) of the candidates on the rows as they are.
AUTO_WEIGHT_DECAYS = (0.01, 0.03, 0.1, 0.3)
#: The input encodings appended to the rows, and the penalties of their candidates.
AUTO_ENCODINGS = ("bins", "splines")
AUTO_ENCODED_WEIGHT_DECAYS = (0.03, 0.1, 0.3)
#: Inner cross-validation folds at most (fewer where the rarest class has fewer rows).
AUTO_INNER_FOLDS = 3
#: Rounds of the greedy ensemble selection (a member's weight is a multiple of 1/15).
AUTO_ENSEMBLE_ROUNDS = 15
#: Quantile bins per feature (``"bins"``) and spline knots (``"splines"``).
N_BINS = 8
N_KNOTS = 4


class QuantileBins(TransformerMixin, BaseEstimator):
    """One-hot indicators of per-feature quantile bins (at most ``n_bins`` per feature).

    Bin edges are the distinct inner quantiles of each training column; a value's bin is the
    number of edges at or below it. A column with few distinct values gets fewer bins (a
    constant or binary column two, the first empty on its training rows: the raw column,
    which the ensemble keeps beside the bins, carries what they lack).

    Parameters
    ----------
    n_bins : int, default=8
        Bins per feature at most.

    Examples
    --------
    >>> import numpy as np
    >>> from skiwce._auto_rows import QuantileBins
    >>> QuantileBins(n_bins=2).fit_transform(np.array([[0.0], [1.0], [2.0], [3.0]]))
    array([[1., 0.],
           [1., 0.],
           [0., 1.],
           [0., 1.]])
    """

    def __init__(self, n_bins=N_BINS):
        self.n_bins = n_bins

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        inner = np.linspace(0.0, 1.0, self.n_bins + 1)[1:-1]
        self.edges_ = [np.unique(np.quantile(column, inner)) for column in X.T]
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        blocks = []
        for column, edges in zip(X.T, self.edges_, strict=True):
            index = np.searchsorted(edges, column, side="right")
            blocks.append(np.eye(len(edges) + 1)[index])
        return np.hstack(blocks)


def make_encoder(encoding):
    """The transformer of ``encoding`` ("bins" or "splines"), unfitted."""
    if encoding == "bins":
        return QuantileBins()
    return SplineTransformer(n_knots=N_KNOTS, degree=2, knots="quantile")


def candidates(sparse):
    """The candidates, ``{"encoding": None | "bins" | "splines", "weight_decay": w}``: the
    encodings only for dense rows (they would make sparse rows dense)."""
    out = [{"encoding": None, "weight_decay": w} for w in AUTO_WEIGHT_DECAYS]
    if not sparse:
        out += [
            {"encoding": e, "weight_decay": w}
            for e in AUTO_ENCODINGS
            for w in AUTO_ENCODED_WEIGHT_DECAYS
        ]
    return out


class Member:
    """One candidate: its encoder (or None) and its network (an IWCEClassifier with an int
    ``max_epochs``, so it never searches itself), fitted on the encoded rows."""

    def __init__(self, encoding, estimator):
        self.encoding = encoding
        self.estimator = estimator

    def _inputs(self, X):
        if self.encoder_ is None:
            return X
        X = X.toarray() if sp.issparse(X) else X  # sparse rows after a dense fit
        return np.hstack([X, self.encoder_.transform(X)]).astype(np.float32)

    def fit(self, X, y, sample_weight=None):
        self.encoder_ = None if self.encoding is None else make_encoder(self.encoding).fit(X)
        self.estimator.fit(self._inputs(X), y, sample_weight=sample_weight)
        return self

    def continue_(self, X, y, sample_weight, epochs):
        """Train ``epochs`` more epochs (warm start, partial_fit)."""
        self.estimator._continue(self._inputs(X), y, sample_weight, epochs=epochs)
        return self

    def predict_proba(self, X):
        return self.estimator.predict_proba(self._inputs(X))


def weighted_log_loss(y, proba, row_weights):
    """Mean of ``-log proba[i, y_i]`` weighted by ``row_weights``.

    scikit-learn's ``log_loss(y, proba, sample_weight=row_weights, labels=...)`` up to its
    clipping (it chose the same ensembles on all 177 folds of ``benchmarks/rows_pool.py``'s
    scan), but its input checks make the 150 calls of a selection about 70 times slower
    (medians of 5 interleaved runs on 1 232 rows: 0.48 s against 0.007 s, about 4 % of a
    default fit)."""
    picked = np.clip(proba[np.arange(len(y)), y], 1e-12, None)
    return float(-np.sum(row_weights * np.log(picked)) / np.sum(row_weights))


def greedy_ensemble(oof, y, row_weights, rounds=AUTO_ENSEMBLE_ROUNDS):
    """Weights of the candidates chosen by greedy forward selection with replacement.

    Each round adds the candidate whose out-of-fold probabilities ``oof[k]`` most lower the
    weighted log-loss of the ensemble's mean (the first on ties); a candidate's weight is how
    often it was added over ``rounds``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1])
    >>> good, bad = np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> greedy_ensemble([bad, good], y, np.ones(2), rounds=3).tolist()
    [0.0, 1.0]
    """
    counts = np.zeros(len(oof))
    total = np.zeros_like(oof[0])
    for r in range(rounds):
        losses = [weighted_log_loss(y, (total + p) / (r + 1), row_weights) for p in oof]
        best = int(np.argmin(losses))
        counts[best] += 1
        total = total + oof[best]
    return counts / rounds


def inner_folds(y, seed):
    """The candidates' cross-validation: ``(train, test)`` index pairs of
    ``min(AUTO_INNER_FOLDS, rarest)`` stratified folds of the class indices ``y``."""
    rarest = int(np.bincount(y).min())
    cv = StratifiedKFold(min(AUTO_INNER_FOLDS, rarest), shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(y)), y))


def fit_ensemble(make_estimator, X, y, sample_weight, row_weights, seed):
    """Cross-validate the candidates, select the ensemble, refit its members.

    ``make_estimator(weight_decay)`` returns an unfitted IWCEClassifier; ``y`` are class
    indices. Returns ``(members, weights, search)``: the fitted members with a positive
    weight (heaviest first), their weights, and the candidates' out-of-fold results in
    GridSearchCV's ``cv_results_`` layout (scores: the negated weighted log-loss of each
    fold, as scikit-learn's ``neg_log_loss``) with the ensemble weight of each candidate.
    """
    grid = candidates(sp.issparse(X))
    n_classes = int(y.max()) + 1
    folds = inner_folds(y, seed)
    oof = [np.zeros((len(y), n_classes)) for _ in grid]
    scores = np.zeros((len(grid), len(folds)))
    sw = (lambda idx: None) if sample_weight is None else (lambda idx: sample_weight[idx])
    for k, cand in enumerate(grid):
        for f, (train, test) in enumerate(folds):
            member = Member(cand["encoding"], make_estimator(cand["weight_decay"]))
            member.fit(X[train], y[train], sample_weight=sw(train))
            oof[k][test] = member.predict_proba(X[test])
            scores[k, f] = -weighted_log_loss(y[test], oof[k][test], row_weights[test])
    weights = greedy_ensemble(oof, y, row_weights)
    order = [k for k in np.argsort(-weights, kind="stable") if weights[k] > 0]
    members = [
        Member(grid[k]["encoding"], make_estimator(grid[k]["weight_decay"])).fit(
            X, y, sample_weight=sample_weight
        )
        for k in order
    ]
    return members, weights[order], _cv_results(grid, scores, weights)


def _cv_results(grid, scores, weights):
    mean = scores.mean(axis=1)
    results = {
        "params": [dict(c) for c in grid],
        "param_encoding": np.ma.MaskedArray(
            np.array([c["encoding"] for c in grid], dtype=object), mask=False
        ),
        "param_weight_decay": np.ma.MaskedArray(
            np.array([c["weight_decay"] for c in grid], dtype=object), mask=False
        ),
        "mean_test_score": mean,
        "std_test_score": scores.std(axis=1),
        "rank_test_score": rankdata(-mean, method="min").astype(np.int32),
        "ensemble_weight": weights,
    }
    for f in range(scores.shape[1]):
        results[f"split{f}_test_score"] = scores[:, f]
    return results
