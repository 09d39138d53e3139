"""sklprune: neural-network pruning for scikit-learn users.

The public names are imported on first use, so ``import sklprune`` (and the
``sklprune --help`` command) stays fast until a name that needs torch is touched.
"""

import importlib

__version__ = "0.1.0"

_SOURCES = {
    "FeatureImportanceDisplay": "importance_display",
    "FeatureImportancePruner": "feature_selection",
    "FisherStrategy": "strategies",
    "GradientStrategy": "strategies",
    "IterativeSchedule": "schedules",
    "MagnitudeStrategy": "strategies",
    "OneShotSchedule": "schedules",
    "PolynomialSchedule": "schedules",
    "PrunedClassifier": "classifier",
    "PrunedClassifierCV": "classifier_cv",
    "PrunedRegressor": "regressor",
    "PrunedRegressorCV": "regressor_cv",
    "PruningCallback": "callbacks",
    "PruningCurveDisplay": "curve_display",
    "PruningStrategy": "strategies",
    "RandomStrategy": "strategies",
    "RegressionRobustnessDisplay": "robustness",
    "RobustnessDisplay": "robustness",
    "Schedule": "schedules",
    "compact": "compaction",
    "expected_calibration_error": "robustness",
    "load_pruned": "persistence",
    "measure_latency": "evaluation",
    "model_size": "evaluation",
    "pruning_curve": "pruning_path",
    "robustness_report": "robustness",
    "save_pruned": "persistence",
    "sparsity_report": "evaluation",
    "to_inference": "inference",
}

__all__ = sorted(_SOURCES)


def __getattr__(name):
    if name not in _SOURCES:
        raise AttributeError(f"module 'sklprune' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_SOURCES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
