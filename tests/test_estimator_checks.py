"""scikit-learn's own estimator checks on IWCEClassifier's defaults."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skiwce import IWCEClassifier, IWCEClassifierCV

EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Stochastic mini-batch training: a sample weighted 2 contributes one doubled loss term "
        "per epoch, while a repeated sample appears in two (usually different) mini-batches and "
        "shifts every later batch, so the two fits follow different optimisation paths."
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "The same as on dense data (sparse X is made dense one batch at a time and trains as "
        "the dense copy does, tested in tests/test_classifier.py::TestSparseInput)."
    ),
    "check_methods_subset_invariance": (
        "The network computes in float32 and matrix-product kernels depend on the batch's size, "
        "so a row's logits (decision_function) can differ in the last bits (measured: 2 ulp, "
        "2.4e-7) between a subset and the whole set, beyond the check's 1e-7; "
        "tests/test_classifier.py::TestDecisionFunction checks subset invariance of every "
        "method at float32's precision."
    ),
}


@parametrize_with_checks(
    [IWCEClassifier()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


CV_EXPECTED_FAILED_CHECKS = {
    **EXPECTED_FAILED_CHECKS,
    "check_sample_weight_equivalence_on_dense_data": (
        EXPECTED_FAILED_CHECKS["check_sample_weight_equivalence_on_dense_data"]
        + " The folds also differ: a repeated row can land in two folds."
    ),
    "check_class_weight_classifiers": (
        "The check sets class weights of 1000 : 0.0001 and expects the predictions to follow "
        "them, but IWCEClassifierCV chooses T by balanced accuracy, which such weights ruin: "
        "on the check's 3-class data T = 10 (the weights from early on) scored 0.333, predicting "
        "class 0 only as the check wants, and T = 1 (plain cross entropy until the last epoch) "
        "0.373, so it picks T = 1. IWCEClassifier itself passes the check."
    ),
}


@parametrize_with_checks(
    [IWCEClassifierCV(Ts=(1.0, 10.0), cv=2)],
    expected_failed_checks=lambda est: CV_EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_cv(estimator, check):
    check(estimator)
