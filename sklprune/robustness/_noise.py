"""Scores under perturbed input: Gaussian noise for dense rows, dropout for sparse.

The noise goes into ``X`` as given when it holds numbers, and into the input of
each pipeline's last step when it does not (raw text: the TF-IDF matrix each
pipeline makes of it loses words), see :func:`noise_targets`.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state

DEFAULT_NOISE_LEVELS = (0.0, 0.1, 0.25, 0.5)
NOISE_ON = ("auto", "input", "last_step")
_NOT_NUMBERS = (
    "Noise needs numeric input, and X holds no numbers to perturb; pass pipelines "
    "that turn X into numbers (the noise then goes into the input of each one's "
    "last step), or noise_levels=() to skip noise."
)


def noise_targets(noise_on, models, X):
    """Where the noise goes, and what each model predicts from the noisy rows.

    Parameters
    ----------
    noise_on : {"auto", "input", "last_step"}
        ``"input"``: into ``X`` as given, every model sees the same noisy rows.
        ``"last_step"``: into the input of each pipeline's last step, the rows
        its other steps make of ``X`` (each pipeline its own, e.g. its own
        TF-IDF vocabulary). ``"auto"``: ``"input"`` when ``X`` holds numbers (a
        numeric or sparse array, a DataFrame with numeric columns), else
        ``"last_step"`` when every model is a pipeline.
    models : dict
        Side name -> list of fitted models.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows.

    Returns
    -------
    noise_on : {"input", "last_step"}
        Where the noise goes.
    targets : dict
        Side name -> list of ``(predictor, rows to perturb)``, one per model.
    """
    if not (isinstance(noise_on, str) and noise_on in NOISE_ON):
        raise ValueError(
            f"noise_on must be one of {', '.join(map(repr, NOISE_ON))}; got "
            f"{noise_on!r}."
        )
    if noise_on == "auto":
        pipelines = all(_is_pipeline(m) for ms in models.values() for m in ms)
        noise_on = "last_step" if pipelines and not _holds_numbers(X) else "input"
    if noise_on == "input":
        return noise_on, {side: [(m, X) for m in ms] for side, ms in models.items()}
    targets = {}
    for side, ms in models.items():
        for i, model in enumerate(ms):
            if not _is_pipeline(model):
                what = side if len(ms) == 1 else f"{side}[{i}]"
                raise ValueError(
                    "noise_on='last_step' perturbs the input of each pipeline's "
                    f"last step, and {what} ({type(model).__name__}) is not a "
                    "Pipeline; pass pipelines, or noise_on='input'."
                )
        targets[side] = [(m[-1], _as_perturbable(m[:-1].transform(X))) for m in ms]
    return noise_on, targets


def noise_kind(inputs):
    """``"dropout"`` (sparse inputs), ``"gaussian"`` (dense) or ``"mixed"``."""
    kinds = {"dropout" if sp.issparse(x) else "gaussian" for x in inputs}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _is_pipeline(model):
    return isinstance(model, Pipeline) and len(model.steps) > 1


def _holds_numbers(X):
    if sp.issparse(X):
        return True
    if isinstance(X, pd.DataFrame):
        return len(X.select_dtypes("number").columns) > 0
    try:
        return np.asarray(X, dtype=float).ndim == 2
    except (TypeError, ValueError):
        return False


def _as_perturbable(X):
    """Sparse rows in CSR (CSC kept), so that entries can be dropped."""
    if sp.issparse(X) and X.format not in ("csr", "csc"):
        return X.tocsr()
    return X


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
        columns = list(X.select_dtypes("number").columns)
        if not columns:
            raise ValueError(_NOT_NUMBERS)
        return columns
    try:
        values = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(_NOT_NUMBERS) from None
    if values.ndim != 2:
        raise ValueError(
            f"X must be 2-dimensional to add noise; got shape {values.shape}."
        )
    return None


def scores_under_noise(
    targets, runs, rows, y, levels, n_repeats, random_state, metrics
):
    """Every metric of every model at every level: metric -> side -> (n_levels,
    n_models).

    Models that predict from the same rows see the same perturbed copies of them;
    models with rows of their own see copies perturbed with the same seed. Level
    0 takes the plain scores of ``runs``, a level above 0 the mean over
    ``n_repeats`` copies.

    Parameters
    ----------
    targets : dict
        Side name -> list of ``(predictor, rows to perturb)`` per model, as
        :func:`noise_targets` returns them (sparse rows in CSR or CSC).
    runs : dict
        Side name -> the scores of each model on its rows, in the same order;
        each holds a value under the name of every metric.
    rows : dict
        Side name -> the rows each model is scored on.
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
    inputs = {id(X): X for pairs in targets.values() for _, X in pairs}
    scales = {}
    if np.any(levels > 0):
        scales = {key: _noise_scale(X) for key, X in inputs.items()}
    result = {
        name: {side: np.zeros((len(levels), len(ts))) for side, ts in targets.items()}
        for name in metrics
    }
    for i, level in enumerate(levels):
        if level == 0:
            for name in metrics:
                for side in targets:
                    result[name][side][i] = [run[name] for run in runs[side]]
            continue
        for _ in range(n_repeats):
            noisy = _perturb_each(inputs, level, rng, scales)
            for side, pairs in targets.items():
                for j, ((model, X), r) in enumerate(zip(pairs, rows[side])):
                    predicted = model.predict(_safe_indexing(noisy[id(X)], r))
                    for name, metric in metrics.items():
                        value = metric(y[r], predicted)
                        result[name][side][i, j] += value / n_repeats
    return result


def noise_text(noise_on, kind):
    """Where the noise went and what it was, in words, for a report's text.

    Parameters
    ----------
    noise_on : {"input", "last_step"}
        The report's ``noise_on``.
    kind : {"gaussian", "dropout", "mixed"}
        The report's ``noise_kind``.

    Returns
    -------
    text : str
    """
    where = (
        "on the input of each pipeline's last step (what its other steps make of X)"
        if noise_on == "last_step"
        else "on X"
    )
    what = {
        "dropout": "each non-zero entry dropped with probability <level>",
        "gaussian": "Gaussian noise of <level> x each feature's standard deviation",
        "mixed": "sparse inputs lose each non-zero entry with probability <level>, "
        "dense ones get Gaussian noise of <level> x each feature's standard "
        "deviation",
    }[kind]
    return f"{where}: {what}"


def _perturb_each(inputs, level, rng, scales):
    """A perturbed copy of every input: ``{id: copy}``, one seed for all of them."""
    if len(inputs) == 1:
        return {key: _perturb(X, level, rng, scales[key]) for key, X in inputs.items()}
    seed = rng.randint(np.iinfo(np.int32).max)
    return {
        key: _perturb(X, level, np.random.RandomState(seed), scales[key])
        for key, X in inputs.items()
    }


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
