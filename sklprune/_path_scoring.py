"""How :func:`~sklprune.pruning_path.pruning_curve` scores the points of a path:
the checked scorer and the name of its score, and the measures beside it
(a classifier's calibration, a regressor's errors)."""

import inspect

from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import (
    check_scoring,
    log_loss,
    mean_absolute_error,
    root_mean_squared_error,
)
from sklearn.metrics._scorer import _BaseScorer

from .robustness import expected_calibration_error

# The test measures besides the score: return_calibration's, return_errors'.
EXTRA_MEASURES = (
    "test_calibration_error",
    "test_log_loss",
    "test_mean_absolute_error",
    "test_root_mean_squared_error",
)


def check_single_scorer(estimator, scoring):
    """The scorer of ``scoring`` (one metric) for ``estimator``."""
    if not (scoring is None or isinstance(scoring, str) or callable(scoring)):
        raise ValueError(
            "scoring must be None, a scorer name or a callable (one metric); got "
            f"{scoring!r}."
        )
    return check_scoring(estimator, scoring=scoring)


def check_scorer_takes_weights(scorer):
    """Refuse, before any fit, a scoring callable that cannot weigh samples."""
    if isinstance(scorer, _BaseScorer):
        return
    parameters = inspect.signature(scorer).parameters.values()
    if not any(
        p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in parameters
    ):
        raise TypeError(
            f"scoring {getattr(scorer, '__name__', scorer)!r} takes no sample_weight "
            "keyword, which pruning_curve passes to weigh the scores of the test "
            "folds: add the keyword, or use a scorer name or make_scorer."
        )


def weighted_score(scorer, estimator, X, y, sample_weight):
    """The score of ``estimator`` on ``X, y``, weighted when weights are given."""
    if sample_weight is None:
        return scorer(estimator, X, y)
    return scorer(estimator, X, y, sample_weight=sample_weight)


def check_extra_measures(estimator, return_calibration, return_errors):
    """Refuse, before any fit, a measure the estimator's task does not have."""
    if return_calibration and not is_classifier(estimator):
        raise ValueError(
            "return_calibration=True measures the calibration of a classifier's "
            f"probabilities, and {type(estimator).__name__} is not a classifier; "
            "use return_errors=True for a regressor's errors."
        )
    if return_errors and not is_regressor(estimator):
        raise ValueError(
            "return_errors=True measures a regressor's errors, and "
            f"{type(estimator).__name__} is not a regressor; use "
            "return_calibration=True for a classifier."
        )


def score_name(estimator, scoring):
    """A label of the score: the estimator's own, or the scorer's name."""
    if scoring is None:
        return "R²" if is_regressor(estimator) else "Accuracy"
    name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "")
    if not name or name == "<lambda>":
        return "Score"
    if name == "r2":
        return "R²"
    if name.startswith("neg_"):
        name = "negative " + name[4:]
    return name.replace("_", " ").capitalize()


def calibration(estimator, X_test, y_test):
    """A classifier's calibration error (15 bins) and log-loss on a test fold."""
    proba = estimator.predict_proba(X_test)
    return {
        "test_calibration_error": expected_calibration_error(
            y_test, proba, labels=estimator.classes_
        ),
        "test_log_loss": log_loss(y_test, proba, labels=estimator.classes_),
    }


def errors(estimator, X_test, y_test, w_test):
    """A regressor's mean absolute and root mean squared error on a test fold."""
    predicted = estimator.predict(X_test)
    return {
        "test_mean_absolute_error": mean_absolute_error(
            y_test, predicted, sample_weight=w_test
        ),
        "test_root_mean_squared_error": root_mean_squared_error(
            y_test, predicted, sample_weight=w_test
        ),
    }
