"""Which features the pruner keeps: ``keep`` (a count or a fraction) and
``threshold`` (a number or a scaled mean or median of the importances); and
whether its default network is a regressor."""

import numbers

import numpy as np

from .._defaults import MAX_AUTO_CLASSES


def n_keep(keep, n_features):
    """The number of features ``keep`` keeps of ``n_features``: a count (at most
    all), or the nearest count of a fraction (at least one)."""
    if isinstance(keep, numbers.Integral):
        return min(int(keep), n_features)
    return max(1, int(np.floor(keep * n_features + 0.5)))


def check_threshold(threshold):
    """Raise a ValueError for a ``threshold`` string that names no reference."""
    if isinstance(threshold, str):
        threshold_value(threshold, None, np.zeros(1))


def threshold_value(threshold, keep, importances):
    """The importance threshold in force: ``-inf`` for none."""
    if threshold is None:
        threshold = "mean" if keep is None else -np.inf
    if not isinstance(threshold, str):
        return float(threshold)
    scale, _, reference = threshold.rpartition("*")
    references = {"mean": np.mean, "median": np.median}
    try:
        factor = float(scale) if scale else 1.0
        value = references[reference.strip()](importances)
    except (KeyError, ValueError):
        raise ValueError(
            f"threshold must be a number, 'mean', 'median' or a scaled reference "
            f"such as '1.5*mean'; got {threshold!r}."
        ) from None
    return factor * float(value)


def min_class_count(y):
    """The number of rows of the rarest class of ``y``."""
    return np.unique(y, return_counts=True)[1].min()


def is_regression_target(y):
    """Whether ``y`` holds numbers to regress rather than class labels: floats
    with a fractional value, or more than ``MAX_AUTO_CLASSES`` distinct ones.

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune.feature_selection._selection import is_regression_target
    >>> is_regression_target(np.array([0.0, 1.0, 1.0]))  # labels stored as floats
    False
    >>> is_regression_target(np.array([0.5, 1.0])), is_regression_target(np.arange(50))
    (True, False)
    >>> is_regression_target(np.arange(50.0))  # many whole floats: a measurement
    True
    """
    y = np.asarray(y)
    if y.dtype.kind != "f":
        return False
    return bool(np.any(y != np.round(y))) or len(np.unique(y)) > MAX_AUTO_CLASSES
