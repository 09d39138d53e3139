"""The scores the report compares: calibration error, accuracy, Brier and log-loss of
classifiers; R², mean absolute and root mean squared error of regressors."""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    root_mean_squared_error,
)
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import column_or_1d

from ._checks import check_count

DEFAULT_N_BINS = 15
SCORES = ("accuracy", "expected_calibration_error", "brier_score", "log_loss")
REGRESSION_SCORES = ("r2", "mean_absolute_error", "root_mean_squared_error")


def expected_calibration_error(y_true, y_proba, *, labels=None, n_bins=DEFAULT_N_BINS):
    """Expected calibration error of the top-class confidence.

    The confidence of a row is its highest predicted probability, and the row counts
    as correct when that class is its label (Guo et al. 2017). Confidences fall into
    ``n_bins`` equal-width bins over [0, 1], each bin closed on the right as in
    :func:`sklearn.calibration.calibration_curve` with ``strategy="uniform"``. The
    error is the mean over bins of ``|accuracy - mean confidence|``, weighted by
    the share of rows in each bin: 0 for a perfectly calibrated model.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class in the order of ``labels``.
    labels : array-like of shape (n_classes,), default=None
        The classes of the columns of ``y_proba`` (a classifier's ``classes_``);
        ``None`` takes the sorted labels of ``y_true``.
    n_bins : int, default=15
        Number of equal-width confidence bins.

    Returns
    -------
    ece : float
        The expected calibration error, in [0, 1].

    See Also
    --------
    robustness_report : Compare the calibration of a reference and a pruned model.

    Examples
    --------
    >>> from sklprune import expected_calibration_error
    >>> y_true = ["a", "a", "b", "b"]
    >>> y_proba = [[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.8, 0.2]]
    >>> round(expected_calibration_error(y_true, y_proba, n_bins=10), 4)
    0.2
    """
    check_count(n_bins, "n_bins")
    y_true = column_or_1d(y_true)
    y_proba = np.asarray(y_proba, dtype=float)
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_proba.ndim != 2 or y_proba.shape != (len(y_true), len(labels)):
        raise ValueError(
            "y_proba must have one row per label and one column per class "
            f"({len(y_true)}, {len(labels)}); got shape {y_proba.shape}."
        )
    confidence = y_proba.max(axis=1)
    correct = labels[y_proba.argmax(axis=1)] == y_true
    return binned_calibration_error(correct, confidence, n_bins)


def binned_calibration_error(correct, confidence, n_bins):
    """Expected calibration error of checked rows: the weighted mean gap per bin.

    Parameters
    ----------
    correct : ndarray of bool of shape (n_samples,)
        Whether each row's top class is its label.
    confidence : ndarray of shape (n_samples,)
        Each row's top-class probability.
    n_bins : int
        Number of equal-width confidence bins over [0, 1].

    Returns
    -------
    ece : float
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], confidence)
    counts = np.bincount(bins, minlength=n_bins)
    gap = np.bincount(bins, weights=correct - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / counts.sum())


def score_model(model, X, y, rows, classes, n_bins):
    """Predictions, probabilities and every score of one model on its rows.

    Parameters
    ----------
    model : classifier
        A fitted classifier with ``predict_proba``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        All held-out rows.
    y : ndarray of shape (n_samples,)
        Their labels.
    rows : ndarray of int
        The rows of ``X`` this model is scored on.
    classes : ndarray of shape (n_classes,)
        The models' ``classes_``.
    n_bins : int
        Equal-width bins of the expected calibration error.

    Returns
    -------
    run : dict
        ``rows``, ``predicted``, ``proba``, per-class ``recall`` (NaN for a class
        absent from the rows) and ``precision``, and one float per name of
        ``SCORES``.
    """
    X_rows, y_rows = _safe_indexing(X, rows), y[rows]
    predicted = np.asarray(model.predict(X_rows))
    proba = np.asarray(model.predict_proba(X_rows), dtype=float)
    precision, recall, _, _ = precision_recall_fscore_support(
        y_rows, predicted, labels=classes, zero_division=np.nan
    )
    present = np.isin(classes, y_rows)
    recall = np.where(present, recall, np.nan)
    return {
        "rows": rows,
        "predicted": predicted,
        "proba": proba,
        "recall": recall,
        "precision": precision,
        "accuracy": accuracy_score(y_rows, predicted),
        "expected_calibration_error": binned_calibration_error(
            classes[proba.argmax(axis=1)] == y_rows, proba.max(axis=1), n_bins
        ),
        "brier_score": brier_score_loss(y_rows, proba, labels=classes),
        "log_loss": log_loss(y_rows, proba, labels=classes),
    }


def score_regressor(model, X, y, rows):
    """Predictions and every regression score of one model on its rows.

    Parameters
    ----------
    model : regressor
        A fitted regressor of one target.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        All held-out rows.
    y : ndarray of shape (n_samples,)
        Their target values.
    rows : ndarray of int
        The rows of ``X`` this model is scored on.

    Returns
    -------
    run : dict
        ``rows``, ``predicted``, and one float per name of
        ``REGRESSION_SCORES``.
    """
    X_rows, y_rows = _safe_indexing(X, rows), y[rows]
    predicted = np.asarray(model.predict(X_rows), dtype=float)
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted.ravel()
    if predicted.shape != y_rows.shape:
        raise ValueError(
            f"{type(model).__name__}.predict gives shape {predicted.shape} for "
            f"{len(rows)} rows; the report compares regressors of one target."
        )
    return {
        "rows": rows,
        "predicted": predicted,
        "r2": r2_score(y_rows, predicted),
        "mean_absolute_error": mean_absolute_error(y_rows, predicted),
        "root_mean_squared_error": root_mean_squared_error(y_rows, predicted),
    }
