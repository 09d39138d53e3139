"""Deploying a pruned model: file sizes, latency in torch and ONNX Runtime, int8.

What the deployment guide (``docs/user_guide/deploying.rst``) quotes, what the
estimators' ``engine="auto"`` rests on, and the aims of issue 22.

1. Files and latency. On the narrow table of ``_datasets.py`` (20,000 rows, 16
   standardised features, 26 classes), a ``PrunedClassifier`` of hidden widths
   256-128 and of 1024-512 is fitted in four forms: dense, 90 % and 97 % weight
   sparsity, and 75 % neuron sparsity compacted. Its files: pickle, skops
   (deflate, as ``sklprune run`` writes it), ONNX fp32 (``sklprune.onnx.to_onnx``)
   and ONNX int8 (``sklprune.onnx.quantize_network``, one scale per matrix).
   ``predict_proba`` at batch 1, 64 and 4,096 through the torch path
   (``engine="torch"``, the estimators' prediction before ONNX Runtime) and with
   ``engine="onnxruntime"``; the fp32 and int8 files in ONNX Runtime
   (``session.run`` on a float32 array: what a server runs); and the peer,
   scikit-learn's ``MLPClassifier`` of the widths the ONNX file computes, through
   its own ``predict_proba`` and through skl2onnx + ONNX Runtime. For the
   weight-sparse forms the peer's smallest weights are zeroed, layer by layer, to
   the sparsity of the pruned network's layers; for the compacted form its widths
   are the compacted ones. The peer trains for a few epochs only: its speed, not
   its accuracy, is compared.
2. int8 accuracy. Test accuracy of the fitted model (``predict``), of its fp32
   ONNX file and of its int8 file with one scale per weight matrix and per output
   column: on the narrow table (every width and form), on the bundled reviews (a
   text pipeline, TF-IDF of 5,000 terms + 256-128 network, converted whole:
   strings in) and on digits (256-128).

One torch thread, one ONNX Runtime intra-op thread, one BLAS thread for
scikit-learn; medians of interleaved repeats of CPU time (``time.thread_time``:
the machine is shared with other work, and CPU time leaves out waiting for a
core). The tables and the aims are printed and written to the "## Deployment:
files, latency, int8" section of ``benchmarks/RESULTS.md``.

Usage: python benchmarks/bench_deploy.py [--quick] [--repeats 7] [--results PATH]
[--no-write]
"""

import functools
import io
import pickle
import platform
import statistics
import time
import warnings
import zipfile

import numpy as np
import skl2onnx
import skops.io as sio
import torch
from _datasets import load_split
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklprune import PrunedClassifier
from sklprune.datasets import load_rotten_tomatoes
from sklprune.inference._onnxruntime import make_session
from sklprune.onnx import check_accuracy, quantize_network, to_onnx

HEADING = "## Deployment: files, latency, int8"
WIDTHS = ((256, 128), (1024, 512))
FORMS = {
    "dense": {"sparsity": 0.0},
    "weight 90%": {"sparsity": 0.9},
    "weight 97%": {"sparsity": 0.97},
    "neuron 75%, compacted": {
        "sparsity": 0.75,
        "granularity": "neuron",
        "compact": True,
    },
}
BATCHES = (1, 64, 4096)
# The ways a batch is predicted, in the order of the latency tables.
ENGINES = {
    "torch": "torch path (engine='torch')",
    "engine": "predict_proba, engine='onnxruntime'",
    "fp32": "ONNX Runtime, fp32 file",
    "int8": "ONNX Runtime, int8 file",
    "peer": "MLPClassifier.predict_proba",
    "peer_onnx": "MLPClassifier, skl2onnx + ONNX Runtime",
}
TRAINING = {"max_epochs": 20, "finetune_epochs": 5, "random_state": 0}
QUICK_TRAINING = {"max_epochs": 3, "finetune_epochs": 1, "random_state": 0}
PEER_EPOCHS = 5
TEXT_TERMS, QUICK_TEXT_TERMS = 5000, 1000
# skl2onnx's text tokenizer lower-cases in a locale; C.UTF-8 exists on every Linux.
TEXT_OPTIONS = {TfidfVectorizer: {"locale": "C.UTF-8"}}
INT8_DATASETS = ("narrow", "rotten_tomatoes", "digits")
BLOCK_S = 0.02  # a timed block lasts about this long
TOLERANCE = 0.95  # "at least as fast", with 5 % for timing noise
# The aims.
SPEEDUP_OVER_DENSE_TORCH = 2.5
BATCH1_US = 15.0
INT8_SMALLER = 3.5
INT8_POINTS = 0.005


# ------------------------------------------------------------------ timing


def interleaved_medians(calls, repeats):
    """Median CPU seconds per call of every callable, each timed once per repeat.

    Each callable runs in blocks of about :data:`BLOCK_S` (calibrated after a
    warm-up call); the blocks of all callables alternate, starting each repeat
    with the next one, so that a change in the machine's load falls on all alike.
    """
    names = list(calls)
    counts = {}
    for name, call in calls.items():
        call()  # warm-up: builds the fast form or the session
        start = time.thread_time()
        call()
        counts[name] = max(1, int(BLOCK_S / max(time.thread_time() - start, 1e-6)))
    times = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.thread_time()
            for _ in range(counts[name]):
                calls[name]()
            times[name].append((time.thread_time() - start) / counts[name])
    return {name: statistics.median(values) for name, values in times.items()}


def with_engine(clf, engine, X):
    """A copy of a fitted classifier that predicts with ``engine``."""
    copy = pickle.loads(pickle.dumps(clf))
    copy.set_params(engine=engine)
    copy._choose_engine(X)  # what fit does last, on the same weights
    assert copy.engine_ == engine, copy.engine_reason_
    return copy


def session_call(onnx_model, X):
    """A call of the model's ONNX Runtime session (one thread) on float32 rows."""
    session = make_session(onnx_model)
    feed = {session.get_inputs()[0].name: np.ascontiguousarray(X, dtype=np.float32)}
    return lambda: session.run(None, feed)


# ------------------------------------------------------------------ models


def fit_forms(X_train, y_train, width, quick):
    """{form: PrunedClassifier fitted on the rows}."""
    training = QUICK_TRAINING if quick else TRAINING
    return {
        form: PrunedClassifier(hidden_layer_sizes=width, **training, **params).fit(
            X_train, y_train
        )
        for form, params in FORMS.items()
    }


def network_widths(onnx_model):
    """The hidden widths of the network an ONNX file computes (its MatMul weights)."""
    shapes = {init.name: list(init.dims) for init in onnx_model.graph.initializer}
    columns = [
        shapes[node.input[1]][1]
        for node in onnx_model.graph.node
        if node.op_type == "MatMul" and node.input[1] in shapes
    ]
    return tuple(columns[:-1])


def layer_sparsities(clf):
    """Share of zero weights in each Linear layer of the fitted network, in order."""
    return [
        float((layer.weight == 0).float().mean())
        for layer in clf.module_.modules()
        if isinstance(layer, torch.nn.Linear)
    ]


def fit_peer(X_train, y_train, widths, sparsities):
    """MLPClassifier of ``widths``, its smallest weights zeroed to ``sparsities``."""
    peer = MLPClassifier(widths, max_iter=PEER_EPOCHS, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        peer.fit(X_train, y_train)
    for coefs, sparsity in zip(peer.coefs_, sparsities):
        n_zero = round(sparsity * coefs.size)
        if n_zero:
            smallest = np.argsort(np.abs(coefs), axis=None)[:n_zero]
            coefs.flat[smallest] = 0.0
    return peer


def file_sizes(clf, fp32, int8):
    """Bytes of the classifier's pickle, skops, ONNX fp32 and ONNX int8 files."""
    skops = io.BytesIO()
    sio.dump(clf, skops, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    return {
        "pickle": len(pickle.dumps(clf)),
        "skops": len(skops.getvalue()),
        "onnx": len(fp32.SerializeToString()),
        "int8": len(int8.SerializeToString()),
    }


# ------------------------------------------------------------------ measuring


def measure_width(width, data, args):
    """Files, latency and int8 accuracy of every form of one width."""
    X_train, X_test, y_train, y_test = data
    rng = np.random.RandomState(0)
    rows = {batch: X_test[rng.randint(0, len(X_test), size=batch)] for batch in BATCHES}
    results = {}
    for form, clf in fit_forms(X_train, y_train, width, args.quick).items():
        fp32 = to_onnx(clf, X_test[:1])
        int8 = quantize_network(fp32)
        widths = network_widths(fp32)
        peer = fit_peer(X_train, y_train, widths, layer_sparsities(clf))
        peer_onnx = skl2onnx.to_onnx(peer, X_test[:1], options={"zipmap": False})
        models = {
            "torch": with_engine(clf, "torch", X_train),
            "engine": with_engine(clf, "onnxruntime", X_train),
            "fp32": fp32,
            "int8": int8,
            "peer": peer,
            "peer_onnx": peer_onnx,
        }
        latency = {
            batch: interleaved_medians(latency_calls(models, X), args.repeats)
            for batch, X in rows.items()
        }
        results[form] = {
            "widths": widths,
            "sizes": file_sizes(clf, fp32, int8),
            "latency": latency,
            "accuracy": int8_accuracy(clf, fp32, X_test, y_test),
        }
    return results


def latency_calls(models, X):
    """{engine: a call that predicts the rows X}: ``predict_proba`` of an
    estimator, ``session.run`` of an ONNX model."""
    return {
        key: (
            functools.partial(model.predict_proba, X)
            if hasattr(model, "predict_proba")
            else session_call(model, X)
        )
        for key, model in models.items()
    }


def int8_accuracy(model, fp32, X_test, y_test):
    """Accuracy of ``predict``, of the fp32 file and of int8 per matrix and column."""
    reference = check_accuracy(fp32, model, X_test, y_test)
    found = {"python": reference.python, "fp32": reference.onnx}
    for per_channel, key in ((False, "per matrix"), (True, "per column")):
        int8 = quantize_network(fp32, per_channel=per_channel)
        check = check_accuracy(int8, model, X_test, y_test)
        found[key] = check.onnx
        found[f"{key} agreement"] = check.agreement
    return found


def text_accuracy(quick):
    """{form: int8 accuracy} of the TF-IDF text pipeline on the bundled reviews."""
    texts, labels = load_rotten_tomatoes(return_X_y=True)
    sizes = {"train_size": 600, "test_size": 200} if quick else {"test_size": 0.25}
    texts = np.asarray(texts, dtype=object)
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, stratify=labels, random_state=0, **sizes
    )
    training = QUICK_TRAINING if quick else TRAINING
    terms = QUICK_TEXT_TERMS if quick else TEXT_TERMS
    found = {}
    for form, params in FORMS.items():
        pipe = make_pipeline(
            TfidfVectorizer(sublinear_tf=True, max_features=terms),
            PrunedClassifier(hidden_layer_sizes=WIDTHS[0], **training, **params),
        ).fit(X_train, y_train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # labels checked below
            fp32 = to_onnx(pipe, X_test[:1], options=TEXT_OPTIONS)
        found[form] = int8_accuracy(pipe, fp32, X_test, y_test)
    return found


def digits_accuracy(quick):
    """{form: int8 accuracy} of a 256-128 network on standardised digits."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.astype(np.float32), y, stratify=y, random_state=0, test_size=0.25
    )
    training = QUICK_TRAINING if quick else TRAINING
    found = {}
    for form, params in FORMS.items():
        pipe = make_pipeline(
            StandardScaler(),
            PrunedClassifier(hidden_layer_sizes=WIDTHS[0], **training, **params),
        ).fit(X_train, y_train)
        found[form] = int8_accuracy(pipe, to_onnx(pipe, X_test[:1]), X_test, y_test)
    return found


# ------------------------------------------------------------------ tables


def width_name(width):
    return "-".join(str(n) for n in width)


def files_table(results):
    header = ["form", "ONNX widths", "pickle (bytes)", "skops (bytes)"]
    header += ["ONNX fp32 (bytes)", "ONNX int8 (bytes)", "int8 smaller"]
    rows = []
    for form, found in results.items():
        sizes = found["sizes"]
        rows.append(
            [
                form,
                width_name(found["widths"]),
                *(f"{sizes[k]:,}" for k in ("pickle", "skops", "onnx", "int8")),
                f"{sizes['onnx'] / sizes['int8']:.1f}x",
            ]
        )
    return markdown_table(header, rows, "ll" + "r" * 5)


def latency_table(results):
    header = ["form", "engine", "batch 1 (µs)", "batch 64 (µs)"]
    header += ["batch 4,096 (ms)", "faster than the torch path at 1 / 64 / 4,096"]
    rows = []
    for form, found in results.items():
        latency = found["latency"]
        for key, engine in ENGINES.items():
            times = [latency[batch][key] for batch in BATCHES]
            ratios = [latency[b]["torch"] / latency[b][key] for b in BATCHES]
            rows.append(
                [
                    form,
                    engine,
                    f"{times[0] * 1e6:.1f}",
                    f"{times[1] * 1e6:.1f}",
                    f"{times[2] * 1e3:.2f}",
                    " / ".join(f"{r:.2f}x" for r in ratios),
                ]
            )
    return markdown_table(header, rows, "llrrrr")


def accuracy_table(accuracy):
    header = ["data", "hidden", "form", "predict", "ONNX fp32", "int8, per matrix"]
    header += ["int8, per column", "int8 labels as predict", "int8 change (points)"]
    rows = []
    for (data, width, form), found in accuracy.items():
        change = points(found["per matrix"], found["python"])
        rows.append(
            [
                data,
                width,
                form,
                *(
                    f"{found[k]:.4f}"
                    for k in (
                        "python",
                        "fp32",
                        "per matrix",
                        "per column",
                        "per matrix agreement",
                    )
                ),
                f"{change:+.2f}",
            ]
        )
    return markdown_table(header, rows, "lll" + "r" * 6)


# ------------------------------------------------------------------ aims


def aims(by_width, accuracy):
    """The aim lines, computed from the measurements."""
    small = by_width[width_name(WIDTHS[0])]
    dense_torch = small["dense"]["latency"][4096]["torch"]
    over_dense = [
        check(
            dense_torch / found["latency"][4096][key],
            ">=",
            SPEEDUP_OVER_DENSE_TORCH,
            label=f"{form}, {key}:",
            unit="x",
        )
        for form, found in small.items()
        for key in ("fp32", "int8")
    ]
    over_peer = [
        check(
            found["latency"][batch]["peer_onnx"] / found["latency"][batch]["fp32"],
            ">=",
            TOLERANCE,
            label=f"{width} {form}, batch {batch:,}:",
            unit="x",
        )
        for width, results in by_width.items()
        for form, found in results.items()
        for batch in BATCHES
    ]
    batch1 = [
        check(
            found["latency"][1][key] * 1e6,
            "<=",
            BATCH1_US,
            label=f"{form}, {key}:",
            unit=" µs",
            fmt="{:.1f}",
        )
        for form, found in small.items()
        for key in ("fp32", "int8")
    ]
    smaller = [
        check(
            found["sizes"]["onnx"] / found["sizes"]["int8"],
            ">=",
            INT8_SMALLER,
            label=f"{width} {form}:",
            unit="x",
            fmt="{:.1f}",
        )
        for width, results in by_width.items()
        for form, found in results.items()
    ]
    return [
        aim(
            f"ONNX Runtime (fp32 and int8 files) predicts 4,096 rows at least "
            f"{SPEEDUP_OVER_DENSE_TORCH}x faster than the dense network's "
            "predict_proba through the torch path, every 256-128 form",
            over_dense,
        ),
        aim(
            "ONNX Runtime is never slower than the peer (MLPClassifier through "
            "skl2onnx + ONNX Runtime) of the same widths and sparsity form, at "
            "batch 1, 64 and 4,096, both widths (5 % timing tolerance)",
            over_peer,
            failures_only=True,
        ),
        aim(
            f"ONNX Runtime predicts one row of a 256-128 network in at most "
            f"{BATCH1_US:g} µs, fp32 and int8, every form",
            batch1,
        ),
        aim(
            f"int8 files at least {INT8_SMALLER}x smaller than fp32 ONNX, every width "
            "and form",
            smaller,
            failures_only=True,
        ),
        *accuracy_aims(accuracy),
        engine_aim(by_width),
    ]


def points(a, b):
    """``a - b`` in points of accuracy, rounded off float noise (one row of 200 is
    0.5 points, not -0.5000000000000004)."""
    return round(100 * (a - b), 9)


def accuracy_aims(accuracy):
    within = [
        check(
            points(found["per matrix"], found["python"]),
            ">=",
            -100 * INT8_POINTS,
            label=f"{data} {width} {form}:",
            fmt="{:+.2f}",
        )
        for (data, width, form), found in accuracy.items()
    ]
    per_matrix = [
        check(
            points(found["per matrix"], found["per column"]),
            ">=",
            -100 * INT8_POINTS,
            label=f"{data} {width} {form}:",
            fmt="{:+.2f}",
        )
        for (data, width, form), found in accuracy.items()
    ]
    return [
        aim(
            f"int8 (one scale per matrix) loses at most {100 * INT8_POINTS:g} points "
            "of test accuracy against predict, every data set, width and form",
            within,
            failures_only=True,
        ),
        aim(
            "int8 scales per matrix (to_onnx's default without check data) are "
            f"within {100 * INT8_POINTS:g} points of per-column scales, every data "
            "set, width and form",
            per_matrix,
            failures_only=True,
        ),
    ]


def engine_aim(by_width):
    faster = [
        check(
            found["latency"][batch]["torch"] / found["latency"][batch]["engine"],
            ">=",
            TOLERANCE,
            label=f"{width} {form}, batch {batch:,}:",
            unit="x",
        )
        for width, results in by_width.items()
        for form, found in results.items()
        for batch in BATCHES
    ]
    return aim(
        "engine='auto' picks ONNX Runtime for dense input: predict_proba with "
        "engine='onnxruntime' is at least as fast as the torch path at batch 1, 64 "
        "and 4,096, every width and form (5 % timing tolerance)",
        faster,
        failures_only=True,
    )


# ------------------------------------------------------------------ main


def main(argv=None):
    parser = BenchmarkParser(__file__, __doc__, repeats=(7, 2))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    narrow = load_split("narrow", 0, quick=args.quick)
    by_width, accuracy = {}, {}
    with threadpool_limits(1):
        for width in WIDTHS:
            name = width_name(width)
            by_width[name] = measure_width(width, narrow, args)
            for form, found in by_width[name].items():
                accuracy["narrow", name, form] = found["accuracy"]
        for data, measure in (
            ("rotten_tomatoes", text_accuracy),
            ("digits", digits_accuracy),
        ):
            for form, found in measure(args.quick).items():
                accuracy[data, width_name(WIDTHS[0]), form] = found
    parts = [
        f"{platform.processor() or platform.machine()}, torch "
        f"{torch.__version__}, one torch thread, one ONNX Runtime thread, one BLAS "
        f"thread; median of {args.repeats} interleaved repeats of CPU time "
        "(time.thread_time, on a machine shared with other work); run took "
        f"{time.perf_counter() - start:.0f} s."
    ]
    for name, results in by_width.items():
        parts += [
            f"**files, hidden {name}** (narrow table: 16 features, 26 classes; ONNX "
            "widths: the hidden layers the file computes, dead units removed)",
            files_table(results),
            f"**latency, hidden {name}** (CPU time per call of predict_proba, or of "
            "session.run on a float32 array)",
            latency_table(results),
        ]
    parts += [
        "**int8 accuracy** (test rows; the reviews are a TF-IDF pipeline converted "
        "whole, strings in)",
        accuracy_table(accuracy),
        "\n".join(aims(by_width, accuracy)),
    ]
    publish(args, HEADING, "\n\n".join(parts))


if __name__ == "__main__":
    main()
