import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skiwce import IWCELoss
from skiwce.losses import FocalLoss, LDAMLoss, LogitAdjustedLoss


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(6, 3, generator=g), torch.tensor([0, 1, 2, 0, 0, 1])


class TestIWCELoss:
    def test_is_cross_entropy_subclass(self):
        # skorch applies softmax in predict_proba for CrossEntropyLoss subclasses.
        assert isinstance(IWCELoss(), torch.nn.CrossEntropyLoss)

    def test_no_weight_is_cross_entropy(self, batch):
        torch.testing.assert_close(IWCELoss()(*batch), F.cross_entropy(*batch))

    def test_plain_mean(self, batch):
        w = torch.tensor([1.0, 2.0, 3.0])
        per = F.cross_entropy(*batch, reduction="none") * w[batch[1]]
        torch.testing.assert_close(IWCELoss(weight=w)(*batch), per.mean())

    def test_weight_is_a_buffer(self):
        loss = IWCELoss(weight=torch.ones(3))
        assert "weight" in dict(loss.named_buffers())

    def test_bad_reduction(self):
        with pytest.raises(ValueError, match="reduction must be one of"):
            IWCELoss(reduction="avg")


class TestFocalLoss:
    def test_gamma_zero_is_cross_entropy(self, batch):
        torch.testing.assert_close(FocalLoss(gamma=0.0)(*batch), F.cross_entropy(*batch))

    @pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 0.99, 1.0, 2.0])
    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_finite_gradient_when_a_probability_rounds_to_one(self, gamma, dtype):
        # p_y = 1 exactly in floating point: (1 - p) ** gamma has an infinite derivative at 0
        # for gamma < 1, which must not turn into NaN gradients.
        logits = torch.tensor([[1000.0, 0.0, 0.0], [0.5, 0.0, -0.5]], dtype=dtype)
        logits.requires_grad_(True)
        loss = FocalLoss(gamma=gamma)(logits, torch.tensor([0, 1]))
        loss.backward()
        assert torch.isfinite(loss) and torch.all(torch.isfinite(logits.grad))
        # The confident sample contributes (almost) nothing; the other one its focal gradient.
        assert logits.grad[0].abs().max() < 1e-20
        assert logits.grad[1].abs().max() > 1e-3

    @pytest.mark.parametrize("gamma", [0.5, 2.0])
    def test_matches_the_formula(self, batch, gamma):
        logits, target = batch
        p = F.softmax(logits.double(), dim=1)[torch.arange(6), target]
        expected = (-((1 - p) ** gamma) * torch.log(p)).mean()
        torch.testing.assert_close(
            FocalLoss(gamma=gamma)(logits.double(), target), expected, rtol=1e-12, atol=0
        )

    def test_down_weights_easy_samples(self, batch):
        assert FocalLoss(gamma=2.0)(*batch) < F.cross_entropy(*batch)

    def test_bad_gamma(self):
        with pytest.raises(ValueError, match="gamma must be >= 0"):
            FocalLoss(gamma=-1)


class TestLDAMLoss:
    def test_margins(self):
        loss = LDAMLoss(class_counts=[1000, 100, 10], max_margin=0.5)
        m = loss.margins.numpy()
        assert m[2] == pytest.approx(0.5)
        np.testing.assert_allclose(m / m[2], (np.array([1000, 100, 10]) / 10) ** -0.25)

    def test_hand_computation(self, batch):
        logits, target = batch
        loss = LDAMLoss(class_counts=[4, 2, 1], s=10.0)
        shifted = logits.clone()
        for j, t in enumerate(target.tolist()):
            shifted[j, t] -= float(loss.margins[t])
        torch.testing.assert_close(loss(logits, target), F.cross_entropy(10.0 * shifted, target))

    def test_bad_counts(self):
        with pytest.raises(ValueError, match="class_counts must be one positive count"):
            LDAMLoss(class_counts=[3, 0])


class TestLogitAdjustedLoss:
    def test_adds_log_prior(self, batch):
        logits, target = batch
        counts = np.array([6.0, 3.0, 1.0])
        expected = F.cross_entropy(logits + torch.log(torch.tensor(counts / 10)).float(), target)
        torch.testing.assert_close(LogitAdjustedLoss(class_counts=counts)(*batch), expected)
