"""One training epoch on a large TF-IDF-like CSR matrix: sklprune vs plain skorch.

skorch's default data loader densifies a scipy.sparse matrix one row at a time;
PrunedClassifier slices the CSR once per mini-batch. Both train the same MLP
(200,000 inputs, 64 hidden units, 2 classes) with Adam, batch 128, for one epoch.
Every run is a fresh subprocess, so peak memory (max RSS) is per run; runs are
interleaved and the table gives medians.

Usage: python benchmarks/bench_sparse_input.py [--repeats 3] [--rows 10000]
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

N_FEATURES = 200_000
NNZ_PER_ROW = 10
HIDDEN = (64,)
BATCH = 128


def make_data(n_rows):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    cols = rng.randint(0, N_FEATURES, size=n_rows * NNZ_PER_ROW)
    rows = np.repeat(np.arange(n_rows), NNZ_PER_ROW)
    values = rng.rand(n_rows * NNZ_PER_ROW).astype(np.float32)
    X = sp.csr_matrix((values, (rows, cols)), shape=(n_rows, N_FEATURES))
    y = (np.asarray(X[:, : N_FEATURES // 2].sum(axis=1)).ravel() > 0.5).astype(int)
    return X, y


def run_one(variant, n_rows):
    import torch

    torch.set_num_threads(1)
    from skorch import NeuralNetClassifier
    from torch import nn

    from sklprune import PrunedClassifier
    from sklprune.modules import MLP

    X, y = make_data(n_rows)
    start = time.perf_counter()
    if variant == "sklprune":
        PrunedClassifier(
            hidden_layer_sizes=HIDDEN,
            batch_size=BATCH,
            max_epochs=1,
            finetune_epochs=0,
            sparsity=0.9,
            random_state=0,
        ).fit(X, y)
    else:
        torch.manual_seed(0)
        NeuralNetClassifier(
            MLP,
            module__n_features=N_FEATURES,
            module__n_classes=2,
            module__hidden_layer_sizes=HIDDEN,
            criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=1e-3,
            batch_size=BATCH,
            max_epochs=1,
            train_split=None,
            verbose=0,
        ).fit(X, y.astype("int64"))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"variant": variant, "seconds": seconds, "peak_mb": peak_mb}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--one", choices=["sklprune", "skorch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.rows)
        return
    results = {"sklprune": [], "skorch": []}
    for _ in range(args.repeats):
        for variant in results:  # interleaved
            out = subprocess.run(
                [sys.executable, __file__, "--one", variant, "--rows", str(args.rows)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"One epoch, {args.rows:,} x {N_FEATURES:,} CSR, {NNZ_PER_ROW} non-zeros/row, "
        f"MLP {HIDDEN}, batch {BATCH}, 1 thread, median of {args.repeats}"
    )
    print(f"{'variant':<28} {'seconds':>8} {'peak MB':>8} {'speed-up':>8}")
    base = statistics.median(r["seconds"] for r in results["skorch"])
    for variant, label in [
        ("skorch", "skorch (row-wise densify)"),
        ("sklprune", "PrunedClassifier (per batch)"),
    ]:
        seconds = statistics.median(r["seconds"] for r in results[variant])
        peak = max(r["peak_mb"] for r in results[variant])
        print(f"{label:<28} {seconds:>8.2f} {peak:>8.0f} {base / seconds:>7.2f}x")


if __name__ == "__main__":
    main()
