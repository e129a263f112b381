import math

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn

from skiwce import IncrementalClassWeights, IWCELoss
from skiwce.callbacks import dataset_targets
from skiwce.functional import alpha_schedule, balanced_weights


class OptimizerProbe(Callback):
    """Records, at each epoch's end, the optimizer's identity and Adam's step count."""

    def initialize(self):
        self.records_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        state = net.optimizer_.state[next(net.module_.parameters())]
        self.records_.append(
            (id(net.optimizer_), int(state["step"]), net.criterion_.weight.data_ptr())
        )


def make_net(callbacks, criterion=IWCELoss, max_epochs=6, **kwargs):
    return NeuralNetClassifier(
        nn.Linear(4, 3),
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=max_epochs,
        batch_size=16,
        verbose=0,
        callbacks=callbacks,
        **{"train_split": None, **kwargs},
    )


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [60, 25, 5]).astype(np.int64)
    X = (rng.randn(90, 4) + y[:, None]).astype(np.float32)
    return X, y


class TestIncrementalClassWeights:
    def test_alpha_follows_formula_and_ends_at_one(self, data):
        net = make_net([IncrementalClassWeights(T=2.0)], max_epochs=6).fit(*data)
        alphas = net.history[:, "alpha"]
        assert alphas == [math.exp((e - 5) / 2.0) for e in range(5)] + [1.0]
        assert alphas[-1] == 1.0
        assert all(isinstance(a, float) for a in alphas)

    def test_final_weights_are_balanced(self, data):
        net = make_net([IncrementalClassWeights(T=2.0)]).fit(*data)
        expected = balanced_weights([60, 25, 5])
        np.testing.assert_allclose(net.history[-1, "class_weight"], expected, rtol=1e-12)
        np.testing.assert_allclose(net.criterion_.weight.numpy(), expected, rtol=1e-6)
        assert all(isinstance(w, float) for w in net.history[-1, "class_weight"])

    def test_weights_blend_every_epoch(self, data):
        net = make_net([IncrementalClassWeights(T=3.0)]).fit(*data)
        bw = balanced_weights([60, 25, 5])
        for row in net.history:
            np.testing.assert_allclose(
                row["class_weight"], row["alpha"] * bw + (1 - row["alpha"]), rtol=1e-12
            )

    def test_optimizer_state_survives(self, data):
        probe = OptimizerProbe()
        make_net([IncrementalClassWeights(T=2.0), probe], max_epochs=5).fit(*data)
        ids, steps, ptrs = zip(*probe.records_, strict=True)
        batches_per_epoch = math.ceil(90 / 16)
        assert len(set(ids)) == 1  # never re-initialised
        assert list(steps) == [batches_per_epoch * (e + 1) for e in range(5)]
        assert len(set(ptrs)) == 1  # the weight buffer is written in place

    def test_with_torch_cross_entropy(self, data):
        net = make_net([IncrementalClassWeights(T=1.0)], criterion=nn.CrossEntropyLoss).fit(*data)
        np.testing.assert_allclose(
            net.criterion_.weight.numpy(), balanced_weights([60, 25, 5]), rtol=1e-6
        )

    def test_counts_come_from_training_split(self, data):
        X, y = data
        valid = Dataset(X[:30], y[:30])  # 30 samples of class 0 held out
        cb = IncrementalClassWeights(T=1.0)
        make_net([cb], max_epochs=2, train_split=predefined_split(valid)).fit(X[30:], y[30:])
        assert cb.class_counts_.tolist() == [30, 25, 5]

    def test_class_missing_from_training_split(self, data):
        X, y = data
        cb = IncrementalClassWeights(T=1.0, classes=[0, 1, 2])
        keep = y != 2
        with pytest.warns(UserWarning, match=r"Classes \[2\] have no training samples"):
            net = make_net([cb], max_epochs=2).fit(X[keep], y[keep])
        assert np.all(np.isfinite(net.history[-1, "class_weight"]))

    def test_sum_normalisation(self, data):
        net = make_net([IncrementalClassWeights(T=1.0, normalize="sum")], max_epochs=3).fit(*data)
        for row in net.history:
            assert sum(row["class_weight"]) == pytest.approx(1.0)

    def test_fixed_costs_by_label(self, data):
        cb = IncrementalClassWeights(T=float("inf"), class_weight={2: 4.0}, normalize=None)
        net = make_net([cb], max_epochs=2).fit(*data)
        assert net.history[0, "class_weight"] == [1.0, 1.0, 4.0]

    def test_clone_and_params(self):
        cb = IncrementalClassWeights(T=7.0, schedule="step", switch_epoch=0.5)
        cloned = clone(cb)
        assert cloned.get_params() == cb.get_params()

    def test_bad_normalize(self, data):
        with pytest.raises(ValueError, match="normalize must be one of"):
            make_net([IncrementalClassWeights(normalize="l2")]).fit(*data)

    def test_bad_schedule_lists_valid(self, data):
        with pytest.raises(ValueError, match="'exponential', 'step', 'linear', 'constant'"):
            make_net([IncrementalClassWeights(schedule="cos")]).fit(*data)

    def test_wrong_weight_size(self, data):
        crit_w = torch.ones(5)
        with pytest.raises(ValueError, match="weight has shape"):
            make_net([IncrementalClassWeights()], criterion__weight=crit_w).fit(*data)

    def test_warm_start_continues_schedule(self, data):
        net = make_net([IncrementalClassWeights(T=1.0, n_epochs=4)], max_epochs=2)
        net.fit(*data)
        net.partial_fit(*data)
        assert net.history[:, "alpha"] == alpha_schedule(4, T=1.0)


class TestDatasetTargets:
    def test_tensor_dataset_and_subset(self):
        ds = torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.tensor([3, 1, 2, 0]))
        assert dataset_targets(ds).tolist() == [3, 1, 2, 0]
        sub = torch.utils.data.Subset(ds, [1, 3])
        assert dataset_targets(sub).tolist() == [1, 0]

    def test_generic_dataset(self):
        class DS(torch.utils.data.Dataset):
            def __len__(self):
                return 3

            def __getitem__(self, i):
                return torch.zeros(2), torch.tensor(i % 2)

        assert dataset_targets(DS()).tolist() == [0, 1, 0]

    def test_no_targets(self):
        with pytest.raises(ValueError, match="no targets"):
            dataset_targets(Dataset(np.zeros((3, 2)), None))


class TestPlainCrossEntropy:
    """The callback on torch's own CrossEntropyLoss, whose ``weight`` starts as None."""

    def test_a_fresh_net_loads_the_saved_criterion(self, data, tmp_path):
        net = make_net([IncrementalClassWeights(T=2.0)], criterion=nn.CrossEntropyLoss)
        net.fit(*data)
        net.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
        fresh = make_net([IncrementalClassWeights(T=2.0)], criterion=nn.CrossEntropyLoss)
        fresh.initialize()
        fresh.load_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
        np.testing.assert_array_equal(fresh.predict_proba(data[0]), net.predict_proba(data[0]))

    def test_checkpoint_and_load_init_state_resume(self, data, tmp_path):
        from skorch.callbacks import Checkpoint, LoadInitState

        def callbacks():
            cp = Checkpoint(dirname=str(tmp_path), monitor=None)
            return [IncrementalClassWeights(T=2.0), cp, LoadInitState(cp)]

        first = make_net(callbacks(), criterion=nn.CrossEntropyLoss, max_epochs=3)
        first.fit(*data)
        resumed = make_net(callbacks(), criterion=nn.CrossEntropyLoss, max_epochs=6)
        resumed.fit(*data)  # loads the checkpoint, then continues the schedule
        assert len(resumed.history) == 9
        # The schedule continues from the history: epoch index 3..8 of a 6-epoch schedule.
        assert resumed.history[3, "alpha"] == pytest.approx(math.exp((3 - 5) / 2.0))
        assert resumed.history[-1, "alpha"] == 1.0


class TestLossMonitors:
    """skorch's EarlyStopping and Checkpoint watch the validation loss by default, whose
    meaning moves with alpha."""

    @pytest.mark.parametrize(
        "make",
        [
            lambda: __import__("skorch.callbacks").callbacks.EarlyStopping(patience=2),
            lambda: __import__("skorch.callbacks").callbacks.Checkpoint(dirname="unused"),
        ],
        ids=["EarlyStopping", "Checkpoint"],
    )
    def test_warns_about_a_loss_monitor(self, data, make, monkeypatch, tmp_path):
        monkeypatch.chdir(tmp_path)
        net = make_net(
            [IncrementalClassWeights(T=2.0), make()],
            max_epochs=2,
            train_split=predefined_split(Dataset(*data)),
        )
        with pytest.warns(UserWarning, match="monitors 'valid_loss.*moves with alpha"):
            net.fit(*data)

    def test_no_warning_for_a_score_monitor(self, data):
        from skorch.callbacks import EarlyStopping, EpochScoring

        net = make_net(
            [
                IncrementalClassWeights(T=2.0),
                EpochScoring("balanced_accuracy", lower_is_better=False, name="valid_bacc"),
                EarlyStopping(monitor="valid_bacc", lower_is_better=False, patience=2),
            ],
            max_epochs=2,
            train_split=predefined_split(Dataset(*data)),
        )
        net.fit(*data)  # filterwarnings = error: any warning fails

    def test_no_warning_when_the_weights_are_static(self, data):
        from skorch.callbacks import EarlyStopping

        net = make_net(
            [IncrementalClassWeights(schedule="constant"), EarlyStopping(patience=2)],
            max_epochs=2,
            train_split=predefined_split(Dataset(*data)),
        )
        net.fit(*data)


def test_switch_epoch_beyond_the_run_fails_before_training(data):
    probe = OptimizerProbe()
    net = make_net([IncrementalClassWeights(switch_epoch=6), probe], max_epochs=6)
    with pytest.raises(ValueError, match="switch_epoch=6 is not an epoch of the run"):
        net.fit(*data)
    assert probe.records_ == []  # not one epoch trained
