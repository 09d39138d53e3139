"""Which engine predicts: torch or ONNX Runtime; int8 scales per matrix or per column.

What the defaults of the estimators' ``engine="auto"`` and of
``sklprune.onnx.to_onnx(quantize="int8")`` rest on.

1. Engines: on the narrow table of ``_datasets.py`` (20,000 rows, 16 standardised
   features, 26 classes), a ``PrunedClassifier`` of hidden widths 256-128 is fitted
   in three forms: dense, 90 % weight sparsity, and 75 % neuron sparsity compacted.
   Each is timed through ``predict_proba`` at batch 1, 64 and 4,096 with
   ``engine="torch"`` (torch's fast inference form) and with ``engine="onnxruntime"``
   (the same weights in ONNX Runtime, one intra-op thread).
2. Sparse input: on the TF-IDF reviews (scipy.sparse, 5,000 columns), the dense
   form's ``predict_proba`` of CSR rows at batch 1 and 1,024: torch's sparse first
   layer against ONNX Runtime on rows made dense.
3. int8: for the narrow table, the TF-IDF reviews and digits, dense and 90 %
   weight-sparse, ``to_onnx`` fp32 and ``quantize_network`` with one scale per
   weight matrix and per output column: test accuracy, agreement with ``predict``,
   file size, and the int8 model's time at batch 4,096 in ONNX Runtime.

One torch thread, one ONNX Runtime thread, medians of interleaved repeats of CPU
time (thread time). The tables and the aims are printed and written to the
"## Prediction engine and int8 scales" section of ``benchmarks/RESULTS.md``.

Usage: python benchmarks/bench_predict_engine.py [--quick] [--repeats 7]
[--results PATH] [--no-write]
"""

import pickle
import platform
import statistics
import time

import numpy as np
from _datasets import load_split
from _harness import BenchmarkParser, aim, check, markdown_table, publish

from sklprune import PrunedClassifier
from sklprune.inference._onnxruntime import make_session
from sklprune.onnx import check_accuracy, quantize_network, to_onnx

HEADING = "## Prediction engine and int8 scales"
WIDTH = (256, 128)
FORMS = {
    "dense": {"sparsity": 0.0},
    "weight 90%": {"sparsity": 0.9},
    "neuron 75%, compacted": {
        "sparsity": 0.75,
        "granularity": "neuron",
        "compact": True,
    },
}
BATCHES = (1, 64, 4096)
SPARSE_BATCHES = (1, 1024)
INT8_DATASETS = ("narrow", "rotten_tomatoes", "digits")
INT8_FORMS = ("dense", "weight 90%")
TRAINING = {"max_epochs": 20, "finetune_epochs": 5, "random_state": 0}
QUICK_TRAINING = {"max_epochs": 3, "finetune_epochs": 1, "random_state": 0}
BLOCK_S = 0.02  # a timed block lasts about this long
TOLERANCE = 0.95  # "at least as fast", with 5 % for timing noise


# ------------------------------------------------------------------ timing


def interleaved_medians(calls, repeats):
    """Median CPU seconds per call of every callable, each timed once per repeat."""
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


def predicting(estimators, X):
    """{name: a call of the estimator's predict_proba on X}."""
    return {
        name: (lambda clf=clf: clf.predict_proba(X)) for name, clf in estimators.items()
    }


def with_engine(clf, engine, X):
    """A copy of a fitted classifier that predicts with ``engine``."""
    copy = pickle.loads(pickle.dumps(clf))
    copy.set_params(engine=engine)
    copy._choose_engine(X)  # what fit does last, on the same weights
    assert copy.engine_ == engine, copy.engine_reason_
    return copy


_SPLITS, _FITTED = {}, {}


def split(name, quick):
    """The data set's split of seed 0, loaded once."""
    if name not in _SPLITS:
        _SPLITS[name] = load_split(name, 0, quick=quick)
    return _SPLITS[name]


def fitted(name, form, quick):
    """The classifier of one form fitted on one data set, fitted once."""
    if (name, form) not in _FITTED:
        X_train, _, y_train, _ = split(name, quick)
        training = QUICK_TRAINING if quick else TRAINING
        clf = PrunedClassifier(hidden_layer_sizes=WIDTH, **training, **FORMS[form])
        _FITTED[name, form] = clf.fit(X_train, y_train)
    return _FITTED[name, form]


# ------------------------------------------------------------------ engines


def time_engines(args):
    """{form: {batch: (torch s, onnxruntime s)}} on the narrow table."""
    X_train, X_test, _, _ = split("narrow", args.quick)
    rng = np.random.RandomState(0)
    results = {}
    for form in FORMS:
        clf = fitted("narrow", form, args.quick)
        engines = {e: with_engine(clf, e, X_train) for e in ("torch", "onnxruntime")}
        results[form] = {}
        for batch in BATCHES:
            X = X_test[rng.randint(0, len(X_test), size=batch)]
            times = interleaved_medians(predicting(engines, X), args.repeats)
            results[form][batch] = (times["torch"], times["onnxruntime"])
    return results


def time_sparse_input(args):
    """{batch: (torch s, onnxruntime s)} of CSR rows of the TF-IDF reviews."""
    X_train, X_test, _, _ = split("rotten_tomatoes", args.quick)
    clf = fitted("rotten_tomatoes", "dense", args.quick)
    engines = {e: with_engine(clf, e, X_train) for e in ("torch", "onnxruntime")}
    results = {}
    for batch in SPARSE_BATCHES:
        X = X_test[:batch]
        times = interleaved_medians(predicting(engines, X), args.repeats)
        results[batch] = (times["torch"], times["onnxruntime"])
    return results, X_train.shape[1]


# ------------------------------------------------------------------ int8


def int8_rows(args):
    """One dict per data set, form and scale granularity."""
    rows = []
    for name in INT8_DATASETS:
        _, X_test, _, y_test = split(name, args.quick)
        if hasattr(X_test, "toarray"):  # ONNX models take dense rows
            X_test = X_test.toarray().astype(np.float32)
        for form in INT8_FORMS:
            clf = fitted(name, form, args.quick)
            fp32 = to_onnx(clf, X_test[:1])
            reference = check_accuracy(fp32, clf, X_test, y_test)
            for per_channel in (False, True):
                int8 = quantize_network(fp32, per_channel=per_channel)
                check = check_accuracy(int8, clf, X_test, y_test)
                rows.append(
                    {
                        "data": name,
                        "form": form,
                        "per_channel": per_channel,
                        "fp32": reference.onnx,
                        "int8": check.onnx,
                        "agreement": check.agreement,
                        "fp32_bytes": len(fp32.SerializeToString()),
                        "int8_bytes": len(int8.SerializeToString()),
                        "seconds": time_session(int8, X_test, args.repeats),
                    }
                )
    return rows


def time_session(onnx_model, X_test, repeats):
    """CPU seconds of the model's session on 4,096 test rows (repeated to fill)."""
    session = make_session(onnx_model)
    rows = np.resize(X_test, (4096, X_test.shape[1])).astype(np.float32)
    feed = {session.get_inputs()[0].name: rows}
    return interleaved_medians({"int8": lambda: session.run(None, feed)}, repeats)[
        "int8"
    ]


# ------------------------------------------------------------------ report


def engine_table(results):
    header = ["form"]
    for batch in BATCHES:
        unit = "ms" if batch >= 1000 else "µs"
        header += [f"torch, batch {batch:,} ({unit})", f"ONNX Runtime ({unit})"]
    header.append("ONNX Runtime faster at 1 / 64 / 4,096")
    rows = []
    for form, by_batch in results.items():
        cells = [form]
        for batch in BATCHES:
            scale = 1e3 if batch >= 1000 else 1e6
            cells += [f"{s * scale:.1f}" for s in by_batch[batch]]
        ratios = [t / o for t, o in (by_batch[b] for b in BATCHES)]
        cells.append(" / ".join(f"{r:.2f}x" for r in ratios))
        rows.append(cells)
    return markdown_table(header, rows, "l" + "r" * (len(header) - 1))


def sparse_table(results, width):
    rows = [
        [f"{batch:,}", f"{t * 1e3:.2f}", f"{o * 1e3:.2f}", f"{o / t:.1f}x"]
        for batch, (t, o) in results.items()
    ]
    header = [
        "CSR rows",
        "torch, sparse first layer (ms)",
        f"ONNX Runtime, rows made dense ({width:,} columns) (ms)",
        "torch faster",
    ]
    return markdown_table(header, rows, "rrrr")


def int8_table(rows):
    header = [
        "data",
        "form",
        "int8 scales",
        "fp32 accuracy",
        "int8 accuracy",
        "labels as predict",
        "fp32 bytes",
        "int8 bytes",
        "int8, batch 4,096 (ms)",
    ]
    cells = [
        [
            r["data"],
            r["form"],
            "per column" if r["per_channel"] else "per matrix",
            f"{r['fp32']:.4f}",
            f"{r['int8']:.4f}",
            f"{r['agreement']:.4f}",
            f"{r['fp32_bytes']:,}",
            f"{r['int8_bytes']:,}",
            f"{r['seconds'] * 1e3:.2f}",
        ]
        for r in rows
    ]
    return markdown_table(header, cells, "lll" + "r" * 6)


def aims(engines, sparse, rows):
    faster = [
        check(t / o, ">=", TOLERANCE, label=f"{form}, batch {b:,}:", unit="x")
        for form, by_batch in engines.items()
        for b, (t, o) in by_batch.items()
    ]
    torch_sparse = [
        check(o / t, ">=", 1.0, label=f"batch {b:,}:", unit="x")
        for b, (t, o) in sparse.items()
    ]
    by_key = {(r["data"], r["form"], r["per_channel"]): r for r in rows}
    per_matrix = [
        check(
            by_key[(d, f, False)]["int8"] - by_key[(d, f, True)]["int8"],
            ">=",
            -0.005,
            label=f"{d}, {f}:",
            fmt="{:+.4f}",
        )
        for d, f, per_channel in by_key
        if not per_channel
    ]
    return [
        aim(
            "engine='auto' picks ONNX Runtime for dense input: it predicts at least "
            "as fast as torch through predict_proba at batch 1, 64 and 4,096, for "
            "dense, weight-sparse and compacted 256-128 networks (5 % timing "
            "tolerance)",
            faster,
            failures_only=True,
        ),
        aim(
            "engine='auto' leaves scipy.sparse input to torch: its sparse first "
            "layer is faster than ONNX Runtime on the rows made dense",
            torch_sparse,
        ),
        aim(
            "int8 scales per matrix (the default without check data) are within "
            "0.5 points of per-column scales on every data set and form",
            per_matrix,
        ),
    ]


def main(argv=None):
    parser = BenchmarkParser(__file__, __doc__, repeats=(7, 2))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    engines = time_engines(args)
    sparse, width = time_sparse_input(args)
    rows = int8_rows(args)
    body = "\n\n".join(
        [
            f"{platform.processor() or platform.machine()}, one torch thread, one "
            f"ONNX Runtime thread, median of {args.repeats} interleaved repeats of "
            f"CPU time; run took {time.perf_counter() - start:.0f} s.",
            f"**predict_proba by engine** (hidden {WIDTH[0]}-{WIDTH[1]}, narrow "
            "table: 16 features, 26 classes)",
            engine_table(engines),
            "**scipy.sparse input** (TF-IDF reviews, dense 256-128 network)",
            sparse_table(sparse, width),
            "**int8 scales** (ONNX Runtime's dynamic quantization of the network's "
            "MatMul nodes, test rows)",
            int8_table(rows),
            "\n".join(aims(engines, sparse, rows)),
        ]
    )
    publish(args, HEADING, body)


if __name__ == "__main__":
    main()
