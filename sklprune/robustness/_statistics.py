"""Statistics over several models per side: mean, standard deviation, Welch's t-test."""

import warnings

import numpy as np
from scipy import stats


def welch_t_test(pruned, reference):
    """Welch's t-test of pruned against reference, NaN where undefined.

    Parameters
    ----------
    pruned, reference : array-like of shape (n_models,)
        One value per model; NaN values are left out.

    Returns
    -------
    statistic, p_value : float
        NaN when a side has fewer than two values.
    """
    pruned, reference = np.asarray(pruned), np.asarray(reference)
    pruned, reference = pruned[~np.isnan(pruned)], reference[~np.isnan(reference)]
    if min(len(pruned), len(reference)) < 2:
        return np.nan, np.nan
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(pruned, reference, equal_var=False)
    return float(result.statistic), float(result.pvalue)


def mean_and_std(values):
    """Mean and standard deviation (ddof=1) over the last axis, NaN left out.

    Parameters
    ----------
    values : array-like of shape (..., n_models)
        One value per model.

    Returns
    -------
    mean : ndarray
    std : ndarray or float
        NaN with a single model.
    """
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=-1)
        std = np.nanstd(values, axis=-1, ddof=1) if values.shape[-1] > 1 else np.nan
    return mean, std
