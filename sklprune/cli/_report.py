"""The output side of the ``sklprune`` command: measure, tabulate, write (the plots
are :mod:`sklprune.cli._figures`).

Every file is written atomically: into a temporary file in the target directory,
then moved over the target with :func:`os.replace`, so a failure or an interrupt
never leaves a half-written file behind.
"""

import contextlib
import io
import json
import math
import pickle
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from ..compaction import compact
from ..evaluation import measure_latency, model_size, sparsity_report
from ..persistence._atomic import write_atomic
from ._errors import UsageError

LATENCY_ROWS = 1000
LATENCY_REPEATS = 7


# ------------------------------------------------------------------- writing


def check_writable(directory):
    """Create ``directory`` if needed and make sure files can be written there."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(
            f"cannot write to output directory {directory} ({reason}); pass --out "
            "a directory you can write to"
        ) from None
    return path


def write_json(path, data):
    """Write ``data`` as JSON, made JSON-safe by :func:`_json_safe` first."""
    text = json.dumps(_json_safe(data), indent=2) + "\n"
    return write_atomic(path, lambda f: f.write(text), binary=False)


def _json_safe(value):
    """Numpy scalars to Python; NaN, infinity and NA to None; keys to strings."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def results_frame(results):
    """``{model: {name: number}}`` as a frame, one row per model.

    The worst class keeps the labels' own type: an integer class stays ``0``,
    where pandas would make a column of ``None`` and ``0`` a float ``0.0``.
    """
    frame = pd.DataFrame.from_dict(results, orient="index")
    if "worst_class" in frame:
        labels = {name: numbers["worst_class"] for name, numbers in results.items()}
        frame["worst_class"] = pd.Series(labels, dtype=object)
    return frame


def write_csv(path, frame, index_label=None):
    """Write a DataFrame; its index becomes the column ``index_label`` if given."""
    return write_atomic(
        path,
        lambda f: frame.to_csv(
            f, index=index_label is not None, index_label=index_label
        ),
        binary=False,
    )


def write_model(path, model, use_skops):
    """``model`` as a skops file with deflate-compressed entries, else a pickle.

    A fitted vectoriser's vocabulary is written with Python ints for its indices
    (the same numbers): skops stores every numpy integer as a file of its own in
    its zip, one per term, and a Python int in a few bytes of its JSON, so the
    skops file of a text pipeline is no larger than its pickle. The model itself
    is left as it was.
    """
    return write_atomic(path, lambda file: _dump_model(model, file, use_skops))


def model_file_bytes(model, use_skops):
    """Bytes of the file :func:`write_model` would write."""
    return len(model_file(model, use_skops))


def model_file(model, use_skops):
    """The file :func:`write_model` would write, in memory."""
    buffer = io.BytesIO()
    _dump_model(model, buffer, use_skops)
    return buffer.getvalue()


def _dump_model(model, file, use_skops):
    with _plain_vocabularies(model):
        if not use_skops:
            pickle.dump(model, file)
            return
        import skops.io as sio

        sio.dump(model, file, compression=zipfile.ZIP_DEFLATED, compresslevel=9)


@contextlib.contextmanager
def _plain_vocabularies(model):
    """Every fitted ``vocabulary_`` of ``model`` with Python ints, while it lasts."""
    saved = []
    for part in fitted_parts(model):
        vocabulary = getattr(part, "vocabulary_", None)
        if isinstance(vocabulary, dict):
            saved.append((part, vocabulary))
            part.vocabulary_ = {term: int(i) for term, i in vocabulary.items()}
    try:
        yield
    finally:
        for part, vocabulary in saved:
            part.vocabulary_ = vocabulary


def fitted_parts(model):
    """``model`` and the fitted estimators inside it: pipeline steps, columns."""
    yield model
    for _, step in getattr(model, "steps", []):
        yield from fitted_parts(step)
    for _, part, _ in getattr(model, "transformers_", []):
        yield from fitted_parts(part)


def write_figure(path, figure):
    return write_atomic(path, lambda f: figure.savefig(f, format="png", dpi=110))


# ------------------------------------------------------------------ measuring


def measure(model, table, fit_time):
    """Scores, size and speed of a fitted pipeline, as a flat dict of numbers."""
    estimator = model[-1]
    metrics = {}
    for part, X, y in (
        ("train", table.X_train, table.y_train),
        ("test", table.X_test, table.y_test),
    ):
        scores = (
            _regression_scores(model, X, y)
            if table.task == "regression"
            else _classification_scores(model, X, y)
        )
        metrics |= {f"{name}_{part}": value for name, value in scores.items()}
    report = sparsity_report(model)
    size = model_size(model)
    metrics.update(
        parameters=int(estimator.n_parameters_),
        nonzero=int(estimator.n_nonzero_),
        prunable_weights=int(report.loc["total", "parameters"]),
        prunable_nonzero=int(report.loc["total", "nonzero"]),
        sparsity=report.attrs["sparsity"],
        compression=report.attrs["compression_ratio"],
        macs_per_row=report.attrs["macs"],
        dense_macs_per_row=report.attrs["dense_macs"],
        size_bytes=int(size.dense_bytes),
        size_gzip_bytes=int(size.gzip_bytes),
        size_sparse_bytes=int(size.sparse_bytes),
        size_pickle_bytes=int(size.pickle_bytes),
        compacted_parameters=int(
            sum(p.numel() for p in compact(estimator.module_).parameters())
        ),
        fit_seconds=float(fit_time),
        epochs=int(estimator.n_iter_),
    )
    return metrics, report


def _classification_scores(model, X, y):
    """Accuracy and log-loss of a fitted classification pipeline."""
    classes = model[-1].classes_
    proba = model.predict_proba(X)
    return {
        "accuracy": float(accuracy_score(y, classes[proba.argmax(axis=1)])),
        "log_loss": float(log_loss(y, proba, labels=classes)),
    }


def _regression_scores(model, X, y):
    """R², mean absolute and root mean squared error of a regression pipeline."""
    predicted = model.predict(X)
    return {
        "r2": float(r2_score(y, predicted)),
        "mae": float(mean_absolute_error(y, predicted)),
        "rmse": float(root_mean_squared_error(y, predicted)),
    }


def measure_latencies(models, X_test):
    """Milliseconds per 1000 rows of every model, timed in turns.

    Each model is timed three ways: its ``predict`` (preprocessing included), its
    network alone, and its network compacted (:func:`~sklprune.compact`). The
    timings of all models alternate, ``LATENCY_REPEATS`` rounds, so that a change
    in the machine's load falls on every model alike; the median is reported.
    """
    X = _latency_rows(X_test)
    candidates = {}
    for name, model in models.items():
        module = model[-1].module_
        network_X = model[:-1].transform(X)
        candidates[name] = {
            "latency_ms_per_1000": (model, X),
            "network_latency_ms_per_1000": (module, network_X),
            "compacted_latency_ms_per_1000": (compact(module), network_X),
        }
    times = {name: {key: [] for key in timed} for name, timed in candidates.items()}
    for round_ in range(LATENCY_REPEATS):
        for name, timed in candidates.items():
            for key, (runner, rows) in timed.items():
                seconds = measure_latency(
                    runner, rows, n_repeats=1, warmup=int(round_ == 0)
                )
                times[name][key].append(1000.0 * seconds)
    return {
        name: {key: float(np.median(values)) for key, values in timed.items()}
        for name, timed in times.items()
    }


def _latency_rows(X):
    """LATENCY_ROWS rows: the test rows, repeated as often as needed."""
    repeats = -(-LATENCY_ROWS // len(X))
    return pd.concat([X] * repeats, ignore_index=True).iloc[:LATENCY_ROWS]


# ------------------------------------------------------------------- tables


# The rows of the table of ``sklprune run``: (label, key, format); the scores and
# the robustness rows of each task, then the size and speed rows of both.
_SCORE_ROWS = {
    "classification": [
        ("accuracy (train)", "accuracy_train", "{:.4f}"),
        ("accuracy (test)", "accuracy_test", "{:.4f}"),
        ("accuracy, ONNX (test)", "accuracy_onnx_test", "{:.4f}"),
        ("labels as predict's, ONNX (test)", "onnx_agreement_test", "{:.4f}"),
        ("accuracy, ONNX int8 (test)", "accuracy_onnx_int8_test", "{:.4f}"),
        (
            "labels as predict's, ONNX int8 (test)",
            "onnx_int8_agreement_test",
            "{:.4f}",
        ),
        ("log-loss (train)", "log_loss_train", "{:.4f}"),
        ("log-loss (test)", "log_loss_test", "{:.4f}"),
        ("calibration error, ECE (test)", "ece_test", "{:.4f}"),
        ("Brier score (test)", "brier_test", "{:.4f}"),
        ("accuracy, noise 0.1 (test)", "accuracy_noise_0.1_test", "{:.4f}"),
        ("accuracy, noise 0.25 (test)", "accuracy_noise_0.25_test", "{:.4f}"),
        ("accuracy, noise 0.5 (test)", "accuracy_noise_0.5_test", "{:.4f}"),
        ("worst class (recall change)", "worst_class", "{}"),
        ("recall change, worst class (test)", "worst_class_recall_change", "{:+.4f}"),
    ],
    "regression": [
        ("R² (train)", "r2_train", "{:.4f}"),
        ("R² (test)", "r2_test", "{:.4f}"),
        ("R², ONNX (test)", "r2_onnx_test", "{:.4f}"),
        (
            "largest difference from predict, ONNX (test)",
            "onnx_max_difference_test",
            "number",
        ),
        ("R², ONNX int8 (test)", "r2_onnx_int8_test", "{:.4f}"),
        (
            "largest difference from predict, ONNX int8 (test)",
            "onnx_int8_max_difference_test",
            "number",
        ),
        ("MAE (train)", "mae_train", "number"),
        ("MAE (test)", "mae_test", "number"),
        ("RMSE (train)", "rmse_train", "number"),
        ("RMSE (test)", "rmse_test", "number"),
        ("residual std (test)", "residual_std_test", "number"),
        ("R², noise 0.1 (test)", "r2_noise_0.1_test", "{:.4f}"),
        ("R², noise 0.25 (test)", "r2_noise_0.25_test", "{:.4f}"),
        ("R², noise 0.5 (test)", "r2_noise_0.5_test", "{:.4f}"),
        ("worst target quantile (MAE)", "worst_quantile", "{}"),
        ("MAE change, worst quantile (test)", "worst_quantile_mae_change", "+number"),
        ("predictions moved (test)", "moved_test", "{:,}"),
    ],
}
_SIZE_ROWS = [
    ("parameters", "parameters", "{:,}"),
    ("non-zero parameters", "nonzero", "{:,}"),
    ("sparsity (prunable weights)", "sparsity", "{:.3f}"),
    ("compression (prunable weights)", "compression", "{:.1f}x"),
    ("multiply-adds per row", "macs_per_row", "{:,.0f}"),
    ("model size (torch.save)", "size_bytes", "bytes"),
    ("model size (sparse encoding)", "size_sparse_bytes", "bytes"),
    ("model file (pickle)", "size_pickle_bytes", "bytes"),
    ("model file (as written)", "size_file_bytes", "bytes"),
    ("model file (ONNX)", "size_onnx_bytes", "bytes"),
    ("model file (ONNX int8)", "size_onnx_int8_bytes", "bytes"),
    ("latency per 1000 rows (predict)", "latency_ms_per_1000", "{:.2f} ms"),
    ("latency per 1000 rows (network)", "network_latency_ms_per_1000", "{:.2f} ms"),
    ("parameters after compaction", "compacted_parameters", "{:,}"),
    ("latency per 1000 rows (compacted)", "compacted_latency_ms_per_1000", "{:.2f} ms"),
    ("latency, 1 row (Python)", "python_latency_us_batch_1", "{:,.0f} µs"),
    ("latency, 1 row (ONNX Runtime)", "onnx_latency_us_batch_1", "{:,.0f} µs"),
    (
        "latency, 1 row (ONNX Runtime int8)",
        "onnx_int8_latency_us_batch_1",
        "{:,.0f} µs",
    ),
    (
        "latency, 4,096 rows (Python)",
        "python_latency_ms_batch_4096",
        "{:.2f} ms",
    ),
    ("latency, 4,096 rows (ONNX Runtime)", "onnx_latency_ms_batch_4096", "{:.2f} ms"),
    (
        "latency, 4,096 rows (ONNX Runtime int8)",
        "onnx_int8_latency_ms_batch_4096",
        "{:.2f} ms",
    ),
    ("training time", "fit_seconds", "{:.1f} s"),
]


def run_table(results, task):
    """The comparison table of ``sklprune run``: one column per model.

    A row that no model has a number for (the ONNX rows without the ``onnx``
    extra, the int8 rows without ``--quantize int8``) is left out.
    """
    names = list(results)
    cells = [
        [label, *(_format(results[name].get(key), fmt) for name in names)]
        for label, key, fmt in [*_SCORE_ROWS[task], *_SIZE_ROWS]
        if any(key in results[name] for name in names)
    ]
    return _align([["", *names], *cells])


# The measures of a curve besides its score, and their column in its table.
_CURVE_MEASURES = {
    "test_calibration_error": "test ECE",
    "test_log_loss": "test log-loss",
    "test_mean_absolute_error": "test MAE",
    "test_root_mean_squared_error": "test RMSE",
}
# Those of them in the units of the target.
_ERRORS = ("test_mean_absolute_error", "test_root_mean_squared_error")


def curve_table(results):
    """The table of ``sklprune curve``: one row per sparsity, mean over folds."""
    n_folds = results.test_scores.shape[1]
    name = results.score_name
    score = name.lower() if name[1:2].islower() else name  # not an acronym: R²
    measures = [key for key in _CURVE_MEASURES if key in results]
    header = ["sparsity", "achieved", "compression", f"train {score}"]
    header += [f"test {score}", *(_CURVE_MEASURES[k] for k in measures), "fit time"]
    rows = [header]
    for i, target in enumerate(results.sparsities):
        rows.append(
            [
                f"{target:.3f}",
                f"{results.achieved_sparsity[i].mean():.3f}",
                f"{_compression(results.achieved_sparsity[i].mean()):.1f}x",
                _mean_std(results.train_scores[i], n_folds),
                _mean_std(results.test_scores[i], n_folds),
                *(
                    _mean_std(results[key][i], n_folds, key in _ERRORS)
                    for key in measures
                ),
                f"{results.fit_time[i].mean():.1f} s",
            ]
        )
    return _align(rows)


def curve_frame(results):
    """One row per sparsity: means and standard deviations over folds."""
    frame = pd.DataFrame({"sparsity": results.sparsities})
    for key in (
        "achieved_sparsity",
        "compression_ratio",
        "train_scores",
        "test_scores",
        "fit_time",
        *_CURVE_MEASURES,
    ):
        if key not in results:
            continue
        values = np.asarray(results[key], dtype=float)
        frame[f"mean_{key}"] = values.mean(axis=1)
        frame[f"std_{key}"] = values.std(axis=1)
    return frame


def _compression(sparsity):
    """Weights per non-zero weight, as the curve's compression axis draws it."""
    return 1.0 / (1.0 - sparsity)


def _mean_std(values, n_folds, in_target_units=False):
    """Mean ± std over folds; a value in the units of the target as a number."""
    show = number_text if in_target_units else "{:.4f}".format
    if n_folds == 1:
        return show(values[0])
    return f"{show(values.mean())} ± {show(values.std())}"


def _format(value, fmt):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if fmt == "bytes":
        return _bytes(value)
    if fmt.endswith("number"):
        return number_text(value, sign=fmt.startswith("+"))
    return fmt.format(value)


def number_text(value, sign=False):
    """A value in the units of a target: four significant digits, no exponent
    below a billion (``37,698``, ``0.1234``).

    Examples
    --------
    >>> from sklprune.cli._report import number_text
    >>> number_text(37698.4), number_text(0.123456), number_text(-2.5, sign=True)
    ('37,698', '0.1235', '-2.5')
    """
    plus = "+" if sign else ""
    if 1e3 <= abs(value) < 1e9:
        return f"{value:{plus},.0f}"
    return f"{value:{plus}.4g}"


def _bytes(n):
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _align(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:]))
        lines.append("  ".join([first, *rest]).rstrip())
    return "\n".join(lines)
