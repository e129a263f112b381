"""Hostile inputs to skiwce.functional (iwce_loss, the class weights and the alpha schedules),
and its properties.

The rules every case follows are in ``_hostile.py``.
"""

import math

import numpy as np
import pytest
import torch
from _hostile import (
    Case,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from skiwce.functional import (
    alpha_schedule,
    balanced_weights,
    blend_class_weights,
    check_schedule,
    class_counts,
    effective_number_weights,
    exponential_alpha,
    iwce_loss,
    normalize_class_weights,
)


def logits_make(n_classes=3, n=4):
    def make(X, y):
        g = torch.Generator().manual_seed(0)
        return {
            "input": torch.randn(n, n_classes, generator=g),
            "target": torch.tensor([0, 1, 2, 2][:n]),
        }

    return make


CASES = [
    # ---- the functional core: iwce_loss, class weights, schedules -----------------------------
    Case(
        "loss-weight-too-long",
        lambda input, target: iwce_loss(input, target, torch.ones(4)),
        make=logits_make(),
        raises=ValueError,
        match="weight",
    ),
    Case(
        "loss-weight-too-short",
        lambda input, target: iwce_loss(input, target, torch.ones(2)),
        make=logits_make(),
        raises=ValueError,
        match="weight",
    ),
    Case(
        "loss-sample-weight-wrong-length",
        lambda input, target: iwce_loss(input, target, sample_weight=torch.ones(3)),
        make=logits_make(),
        raises=ValueError,
        match="sample_weight",
    ),
    Case(
        "loss-target-out-of-range",
        lambda input, target: iwce_loss(input, target + 1),
        make=logits_make(),
        raises=IndexError,
        match="Target 3 is out of bounds",
        torch_ok="iwce_loss is a torch function; torch's message names the bad target",
    ),
    Case(
        "loss-nan-logits-propagate",
        lambda input, target: iwce_loss(input * math.nan, target),
        make=logits_make(),
        check=lambda loss: bool(torch.isnan(loss)),
    ),
    Case(
        "balanced-weights-negative-count",
        lambda counts: balanced_weights(counts),
        make=lambda X, y: {"counts": np.array([-1, 5])},
        raises=ValueError,
        match="count",
    ),
    Case(
        "balanced-weights-nan-count",
        lambda counts: balanced_weights(counts),
        make=lambda X, y: {"counts": np.array([np.nan, 5.0])},
        raises=ValueError,
        match="count",
    ),
    Case(
        "effective-number-negative-count",
        lambda counts: effective_number_weights(counts),
        make=lambda X, y: {"counts": np.array([-1, 5])},
        raises=ValueError,
        match="count",
    ),
    Case(
        "normalize-infinite-weight",
        lambda weights: normalize_class_weights(weights, [1, 1], "sum"),
        make=lambda X, y: {"weights": np.array([np.inf, 1.0])},
        raises=ValueError,
        match="finite",
    ),
    Case(
        "blend-negative-target",
        lambda target: blend_class_weights(1.0, target, [1, 1], normalize=None),
        make=lambda X, y: {"target": np.array([-1.0, 3.0])},
        raises=ValueError,
        match="(?i)negative|non-negative|positive",
    ),
    Case(
        "class-counts-strings",
        lambda y: class_counts(y, 2),
        make=lambda X, y: {"y": np.array(["a", "b"])},
        raises=ValueError,
        match="integer class indices",
    ),
    Case(
        "alpha-schedule-0-epochs",
        lambda: alpha_schedule(0),
        make=lambda X, y: {},
        raises=ValueError,
        match="n_epochs must be an int >= 1",
    ),
    Case(
        "schedule-callable-returns-inf",
        lambda: check_schedule(lambda e, n: math.inf)(0, 3),
        make=lambda X, y: {},
        raises=ValueError,
        match="alpha must be a float in",
    ),
    Case(
        "exponential-alpha-subnormal-T",
        lambda: [exponential_alpha(e, 3, T=5e-324) for e in range(3)],
        make=lambda X, y: {},
        check=lambda a: a == [0.0, 0.0, 1.0],
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)


# -- more properties ---------------------------------------------------------------------------

small_counts = st.lists(st.integers(1, 50), min_size=2, max_size=6)


class TestProperties:
    @settings(max_examples=30, deadline=None)
    @given(small_counts, st.floats(0, 1))
    def test_uniform_logits_give_log_C_for_every_alpha(self, counts, alpha):
        # The per-sample-mean invariant carried to the loss: over the training set, prior-
        # normalised weights average to 1, so uninformative logits cost log(C) at any alpha.
        counts = np.asarray(counts)
        target = torch.repeat_interleave(torch.arange(len(counts)), torch.as_tensor(counts))
        w = torch.as_tensor(blend_class_weights(alpha, balanced_weights(counts), counts))
        logits = torch.zeros(len(target), len(counts), dtype=torch.float64)
        loss = iwce_loss(logits, target, w)
        assert math.isclose(loss.item(), math.log(len(counts)), rel_tol=1e-9)

    @settings(max_examples=30, deadline=None)
    @given(small_counts, st.floats(0, 0.9999))
    def test_effective_number_finite_positive_and_order_reversing(self, counts, beta):
        w = effective_number_weights(counts, beta=beta)
        assert np.all(np.isfinite(w)) and np.all(w > 0)
        assert math.isclose(w.sum(), len(counts), rel_tol=1e-9)
        order = np.argsort(counts, kind="stable")
        assert np.all(np.diff(w[order]) <= 1e-12 * w.max())  # more samples, no larger weight

    @settings(max_examples=30, deadline=None)
    @given(small_counts, st.randoms(use_true_random=False))
    def test_balanced_weights_permute_with_the_classes(self, counts, random):
        perm = list(range(len(counts)))
        random.shuffle(perm)
        w = balanced_weights(counts)
        np.testing.assert_allclose(balanced_weights(np.asarray(counts)[perm]), w[perm])
        rare, common = int(np.argmin(counts)), int(np.argmax(counts))
        assert w[rare] >= w[common]

    @settings(max_examples=40, deadline=None)
    @given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda a: not 0 <= a <= 1))
    def test_callable_schedule_outside_unit_interval_is_rejected(self, alpha):
        with pytest.raises(ValueError, match=r"alpha must be a float in \[0, 1\]"):
            check_schedule(lambda e, n: alpha)(0, 5)

    @settings(max_examples=30, deadline=None)
    @given(st.integers(1, 12), st.floats(1e-3, 1e3), st.integers(0, 2**16))
    def test_reductions_agree_and_weighted_mean_ignores_scale(self, n, scale, seed):
        g = torch.Generator().manual_seed(seed)
        logits = torch.randn(n, 3, generator=g, dtype=torch.float64)
        target = torch.randint(0, 3, (n,), generator=g)
        w = torch.rand(3, generator=g, dtype=torch.float64) + 0.1
        per = iwce_loss(logits, target, w, reduction="none")
        torch.testing.assert_close(iwce_loss(logits, target, w, reduction="sum"), per.sum())
        torch.testing.assert_close(iwce_loss(logits, target, w), per.mean())
        torch.testing.assert_close(
            iwce_loss(logits, target, scale * w, reduction="weighted_mean"),
            iwce_loss(logits, target, w, reduction="weighted_mean"),
        )
