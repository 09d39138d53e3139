"""Training on hashed text at scale: PrunedClassifier's sparse path against skorch.

Synthetic documents, 2^18 hashed features, about 20 non-zeros a document: word
ids follow a power law (as words in text do), every row is L2-normalised, and
the label is the sign of a fixed random linear function of the row (minus its
median), so a linear signal exists. A held-out set of documents from the same
generator measures accuracy. Everything is generated from fixed seeds.

Every variant trains the same MLP (2^18 inputs, 64 hidden units, 2 outputs) with
the Adam family, learning rate ``LR``, batch 128, for two epochs:

* ``sklprune``: PrunedClassifier, defaults (``optimizer="adam"``, i.e. LazyAdam):
  a sparse weight gradient over the input columns a batch touches and a lazy
  Adam update of those columns only; pruned to 90 % after epoch 1, fine-tuned
  in epoch 2.
* ``sklprune-dense-grad``: the same classifier with ``optimizer=torch.optim.Adam``:
  sparse batches but a dense first-layer gradient and a dense Adam update of all
  weights every batch (the path before the sparse gradient).
* ``skorch``: a plain ``NeuralNetClassifier`` with ``torch.optim.Adam`` and
  skorch's own data loading (rows densified one at a time), no pruning.

Every run is a fresh subprocess with one torch thread; its peak memory is its
max RSS (data generation included). Small sizes are repeated, runs interleaved,
and the table gives medians of time and the largest peak.

Writes the section "## Sparse input: hashed text at scale" of
benchmarks/RESULTS.md.

Usage: python benchmarks/bench_sparse_input.py [--repeats 3] [--quick]
       [--results PATH] [--runs PATH] [--max-docs N]
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _harness import BenchmarkParser, aim, check, publish

HEADING = "## Sparse input: hashed text at scale"
N_FEATURES = 2**18
NNZ = 20
HIDDEN = (64,)
BATCH = 128
EPOCHS = 2
LR = 2e-3
N_TEST = 10_000
CHUNK = 100_000
# (documents, variants, repeats-or-None for --repeats)
FULL = [
    (10_000, ("sklprune", "sklprune-dense-grad"), None),
    (20_000, ("sklprune", "skorch"), None),
    (100_000, ("sklprune",), 1),
    (1_000_000, ("sklprune",), 1),
]
QUICK_FEATURES = 2**12
QUICK_TEST = 1_000
QUICK = [(500, ("sklprune", "sklprune-dense-grad", "skorch"), 1)]
AIM_SPEED = 5.0
AIM_ACCURACY_POINTS = 1.0
AIM_SECONDS = 240.0
AIM_PEAK_MB = 2048.0


def make_documents(n_docs, n_features, seed):
    """CSR (float32, int32 indices) of power-law word counts, L2-normalised rows."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_features + 1, dtype=np.float64)
    cdf = np.cumsum(1.0 / (ranks + 10.0))
    cdf /= cdf[-1]
    word_of_rank = np.random.default_rng(0).permutation(n_features).astype(np.int32)
    blocks = []
    for start in range(0, n_docs, CHUNK):
        rows = min(CHUNK, n_docs - start)
        draws = rng.random(rows * NNZ, dtype=np.float32)
        cols = word_of_rank[np.minimum(np.searchsorted(cdf, draws), n_features - 1)]
        indptr = np.arange(0, rows * NNZ + 1, NNZ, dtype=np.int32)
        block = sp.csr_matrix(
            (np.ones(rows * NNZ, np.float32), cols, indptr), shape=(rows, n_features)
        )
        block.sum_duplicates()
        norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1)).ravel())
        block = sp.csr_matrix(sp.diags_array(1 / norms).astype(np.float32) @ block)
        blocks.append(block)
    return sp.vstack(blocks, format="csr", dtype=np.float32)


def make_data(n_docs, n_features, n_test):
    import numpy as np

    X = make_documents(n_docs, n_features, seed=1)
    X_test = make_documents(n_test, n_features, seed=2)
    coef = np.random.default_rng(3).standard_normal(n_features).astype(np.float32)
    scores, test_scores = X @ coef, X_test @ coef
    threshold = np.median(scores)
    return X, (scores > threshold).astype(np.int64), X_test, test_scores > threshold


def run_one(variant, n_docs, n_features, n_test):
    """Train one variant in this process; print time, peak memory, accuracy."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from skorch import NeuralNetClassifier
    from torch import nn

    from sklprune import PrunedClassifier
    from sklprune.modules import MLP

    X, y, X_test, y_test = make_data(n_docs, n_features, n_test)
    if variant == "skorch":
        torch.manual_seed(0)
        model = NeuralNetClassifier(
            MLP,
            module__n_features=n_features,
            module__n_classes=2,
            module__hidden_layer_sizes=HIDDEN,
            criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=LR,
            batch_size=BATCH,
            max_epochs=EPOCHS,
            train_split=None,
            verbose=0,
        )
    else:
        model = PrunedClassifier(
            hidden_layer_sizes=HIDDEN,
            optimizer=torch.optim.Adam if variant.endswith("dense-grad") else "adam",
            lr=LR,
            batch_size=BATCH,
            max_epochs=EPOCHS,
            finetune_epochs=EPOCHS - 1,
            sparsity=0.9,
            random_state=0,
        )
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(X, y)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    print(
        json.dumps(
            {"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "accuracy": accuracy}
        )
    )


def measure(plan, repeats, n_features, n_test, runs_file=None):
    """{(docs, variant): [run, ...]}, runs of one size interleaved.

    With ``runs_file`` (JSON lines), every finished run is appended to it, and
    the runs it already holds for the same setup count: an interrupted
    benchmark resumes where it stopped.
    """
    results = {}
    done = {}
    if runs_file is not None and runs_file.exists():
        for line in runs_file.read_text().splitlines():
            run = json.loads(line)
            if (run.pop("features"), run.pop("test_docs")) == (n_features, n_test):
                key = (run.pop("docs"), run.pop("variant"))
                done.setdefault(key, []).append(run)
    for n_docs, variants, fixed in plan:
        for _ in range(fixed or repeats):
            for variant in variants:
                if done.get((n_docs, variant)):
                    run = done[(n_docs, variant)].pop(0)
                    results.setdefault((n_docs, variant), []).append(run)
                    continue
                command = [sys.executable, __file__, "--one", variant]
                command += ["--docs", str(n_docs), "--features", str(n_features)]
                command += ["--test-docs", str(n_test)]
                out = subprocess.run(
                    command, check=True, capture_output=True, text=True
                )
                run = json.loads(out.stdout.strip().splitlines()[-1])
                results.setdefault((n_docs, variant), []).append(run)
                if runs_file is not None:
                    setup = {
                        "docs": n_docs,
                        "variant": variant,
                        "features": n_features,
                        "test_docs": n_test,
                    }
                    with runs_file.open("a") as f:
                        f.write(json.dumps({**setup, **run}) + "\n")
                print(f"  {n_docs:>9,} {variant:<20} {run}", flush=True)
    return results


def summarise(results):
    """One row per (docs, variant): medians of time, largest peak, accuracy."""
    rows = {}
    for key, runs in results.items():
        rows[key] = {
            "epoch_s": statistics.median(r["seconds"] for r in runs) / EPOCHS,
            "fit_s": statistics.median(r["seconds"] for r in runs),
            "cpu_epoch_s": statistics.median(r["cpu"] for r in runs) / EPOCHS,
            "fit_cpu_s": statistics.median(r["cpu"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "accuracy": statistics.median(r["accuracy"] for r in runs),
            "runs": len(runs),
        }
    return rows


def table(rows):
    lines = [
        "| documents | variant | s / epoch | CPU s / epoch | peak MB | test accuracy "
        "| speed-up vs skorch | runs |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (n_docs, variant), row in sorted(rows.items()):
        base = rows.get((n_docs, "skorch"))
        speed = f"{base['epoch_s'] / row['epoch_s']:.1f}x" if base else "-"
        lines.append(
            f"| {n_docs:,} | {variant} | {row['epoch_s']:.2f} | "
            f"{row['cpu_epoch_s']:.2f} | {row['peak_mb']:.0f} | "
            f"{row['accuracy']:.4f} | {speed} | "
            f"{row['runs']} |"
        )
    return lines


def aims(rows, speed_docs, scale_docs):
    """The speed aim against skorch and the scale aim, computed from the rows."""
    ours, theirs = rows.get((speed_docs, "sklprune")), rows.get((speed_docs, "skorch"))
    speed_checks, note = [], ""
    if ours and theirs:
        speed_checks = [
            check(
                theirs["epoch_s"] / ours["epoch_s"],
                ">=",
                AIM_SPEED,
                label="wall-clock speed-up",
                unit="x",
                fmt="{:.1f}",
            ),
            check(
                100 * (theirs["accuracy"] - ours["accuracy"]),
                "<=",
                AIM_ACCURACY_POINTS,
                label="accuracy lower by",
                unit=" points",
                fmt="{:+.2f}",
            ),
        ]
        note = (
            f"{theirs['cpu_epoch_s'] / ours['cpu_epoch_s']:.1f}x CPU, accuracy "
            f"{ours['accuracy']:.4f} against {theirs['accuracy']:.4f}"
        )
    big = rows.get((scale_docs, "sklprune"))
    scale_checks = []
    if big is not None:
        scale_checks = [
            check(
                big["fit_s"],
                "<=",
                AIM_SECONDS,
                label="wall clock",
                unit=" s",
                fmt="{:.1f}",
            ),
            check(
                big["peak_mb"],
                "<=",
                AIM_PEAK_MB,
                label="peak memory",
                unit=" MB",
                fmt="{:.0f}",
            ),
        ]
    return [
        aim(
            f"at {speed_docs:,} documents at least {AIM_SPEED:g}x faster than "
            f"skorch's path, accuracy at most {AIM_ACCURACY_POINTS:g} point lower",
            speed_checks,
            note,
        ),
        aim(
            f"{scale_docs:,} documents, {EPOCHS} epochs in at most "
            f"{AIM_SECONDS:g} s with peak memory at most {AIM_PEAK_MB:g} MB",
            scale_checks,
            f"{big['fit_cpu_s']:.1f} s CPU" if big is not None else "",
        ),
    ]


def parse_args(argv=None):
    """The common flags, resuming and size limits, and the flags of one run."""
    parser = BenchmarkParser(__file__, __doc__, repeats=(3, 1))
    parser.add_argument(
        "--runs", type=Path, help="JSON-lines file of finished runs, to resume"
    )
    parser.add_argument(
        "--max-docs", type=int, help="skip larger sizes (their rows stay empty)"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--features", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--test-docs", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def description(n_features, n_test):
    """The setup of the section's table, in words."""
    return (
        f"synthetic hashed text, {n_features:,} features, {NNZ} word "
        "draws a document from a power law (L2-normalised rows), labels from a "
        f"fixed linear function; test accuracy on {n_test:,} held-out documents. "
        f"MLP {HIDDEN[0]} hidden units, batch {BATCH}, {EPOCHS} epochs, Adam family "
        f"at lr {LR:g} on every side (LazyAdam for `sklprune`, torch.optim.Adam for "
        "the others); `sklprune*` prune to 90 % after epoch 1 and fine-tune in "
        "epoch 2, `skorch` does not prune. Every run is a fresh process with one "
        "torch thread; peak MB is its max RSS (data generation included); "
        "seconds (wall clock of `fit`, and the process's CPU time) are medians "
        "over interleaved runs. Aims are judged on wall-clock time. The machine "
        "(2 cores) was shared with other jobs while this ran, which inflates wall "
        "clock over CPU time."
    )


def main(argv=None):
    """Run every planned fit in its own process and publish the section.

    With the hidden ``--one`` flag, train one variant in this process instead.
    """
    args = parse_args(argv)
    if args.one:
        run_one(args.one, args.docs, args.features, args.test_docs)
        return
    if args.quick:
        plan, n_features, n_test = QUICK, QUICK_FEATURES, QUICK_TEST
    else:
        plan, n_features, n_test = FULL, N_FEATURES, N_TEST
    speed_docs = plan[0][0] if args.quick else 20_000
    scale_docs = plan[-1][0]
    if args.max_docs is not None:
        plan = [step for step in plan if step[0] <= args.max_docs]
    results = measure(plan, args.repeats, n_features, n_test, args.runs)
    rows = summarise(results)
    body = [
        description(n_features, n_test),
        "",
        *table(rows),
        "",
        *aims(rows, speed_docs, scale_docs),
        "",
        "`sklprune` reads and differentiates only the input columns a batch "
        "touches and updates them with a lazy Adam, so an epoch costs time in "
        "proportion to the non-zeros; `sklprune-dense-grad` and `skorch` compute "
        f"a dense {n_features:,} x {HIDDEN[0]} gradient and an Adam update of all "
        "its weights every batch, and `skorch` also densifies every batch.",
    ]
    publish(args, HEADING, "\n".join(body))


if __name__ == "__main__":
    main()
