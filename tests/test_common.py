"""scikit-learn's estimator checks over every public estimator.

Every estimator passes every applicable check: the table of expected failures is
empty, and ``xfail_strict`` (pyproject.toml) makes a check that starts passing fail
the suite until it is removed from the table.
"""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from sklprune import (
    FeatureImportancePruner,
    PrunedClassifier,
    PrunedClassifierCV,
    PrunedRegressor,
    PrunedRegressorCV,
)

# Fast configurations: the checks fit hundreds of times on tiny data.
ESTIMATORS = [
    PrunedClassifier(max_epochs=20, finetune_epochs=5, random_state=0),
    PrunedClassifierCV(
        sparsities=(0.0, 0.5),
        cv=2,
        hidden_layer_sizes=(32,),
        lr=0.01,
        max_epochs=10,
        finetune_epochs=2,
        random_state=0,
    ),
    PrunedRegressor(max_epochs=20, finetune_epochs=5, random_state=0),
    PrunedRegressorCV(
        sparsities=(0.0, 0.5),
        cv=2,
        hidden_layer_sizes=(32,),
        lr=0.01,
        max_epochs=10,
        finetune_epochs=2,
        random_state=0,
    ),
    FeatureImportancePruner(random_state=0),
    FeatureImportancePruner(method="permutation", n_repeats=2, random_state=0),
    # With a regressor inside: its input features pruned for numeric targets.
    FeatureImportancePruner(
        PrunedRegressor(
            hidden_layer_sizes=(16,),
            sparsity=0.0,
            max_epochs=5,
            finetune_epochs=0,
            random_state=0,
        ),
        random_state=0,
    ),
]

# {estimator class name: {check name: reason}}; keep it empty unless a check truly
# cannot hold for a stochastic neural network, and say why in one line.
EXPECTED_FAILURES = {}

# {estimator class name: {check name: reason}}: checks whose verdict is decided by
# float rounding rather than by behaviour.
# * Mini-batch training sums a weighted loss and a loss over repeated rows in a
#   different order, so the two fits agree to about 1e-8, at the edge of the check's
#   rtol=1e-7 (scikit-learn marks the same checks for SGDClassifier).
# * Predictions are float32 matrix products, and BLAS sums a row's products in an
#   order that depends on where the row sits in the batch (its blocking): permuted
#   rows agree to about 3e-8, which the check's rtol=1e-7 flips on from run to run.
# tests/test_classifier.py, tests/test_regressor.py and tests/test_predict.py
# assert both at rtol=1e-5.
_WEIGHTS = (
    "weighted and repeated fits agree to ~1e-8; "
    "test_integer_sample_weights_equal_repeated_rows_up_to_float_rounding"
)
_ORDER = (
    "float32 products of permuted rows agree to ~3e-8; "
    "test_predictions_do_not_depend_on_the_order_of_the_rows"
)
_EDGES = {
    "check_sample_weight_equivalence_on_dense_data": _WEIGHTS,
    "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS,
    "check_methods_sample_order_invariance": _ORDER,
}
# The CV estimators' refit is the estimator's fit(sample_weight=...).
ROUNDING_EDGE = {
    "PrunedClassifier": _EDGES,
    "PrunedClassifierCV": _EDGES,
    "PrunedRegressor": _EDGES,
    "PrunedRegressorCV": _EDGES,
}

COMMON_EXTRA_CHECKS = [check_param_validation, check_dataframe_column_names_consistency]
TRANSFORMER_EXTRA_CHECKS = [
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
]


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


def _extra_checks():
    for estimator in ESTIMATORS:
        checks = list(COMMON_EXTRA_CHECKS)
        if hasattr(estimator, "transform"):
            checks += TRANSFORMER_EXTRA_CHECKS
        for check in checks:
            yield pytest.param(
                estimator, check, id=f"{estimator!r}-{check.__name__}".replace("\n", "")
            )


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    reason = ROUNDING_EDGE.get(type(estimator).__name__, {}).get(name)
    if reason:
        pytest.skip(reason)
    check(estimator)


# The set_output checks fit on a DataFrame and transform an array (and the other
# way round) on purpose: scikit-learn's feature-name warnings are what they expect.
@pytest.mark.filterwarnings("ignore:X does not have valid feature names:UserWarning")
@pytest.mark.filterwarnings("ignore:X has feature names, but:UserWarning")
@pytest.mark.parametrize("estimator, check", list(_extra_checks()))
def test_checks_that_parametrize_with_checks_does_not_run(estimator, check):
    check(type(estimator).__name__, estimator)
