"""The default ensemble's candidate pool, measured on the repeated protocol of ``rows.py``.

``IWCEClassifier()`` on rows with few minority rows builds an ensemble from 10 candidates
(skiwce/_auto_rows.py). This script asks, on the same 26 sets and the same 3 repetitions of
5-fold cross-validation as ``rows.py --repeat R``, whether a wider pool helps: per outer fold it
fits ``IWCEClassifier(n_threads=1, random_state=fold)`` as the benchmark does, with the
ensemble's inner step replaced by one that cross-validates a wider pool (the shipped 10 first,
on the same inner folds and seeds, then the extra candidates below) and refits every candidate
on the outer training rows. Each policy (a sub-pool, selected by the shipped greedy rule on its
candidates' out-of-fold probabilities) is then scored on the outer test rows. The policy
``shipped`` must reproduce the stored ``IWCE defaults`` rows fold by fold: the script checks
it, so the pool's numbers are the shipped code's numbers, not a re-implementation's.

The extra candidates and the policies were fixed before the run (hypotheses from the
single-split scan of the notes): linear models with a weak penalty (where balanced logistic
regression leads) and an MLP with a stronger penalty (where the strongest shipped penalty
scored best).

Usage::

    python benchmarks/rows_pool.py scan --out /tmp/pool --repeats 0 1 2 --processes 2
    python benchmarks/rows_pool.py score --out /tmp/pool \\
        --csv benchmarks/results/rows_pool_cpu.csv --store benchmarks/results/rows_cpu.csv \\
        --repeats-store benchmarks/results/rows_cpu_repeats.csv

``score`` prints per policy the mean balanced accuracy over the sets' means and the count of
sets within 1 point of the best peer (the bar of issue 19), and writes the per-fold scores.
"""

import argparse
import os
import pickle
import sys
import warnings
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
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
)


def pool(sparse):
    """The shipped candidates (named), then the extra ones."""
    out = []
    for cand in _auto_rows.candidates(sparse):
        enc = cand["encoding"] or "raw"
        out.append((f"{enc} {cand['weight_decay']}", cand["encoding"], cand["weight_decay"], None))
    return out + list(EXTRA)


def _scan_ensemble(captured):
    """A stand-in for ``fit_ensemble``: the shipped steps on the wider pool; every candidate
    refitted; returns the shipped selection (so ``predict`` is the shipped prediction)."""

    def fit_ensemble(make_estimator, X, y, sample_weight, row_weights, seed):
        from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415

        grid = pool(sp.issparse(X))
        n_classes = int(y.max()) + 1
        rarest = int(np.bincount(y, minlength=n_classes).min())
        folds = list(
            StratifiedKFold(min(3, rarest), shuffle=True, random_state=seed).split(
                np.zeros(len(y)), y
            )
        )

        def member(cand):
            _, encoding, weight_decay, hidden = cand
            est = make_estimator(weight_decay)
            if hidden is not None:
                est.set_params(module_params={"hidden_layer_sizes": hidden})
            return _auto_rows.Member(encoding, est)

        oof = [np.zeros((len(y), n_classes)) for _ in grid]
        for k, cand in enumerate(grid):
            for train, test in folds:
                m = member(cand).fit(X[train], y[train])
                oof[k][test] = m.predict_proba(X[test])
        members = [member(cand).fit(X, y) for cand in grid]
        n_shipped = len(grid) - len(EXTRA)
        weights = _auto_rows.greedy_ensemble(oof[:n_shipped], y, row_weights)
        captured.update(
            names=[c[0] for c in grid], oof=oof, y=y, row_weights=row_weights, members=members
        )
        order = [k for k in np.argsort(-weights, kind="stable") if weights[k] > 0]
        return [members[k] for k in order], weights[order], None

    return fit_ensemble


def fit_pool(Xtr, ytr, Xte, yte, seed):
    """One outer fold: ``IWCEClassifier(n_threads=1, random_state=seed)`` fitted as the
    benchmark fits it, its ensemble step cross-validating and refitting the whole pool.
    Returns the outer test labels, the shipped fit's balanced accuracy and, where the fit
    built an ensemble, every candidate's out-of-fold and test probabilities."""
    captured = {}
    original = _classifier.fit_ensemble
    _classifier.fit_ensemble = _scan_ensemble(captured)
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = IWCEClassifier(n_threads=1, random_state=seed).fit(Xtr, ytr)
            shipped = 100 * balanced_accuracy_score(yte, est.predict(Xte))
            Xv = est._validate_X(Xte)
            test = [m.predict_proba(Xv) for m in captured.pop("members", [])]
    finally:
        _classifier.fit_ensemble = original
    if est.ensemble_ is None:  # the rarest class has enough rows: no ensemble
        return dict(yte=yte, shipped=shipped)
    return dict(yte=yte, shipped=shipped, test=test, **captured)


_SETS = None


def _task(args):
    name, rep, fold, out = args
    path = Path(out) / f"{name}__{fold}.pkl"
    if path.exists():
        return name, fold, "done"
    global _SETS  # noqa: PLW0603 - loaded once per worker
    if _SETS is None:
        _SETS = rows.datasets()
    rows.CV_REPEAT = rep  # read when the splits are drawn
    _, _, _, splits = _SETS[name]
    Xtr, ytr, Xte, yte = list(splits())[fold - rep * rows.N_FOLDS]
    classes, ytr = np.unique(ytr, return_inverse=True)
    yte = np.searchsorted(classes, yte)
    result = fit_pool(Xtr, ytr, Xte, yte, seed=fold)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(result, fh)
    os.replace(tmp, path)
    return name, fold, f"{result['shipped']:.1f}"


def scan(args):
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
        for name, fold, msg in workers.imap_unordered(_task, tasks, chunksize=1):
            print(name, fold, msg, flush=True)


#: policy -> the candidates it selects from (names of ``pool``), None: the shipped 10.
POLICIES = {
    "shipped": None,
    "+ linear": ("linear 0.003", "linear 0.03"),
    "+ mlp 1.0": ("mlp 1.0",),
    "+ linear + mlp 1.0": ("linear 0.003", "linear 0.03", "mlp 1.0"),
}


def policy_proba(d, extra):
    names = d["names"]
    n_shipped = len(names) - len(EXTRA)
    keep = list(range(n_shipped)) + ([] if extra is None else [names.index(e) for e in extra])
    weights = _auto_rows.greedy_ensemble([d["oof"][k] for k in keep], d["y"], d["row_weights"])
    return sum(w * d["test"][k] for w, k in zip(weights, keep, strict=True) if w > 0)


def score(args):
    records = []
    for path in sorted(Path(args.out).glob("*.pkl")):
        name, fold = path.stem.split("__")
        with path.open("rb") as fh:
            d = pickle.load(fh)
        for policy, extra in POLICIES.items():
            if "oof" in d:
                bacc = 100 * balanced_accuracy_score(d["yte"], policy_proba(d, extra).argmax(1))
            else:  # no ensemble on this fold: every policy is the shipped fit
                bacc = d["shipped"]
            records.append(
                dict(dataset=name, fold=int(fold), method=policy, balanced_accuracy=bacc)
            )
        records.append(
            dict(
                dataset=name,
                fold=int(fold),
                method="scan: shipped predict",
                balanced_accuracy=d["shipped"],
            )
        )
    frame = pd.DataFrame(records)
    stores = pd.concat([pd.read_csv(p) for p in (args.store, args.repeats_store)])
    stores = stores.drop_duplicates(["dataset", "fold", "method"], keep="last")
    stored = stores[stores.method == rows.DEFAULT].set_index(["dataset", "fold"]).balanced_accuracy
    mine = frame[frame.method == "shipped"].set_index(["dataset", "fold"]).balanced_accuracy
    common = mine.index.intersection(stored.index)
    diff = (mine[common] - stored[common]).abs()
    print(
        f"shipped policy against the stored IWCE defaults: {len(common)} folds, "
        f"max |difference| {diff.max():.3f} points"
    )
    peers = stores[stores.method.isin(rows.PEERS)]
    per_set = peers.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack()
    folds = frame.groupby("dataset").fold.nunique()
    complete = folds[folds == folds.max()].index
    best = per_set.max(axis=1)[complete]
    means = frame.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack().loc[complete]
    print(f"{len(complete)} sets with {folds.max()} folds")
    for policy in (*POLICIES, "scan: shipped predict"):
        within = int((means[policy] >= best - 1).sum())
        print(
            f"{policy:24s} mean {means[policy].mean():6.2f}  within 1 point {within}/{len(best)}"
        )
    table = means.assign(best_peer=best).round(1)
    print(table.to_string())
    if args.csv:
        frame.round(3).to_csv(args.csv, index=False, lineterminator="\n")


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
    c.add_argument("--store", default="benchmarks/results/rows_cpu.csv")
    c.add_argument("--repeats-store", default="benchmarks/results/rows_cpu_repeats.csv")
    args = parser.parse_args(argv)
    (scan if args.command == "scan" else score)(args)


if __name__ == "__main__":
    main()
