"""The estimators' defaults and accepted names, as read without torch."""

import pytest

from sklprune import PrunedClassifier
from sklprune._defaults import (
    ESTIMATOR_DEFAULTS,
    GRANULARITIES,
    LOSS_NAMES,
    SCHEDULE_NAMES,
    SCOPES,
    STRATEGY_NAMES,
)
from sklprune.losses import LOSSES
from sklprune.schedules import SCHEDULES
from sklprune.strategies import STRATEGIES


def test_estimator_defaults_are_the_classifiers_constructor_defaults():
    assert PrunedClassifier().get_params() == ESTIMATOR_DEFAULTS


@pytest.mark.parametrize(
    "names, registry",
    [
        (STRATEGY_NAMES, STRATEGIES),
        (SCHEDULE_NAMES, SCHEDULES),
        (LOSS_NAMES, LOSSES),
    ],
    ids=["strategies", "schedules", "losses"],
)
def test_names_are_the_registrys_keys_in_its_order(names, registry):
    assert names == tuple(registry)


@pytest.mark.parametrize(
    "names, param",
    [(GRANULARITIES, "granularity"), (SCOPES, "scope")],
)
def test_names_are_the_options_the_classifier_accepts(names, param):
    constraint = PrunedClassifier._parameter_constraints[param][0]
    assert set(names) == constraint.options
