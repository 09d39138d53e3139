"""Statistics over several models per side: mean, standard deviation, Welch's t-test,
and the frame that sets both sides of a comparison side by side."""

import warnings

import numpy as np
import pandas as pd
from scipy import stats

SIDES = ("reference", "pruned")


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


def comparison_frame(values, index, several, prefix=""):
    """Both sides of a comparison, one row per entry of ``index``.

    Parameters
    ----------
    values : dict
        Side name -> array-like of shape (n_entries, n_models): one value per
        entry and model.
    index : pandas.Index
        The entries, in the order of the rows of ``values``.
    several : bool
        Whether the sides hold several models: then the standard deviations
        over models and Welch's p-value of the change are added.
    prefix : str, default=""
        Put before every column name, e.g. ``"accuracy_"``.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``reference``, ``pruned`` (means over models), ``change``
        (pruned minus reference), and with several models ``reference_std``,
        ``pruned_std`` and ``p_value``, each after ``prefix``.
    """
    frame = pd.DataFrame(index=index)
    summary = {side: mean_and_std(values[side]) for side in SIDES}
    for side in SIDES:
        frame[f"{prefix}{side}"] = summary[side][0]
    frame[f"{prefix}change"] = frame[f"{prefix}pruned"] - frame[f"{prefix}reference"]
    if several:
        for side in SIDES:
            frame[f"{prefix}{side}_std"] = summary[side][1]
        frame[f"{prefix}p_value"] = [
            welch_t_test(p, r)[1] for p, r in zip(values["pruned"], values["reference"])
        ]
    return frame
