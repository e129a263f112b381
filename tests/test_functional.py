import math
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight

from skiwce.functional import (
    alpha_schedule,
    balanced_weights,
    blend_class_weights,
    check_class_weight,
    check_schedule,
    class_counts,
    effective_number_weights,
    exponential_alpha,
    iwce_loss,
    linear_alpha,
    normalize_class_weights,
    resolve_switch_epoch,
    step_alpha,
    target_class_weights,
)

counts_st = st.lists(st.integers(1, 10_000), min_size=2, max_size=12)


class TestClassCounts:
    def test_counts_all_classes(self):
        assert class_counts(np.array([1, 1, 3]), 5).tolist() == [0, 2, 0, 1, 0]

    def test_out_of_range(self):
        with pytest.raises(ValueError, match=r"class indices in \[0, 2\)"):
            class_counts([0, 2], 2)

    def test_non_integer(self):
        with pytest.raises(ValueError, match="integer class indices"):
            class_counts([0.5, 1.0], 2)

    def test_weighted_counts_give_sklearns_weighted_balanced_weights(self):
        rng = np.random.RandomState(0)
        y = rng.randint(0, 3, 200)
        w = rng.rand(200) * (y != 1) + (y == 1) * 0.1
        counts = class_counts(y, 3, sample_weight=w)
        assert counts.dtype == np.float64
        np.testing.assert_allclose(counts, [w[y == c].sum() for c in range(3)])
        expected = compute_class_weight("balanced", classes=np.arange(3), y=y, sample_weight=w)
        np.testing.assert_allclose(balanced_weights(counts), expected, rtol=1e-12)

    @pytest.mark.parametrize(
        ("w", "match"),
        [([1.0, 2.0], r"shape \(3,\)"), ([1.0, -1.0, 1.0], "non-negative")],
    )
    def test_weighted_counts_bad_weights(self, w, match):
        with pytest.raises(ValueError, match=match):
            class_counts([0, 1, 1], 2, sample_weight=w)


class TestBalancedWeights:
    def test_equals_sklearn(self):
        y = np.repeat([0, 1, 2], [800, 400, 1000])
        expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
        np.testing.assert_allclose(balanced_weights(class_counts(y, 3)), expected, rtol=1e-15)

    def test_paper_figure_4_sum_to_one(self):
        # Fig. 4 of the paper: a 10:1 problem gives minority 0.9 and majority 0.09 after sum-to-1.
        w = normalize_class_weights(balanced_weights([10, 1]), [10, 1], "sum")
        np.testing.assert_allclose(w, [1 / 11, 10 / 11])

    def test_empty_class_is_finite_and_warns(self):
        with pytest.warns(UserWarning, match=r"Classes \[1\] have no training samples"):
            w = balanced_weights([10, 0, 5])
        assert np.all(np.isfinite(w))
        assert w[1] == 15 / 3

    @settings(max_examples=50, deadline=None)
    @given(counts_st)
    def test_expected_sample_weight_is_one(self, counts):
        counts = np.asarray(counts)
        w = balanced_weights(counts)
        assert np.all(w > 0) and np.all(np.isfinite(w))
        assert math.isclose(float(counts @ w) / counts.sum(), 1.0, rel_tol=1e-12)


class TestEffectiveNumber:
    def test_beta_zero_gives_equal_weights(self):
        np.testing.assert_allclose(effective_number_weights([100, 1, 7], beta=0.0), [1, 1, 1])

    def test_rarer_class_weighs_more_and_sums_to_c(self):
        w = effective_number_weights([1000, 10], beta=0.999)
        assert w[1] > w[0]
        assert math.isclose(w.sum(), 2.0)

    @pytest.mark.parametrize("beta", [-0.1, 1.0, float("nan")])
    def test_bad_beta(self, beta):
        with pytest.raises(ValueError, match="beta must be a float in"):
            effective_number_weights([3, 4], beta=beta)


class TestNormalize:
    def test_prior_keeps_unit_weights_exactly(self):
        counts = np.array([7, 3, 1000001])
        assert normalize_class_weights(np.ones(3), counts, "prior").tolist() == [1.0, 1.0, 1.0]

    def test_none_copies(self):
        w = np.array([1.0, 2.0])
        out = normalize_class_weights(w, [1, 1], None)
        out[0] = 5
        assert w[0] == 1.0

    def test_unknown(self):
        with pytest.raises(ValueError, match="normalize must be one of"):
            normalize_class_weights([1, 2], [1, 1], "max")

    def test_zero_mass(self):
        with pytest.raises(ValueError, match="no weight to any training sample"):
            normalize_class_weights([0.0, 1.0], [5, 0], "prior")


class TestCheckClassWeight:
    def test_dict_by_label(self):
        out = check_class_weight({"b": 3.0}, classes=np.array(["a", "b", "c"]))
        assert out.tolist() == [1.0, 3.0, 1.0]

    def test_dict_unknown_key(self):
        with pytest.raises(ValueError, match=r"keys \['z'\] that are not class labels"):
            check_class_weight({"z": 1.0}, classes=["a", "b"])

    def test_dict_keys_of_absent_classes_ignored_when_all_present_are_covered(self):
        # A cross-validation fold without the rare class "c": as scikit-learn, no error.
        out = check_class_weight({"a": 1.0, "b": 2.0, "c": 9.0}, classes=np.array(["a", "b"]))
        assert out.tolist() == [1.0, 2.0]

    def test_array_shape(self):
        with pytest.raises(ValueError, match=r"shape \(3,\)"):
            check_class_weight([1.0, 2.0], classes=[0, 1, 2])

    @pytest.mark.parametrize("bad", [[1.0, -1.0], [1.0, np.inf], [np.nan, 1.0], [0.0, 1.0]])
    def test_costs_positive_finite(self, bad):
        with pytest.raises(ValueError, match="finite and positive"):
            check_class_weight(bad, classes=[0, 1])

    def test_unknown_strategy_lists_valid(self):
        with pytest.raises(ValueError, match="'balanced', 'effective_number'"):
            check_class_weight("inverse", classes=[0, 1])

    def test_none_is_unit(self):
        assert check_class_weight(None, classes=[0, 1]).tolist() == [1.0, 1.0]

    def test_target_from_costs_copies(self):
        costs = np.array([1.0, 2.0])
        out = target_class_weights([3, 4], costs)
        out[0] = 9
        assert costs[0] == 1.0


class TestBlend:
    def test_endpoints(self):
        target = balanced_weights([10, 1])
        assert blend_class_weights(0.0, target, [10, 1]).tolist() == [1.0, 1.0]
        np.testing.assert_allclose(blend_class_weights(1.0, target, [10, 1]), target)

    @pytest.mark.parametrize("alpha", [-0.01, 1.01, float("nan")])
    def test_alpha_range(self, alpha):
        with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
            blend_class_weights(alpha, [1.0, 2.0], [1, 1])

    @settings(max_examples=50, deadline=None)
    @given(counts_st, st.floats(0, 1))
    def test_expected_sample_weight_invariant(self, counts, alpha):
        counts = np.asarray(counts)
        w = blend_class_weights(alpha, balanced_weights(counts), counts)
        assert np.all(w > 0) and np.all(np.isfinite(w))
        assert math.isclose(float(counts @ w) / counts.sum(), 1.0, rel_tol=1e-9)

    @settings(max_examples=30, deadline=None)
    @given(counts_st, st.floats(0, 1))
    def test_sum_normalisation(self, counts, alpha):
        w = blend_class_weights(alpha, balanced_weights(counts), counts, normalize="sum")
        assert math.isclose(w.sum(), 1.0, rel_tol=1e-9)


class TestSchedules:
    def test_exponential_formula(self):
        for e in range(10):
            assert exponential_alpha(e, 10, T=3.0) == pytest.approx(math.exp((e - 9) / 3.0))
        assert exponential_alpha(9, 10, T=3.0) == 1.0

    def test_paper_values(self):
        # The paper: alpha(0) = e^(-E/T) = 0.018 for T = 50 with E = 200.
        assert exponential_alpha(0, 201, T=50) == pytest.approx(math.exp(-4))

    def test_limits(self):
        assert alpha_schedule(5, T=1e-6) == [0.0, 0.0, 0.0, 0.0, 1.0]
        assert alpha_schedule(5, T=float("inf")) == [1.0] * 5

    def test_switch_epoch_clamps(self):
        alphas = alpha_schedule(10, T=2.0, switch_epoch=4)
        assert alphas[4:] == [1.0] * 6
        assert alphas[3] == pytest.approx(math.exp(-0.5))

    def test_step_default_is_80_percent(self):
        assert alpha_schedule(11, "step") == [0.0] * 8 + [1.0] * 3
        assert step_alpha(3, 10, switch_epoch=3) == 1.0

    def test_linear(self):
        assert linear_alpha(2, 10, switch_epoch=4) == 0.5
        assert linear_alpha(0, 1) == 1.0

    def test_constant(self):
        assert alpha_schedule(3, "constant") == [1.0, 1.0, 1.0]

    def test_callable_checked(self):
        assert alpha_schedule(2, lambda e, n: e / (n - 1)) == [0.0, 1.0]
        with pytest.raises(ValueError, match=r"returned alpha=2 at epoch 0"):
            alpha_schedule(2, lambda e, n: 2)

    def test_unknown_lists_valid(self):
        with pytest.raises(ValueError, match="'exponential', 'step', 'linear', 'constant'"):
            check_schedule("cosine")

    @pytest.mark.parametrize("T", [0, -1.0, float("nan"), "10", True])
    def test_bad_T(self, T):
        with pytest.raises(ValueError, match="T must be a float > 0"):
            check_schedule("exponential", T=T)

    @pytest.mark.parametrize("switch", [-1, 1.5, "3"])
    def test_bad_switch_epoch(self, switch):
        with pytest.raises(ValueError, match="switch_epoch must be"):
            check_schedule("step", switch_epoch=switch)

    def test_resolve_switch_epoch(self):
        assert resolve_switch_epoch(0.5, 11) == 5
        assert resolve_switch_epoch(1.0, 11) == 10
        assert resolve_switch_epoch(3, 11) == 3
        assert resolve_switch_epoch(0.0, 11) == 0

    @pytest.mark.parametrize(
        ("fraction", "n_epochs", "expected"),
        # 0.29 * 100 and 0.7 * 90 are 28.99... and 62.99... in floating point.
        [(0.29, 101, 29), (0.57, 101, 57), (0.7, 91, 63), (0.5, 10, 5), (0.1, 31, 3)],
    )
    def test_fraction_is_the_first_epoch_at_or_after_it(self, fraction, n_epochs, expected):
        assert resolve_switch_epoch(fraction, n_epochs) == expected

    @pytest.mark.parametrize(("n_epochs", "first"), [(200, 160), (20, 16), (10, 8), (5, 4)])
    def test_drw_reweights_the_last_fifth_as_cao_et_al(self, n_epochs, first):
        # LDAM-DRW: 200 epochs, re-weighting from epoch 160 (0-based): the last 40 epochs.
        alphas = alpha_schedule(n_epochs, "step")
        assert alphas.index(1.0) == first

    def test_pickles(self):
        sched = pickle.loads(pickle.dumps(check_schedule("exponential", T=4.0)))
        assert sched(9, 10) == 1.0

    @settings(max_examples=60, deadline=None)
    @given(
        st.integers(1, 300),
        st.floats(1e-3, 1e3) | st.just(float("inf")),
        st.sampled_from(["exponential", "step", "linear", "constant"]),
        st.none() | st.floats(0, 1),
    )
    def test_alpha_bounded_monotone_and_one_at_switch(self, n, T, name, switch):
        alphas = alpha_schedule(n, name, T=T, switch_epoch=switch)
        assert all(0.0 <= a <= 1.0 for a in alphas)
        assert all(a <= b for a, b in zip(alphas, alphas[1:], strict=False))
        default = 0.8 if name == "step" else None
        e_s = resolve_switch_epoch(switch, n, default=default)
        assert alphas[min(e_s, n - 1)] == 1.0
        assert alphas[-1] == 1.0


class TestIWCELossFunction:
    def setup_method(self):
        g = torch.Generator().manual_seed(0)
        self.logits = torch.randn(7, 3, generator=g)
        self.target = torch.tensor([0, 1, 2, 2, 1, 0, 0])
        self.w = torch.tensor([0.5, 2.0, 4.0])

    def test_hand_computation(self):
        p = torch.softmax(self.logits, 1)
        hand = -sum(
            self.w[t] * torch.log(p[j, t]) for j, t in enumerate(self.target.tolist())
        ) / len(self.target)
        torch.testing.assert_close(iwce_loss(self.logits, self.target, self.w), hand)

    def test_differs_from_torch_weighted_mean(self):
        ours = iwce_loss(self.logits, self.target, self.w)
        torchs = F.cross_entropy(self.logits, self.target, weight=self.w)
        assert not torch.isclose(ours, torchs)
        # ... and torch's reduction divides by the summed weights of the batch.
        torch.testing.assert_close(ours * len(self.target) / self.w[self.target].sum(), torchs)
        torch.testing.assert_close(
            iwce_loss(self.logits, self.target, self.w, reduction="weighted_mean"), torchs
        )

    def test_weighted_mean_of_an_all_zero_weight_batch_is_zero_not_nan(self):
        logits = self.logits.clone().requires_grad_(True)
        zeros = torch.zeros(len(self.target))
        loss = iwce_loss(
            logits, self.target, self.w, sample_weight=zeros, reduction="weighted_mean"
        )
        loss.backward()
        assert loss.item() == 0.0
        assert torch.equal(logits.grad, torch.zeros_like(logits))

    def test_global_scale_matters_for_mean_only(self):
        a = iwce_loss(self.logits, self.target, self.w)
        b = iwce_loss(self.logits, self.target, 2 * self.w)
        torch.testing.assert_close(b, 2 * a)

    def test_unit_weights_equal_cross_entropy(self):
        torch.testing.assert_close(
            iwce_loss(self.logits, self.target, torch.ones(3)),
            F.cross_entropy(self.logits, self.target),
        )

    def test_sample_weight(self):
        sw = torch.arange(7, dtype=torch.float32)
        per = iwce_loss(self.logits, self.target, self.w, reduction="none")
        torch.testing.assert_close(
            iwce_loss(self.logits, self.target, self.w, sample_weight=sw), (per * sw).mean()
        )
        torch.testing.assert_close(
            iwce_loss(self.logits, self.target, self.w, sample_weight=sw, reduction="sum"),
            (per * sw).sum(),
        )

    def test_bad_reduction(self):
        with pytest.raises(ValueError, match="reduction must be one of"):
            iwce_loss(self.logits, self.target, reduction="avg")
