"""Did pruning hurt? Per-class scores, calibration, errors by quantile, noise and
changed predictions.

Average accuracy hides who pays for the lost weights. Hooker et al. (2019, "What do
compressed deep neural networks forget?") found that pruning costs some classes far
more than the mean, and that the examples whose prediction changes under pruning are
the atypical ones; Liebenwein et al. (2021, "Lost in pruning") found that a sparsity
which keeps test accuracy need not keep accuracy on perturbed input.
:func:`robustness_report` puts both questions, and calibration, to any two fitted
scikit-learn classifiers, and :class:`RobustnessDisplay` draws the answer. For two
regressors the questions become which values of the target pay in error, how the
residuals spread, and which predictions moved; :class:`RegressionRobustnessDisplay`
draws that answer.

This module knows scikit-learn only: the models may be any classifiers with
``predict_proba``, or any regressors, pipelines included, not only
:class:`~sklprune.PrunedClassifier` and :class:`~sklprune.PrunedRegressor`.
"""

from ._display import RobustnessDisplay
from ._metrics import (
    DEFAULT_N_BINS,
    REGRESSION_SCORES,
    SCORES,
    expected_calibration_error,
)
from ._noise import DEFAULT_NOISE_LEVELS
from ._regression import DEFAULT_N_QUANTILES, RegressionRobustnessReport
from ._regression_display import RegressionRobustnessDisplay
from ._report import RobustnessReport, robustness_report
from ._statistics import SIDES

__all__ = [
    "DEFAULT_NOISE_LEVELS",
    "DEFAULT_N_BINS",
    "DEFAULT_N_QUANTILES",
    "REGRESSION_SCORES",
    "SCORES",
    "SIDES",
    "RegressionRobustnessDisplay",
    "RegressionRobustnessReport",
    "RobustnessDisplay",
    "RobustnessReport",
    "expected_calibration_error",
    "robustness_report",
]
