"""Scores under perturbed input: Gaussian noise for dense rows, dropout for sparse."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import _safe_indexing, check_random_state

DEFAULT_NOISE_LEVELS = (0.0, 0.1, 0.25, 0.5)


def numeric_columns(X):
    """The numeric part of a dense X: the columns that noise is added to.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Dense held-out rows.

    Returns
    -------
    columns : list or None
        The numeric columns of a DataFrame; ``None`` for an array, all of whose
        columns are numeric (else a ``ValueError`` is raised).
    """
    if hasattr(X, "select_dtypes"):
        return list(X.select_dtypes("number").columns)
    try:
        values = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            "Noise needs numeric input, and X holds values that are not numbers; "
            "pass noise_levels=() to skip noise, or pass the models' last steps "
            "and the transformed rows (pipeline[:-1].transform(X))."
        ) from None
    if values.ndim != 2:
        raise ValueError(
            f"X must be 2-dimensional to add noise; got shape {values.shape}."
        )
    return None


def scores_under_noise(
    models, runs, rows, X, y, levels, n_repeats, random_state, metrics
):
    """Every metric of every model at every level: metric -> side -> (n_levels,
    n_models).

    Every model sees the same perturbed copies of ``X``; level 0 takes the plain
    scores of ``runs``, a level above 0 the mean over ``n_repeats`` copies.

    Parameters
    ----------
    models : dict
        Side name -> list of fitted models.
    runs : dict
        Side name -> the scores of each model on its rows, in the same order;
        each holds a value under the name of every metric.
    rows : dict
        Side name -> the rows of ``X`` each model is scored on.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows (sparse ones in CSR or CSC).
    y : ndarray of shape (n_samples,)
        Their labels or target values.
    levels : ndarray of shape (n_levels,)
        Checked noise levels.
    n_repeats : int
        Perturbed copies per level above 0.
    random_state : int, RandomState instance or None
        Seeds the perturbations.
    metrics : dict
        Metric name -> function ``(y_true, y_pred) -> float``, such as
        ``{"accuracy": accuracy_score}``.

    Returns
    -------
    scores : dict
        Metric name -> side name -> ndarray of shape (n_levels, n_models).
    """
    rng = check_random_state(random_state)
    scale = _noise_scale(X) if np.any(levels > 0) else None
    result = {
        name: {side: np.zeros((len(levels), len(ms))) for side, ms in models.items()}
        for name in metrics
    }
    for i, level in enumerate(levels):
        if level == 0:
            for name in metrics:
                for side in models:
                    result[name][side][i] = [run[name] for run in runs[side]]
            continue
        for _ in range(n_repeats):
            noisy = _perturb(X, level, rng, scale)
            for side, ms in models.items():
                for j, (model, r) in enumerate(zip(ms, rows[side])):
                    predicted = model.predict(_safe_indexing(noisy, r))
                    for name, metric in metrics.items():
                        value = metric(y[r], predicted)
                        result[name][side][i, j] += value / n_repeats
    return result


def noise_description(kind):
    """What the noise of a level is, in words, for a report's text.

    Parameters
    ----------
    kind : {"gaussian", "dropout"}
        The report's ``noise_kind``.

    Returns
    -------
    text : str
    """
    if kind == "dropout":
        return "each non-zero input dropped with probability <level>"
    return "Gaussian noise of <level> x each feature's standard deviation"


def _perturb(X, level, rng, scale):
    """A perturbed copy of ``X``: non-zeros dropped (sparse) or Gaussian noise."""
    if level == 0:
        return X
    if sp.issparse(X):
        X = X.copy()
        X.data = np.where(rng.random_sample(X.data.shape) < level, 0, X.data)
        X.eliminate_zeros()
        return X
    if hasattr(X, "select_dtypes"):
        columns = numeric_columns(X)
        values = X[columns].to_numpy(dtype=float)
        noisy = values + level * scale * rng.standard_normal(values.shape)
        X = X.copy()
        X[columns] = noisy
        return X
    values = np.asarray(X, dtype=float)
    return values + level * scale * rng.standard_normal(values.shape)


def _noise_scale(X):
    """Each numeric feature's standard deviation over the rows; None for sparse X."""
    if sp.issparse(X):
        return None
    if hasattr(X, "select_dtypes"):
        values = X[numeric_columns(X)].to_numpy(dtype=float)
    else:
        values = np.asarray(X, dtype=float)
    return np.nan_to_num(np.nanstd(values, axis=0))
