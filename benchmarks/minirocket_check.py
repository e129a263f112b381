"""MiniRocket in skiwce against aeon's: the transform's faithfulness and the head's defaults.

Two parts, both on long-tailed series (UCR sets of sktime's wheel cut to imbalance ratio <= 10,
generated sets), 5-fold stratified cross-validation, balanced accuracy, one torch thread:

- ``features``: on the same training series, skiwce's :class:`~skiwce.models.MiniRocket` and
  aeon's ``MiniRocket`` transform: dilations and features per dilation for many lengths (equal
  or not), and the distribution of the features (mean PPV, quantiles, the fraction of features
  whose mean differs by more than a tolerance); needs aeon.
- ``accuracy``: per fold, skiwce's features fed to scikit-learn's ``RidgeClassifierCV`` as
  aeon's ``MiniRocketClassifier`` feeds its own (plain, unweighted: the faithfulness check),
  aeon's ``MiniRocketClassifier`` itself (if aeon is installed), and ``IWCEClassifier`` heads
  on skiwce's features: the variants of ``--variants``, each trained on the same cached
  features of the fold (what ``module="minirocket"`` computes once per fit).

aeon and skiwce in one environment (aeon 1.6.0 brings its own numpy/scikit-learn; a separate
virtual environment, not skiwce's)::

    python3 -m venv /tmp/aeonenv && /tmp/aeonenv/bin/pip install aeon==1.6.0 torch==2.13.0
    /tmp/aeonenv/bin/pip install -e .
    pip install --no-deps --target /tmp/sktime_pkg sktime==1.2.0      # the UCR sets
    /tmp/aeonenv/bin/python benchmarks/minirocket_check.py features accuracy \\
        --ucr-dir /tmp/sktime_pkg/sktime/datasets/data

Writes ``benchmarks/results/minirocket_check.md`` (``--out``) and the per-fold rows as CSV.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402
from defaults import _cbf, _read_ts, _subsample, _two_channel_sines  # noqa: E402

from skiwce import IWCEClassifier  # noqa: E402
from skiwce.datasets import load_dataset  # noqa: E402
from skiwce.models import MiniRocket  # noqa: E402
from skiwce.models._minirocket import minirocket_dilations  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _long_tail(n_max, n_classes, ratio=10, floor=5):
    return [
        max(floor, int(round(n_max * ratio ** (-c / (n_classes - 1))))) for c in range(n_classes)
    ]


def _ucr(ucr_dir, name, counts, seed=0):
    Xa, ya = _read_ts(Path(ucr_dir) / name / f"{name}_TRAIN.ts")
    Xb, yb = _read_ts(Path(ucr_dir) / name / f"{name}_TEST.ts")
    X, labels = np.concatenate([Xa, Xb]), np.concatenate([ya, yb])
    _, y = np.unique(labels, return_inverse=True)
    available = np.bincount(y)
    order = np.argsort(-available, kind="stable")  # the largest class gets the most rows
    want = {int(c): min(int(available[c]), m) for c, m in zip(order, counts, strict=False)}
    return _subsample(X, y, want, seed=seed)


def datasets(ucr_dir):
    """name -> (X, y, description)."""
    out = {}
    if ucr_dir:
        ucr = {
            "GunPoint": [100, 10],
            "GunPoint_tiny": [29, 6],  # the smallest case: 35 series, 6 minority
            "ItalyPowerDemand": [500, 50],
            "ArrowHead": _long_tail(70, 3),
            "BasicMotions": [20, 12, 8, 5],
            "OSULeaf": _long_tail(70, 6, floor=7),
            "ACSF1": _long_tail(20, 10, ratio=4),
        }
        for name, counts in ucr.items():
            base = name.removesuffix("_tiny")
            X, y = _ucr(ucr_dir, base, counts)
            out[name] = (
                X,
                y,
                f"UCR {base} {X.shape[1]} x {X.shape[2]}, {np.bincount(y).tolist()}",
            )
    X, y = _cbf([300, 100, 40], length=128)
    out["cbf_lt"] = (X, y, f"generated CBF 1 x 128, {np.bincount(y).tolist()}")
    X, y = _two_channel_sines([300, 110, 50, 30], length=200)
    out["sines2ch_lt"] = (X, y, f"generated two-channel sines 2 x 200, {np.bincount(y).tolist()}")
    d = load_dataset("mnist1d_lt", random_state=0)
    X, y = _subsample(
        d.data, d.target, {c: max(6, int(n) // 4) for c, n in enumerate(np.bincount(d.target))}
    )
    out["mnist1d_lt"] = (X, y, f"skiwce MNIST-1D long-tailed 1 x 40, {np.bincount(y).tolist()}")
    return out


VARIANTS = {
    # the estimator's defaults (100 epochs, batch 64, lr 1e-3, Adam), a linear head
    "default": {},
    "no_feature_std": {"module_params": {"standardize_features": False}},
    "full_batch_lr1e-2": {"batch_size": 4096, "lr": 1e-2},
    "epochs_300": {"max_epochs": 300},
    "wce": {"T": np.inf},
    "ce": {"class_weight": None},
    "mlp_256": {"module_params": {"hidden_layer_sizes": (256,)}},
}


def _head(features, params):
    """IWCEClassifier on cached features: the head that module="minirocket" trains."""
    module_params = {"hidden_layer_sizes": (), **params.get("module_params", {})}
    std = module_params.pop("standardize_features", True)
    rest = {k: v for k, v in params.items() if k != "module_params"}
    return IWCEClassifier(
        module="mlp",
        module_params=module_params,
        standardize=std,
        n_threads=1,
        random_state=0,
        **rest,
    )


def run_accuracy(sets, variants, n_splits, rows, aeon):
    for name, (X, y, _) in sets.items():
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=0)
        for fold, (tr, te) in enumerate(cv.split(X[:, 0, :1], y)):
            Xtr, Xte = X[tr], X[te]
            # the estimator's per-channel standardisation, then the front end
            mean = Xtr.mean(axis=(0, 2), keepdims=True)
            std = Xtr.std(axis=(0, 2), keepdims=True)
            std[std == 0] = 1
            t0 = time.perf_counter()
            front = MiniRocket(
                in_channels=X.shape[1], input_length=X.shape[2], standardize_features=False
            )
            Ftr = front.fit_features(torch.from_numpy((Xtr - mean) / std), 0).numpy()
            Fte = front.features(torch.from_numpy((Xte - mean) / std)).numpy()
            t_feat = time.perf_counter() - t0

            def record(method, pred, seconds, name=name, fold=fold, truth=y[te]):
                rows.append(
                    {
                        "dataset": name,
                        "fold": fold,
                        "method": method,
                        "bacc": 100 * balanced_accuracy_score(truth, pred),
                        "fit_s": seconds,
                    }
                )

            t0 = time.perf_counter()
            ridge = make_pipeline(
                StandardScaler(with_mean=False), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))
            ).fit(Ftr, y[tr])
            record(
                "skiwce features + ridge", ridge.predict(Fte), t_feat + time.perf_counter() - t0
            )
            for vname in variants:
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    head = _head(Ftr, VARIANTS[vname]).fit(Ftr, y[tr])
                record(f"IWCE head: {vname}", head.predict(Fte), t_feat + time.perf_counter() - t0)
            if aeon:
                from aeon.classification.convolution_based import MiniRocketClassifier

                t0 = time.perf_counter()
                clf = MiniRocketClassifier(random_state=0, n_jobs=1).fit(Xtr, y[tr])
                record("aeon MiniRocketClassifier", clf.predict(Xte), time.perf_counter() - t0)
            print(
                name,
                fold,
                {r["method"]: round(r["bacc"], 1) for r in rows[-(len(variants) + 2) :]},
                flush=True,
            )


def run_features(sets, lines):
    from aeon.transformations.collection.convolution_based import MiniRocket as AeonMiniRocket
    from aeon.transformations.collection.convolution_based._minirocket import _fit_dilations

    lines.append("## Dilations and features per dilation\n")
    same = []
    for length in [9, 10, 16, 24, 40, 64, 100, 128, 150, 200, 251, 427, 1000, 1460]:
        for n_features in [840, 10_000]:
            d, f = minirocket_dilations(length, n_features)
            da, fa = _fit_dilations(length, n_features, 32)
            same.append(np.array_equal(d, da) and np.array_equal(f, fa))
    lines.append(
        f"Equal to aeon's `_fit_dilations` for {sum(same)} of {len(same)} (length, features) "
        "pairs (lengths 9 .. 1460, 840 and 10 000 features).\n"
    )
    lines.append("## Feature distributions on the same training series\n")
    lines.append(
        "Per data set (all its series, raw): both transforms fitted on the same series; "
        "features matched by position (same dilation, kernel and quantile). The biases come "
        "from different random series, so single features differ; their distributions should "
        "not. `mean |diff|`: mean over features of the absolute difference of the features' "
        "means over the series.\n"
    )
    lines.append(
        "| data set | features | mean PPV skiwce | aeon | mean abs diff of feature means | "
        "PPV quantiles 10/50/90 % skiwce | aeon |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for name, (X, _, _) in sets.items():
        ours = MiniRocket(
            in_channels=X.shape[1], input_length=X.shape[2], standardize_features=False
        )
        A = ours.fit_features(torch.from_numpy(X), 0).numpy()
        ref = AeonMiniRocket(random_state=0, n_jobs=1).fit(X)
        B = np.asarray(ref.transform(X))
        qa = np.quantile(A.mean(0), [0.1, 0.5, 0.9])
        qb = np.quantile(B.mean(0), [0.1, 0.5, 0.9])
        lines.append(
            f"| {name} | {A.shape[1]} / {B.shape[1]} | {A.mean():.4f} | {B.mean():.4f} | "
            f"{np.abs(A.mean(0) - B.mean(0)).mean():.4f} | "
            f"{' / '.join(f'{v:.3f}' for v in qa)} | {' / '.join(f'{v:.3f}' for v in qb)} |"
        )
    lines.append("")


def report_accuracy(rows, lines):
    df = pd.DataFrame(rows)
    table = df.pivot_table(index="dataset", columns="method", values="bacc", aggfunc="mean")
    times = df.pivot_table(index="dataset", columns="method", values="fit_s", aggfunc="median")
    lines.append("## Balanced accuracy (%), mean over the folds\n")
    lines.append(table.round(2).to_markdown())
    lines.append("\nMean over the data sets:\n")
    lines.append(table.mean().round(2).to_frame("mean bacc").to_markdown())
    if "aeon MiniRocketClassifier" in table:
        ref = table["aeon MiniRocketClassifier"]
        lines.append("\nData sets within 1 point of aeon's MiniRocketClassifier or ahead:\n")
        near = {m: int(((table[m] - ref) >= -1).sum()) for m in table if m != ref.name}
        lines.append(pd.Series(near, name=f"of {len(table)}").to_frame().to_markdown())
    lines.append("\n## Fit time (s), median over the folds (features included)\n")
    lines.append(times.round(2).to_markdown())
    lines.append("\nMedian over the data sets:\n")
    lines.append(times.median().round(2).to_frame("median fit s").to_markdown())
    lines.append("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", choices=["features", "accuracy"])
    parser.add_argument("--ucr-dir", default=None)
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS / "minirocket_check.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        import aeon  # noqa: F401

        has_aeon = True
    except ImportError:
        has_aeon = False
    sets = datasets(args.ucr_dir)
    if args.datasets:
        sets = {k: v for k, v in sets.items() if k in args.datasets}
    start = time.perf_counter()
    lines = [
        "# MiniRocket in skiwce against aeon's\n",
        f"`python benchmarks/minirocket_check.py {' '.join(argv or sys.argv[1:])}` at "
        f"{git_commit()}; {machine()}; aeon {'installed' if has_aeon else 'not installed'}.\n",
        "Data sets:\n",
        *[f"- `{k}`: {v[2]}" for k, v in sets.items()],
        "",
    ]
    if "features" in args.parts and has_aeon:
        run_features(sets, lines)
    if "accuracy" in args.parts:
        rows = []
        run_accuracy(sets, args.variants, args.splits, rows, has_aeon)
        pd.DataFrame(rows).to_csv(Path(args.out).with_suffix(".csv"), index=False)
        report_accuracy(rows, lines)
    lines.append(f"Total {time.perf_counter() - start:.0f} s.")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
