"""The report: :func:`robustness_report`, and the RobustnessReport of classifiers.

The report of regressors is :mod:`sklprune.robustness._regression`'s.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import column_or_1d

from ._checks import (
    check_classes,
    check_count,
    check_labels,
    check_levels,
    check_models,
    check_n_features,
    check_rows,
    check_task,
    check_test_indices,
)
from ._held_out import HeldOut, noise_frame, run_values
from ._metrics import DEFAULT_N_BINS, SCORES, score_model
from ._noise import DEFAULT_NOISE_LEVELS, noise_targets, noise_text
from ._regression import DEFAULT_N_QUANTILES, regression_report
from ._statistics import SIDES, comparison_frame, mean_and_std, welch_t_test
from ._text import PrintedReport, frame_text, title_line


class RobustnessReport(PrintedReport):
    """What :func:`robustness_report` returns for classifiers: a Bunch of
    DataFrames that prints.

    Printing it (``print(report)``), or :meth:`summary`, gives the tables as text.
    """

    def summary(self):
        """The report as text: scores, classes worst first, noise, changed rows.

        Returns
        -------
        text : str
        """
        lines = [
            title_line(len(self.predictions), self.n_models),
            "",
            f"Scores (expected calibration error over {self.n_bins} equal-width "
            "bins of the top-class confidence)",
            frame_text(self.scores),
            "",
            "Per class, worst recall change first",
            frame_text(self.per_class),
        ]
        if len(self.noise):
            lines += [
                "",
                f"Accuracy under noise {noise_text(self.noise_on, self.noise_kind)}; "
                f"mean of {self.n_repeats} repeats",
                frame_text(self.noise),
            ]
        n_changed, n_rows = len(self.changed), len(self.predictions)
        lines += [
            "",
            f"Predictions changed: {n_changed} of {n_rows} rows "
            f"({n_changed / max(n_rows, 1):.1%}); by true class",
            frame_text(self.changed_by_class),
        ]
        return "\n".join(lines)


def robustness_report(
    reference,
    pruned,
    X,
    y,
    *,
    test_indices=None,
    noise_levels=DEFAULT_NOISE_LEVELS,
    noise_on="auto",
    n_repeats=3,
    n_bins=DEFAULT_N_BINS,
    n_quantiles=DEFAULT_N_QUANTILES,
    tolerance=None,
    random_state=None,
):
    """Compare a pruned model with its reference: who paid for the lost weights.

    For **classifiers**, both models (or both lists of models) are scored on
    held-out rows for:

    * per-class recall and precision, and their change, worst recall change first;
    * accuracy, expected calibration error (``n_bins`` equal-width bins of the
      top-class confidence, see :func:`expected_calibration_error`), Brier score
      (:func:`~sklearn.metrics.brier_score_loss`: halved for two classes, the sum
      over classes for more) and log-loss;
    * accuracy under perturbed input, at every level of ``noise_levels`` (below);
    * the rows whose predicted class changed, with both predictions and both
      confidences, and how they split by true class (the "pruning-identified
      exemplars" of Hooker et al. 2019).

    For **regressors** (of one target), the same questions in a regressor's
    terms, in a :class:`RegressionRobustnessReport`:

    * R², mean absolute error and root mean squared error;
    * the spread of the residuals (prediction minus target): mean, standard
      deviation and quantiles;
    * the mean absolute error, and its change, in each of ``n_quantiles``
      quantile bins of the target, and of the reference's prediction: whether
      pruning costs the rare high or low values more than the mean;
    * R² and mean absolute error under perturbed input;
    * the rows whose prediction moved by more than ``tolerance``.

    The noise of a level is, for dense input, Gaussian noise of ``level`` times
    each feature's standard deviation (over the rows) added to every numeric
    column; for sparse input (text, one-hot), each non-zero entry set to zero
    with probability ``level``. The noise goes into ``X`` when it holds numbers,
    and every model sees the same perturbed rows; for pipelines on input without
    numbers (raw text), into the input of each pipeline's last step, the rows
    its other steps make of ``X`` (see ``noise_on``). Level 0 leaves the input
    untouched and gives the plain scores.

    Several models per side (seeds, or the estimators of
    :func:`~sklearn.model_selection.cross_validate` with ``return_estimator=True``)
    give means over models, their standard deviations and Welch's t-test
    (:func:`scipy.stats.ttest_ind` with ``equal_var=False``) of whether each
    score, each class's recall or each quantile's error changed. A row's
    prediction is then the most frequent class among the models that scored it
    (ties: the first class), and its confidence the mean probability those
    models give that class; a regressor's, the mean of their predictions.

    Predictions come from ``predict``, probabilities from ``predict_proba``;
    calibration uses the class of highest probability.

    Parameters
    ----------
    reference : classifier, regressor or list of them
        Fitted model(s), the dense one(s): classifiers with ``predict_proba``,
        or regressors.
    pruned : classifier, regressor or list of them
        Fitted model(s) of the same task (classifiers with the same
        ``classes_``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows. A DataFrame is passed to the models as it is; only its
        numeric columns get noise.
    y : array-like of shape (n_samples,)
        Their labels, or target values.
    test_indices : list of array-like of int, default=None
        For models fitted on different folds: the rows of ``X`` each pair of
        models is scored on, one array per pair, e.g.
        ``cross_validate(..., return_indices=True)["indices"]["test"]``; then
        ``reference`` and ``pruned`` are lists of that length. ``None`` scores every
        model on all of ``X``.
    noise_levels : sequence of float, default=(0.0, 0.1, 0.25, 0.5)
        Perturbation levels, >= 0 (at most 1 for sparse input). Empty skips noise.
    noise_on : {"auto", "input", "last_step"}, default="auto"
        Where the noise goes. ``"input"``: into ``X`` as given (its numeric
        columns for a DataFrame). ``"last_step"``: into the input of each
        pipeline's last step, what that pipeline's other steps make of ``X``
        (each its own: two pipelines may have learned different vocabularies);
        every model must be a :class:`~sklearn.pipeline.Pipeline`, and models
        whose steps make rows of the same shape see them perturbed with the same
        seed. ``"auto"``: ``"input"`` when ``X`` holds numbers (a numeric or
        sparse array, a DataFrame with numeric columns), else ``"last_step"``
        when every model is a pipeline.
    n_repeats : int, default=3
        Perturbed copies of ``X`` per level above 0.
    n_bins : int, default=15
        Classifiers: equal-width confidence bins of the expected calibration
        error.
    n_quantiles : int, default=5
        Regressors: quantile bins of the target and of the prediction (5:
        quintiles).
    tolerance : float or None, default=None
        Regressors: how far, in the units of ``y``, a row's prediction must
        move to count as changed. ``None``: a tenth of the standard deviation
        of ``y``.
    random_state : int, RandomState instance or None, default=None
        Seeds the perturbations.

    Returns
    -------
    report : RobustnessReport or RegressionRobustnessReport
        A :class:`~sklearn.utils.Bunch` of DataFrames, which prints as text.
        For classifiers, a :class:`RobustnessReport`:

        * ``scores``: one row per score (accuracy, expected_calibration_error,
          brier_score, log_loss); columns ``reference``, ``pruned``, ``change``
          (pruned minus reference), and with several models ``reference_std``,
          ``pruned_std``, ``p_value``.
        * ``per_class``: one row per class, worst recall change first; ``support``,
          ``recall_*`` and ``precision_*`` of both and the change (NaN where
          undefined: a class never predicted has no precision), and with several
          models ``recall_reference_std``, ``recall_pruned_std``, ``t_statistic``,
          ``p_value``.
        * ``noise``: one row per level; ``accuracy_reference``,
          ``accuracy_pruned``, ``accuracy_change`` (and the ``_std`` over models
          and ``accuracy_p_value`` with several).
        * ``predictions``: one row per scored row of ``X`` (indexed by ``X``'s index
          for a DataFrame, else by position): ``true``, ``predicted_*``,
          ``confidence_*`` (the probability given to the predicted class),
          ``changed``.
        * ``changed``: the rows of ``predictions`` whose prediction changed.
        * ``changed_by_class``: per true class, ``support``, ``changed``,
          ``became_wrong``, ``became_right`` and ``share_changed``.
        * ``confidence``: per model and row, the top-class confidence and whether
          that class is right (what the reliability curves draw).
        * ``classes``, ``n_bins``, ``noise_on`` (``"input"`` or
          ``"last_step"``: where the noise went), ``noise_kind`` (``"gaussian"``,
          ``"dropout"``, or ``"mixed"`` when the pipelines' steps make dense rows
          for some models and sparse for others), ``n_repeats``, ``n_models``
          (models per side).

        For regressors, a :class:`RegressionRobustnessReport`; its tables are
        listed there.

    Raises
    ------
    ValueError
        When a classifier lacks ``predict_proba``, the models mix classifiers
        and regressors, the classifiers' ``classes_`` differ, ``y`` holds labels
        the models never saw (or, for regressors, several targets), or ``X`` has
        a different number of features than the models.
    sklearn.exceptions.NotFittedError
        When a model is not fitted (a ``ValueError`` too).

    See Also
    --------
    RobustnessDisplay : Reliability curves and per-class recall change.
    RegressionRobustnessDisplay : Predictions and error by quantile of regressors.
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

    Regressors are compared by their errors:

    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reference = Ridge(alpha=0.01).fit(X_train, y_train)
    >>> weaker = Ridge(alpha=10.0).fit(X_train, y_train)
    >>> report = robustness_report(reference, weaker, X_test, y_test,
    ...                            random_state=0)
    >>> report.scores.loc["r2"].round(3).tolist()
    [0.357, 0.143, -0.213]
    >>> report.by_target["mae_change"].round(1).tolist()  # the extremes pay
    [27.8, 8.0, -25.9, -0.3, 30.4]
    """
    models = {
        "reference": check_models(reference, "reference"),
        "pruned": check_models(pruned, "pruned"),
    }
    task = check_task(models)
    n_rows = check_rows(X, y)
    check_n_features(models, X)
    if sp.issparse(X) and X.format not in ("csr", "csc"):
        X = X.tocsr()
    rows = check_test_indices(test_indices, models, n_rows)
    noise_on, targets = noise_targets(noise_on, models, X)
    inputs = list({id(X): X for ts in targets.values() for _, X in ts}.values())
    levels = check_levels(noise_levels, inputs)
    check_count(n_repeats, "n_repeats")
    held_out = HeldOut(
        models, X, rows, levels, int(n_repeats), random_state, noise_on, targets
    )
    if task == "regression":
        return regression_report(held_out, y, n_quantiles, tolerance)
    return _classification_report(held_out, y, n_bins)


def _classification_report(held_out, y, n_bins):
    """The report of classifiers on checked held-out rows."""
    models, X = held_out.models, held_out.X
    classes = check_classes(models)
    y = column_or_1d(y)
    check_labels(y, classes)
    check_count(n_bins, "n_bins")
    runs = {
        side: [
            score_model(m, X, y, r, classes, n_bins)
            for m, r in zip(ms, held_out.rows[side])
        ]
        for side, ms in models.items()
    }
    noise = held_out.scores_under_noise(runs, y, {"accuracy": accuracy_score})
    predictions, confidence = _predictions(runs, classes, X, y, len(y))
    return RobustnessReport(
        scores=comparison_frame(
            run_values(runs, SCORES), pd.Index(SCORES, name="score"), held_out.several
        ),
        per_class=_per_class_frame(runs, classes, predictions, held_out.several),
        noise=noise_frame(noise, held_out),
        predictions=predictions,
        changed=predictions[predictions["changed"]],
        changed_by_class=_changed_by_class(predictions, classes),
        confidence=confidence,
        classes=classes,
        n_bins=int(n_bins),
        noise_on=held_out.noise_on,
        noise_kind=held_out.noise_kind,
        n_repeats=held_out.n_repeats,
        n_models=held_out.n_models,
    )


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


def _per_class_frame(runs, classes, predictions, several):
    """The ``per_class`` table: recall and precision per class, worst change first."""
    frame = pd.DataFrame(index=pd.Index(classes, name="class"))
    frame["support"] = [int((predictions["true"] == c).sum()) for c in classes]
    recall = {s: np.array([run["recall"] for run in runs[s]]).T for s in SIDES}
    precision = {s: np.array([run["precision"] for run in runs[s]]).T for s in SIDES}
    for metric, values in (("recall", recall), ("precision", precision)):
        for side in SIDES:
            frame[f"{metric}_{side}"] = mean_and_std(values[side])[0]
        frame[f"{metric}_change"] = (
            frame[f"{metric}_pruned"] - frame[f"{metric}_reference"]
        )
    if several:
        for side in SIDES:
            frame[f"recall_{side}_std"] = mean_and_std(recall[side])[1]
        tests = [
            welch_t_test(p, r) for p, r in zip(recall["pruned"], recall["reference"])
        ]
        frame["t_statistic"] = [t for t, _ in tests]
        frame["p_value"] = [p for _, p in tests]
    return frame.sort_values("recall_change", kind="stable", na_position="last")


def _changed_by_class(predictions, classes):
    """The ``changed_by_class`` table: changed predictions per true class."""
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
