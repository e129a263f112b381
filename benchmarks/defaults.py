"""Defaults a newcomer wins with: IWCEClassifier() against candidate defaults and four peers.

On the same seeded splits of every data set (rows and series), this fits

- ``IWCEClassifier()`` with its current defaults on the raw inputs;
- the same inside ``make_pipeline(StandardScaler(), ...)`` (for series a per-channel
  standardisation, :class:`ChannelScaler`), to see whether in-estimator standardisation is
  worth making a default;
- a few candidate defaults, each one change from the standardised defaults (epochs, learning
  rate, width, early stopping; for series the network);
- four peers on standardised inputs (series flattened to rows): class-weighted logistic
  regression, class-weighted histogram gradient boosting, imbalanced-learn's balanced random
  forest, and SMOTE + scikit-learn's MLPClassifier;

and records balanced accuracy, G-mean (``imblearn.metrics.geometric_mean_score``) and fit time
per split (CSV), with per-data-set tables and a summary of how often each IWCEClassifier
variant is level with the best peer (Markdown). Everything runs offline on one CPU thread.

Data sets: skiwce's embedded ones (``paper_quantiles``, ``digits_lt`` as 64-feature rows,
``mnist1d_lt``; each split is a new draw, ``load_dataset(name, random_state=split)``, scored on
its fixed balanced test part), scikit-learn's breast-cancer and wine data, ``make_classification``
shapes, three statsmodels data sets (``fair``, ``anes96``, ``modechoice``: skipped if
statsmodels is not installed), generated series, and four UCR series sets shipped inside
sktime's wheel (read from ``--ucr-dir``, a folder of ``<Name>/<Name>_{TRAIN,TEST}.ts`` files;
skipped if absent). The others use 3 stratified 70/30 splits (``StratifiedShuffleSplit``,
seed 0). Run from the repository root::

    pip install --no-deps --target /tmp/sktime_pkg sktime==1.2.0   # only for the UCR sets
    python benchmarks/defaults.py --ucr-dir /tmp/sktime_pkg/sktime/datasets/data \\
        --out benchmarks/results/defaults_cpu.md
    python benchmarks/defaults.py --quick --out /tmp/defaults_quick.md   # smoke test, ~1 min
"""

import os

# One thread for every library (OpenMP in HistGradientBoosting, BLAS): set before the imports.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from imblearn.ensemble import BalancedRandomForestClassifier  # noqa: E402
from imblearn.metrics import geometric_mean_score  # noqa: E402
from imblearn.over_sampling import SMOTE  # noqa: E402
from imblearn.pipeline import make_pipeline as imb_make_pipeline  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_wine, make_classification  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import StratifiedShuffleSplit  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skiwce  # noqa: E402
from skiwce import IWCEClassifier  # noqa: E402
from skiwce.datasets import load_dataset  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import ROOT, git_commit, machine  # noqa: E402
from _ucr import read_ucr  # noqa: E402

N_SPLITS = 3
TEST_SIZE = 0.3
BASELINE = "IWCE defaults (raw)"
LEVEL_POINTS = 1.0  # "level": mean balanced accuracy at most this many points below the best peer


# -- preprocessing ---------------------------------------------------------------------------


class ChannelScaler(TransformerMixin, BaseEstimator):
    """Standardise series ``(n, channels, length)`` per channel (mean and std over samples and
    time), keeping their shape; rows ``(n, features)`` are standardised per feature."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        axes = (0,) if X.ndim == 2 else (0, *range(2, X.ndim))
        self.mean_ = X.mean(axis=axes, keepdims=True)[0]
        std = X.std(axis=axes, keepdims=True)[0]
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        return ((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_).astype(np.float32)


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def _scaler(kind):
    return StandardScaler() if kind == "rows" else ChannelScaler()


def _flat_scaled(kind):
    """Steps that turn the inputs into standardised rows (the peers' preprocessing)."""
    steps = [StandardScaler()]
    if kind == "series":
        steps.insert(0, FunctionTransformer(_flatten))
    return steps


# -- methods ---------------------------------------------------------------------------------


def iwce(**params):
    return IWCEClassifier(n_threads=1, **params)


#: name -> (description, kinds, factory(kind, seed, epochs_scale))
def _variants():
    def raw(**p):
        return lambda kind, seed, s: iwce(random_state=seed, **_scaled_epochs(p, s))

    def scaled(**p):
        return lambda kind, seed, s: make_pipeline(
            _scaler(kind), iwce(random_state=seed, **_scaled_epochs(p, s))
        )

    both, rows, series = ("rows", "series"), ("rows",), ("series",)
    return {
        "IWCE defaults (raw)": ("`IWCEClassifier()` on the raw inputs", both, raw()),
        "IWCE defaults + scaler": (
            "`make_pipeline(scaler, IWCEClassifier())` (StandardScaler; per-channel for series)",
            both,
            scaled(),
        ),
        "+ scaler, 200 epochs": ("scaled, `max_epochs=200`", both, scaled(max_epochs=200)),
        "+ scaler, lr 3e-3": ("scaled, `lr=3e-3`", both, scaled(lr=3e-3)),
        "+ scaler, batch 32": ("scaled, `batch_size=32`", both, scaled(batch_size=32)),
        "+ scaler, MLP (256, 256)": (
            'scaled, `module_params={"hidden_layer_sizes": (256, 256)}` (rows: the MLP)',
            rows,
            scaled(module_params={"hidden_layer_sizes": (256, 256)}),
        ),
        "+ scaler, early stopping": (
            "scaled, `max_epochs=200, early_stopping=True, switch_epoch=0.5` (10 % held out, "
            "patience 10)",
            both,
            scaled(max_epochs=200, early_stopping=True, switch_epoch=0.5),
        ),
        "+ scaler, lr 3e-3, 200 epochs": (
            "scaled, `lr=3e-3, max_epochs=200` (series; added after a first run in which "
            "`lr=3e-3` helped the series)",
            series,
            scaled(lr=3e-3, max_epochs=200),
        ),
        "+ scaler, cnn1d": ('scaled, `module="cnn1d"` (series)', series, scaled(module="cnn1d")),
        "+ scaler, mlp": (
            'scaled, `module="mlp"` (series, flattened by the MLP)',
            series,
            scaled(module="mlp"),
        ),
    }


def _scaled_epochs(params, scale):
    """``--quick`` shortens every epoch budget by ``scale`` (at least 2 epochs)."""
    params = dict(params)
    if scale != 1:
        params["max_epochs"] = max(2, int(round(params.get("max_epochs", 100) * scale)))
    return params


def _smote_mlp(kind, seed, y_train):
    # SMOTE's 5 neighbours need 6 rows of the smallest class; fewer on the tiniest sets.
    k = int(max(1, min(5, np.bincount(y_train).min() - 1)))
    return imb_make_pipeline(
        *_flat_scaled(kind),
        SMOTE(k_neighbors=k, random_state=seed),
        MLPClassifier(max_iter=500, random_state=seed),
    )


PEERS = {
    "LogisticRegression (balanced)": lambda kind, seed, y: make_pipeline(
        *_flat_scaled(kind), LogisticRegression(class_weight="balanced", max_iter=2000)
    ),
    "HistGradientBoosting (balanced)": lambda kind, seed, y: make_pipeline(
        *_flat_scaled(kind),
        HistGradientBoostingClassifier(class_weight="balanced", random_state=seed),
    ),
    "BalancedRandomForest": lambda kind, seed, y: make_pipeline(
        *_flat_scaled(kind),
        BalancedRandomForestClassifier(
            n_estimators=100,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=seed,
        ),
    ),
    "SMOTE + MLPClassifier": _smote_mlp,
}


# -- data ------------------------------------------------------------------------------------


def _stratified(X, y):
    """The ``N_SPLITS`` stratified 70/30 splits of one fixed data set."""

    def splits(n):
        sss = StratifiedShuffleSplit(n_splits=n, test_size=TEST_SIZE, random_state=0)
        for train, test in sss.split(np.zeros(len(y)), y):
            yield X[train], y[train], X[test], y[test]

    return splits


def _embedded(name, flatten=False):
    """skiwce's data set with a fixed balanced test part: split k is the draw of seed k."""

    def splits(n):
        for k in range(n):
            d = load_dataset(name, random_state=k)
            X, Xt = d.data, d.data_test
            if flatten:
                X, Xt = _flatten(X), _flatten(Xt)
            yield X, d.target, Xt, d.target_test

    return splits


def _synthetic(n, n_features, weights, seed=0):
    return _stratified(*_synthetic_xy(n, n_features, weights, seed))


def _synthetic_xy(n, n_features, weights, seed=0):
    """``make_classification`` rows (2 clusters per class) in unequal units: ``(X, y)``."""
    n_classes = len(weights)
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=min(10, n_features // 2),
        n_redundant=min(5, n_features // 4),
        n_classes=n_classes,
        n_clusters_per_class=2,
        weights=list(weights),
        flip_y=0.01,
        class_sep=1.0,
        random_state=seed,
    )
    # Features in unequal units, as measured data come (the raw defaults see them as they are).
    scales = np.random.default_rng(seed).lognormal(0.0, 1.5, n_features)
    offsets = np.random.default_rng(seed + 1).normal(0.0, 5.0, n_features)
    return (X * scales + offsets).astype(np.float32), y


def _long_tail_weights(n_classes, ratio):
    w = ratio ** (-np.arange(n_classes) / (n_classes - 1))
    return w / w.sum()


def _subsample(X, y, counts, seed=0):
    """Rows per class as in ``counts`` (dict label -> count), drawn at random."""
    rng = np.random.default_rng(seed)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), size=m, replace=False) for c, m in counts.items()]
    )
    keep.sort()
    return X[keep], y[keep]


def _statsmodels(name):
    import statsmodels.api as sm

    if name == "fair":
        d = sm.datasets.fair.load_pandas().data
        y = (d.pop("affairs") > 0).to_numpy().astype(int)
        X = d.to_numpy(dtype=np.float32)
        # 2 000 of the 6 366 rows, stratified (natural ratio about 1 : 2.1).
        n1 = int(round(2000 * y.mean()))
        return _subsample(X, y, {0: 2000 - n1, 1: n1})
    if name == "anes96":
        d = sm.datasets.anes96.load_pandas().data
        y = d["PID"].to_numpy().astype(int)  # party identification, 7 classes (37 .. 200 rows)
        X = d.drop(columns=["PID", "vote"]).to_numpy(dtype=np.float32)
        return X, y
    if name == "modechoice":
        d = sm.datasets.modechoice.load_pandas().data
        wide = d.pivot(index="individual", columns="mode", values=["ttme", "invc", "invt", "gc"])
        person = d.groupby("individual")[["hinc", "psize"]].first()
        chosen = d[d["choice"] == 1].set_index("individual")["mode"]
        X = np.hstack([wide.to_numpy(), person.loc[wide.index].to_numpy()]).astype(np.float32)
        y = chosen.loc[wide.index].to_numpy().astype(int)  # 4 modes: 58 / 63 / 30 / 59
        return X, y
    raise ValueError(name)


def _ucr(ucr_dir, name, counts):
    """A UCR set, train and test pooled, cut to ``counts`` rows per class (sorted labels)."""
    X, labels = read_ucr(ucr_dir, name)
    _, y = np.unique(labels, return_inverse=True)
    return _subsample(X, y, dict(enumerate(counts)))


def _cbf(counts, length=128, seed=0):
    """Cylinder-bell-funnel series (Saito 1994): a plateau, a rising or a falling ramp on
    ``[a, b]`` plus noise; classes 0, 1, 2 with ``counts`` rows."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    X, y = [], []
    for c, m in enumerate(counts):
        for _ in range(m):
            a = rng.integers(length // 8, length // 4)
            b = a + rng.integers(length // 4, 3 * length // 4)
            on = ((t >= a) & (t <= b)).astype(float)
            shape = [on, on * (t - a) / (b - a), on * (b - t) / (b - a)][c]
            X.append((6 + rng.normal()) * shape + rng.normal(size=length))
            y.append(c)
    X, y = np.asarray(X, dtype=np.float32)[:, None, :], np.asarray(y)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _two_channel_sines(counts, length=64, seed=0):
    """Two noisy channels; the class is (low or high frequency) x (channel 1 in phase with
    channel 0 or a quarter period behind), so it needs both channels. Raw values are in
    sensor-like units: offset 20, scale 5."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    X, y = [], []
    for c, m in enumerate(counts):
        fast, lag = divmod(c, 2)
        for _ in range(m):
            f = rng.uniform(2.5, 3.5) if fast else rng.uniform(1.5, 2.5)
            phase = rng.uniform(0, 2 * np.pi)
            ch0 = np.sin(2 * np.pi * f * t + phase)
            ch1 = np.sin(2 * np.pi * f * t + phase - lag * np.pi / 2)
            amp = rng.uniform(0.5, 1.5)
            X.append(amp * np.stack([ch0, ch1]) + rng.normal(scale=0.8, size=(2, length)))
            y.append(c)
    X, y = 20 + 5 * np.asarray(X, dtype=np.float32), np.asarray(y)
    order = rng.permutation(len(y))
    return X[order], y[order]


def datasets(ucr_dir):
    """name -> (kind, description, splits(n) or a reason it is skipped)."""
    lt5 = _long_tail_weights(5, 20)
    out = {
        # rows
        "paper_quantiles": (
            "rows",
            "skiwce: the paper's Gaussian quantiles, 2 200 train rows (800/400/1000) x 10, "
            "fixed balanced 10 000-row test; a new draw per split",
            _embedded("paper_quantiles"),
        ),
        "digits_lt": (
            "rows",
            "skiwce: 8x8 digits flattened to 64 features in [0, 1], long tail ratio 10 "
            "(534 train rows), fixed balanced 500-row test; a new draw per split",
            _embedded("digits_lt", flatten=True),
        ),
        "breast_cancer": (
            "rows",
            "sklearn: 569 x 30, 2 classes (212/357)",
            _stratified(*load_breast_cancer(return_X_y=True)),
        ),
        "wine": (
            "rows",
            "sklearn: 178 x 13, 3 classes (59/71/48)",
            _stratified(*load_wine(return_X_y=True)),
        ),
        "syn_2c_1:9_n500_f20": (
            "rows",
            "make_classification 500 x 20, 2 classes 1:9, features rescaled (lognormal) and "
            "shifted",
            _synthetic(500, 20, [0.9, 0.1]),
        ),
        "syn_2c_1:19_n3000_f20": (
            "rows",
            "make_classification 3 000 x 20, 2 classes 1:19, rescaled",
            _synthetic(3000, 20, [0.95, 0.05]),
        ),
        "syn_2c_1:19_n500_f100": (
            "rows",
            "make_classification 500 x 100 (10 informative), 2 classes 1:19, rescaled",
            _synthetic(500, 100, [0.95, 0.05]),
        ),
        "syn_5c_lt20_n3000_f20": (
            "rows",
            "make_classification 3 000 x 20, 5 classes, long tail ratio 20, rescaled",
            _synthetic(3000, 20, lt5),
        ),
        "syn_5c_lt20_n500_f100": (
            "rows",
            "make_classification 500 x 100, 5 classes, long tail ratio 20, rescaled",
            _synthetic(500, 100, lt5),
        ),
    }
    sm_sets = {
        "fair": "statsmodels `fair`: affairs > 0 from 8 survey answers; 2 000 of 6 366 rows, "
        "stratified (1 : 2.1)",
        "anes96": "statsmodels `anes96`: 7-level party identification from 9 attitudes and "
        "demographics (vote left out); 944 rows, 37 .. 200 per class",
        "modechoice": "statsmodels `modechoice`: travel mode chosen (air/train/bus/car) from 18 "
        "features; 210 rows (58/63/30/59)",
    }
    for name, descr in sm_sets.items():
        try:
            out[name] = ("rows", descr, _stratified(*_statsmodels(name)))
        except ImportError:
            out[name] = ("rows", descr, "statsmodels is not installed")
    # series
    out["mnist1d_lt"] = (
        "series",
        "skiwce: MNIST-1D (1 x 40), long tail ratio 20 (2 040 train rows), fixed balanced "
        "2 000-row test; a new draw per split",
        _embedded("mnist1d_lt"),
    )
    out["cbf_lt"] = (
        "series",
        "generated cylinder-bell-funnel, 1 x 128, 300 rows (200/70/30)",
        _stratified(*_cbf([200, 70, 30])),
    )
    out["sines2ch_lt"] = (
        "series",
        "generated two-channel sines, 2 x 64, 4 classes 1000/464/215/100 (ratio 10), raw "
        "offset 20 and scale 5",
        _stratified(*_two_channel_sines([1000, 464, 215, 100])),
    )
    ucr = {
        "GunPoint": ([100, 20], "UCR GunPoint (sktime's copy), 1 x 150, 2 classes cut to 100/20"),
        "ItalyPowerDemand": (
            [540, 60],
            "UCR ItalyPowerDemand (sktime's copy), 1 x 24, 2 classes cut to 540/60",
        ),
        "ArrowHead": (
            [65, 30, 13],
            "UCR ArrowHead (sktime's copy), 1 x 251, 3 classes cut to 65/30/13",
        ),
        "BasicMotions": (
            [20, 14, 10, 7],
            "UCR/UEA BasicMotions (sktime's copy), 6 x 100, 4 classes cut to 20/14/10/7",
        ),
    }
    for name, (counts, descr) in ucr.items():
        if ucr_dir and (Path(ucr_dir) / name / f"{name}_TRAIN.ts").exists():
            out[name] = ("series", descr, _stratified(*_ucr(ucr_dir, name, counts)))
        else:
            out[name] = ("series", descr, "no --ucr-dir with this set")
    return out


QUICK = ["breast_cancer", "cbf_lt"]


# -- running ---------------------------------------------------------------------------------


def _fit_score(model, Xtr, ytr, Xte, yte, warn_log, key):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(Xtr, ytr)
        fit_s = time.perf_counter() - start
        pred = model.predict(Xte)
    for w in caught:
        warn_log[(*key, w.category.__name__, str(w.message).splitlines()[0][:140])] += 1
    est = model[-1] if hasattr(model, "steps") else model
    epochs = getattr(est, "n_iter_", "") if isinstance(est, IWCEClassifier) else ""
    return (
        100 * balanced_accuracy_score(yte, pred),
        100 * geometric_mean_score(yte, pred),
        fit_s,
        epochs,
    )


def _warm_up():
    """One untimed fit of every kind of model, so that no timed fit pays for first calls
    (torch's kernels, OpenMP's thread pool)."""
    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    for X, kind in ((rng.normal(size=(60, 8)), "rows"), (rng.normal(size=(60, 1, 32)), "series")):
        models = [f(kind, 0, 0.02) for _, kinds, f in _variants().values() if kind in kinds]
        models += [f(kind, 0, y) for f in PEERS.values()]
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            for model in models:
                model.fit(X, y).predict(X)


def run(args):
    torch.set_num_threads(1)
    _warm_up()
    all_sets = datasets(args.ucr_dir)
    names = args.datasets or (QUICK if args.quick else list(all_sets))
    n_splits = args.splits or (2 if args.quick else N_SPLITS)
    scale = 0.03 if args.quick else 1.0
    variants = _variants()
    rows, skipped, warn_log = [], {}, Counter()
    started = time.perf_counter()
    for name in names:
        kind, descr, splits = all_sets[name]
        if isinstance(splits, str):
            skipped[name] = splits
            print(f"skip {name}: {splits}", flush=True)
            continue
        t0 = time.perf_counter()
        for k, (Xtr, ytr, Xte, yte) in enumerate(splits(n_splits)):
            classes, ytr = np.unique(ytr, return_inverse=True)  # labels 0 .. C-1
            yte = np.searchsorted(classes, yte)
            methods = [
                (m, "iwce", lambda f=f, kind=kind, k=k: f(kind, k, scale))
                for m, (_, kinds, f) in variants.items()
                if kind in kinds
            ] + [
                (m, "peer", lambda f=f, kind=kind, k=k, ytr=ytr: f(kind, k, ytr))
                for m, f in PEERS.items()
            ]
            if args.variants:
                methods = [m for m in methods if m[1] == "peer" or m[0] in args.variants]
            for method, group, make in methods:
                try:
                    with threadpool_limits(1):
                        bacc, gmean, fit_s, epochs = _fit_score(
                            make(), Xtr, ytr, Xte, yte, warn_log, (name, method)
                        )
                    error = ""
                except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                    bacc = gmean = fit_s = float("nan")
                    epochs, error = "", f"{type(exc).__name__}: {exc}"[:200]
                    print(f"  ERROR {name} {method}: {error}", flush=True)
                rows.append(
                    dict(
                        dataset=name,
                        kind=kind,
                        split=k,
                        method=method,
                        group=group,
                        n_train=len(ytr),
                        n_test=len(yte),
                        balanced_accuracy=round(bacc, 3),
                        g_mean=round(gmean, 3),
                        fit_seconds=round(fit_s, 3),
                        epochs_run=epochs,
                        error=error,
                    )
                )
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    return rows, skipped, warn_log, time.perf_counter() - started, names, n_splits


# -- report ----------------------------------------------------------------------------------


def _table(rows, dataset):
    """method -> dict of arrays over the splits."""
    out = {}
    for r in rows:
        if r["dataset"] == dataset:
            d = out.setdefault(r["method"], {"bacc": [], "gmean": [], "fit": []})
            d["bacc"].append(r["balanced_accuracy"])
            d["gmean"].append(r["g_mean"])
            d["fit"].append(r["fit_seconds"])
    for d in out.values():
        for key in ("bacc", "gmean", "fit"):
            d[key] = np.asarray(d[key], dtype=float)
    return out


def _ms(a):
    if np.all(np.isnan(a)):
        return "failed"
    return f"{np.nanmean(a):.2f} ± {np.nanstd(a, ddof=1) if len(a) > 1 else 0:.2f}"


def report(args, rows, skipped, warn_log, seconds, names, n_splits, argv, provenance):
    variants = _variants()
    all_sets = datasets(args.ucr_dir)
    ran = [n for n in names if n not in skipped]
    lines = [
        "# Defaults a newcomer wins with: IWCEClassifier() against candidate defaults and peers",
        "",
        f"Command: `python benchmarks/defaults.py {' '.join(argv)}`  ",
        f"Commit {provenance['commit']}; {provenance['machine']}; skiwce {skiwce.__version__}, "
        f"scikit-learn {sklearn.__version__}, {provenance['versions']}.  ",
        f"{provenance['dirty']}",
        f"Total run time {seconds / 60:.1f} min on one CPU thread (torch, OpenMP and BLAS "
        "limited to 1 thread; the machine has 2 cores and another process used the other one).",
        "",
        "Current defaults, `IWCEClassifier().get_params()` at run time: "
        f"{provenance['defaults']}.",
        "",
        "## Protocol",
        "",
        f"- Splits: {n_splits} per data set, the same for every method. skiwce's embedded sets "
        "(`paper_quantiles`, `digits_lt`, `mnist1d_lt`) have a fixed balanced test part: split "
        "k is the draw `load_dataset(name, random_state=k)`, trained on its (imbalanced) "
        f"training part and scored on its balanced test part. All others: {n_splits} "
        f"stratified {int(100 * (1 - TEST_SIZE))}/{int(100 * TEST_SIZE)} splits "
        "(`StratifiedShuffleSplit(random_state=0)`). Models are seeded with the split index.",
        "- Metrics: balanced accuracy and G-mean (`imblearn.metrics.geometric_mean_score`, the "
        "geometric mean of the per-class recalls; 0 when a class is never predicted), in %, "
        "mean ± std over the splits; fit time in seconds per fit (mean), prediction excluded.",
        "- IWCEClassifier variants (all with `random_state=split`, `n_threads=1`; every "
        "candidate is one change from the standardised defaults):",
    ]
    for m, (descr, kinds, _) in variants.items():
        lines.append(f"  - **{m}** ({', '.join(kinds)}): {descr}")
    lines += [
        "- Peers, all on standardised inputs (`StandardScaler`; series flattened to rows "
        'first): `LogisticRegression(class_weight="balanced", max_iter=2000)`, '
        '`HistGradientBoostingClassifier(class_weight="balanced")`, '
        '`BalancedRandomForestClassifier(n_estimators=100, sampling_strategy="all", '
        "replacement=True, bootstrap=False)`, and "
        "`imblearn.pipeline.make_pipeline(StandardScaler(), SMOTE(), "
        "MLPClassifier(max_iter=500))` (SMOTE's `k_neighbors` lowered to the smallest training "
        "class minus 1 where that is below 5).",
        f"- **Level**: a variant is *level* with the best peer on a data set when its mean "
        f"balanced accuracy is at most {LEVEL_POINTS:g} point below that of the peer with the "
        f"highest mean balanced accuracy on that data set; *ahead* when it is more than "
        f"{LEVEL_POINTS:g} point above. With {n_splits} splits the split-to-split standard "
        "error of a mean is often 1 to 3 points on the small sets, so differences of a point "
        "or two are not resolved there.",
        "",
        "## Data sets",
        "",
        "| data set | kind | description | train / test rows |",
        "|---|---|---|---|",
    ]
    for n in names:
        kind, descr, _ = all_sets[n]
        if n in skipped:
            lines.append(f"| {n} | {kind} | {descr} | skipped: {skipped[n]} |")
            continue
        r = next(r for r in rows if r["dataset"] == n)
        lines.append(f"| {n} | {kind} | {descr} | {r['n_train']} / {r['n_test']} |")
    methods_of = {}
    for r in rows:
        methods_of.setdefault(r["kind"], [])
        if r["method"] not in methods_of[r["kind"]]:
            methods_of[r["kind"]].append(r["method"])

    summary = {}
    for kind in ("rows", "series"):
        sets = [n for n in ran if all_sets[n][0] == kind]
        if not sets:
            continue
        methods = methods_of[kind]
        lines += ["", f"## {kind.capitalize()}: per data set", ""]
        bacc_mean = {m: [] for m in methods}
        gap = {m: [] for m in methods if m not in PEERS}
        ranks = {m: [] for m in methods}
        for n in sets:
            t = _table(rows, n)
            peers = [m for m in PEERS if m in t]
            best = max(peers, key=lambda m: np.nanmean(t[m]["bacc"]))
            best_b = np.nanmean(t[best]["bacc"])
            means = {m: np.nanmean(t[m]["bacc"]) for m in methods}
            order = sorted(methods, key=lambda m: -np.nan_to_num(means[m], nan=-1))
            for m in methods:
                bacc_mean[m].append(means[m])
                ranks[m].append(
                    1
                    + sum(
                        np.nan_to_num(means[o], nan=-1) > np.nan_to_num(means[m], nan=-1)
                        for o in methods
                    )
                )
                if m in gap:
                    gap[m].append(means[m] - best_b)
            lines += [
                f"### {n}",
                "",
                f"Best peer: {best} ({best_b:.2f}). Δ: mean balanced accuracy minus the best "
                "peer's, points.",
                "",
                "| method | balanced accuracy (%) | G-mean (%) | fit (s) | Δ vs best peer |",
                "|---|---:|---:|---:|---:|",
            ]
            for m in order:
                d = t[m]
                delta = "" if m in PEERS else f"{means[m] - best_b:+.2f}"
                name = f"**{m}**" if m == order[0] else m
                lines.append(
                    f"| {name} | {_ms(d['bacc'])} | {_ms(d['gmean'])} | "
                    f"{np.nanmean(d['fit']):.2f} | {delta} |"
                )
            lines.append("")
        # compact overview
        lines += [
            f"## {kind.capitalize()}: balanced accuracy overview (mean over splits, %)",
            "",
            "| method | " + " | ".join(sets) + " | mean | mean rank |",
            "|---|" + "---:|" * (len(sets) + 2),
        ]
        for m in methods:
            cells = " | ".join(f"{v:.1f}" for v in bacc_mean[m])
            lines.append(
                f"| {m} | {cells} | {np.nanmean(bacc_mean[m]):.2f} | {np.mean(ranks[m]):.2f} |"
            )
        summary[kind] = (sets, gap, ranks, methods)
        lines.append("")

    lines += [
        "## Summary: how often each IWCEClassifier variant is level with the best peer",
        "",
        f"Level: mean balanced accuracy at least (best peer − {LEVEL_POINTS:g} point); ahead: "
        f"more than {LEVEL_POINTS:g} point above the best peer; behind: more than "
        f"{LEVEL_POINTS:g} point below. Mean Δ: mean over the data sets of (variant − best "
        "peer), points; worst Δ: the largest loss. Mean rank among all methods of the kind "
        "(1 = best).",
        "",
    ]
    for kind, (sets, gap, ranks, _) in summary.items():
        lines += [
            f"### {kind.capitalize()} ({len(sets)} data sets)",
            "",
            "| variant | level or ahead | of which ahead | behind | mean Δ | worst Δ (data set) "
            "| mean rank | vs current defaults: better / worse (> 1 point), mean difference |",
            "|---|---:|---:|---:|---:|---|---:|---|",
        ]
        base = np.asarray(gap.get(BASELINE, [np.nan] * len(sets)))
        for m, g in gap.items():
            g = np.asarray(g)
            level = int(np.sum(g >= -LEVEL_POINTS))
            ahead = int(np.sum(g > LEVEL_POINTS))
            worst = int(np.nanargmin(g))
            d = g - base
            vs = (
                "(reference)"
                if m == BASELINE
                else f"{int(np.sum(d > LEVEL_POINTS))} / {int(np.sum(d < -LEVEL_POINTS))}, "
                f"{np.nanmean(d):+.2f}"
            )
            lines.append(
                f"| {m} | {level} / {len(sets)} | {ahead} | {len(sets) - level} | "
                f"{np.nanmean(g):+.2f} | {g[worst]:+.2f} ({sets[worst]}) | "
                f"{np.mean(ranks[m]):.2f} | {vs} |"
            )
        for m in PEERS:
            if m in ranks:
                lines.append(f"| *peer: {m}* | | | | | | {np.mean(ranks[m]):.2f} | |")
        lines.append("")

    lines += ["## Fit time (s per fit, mean over the data sets of each kind)", ""]
    lines += ["| method | rows | series |", "|---|---:|---:|"]
    all_methods = list(dict.fromkeys(r["method"] for r in rows))
    for m in all_methods:
        cells = []
        for kind in ("rows", "series"):
            v = [r["fit_seconds"] for r in rows if r["method"] == m and r["kind"] == kind]
            cells.append(f"{np.nanmean(v):.2f}" if v else "–")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")

    errors = [r for r in rows if r["error"]]
    lines += ["", "## Warnings and errors", ""]
    if errors:
        lines += ["Errors (the fit is counted as missing):", ""]
        lines += [
            f"- {r['dataset']}, {r['method']}, split {r['split']}: {r['error']}" for r in errors
        ]
        lines.append("")
    if warn_log:
        lines += [
            "Warnings raised during the fits and predictions (all caught and counted; the "
            "output stays readable), count over the splits:",
            "",
            "| data set | method | category | message | count |",
            "|---|---|---|---|---:|",
        ]
        for (ds, m, cat, msg), c in sorted(warn_log.items()):
            lines.append(f"| {ds} | {m} | {cat} | {msg.replace('|', '/')} | {c} |")
    else:
        lines.append("No warnings were raised.")
    lines.append("")
    return lines


def _provenance():
    commit = git_commit()
    dirty = ""
    if commit.endswith("-dirty"):
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "skiwce"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
        changed = [c.strip() for c in changed if c.strip()]
        dirty = (
            "The working tree had uncommitted changes to tracked files when the run started "
            f"(another engineer was editing the package); under `skiwce/`: "
            f"{', '.join(f'`{c}`' for c in changed) or 'none'}.  "
        )
    import imblearn

    versions = f"imbalanced-learn {imblearn.__version__}"
    try:
        import statsmodels

        versions += f", statsmodels {statsmodels.__version__}"
    except ImportError:
        pass
    defaults = {
        k: v
        for k, v in IWCEClassifier().get_params(deep=False).items()
        if k
        in (
            "module",
            "T",
            "max_epochs",
            "batch_size",
            "lr",
            "optimizer",
            "early_stopping",
            "class_weight",
        )
    }
    return dict(
        commit=commit,
        machine=machine(),
        dirty=dirty,
        versions=versions,
        defaults=", ".join(f"`{k}={v!r}`" for k, v in defaults.items()),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 2 data sets, 2 splits, 3 %% of the epochs",
    )
    parser.add_argument("--datasets", nargs="*", default=None, help="a subset, by name")
    parser.add_argument("--splits", type=int, default=None, help=f"default {N_SPLITS}")
    parser.add_argument(
        "--variants",
        nargs="*",
        default=None,
        help="only these IWCEClassifier variants (by name; the peers always run)",
    )
    parser.add_argument(
        "--ucr-dir", default=None, help="folder with the UCR .ts files (sktime/datasets/data)"
    )
    parser.add_argument("--out", default=None, help="Markdown report; the CSV goes beside it")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    torch.set_num_threads(1)
    provenance = _provenance()
    rows, skipped, warn_log, seconds, names, n_splits = run(args)
    lines = report(args, rows, skipped, warn_log, seconds, names, n_splits, argv, provenance)
    text = "\n".join(lines) + "\n"
    if args.out:
        out = Path(args.out)
        out.write_text(text)
        with out.with_suffix(".csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        print(text)


if __name__ == "__main__":
    main()
