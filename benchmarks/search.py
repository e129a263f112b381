"""Search benchmark: IWCEClassifierCV's stacked training against GridSearchCV(IWCEClassifier).

5 temperatures x 5 stratified folds on the paper's artificial data (2 200 rows x 10 features,
batch 64, Adam), for the paper's CNN (``CNN1D``, dropout 0.2) and an MLP (10-100-3), each way:

- ``IWCEClassifierCV`` (``refit=False``), 1 and 2 torch threads;
- ``GridSearchCV(IWCEClassifier(n_threads=1), {"T": Ts}, n_jobs=1)`` and ``n_jobs=2``
  (joblib's processes, one thread each).

The variants of a repetition run one after the other, interleaved across repetitions; the
table gives each variant's minimum and median wall time, its best T and its mean balanced
accuracy per T. A second table times one model: ``IWCEClassifier.fit`` on all rows against the
stacked engine with K = 1 (same batches, no validation). Run from the repository root::

    python benchmarks/search.py --epochs 100 --repeats 2 --readme \\
        --out benchmarks/results/search_cpu.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skiwce import IWCEClassifier, IWCEClassifierCV
from skiwce._stacked import ModelPlan, StackedNetwork, train_stacked
from skiwce._torch_utils import seeded, torch_threads
from skiwce.datasets import make_paper_quantiles
from skiwce.models import CNN1D, MLP

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402

TS = [1.0, 5.0, 10.0, 20.0, 50.0]
MODULES = {"cnn1d": {}, "mlp": {"hidden_layer_sizes": (100,)}}


def _search_variants(module, epochs):
    common = {
        "module": module,
        "module_params": MODULES[module],
        "max_epochs": epochs,
        "random_state": 0,
    }
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def stacked(threads):
        def run(X, y):
            search = IWCEClassifierCV(Ts=TS, cv=cv, refit=False, n_threads=threads, **common).fit(
                X, y
            )
            assert search.engine_ == "stacked"
            return search.cv_results_["mean_test_score"]

        return run

    def grid(n_jobs):
        def run(X, y):
            search = GridSearchCV(
                IWCEClassifier(n_threads=1, **common),
                {"T": TS},
                cv=cv,
                scoring="balanced_accuracy",
                refit=False,
                n_jobs=n_jobs,
            ).fit(X, y)
            return search.cv_results_["mean_test_score"]

        return run

    return {
        "IWCEClassifierCV, 1 thread": stacked(1),
        "IWCEClassifierCV, 2 threads": stacked(2),
        "GridSearchCV, n_jobs=1": grid(1),
        "GridSearchCV, n_jobs=2": grid(2),
    }


def _single_variants(module, epochs):
    cls = CNN1D if module == "cnn1d" else MLP
    kwargs = (
        {"input_length": 10, "n_classes": 3}
        if module == "cnn1d"
        else {"n_features": 10, "n_classes": 3, **MODULES[module]}
    )

    def estimator(X, y):
        IWCEClassifier(
            module=module,
            module_params=MODULES[module],
            max_epochs=epochs,
            T=20.0,
            n_threads=1,
            random_state=0,
        ).fit(X, y)

    def engine(X, y):
        from skiwce.functional import blend_class_weights, check_schedule, target_class_weights

        counts = np.bincount(y, minlength=3)
        target = target_class_weights(counts)
        schedule = check_schedule("exponential", T=20.0)
        alphas = [schedule(e, epochs) for e in range(epochs)]
        plan = ModelPlan(
            train_idx=np.arange(len(y)),
            sample_weight=None,
            class_weight=np.stack([blend_class_weights(a, target, counts) for a in alphas]),
            alphas=alphas,
            shuffle_seed=0,
        )
        with seeded(0, "cpu"), torch_threads(1):
            stack = StackedNetwork([cls(**kwargs)])
            train_stacked(
                stack,
                torch.from_numpy(X),
                torch.from_numpy(y),
                [plan],
                n_epochs=epochs,
                batch_size=64,
                optimizer=torch.optim.Adam,
                lr=1e-3,
                n_classes=3,
            )

    return {"IWCEClassifier.fit (skorch loop)": estimator, "stacked engine, K = 1": engine}


def _readme_variants():
    """README's ten-line search (a pipeline, 3 T x 5 folds, 50 epochs, refit) and the same
    search as one stack."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def grid(X, y):
        clf = IWCEClassifier(module="cnn1d", T=20, max_epochs=50, random_state=0)
        GridSearchCV(
            make_pipeline(StandardScaler(), clf),
            {"iwceclassifier__T": [5, 20, 50]},
            scoring="balanced_accuracy",
        ).fit(X, y)

    def stacked(X, y):
        clf = IWCEClassifierCV(module="cnn1d", Ts=[5, 20, 50], max_epochs=50, random_state=0)
        make_pipeline(StandardScaler(), clf).fit(X, y)

    return {"README's GridSearchCV (pipeline)": grid, "IWCEClassifierCV in the pipeline": stacked}


def _timed(fn, X, y):
    start = time.perf_counter()
    out = fn(X, y)
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--modules", nargs="+", default=list(MODULES), choices=list(MODULES))
    parser.add_argument("--readme", action="store_true", help="also time README's search")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    data = make_paper_quantiles(subset="train", random_state=1)
    X, y = data.data.astype(np.float32), data.target.astype(np.int64)
    lines = [
        "# Search benchmark: IWCEClassifierCV against GridSearchCV",
        "",
        "Command: `python benchmarks/search.py "
        f"--epochs {args.epochs} --repeats {args.repeats}"
        f"{' --readme' if args.readme else ''}`  ",
        f"Commit: {git_commit()}  ",
        f"Machine: {machine()}  ",
        f"Data: the paper's artificial data, {X.shape[0]} rows x {X.shape[1]} features; "
        f"{len(TS)} T x 5 folds, {args.epochs} epochs, batch 64, Adam (lr 1e-3), random_state 0.",
        "",
    ]
    for module in args.modules:
        variants = _search_variants(module, args.epochs)
        times = {name: [] for name in variants}
        scores = {}
        for _ in range(args.repeats):
            for name, fn in variants.items():
                seconds, scores[name] = _timed(fn, X, y)
                times[name].append(seconds)
                print(f"{module}: {name}: {seconds:.1f} s", flush=True)
        reference = min(times["GridSearchCV, n_jobs=1"])
        reference2 = min(times["GridSearchCV, n_jobs=2"])
        lines += [
            f"## {module}: {len(TS) * 5} candidates",
            "",
            "| variant | min s | median s | GridSearchCV n_jobs=1 / variant | "
            "n_jobs=2 / variant | best T | mean balanced accuracy per T |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for name, ts in times.items():
            best = TS[int(np.argmax(scores[name]))]
            lines.append(
                f"| {name} | {min(ts):.1f} | {np.median(ts):.1f} | {reference / min(ts):.2f} | "
                f"{reference2 / min(ts):.2f} | {best:g} | "
                + ", ".join(f"{s:.4f}" for s in scores[name])
                + " |"
            )
        single = _single_variants(module, args.epochs)
        stimes = {name: [] for name in single}
        for _ in range(args.repeats):
            for name, fn in single.items():
                seconds, _ = _timed(fn, X, y)
                stimes[name].append(seconds)
        ref = min(stimes["IWCEClassifier.fit (skorch loop)"])
        lines += [
            "",
            f"One {module} on all {len(y)} rows, T = 20, 1 thread:",
            "",
            "| variant | min s | median s | / IWCEClassifier.fit |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, ts in stimes.items():
            lines.append(f"| {name} | {min(ts):.2f} | {np.median(ts):.2f} | {min(ts) / ref:.2f} |")
        lines.append("")
    if args.readme:
        variants = _readme_variants()
        rtimes = {name: [] for name in variants}
        X_all, y_all = make_paper_quantiles(return_X_y=True)
        for _ in range(args.repeats):
            for name, fn in variants.items():
                seconds, _ = _timed(fn, X_all, y_all)
                rtimes[name].append(seconds)
                print(f"readme: {name}: {seconds:.1f} s", flush=True)
        lines += [
            "README's ten-line search (`n_threads='auto'`, 3 T x 5 folds + refit, 50 epochs):",
            "",
            "| variant | min s | median s |",
            "| --- | ---: | ---: |",
        ]
        for name, ts in rtimes.items():
            lines.append(f"| {name} | {min(ts):.1f} | {np.median(ts):.1f} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
