"""The skorch net under IWCEClassifier: tensor batching against skorch's DataLoader path."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from skiwce import IWCELoss
from skiwce._net import IWCENet


class DropoutNet(nn.Module):
    """Dropout draws from torch's global generator, so any change in what batching draws from
    it changes the training."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))

    def forward(self, X):
        return self.net(X)


class ModeRecorder(nn.Module):
    """A network whose dropout child is created in eval mode; records the child's mode."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3)
        self.drop = nn.Dropout(0.5).eval()
        self.modes = []

    def forward(self, X):
        self.modes.append(self.drop.training)
        return self.lin(self.drop(X))


class CountingLoader(DataLoader):
    made = 0

    def __init__(self, *args, **kwargs):
        type(self).made += 1
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [30, 12, 5]).astype(np.int64)
    X = (rng.randn(len(y), 4) + y[:, None]).astype(np.float32)
    return X, y


def make_net(module=DropoutNet, **kwargs):
    params = {
        "criterion": IWCELoss,
        "max_epochs": 3,
        "batch_size": 8,
        "lr": 0.05,
        "train_split": None,
        "verbose": 0,
        "iterator_train__shuffle": True,
    }
    return IWCENet(module, **{**params, **kwargs})


def fit_history(data, batching, **kwargs):
    torch.manual_seed(0)
    net = make_net(batching=batching, **kwargs).fit(*data)
    return net.history[:, "train_loss"], net.predict_proba(data[0])


class TestTensorBatching:
    @pytest.mark.parametrize("generator", [False, True], ids=["global-generator", "own-generator"])
    def test_same_training_as_the_dataloader(self, data, generator):
        kwargs = {}
        if generator:
            kwargs["iterator_train__generator"] = torch.Generator().manual_seed(3)
        losses_t, proba_t = fit_history(data, "tensor", **kwargs)
        if generator:
            kwargs["iterator_train__generator"] = torch.Generator().manual_seed(3)
        losses_d, proba_d = fit_history(data, "dataloader", **kwargs)
        assert losses_t == losses_d
        np.testing.assert_array_equal(proba_t, proba_d)

    def test_leaves_the_global_generator_where_the_dataloader_does(self, data):
        ends = []
        for batching in ["tensor", "dataloader"]:
            fit_history(data, batching)
            ends.append(torch.rand(3))
        torch.testing.assert_close(ends[0], ends[1], rtol=0, atol=0)

    @pytest.mark.parametrize("which", ["iterator_train", "iterator_valid"])
    def test_a_custom_iterator_class_is_used(self, data, which):
        CountingLoader.made = 0
        net = make_net(batching="tensor", **{which: CountingLoader})
        net.fit(*data)
        net.predict(data[0])
        assert CountingLoader.made > 0


class TestModes:
    def test_children_follow_the_training_mode_from_the_first_batch(self, data):
        net = make_net(ModeRecorder, max_epochs=2).fit(*data)
        n_batches = net.history[0, "train_batch_count"]
        assert net.module_.modes[:n_batches] == [True] * n_batches
        net.module_.modes.clear()
        net.predict(data[0])
        assert net.module_.modes and not any(net.module_.modes)

    def test_a_new_module_gets_its_mode_set(self, data):
        net = make_net(ModeRecorder, max_epochs=1).fit(*data)
        net.module_ = ModeRecorder()  # a fresh module, its child in eval mode again
        net.partial_fit(*data)
        assert net.module_.modes and all(net.module_.modes)
