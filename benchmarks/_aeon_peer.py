"""aeon's MiniRocket for ``series.py``: in the benchmark's process, or as a small server in a
separate environment whose pins differ from skiwce's (aeon 1.6.0 wants numpy < 2.4).

Needs only numpy, threadpoolctl and aeon (not skiwce or torch). As a server
(``python benchmarks/_aeon_peer.py --serve``) it warms numba up, prints one JSON line with its
versions, then answers one JSON line per request read from standard input::

    {"task": "classifier" | "features", "in": "<split>.npz", "out": "<result>.npz", "seed": 0}

The input holds ``X_train``, ``y_train`` and ``X_test``; the output holds ``pred``, ``fit_s``
and ``predict_s`` (classifier), or ``F_train``, ``F_test``, ``fit_s`` (fit and transform of the
training series) and ``transform_test_s`` (features). Everything runs on one thread.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402


def versions():
    """aeon's, numba's, numpy's and scikit-learn's versions, in one line."""
    import aeon
    import numba
    import sklearn

    return (
        f"aeon {aeon.__version__}, numba {numba.__version__}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}"
    )


def classifier(X_train, y_train, X_test, seed):
    """``MiniRocketClassifier(random_state=seed, n_jobs=1)`` fitted and asked to predict."""
    from aeon.classification.convolution_based import MiniRocketClassifier
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        clf = MiniRocketClassifier(random_state=seed, n_jobs=1)
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        pred = clf.predict(X_test)
        predict_s = time.perf_counter() - start
    return {"pred": np.asarray(pred), "fit_s": fit_s, "predict_s": predict_s}


def features(X_train, X_test, seed):
    """The ``MiniRocket(random_state=seed, n_jobs=1)`` transform's features (float32);
    ``fit_s`` times its fit and the transform of the training series."""
    from aeon.transformations.collection.convolution_based import MiniRocket
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        transform = MiniRocket(random_state=seed, n_jobs=1)
        start = time.perf_counter()
        F_train = transform.fit(X_train).transform(X_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        F_test = transform.transform(X_test)
        transform_test_s = time.perf_counter() - start
    return {
        "F_train": np.asarray(F_train, dtype=np.float32),
        "F_test": np.asarray(F_test, dtype=np.float32),
        "fit_s": fit_s,
        "transform_test_s": transform_test_s,
    }


def warm_up():
    """Compile numba's kernels (or load them from its cache) outside any timed fit."""
    rng = np.random.default_rng(0)
    for shape in ((40, 1, 30), (40, 2, 30)):
        X = rng.normal(size=shape).astype(np.float32)
        y = np.arange(len(X)) % 2
        classifier(X, y, X, 0)
        features(X, X, 0)


def run_task(task, X_train, y_train, X_test, seed):
    if task == "classifier":
        return classifier(X_train, y_train, X_test, seed)
    if task == "features":
        return features(X_train, X_test, seed)
    raise ValueError(f"unknown task {task!r}")


def serve(stdin=sys.stdin, stdout=sys.stdout):
    """Answer requests (one JSON line each) until standard input closes."""
    warm_up()
    print(json.dumps({"ready": True, "versions": versions()}), file=stdout, flush=True)
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            with np.load(request["in"]) as split:
                out = run_task(
                    request["task"],
                    split["X_train"],
                    split["y_train"],
                    split["X_test"],
                    int(request["seed"]),
                )
            np.savez(request["out"], **out)
            answer = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - reported to the benchmark, which goes on
            traceback.print_exc(file=sys.stderr)
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(answer), file=stdout, flush=True)


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        sys.exit("usage: python benchmarks/_aeon_peer.py --serve")
    serve()
