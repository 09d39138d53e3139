"""The checks of the report's arguments, each raising an error that says what to do."""

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._noise import numeric_columns


def check_models(models, side):
    """One fitted classifier or regressor, or a list of them, as a list.

    Parameters
    ----------
    models : estimator or list of estimators
        What the caller passed for ``side``.
    side : {"reference", "pruned"}
        Which argument it is, for the messages.

    Returns
    -------
    models : list of estimators
    """
    models = list(models) if isinstance(models, list | tuple) else [models]
    if not models:
        raise ValueError(f"{side} is an empty list; pass at least one fitted model.")
    for i, model in enumerate(models):
        what = _name(side, i, models)
        if not is_regressor(model) and not hasattr(model, "predict_proba"):
            raise ValueError(
                f"{what} ({type(model).__name__}) has no predict_proba; the report "
                "needs probabilities: use a probabilistic classifier, e.g. "
                "SVC(probability=True), or wrap it in CalibratedClassifierCV."
            )
        try:
            check_is_fitted(model)
        except NotFittedError:
            raise NotFittedError(
                f"{what} ({type(model).__name__}) is not fitted; call fit on it "
                "before comparing it."
            ) from None
        if not is_regressor(model) and not hasattr(model, "classes_"):
            raise ValueError(
                f"{what} ({type(model).__name__}) has no classes_; the report needs "
                "fitted classifiers or regressors."
            )
    return models


def check_task(models):
    """``"regression"`` when every model is a regressor, else ``"classification"``.

    Parameters
    ----------
    models : dict
        Side name -> list of models checked by :func:`check_models`.

    Returns
    -------
    task : {"classification", "regression"}
    """
    kinds = {
        _name(side, i, ms): is_regressor(model)
        for side, ms in models.items()
        for i, model in enumerate(ms)
    }
    if len(set(kinds.values())) > 1:
        regressor = next(name for name, kind in kinds.items() if kind)
        classifier = next(name for name, kind in kinds.items() if not kind)
        raise ValueError(
            f"{regressor} is a regressor and {classifier} a classifier; compare "
            "models of the same task."
        )
    return "regression" if next(iter(kinds.values())) else "classification"


def check_regression_target(y):
    """The target values of the held-out rows as a float array of one column.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        What the caller passed.

    Returns
    -------
    y : ndarray of shape (n_samples,)
    """
    try:
        values = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            "y holds values that are not numbers; the models are regressors, so "
            "pass the target values of the rows."
        ) from None
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(
            f"y has shape {values.shape}: the report compares regressors of one "
            "target; pass one column of y (and models fitted on it) at a time."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("y holds NaN or infinite values; pass finite targets.")
    return values


def check_tolerance(tolerance):
    """Raise unless ``tolerance`` is None or a number >= 0.

    Parameters
    ----------
    tolerance : object
        The argument: how far a prediction must move to count as changed.
    """
    if tolerance is None:
        return
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, numbers.Real)
        or not tolerance >= 0
    ):
        raise ValueError(
            "tolerance must be None or a number >= 0, in the units of y; got "
            f"{tolerance!r}."
        )


def _name(side, i, models):
    """``side``, or ``side[i]`` when the side holds several models."""
    return side if len(models) == 1 else f"{side}[{i}]"


def check_classes(models):
    """The ``classes_`` every model shares.

    Parameters
    ----------
    models : dict
        Side name -> list of fitted classifiers.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    """
    classes = np.asarray(models["reference"][0].classes_)
    first = "reference" if len(models["reference"]) == 1 else "reference[0]"
    for side, ms in models.items():
        for i, model in enumerate(ms):
            other = np.asarray(model.classes_)
            if other.shape != classes.shape or not np.array_equal(other, classes):
                what = _name(side, i, ms)
                raise ValueError(
                    f"The models know different classes: {first} has "
                    f"{classes.tolist()}, {what} has {other.tolist()}; compare models "
                    "trained on the same labels."
                )
    return classes


def check_rows(X, y):
    """The number of rows, when ``X`` and ``y`` agree on it and it is not 0.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows.
    y : array-like of shape (n_samples,)
        Their labels or target values.

    Returns
    -------
    n_rows : int
    """
    n_rows = _num_samples(X)
    if _num_samples(y) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but y has {_num_samples(y)} values; pass one "
            "label or target value per row."
        )
    if n_rows == 0:
        raise ValueError("X has no rows; pass held-out rows to score the models on.")
    return n_rows


def check_labels(y, classes):
    """Raise when ``y`` holds a label outside the models' ``classes``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The labels of the held-out rows.
    classes : ndarray of shape (n_classes,)
        The models' ``classes_``.
    """
    unseen = sorted({str(v) for v in pd.unique(y[~np.isin(y, classes)])})
    if unseen:
        raise ValueError(
            f"y holds labels the models never saw: {', '.join(unseen[:10])}. The "
            f"models know {', '.join(str(c) for c in classes[:20])}: score them on "
            "rows of those classes only."
        )


def check_n_features(models, X):
    """Raise when the models, or the models and ``X``, disagree on the features.

    Parameters
    ----------
    models : dict
        Side name -> list of fitted models.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows.
    """
    shape = getattr(X, "shape", None)
    n_features = shape[1] if shape is not None and len(shape) == 2 else None
    expected = {}
    for side, ms in models.items():
        for i, model in enumerate(ms):
            n = getattr(model, "n_features_in_", None)
            if n is not None:
                expected[_name(side, i, ms)] = int(n)
    if len(set(expected.values())) > 1:
        listed = ", ".join(f"{name} {n}" for name, n in expected.items())
        raise ValueError(
            f"The models expect different numbers of features ({listed}); compare "
            "models trained on the same input."
        )
    if expected and n_features is not None:
        n = next(iter(expected.values()))
        if n_features != n:
            raise ValueError(
                f"X has {n_features} features, but the models expect {n}; pass the "
                "rows in the form the models were trained on."
            )


def check_test_indices(test_indices, models, n_rows):
    """The rows each model is scored on: side -> one array of positions per model.

    Parameters
    ----------
    test_indices : list of array-like of int or None
        One array of row positions per pair of models; ``None`` scores every
        model on every row.
    models : dict
        Side name -> list of fitted models.
    n_rows : int
        Rows of ``X``.

    Returns
    -------
    rows : dict
        Side name -> list of ndarray of int, one per model.
    """
    if test_indices is None:
        everything = np.arange(n_rows)
        return {side: [everything] * len(ms) for side, ms in models.items()}
    splits = [np.asarray(rows) for rows in test_indices]
    for side, ms in models.items():
        if len(ms) != len(splits):
            raise ValueError(
                f"test_indices holds {len(splits)} folds but {side} has {len(ms)} "
                "models; pass one fitted model per fold on each side."
            )
    for k, rows in enumerate(splits):
        if (
            rows.ndim != 1
            or rows.size == 0
            or not np.issubdtype(rows.dtype, np.integer)
            or rows.min() < 0
            or rows.max() >= n_rows
        ):
            raise ValueError(
                f"test_indices[{k}] must be a non-empty array of row positions in "
                f"[0, {n_rows}); got {rows[:5]!r}."
            )
    return {side: splits for side in models}


def check_levels(noise_levels, inputs):
    """The noise levels as a float array, in the range the inputs' noise allows.

    Parameters
    ----------
    noise_levels : sequence of float
        Perturbation levels: multiples of each feature's standard deviation for
        dense input, shares of non-zero entries to drop for sparse input.
    inputs : list of {array-like, sparse matrix}
        The rows the noise goes into (``X``, or what each pipeline's steps make
        of it); dense ones must be numeric where noise is asked for.

    Returns
    -------
    levels : ndarray of shape (n_levels,)
    """
    levels = np.asarray(noise_levels, dtype=float).ravel()
    sparse = any(sp.issparse(X) for X in inputs)
    top = 1.0 if sparse else np.inf
    if not np.all(np.isfinite(levels)) or np.any(levels < 0) or np.any(levels > top):
        what = (
            "shares of non-zero entries to drop, in [0, 1]"
            if sparse
            else "finite multiples of each feature's standard deviation, >= 0"
        )
        raise ValueError(f"noise_levels must be {what}; got {list(noise_levels)}.")
    if np.any(levels > 0):
        for X in inputs:
            if not sp.issparse(X):
                numeric_columns(X)
    return levels


def check_count(value, name):
    """Raise unless ``value`` is an int >= 1.

    Parameters
    ----------
    value : object
        The argument.
    name : str
        Its name, for the message.
    """
    if not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}.")
