"""``sklprune curve``: accuracy against sparsity along a pruning path.

The points are scored on ``--test`` when it is given, else by stratified
cross-validation on the training rows (:func:`~sklprune.pruning_curve`).
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from ..pruning_path import pruning_curve
from ._data import UsageError
from ._parser import DEFAULT_CV
from ._pipeline import build_pipeline, show_progress, training
from ._report import (
    curve_figure,
    curve_frame,
    curve_table,
    write_csv,
    write_figure,
    write_json,
)
from ._steps import (
    installed_extras,
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
)


def curve(args):
    """``sklprune curve``: accuracy along a pruning path of sparsities."""
    out, table = prepare(args)
    estimator = build_pipeline(table, args, float(min(args.sparsities)))
    X, y, cv, scored_on, scheme = _scoring(args, table)
    print_header("curve", args, table, scheme)
    show = show_progress(args)
    with training(table, show):
        results = pruning_curve(
            estimator,
            X,
            y,
            sparsities=args.sparsities,
            cv=cv,
            return_train_score=True,
            return_calibration=True,
            verbose=int(show),
        )
    print()
    print(curve_table(results), flush=True)
    title = (
        f"{table.source}: {args.strategy} strategy, {args.granularity} "
        f"granularity ({scored_on})"
    )
    files = {
        "curve.csv": lambda path: write_csv(path, curve_frame(results)),
        "curve.json": lambda path: write_json(
            path, _curve_report(args, table, results, scheme)
        ),
    }
    extras = installed_extras()
    if extras["matplotlib"]:
        files["curve.png"] = lambda path: write_figure(
            path, curve_figure(results, title)
        )
    write_all(out, files)
    print_missing_extras(extras, {"matplotlib": "the plot curve.png"})
    return 0


def _scoring(args, table):
    """The rows, the splits and how they are scored: a test file, or CV folds."""
    if table.X_test is not None:
        if args.cv is not None:
            raise UsageError(
                "--cv and --test cannot be used together: a test file scores the "
                "curve once; leave out one of them"
            )
        n_train, n_test = len(table.X_train), len(table.X_test)
        X = pd.concat([table.X_train, table.X_test], ignore_index=True)
        y = np.concatenate([table.y_train, table.y_test])
        cv = [(np.arange(n_train), np.arange(n_train, n_train + n_test))]
        scheme = f"trained on {n_train} rows, scored on the {n_test} rows of --test"
        return X, y, cv, "test file", scheme
    n_folds = DEFAULT_CV if args.cv is None else args.cv
    counts = pd.Series(table.y_train).value_counts()
    if counts.min() < n_folds:
        raise UsageError(
            f"class {counts.idxmin()!r} has {counts.min()} rows, fewer than the "
            f"{n_folds} cross-validation folds; lower --cv, or pass a test file "
            "with --test"
        )
    X, y = table.X_train, table.y_train
    cv = StratifiedKFold(n_folds, shuffle=True, random_state=args.random_state)
    scheme = (
        f"{n_folds}-fold stratified cross-validation over the {len(X)} rows "
        "(pass --test FILE to score on a test file instead)"
    )
    return X, y, cv, f"{n_folds}-fold cross-validation", scheme


def _curve_report(args, table, results, scheme):
    points = [
        {"sparsity": float(sparsity)}
        | {key: [float(v) for v in results[key][i]] for key in _POINT_KEYS}
        for i, sparsity in enumerate(results.sparsities)
    ]
    return report_head("curve", args, table) | {
        "scoring": scheme,
        "score_name": results.score_name,
        "points": points,
    }
