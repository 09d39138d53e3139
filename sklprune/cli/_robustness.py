"""The ``sklprune`` command's answer to "did pruning hurt?".

The dense and the pruned pipeline are compared with
:func:`~sklprune.robustness_report` on the test rows. Noise goes into the network's
inputs, after preprocessing (standardised numbers and one-hot columns get Gaussian
noise, a sparse TF-IDF matrix loses non-zero entries): both pipelines fit the same
deterministic preprocessing on the same rows, so their networks see the same inputs.
"""

import pandas as pd

from ..robustness import RobustnessDisplay, robustness_report
from ._data import label_text

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
    return {
        name: {k: _plain(v) for k, v in values.items()}
        for name, values in numbers.items()
    }


def robustness_notes(report):
    """Two lines under the table: what its robustness rows mean, and the changes."""
    levels = "/".join(f"{level:g}" for level in NOISE_LEVELS[1:])
    if report.noise_kind == "dropout":
        noise = f"a share {levels} of the non-zero network inputs dropped"
    else:
        noise = f"Gaussian noise of {levels} x each network input's standard deviation"
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


def robustness_json(report):
    """The ``robustness`` part of ``report.json``; the reference is "dense"."""

    def records(frame, index):
        frame = frame.reset_index(names=index)
        frame.columns = [str(c).replace("reference", "dense") for c in frame.columns]
        return frame.to_dict("records")

    return {
        "ece_bins": report.n_bins,
        "noise_kind": report.noise_kind,
        "noise_levels": list(NOISE_LEVELS),
        "noise_repeats": N_REPEATS,
        "scores": records(report.scores, "score"),
        "per_class": records(report.per_class, "class"),
        "noise": records(report.noise, "level"),
        "n_changed": len(report.changed),
        "changed_by_class": records(report.changed_by_class, "class"),
        "changed": records(report.changed, "row"),
    }


def reliability_figure(report, title):
    """Reliability curves of both networks and per-class recall change."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(14, 4.4), layout="constrained")
    RobustnessDisplay.from_report(report, ax=figure.subplots(1, 3))
    figure.suptitle(title)
    return figure


def _plain(value):
    return value.item() if hasattr(value, "item") else value
