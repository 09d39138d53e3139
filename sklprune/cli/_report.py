"""The output side of the ``sklprune`` command: measure, tabulate, plot, write.

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
from sklearn.metrics import accuracy_score, log_loss

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
    classifier = model[-1]
    metrics = {}
    for part, X, y in (
        ("train", table.X_train, table.y_train),
        ("test", table.X_test, table.y_test),
    ):
        proba = model.predict_proba(X)
        predicted = classifier.classes_[proba.argmax(axis=1)]
        metrics[f"accuracy_{part}"] = float(accuracy_score(y, predicted))
        metrics[f"log_loss_{part}"] = float(
            log_loss(y, proba, labels=classifier.classes_)
        )
    report = sparsity_report(model)
    size = model_size(model)
    metrics.update(
        parameters=int(classifier.n_parameters_),
        nonzero=int(classifier.n_nonzero_),
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
            sum(p.numel() for p in compact(classifier.module_).parameters())
        ),
        fit_seconds=float(fit_time),
        epochs=int(classifier.n_iter_),
    )
    return metrics, report


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


_ROWS = [
    ("accuracy (train)", "accuracy_train", "{:.4f}"),
    ("accuracy (test)", "accuracy_test", "{:.4f}"),
    ("accuracy, ONNX (test)", "accuracy_onnx_test", "{:.4f}"),
    ("labels as predict's, ONNX (test)", "onnx_agreement_test", "{:.4f}"),
    ("accuracy, ONNX int8 (test)", "accuracy_onnx_int8_test", "{:.4f}"),
    ("labels as predict's, ONNX int8 (test)", "onnx_int8_agreement_test", "{:.4f}"),
    ("log-loss (train)", "log_loss_train", "{:.4f}"),
    ("log-loss (test)", "log_loss_test", "{:.4f}"),
    ("calibration error, ECE (test)", "ece_test", "{:.4f}"),
    ("Brier score (test)", "brier_test", "{:.4f}"),
    ("accuracy, noise 0.1 (test)", "accuracy_noise_0.1_test", "{:.4f}"),
    ("accuracy, noise 0.25 (test)", "accuracy_noise_0.25_test", "{:.4f}"),
    ("accuracy, noise 0.5 (test)", "accuracy_noise_0.5_test", "{:.4f}"),
    ("worst class (recall change)", "worst_class", "{}"),
    ("recall change, worst class (test)", "worst_class_recall_change", "{:+.4f}"),
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
    ("latency, 1 row (predict_proba)", "python_latency_us_batch_1", "{:,.0f} µs"),
    ("latency, 1 row (ONNX Runtime)", "onnx_latency_us_batch_1", "{:,.0f} µs"),
    (
        "latency, 1 row (ONNX Runtime int8)",
        "onnx_int8_latency_us_batch_1",
        "{:,.0f} µs",
    ),
    (
        "latency, 4,096 rows (predict_proba)",
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


def run_table(results):
    """The comparison table of ``sklprune run``: one column per model.

    A row that no model has a number for (the ONNX rows without the ``onnx``
    extra, the int8 rows without ``--quantize int8``) is left out.
    """
    names = list(results)
    cells = [
        [label, *(_format(results[name].get(key), fmt) for name in names)]
        for label, key, fmt in _ROWS
        if any(key in results[name] for name in names)
    ]
    return _align([["", *names], *cells])


def curve_table(results):
    """The table of ``sklprune curve``: one row per sparsity, mean over folds."""
    n_folds = results.test_scores.shape[1]
    header = ["sparsity", "achieved", "compression", "train accuracy"]
    header += ["test accuracy", "fit time"]
    calibration = "test_calibration_error" in results
    if calibration:
        header[-1:-1] = ["test ECE", "test log-loss"]
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
                    [
                        _mean_std(results.test_calibration_error[i], n_folds),
                        _mean_std(results.test_log_loss[i], n_folds),
                    ]
                    if calibration
                    else []
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
        "test_calibration_error",
        "test_log_loss",
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


def _mean_std(values, n_folds):
    if n_folds == 1:
        return f"{values[0]:.4f}"
    return f"{values.mean():.4f} ± {values.std():.4f}"


def _format(value, fmt):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if fmt == "bytes":
        return _bytes(value)
    return fmt.format(value)


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


# --------------------------------------------------------------------- plots


def training_figure(histories, title):
    """Training loss of every model and sparsity, per epoch; fine-tuning shaded."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4), layout="constrained")
    loss_ax, sparsity_ax = figure.subplots(1, 2)
    for name, history in histories.items():
        epochs = history[:, "epoch"]
        loss_ax.plot(epochs, history[:, "train_loss"], marker=".", label=name)
        sparsity_ax.plot(epochs, history[:, "sparsity"], marker=".", label=name)
    last_prune = max(
        (row["epoch"] for h in histories.values() for row in h if row["event_prune"]),
        default=None,
    )
    n_epochs = max(len(h) for h in histories.values())
    if last_prune is not None and last_prune < n_epochs:
        for ax in (loss_ax, sparsity_ax):
            ax.axvspan(
                last_prune + 0.5, n_epochs + 0.5, color="0.9", label="fine-tuning"
            )
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("Training loss (log scale)")
    loss_ax.set_title("Training loss")
    sparsity_ax.set_ylim(-0.02, 1.02)
    sparsity_ax.set_ylabel("Fraction of prunable weights at zero")
    sparsity_ax.set_title("Sparsity")
    for ax in (loss_ax, sparsity_ax):
        ax.set_xlabel("Epoch")
        ax.legend(loc="best")
    figure.suptitle(title)
    return figure


def layers_figure(report, title):
    """The share of non-zero weights in every prunable layer."""
    from matplotlib.figure import Figure

    layers = report.drop(index="total")
    figure = Figure(figsize=(8, 1.4 + 0.5 * len(layers)), layout="constrained")
    ax = figure.subplots()
    positions = np.arange(len(layers))[::-1]
    kept = (1.0 - layers["sparsity"]).to_numpy()
    ax.barh(positions, np.ones(len(layers)), color="#c6dbef", label="zero")
    ax.barh(positions, kept, color="#2171b5", label="non-zero")
    for y, (_, row) in zip(positions, layers.iterrows()):
        ax.text(
            1.02,
            y,
            f"{row['nonzero']:,} of {row['parameters']:,} non-zero",
            va="center",
            fontsize=9,
        )
    labels = [f"{name} {tuple(shape)}" for name, shape in layers["shape"].items()]
    ax.set_yticks(positions, labels)
    ax.set_xlim(0, 1.5)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xlabel("Share of the layer's weights")
    ax.set_title(title)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, -0.25), ncols=2, frameon=False)
    return figure


def curve_figure(results, title):
    """Accuracy against sparsity and against compression, side by side."""
    from matplotlib.figure import Figure

    from ..curve_display import PruningCurveDisplay

    figure = Figure(figsize=(11, 4.2), layout="constrained")
    sparsity_ax, compression_ax = figure.subplots(1, 2)
    PruningCurveDisplay.from_results(results, ax=sparsity_ax, x="sparsity")
    PruningCurveDisplay.from_results(results, ax=compression_ax, x="compression")
    compression = _compression(np.asarray(results.achieved_sparsity).mean(axis=1))
    top = 1.15 * compression.max()
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if t <= top]
    compression_ax.set_xticks(ticks, [f"{t}x" for t in ticks])
    compression_ax.minorticks_off()
    figure.suptitle(title)
    return figure
