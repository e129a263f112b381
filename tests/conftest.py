import numpy as np
import pytest
import torch

# The hostile-input runner's asserts live in a helper module: show their values on failure too.
pytest.register_assert_rewrite("_hostile")


@pytest.fixture(autouse=True)
def seed_everything():
    """Seed torch and numpy so each test is repeatable on its own."""
    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002 (code under test may use the global state)


@pytest.fixture(scope="session")
def imbalanced_data():
    """A small 3-class problem with a 10:4:1 imbalance, float32 features."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=300,
        n_features=8,
        n_informative=5,
        n_classes=3,
        weights=[0.66, 0.27, 0.07],
        class_sep=1.5,
        random_state=0,
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="session")
def sequence_data():
    """(n, channels, length) data: two classes differing in a bump's position."""
    rng = np.random.RandomState(0)
    n, length = 120, 16
    y = (rng.rand(n) < 0.25).astype(np.int64)
    X = rng.randn(n, 2, length).astype(np.float32) * 0.3
    X[y == 1, 0, 10:13] += 2.0
    X[y == 0, 0, 2:5] += 2.0
    return X, y
