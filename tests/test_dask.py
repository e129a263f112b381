"""Scaling a grid search out on Dask: a real two-process LocalCluster gives the same results.

Needs ``dask[distributed]`` (the ``dask`` extra); skipped without it.
"""

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skiwce import IWCEClassifier

distributed = pytest.importorskip("distributed")

GRID = {"T": [1.0, 10.0]}
PARAMS = {"max_epochs": 3, "batch_size": 16, "lr": 0.01, "random_state": 0, "n_threads": 1}
KEYS = ["mean_test_score", "split0_test_score", "split1_test_score", "rank_test_score"]


@pytest.fixture(scope="module")
def problem():
    X, y = make_classification(
        n_samples=80, n_features=5, n_informative=3, weights=[0.75], random_state=0
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def client():
    """A real cluster: two worker processes (spawned nannies), one thread each."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,  # no web server, no port clash with a running dashboard
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _search():
    return GridSearchCV(IWCEClassifier(**PARAMS), GRID, cv=2, scoring="balanced_accuracy")


@pytest.mark.slow
def test_grid_search_on_dask_equals_local(client, problem):
    X, y = problem
    local = _search().fit(X, y)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        remote = _search().fit(X, y)
    for key in KEYS:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.best_estimator_.predict_proba(X), local.best_estimator_.predict_proba(X)
    )
    # The fits ran on the cluster's workers, not in this process.
    assert {task["worker"] for task in tasks.data} <= set(client.scheduler_info()["workers"])
    assert len(tasks.data) >= len(GRID["T"]) * 2
    # Dask's nanny starts workers with OMP_NUM_THREADS=1, so torch runs one thread there.
    assert set(client.run(lambda: __import__("torch").get_num_threads()).values()) == {1}
