"""The estimators' defaults and accepted names, as read without torch."""

import pytest

from sklprune import PrunedClassifier, PrunedRegressor, masks
from sklprune._defaults import (
    BUDGETS,
    ESTIMATOR_DEFAULTS,
    GRANULARITIES,
    GROUP_REDUCTIONS,
    LOSS_NAMES,
    REGRESSION_LOSS_NAMES,
    REGRESSOR_DEFAULTS,
    SCHEDULE_NAMES,
    SCOPES,
    STRATEGY_NAMES,
)
from sklprune.losses import LOSSES, REGRESSION_LOSSES
from sklprune.schedules import SCHEDULES
from sklprune.strategies import STRATEGIES


def test_estimator_defaults_are_the_classifiers_constructor_defaults():
    assert PrunedClassifier().get_params() == ESTIMATOR_DEFAULTS


def test_the_regressors_defaults_differ_from_the_classifiers_in_the_loss_only():
    assert PrunedRegressor().get_params() == REGRESSOR_DEFAULTS
    differ = {
        name
        for name in ESTIMATOR_DEFAULTS
        if REGRESSOR_DEFAULTS.get(name, "missing") != ESTIMATOR_DEFAULTS[name]
    }
    assert differ == {"loss", "class_weight"}
    assert "class_weight" not in REGRESSOR_DEFAULTS


@pytest.mark.parametrize(
    "names, registry",
    [
        (STRATEGY_NAMES, STRATEGIES),
        (SCHEDULE_NAMES, SCHEDULES),
        (LOSS_NAMES, LOSSES),
        (REGRESSION_LOSS_NAMES, REGRESSION_LOSSES),
    ],
    ids=["strategies", "schedules", "losses", "regression losses"],
)
def test_names_are_the_registrys_keys_in_its_order(names, registry):
    assert names == tuple(registry)


@pytest.mark.parametrize(
    "names, param",
    [
        (GRANULARITIES, "granularity"),
        (SCOPES, "scope"),
        (BUDGETS, "budget"),
        (GROUP_REDUCTIONS, "group_reduction"),
    ],
)
def test_names_are_the_options_the_classifier_accepts(names, param):
    constraint = PrunedClassifier._parameter_constraints[param][0]
    assert set(names) == constraint.options


def test_budgets_and_group_reductions_are_the_masks_packages():
    assert BUDGETS == masks.BUDGETS
    assert GROUP_REDUCTIONS == masks.GROUP_REDUCTIONS
