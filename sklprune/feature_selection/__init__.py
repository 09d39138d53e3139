"""FeatureImportancePruner: drop the input features a network does not need.

Scoring the input features of a trained model and keeping the best ones is
structured pruning of the input layer: every dropped feature removes a whole column
of the first layer's weights. The target may be class labels or numbers to
regress. Four scores are available:

* ``"permutation"`` — how much a held-out score falls when a feature's values are
  shuffled (any classifier or regressor);
* ``"gradient"`` — input saliency ``mean |dL/dx_j * x_j|`` over the training data
  (a skorch net, :class:`~sklprune.PrunedClassifier` or
  :class:`~sklprune.PrunedRegressor`);
* ``"weight"`` — the norm of feature ``j``'s column in the first ``nn.Linear`` layer
  (the same networks);
* ``"auto"`` — ``coef_`` or ``feature_importances_`` when the estimator has them,
  ``"gradient"`` for a network, ``"permutation"`` otherwise.
"""

from ._pruner import (
    DEFAULT_NETWORK,
    DEFAULT_REGRESSION_NETWORK,
    METHODS,
    FeatureImportancePruner,
)

__all__ = [
    "DEFAULT_NETWORK",
    "DEFAULT_REGRESSION_NETWORK",
    "METHODS",
    "FeatureImportancePruner",
]
