"""Which engine predicts scipy.sparse input: torch's sparse first layer or ONNX Runtime.

What the estimators' ``engine="auto"`` rests on for sparse input; its choice for
dense input, and int8, are measured by ``bench_deploy.py``.

On the TF-IDF reviews (scipy.sparse, 5,000 columns), a dense ``PrunedClassifier``
of hidden widths 256-128 predicts CSR rows at batch 1 and 1,024 through
``predict_proba``: with ``engine="torch"`` (its sparse first layer skips the
zeros of the input) and with ``engine="onnxruntime"`` (the rows made dense a few
at a time, then the network in ONNX Runtime, one intra-op thread).

One torch thread, medians of interleaved repeats of CPU time (thread time). The
table and the aim are printed and written to the "## Prediction engine on sparse
input" section of ``benchmarks/RESULTS.md``.

Usage: python benchmarks/bench_predict_engine.py [--quick] [--repeats 7]
[--results PATH] [--no-write]
"""

import platform
import time

from _datasets import load_split
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from bench_deploy import (
    QUICK_TRAINING,
    TRAINING,
    interleaved_medians,
    latency_calls,
    with_engine,
)

from sklprune import PrunedClassifier

HEADING = "## Prediction engine on sparse input"
WIDTH = (256, 128)
SPARSE_BATCHES = (1, 1024)


def time_sparse_input(args):
    """{batch: (torch s, onnxruntime s)} of CSR rows of the TF-IDF reviews."""
    X_train, X_test, y_train, _ = load_split("rotten_tomatoes", 0, quick=args.quick)
    training = QUICK_TRAINING if args.quick else TRAINING
    clf = PrunedClassifier(hidden_layer_sizes=WIDTH, **training).fit(X_train, y_train)
    engines = {e: with_engine(clf, e, X_train) for e in ("torch", "onnxruntime")}
    results = {}
    for batch in SPARSE_BATCHES:
        calls = latency_calls(engines, X_test[:batch])
        times = interleaved_medians(calls, args.repeats)
        results[batch] = (times["torch"], times["onnxruntime"])
    return results, X_train.shape[1]


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


def aims(sparse):
    torch_sparse = [
        check(o / t, ">=", 1.0, label=f"batch {b:,}:", unit="x")
        for b, (t, o) in sparse.items()
    ]
    return [
        aim(
            "engine='auto' leaves scipy.sparse input to torch: its sparse first "
            "layer is faster than ONNX Runtime on the rows made dense",
            torch_sparse,
        )
    ]


def main(argv=None):
    parser = BenchmarkParser(__file__, __doc__, repeats=(7, 2))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sparse, width = time_sparse_input(args)
    body = "\n\n".join(
        [
            f"{platform.processor() or platform.machine()}, one torch thread, one "
            f"ONNX Runtime thread, median of {args.repeats} interleaved repeats of "
            f"CPU time; run took {time.perf_counter() - start:.0f} s.",
            f"**scipy.sparse input** (TF-IDF reviews, dense {WIDTH[0]}-{WIDTH[1]} "
            "network)",
            sparse_table(sparse, width),
            "\n".join(aims(sparse)),
        ]
    )
    publish(args, HEADING, body)


if __name__ == "__main__":
    main()
