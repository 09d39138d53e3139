"""Did pruning hurt? Per-class scores, calibration, noise and changed predictions.

Average accuracy hides who pays for the lost weights. Hooker et al. (2019, "What do
compressed deep neural networks forget?") found that pruning costs some classes far
more than the mean, and that the examples whose prediction changes under pruning are
the atypical ones; Liebenwein et al. (2021, "Lost in pruning") found that a sparsity
which keeps test accuracy need not keep accuracy on perturbed input.
:func:`robustness_report` puts both questions, and calibration, to any two fitted
scikit-learn classifiers, and :class:`RobustnessDisplay` draws the answer.

This module knows scikit-learn only: the models may be any classifiers with
``predict_proba``, pipelines included, not only :class:`~sklprune.PrunedClassifier`.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.exceptions import NotFittedError
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    precision_recall_fscore_support,
)
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils.validation import _num_samples, check_is_fitted, column_or_1d

DEFAULT_NOISE_LEVELS = (0.0, 0.1, 0.25, 0.5)
DEFAULT_N_BINS = 15
SIDES = ("reference", "pruned")
SCORES = ("accuracy", "expected_calibration_error", "brier_score", "log_loss")


# ----------------------------------------------------------------- the metric


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
    if not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be an int >= 1; got {n_bins!r}.")
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
    return _ece(correct, confidence, n_bins)


def _ece(correct, confidence, n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], confidence)
    counts = np.bincount(bins, minlength=n_bins)
    gap = np.bincount(bins, weights=correct - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / counts.sum())


# ------------------------------------------------------------------- the report


class RobustnessReport(Bunch):
    """What :func:`robustness_report` returns: a Bunch of DataFrames that prints.

    Printing it (``print(report)``), or :meth:`summary`, gives the tables as text.
    """

    def summary(self):
        """The report as text: scores, classes worst first, noise, changed rows.

        Returns
        -------
        text : str
        """
        runs = self.n_models
        lines = [
            f"Did pruning hurt? reference vs pruned on {len(self.predictions)} rows"
            + (
                ""
                if runs == {"reference": 1, "pruned": 1}
                else f" ({runs['reference']} reference and {runs['pruned']} pruned "
                "models; mean, std and Welch's t-test over models)"
            ),
            "",
            f"Scores (expected calibration error over {self.n_bins} equal-width "
            "bins of the top-class confidence)",
            _text(self.scores),
            "",
            "Per class, worst recall change first",
            _text(self.per_class),
        ]
        if len(self.noise):
            what = (
                "each non-zero input dropped with probability <level>"
                if self.noise_kind == "dropout"
                else "Gaussian noise of <level> x each feature's standard deviation"
            )
            lines += [
                "",
                f"Accuracy under noise: {what}; mean of {self.n_repeats} repeats",
                _text(self.noise),
            ]
        n_changed, n_rows = len(self.changed), len(self.predictions)
        lines += [
            "",
            f"Predictions changed: {n_changed} of {n_rows} rows "
            f"({n_changed / max(n_rows, 1):.1%}); by true class",
            _text(self.changed_by_class),
        ]
        return "\n".join(lines)

    def __str__(self):
        return self.summary()

    def __repr__(self):
        return self.summary()


def _text(frame):
    short = {
        column: column.replace("_reference", " ref")
        .replace("_pruned", " pruned")
        .replace("_", " ")
        for column in frame.columns
    }
    return frame.rename(columns=short).to_string(
        float_format=lambda v: f"{v:.4f}", na_rep="n/a"
    )


def robustness_report(
    reference,
    pruned,
    X,
    y,
    *,
    test_indices=None,
    noise_levels=DEFAULT_NOISE_LEVELS,
    n_repeats=3,
    n_bins=DEFAULT_N_BINS,
    random_state=None,
):
    """Compare a pruned classifier with its reference: who paid for the lost weights.

    Both models (or both lists of models) are scored on held-out rows for:

    * per-class recall and precision, and their change, worst recall change first;
    * accuracy, expected calibration error (``n_bins`` equal-width bins of the
      top-class confidence, see :func:`expected_calibration_error`), Brier score
      (:func:`~sklearn.metrics.brier_score_loss`: halved for two classes, the sum
      over classes for more) and log-loss;
    * accuracy under perturbed input, at every level of ``noise_levels``: for dense
      input, Gaussian noise of ``level`` times each feature's standard deviation
      (over the rows of ``X``) added to every numeric column; for sparse input
      (text, one-hot), each non-zero entry set to zero with probability ``level``.
      Every model sees the same perturbed rows. Level 0 leaves ``X`` untouched
      and gives the plain accuracy;
    * the rows whose predicted class changed, with both predictions and both
      confidences, and how they split by true class (the "pruning-identified
      exemplars" of Hooker et al. 2019).

    Several models per side (seeds, or the estimators of
    :func:`~sklearn.model_selection.cross_validate` with ``return_estimator=True``)
    give means over models, their standard deviations and Welch's t-test
    (:func:`scipy.stats.ttest_ind` with ``equal_var=False``) of whether each class's
    recall, and each score, changed. A row's prediction is then the most frequent
    one among the models that scored it (ties: the first class), and its
    confidence the mean probability those models give that class.

    Predictions come from ``predict``, probabilities from ``predict_proba``;
    calibration uses the class of highest probability.

    Parameters
    ----------
    reference : classifier or list of classifiers
        Fitted classifier(s) with ``predict_proba``: the dense model(s).
    pruned : classifier or list of classifiers
        Fitted classifier(s) with ``predict_proba`` and the same ``classes_``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows. A DataFrame is passed to the models as it is; only its
        numeric columns get noise.
    y : array-like of shape (n_samples,)
        Their labels.
    test_indices : list of array-like of int, default=None
        For models fitted on different folds: the rows of ``X`` each pair of
        models is scored on, one array per pair, e.g.
        ``cross_validate(..., return_indices=True)["indices"]["test"]``; then
        ``reference`` and ``pruned`` are lists of that length. ``None`` scores every
        model on all of ``X``.
    noise_levels : sequence of float, default=(0.0, 0.1, 0.25, 0.5)
        Perturbation levels, >= 0 (at most 1 for sparse input). Empty skips noise.
    n_repeats : int, default=3
        Perturbed copies of ``X`` per level above 0.
    n_bins : int, default=15
        Equal-width confidence bins of the expected calibration error.
    random_state : int, RandomState instance or None, default=None
        Seeds the perturbations.

    Returns
    -------
    report : RobustnessReport
        A :class:`~sklearn.utils.Bunch` of DataFrames, which prints as text:

        * ``scores``: one row per score (accuracy, expected_calibration_error,
          brier_score, log_loss); columns ``reference``, ``pruned``, ``change``
          (pruned minus reference), and with several models ``reference_std``,
          ``pruned_std``, ``p_value``.
        * ``per_class``: one row per class, worst recall change first; ``support``,
          ``recall_*`` and ``precision_*`` of both and the change (NaN where
          undefined: a class never predicted has no precision), and with several
          models ``recall_reference_std``, ``recall_pruned_std``, ``t_statistic``,
          ``p_value``.
        * ``noise``: one row per level; ``accuracy_reference``, ``accuracy_pruned``,
          ``change`` (and the ``_std`` over models with several).
        * ``predictions``: one row per scored row of ``X`` (indexed by ``X``'s index
          for a DataFrame, else by position): ``true``, ``predicted_*``,
          ``confidence_*`` (the probability given to the predicted class),
          ``changed``.
        * ``changed``: the rows of ``predictions`` whose prediction changed.
        * ``changed_by_class``: per true class, ``support``, ``changed``,
          ``became_wrong``, ``became_right`` and ``share_changed``.
        * ``confidence``: per model and row, the top-class confidence and whether
          that class is right (what the reliability curves draw).
        * ``classes``, ``n_bins``, ``noise_kind`` (``"gaussian"`` or ``"dropout"``),
          ``n_repeats``, ``n_models`` (models per side).

    Raises
    ------
    ValueError
        When a model lacks ``predict_proba``, the models' ``classes_`` differ,
        ``y`` holds labels the models never saw, or ``X`` has a different number
        of features than the models.
    sklearn.exceptions.NotFittedError
        When a model is not fitted (a ``ValueError`` too).

    See Also
    --------
    RobustnessDisplay : Reliability curves and per-class recall change.
    expected_calibration_error : The calibration metric.

    References
    ----------
    Hooker, Courville, Clark, Dauphin and Frome, "What do compressed deep neural
    networks forget?", arXiv:1911.05248, 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklprune import robustness_report
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reference = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    >>> weaker = LogisticRegression(C=0.01, max_iter=1000).fit(X_train, y_train)
    >>> report = robustness_report(reference, weaker, X_test, y_test,
    ...                            random_state=0)
    >>> report.per_class[["recall_reference", "recall_pruned", "recall_change"]]
           recall_reference  recall_pruned  recall_change
    class
    1                0.9375         0.1875          -0.75
    0                1.0000         1.0000           0.00
    2                1.0000         1.0000           0.00
    >>> report.scores.loc["accuracy"].round(4).tolist()
    [0.9737, 0.6579, -0.3158]
    >>> len(report.changed)
    12
    """
    models = {
        "reference": _check_models(reference, "reference"),
        "pruned": _check_models(pruned, "pruned"),
    }
    classes = _check_classes(models)
    n_rows = _check_rows(X, y)
    y = column_or_1d(y)
    unseen = sorted({str(v) for v in pd.unique(y[~np.isin(y, classes)])})
    if unseen:
        raise ValueError(
            f"y holds labels the models never saw: {', '.join(unseen[:10])}. The "
            f"models know {', '.join(str(c) for c in classes[:20])}: score them on "
            "rows of those classes only."
        )
    _check_n_features(models, X)
    if sp.issparse(X) and X.format not in ("csr", "csc"):
        X = X.tocsr()
    rows = _check_test_indices(test_indices, models, n_rows)
    levels = _check_levels(noise_levels, X)
    if not isinstance(n_repeats, numbers.Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an int >= 1; got {n_repeats!r}.")
    if not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be an int >= 1; got {n_bins!r}.")

    runs = {
        side: [_score_run(m, X, y, r, classes, n_bins) for m, r in zip(ms, rows[side])]
        for side, ms in models.items()
    }
    several = min(len(ms) for ms in models.values()) > 1
    noise_kind = "dropout" if sp.issparse(X) else "gaussian"
    noise = _noise(models, runs, rows, X, y, levels, n_repeats, random_state)
    predictions, confidence = _predictions(runs, classes, X, y, n_rows)
    report = RobustnessReport(
        scores=_scores_frame(runs, several),
        per_class=_per_class_frame(runs, classes, predictions, several),
        noise=_noise_frame(noise, levels, several),
        predictions=predictions,
        changed=predictions[predictions["changed"]],
        changed_by_class=_changed_by_class(predictions, classes),
        confidence=confidence,
        classes=classes,
        n_bins=int(n_bins),
        noise_kind=noise_kind,
        n_repeats=int(n_repeats),
        n_models={side: len(ms) for side, ms in models.items()},
    )
    return report


# ----------------------------------------------------------------- validation


def _check_models(models, side):
    models = list(models) if isinstance(models, list | tuple) else [models]
    if not models:
        raise ValueError(f"{side} is an empty list; pass at least one fitted model.")
    for i, model in enumerate(models):
        what = side if len(models) == 1 else f"{side}[{i}]"
        if not hasattr(model, "predict_proba"):
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
        if not hasattr(model, "classes_"):
            raise ValueError(
                f"{what} ({type(model).__name__}) has no classes_; the report needs "
                "fitted classifiers."
            )
    return models


def _check_classes(models):
    classes = np.asarray(models["reference"][0].classes_)
    first = "reference" if len(models["reference"]) == 1 else "reference[0]"
    for side, ms in models.items():
        for i, model in enumerate(ms):
            other = np.asarray(model.classes_)
            if other.shape != classes.shape or not np.array_equal(other, classes):
                what = side if len(ms) == 1 else f"{side}[{i}]"
                raise ValueError(
                    f"The models know different classes: {first} has "
                    f"{classes.tolist()}, {what} has {other.tolist()}; compare models "
                    "trained on the same labels."
                )
    return classes


def _check_rows(X, y):
    n_rows = _num_samples(X)
    if _num_samples(y) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but y has {_num_samples(y)} labels; pass one "
            "label per row."
        )
    if n_rows == 0:
        raise ValueError("X has no rows; pass held-out rows to score the models on.")
    return n_rows


def _check_n_features(models, X):
    shape = getattr(X, "shape", None)
    n_features = shape[1] if shape is not None and len(shape) == 2 else None
    expected = {}
    for side, ms in models.items():
        for i, model in enumerate(ms):
            n = getattr(model, "n_features_in_", None)
            if n is not None:
                expected[side if len(ms) == 1 else f"{side}[{i}]"] = int(n)
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


def _check_test_indices(test_indices, models, n_rows):
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


def _check_levels(noise_levels, X):
    levels = np.asarray(noise_levels, dtype=float).ravel()
    top = 1.0 if sp.issparse(X) else np.inf
    if not np.all(np.isfinite(levels)) or np.any(levels < 0) or np.any(levels > top):
        what = (
            "shares of non-zero entries to drop, in [0, 1]"
            if sp.issparse(X)
            else "finite multiples of each feature's standard deviation, >= 0"
        )
        raise ValueError(f"noise_levels must be {what}; got {list(noise_levels)}.")
    if np.any(levels > 0) and not sp.issparse(X):
        _numeric_columns(X)
    return levels


def _numeric_columns(X):
    """The numeric part of a dense X: the columns that noise is added to."""
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


# ---------------------------------------------------------------- computation


def _score_run(model, X, y, rows, classes, n_bins):
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
        "expected_calibration_error": _ece(
            classes[proba.argmax(axis=1)] == y_rows, proba.max(axis=1), n_bins
        ),
        "brier_score": brier_score_loss(y_rows, proba, labels=classes),
        "log_loss": log_loss(y_rows, proba, labels=classes),
    }


def _perturb(X, level, rng, scale):
    if level == 0:
        return X
    if sp.issparse(X):
        X = X.copy()
        X.data = np.where(rng.random_sample(X.data.shape) < level, 0, X.data)
        X.eliminate_zeros()
        return X
    if hasattr(X, "select_dtypes"):
        columns = _numeric_columns(X)
        values = X[columns].to_numpy(dtype=float)
        noisy = values + level * scale * rng.standard_normal(values.shape)
        X = X.copy()
        X[columns] = noisy
        return X
    values = np.asarray(X, dtype=float)
    return values + level * scale * rng.standard_normal(values.shape)


def _noise_scale(X):
    if sp.issparse(X):
        return None
    if hasattr(X, "select_dtypes"):
        values = X[_numeric_columns(X)].to_numpy(dtype=float)
    else:
        values = np.asarray(X, dtype=float)
    return np.nan_to_num(np.nanstd(values, axis=0))


def _noise(models, runs, rows, X, y, levels, n_repeats, random_state):
    """Accuracy of every model at every level: side -> (n_levels, n_models)."""
    rng = check_random_state(random_state)
    scale = _noise_scale(X) if np.any(levels > 0) else None
    result = {side: np.zeros((len(levels), len(ms))) for side, ms in models.items()}
    for i, level in enumerate(levels):
        if level == 0:
            for side in models:
                result[side][i] = [run["accuracy"] for run in runs[side]]
            continue
        for _ in range(n_repeats):
            noisy = _perturb(X, level, rng, scale)
            for side, ms in models.items():
                for j, (model, r) in enumerate(zip(ms, rows[side])):
                    predicted = model.predict(_safe_indexing(noisy, r))
                    result[side][i, j] += accuracy_score(y[r], predicted) / n_repeats
    return result


def _predictions(runs, classes, X, y, n_rows):
    """Per row: the most frequent prediction of each side, and its confidence."""
    columns = {}
    scored = np.ones(n_rows, dtype=bool)
    confidence = []
    for side, side_runs in runs.items():
        votes = np.zeros((n_rows, len(classes)))
        proba_sum = np.zeros((n_rows, len(classes)))
        for k, run in enumerate(side_runs):
            codes = np.searchsorted(classes, run["predicted"])
            np.add.at(votes, (run["rows"], codes), 1)
            np.add.at(proba_sum, run["rows"], run["proba"])
            top = run["proba"].argmax(axis=1)
            confidence.append(
                pd.DataFrame(
                    {
                        "model": side,
                        "run": k,
                        "row": run["rows"],
                        "correct": classes[top] == y[run["rows"]],
                        "confidence": run["proba"].max(axis=1),
                    }
                )
            )
        count = votes.sum(axis=1)
        scored &= count > 0
        modal = votes.argmax(axis=1)
        columns[f"predicted_{side}"] = classes[modal]
        columns[f"confidence_{side}"] = proba_sum[
            np.arange(n_rows), modal
        ] / np.maximum(count, 1)
    index = X.index if isinstance(X, pd.DataFrame | pd.Series) else None
    frame = pd.DataFrame(
        {
            "true": y,
            "predicted_reference": columns["predicted_reference"],
            "predicted_pruned": columns["predicted_pruned"],
            "confidence_reference": columns["confidence_reference"],
            "confidence_pruned": columns["confidence_pruned"],
        },
        index=pd.RangeIndex(n_rows) if index is None else index,
    )
    frame.index.name = "row"
    frame["changed"] = frame["predicted_reference"] != frame["predicted_pruned"]
    return frame[scored], pd.concat(confidence, ignore_index=True)


def _welch(pruned, reference):
    """Welch's t-test of pruned against reference, NaN where undefined."""
    pruned, reference = np.asarray(pruned), np.asarray(reference)
    pruned, reference = pruned[~np.isnan(pruned)], reference[~np.isnan(reference)]
    if min(len(pruned), len(reference)) < 2:
        return np.nan, np.nan
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(pruned, reference, equal_var=False)
    return float(result.statistic), float(result.pvalue)


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=-1)
        std = np.nanstd(values, axis=-1, ddof=1) if values.shape[-1] > 1 else np.nan
    return mean, std


def _scores_frame(runs, several):
    frame = pd.DataFrame(index=pd.Index(SCORES, name="score"))
    values = {side: [[run[s] for run in runs[side]] for s in SCORES] for side in SIDES}
    for side in SIDES:
        frame[side] = _mean_std(values[side])[0]
    frame["change"] = frame["pruned"] - frame["reference"]
    if several:
        for side in SIDES:
            frame[f"{side}_std"] = _mean_std(values[side])[1]
        frame["p_value"] = [
            _welch(p, r)[1] for p, r in zip(values["pruned"], values["reference"])
        ]
    return frame


def _per_class_frame(runs, classes, predictions, several):
    frame = pd.DataFrame(index=pd.Index(classes, name="class"))
    frame["support"] = [int((predictions["true"] == c).sum()) for c in classes]
    recall = {s: np.array([run["recall"] for run in runs[s]]).T for s in SIDES}
    precision = {s: np.array([run["precision"] for run in runs[s]]).T for s in SIDES}
    for metric, values in (("recall", recall), ("precision", precision)):
        for side in SIDES:
            frame[f"{metric}_{side}"] = _mean_std(values[side])[0]
        frame[f"{metric}_change"] = (
            frame[f"{metric}_pruned"] - frame[f"{metric}_reference"]
        )
    if several:
        for side in SIDES:
            frame[f"recall_{side}_std"] = _mean_std(recall[side])[1]
        tests = [_welch(p, r) for p, r in zip(recall["pruned"], recall["reference"])]
        frame["t_statistic"] = [t for t, _ in tests]
        frame["p_value"] = [p for _, p in tests]
    return frame.sort_values("recall_change", kind="stable", na_position="last")


def _noise_frame(noise, levels, several):
    frame = pd.DataFrame(index=pd.Index(levels, name="level"))
    for side in SIDES:
        frame[f"accuracy_{side}"] = _mean_std(noise[side])[0]
    frame["change"] = frame["accuracy_pruned"] - frame["accuracy_reference"]
    if several:
        for side in SIDES:
            frame[f"accuracy_{side}_std"] = _mean_std(noise[side])[1]
    return frame


def _changed_by_class(predictions, classes):
    true = predictions["true"]
    right_before = predictions["predicted_reference"] == true
    right_after = predictions["predicted_pruned"] == true
    changed = predictions["changed"]
    frame = pd.DataFrame(index=pd.Index(classes, name="class"))
    frame["support"] = [int((true == c).sum()) for c in classes]
    frame["changed"] = [int((changed & (true == c)).sum()) for c in classes]
    frame["became_wrong"] = [
        int((right_before & ~right_after & (true == c)).sum()) for c in classes
    ]
    frame["became_right"] = [
        int((~right_before & right_after & (true == c)).sum()) for c in classes
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share_changed"] = frame["changed"] / frame["support"].where(
            frame["support"] > 0
        )
    return frame


# -------------------------------------------------------------------- display


class RobustnessDisplay:
    """Reliability curves of a reference and a pruned model, and recall change.

    Three panels: the reliability curve of each model (top-class confidence against
    the share of rows whose top class is right, drawn by
    :class:`~sklearn.calibration.CalibrationDisplay`), and a bar per class of the
    change in recall, the worst on top. Build it with :meth:`from_estimators` or
    :meth:`from_report`; all parameters are stored as attributes.

    Parameters
    ----------
    confidence : pandas.DataFrame
        The ``confidence`` frame of a :func:`robustness_report`: columns ``model``
        (``"reference"`` or ``"pruned"``), ``confidence`` and ``correct``.
    recall_change : pandas.Series
        Change of recall per class, pruned minus reference, indexed by class.
    n_bins : int, default=15
        Equal-width bins of the reliability curves.
    scores : pandas.DataFrame or None, default=None
        The ``scores`` frame of the report; its calibration errors go into the
        panel titles.
    recall_change_error : pandas.Series or None, default=None
        Standard error of each class's recall change, drawn as error bars: with
        several models per side, ``sqrt(s_r**2 / n_r + s_p**2 / n_p)`` from the
        standard deviations ``s`` over ``n`` models, the error Welch's t-test
        divides by.

    Attributes
    ----------
    calibration_displays_ : list of sklearn.calibration.CalibrationDisplay
        The reliability curve of the reference and of the pruned model.
    bars_ : matplotlib BarContainer
        One bar per class.
    ax_ : ndarray of matplotlib Axes
        The three panels.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    robustness_report : The numbers behind the picture.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklprune import RobustnessDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> reference = LogisticRegression(max_iter=1000).fit(X[::2], y[::2])
    >>> weaker = LogisticRegression(C=0.01, max_iter=1000).fit(X[::2], y[::2])
    >>> display = RobustnessDisplay.from_estimators(reference, weaker, X[1::2],
    ...                                             y[1::2])
    >>> len(display.calibration_displays_), len(display.bars_)
    (2, 3)
    """

    def __init__(
        self,
        *,
        confidence,
        recall_change,
        n_bins=DEFAULT_N_BINS,
        scores=None,
        recall_change_error=None,
    ):
        self.confidence = confidence
        self.recall_change = recall_change
        self.n_bins = n_bins
        self.scores = scores
        self.recall_change_error = recall_change_error

    def plot(self, ax=None):
        """Draw the two reliability curves and the recall change.

        Parameters
        ----------
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into; ``None`` creates a figure.

        Returns
        -------
        display : RobustnessDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        from sklearn.calibration import CalibrationDisplay

        if ax is None:
            try:
                import matplotlib.pyplot as plt
            except ImportError as exc:
                raise ImportError(
                    "RobustnessDisplay.plot needs matplotlib: pip install matplotlib "
                    "(or sklprune[plot])."
                ) from exc
            _, ax = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.size != 3:
            raise ValueError(
                f"ax must hold three Axes (two reliability curves and the recall "
                f"change); got {axes.size}."
            )
        self.calibration_displays_ = []
        for side, axis in zip(SIDES, axes[:2]):
            rows = self.confidence[self.confidence["model"] == side]
            display = CalibrationDisplay.from_predictions(
                rows["correct"].astype(int),
                rows["confidence"],
                n_bins=self.n_bins,
                strategy="uniform",
                pos_label=1,
                name=side,
                ax=axis,
            )
            axis.set_xlabel("Top-class confidence")
            axis.set_ylabel("Share of rows whose top class is right")
            title = f"Reliability, {side} model"
            if self.scores is not None:
                ece = self.scores.loc["expected_calibration_error", side]
                title += f" (ECE {ece:.3f})"
            axis.set_title(title)
            self.calibration_displays_.append(display)
        change = pd.Series(self.recall_change).sort_values(ascending=False)
        bar_ax = axes[2]
        labels = [str(c) for c in change.index]
        colours = ["#b2182b" if v < 0 else "#2166ac" for v in change.fillna(0)]
        error = None
        if self.recall_change_error is not None:
            error = pd.Series(self.recall_change_error).reindex(change.index)
            error = error.fillna(0).to_numpy()
        self.bars_ = bar_ax.barh(
            labels, change.fillna(0).to_numpy(), xerr=error, color=colours, capsize=3
        )
        bar_ax.axvline(0, color="0.3", linewidth=0.8)
        bar_ax.set_xlabel("Recall change (pruned - reference)")
        bar_ax.set_ylabel("Class")
        bar_ax.set_title("Per-class recall change, worst on top")
        self.ax_ = axes
        self.figure_ = axes[0].figure
        return self

    @classmethod
    def from_report(cls, report, *, ax=None):
        """Plot a computed :func:`robustness_report`.

        Parameters
        ----------
        report : RobustnessReport
            What :func:`robustness_report` returns.
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into.

        Returns
        -------
        display : RobustnessDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from sklprune import RobustnessDisplay, robustness_report
        >>> X, y = load_iris(return_X_y=True)
        >>> reference = GaussianNB().fit(X[::2], y[::2])
        >>> stump = DecisionTreeClassifier(max_depth=1).fit(X[::2], y[::2])
        >>> report = robustness_report(reference, stump, X[1::2], y[1::2],
        ...                            noise_levels=())
        >>> display = RobustnessDisplay.from_report(report)
        >>> display.ax_[2].get_xlabel()
        'Recall change (pruned - reference)'
        """
        missing = {"confidence", "per_class", "n_bins", "scores", "n_models"}
        missing -= set(report)
        if missing:
            raise ValueError(
                "report must be what robustness_report returns; it lacks "
                f"{sorted(missing)}."
            )
        per_class = report["per_class"]
        error = None
        if "recall_reference_std" in per_class:
            n = report["n_models"]
            error = np.sqrt(
                per_class["recall_reference_std"] ** 2 / n["reference"]
                + per_class["recall_pruned_std"] ** 2 / n["pruned"]
            )
        return cls(
            confidence=report["confidence"],
            recall_change=per_class["recall_change"],
            n_bins=report["n_bins"],
            scores=report["scores"],
            recall_change_error=error,
        ).plot(ax=ax)

    @classmethod
    def from_estimators(
        cls,
        reference,
        pruned,
        X,
        y,
        *,
        test_indices=None,
        n_bins=DEFAULT_N_BINS,
        ax=None,
    ):
        """Score both models with :func:`robustness_report`, then plot.

        Parameters
        ----------
        reference, pruned : classifier or list of classifiers
            Fitted classifiers with ``predict_proba``, as for
            :func:`robustness_report`.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels.
        test_indices : list of array-like of int, default=None
            Rows of each pair of models, as for :func:`robustness_report`.
        n_bins : int, default=15
            Equal-width bins of the reliability curves.
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into.

        Returns
        -------
        display : RobustnessDisplay
        """
        report = robustness_report(
            reference,
            pruned,
            X,
            y,
            test_indices=test_indices,
            noise_levels=(),
            n_bins=n_bins,
        )
        return cls.from_report(report, ax=ax)
