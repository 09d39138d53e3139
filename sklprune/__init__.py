"""sklprune: neural-network pruning for scikit-learn users."""

from .callbacks import PruningCallback
from .classifier import PrunedClassifier
from .classifier_cv import PrunedClassifierCV
from .compaction import compact
from .evaluation import (
    PruningCurveDisplay,
    measure_latency,
    model_size,
    pruning_curve,
    sparsity_report,
)
from .feature_selection import FeatureImportanceDisplay, FeatureImportancePruner
from .schedules import IterativeSchedule, OneShotSchedule, PolynomialSchedule, Schedule
from .strategies import (
    FisherStrategy,
    GradientStrategy,
    MagnitudeStrategy,
    PruningStrategy,
    RandomStrategy,
)

__version__ = "0.1.0"

__all__ = [
    "FeatureImportanceDisplay",
    "FeatureImportancePruner",
    "FisherStrategy",
    "GradientStrategy",
    "IterativeSchedule",
    "MagnitudeStrategy",
    "OneShotSchedule",
    "PolynomialSchedule",
    "PrunedClassifier",
    "PrunedClassifierCV",
    "PruningCallback",
    "PruningCurveDisplay",
    "PruningStrategy",
    "RandomStrategy",
    "Schedule",
    "compact",
    "measure_latency",
    "model_size",
    "pruning_curve",
    "sparsity_report",
]
