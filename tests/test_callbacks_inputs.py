"""Hostile inputs to IncrementalClassWeights (with IWCELoss) in a plain skorch
NeuralNetClassifier, and its state across a skorch checkpoint.

The rules every case follows are in ``_hostile.py``.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _hostile import (
    Case,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
    with_value,
)
from skorch import NeuralNetClassifier
from torch import nn

from skiwce import IncrementalClassWeights, IWCELoss


def skorch_fit(net_criterion=IWCELoss, **cb_params):
    """``run`` for a plain skorch net with IWCELoss and IncrementalClassWeights."""

    def run(X, y, **net_params):
        net = NeuralNetClassifier(
            nn.Linear(X.shape[1], 3),
            criterion=net_criterion,
            max_epochs=2,
            batch_size=16,
            lr=0.01,
            train_split=None,
            verbose=0,
            callbacks=[("iwce", IncrementalClassWeights(**cb_params))],
            **net_params,
        )
        return net.fit(X, y)

    return run


class PlainCE(nn.Module):
    """A criterion with no ``weight``: IncrementalClassWeights has nothing to schedule."""

    def forward(self, input, target):
        return F.cross_entropy(input, target)


CASES = [
    # ---- IncrementalClassWeights + IWCELoss in a plain skorch NeuralNetClassifier --------------
    Case("skorch-T-negative", skorch_fit(T=-1), raises=ValueError, match="T must be a float > 0"),
    Case("skorch-T-nan", skorch_fit(T=math.nan), raises=ValueError, match="T must be a float > 0"),
    Case(
        "skorch-T-1e308",
        skorch_fit(T=1e308),
        check=lambda net: net.history[:, "alpha"] == [1.0, 1.0],
    ),
    Case(
        "skorch-schedule-unknown",
        skorch_fit(schedule="cosine"),
        raises=ValueError,
        match="schedule must be one of",
    ),
    Case(
        "skorch-class-weight-negative",
        skorch_fit(class_weight=[1.0, -2.0, 1.0]),
        raises=ValueError,
        match="class_weight costs must be finite and positive",
    ),
    Case(
        "skorch-normalize-unknown",
        skorch_fit(normalize="l2"),
        raises=ValueError,
        match="normalize must be one of",
    ),
    Case(
        "skorch-beta-1",
        skorch_fit(class_weight="effective_number", beta=1.0),
        raises=ValueError,
        match=r"beta must be a float in \[0, 1\)",
    ),
    Case(
        "skorch-classes-fewer-than-labels",
        skorch_fit(classes=[0, 1]),
        raises=ValueError,
        match=r"class indices in \[0, 2\)",
    ),
    Case(
        "skorch-labels-not-indices",
        skorch_fit(),
        make=lambda X, y: {"X": X, "y": y + 1},
        raises=ValueError,
        match=r"class indices in \[0, 3\)",
    ),
    Case(
        "skorch-labels-strings",
        skorch_fit(),
        make=lambda X, y: {"X": X, "y": np.array(["a", "b", "c"])[y]},
        raises=ValueError,
        match="integer class indices",
    ),
    Case(
        "skorch-labels-float",
        skorch_fit(),
        make=lambda X, y: {"X": X, "y": y.astype(np.float32)},
        raises=RuntimeError,
        match="expected target dtype to be Long",
        torch_ok="skorch's documented contract: classifier targets are int64 class indices",
    ),
    Case(
        "skorch-criterion-name-unknown",
        skorch_fit(criterion="loss"),
        raises=ValueError,
        match="criterion",
    ),
    Case(
        "skorch-criterion-without-weight",
        skorch_fit(net_criterion=PlainCE),
        raises=ValueError,
        match="weight",
    ),
    Case(
        "skorch-criterion-weight-wrong-length",
        lambda X, y: skorch_fit()(X, y, criterion__weight=torch.ones(2)),
        raises=ValueError,
        match=r"criterion's weight has shape \(2,\) but there are 3 classes",
    ),
    Case(
        "skorch-n-epochs-0",
        skorch_fit(n_epochs=0),
        raises=ValueError,
        match="n_epochs",
    ),
    Case(
        "skorch-X-nan-trains-to-nan",
        skorch_fit(),
        make=lambda X, y: {"X": with_value(X, np.nan), "y": y},
        # Documented: skorch does not validate X (IWCEClassifier does, see fit-X-nan).
        check=lambda net: all(math.isnan(v) for v in net.history[:, "train_loss"]),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)


# -- persistence ---------------------------------------------------------------------------------


class TestPersistence:
    def test_skorch_checkpoint_resume(self, data, tmp_path):
        from skorch.callbacks import Checkpoint, LoadInitState

        X, y = data
        checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)  # save every epoch

        def make_net():
            return NeuralNetClassifier(
                nn.Linear(5, 3),
                criterion=IWCELoss,
                max_epochs=2,
                train_split=None,
                verbose=0,
                callbacks=[IncrementalClassWeights(T=1.0), checkpoint, LoadInitState(checkpoint)],
            )

        make_net().fit(X, y)
        resumed = make_net().fit(X, y)
        assert len(resumed.history) == 4  # the loaded history goes on, and so does the schedule
        assert resumed.history[-1, "alpha"] == 1.0
