"""sklprune: neural-network pruning for scikit-learn users."""

from .callbacks import PruningCallback
from .classifier import PrunedClassifier
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
    "FisherStrategy",
    "GradientStrategy",
    "IterativeSchedule",
    "MagnitudeStrategy",
    "OneShotSchedule",
    "PolynomialSchedule",
    "PrunedClassifier",
    "PruningCallback",
    "PruningStrategy",
    "RandomStrategy",
    "Schedule",
]
