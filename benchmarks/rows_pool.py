"""The default ensemble's candidate pool, measured on the repeated protocol of ``rows.py``.

``IWCEClassifier()`` on rows with few minority rows builds an ensemble from a pool of
candidates (skiwce/_auto_rows.py). This script asks, on the same 26 sets and the same 3
repetitions of 5-fold cross-validation as ``rows.py --repeat R``, whether another pool does
better: per outer fold it fits ``IWCEClassifier(n_threads=1, random_state=fold)`` as the
benchmark does, with the ensemble's inner step replaced by one that cross-validates a wider
pool (the shipped candidates first, on the same inner folds and seeds, then the extra ones
below) and refits every candidate on the outer training rows. Each policy (a sub-pool,
selected by the shipped greedy rule on its candidates' out-of-fold probabilities) is then
scored on the outer test rows. The fit's own prediction (``scan: shipped predict``) must
reproduce the stored rows of the code that was scanned fold by fold (``--stored-method``):
the script checks it, so the pool's numbers are the shipped code's, not a re-implementation's.

The scan recorded in ``benchmarks/results/rows_pool_cpu.csv`` (notes of ``rows_cpu.md``):
linear models with a weak penalty and an MLP with a stronger penalty were fixed before it;
the two ``"select"`` candidates were added after its first repetition had been scored, then
measured as the default by ``rows.py`` on the other two repetitions (commit c8285b6), where
they gained nothing on the mean, so the shipped pool stayed as it was.

Usage::

    python benchmarks/rows_pool.py scan --out /tmp/pool --repeats 0 1 2 --processes 2 \\
        --sets $SETS
    python benchmarks/rows_pool.py score --out /tmp/pool --repeats 0 \\
        --csv benchmarks/results/rows_pool_cpu.csv \\
        --stored-method "IWCE defaults"

    python benchmarks/rows_pool.py rules --out /tmp/pool --repeats 0 \\
        --csv benchmarks/results/rows_pool_rules_cpu.csv

    python benchmarks/rows_pool.py compare --candidate r0.csv r1.csv \\
        --name "5 inner folds" --csv benchmarks/results/rows_inner5_cpu.csv

``compare`` sets a candidate default, run by ``rows.py --repeat R --methods "IWCE defaults"``
from the candidate code into stores of its own, beside the stored defaults and the peers.
``rules`` scores other selection rules on the shipped candidates of a stored scan (``RULES``:
the greedy selection by the balanced Brier score, the single best candidate, their uniform
mean, a fixed blend chosen across tables, leaving the scored table out, alone or as the
greedy selection's first rounds, and the greedy selection on candidates each scaled by the
temperature that fits its out-of-fold probabilities). ``score`` prints per policy the mean
balanced accuracy over the sets' means and the count of sets within 1 point of the best peer
on the same folds (the bar of issue 19), and writes the per-fold scores. A scan made by an
older version of the shipped pool is extended, not redone: ``scan`` fits only the candidates
a stored fold lacks.
"""

import argparse
import os
import pickle
import sys
import warnings
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.metrics import balanced_accuracy_score
from threadpoolctl import threadpool_limits

from skiwce import IWCEClassifier, _auto_rows, _classifier

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rows  # noqa: E402 - the benchmark's sets, folds and peers

#: The candidates beyond the shipped ones: (name, encoding, weight_decay, hidden layers).
EXTRA = (
    ("linear 0.003", None, 0.003, ()),
    ("linear 0.03", None, 0.03, ()),
    ("mlp 1.0", None, 1.0, None),
    # added after the first repetition had been scored (a lead, not fixed beforehand): the
    # rows reduced to the ceil(sqrt(d)) features of the largest ANOVA F (a forest's
    # max_features="sqrt", chosen once for the whole network instead of per split)
    ("select 0.03", "select", 0.03, None),
    ("select 0.1", "select", 0.1, None),
)


def _name(cand):
    """A shipped candidate's name in the scan, e.g. "raw 0.01", "bins 0.1"."""
    return f"{cand['encoding'] or 'raw'} {cand['weight_decay']}"


#: The shipped pool (skiwce/_auto_rows.py, dense rows), by name.
SHIPPED = tuple(_name(cand) for cand in _auto_rows.candidates(sparse=False))
SELECT = ("select 0.03", "select 0.1")
LINEAR = ("linear 0.003", "linear 0.03")
#: policy -> the candidates it selects from, in the shipped order (ties: the first).
POLICIES = {
    f"shipped ({len(SHIPPED)} candidates)": SHIPPED,
    "+ linear": SHIPPED + LINEAR,
    "+ mlp 1.0": (*SHIPPED, "mlp 1.0"),
    "+ linear + mlp 1.0": (*SHIPPED, *LINEAR, "mlp 1.0"),
    "+ select": SHIPPED + SELECT,
    "+ select + linear": SHIPPED + SELECT + LINEAR,
}


class SelectMember(_auto_rows.Member):
    """A candidate on the ``ceil(sqrt(d))`` features of the largest ANOVA F statistic only
    (a constant feature, whose F is undefined, ranks last)."""

    def _inputs(self, X):
        X = X.toarray() if sp.issparse(X) else X
        return self.encoder_.transform(X).astype(np.float32)

    def fit(self, X, y, sample_weight=None):
        k = int(np.ceil(np.sqrt(X.shape[1])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (UserWarning, RuntimeWarning))
            self.encoder_ = SelectKBest(f_classif, k=k).fit(X, y)
        self.estimator.fit(self._inputs(X), y, sample_weight=sample_weight)
        return self


class Stored:
    """A candidate of an earlier scan of the same fold: its stored test probabilities."""

    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, X):
        assert len(X) == len(self.proba)
        return self.proba


def pool(sparse):
    """The shipped candidates (named), then the extra ones."""
    out = [
        (_name(c), c["encoding"], c["weight_decay"], None) for c in _auto_rows.candidates(sparse)
    ]
    return out + list(EXTRA)


def _scan_ensemble(captured, previous=None):
    """A stand-in for ``fit_ensemble``: the shipped steps on the wider pool; every candidate
    refitted (or, if ``previous``, a stored scan of this fold, has it, taken from there);
    returns the shipped selection (so ``predict`` is the shipped prediction)."""

    def fit_ensemble(make_estimator, X, y, sample_weight, row_weights, seed):
        if sample_weight is not None:  # rows.py never passes any; this stand-in ignores them
            raise ValueError("the pool scan does not support sample_weight")

        grid = pool(sp.issparse(X))
        n_classes = int(y.max()) + 1
        folds = _auto_rows.inner_folds(y, seed)

        def member(cand):
            _, encoding, weight_decay, hidden = cand
            est = make_estimator(weight_decay)
            if hidden is not None:
                est.set_params(module_params={"hidden_layer_sizes": hidden})
            if encoding == "select":
                return SelectMember(encoding, est)
            return _auto_rows.Member(encoding, est)

        stored = {} if previous is None else {n: k for k, n in enumerate(previous["names"])}
        oof = [np.zeros((len(y), n_classes)) for _ in grid]
        members = []
        for k, cand in enumerate(grid):
            if cand[0] in stored:
                oof[k] = previous["oof"][stored[cand[0]]]
                members.append(Stored(previous["test"][stored[cand[0]]]))
                continue
            for train, test in folds:
                m = member(cand).fit(X[train], y[train])
                oof[k][test] = m.predict_proba(X[test])
            members.append(member(cand).fit(X, y))
        n_shipped = len(grid) - len(EXTRA)
        weights = _auto_rows.greedy_ensemble(oof[:n_shipped], y, row_weights)
        captured.update(
            names=[c[0] for c in grid], oof=oof, y=y, row_weights=row_weights, members=members
        )
        order = [k for k in np.argsort(-weights, kind="stable") if weights[k] > 0]
        chosen = [
            member(grid[k]).fit(X, y) if isinstance(members[k], Stored) else members[k]
            for k in order
        ]
        return chosen, weights[order], None

    return fit_ensemble


@contextmanager
def shipped_fit(stand_in, Xtr, ytr, Xte, yte, seed):
    """``IWCEClassifier(n_threads=1, random_state=seed)`` fitted on one outer fold as
    ``rows.py`` fits it, with ``stand_in`` as its ensemble step; yields the estimator, its
    balanced accuracy on the test rows and the validated test rows (one thread, warnings
    ignored, until the block ends)."""
    original = _classifier.fit_ensemble
    _classifier.fit_ensemble = stand_in
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = IWCEClassifier(n_threads=1, random_state=seed).fit(Xtr, ytr)
            shipped = 100 * balanced_accuracy_score(yte, est.predict(Xte))
            yield est, shipped, est._validate_X(Xte)
    finally:
        _classifier.fit_ensemble = original


def fit_pool(Xtr, ytr, Xte, yte, seed, previous=None):
    """One outer fold: ``IWCEClassifier(n_threads=1, random_state=seed)`` fitted as the
    benchmark fits it, its ensemble step cross-validating and refitting the whole pool.
    Returns the outer test labels, the shipped fit's balanced accuracy and, where the fit
    built an ensemble, every candidate's out-of-fold and test probabilities."""
    captured = {}
    stand_in = _scan_ensemble(captured, previous)
    with shipped_fit(stand_in, Xtr, ytr, Xte, yte, seed) as (est, shipped, Xv):
        test = [m.predict_proba(Xv) for m in captured.pop("members", [])]
    if est.ensemble_ is None:  # the rarest class has enough rows: no ensemble
        return dict(yte=yte, shipped=shipped)
    return dict(yte=yte, shipped=shipped, test=test, **captured)


_SETS = None


def fold_data(name, rep, fold):
    """The outer fold ``fold`` (of repetition ``rep``) of the set ``name`` as ``rows.py``
    draws it: ``(Xtr, ytr, Xte, yte)``, the labels as class indices of the training rows."""
    global _SETS  # noqa: PLW0603 - loaded once per worker
    if _SETS is None:
        _SETS = rows.datasets()
    rows.CV_REPEAT = rep  # read when the splits are drawn
    _, _, _, splits = _SETS[name]
    Xtr, ytr, Xte, yte = list(splits())[fold - rep * rows.N_FOLDS]
    classes, ytr = np.unique(ytr, return_inverse=True)
    return Xtr, ytr, Xte, np.searchsorted(classes, yte)


def save_result(path, result):
    """Pickle ``result`` to ``path`` atomically (a stopped scan leaves no half-written fold)."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(result, fh)
    os.replace(tmp, path)


def _task(args):
    name, rep, fold, out = args
    path = Path(out) / f"{name}__{fold}.pkl"
    previous = None
    if path.exists():
        with path.open("rb") as fh:
            previous = pickle.load(fh)
        if "oof" not in previous or {c[0] for c in pool(False)} <= set(previous["names"]):
            return name, fold, "done"
    result = fit_pool(*fold_data(name, rep, fold), seed=fold, previous=previous)
    save_result(path, result)
    return name, fold, f"{result['shipped']:.1f}"


def run_scan(args, task):
    """Run ``task((set, repetition, fold, out))`` on every outer fold of the sets chosen
    (``args.sets``, default all but the fixed-test ones) and ``args.repeats``, in
    ``args.processes`` processes, printing what each returns."""
    Path(args.out).mkdir(parents=True, exist_ok=True)
    rows.CV_REPEAT = 0
    names = [n for n in rows.datasets() if n not in rows.KEPT_FIXED]
    if args.sets:
        names = [n for n in names if n in args.sets]
    tasks = [
        (n, r, r * rows.N_FOLDS + f, args.out)
        for r in args.repeats
        for n in names
        for f in range(rows.N_FOLDS)
    ]
    with Pool(args.processes) as workers:
        for name, fold, msg in workers.imap_unordered(task, tasks, chunksize=1):
            print(name, fold, msg, flush=True)


def scan(args):
    run_scan(args, _task)


def stored_folds(out, repeats=None):
    """``(set, fold, result)`` of each stored fold under ``out`` (of ``repeats`` only)."""
    for path in sorted(Path(out).glob("*.pkl")):
        name, fold = path.stem.split("__")
        if repeats is None or int(fold) // rows.N_FOLDS in repeats:
            with path.open("rb") as fh:
                yield name, int(fold), pickle.load(fh)


def policy_proba(d, names):
    """A policy's test probabilities on one stored fold: the greedy selection over the
    candidates ``names`` (in that order)."""
    keep = [d["names"].index(name) for name in names]
    weights = _auto_rows.greedy_ensemble([d["oof"][k] for k in keep], d["y"], d["row_weights"])
    return sum(w * d["test"][k] for w, k in zip(weights, keep, strict=True) if w > 0)


def _shipped(d):
    """The indices of the shipped candidates (in ``SHIPPED`` order) in a stored fold."""
    return [d["names"].index(name) for name in SHIPPED]


def _balanced_accuracy(y, proba):
    """``balanced_accuracy_score(y, proba.argmax(1))`` in percent, for the many evaluations
    of the portfolio search (classes absent from ``y`` are left out, as scikit-learn does)."""
    pred = proba.argmax(1)
    recalls = [np.mean(pred[y == c] == c) for c in np.unique(y)]
    return 100 * float(np.mean(recalls))


def _balanced_brier(y, proba, row_weights):
    """The Brier score (squared error of the probability vector) weighted by ``row_weights``."""
    target = np.eye(proba.shape[1])[y]
    return float(np.sum(row_weights * ((proba - target) ** 2).sum(1)) / np.sum(row_weights))


def _greedy(oof, y, row_weights, loss, rounds=_auto_rows.AUTO_ENSEMBLE_ROUNDS, prior=None):
    """The shipped greedy selection with another ``loss`` and, optionally, ``prior`` counts of
    each candidate taken before the first round."""
    counts = np.zeros(len(oof)) if prior is None else np.asarray(prior, dtype=float).copy()
    total = sum(c * p for c, p in zip(counts, oof, strict=True)) + np.zeros_like(oof[0])
    for _ in range(rounds):
        n = counts.sum() + 1
        losses = [loss(y, (total + p) / n, row_weights) for p in oof]
        best = int(np.argmin(losses))
        counts[best] += 1
        total = total + oof[best]
    return counts / counts.sum()


#: Portfolio rounds: a fixed blend of the candidates in multiples of 1/6.
PORTFOLIO_ROUNDS = 6


def portfolio(folds, rounds=PORTFOLIO_ROUNDS):
    """A fixed blend of the shipped candidates chosen across tables: greedy forward selection
    with replacement maximising the mean over the sets of the blend's mean balanced accuracy
    on their outer test folds. ``folds``: ``{set: [(yte, [test proba per candidate]), ...]}``."""

    def value(weights):
        per_set = [
            np.mean(
                [_balanced_accuracy(yte, np.tensordot(weights, test, 1)) for yte, test in parts]
            )
            for parts in folds.values()
        ]
        return np.mean(per_set)

    counts = np.zeros(len(SHIPPED))
    for _ in range(rounds):
        trials = counts + np.eye(len(SHIPPED))
        gains = [value(trial / trial.sum()) for trial in trials]
        counts[int(np.argmax(gains))] += 1
    return counts / counts.sum()


#: Selection rules over the shipped candidates (``rules`` scores them); the shipped rule first.
RULES = (
    "greedy, balanced log-loss (shipped)",
    "greedy, balanced Brier score",
    "single best, balanced log-loss",
    "uniform mean",
    "portfolio of the other sets",
    "portfolio of the other sets, then greedy",
    "greedy on temperature-scaled candidates",
)


def _temperature(proba, t):
    logits = np.log(np.clip(proba, 1e-12, None)) / t
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _temperatures(oof, y, row_weights):
    """Per candidate, the temperature that minimises the weighted log-loss of its out-of-fold
    probabilities (searched on a log scale, 1/20 to 20)."""
    out = []
    for o in oof:
        fit = minimize_scalar(
            lambda lt, o=o: _auto_rows.weighted_log_loss(
                y, _temperature(o, np.exp(lt)), row_weights
            ),
            bounds=(-3, 3),
            method="bounded",
        )
        out.append(float(np.exp(fit.x)))
    return out


def rule_proba(d, rule, prior=None):
    """A rule's test probabilities on one stored fold."""
    test = [d["test"][k] for k in _shipped(d)]
    if rule == RULES[6]:
        oof = [d["oof"][k] for k in _shipped(d)]
        temperatures = _temperatures(oof, d["y"], d["row_weights"])
        test = [_temperature(p, t) for p, t in zip(test, temperatures, strict=True)]
    return np.tensordot(rule_weights(d, rule, prior), test, 1)


#: Not a rule: the per-set best single candidate on the outer test folds (an optimistic bound).
ORACLE = "best single candidate per set, on the test folds (a bound)"


def rule_weights(d, rule, prior=None):
    """The weights of the shipped candidates (in ``SHIPPED`` order) that ``rule`` gives on
    one stored fold; ``prior`` is the fold's set's portfolio (the portfolio rules only)."""
    oof, y, w = [d["oof"][k] for k in _shipped(d)], d["y"], d["row_weights"]
    if rule == RULES[0]:
        return _auto_rows.greedy_ensemble(oof, y, w)
    if rule == RULES[1]:
        return _greedy(oof, y, w, _balanced_brier)
    if rule == RULES[2]:
        losses = [_auto_rows.weighted_log_loss(y, p, w) for p in oof]
        return np.eye(len(oof))[int(np.argmin(losses))]
    if rule == RULES[3]:
        return np.full(len(oof), 1 / len(oof))
    if rule == RULES[4]:
        return prior
    if rule == RULES[6]:  # the weights only; rule_proba scales the test probabilities too
        scaled = [_temperature(p, t) for p, t in zip(oof, _temperatures(oof, y, w), strict=True)]
        return _auto_rows.greedy_ensemble(scaled, y, w)
    # the portfolio's blend counted as rounds already taken, then the shipped rounds
    return _greedy(oof, y, w, _auto_rows.weighted_log_loss, prior=prior * PORTFOLIO_ROUNDS)


def rules(args):
    """Score ``RULES`` on the stored folds of the repetitions ``args.repeats`` whose scan is
    complete; the portfolios leave the set they are applied to out (chosen on the other
    sets' folds of the same repetitions)."""
    stored = {(name, fold): d for name, fold, d in stored_folds(args.out, args.repeats)}
    folds = {}
    for (name, _), d in stored.items():
        if "oof" in d:
            folds.setdefault(name, []).append((d["yte"], [d["test"][k] for k in _shipped(d)]))
    priors = {}
    for name in sorted(folds):
        priors[name] = portfolio({n: f for n, f in folds.items() if n != name})
        blend = {
            n: round(float(v), 2) for n, v in zip(SHIPPED, priors[name], strict=True) if v > 0
        }
        print(f"portfolio without {name}: {blend}", flush=True)
    records = []
    for (name, fold), d in stored.items():
        for rule in RULES:
            if "oof" in d:
                proba = rule_proba(d, rule, priors[name])
                bacc = 100 * balanced_accuracy_score(d["yte"], proba.argmax(1))
            else:
                bacc = d["shipped"]
            records.append(dict(dataset=name, fold=fold, method=rule, balanced_accuracy=bacc))
    # a bound, not a rule: per set the one shipped candidate best on its outer test folds
    for name, parts in folds.items():
        per_candidate = np.array(
            [[_balanced_accuracy(yte, t) for t in test] for yte, test in parts]
        )
        best = int(np.argmax(per_candidate.mean(axis=0)))
        fold_ids = [f for (n, f), d in stored.items() if n == name and "oof" in d]
        records += [
            dict(dataset=name, fold=f, method=ORACLE, balanced_accuracy=score)
            for f, score in zip(fold_ids, per_candidate[:, best], strict=True)
        ]
    for (name, fold), d in stored.items():
        if "oof" not in d:
            records.append(
                dict(dataset=name, fold=fold, method=ORACLE, balanced_accuracy=d["shipped"])
            )
    frame = pd.DataFrame(records)
    stores = rows._load_frame([args.store, args.repeats_store])
    peers = stores[stores.method.isin(rows.PEERS)].merge(
        frame[["dataset", "fold"]].drop_duplicates()
    )
    means = pd.concat([peers, frame]).groupby(["dataset", "method"]).balanced_accuracy.mean()
    means = means.unstack().dropna()
    print(f"{len(means)} sets, repetitions {args.repeats}")
    best = _summary(means, (*RULES, ORACLE))
    print(means[[*RULES, ORACLE]].sub(best, axis=0).round(1).to_string())
    if args.csv:
        out = frame.assign(fit_seconds=np.nan)
        out[_COLUMNS].round(3).to_csv(args.csv, index=False, lineterminator="\n")


def score(args):
    records = []
    for name, fold, d in stored_folds(args.out, args.repeats):
        for policy, names in POLICIES.items():
            if "oof" in d:
                bacc = 100 * balanced_accuracy_score(d["yte"], policy_proba(d, names).argmax(1))
            else:  # no ensemble on this fold: every policy is the shipped fit
                bacc = d["shipped"]
            records.append(dict(dataset=name, fold=fold, method=policy, balanced_accuracy=bacc))
        records.append(
            dict(
                dataset=name,
                fold=fold,
                method="scan: shipped predict",
                balanced_accuracy=d["shipped"],
            )
        )
    frame = pd.DataFrame(records)
    stores = rows._load_frame([args.store, args.repeats_store])
    stored = stores[stores.method == args.stored_method]
    stored = stored.set_index(["dataset", "fold"]).balanced_accuracy
    mine = frame[frame.method == "scan: shipped predict"]
    mine = mine.set_index(["dataset", "fold"]).balanced_accuracy
    common = mine.index.intersection(stored.index)
    diff = (mine[common] - stored[common]).abs()
    print(
        f"the scanned fits against the stored {args.stored_method!r}: {len(common)} folds, "
        f"max |difference| {diff.max():.3f} points"
    )
    # the peers on the folds scanned; sets with every fold of every peer and of the scan
    scanned = frame[["dataset", "fold"]].drop_duplicates()
    peers = stores[stores.method.isin(rows.PEERS)].merge(scanned, on=["dataset", "fold"])
    n_peers = peers.groupby("dataset").size()
    folds = frame.groupby("dataset").fold.nunique()
    complete = folds[(folds == folds.max())].index
    complete = complete[n_peers.reindex(complete).fillna(0) == folds.max() * len(rows.PEERS)]
    means = pd.concat([peers, frame]).groupby(["dataset", "method"]).balanced_accuracy.mean()
    means = means.unstack().loc[complete]
    print(f"{len(complete)} sets with {folds.max()} folds")
    best = _summary(means, (*POLICIES, "scan: shipped predict"))
    print(means[frame.method.unique()].assign(best_peer=best).round(1).to_string())
    if args.heldout:
        _heldout(args.heldout, stores, frame)
    if args.csv:
        out = frame.assign(fit_seconds=np.nan)
        if args.heldout:
            out = pd.concat([out, _heldout_rows(args.heldout)])
        out[_COLUMNS].round(3).to_csv(args.csv, index=False, lineterminator="\n")


HELDOUT = "+ select, as the default (rows.py at c8285b6)"
_COLUMNS = ["dataset", "fold", "method", "balanced_accuracy", "fit_seconds"]


def _summary(means, methods, prefix=""):
    """Print each method's mean over the sets (rows of ``means``) and its count of sets within
    ``rows.LEVEL`` of the best peer; return the best peer per set."""
    best = means[list(rows.PEERS)].max(axis=1)
    for m in methods:
        within = int((means[m] >= best - rows.LEVEL).sum())
        print(f"{prefix}{m:34s} mean {means[m].mean():6.2f}  within 1 point {within}/{len(best)}")
    return best


def _heldout_rows(paths):
    return rows._load_frame(paths).assign(method=HELDOUT)[_COLUMNS]


def _heldout(paths, stores, frame):
    """The candidate default run by ``rows.py`` (``paths``: its stores, the method "IWCE
    defaults" of the candidate code) against the stored defaults and the peers, per
    repetition, then over all repetitions with the scan's policy for the folds rows.py did
    not run (the same fits)."""
    cand = _heldout_rows(paths)
    print(f"\n{HELDOUT}: {len(cand)} folds run by rows.py")
    stored = stores[stores.method.isin([*rows.PEERS, rows.DEFAULT])]
    both = pd.concat([stored.merge(cand[["dataset", "fold"]]), cand])
    for rep, part in both.groupby(both.fold // rows.N_FOLDS):
        means = part.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack().dropna()
        _summary(means, (rows.DEFAULT, HELDOUT), prefix=f"repetition {rep}: ")
    seconds = both.groupby("method").fit_seconds.mean()
    print(f"mean fit seconds: {seconds[rows.DEFAULT]:.2f} and {seconds[HELDOUT]:.2f}")
    scan = frame[frame.method == "+ select"].assign(method=HELDOUT)
    ours = pd.concat([cand, scan]).drop_duplicates(["dataset", "fold"])  # rows.py's first
    every = pd.concat([stored.merge(ours[["dataset", "fold"]]), ours])
    means = every.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack().dropna()
    methods = (rows.DEFAULT, HELDOUT, "BalancedRandomForest (300)")
    best = _summary(means, methods, prefix="all repetitions: ")
    table = means[[rows.DEFAULT, HELDOUT]].assign(best_peer=best)
    print(table.assign(delta=table[HELDOUT] - table[rows.DEFAULT]).round(1).to_string())


def compare(args):
    """A candidate default run by ``rows.py`` into its own stores (``args.candidate``, method
    "IWCE defaults" of the candidate code) against the stored defaults and the peers on the
    same folds: per repetition, then over the repetitions run, on the sets with every fold."""
    cand = rows._load_frame(args.candidate).assign(method=args.name)[_COLUMNS]
    stores = rows._load_frame([args.store, args.repeats_store])
    stored = stores[stores.method.isin([*rows.PEERS, rows.DEFAULT])]
    both = pd.concat([stored.merge(cand[["dataset", "fold"]]), cand])
    counts = both.groupby(["dataset", "method"]).size().unstack()
    complete = counts.index[(counts == counts.to_numpy().max()).all(axis=1)]
    both = both[both.dataset.isin(complete)]
    print(f"{args.name}: {len(cand)} folds run by rows.py, {len(complete)} sets with every fold")
    for rep, part in both.groupby(both.fold // rows.N_FOLDS):
        means = part.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack()
        _summary(means, (rows.DEFAULT, args.name), prefix=f"repetition {rep}: ")
    means = both.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack()
    best = _summary(means, (rows.DEFAULT, args.name), prefix="the repetitions run: ")
    seconds = both.groupby("method").fit_seconds.mean()
    print(f"mean fit seconds: {seconds[rows.DEFAULT]:.2f} and {seconds[args.name]:.2f}")
    table = means[[rows.DEFAULT, args.name]].sub(best, axis=0).assign(best_peer=best)
    print(table.assign(delta=means[args.name] - means[rows.DEFAULT]).round(1).to_string())
    if args.csv:
        cand.round(3).to_csv(args.csv, index=False, lineterminator="\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scan")
    s.add_argument("--out", required=True)
    s.add_argument("--repeats", type=int, nargs="+", default=[0, 1, 2])
    s.add_argument("--sets", nargs="*")
    s.add_argument("--processes", type=int, default=2)
    c = sub.add_parser("score")
    c.add_argument("--out", required=True)
    c.add_argument("--csv")
    c.add_argument("--repeats", type=int, nargs="+", help="score these repetitions only")
    c.add_argument("--heldout", nargs="+", help="rows.py stores of the candidate default")
    c.add_argument("--store", default="benchmarks/results/rows_cpu.csv")
    c.add_argument("--repeats-store", default="benchmarks/results/rows_cpu_repeats.csv")
    c.add_argument(
        "--stored-method", default=rows.DEFAULT, help="the stored rows of the scanned code"
    )
    r = sub.add_parser("rules")
    r.add_argument("--out", required=True)
    r.add_argument("--csv")
    r.add_argument("--repeats", type=int, nargs="+", default=[0])
    r.add_argument("--store", default="benchmarks/results/rows_cpu.csv")
    r.add_argument("--repeats-store", default="benchmarks/results/rows_cpu_repeats.csv")
    m = sub.add_parser("compare")
    m.add_argument("--candidate", nargs="+", required=True, help="rows.py stores")
    m.add_argument("--name", required=True, help="the candidate's name in the output")
    m.add_argument("--csv", help="the candidate's rows, renamed, for the record")
    m.add_argument("--store", default="benchmarks/results/rows_cpu.csv")
    m.add_argument("--repeats-store", default="benchmarks/results/rows_cpu_repeats.csv")
    args = parser.parse_args(argv)
    {"scan": scan, "score": score, "rules": rules, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
