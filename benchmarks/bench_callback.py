"""PruningCallback on a skorch MLP for load_digits: accuracy, sparsity, overhead.

The same net (64-256-128-10, Adam, 30 epochs, batch 64) is trained without the
callback and with it at 90 % sparsity for every strategy, on one train/test split.
Runs are interleaved; times are medians of ``--repeats`` runs of the process's CPU
time (less sensitive than wall time to other work on a shared machine), and the
overhead is the ratio to the net without the callback measured in the same run.

Usage: python benchmarks/bench_callback.py [--repeats 5]
"""

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from torch import nn

from sklprune import PruningCallback
from sklprune.masks import achieved_sparsity, find_targets
from sklprune.modules import MLP

VARIANTS = ["no callback", "sparsity 0", "magnitude", "gradient", "fisher", "random"]


def make_net(variant, fused=False):
    callbacks = []
    if variant != "no callback":
        sparsity = 0.0 if variant == "sparsity 0" else 0.9
        strategy = "magnitude" if variant == "sparsity 0" else variant
        callbacks = [("prune", PruningCallback(sparsity=sparsity, strategy=strategy))]
    return NeuralNetClassifier(
        MLP,
        module__n_features=64,
        module__n_classes=10,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=1e-4,
        optimizer__fused=fused,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--fused",
        action="store_true",
        help="fused Adam (PrunedClassifier's default) instead of torch's default Adam",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train = scaler.transform(X_train).astype(np.float32)
    X_test = scaler.transform(X_test).astype(np.float32)
    times = {v: [] for v in VARIANTS}
    scores = {v: [] for v in VARIANTS}
    sparsity = {}
    for repeat in range(args.repeats):
        for variant in VARIANTS:
            torch.manual_seed(repeat)
            net = make_net(variant, fused=args.fused)
            start = time.process_time()
            net.fit(X_train, y_train)
            times[variant].append(time.process_time() - start)
            scores[variant].append(net.score(X_test, y_test))
            sparsity[variant] = achieved_sparsity(find_targets(net.module_).values())
    base = statistics.median(times["no callback"])
    adam = "fused Adam" if args.fused else "Adam"
    print(
        f"load_digits, MLP 64-256-128-10, {adam}, 30 epochs, 1 thread, "
        f"median of {args.repeats} interleaved runs"
    )
    print(
        f"{'variant':<12} {'accuracy':>14} {'sparsity':>9} {'CPU s':>7} {'overhead':>9}"
    )
    for variant in VARIANTS:
        t = statistics.median(times[variant])
        acc = f"{np.mean(scores[variant]):.4f}±{np.std(scores[variant]):.4f}"
        print(
            f"{variant:<12} {acc:>14} {sparsity[variant]:>9.4f} {t:>7.2f} "
            f"{(t / base - 1) * 100:>+8.1f}%"
        )


if __name__ == "__main__":
    main()
