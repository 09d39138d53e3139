"""The ``sklprune`` command's answer to "did pruning hurt?".

The dense and the pruned pipeline are compared with
:func:`~sklprune.robustness_report` on the test rows. Noise goes into the network's
inputs, after preprocessing (standardised numbers and one-hot columns get Gaussian
noise, a sparse TF-IDF matrix loses non-zero entries): both pipelines fit the same
deterministic preprocessing on the same rows, so their networks see the same inputs.
Classifiers are compared by calibration, per-class recall and changed predictions;
regressors by residual spread, error by quantile of the target and predictions that
moved by more than a tenth of the target's standard deviation.
"""

import pandas as pd

from ..robustness import (
    RegressionRobustnessDisplay,
    RegressionRobustnessReport,
    RobustnessDisplay,
    robustness_report,
)
from ._data import label_text
from ._report import number_text

NOISE_LEVELS = (0.0, 0.1, 0.25, 0.5)
N_REPEATS = 3
N_BINS = 15


def compare(dense, pruned, X_test, y_test, random_state):
    """:func:`~sklprune.robustness_report` of two fitted pipelines' networks.

    The rows of ``predictions`` and ``changed`` are labelled by the index of
    ``X_test``: the 0-based data row of the file they were read from.
    """
    report = robustness_report(
        dense[-1],
        pruned[-1],
        dense[:-1].transform(X_test),
        y_test,
        noise_levels=NOISE_LEVELS,
        n_repeats=N_REPEATS,
        n_bins=N_BINS,
        random_state=random_state,
    )
    predictions = report.predictions
    predictions.index = pd.Index(X_test.index[predictions.index], name="row")
    report.changed = predictions[predictions["changed"]]
    return report


def model_numbers(report):
    """The numbers of the printed table, per model: ``{"dense": {...}, ...}``."""
    if isinstance(report, RegressionRobustnessReport):
        numbers = _regression_numbers(report)
    else:
        numbers = _classification_numbers(report)
    return {
        name: {k: _plain(v) for k, v in values.items()}
        for name, values in numbers.items()
    }


def _classification_numbers(report):
    """The classification rows of the table: calibration, noise, worst class."""
    numbers = {}
    for name, side in (("dense", "reference"), ("pruned", "pruned")):
        values = {
            "ece_test": report.scores.loc["expected_calibration_error", side],
            "brier_test": report.scores.loc["brier_score", side],
        }
        for level in NOISE_LEVELS[1:]:
            values[f"accuracy_noise_{level:g}_test"] = report.noise.loc[
                level, f"accuracy_{side}"
            ]
        values["worst_class"] = None
        values["worst_class_recall_change"] = None
        numbers[name] = values
    worst = report.per_class.index[0]
    numbers["pruned"]["worst_class"] = _plain(worst)
    numbers["pruned"]["worst_class_recall_change"] = float(
        report.per_class.loc[worst, "recall_change"]
    )
    return numbers


def _regression_numbers(report):
    """The regression rows of the table: residuals, noise, worst quantile, moves."""
    numbers = {}
    for name, side in (("dense", "reference"), ("pruned", "pruned")):
        values = {"residual_std_test": report.residuals.loc["std", side]}
        for level in NOISE_LEVELS[1:]:
            values[f"r2_noise_{level:g}_test"] = report.noise.loc[level, f"r2_{side}"]
        values |= {
            "worst_quantile": None,
            "worst_quantile_mae_change": None,
            "moved_test": None,
        }
        numbers[name] = values
    worst = report.by_target["mae_change"].idxmax()
    bin_ = report.by_target.loc[worst]
    numbers["pruned"] |= {
        "worst_quantile": f"{worst} of {report.n_quantiles} "
        f"({number_text(bin_['lower'])} to {number_text(bin_['upper'])})",
        "worst_quantile_mae_change": float(bin_["mae_change"]),
        "moved_test": len(report.changed),
    }
    return numbers


def robustness_notes(report):
    """Two lines under the table: what its robustness rows mean, and the changes."""
    levels = "/".join(f"{level:g}" for level in NOISE_LEVELS[1:])
    if report.noise_kind == "dropout":
        noise = f"a share {levels} of the non-zero network inputs dropped"
    else:
        noise = f"Gaussian noise of {levels} x each network input's standard deviation"
    if isinstance(report, RegressionRobustnessReport):
        return _regression_notes(report, noise)
    worst = report.per_class.iloc[0]
    n_rows = len(report.predictions)
    return "\n".join(
        [
            f"ECE: expected calibration error over {report.n_bins} equal-width bins "
            f"of the top-class confidence; noise: {noise}, mean of {N_REPEATS} "
            "repeats",
            f"predictions changed by pruning: {len(report.changed)} of {n_rows} test "
            f"rows; worst class {label_text(report.per_class.index[0])}: recall "
            f"{worst['recall_reference']:.3f} -> {worst['recall_pruned']:.3f}",
        ]
    )


def _regression_notes(report, noise):
    """The notes under the table of a regression run."""
    worst = report.by_target["mae_change"].idxmax()
    bin_ = report.by_target.loc[worst]
    n_rows = len(report.predictions)
    return "\n".join(
        [
            f"noise: {noise}, mean of {N_REPEATS} repeats; quantiles: "
            f"{report.n_quantiles} bins of the test target",
            "predictions moved by pruning by more than "
            f"{number_text(report.tolerance)} (a tenth of the test target's "
            f"standard deviation): {len(report.changed)} of {n_rows} test rows; "
            f"largest error rise in target quantile {worst} "
            f"({number_text(bin_['lower'])} to {number_text(bin_['upper'])}): MAE "
            f"{number_text(bin_['mae_reference'])} -> "
            f"{number_text(bin_['mae_pruned'])}",
        ]
    )


def _records(frame, index):
    """A frame as JSON records, its index a column; the reference is "dense"."""
    frame = frame.reset_index(names=index)
    frame.columns = [str(c).replace("reference", "dense") for c in frame.columns]
    return frame.to_dict("records")


def robustness_json(report):
    """The ``robustness`` part of ``report.json``; the reference is "dense"."""
    if isinstance(report, RegressionRobustnessReport):
        return {
            "noise_kind": report.noise_kind,
            "noise_levels": list(NOISE_LEVELS),
            "noise_repeats": N_REPEATS,
            "n_quantiles": report.n_quantiles,
            "tolerance": report.tolerance,
            "scores": _records(report.scores, "score"),
            "residuals": _records(report.residuals, "statistic"),
            "by_target_quantile": _records(report.by_target, "quantile"),
            "by_prediction_quantile": _records(report.by_prediction, "quantile"),
            "noise": _records(report.noise, "level"),
            "n_changed": len(report.changed),
            "changed": _records(report.changed, "row"),
        }
    return {
        "ece_bins": report.n_bins,
        "noise_kind": report.noise_kind,
        "noise_levels": list(NOISE_LEVELS),
        "noise_repeats": N_REPEATS,
        "scores": _records(report.scores, "score"),
        "per_class": _records(report.per_class, "class"),
        "noise": _records(report.noise, "level"),
        "n_changed": len(report.changed),
        "changed_by_class": _records(report.changed_by_class, "class"),
        "changed": _records(report.changed, "row"),
    }


def reliability_figure(report, title):
    """Reliability curves of both networks and per-class recall change."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(14, 4.4), layout="constrained")
    RobustnessDisplay.from_report(report, ax=figure.subplots(1, 3))
    figure.suptitle(title)
    return figure


def errors_figure(report, title):
    """Predictions of both regressors and their error by quantile."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15, 4.6), layout="constrained")
    RegressionRobustnessDisplay.from_report(report, ax=figure.subplots(1, 3))
    figure.suptitle(title)
    return figure


def _plain(value):
    return value.item() if hasattr(value, "item") else value
