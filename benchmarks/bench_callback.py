"""PruningCallback on a plain skorch MLP: accuracy, sparsity, training-time overhead.

The same skorch ``NeuralNetClassifier`` (MLP hidden 256-128, Adam lr 1e-3, weight
decay 1e-4) is trained without the callback, with it at sparsity 0, and at 90 %
sparsity for every strategy (polynomial schedule, scope ``"lamp"``). Setups:

* load_digits (a stratified 75/25 split, standardised; 30 epochs, batch 64) on
  skorch's default data loader, with torch's default Adam and with fused Adam (what
  ``PrunedClassifier`` uses), every variant;
* the same data on sklprune's slice-per-batch iterator (the one
  ``PrunedClassifier`` trains with), and the synthetic 500-feature set of
  ``bench_tradeoff.py`` (15,000 training rows, 6 epochs, batch 256) on it, with
  torch's default Adam: without the callback, magnitude and fisher.

Runs are interleaved (every repeat fits every variant of every setup once, in
rotating order, after one untimed warm-up fit of each); times are medians of
``--repeats`` runs of the process's CPU time (less sensitive than wall time to
other work on a shared machine) and of wall time, and the overhead is the ratio to
the same setup without the callback, measured in the same run. Accuracy is the mean
± std over the repeats (seeds 0, 1, ...). This section owns the callback's
training-time overhead; the accuracy study of ``bench_tradeoff.py`` refers to it.

Writes the section "## PruningCallback overhead on a plain skorch net" of
``benchmarks/RESULTS.md`` (other sections are left alone) with the aims computed
from its tables. ``--quick`` runs a small smoke version (400 digits training rows,
2,000 synthetic rows, 2 or 3 epochs, 2 repeats) and writes no file.

Usage: python benchmarks/bench_callback.py [--quick] [--repeats 7] [--results PATH]
"""

import platform
import statistics
import time
from collections import namedtuple

import numpy as np
import torch
from _datasets import load_split
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from torch import nn

from sklprune import PruningCallback
from sklprune._training.batching import ArrayDataset, BatchIterator
from sklprune.masks import achieved_sparsity, find_targets
from sklprune.modules import MLP

HEADING = "## PruningCallback overhead on a plain skorch net"
VARIANTS = ("no callback", "sparsity 0", "magnitude", "gradient", "fisher", "random")
SOME_VARIANTS = ("no callback", "magnitude", "fisher")
OPTIMIZERS = {"torch's default Adam": False, "fused Adam": True}
LOADERS = {
    "skorch DataLoader": {},
    "sklprune BatchIterator": {
        "iterator_train": BatchIterator,
        "iterator_train__shuffle": True,
        "iterator_valid": BatchIterator,
        "dataset": ArrayDataset,
    },
}
Setup = namedtuple("Setup", "workload loader optimizer variants")
SETUPS = (
    Setup("digits", "skorch DataLoader", "torch's default Adam", VARIANTS),
    Setup("digits", "skorch DataLoader", "fused Adam", VARIANTS),
    Setup("digits", "sklprune BatchIterator", "torch's default Adam", SOME_VARIANTS),
    Setup("synthetic", "sklprune BatchIterator", "torch's default Adam", SOME_VARIANTS),
)
# workload -> (epochs, quick epochs, batch size)
BUDGETS = {"digits": (30, 3, 64), "synthetic": (6, 2, 256)}
AIM = 0.10  # overhead under 10 % of the CPU time without the callback


def make_net(variant, fused=False, epochs=30):
    """The skorch net of every setup, without or with the callback."""
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


def load(workload, quick):
    """(X_train, X_test, y_train, y_test) of a workload, float32 and standardised."""
    if workload == "synthetic":
        return load_split("synthetic", 0, quick)
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


def build(setup, variant, data, epochs):
    """The net of one setup and variant for the workload's data."""
    X_train, _, y_train, _ = data
    return make_net(variant, OPTIMIZERS[setup.optimizer]).set_params(
        max_epochs=epochs,
        batch_size=BUDGETS[setup.workload][2],
        module__n_features=X_train.shape[1],
        module__n_classes=len(np.unique(y_train)),
        **LOADERS[setup.loader],
    )


def measure(repeats, quick):
    """Every run's CPU and wall seconds, test accuracy and sparsity.

    Returns
    -------
    runs : dict
        ``{(setup, variant): {"cpu": [...], "wall": [...], "accuracy": [...],
        "sparsity": float}}``.
    data : dict
        The data of every workload, ``{workload: (X_train, X_test, y_train,
        y_test)}``.
    """
    data = {workload: load(workload, quick) for workload in BUDGETS}
    order = [(setup, v) for setup in SETUPS for v in setup.variants]
    for setup, variant in order:  # warm-up: first-call costs are no overhead
        build(setup, variant, data[setup.workload], 1).fit(*data[setup.workload][::2])
    runs = {run: {"cpu": [], "wall": [], "accuracy": []} for run in order}
    for repeat in range(repeats):
        shift = repeat % len(order)
        for setup, variant in order[shift:] + order[:shift]:
            X_train, X_test, y_train, y_test = data[setup.workload]
            epochs = BUDGETS[setup.workload][1 if quick else 0]
            net = build(setup, variant, data[setup.workload], epochs)
            torch.manual_seed(repeat)
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            net.fit(X_train, y_train)
            run = runs[setup, variant]
            run["cpu"].append(time.process_time() - start_cpu)
            run["wall"].append(time.perf_counter() - start_wall)
            run["accuracy"].append(net.score(X_test, y_test))
            run["sparsity"] = achieved_sparsity(find_targets(net.module_).values())
    return runs, data


def summarise(runs):
    """One row per (setup, variant): accuracy, sparsity, median times, overheads."""
    rows = {}
    for (setup, variant), run in runs.items():
        base = runs[setup, "no callback"]
        cpu, wall = statistics.median(run["cpu"]), statistics.median(run["wall"])
        rows[setup, variant] = {
            "accuracy": float(np.mean(run["accuracy"])),
            "std": float(np.std(run["accuracy"])),
            "sparsity": run["sparsity"],
            "cpu_s": cpu,
            "wall_s": wall,
            "cpu_overhead": cpu / statistics.median(base["cpu"]) - 1,
            "wall_overhead": wall / statistics.median(base["wall"]) - 1,
        }
    return rows


def title(setup, data, quick):
    """A setup in words: workload, its size and budget, data path, optimizer."""
    X_train = data[setup.workload][0]
    epochs, quick_epochs, batch = BUDGETS[setup.workload]
    return (
        f"{setup.workload} ({X_train.shape[0]:,} x {X_train.shape[1]}, "
        f"{quick_epochs if quick else epochs} epochs, batch {batch}), "
        f"{setup.loader}, {setup.optimizer}"
    )


def tables(rows, data, quick):
    """One table per setup, under its title."""
    header = ["variant", "test accuracy (mean ± std)", "sparsity", "CPU s", "wall s"]
    header += ["CPU overhead", "wall overhead"]
    lines = []
    for setup in SETUPS:
        table = [
            [
                variant,
                f"{r['accuracy']:.4f} ± {r['std']:.4f}",
                f"{r['sparsity']:.4f}",
                f"{r['cpu_s']:.2f}",
                f"{r['wall_s']:.2f}",
                f"{r['cpu_overhead'] * 100:+.1f}%",
                f"{r['wall_overhead'] * 100:+.1f}%",
            ]
            for variant in setup.variants
            for r in [rows[setup, variant]]
        ]
        lines += ["", f"**{title(setup, data, quick)}**", ""]
        lines.append(markdown_table(header, table, "lrrrrrr"))
    return lines


def aims(rows, data, quick):
    """One computed aim per setup: every variant's CPU overhead under the bound."""
    lines = []
    for setup in SETUPS:
        checks = [
            check(
                rows[setup, variant]["cpu_overhead"] * 100,
                "<",
                AIM * 100,
                label=variant,
                unit="%",
                fmt="{:+.1f}",
            )
            for variant in setup.variants
            if variant != "no callback"
        ]
        lines.append(
            aim(
                f"PruningCallback's overhead under {AIM:.0%} of the CPU time without "
                f"it, every variant, {title(setup, data, quick)}",
                checks,
            )
        )
    return lines


def main(argv=None):
    """Measure every setup, print the section, write it unless told not to."""
    args = BenchmarkParser(__file__, __doc__, repeats=(7, 2)).parse_args(argv)
    runs, data = measure(args.repeats, args.quick)
    rows = summarise(runs)
    body = [
        f"torch {torch.__version__}, {platform.machine()}, 1 thread, shared "
        "machine. A skorch `NeuralNetClassifier` (MLP hidden 256-128, Adam lr "
        "1e-3, weight decay 1e-4) without the callback, with it at sparsity 0, "
        "and at sparsity 0.9 with every strategy (polynomial schedule over the "
        'first three quarters of the epochs, scope `"lamp"`), on skorch\'s '
        "default data loader and on sklprune's batch iterator (the one "
        "`PrunedClassifier` trains with). Medians of "
        f"{args.repeats} interleaved runs after a warm-up fit of each, of CPU time "
        "(this process's) and of wall time (which also counts waiting for a "
        "core); overheads against the same setup without the callback; accuracy "
        "mean ± std over the runs' seeds.",
        *tables(rows, data, args.quick),
        "",
        "Aims:",
        "",
        *aims(rows, data, args.quick),
    ]
    publish(args, HEADING, "\n".join(body))


if __name__ == "__main__":
    main()
