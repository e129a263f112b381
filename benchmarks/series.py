"""Series: IWCEClassifier against MiniRocket on long-tailed UCR and generated series.

Every UCR/UEA classification set shipped inside sktime's wheel (train and test pooled, made
long-tailed: imbalance ratio 10, at least 5 series per class), two small cases from them (the
35-series two-class case and the 92-series, 10-class one of length 1 460), generated series of
several lengths, channel counts and sizes, and skiwce's ``mnist1d_lt``. Protocol: seeded
stratified k-fold cross-validation (5 folds; 3 on sets of 2 000 series or more), balanced
accuracy per fold, fit time per fold on one thread, the methods interleaved within each fold.

Methods (``--methods``): ``minirocket``, aeon 1.6.0's ``MiniRocketClassifier`` (the peer);
``iwce``, ``IWCEClassifier()`` (whatever ``module="auto"`` picks); ``iwce_har``,
``IWCEClassifier(module="har", lr=3e-3)`` (the paper's network); where the installed skiwce has
a ``"minirocket"`` module, ``iwce_minirocket`` and its CE and static-WCE variants; and
``probe``, aeon's MiniRocket features with a linear IWCE head. A network whose fit is estimated
(from 1- and 2-epoch fits on the first fold) to take more than ``--max-fit-s`` seconds is skipped
on that set, with the estimate recorded.

aeon 1.6.0 pins numpy below 2.4, so it lives in its own environment; the benchmark talks to it
through ``benchmarks/_aeon_peer.py --serve`` (splits and results as ``.npz`` files). Run from the
repository root, in skiwce's environment::

    pip install --no-deps --target /tmp/sktime_pkg sktime==1.2.0     # the UCR files
    python3 -m venv /tmp/aeonenv && /tmp/aeonenv/bin/pip install aeon==1.6.0
    python benchmarks/series.py --ucr-dir /tmp/sktime_pkg/sktime/datasets/data \\
        --aeon-python /tmp/aeonenv/bin/python --out benchmarks/results/series_cpu.md
    python benchmarks/series.py --quick --ucr-dir /tmp/sktime_pkg/sktime/datasets/data \\
        --aeon-python /tmp/aeonenv/bin/python --out /tmp/series_quick.md   # ~1 min

Without ``--aeon-python`` aeon is imported in this process if it is installed there; otherwise
the methods that need it are skipped, with the reason in the report.
"""

import os

# One thread for every library (OpenMP, BLAS, numba): set before the imports.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skiwce  # noqa: E402
from skiwce import IWCEClassifier  # noqa: E402
from skiwce.datasets import load_dataset  # noqa: E402
from skiwce.models import MODULES  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _provenance import git_commit, machine  # noqa: E402
from _ucr import UnusableSet, read_ucr, ucr_names  # noqa: E402

IMBALANCE_RATIO = 10
MIN_PER_CLASS = 5
N_FOLDS = 5
N_FOLDS_LARGE = 3  # on sets of LARGE series or more
LARGE = 2000
LEVEL_POINTS = 1.0  # "level": at most this many points of balanced accuracy below MiniRocket
MAX_FIT_S = 150.0
PEER = "minirocket"


# -- data ------------------------------------------------------------------------------------


def long_tail_counts(counts, ratio=IMBALANCE_RATIO, minimum=MIN_PER_CLASS):
    """Series kept per class: the classes ranked by size (largest first, ties in label order),
    rank ``i`` keeps ``ceil(n_max * ratio ** (-i / (C - 1)))``, at least ``minimum`` and at
    most what it has."""
    counts = np.asarray(counts)
    rank = np.empty(len(counts), dtype=int)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    exponent = rank / max(len(counts) - 1, 1)
    targets = np.ceil(counts.max() * float(ratio) ** (-exponent) - 1e-9).astype(int)
    return np.minimum(np.maximum(targets, minimum), counts)


def subsample(X, y, keep_counts, seed=0):
    """``keep_counts[c]`` random series of class ``c`` (labels 0 .. C-1), in their order."""
    rng = np.random.default_rng(seed)
    keep = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), size=int(m), replace=False)
            for c, m in enumerate(keep_counts)
        ]
    )
    keep.sort()
    return X[keep], y[keep]


def _ucr_long_tailed(ucr_dir, name, counts=None):
    X, labels = read_ucr(ucr_dir, name)
    _, y = np.unique(labels, return_inverse=True)
    if counts is None:
        counts = long_tail_counts(np.bincount(y))
    return subsample(X, y, counts)


def make_shapes(
    n, length, channels=1, n_classes=5, ratio=IMBALANCE_RATIO, amplitude=(4.0, 8.0), seed=0
):
    """Generated long-tailed series whose class is the shape of one short motif at a random
    position (and, with several channels, in a random channel) of AR(1) noise.

    Motifs, about 1/10 of the length (at least 4 positions) and 4 to 8 noise standard
    deviations high: a bump, a dip, a two-cycle and a four-cycle windowed sine burst, and a
    ramp that drops. Every series also gets a random offset and scale, so no position, level
    or linear function of the raw values tells the classes apart. Class ``c`` has about
    ``n * ratio ** (-c / (C - 1)) / sum`` series (at least ``MIN_PER_CLASS``).
    """
    rng = np.random.default_rng(seed)
    w = float(ratio) ** (-np.arange(n_classes) / (n_classes - 1))
    counts = np.maximum(np.round(n * w / w.sum()).astype(int), MIN_PER_CLASS)
    counts[0] += n - counts.sum()
    y = np.repeat(np.arange(n_classes), counts)
    rng.shuffle(y)
    phi = 0.7
    eps = rng.normal(scale=np.sqrt(1 - phi**2), size=(n, channels, length))
    X = np.empty_like(eps)
    X[..., 0] = rng.normal(size=(n, channels))
    for t in range(1, length):
        X[..., t] = phi * X[..., t - 1] + eps[..., t]
    for i, c in enumerate(y):
        width = max(4, int(round(length * rng.uniform(0.07, 0.13))))
        u = np.linspace(-1, 1, width)
        window = np.hanning(width + 2)[1:-1]
        motif = [
            np.exp(-4 * u**2),
            -np.exp(-4 * u**2),
            np.sin(2 * np.pi * u) * window,
            np.sin(4 * np.pi * u) * window,
            (u + 1) / 2,
        ][c % 5]
        start = rng.integers(0, length - width + 1)
        X[i, rng.integers(channels), start : start + width] += rng.uniform(*amplitude) * motif
    X = X * rng.lognormal(0, 0.3, size=(n, 1, 1)) + rng.normal(0, 1, size=(n, 1, 1))
    return X.astype(np.float32), y


#: generated sets: name -> (n, length, channels)
GENERATED = {
    "shapes_L24_C1_n300": (300, 24, 1),
    "shapes_L128_C1_n300": (300, 128, 1),
    "shapes_L128_C3_n300": (300, 128, 3),
    "shapes_L500_C1_n300": (300, 500, 1),
    "shapes_L24_C3_n3000": (3000, 24, 3),
    "shapes_L128_C1_n3000": (3000, 128, 1),
    # 20 000 was tried: aeon's MiniRocketClassifier (ridge CV over 10 000 features) did not
    # finish one fit on 13 333 series in the time; on 6 667 it took 311 s on one loaded thread.
    "shapes_L24_C1_n10000": (10000, 24, 1),
    # drawn with another seed after the series head's settings were chosen on the sets above:
    # a check of those settings on data they were not chosen on
    "shapes_L64_C2_n600_s1": (600, 64, 2, 1),
    "shapes_L256_C1_n800_s1": (800, 256, 1, 1),
    "shapes_L40_C1_n150_s1": (150, 40, 1, 1),
}

QUICK = ["shapes_L24_C1_n300", "ItalyPowerDemand"]


def datasets(ucr_dir):
    """name -> (description, loader() -> (X, y)) or (description, reason it is skipped)."""
    out = {}
    if ucr_dir and Path(ucr_dir).is_dir():
        for name in ucr_names(ucr_dir):
            try:
                read_ucr(ucr_dir, name)
            except UnusableSet as exc:
                out[name] = (f"UCR {name}", f"skipped: {exc}")
                continue
            out[name] = (
                f"UCR {name}, train and test pooled, long tail ratio {IMBALANCE_RATIO} "
                f"(at least {MIN_PER_CLASS} per class)",
                lambda name=name: _ucr_long_tailed(ucr_dir, name),
            )
        if "GunPoint" in out and not isinstance(out["GunPoint"][1], str):
            out["GunPoint_35"] = (
                "UCR GunPoint cut to 29 / 6 series: the issue's 35-series two-class case",
                lambda: _ucr_long_tailed(ucr_dir, "GunPoint", [29, 6]),
            )
    else:
        out["UCR sets"] = ("sktime's UCR files", "skipped: no --ucr-dir")
    for name, (n, length, channels, *seed) in GENERATED.items():
        seed = seed[0] if seed else 0
        out[name] = (
            f"generated motifs (`make_shapes`), 5 classes, long tail ratio {IMBALANCE_RATIO}"
            + (f", seed {seed}" if seed else ""),
            lambda n=n, length=length, channels=channels, seed=seed: make_shapes(
                n, length, channels, seed=seed
            ),
        )
    out["mnist1d_lt"] = (
        "skiwce `load_dataset('mnist1d_lt', random_state=0)`: its long-tailed training part "
        "(ratio 20)",
        lambda: (lambda d: (d.data, d.target))(load_dataset("mnist1d_lt", random_state=0)),
    )
    return out


def n_folds_for(n_rows, quick=False):
    if quick:
        return 2
    return N_FOLDS if n_rows < LARGE else N_FOLDS_LARGE


# -- aeon ------------------------------------------------------------------------------------


class Aeon:
    """aeon's MiniRocket, in this process or in a server process of another environment.

    ``reason`` is None when aeon is usable, else why it is not; ``versions`` names them.
    """

    def __init__(self, python=None, workdir=None):
        self.proc, self.reason, self.versions = None, None, ""
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="series_bench_"))
        if python:
            if not Path(python).exists():
                self.reason = f"--aeon-python {python} does not exist"
                return
            self.proc = subprocess.Popen(
                [python, str(HERE / "_aeon_peer.py"), "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": ""},
            )
            first = self.proc.stdout.readline()
            try:
                self.versions = json.loads(first)["versions"]
            except (ValueError, KeyError):
                self.close()
                self.reason = f"aeon's server in {python} did not start (aeon installed there?)"
            return
        try:
            import _aeon_peer

            self.versions = _aeon_peer.versions()
            _aeon_peer.warm_up()
            self._local = _aeon_peer
        except ImportError as exc:
            self.reason = f"aeon is not importable here ({exc}) and no --aeon-python was given"

    def run(self, task, X_train, y_train, X_test, seed):
        """The task's result dict (see ``_aeon_peer``), or raises RuntimeError."""
        if self.reason:
            raise RuntimeError(self.reason)
        if self.proc is None:
            return self._local.run_task(task, X_train, y_train, X_test, seed)
        src, dst = self.workdir / "split.npz", self.workdir / "result.npz"
        np.savez(src, X_train=X_train, y_train=y_train, X_test=X_test)
        request = {"task": task, "in": str(src), "out": str(dst), "seed": int(seed)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline() or '{"ok": false, "error": "died"}')
        if not answer["ok"]:
            raise RuntimeError(f"aeon server: {answer['error']}")
        with np.load(dst) as result:
            return {k: result[k] for k in result.files}

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
            self.proc = None


# -- methods ---------------------------------------------------------------------------------


def _iwce_methods():
    out = {
        "iwce": ("`IWCEClassifier()`", {}),
        "iwce_har": ('`IWCEClassifier(module="har", lr=3e-3)`', {"module": "har", "lr": 3e-3}),
    }
    if "minirocket" in MODULES:
        out["iwce_minirocket"] = (
            '`IWCEClassifier(module="minirocket")`',
            {"module": "minirocket"},
        )
        out["iwce_minirocket_ce"] = (
            '`IWCEClassifier(module="minirocket", class_weight=None)` (CE)',
            {"module": "minirocket", "class_weight": None},
        )
        out["iwce_minirocket_wce"] = (
            '`IWCEClassifier(module="minirocket", T=inf)` (static WCE)',
            {"module": "minirocket", "T": float("inf")},
        )
    return out


PROBE_HEAD = {"module": "mlp", "module_params": {"hidden_layer_sizes": ()}}


def methods():
    """name -> description, in the order they run within a fold."""
    out = {PEER: "aeon's `MiniRocketClassifier(random_state=fold, n_jobs=1)` (the peer)"}
    out.update({m: d for m, (d, _) in _iwce_methods().items()})
    out["probe"] = (
        "aeon's `MiniRocket(random_state=fold, n_jobs=1)` features, then "
        '`IWCEClassifier(module="mlp", module_params={"hidden_layer_sizes": ()})` (a linear '
        "head); fit time = transform fit and training-set transform + head fit"
    )
    return out


def _epochs(params, scale):
    params = dict(params)
    if scale != 1:
        params["max_epochs"] = max(2, int(round(_default_epochs() * scale)))
    return params


def _fit_iwce(params, seed, Xtr, ytr, Xte):
    clf = IWCEClassifier(random_state=seed, **params)
    start = time.perf_counter()
    clf.fit(Xtr, ytr)
    fit_s = time.perf_counter() - start
    return clf.predict(Xte), fit_s, clf


def _default_epochs():
    """The epochs of a default fit on series: ``max_epochs``, with ``"auto"`` resolved (on
    series it searches nothing: 100 epochs)."""
    epochs = IWCEClassifier().max_epochs
    if epochs == "auto":
        from skiwce._classifier import AUTO_DEFAULT_EPOCHS

        epochs = AUTO_DEFAULT_EPOCHS
    return epochs


def _estimate_fit_s(params, Xtr, ytr, Xte):
    """Seconds a fit with ``params`` should take: fixed cost plus epochs x per-epoch cost, from
    1- and 2-epoch fits."""
    one = _fit_iwce({**params, "max_epochs": 1}, 0, Xtr, ytr, Xte[:1])[1]
    two = _fit_iwce({**params, "max_epochs": 2}, 0, Xtr, ytr, Xte[:1])[1]
    per_epoch = max(two - one, 0.0)
    epochs = params.get("max_epochs", _default_epochs())
    return max(one - per_epoch, 0.0) + per_epoch * epochs


def run_method(method, aeon, fold, Xtr, ytr, Xte, scale):
    """(predictions, fit seconds, note)."""
    if method == PEER:
        r = aeon.run("classifier", Xtr, ytr, Xte, fold)
        return r["pred"], float(r["fit_s"]), ""
    if method == "probe":
        r = aeon.run("features", Xtr, ytr, Xte, fold)
        pred, head_s, _ = _fit_iwce(
            _epochs(PROBE_HEAD, scale), fold, r["F_train"], ytr, r["F_test"]
        )
        return pred, float(r["fit_s"]) + head_s, f"transform {float(r['fit_s']):.2f} s"
    params = _epochs(_iwce_methods()[method][1], scale)
    pred, fit_s, clf = _fit_iwce(params, fold, Xtr, ytr, Xte)
    return pred, fit_s, f"module {type(clf.net_.module_).__name__}"


def _warm_up(names):
    """One untimed fit of each network, so that no timed fit pays for first calls."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 40)).astype(np.float32), np.arange(40) % 2
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        for m, (_, params) in _iwce_methods().items():
            if m in names:
                _fit_iwce({**params, "max_epochs": 2}, 0, X, y, X)
        _fit_iwce({**PROBE_HEAD, "max_epochs": 2}, 0, X[:, 0], y, X[:, 0])


def run(args, on_set_done=None):
    """Fit and score every chosen method on every fold of every chosen set; after each set,
    ``on_set_done(result)`` gets the result so far (the same dict as returned)."""
    torch.set_num_threads(1)
    chosen = args.methods or list(methods())
    unknown = [m for m in chosen if m not in methods()]
    if unknown:
        raise SystemExit(f"unknown methods {unknown}; available here: {list(methods())}")
    chosen = [m for m in methods() if m in chosen]  # the interleaving order
    all_sets = datasets(args.ucr_dir)
    names = args.sets or ([n for n in QUICK if n in all_sets] if args.quick else list(all_sets))
    scale = 0.03 if args.quick else 1.0
    aeon = None
    if any(m in (PEER, "probe") for m in chosen):
        aeon = Aeon(args.aeon_python)
        if aeon.reason:
            print(f"aeon methods skipped: {aeon.reason}", flush=True)
    _warm_up(chosen)
    rows, skipped, data_info, warn_log, method_skips = [], {}, {}, Counter(), {}
    started = time.perf_counter()

    def result():
        return dict(
            rows=rows,
            skipped=skipped,
            data_info=data_info,
            warn_log=warn_log,
            method_skips=method_skips,
            seconds=time.perf_counter() - started,
            names=names,
            methods=chosen,
            aeon_versions=aeon.versions if aeon else "",
            aeon_reason=aeon.reason if aeon else "not needed",
        )

    try:
        for name in names:
            descr, loader = all_sets[name]
            if isinstance(loader, str):
                skipped[name] = loader
                print(f"{name}: {loader}", flush=True)
                continue
            X, y = loader()
            k = args.folds or n_folds_for(len(y), args.quick)
            data_info[name] = dict(
                descr=descr, shape=X.shape, counts=np.bincount(y).tolist(), folds=k
            )
            print(f"{name}: {X.shape}, counts {np.bincount(y).tolist()}, {k} folds", flush=True)
            t0 = time.perf_counter()
            cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
            for fold, (train, test) in enumerate(cv.split(np.zeros(len(y)), y)):
                Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
                for method in chosen:
                    key = (name, method)
                    note = ""
                    if method in (PEER, "probe") and aeon.reason:
                        method_skips[key] = aeon.reason
                    elif fold == 0 and method in _iwce_methods() and not args.quick:
                        params = _iwce_methods()[method][1]
                        with warnings.catch_warnings(), threadpool_limits(1):
                            warnings.simplefilter("ignore")
                            est = _estimate_fit_s(params, Xtr, ytr, Xte)
                        if est > args.max_fit_s:
                            method_skips[key] = (
                                f"estimated {est:.0f} s per fit > --max-fit-s {args.max_fit_s:g}"
                            )
                    if key in method_skips:
                        continue
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        try:
                            with threadpool_limits(1):
                                pred, fit_s, note = run_method(
                                    method, aeon, fold, Xtr, ytr, Xte, scale
                                )
                            bacc, error = 100 * balanced_accuracy_score(yte, pred), ""
                        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                            bacc = fit_s = float("nan")
                            error = f"{type(exc).__name__}: {exc}"[:200]
                            print(f"  ERROR {name} {method} fold {fold}: {error}", flush=True)
                    for w in caught:
                        msg = str(w.message).splitlines()[0][:140]
                        warn_log[(name, method, w.category.__name__, msg)] += 1
                    rows.append(
                        dict(
                            dataset=name,
                            fold=fold,
                            method=method,
                            n_train=len(ytr),
                            n_test=len(yte),
                            balanced_accuracy=round(bacc, 3),
                            fit_seconds=round(fit_s, 4),
                            note=note,
                            error=error,
                        )
                    )
            for (ds, m), why in method_skips.items():
                if ds == name:
                    print(f"  {m} skipped: {why}", flush=True)
            print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
            if on_set_done is not None:
                on_set_done(result())
    finally:
        if aeon is not None:
            aeon.close()
    return result()


# -- report ----------------------------------------------------------------------------------


def _per_set(rows, name, method, key):
    return np.asarray(
        [r[key] for r in rows if r["dataset"] == name and r["method"] == method], dtype=float
    )


def summarise(result):
    """Per set and method: mean and std of balanced accuracy, median fit time (NaN if absent)."""
    table = {}
    for name in result["data_info"]:
        for m in result["methods"]:
            b = _per_set(result["rows"], name, m, "balanced_accuracy")
            f = _per_set(result["rows"], name, m, "fit_seconds")
            if len(b) and not np.all(np.isnan(b)):
                table[name, m] = (
                    np.nanmean(b),
                    np.nanstd(b, ddof=1) if len(b) > 1 else 0.0,
                    np.nanmedian(f),
                )
    return table


def report(result, argv, provenance, final=True):
    rows, info, chosen = result["rows"], result["data_info"], result["methods"]
    descr = methods()
    table = summarise(result)
    sets = list(info)
    lines = [
        "# Series: IWCEClassifier against MiniRocket on long-tailed series",
        "",
        f"Command: `python benchmarks/series.py {' '.join(argv)}`  ",
        f"Commit {provenance['commit']}; {provenance['machine']}; skiwce {skiwce.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; aeon side: "
        f"{result['aeon_versions'] or result['aeon_reason']}.  ",
        ("" if final else "**Partial: the run was still going when this was written.**  "),
        f"Total run time {result['seconds'] / 60:.1f} min on one CPU thread (torch, OpenMP, "
        "BLAS and numba limited to 1 thread; the machine's 2 cores were shared with other "
        "processes, so times are comparable within a fold, less so across sets).",
        "",
        f"`IWCEClassifier().get_params()` at run time: {provenance['defaults']}; "
        f'`module="auto"` picked {provenance["auto"]} for series.',
        "",
        "## Protocol",
        "",
        f"- Folds: `StratifiedKFold(shuffle=True, random_state=0)`, {N_FOLDS} folds "
        f"({N_FOLDS_LARGE} on sets of {LARGE} series or more), the same for every method; "
        "models are seeded with the fold index. Methods run one after another within each "
        "fold (interleaved).",
        "- Balanced accuracy in %, mean ± std over the folds; fit time: median over the folds "
        "of one fit, in seconds, prediction excluded (for the probe: MiniRocket's fit and "
        "training-set transform plus the head's fit).",
        f"- Long tail: the classes ranked by size; rank i keeps ceil(n_max * "
        f"{IMBALANCE_RATIO}^(-i/(C-1))) random series, at least {MIN_PER_CLASS} (so 5-fold CV "
        "has one per fold) and at most what it has.",
        f"- A network whose fit is estimated (1- and 2-epoch fits on the first fold's training "
        f"part) to exceed {provenance['max_fit_s']:g} s is skipped on that set (listed below).",
        "- Methods:",
    ]
    lines += [f"  - **{m}**: {descr[m]}" for m in chosen]
    lines += [
        "",
        "## Data sets",
        "",
        "| data set | description | series x channels x length | classes | series per class "
        "| folds |",
        "|---|---|---|---:|---|---:|",
    ]
    for name in sets:
        d = info[name]
        n, c, length = d["shape"]
        lines.append(
            f"| {name} | {d['descr']} | {n} x {c} x {length} | {len(d['counts'])} | "
            f"{' / '.join(map(str, d['counts']))} | {d['folds']} |"
        )
    for name, why in result["skipped"].items():
        lines.append(f"| {name} | {why} | | | | |")

    lines += [
        "",
        "## Per data set",
        "",
        "Balanced accuracy (%), mean ± std over the folds, and median fit time per fold (s); "
        "Δ: points against MiniRocket.",
        "",
        "| data set | " + " | ".join(chosen) + " |",
        "|---|" + "---:|" * len(chosen),
    ]
    for name in sets:
        cells = []
        for m in chosen:
            if (name, m) in table:
                mean, std, fit = table[name, m]
                cell = f"{mean:.1f} ± {std:.1f} ({fit:.2f} s)"
                if m != PEER and (name, PEER) in table:
                    cell += f" Δ {mean - table[name, PEER][0]:+.1f}"
            else:
                cell = "skipped" if (name, m) in result["method_skips"] else "–"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    lines += ["", "## Summary", ""]
    others = [m for m in chosen if m != PEER]
    if PEER in chosen:
        lines += [
            f"Over the data sets where both the method and MiniRocket ran: mean balanced "
            f"accuracy of each; *level or ahead*: within {LEVEL_POINTS:g} point of MiniRocket "
            "or above it; fit-time ratio: the method's median fit time over MiniRocket's on "
            "each set, median over the sets (and the range).",
            "",
            "| method | data sets | mean balanced accuracy | MiniRocket's on the same sets "
            "| level or ahead | behind by more than 5 points | median fit-time ratio "
            "(range) |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for m in others:
            both = [n for n in sets if (n, m) in table and (n, PEER) in table]
            if not both:
                lines.append(f"| {m} | 0 | | | | | |")
                continue
            mine = np.array([table[n, m][0] for n in both])
            peer = np.array([table[n, PEER][0] for n in both])
            ratio = np.array([table[n, m][2] / table[n, PEER][2] for n in both])
            lines.append(
                f"| {m} | {len(both)} | {mine.mean():.2f} | {peer.mean():.2f} | "
                f"{int(np.sum(mine >= peer - LEVEL_POINTS))} / {len(both)} | "
                f"{int(np.sum(mine < peer - 5))} | {np.median(ratio):.2f} "
                f"({ratio.min():.2f} to {ratio.max():.2f}) |"
            )
        lines.append("")
    lines += [
        "Mean balanced accuracy over every set each method ran on, and median fit time:",
        "",
        "| method | data sets | mean balanced accuracy | median of the per-set median fit "
        "times (s) |",
        "|---|---:|---:|---:|",
    ]
    for m in chosen:
        ran = [n for n in sets if (n, m) in table]
        if ran:
            lines.append(
                f"| {m} | {len(ran)} | {np.mean([table[n, m][0] for n in ran]):.2f} | "
                f"{np.median([table[n, m][2] for n in ran]):.2f} |"
            )
    if result["method_skips"]:
        lines += ["", "## Skipped methods", ""]
        lines += [f"- {ds}, {m}: {why}" for (ds, m), why in result["method_skips"].items()]
    errors = [r for r in rows if r["error"]]
    lines += ["", "## Warnings and errors", ""]
    if errors:
        lines += [
            f"- {r['dataset']}, {r['method']}, fold {r['fold']}: {r['error']}" for r in errors
        ]
        lines.append("")
    if result["warn_log"]:
        lines += [
            "Warnings raised during the fits (caught and counted):",
            "",
            "| data set | method | category | message | count |",
            "|---|---|---|---|---:|",
        ]
        for (ds, m, cat, msg), c in sorted(result["warn_log"].items()):
            lines.append(f"| {ds} | {m} | {cat} | {msg.replace('|', '/')} | {c} |")
    elif not errors:
        lines.append("None.")
    lines.append("")
    return lines


def _provenance(args):
    est = IWCEClassifier()
    keep = ("module", "T", "max_epochs", "batch_size", "lr", "class_weight", "standardize")
    defaults = ", ".join(f"`{k}={v!r}`" for k, v in est.get_params().items() if k in keep)
    try:  # the network "auto" resolves to, from the estimator's own (private) rule
        auto, _ = est._module((1, 32), 2)
        auto = f"`{getattr(auto, '__name__', type(auto).__name__)}`"
    except Exception:  # noqa: BLE001 - only for the report's header
        auto = "(see the `note` column of the CSV)"
    return dict(
        commit=git_commit(),
        machine=machine(),
        defaults=defaults,
        auto=auto,
        max_fit_s=args.max_fit_s,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2 sets, 2 folds, 3 %% of the epochs"
    )
    parser.add_argument("--sets", nargs="*", default=None, help="a subset, by name")
    parser.add_argument(
        "--methods", nargs="*", default=None, help=f"a subset of {list(methods())}"
    )
    parser.add_argument("--folds", type=int, default=None, help="override the fold counts")
    parser.add_argument(
        "--max-fit-s",
        type=float,
        default=MAX_FIT_S,
        help=f"skip a network estimated to fit slower than this on a set (default {MAX_FIT_S:g})",
    )
    parser.add_argument("--ucr-dir", default=None, help="sktime/datasets/data (the .ts files)")
    parser.add_argument(
        "--aeon-python",
        default=None,
        help="python of an environment with aeon 1.6.0 (default: aeon in this process)",
    )
    parser.add_argument("--out", default=None, help="Markdown report; the CSV goes beside it")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    torch.set_num_threads(1)
    provenance = _provenance(args)

    def write(result, final=False):
        text = "\n".join(report(result, argv, provenance, final)) + "\n"
        if not args.out:
            if final:
                print(text)
            return
        out = Path(args.out)
        out.write_text(text)
        with out.with_suffix(".csv").open("w", newline="") as fh:
            fields = list(result["rows"][0]) if result["rows"] else ["dataset"]
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(result["rows"])

    result = run(args, on_set_done=write)
    write(result, final=True)
    return result


if __name__ == "__main__":
    main()
