"""Regression targets for training: checked, shaped (n_samples, n_outputs), and
standardised the way :class:`~sklprune.PrunedRegressor` trains on them."""

import numpy as np
import scipy.sparse as sp


def check_regression_targets(y, log_link=False):
    """Regression targets as a float64 array of shape (n_samples, n_outputs).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    log_link : bool, default=False
        Whether the loss is the Poisson deviance, which needs non-negative
        targets with a positive sum (as scikit-learn's ``PoissonRegressor``).

    Returns
    -------
    y : ndarray of shape (n_samples, n_outputs)

    Examples
    --------
    >>> from sklprune._training.targets import check_regression_targets
    >>> check_regression_targets([1, 2]).shape
    (2, 1)
    >>> check_regression_targets([1, -2], log_link=True)
    Traceback (most recent call last):
    ...
    ValueError: y holds negative values, which the 'poisson' loss cannot fit: ...
    """
    if sp.issparse(y):
        y = y.toarray()
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"A regressor needs numeric targets: {exc}. For class labels use "
            "PrunedClassifier."
        ) from exc
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError(
            "y must have shape (n_samples,) or (n_samples, n_outputs) with at least "
            f"one output; got shape {y.shape}."
        )
    if log_link and (y < 0).any():
        raise ValueError(
            "y holds negative values, which the 'poisson' loss cannot fit: it "
            "models counts and rates, y >= 0. Use loss='squared_error', or shift y."
        )
    if log_link and not y.sum() > 0:
        raise ValueError(
            "The sum of y is not positive: the 'poisson' loss needs some positive "
            "targets to fit a positive mean."
        )
    return y


def target_standardisation(y, weights=None, log_link=False):
    """The mean and scale that standardise every column of ``y``.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_outputs)
    weights : ndarray of shape (n_samples,) or None, default=None
        The weight of every sample: integer weights count a sample that many
        times, zero weights leave it out.
    log_link : bool, default=False
        For a network that outputs the log of the mean: the mean is 0 (nothing
        is subtracted) and the scale is the mean of the column, so the targets
        stay non-negative.

    Returns
    -------
    mean, scale : ndarray of shape (n_outputs,)
        The scale of a constant column (a standard deviation below what float32
        resolves at the column's mean) is 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune._training.targets import target_standardisation
    >>> y = np.array([[1.0, 5.0], [3.0, 5.0]])
    >>> target_standardisation(y)
    (array([2., 5.]), array([1., 1.]))
    >>> target_standardisation(y, log_link=True)
    (array([0., 0.]), array([2., 5.]))
    """
    mean = np.average(y, axis=0, weights=weights)
    if log_link:
        scale = np.where(mean > 0, mean, 1.0)
        return np.zeros_like(mean), scale
    scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=weights))
    resolution = np.finfo(np.float32).eps * np.maximum(np.abs(mean), 1.0)
    return mean, np.where(scale > resolution, scale, 1.0)
