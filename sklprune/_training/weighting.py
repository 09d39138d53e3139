"""Per-sample weights in training: from ``sample_weight`` and ``class_weight`` to
the loss of every mini-batch.

A weighted dataset yields ``(X_batch, (y_batch, w_batch))``; the net unpacks the
pair and hands the weights to :func:`sklprune.losses.weighted_loss`, so the loss
that trains the network, and the gradient statistics the pruning strategies gather
from it, are weighted means over each batch.
"""

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import _check_sample_weight
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.utils import to_numpy, to_tensor

from ..losses import weighted_loss
from .batching import ArrayDataset


def training_weights(X, y, sample_weight=None, class_weight=None):
    """Per-sample weights of a fit, or None when every sample weighs the same.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class labels, as given to ``fit``.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Checked as scikit-learn does: non-negative, not all zero.
    class_weight : dict, "balanced" or None, default=None
        As for :func:`sklearn.utils.class_weight.compute_class_weight`; multiplies
        ``sample_weight``.

    Returns
    -------
    weights : ndarray of shape (n_samples,), float32, or None
        ``None`` when all weights are equal: a weighted mean with equal weights is
        the plain mean, so such a fit trains exactly as an unweighted one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune._training.weighting import training_weights
    >>> X, y = np.zeros((4, 1)), np.array(["a", "a", "a", "b"])
    >>> training_weights(X, y, class_weight="balanced")
    array([0.6666667, 0.6666667, 0.6666667, 2.       ], dtype=float32)
    >>> training_weights(X, y, sample_weight=np.ones(4)) is None
    True
    """
    weights = None
    if sample_weight is not None:
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
    if class_weight is not None:
        classes, codes = np.unique(y, return_inverse=True)
        per_class = compute_class_weight(class_weight, classes=classes, y=y)
        weights = per_class[codes] if weights is None else weights * per_class[codes]
    if weights is None or np.all(weights == weights[0]):
        return None
    return weights.astype(np.float32)


class WeightedArrayDataset(ArrayDataset):
    """A :class:`~sklprune._training.batching.ArrayDataset` with weighted targets.

    Batches are ``(X_batch, (y_batch, weight_batch))``.
    """

    def __init__(self, X, y, sample_weight, keep_sparse=False, sparse_grad=False):
        super().__init__(X, y, keep_sparse, sparse_grad)
        self.sample_weight = np.asarray(sample_weight, dtype=np.float32)

    def __getitem__(self, index):
        Xi, yi = super().__getitem__(index)
        return Xi, (yi, torch.from_numpy(self.sample_weight[index]))


def make_dataset(X, y, sample_weight, keep_sparse, sparse_grad=False):
    """A dataset for training: weighted when ``sample_weight`` is not None."""
    if sample_weight is None:
        return ArrayDataset(X, y, keep_sparse, sparse_grad)
    return WeightedArrayDataset(X, y, sample_weight, keep_sparse, sparse_grad)


def labels_only(y):
    """The labels of a batch target, without its weights (for skorch scoring)."""
    if isinstance(y, tuple | list):
        y = y[0]
    return to_numpy(y)


class WeightedLossMixin:
    """Weights the loss of a skorch net when the batches carry sample weights."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(y_true, tuple | list):
            y, weights = (to_tensor(t, device=self.device) for t in y_true)
            return weighted_loss(self.criterion_, y_pred, y, weights)
        return super().get_loss(y_pred, y_true, X=X, training=training)


class WeightedNeuralNetClassifier(WeightedLossMixin, NeuralNetClassifier):
    """skorch's NeuralNetClassifier, weighting the loss when batches carry weights.

    Its accuracy scoring reads the labels out of weighted targets.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("callbacks__valid_acc__target_extractor", labels_only)
        super().__init__(*args, **kwargs)


class WeightedNeuralNetRegressor(WeightedLossMixin, NeuralNetRegressor):
    """skorch's NeuralNetRegressor, weighting the loss when batches carry weights."""
