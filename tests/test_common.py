"""scikit-learn's estimator checks over every public estimator."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from sklprune import PrunedClassifier

# Small nets and few epochs: the checks fit hundreds of times.
FAST = {"max_epochs": 20, "finetune_epochs": 5}

ESTIMATORS = [PrunedClassifier(random_state=0, **FAST)]

EXPECTED_FAILURES = {
    "PrunedClassifier": {},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "check",
    [check_param_validation, check_dataframe_column_names_consistency],
    ids=lambda c: c.__name__,
)
def test_checks_that_parametrize_with_checks_does_not_run(estimator, check):
    check(type(estimator).__name__, estimator)
