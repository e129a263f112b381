"""scikit-learn's own estimator checks on IWCEClassifier's defaults."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skiwce import IWCEClassifier

EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Stochastic mini-batch training: a sample weighted 2 contributes one doubled loss term "
        "per epoch, while a repeated sample appears in two (usually different) mini-batches and "
        "shifts every later batch, so the two fits follow different optimisation paths."
    ),
}


@parametrize_with_checks(
    [IWCEClassifier()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
