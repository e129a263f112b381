"""What the default ensemble's members are: refits, the inner folds' models, or several seeds.

``IWCEClassifier()`` on rows with few minority rows selects an ensemble from its candidates'
out-of-fold probabilities and refits each chosen candidate once on all the rows
(skiwce/_auto_rows.py). With 8 to 24 minority rows one refit is one draw of a noisy fit.
This script asks, on the 26 sets and the 3 repetitions of ``rows.py --repeat R``, whether the
members should instead be averages of several fits, with the selection left as it is:

- ``folds``: the chosen candidates' inner-fold models, which the cross-validation trains
  anyway (each on 2/3 of the rows), averaged instead of a refit (bagging over the folds, as
  AutoGluon's stacker does);
- ``refit + folds``: the refit and the fold models, equally weighted;
- ``3 seeds``: the refit and two more refits with other seeds (more fits, the same rows);
- ``3 seeds + folds``: all of them, equally weighted.

Per outer fold it fits ``IWCEClassifier(n_threads=1, random_state=fold)`` as ``rows.py`` does,
with the ensemble's step replaced by the shipped one that also keeps the fold models and
fits the extra seeds; the fit's own prediction (``shipped``) must reproduce the stored rows
of ``IWCE defaults`` fold by fold (``score`` checks it). The policy to adopt is chosen on
repetition 0 and confirmed on repetitions 1 and 2 (``score --repeats``). The record
(``benchmarks/results/rows_bag_cpu.csv``, notes of ``rows_cpu.md``) stopped after repetition
0: no policy raised the count there, nor the mean by more than 0.04 points, so there was
nothing to confirm.

Usage (``$SETS``: the 26 sets of ``rows.py``'s repeated section)::

    python benchmarks/rows_bag.py scan --out /tmp/bag --repeats 0 1 2 --processes 2 \\
        --sets $SETS
    python benchmarks/rows_bag.py score --out /tmp/bag --repeats 0 \\
        --csv benchmarks/results/rows_bag_cpu.csv
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import balanced_accuracy_score

from skiwce import _auto_rows

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rows  # noqa: E402 - the benchmark's sets, folds and peers
import rows_pool  # noqa: E402 - the shipped fit, the folds and the summary of the pool scan

#: Refits with other seeds per chosen candidate (the shipped refit is the first).
N_SEEDS = 3
#: Offset between the extra refits' seeds.
SEED_STEP = 1_000_003

SHIPPED = "shipped"
POLICIES = (SHIPPED, "folds", "refit + folds", "3 seeds", "3 seeds + folds")


def _scan_ensemble(captured):
    """A stand-in for ``fit_ensemble``: the shipped steps, keeping the chosen candidates'
    fold models and fitting ``N_SEEDS - 1`` more refits of each; returns the shipped
    selection (so ``predict`` is the shipped prediction)."""

    def fit_ensemble(make_estimator, X, y, sample_weight, row_weights, seed):
        if sample_weight is not None:  # rows.py never passes any
            raise ValueError("the scan does not support sample_weight")
        grid = _auto_rows.candidates(sp.issparse(X))
        n_classes = int(y.max()) + 1
        folds = _auto_rows.inner_folds(y, seed)
        oof = [np.zeros((len(y), n_classes)) for _ in grid]
        fold_models = []
        for k, cand in enumerate(grid):
            models = []
            for train, test in folds:
                m = _auto_rows.Member(cand["encoding"], make_estimator(cand["weight_decay"]))
                m.fit(X[train], y[train])
                oof[k][test] = m.predict_proba(X[test])
                models.append(m)
            fold_models.append(models)
        weights = _auto_rows.greedy_ensemble(oof, y, row_weights)
        order = [k for k in np.argsort(-weights, kind="stable") if weights[k] > 0]

        def refit(k, j):
            est = make_estimator(grid[k]["weight_decay"])
            if j:
                est.set_params(random_state=seed + SEED_STEP * j)
            return _auto_rows.Member(grid[k]["encoding"], est).fit(X, y)

        refits = [[refit(k, j) for j in range(N_SEEDS)] for k in order]
        captured.update(
            weights=weights[order],
            refits=refits,
            folds=[fold_models[k] for k in order],
        )
        return [r[0] for r in refits], weights[order], None

    return fit_ensemble


def fit_bag(Xtr, ytr, Xte, yte, seed):
    """One outer fold: the shipped fit's balanced accuracy and, where it built an ensemble,
    the test probabilities of every chosen candidate's refits and fold models."""
    captured = {}
    with rows_pool.shipped_fit(_scan_ensemble(captured), Xtr, ytr, Xte, yte, seed) as (
        est,
        shipped,
        Xv,
    ):
        out = dict(yte=yte, shipped=shipped)
        if est.ensemble_ is not None:
            out.update(
                weights=captured["weights"],
                refits=[[m.predict_proba(Xv) for m in ms] for ms in captured["refits"]],
                folds=[[m.predict_proba(Xv) for m in ms] for ms in captured["folds"]],
            )
    return out


def policy_proba(d, policy):
    """A policy's test probabilities on one stored fold with an ensemble."""

    def member(k):
        refits, folds = d["refits"][k], d["folds"][k]
        return {
            SHIPPED: refits[0],
            "folds": np.mean(folds, axis=0),
            "refit + folds": np.mean([refits[0], *folds], axis=0),
            "3 seeds": np.mean(refits, axis=0),
            "3 seeds + folds": np.mean([*refits, *folds], axis=0),
        }[policy]

    return sum(w * member(k) for k, w in enumerate(d["weights"]))


def _task(args):
    name, rep, fold, out = args
    path = Path(out) / f"{name}__{fold}.pkl"
    if path.exists():
        return name, fold, "done"
    result = fit_bag(*rows_pool.fold_data(name, rep, fold), seed=fold)
    rows_pool.save_result(path, result)
    return name, fold, f"{result['shipped']:.1f}"


def scan(args):
    rows_pool.run_scan(args, _task)


def score(args):
    records = []
    for name, fold, d in rows_pool.stored_folds(args.out, args.repeats):
        for policy in POLICIES:
            if "weights" in d:
                bacc = 100 * balanced_accuracy_score(d["yte"], policy_proba(d, policy).argmax(1))
            else:  # no ensemble on this fold: every policy is the shipped fit
                bacc = d["shipped"]
            records.append(dict(dataset=name, fold=fold, method=policy, balanced_accuracy=bacc))
        records.append(
            dict(
                dataset=name,
                fold=fold,
                method="scan: fit's predict",
                balanced_accuracy=d["shipped"],
            )
        )
    frame = pd.DataFrame(records)
    stores = rows._load_frame([args.store, args.repeats_store])
    stored = stores[stores.method == rows.DEFAULT].set_index(["dataset", "fold"]).balanced_accuracy
    for method in (SHIPPED, "scan: fit's predict"):
        mine = frame[frame.method == method].set_index(["dataset", "fold"]).balanced_accuracy
        common = mine.index.intersection(stored.index)
        diff = (mine[common] - stored[common]).abs()
        print(
            f"{method!r} against the stored {rows.DEFAULT!r}: {len(common)} folds, "
            f"max |difference| {diff.max():.3f} points"
        )
    scanned = frame[["dataset", "fold"]].drop_duplicates()
    peers = stores[stores.method.isin(rows.PEERS)].merge(scanned, on=["dataset", "fold"])
    both = pd.concat([peers, frame])
    n_folds = both.groupby(["dataset", "method"]).size().unstack()
    complete = n_folds.index[(n_folds == n_folds.to_numpy().max()).all(axis=1)]
    for rep, part in both.groupby(both.fold // rows.N_FOLDS):
        means = part.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack()
        rows_pool._summary(means.loc[complete], POLICIES, prefix=f"repetition {rep}: ")
    means = both.groupby(["dataset", "method"]).balanced_accuracy.mean().unstack().loc[complete]
    print(f"{len(complete)} sets with every fold")
    best = rows_pool._summary(means, POLICIES, prefix="all: ")
    table = means[list(POLICIES)].sub(best, axis=0).assign(best_peer=best)
    print(table.round(1).to_string())
    if args.csv:
        out = frame[frame.method.isin(POLICIES)].assign(fit_seconds=np.nan)
        out[rows_pool._COLUMNS].round(3).to_csv(args.csv, index=False, lineterminator="\n")


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
    c.add_argument("--store", default="benchmarks/results/rows_cpu.csv")
    c.add_argument("--repeats-store", default="benchmarks/results/rows_cpu_repeats.csv")
    args = parser.parse_args(argv)
    (scan if args.command == "scan" else score)(args)


if __name__ == "__main__":
    main()
