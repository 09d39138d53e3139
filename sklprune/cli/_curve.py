"""``sklprune curve``: accuracy (or R²) against sparsity along a pruning path.

The points are scored on ``--test`` when it is given, else by cross-validation on
the training rows (:func:`~sklprune.pruning_curve`), stratified for a
classification target.
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from ..pruning_path import pruning_curve
from ._data import label_text
from ._errors import UsageError
from ._figures import curve_figure
from ._parser import DEFAULT_CV
from ._pipeline import build_pipeline, training
from ._report import (
    curve_frame,
    curve_table,
    write_csv,
    write_figure,
    write_json,
)
from ._steps import (
    prepare,
    print_header,
    print_missing_extras,
    report_head,
    write_all,
)

_POINT_KEYS = (
    "test_scores",
    "train_scores",
    "achieved_sparsity",
    "compression_ratio",
    "fit_time",
    "test_calibration_error",
    "test_log_loss",
    "test_mean_absolute_error",
    "test_root_mean_squared_error",
)


def curve(settings):
    """``sklprune curve``: accuracy (or R²) along a pruning path of sparsities."""
    out, table, settings = prepare(settings)
    estimator = build_pipeline(table, settings, float(min(settings.sparsities)))
    X, y, cv, scored_on, scheme = _scoring(table, settings.cv, settings.random_state)
    regression = table.task == "regression"
    print_header(settings, table, scheme)
    show = settings.show_progress
    with training(table, show):
        results = pruning_curve(
            estimator,
            X,
            y,
            sparsities=settings.sparsities,
            cv=cv,
            return_train_score=True,
            return_calibration=not regression,
            return_errors=regression,
            verbose=int(show),
        )
    print()
    print(curve_table(results), flush=True)
    title = (
        f"{table.source}: {settings.strategy} strategy, {settings.granularity} "
        f"granularity ({scored_on})"
    )
    files = {
        "curve.csv": lambda path: write_csv(path, curve_frame(results)),
        "curve.json": lambda path: write_json(
            path, _curve_report(settings, table, results, scheme)
        ),
    }
    if "matplotlib" in settings.extras:
        files["curve.png"] = lambda path: write_figure(
            path, curve_figure(results, title)
        )
    write_all(out, files)
    print_missing_extras(settings.extras, {"plot": "the plot curve.png"})
    return 0


def _scoring(table, n_folds, random_state):
    """The rows, the splits and how they are scored: a test file, or CV folds.

    ``n_folds`` is ``--cv`` as given, ``None`` when left out.
    """
    if table.X_test is not None:
        if n_folds is not None:
            raise UsageError(
                "--cv and --test cannot be used together: a test file scores the "
                "curve once; leave out one of them"
            )
        n_train, n_test = len(table.X_train), len(table.X_test)
        X = pd.concat([table.X_train, table.X_test], ignore_index=True)
        y = np.concatenate([table.y_train, table.y_test])
        splits = [(np.arange(n_train), np.arange(n_train, n_train + n_test))]
        scheme = f"trained on {n_train} rows, scored on the {n_test} rows of --test"
        return X, y, splits, "test file", scheme
    if n_folds is None:
        n_folds = DEFAULT_CV
    X, y = table.X_train, table.y_train
    if table.task == "regression":
        splits = KFold(n_folds, shuffle=True, random_state=random_state)
    else:
        _check_class_counts(table, n_folds)
        splits = StratifiedKFold(n_folds, shuffle=True, random_state=random_state)
    stratified = "" if table.task == "regression" else "stratified "
    scheme = (
        f"{n_folds}-fold {stratified}cross-validation over the {len(X)} rows "
        "(pass --test FILE to score on a test file instead)"
    )
    return X, y, splits, f"{n_folds}-fold cross-validation", scheme


def _check_class_counts(table, n_folds):
    """Every class has a row in each of ``n_folds`` stratified folds."""
    counts = pd.Series(table.y_train).value_counts()
    if counts.min() < n_folds:
        raise UsageError(
            f"class {label_text(counts.idxmin())} has {counts.min()} rows, fewer "
            "than the "
            f"{n_folds} cross-validation folds; lower --cv, or pass a test file "
            "with --test"
        )


def _curve_report(settings, table, results, scheme):
    """The contents of ``curve.json``: data, settings, and every point's scores."""
    keys = [key for key in _POINT_KEYS if key in results]
    points = [
        {"sparsity": float(sparsity)}
        | {key: [float(v) for v in results[key][i]] for key in keys}
        for i, sparsity in enumerate(results.sparsities)
    ]
    return report_head(settings, table) | {
        "scoring": scheme,
        "score_name": results.score_name,
        "points": points,
    }
