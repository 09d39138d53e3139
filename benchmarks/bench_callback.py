"""PruningCallback on a skorch MLP for load_digits: accuracy, sparsity, overhead.

The same net (64-256-128-10, Adam, 30 epochs, batch 64, skorch's default data
loader) is trained without the callback, with it at sparsity 0, and at 90 %
sparsity for every strategy (polynomial schedule, scope ``"lamp"``), on one
stratified 75/25 split of load_digits, with torch's default Adam and with fused Adam
(what ``PrunedClassifier`` uses). Runs are interleaved (every repeat fits every
variant once, in rotating order, after one untimed warm-up fit of each); times are
medians of ``--repeats`` runs of the process's CPU time (less sensitive than wall
time to other work on a shared machine), and the overhead is the ratio to the net
without the callback, same optimizer, measured in the same run. Accuracy is the mean
± std over the repeats (seeds 0, 1, ...).

Writes the section "## PruningCallback overhead on a plain skorch net" of
``benchmarks/RESULTS.md`` (other sections are left alone) with the aim computed
from its table. ``--quick`` runs a small smoke version (400 training rows, 3
epochs, 2 repeats) and writes only where ``--results`` points.

Usage: python benchmarks/bench_callback.py [--quick] [--repeats 7] [--results PATH]
"""

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import _results as results
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

HEADING = "## PruningCallback overhead on a plain skorch net"
VARIANTS = ["no callback", "sparsity 0", "magnitude", "gradient", "fisher", "random"]
OPTIMIZERS = {"torch's default Adam": False, "fused Adam": True}
AIM = 0.10  # overhead under 10 % of the CPU time without the callback


def make_net(variant, fused=False, epochs=30):
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
        max_epochs=epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
    )


def load(quick):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if quick:
        X_train, y_train = X_train[:400], y_train[:400]
    scaler = StandardScaler().fit(X_train)
    return (
        scaler.transform(X_train).astype(np.float32),
        scaler.transform(X_test).astype(np.float32),
        y_train,
        y_test,
    )


def measure(repeats, epochs, quick):
    """Rows per (optimizer, variant): accuracy, sparsity, median CPU s, overhead.

    Returns
    -------
    rows : list of dict
    n_train : int
        Training rows.
    """
    X_train, X_test, y_train, y_test = load(quick)
    runs = [(opt, v) for opt in OPTIMIZERS for v in VARIANTS]
    for opt, variant in runs:  # warm-up: first-call costs are no overhead
        make_net(variant, OPTIMIZERS[opt], epochs=1).fit(X_train, y_train)
    times = {run: [] for run in runs}
    scores = {run: [] for run in runs}
    sparsity = {}
    for repeat in range(repeats):
        shift = repeat % len(runs)
        for opt, variant in runs[shift:] + runs[:shift]:
            torch.manual_seed(repeat)
            net = make_net(variant, OPTIMIZERS[opt], epochs=epochs)
            start = time.process_time()
            net.fit(X_train, y_train)
            times[opt, variant].append(time.process_time() - start)
            scores[opt, variant].append(net.score(X_test, y_test))
            sparsity[opt, variant] = achieved_sparsity(
                find_targets(net.module_).values()
            )
    rows = []
    for opt, variant in runs:
        cpu = statistics.median(times[opt, variant])
        base = statistics.median(times[opt, "no callback"])
        rows.append(
            {
                "optimizer": opt,
                "variant": variant,
                "accuracy": float(np.mean(scores[opt, variant])),
                "std": float(np.std(scores[opt, variant])),
                "sparsity": sparsity[opt, variant],
                "cpu_s": cpu,
                "overhead": cpu / base - 1,
            }
        )
    return rows, len(X_train)


def aims(rows):
    """One computed aim line per optimizer."""
    lines = []
    for opt in OPTIMIZERS:
        pruned = [
            r for r in rows if r["optimizer"] == opt and r["variant"] != "no callback"
        ]
        worst = max(pruned, key=lambda r: r["overhead"])
        over = [r for r in pruned if r["overhead"] >= AIM]
        lines.append(
            results.aim(
                f"PruningCallback's overhead under {AIM:.0%} of the CPU time "
                f"without it, every variant, {opt}",
                not over,
                f"worst {worst['variant']} {worst['overhead'] * 100:+.1f}%"
                + (
                    "; at or above the bound: "
                    + ", ".join(
                        f"{r['variant']} {r['overhead'] * 100:+.1f}%" for r in over
                    )
                    if over
                    else ""
                ),
            )
        )
    return lines


def report(rows, config):
    """The RESULTS.md section, starting with its heading."""
    lines = [
        HEADING,
        "",
        f"`python benchmarks/bench_callback.py{config['argv']}`: torch "
        f"{torch.__version__}, {platform.machine()}, 1 thread, shared machine. A "
        "skorch `NeuralNetClassifier` (MLP 64-256-128-10, Adam lr 1e-3, weight "
        f"decay 1e-4, batch 64, {config['epochs']} epochs, skorch's default data "
        f"loader) on a stratified 75/25 split of load_digits ({config['rows']:,} "
        "training rows), without the callback, with it at sparsity 0, and at "
        "sparsity 0.9 with every strategy (polynomial schedule over the first "
        'three quarters of the epochs, scope `"lamp"`). CPU time of the fit, '
        f"median of {config['repeats']} interleaved runs after a warm-up fit of "
        "each; overhead against the net without the callback and the same "
        "optimizer; accuracy mean ± std over the runs' seeds.",
    ]
    for opt in OPTIMIZERS:
        lines += [
            "",
            f"{opt}:",
            "",
            "| variant | test accuracy (mean ± std) | sparsity | CPU s | overhead |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            if r["optimizer"] == opt:
                lines.append(
                    f"| {r['variant']} | {r['accuracy']:.4f} ± {r['std']:.4f} | "
                    f"{r['sparsity']:.4f} | {r['cpu_s']:.2f} | "
                    f"{r['overhead'] * 100:+.1f}% |"
                )
    lines += ["", "Aims:", "", *aims(rows), ""]
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repeats", type=int, default=None, help="default 7")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="markdown file to write the section into (default benchmarks/"
        "RESULTS.md; none with --quick)",
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}.")
    args.repeats = args.repeats or (2 if args.quick else 7)
    if not args.quick:
        args.results = args.results or results.RESULTS
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    epochs = 3 if args.quick else 30
    rows, n_train = measure(args.repeats, epochs, args.quick)
    config = {
        "argv": "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv)),
        "epochs": epochs,
        "repeats": args.repeats,
        "rows": n_train,
    }
    text = report(rows, config)
    print(text)
    if args.results is not None:
        results.write_section(text, args.results)
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
