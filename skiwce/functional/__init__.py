"""The functional core: class weights, alpha schedules and the loss, with no skorch import.

Everything the skorch pieces (:class:`skiwce.IWCELoss`, :class:`skiwce.IncrementalClassWeights`)
and the estimator do to the weights is one of these functions, so they can be tested and reused on
their own.
"""

from ._loss import REDUCTIONS, iwce_loss
from ._schedules import (
    SCHEDULES,
    alpha_schedule,
    check_schedule,
    exponential_alpha,
    linear_alpha,
    resolve_switch_epoch,
    step_alpha,
)
from ._weights import (
    NORMALIZATIONS,
    WEIGHT_STRATEGIES,
    balanced_weights,
    blend_class_weights,
    check_class_weight,
    class_counts,
    effective_number_weights,
    normalize_class_weights,
    target_class_weights,
)

__all__ = [
    "NORMALIZATIONS",
    "REDUCTIONS",
    "SCHEDULES",
    "WEIGHT_STRATEGIES",
    "alpha_schedule",
    "balanced_weights",
    "blend_class_weights",
    "check_class_weight",
    "check_schedule",
    "class_counts",
    "effective_number_weights",
    "exponential_alpha",
    "iwce_loss",
    "linear_alpha",
    "normalize_class_weights",
    "resolve_switch_epoch",
    "step_alpha",
    "target_class_weights",
]
