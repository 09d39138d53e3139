"""Accuracy against compression, by the protocol of Blalock et al. (2020).

"What is the State of Neural Network Pruning?" (MLSys 2020) asks every pruning result
to report several data sets, compression ratios 2, 4, 8, 16 and 32x, the mean and
standard deviation over several seeds, the unpruned control, random, global-magnitude
and layer-wise-magnitude baselines under the same training budget, and both the
compression ratio and the theoretical speed-up. This script does exactly that.

Data (every seed draws its own stratified 75/25 split; the same split for every
method of that seed):

* ``load_digits`` and ``load_breast_cancer``, standardised on the training part;
* the bundled Rotten Tomatoes reviews (fresh/rotten), ``TfidfVectorizer(ngram_range=
  (1, 2), min_df=2, sublinear_tf=True, max_features=5000)`` fitted on the training
  part, fed to the network as scipy.sparse;
* ``make_classification(n_samples=20000, n_features=500, n_informative=125,
  n_redundant=125, n_classes=4, flip_y=0.01, random_state=0)``, standardised.

Methods, all on the same MLP (``sklprune.modules.MLP``, hidden (256, 128), ReLU),
trained with Adam (lr 1e-3, weight decay 1e-4) for the same number of epochs E per
data set, F of them at the final sparsity:

* ``dense``: ``PrunedClassifier(sparsity=0)``, the unpruned control;
* ``small dense``: a narrower dense MLP, both hidden widths scaled by the same factor
  so that it has about as many weights as the pruned networks keep;
* ``PyTorch one-shot L1``: dense for E - F epochs, then
  ``torch.nn.utils.prune.global_unstructured(..., L1Unstructured, amount=sparsity)``
  over every Linear weight, F epochs of fine-tuning through torch's reparametrisation
  (same skorch net, same optimizer), then ``prune.remove``;
* ``PrunedClassifier`` with the polynomial schedule over epochs 1 .. E - F, then F
  epochs of fine-tuning: ``random`` (every layer to the same sparsity), ``magnitude``
  with ``scope="layer"``, ``"global"`` and ``"lamp"`` (sklprune's default),
  ``gradient`` and ``fisher`` (LAMP scope), and ``magnitude`` with
  ``granularity="neuron"``, ``scope="layer"`` and ``compact=True`` (whole hidden units
  removed, pruned to the hidden widths of ``small dense``).

Compression ratio r means a sparsity of 1 - 1/r over the Linear weights (biases are
not pruned). Achieved sparsity, compression and theoretical speed-up are measured on
the trained model with :func:`sklprune.sparsity_report` against the full-width MLP:
compression = weights of the full MLP / non-zero weights, speed-up = dense
multiply-accumulates of the full MLP / multiply-accumulates with zeros skipped.

The defaults study (issue 14): ``PrunedClassifier`` as a user gets it, only
``sparsity`` and ``random_state`` set, at the ratios from 4x on, on a narrow
many-class table (``make_classification(n_samples=20000, n_features=16,
n_informative=16, n_redundant=0, n_classes=26, n_clusters_per_class=1,
class_sep=1.7)``, where a dense MLP reaches about 0.95), on digits average-pooled to
4x4 (16 features), on the three-class reviews as 2,000 dense TF-IDF columns
(``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=2000)``),
on the two-class reviews above, digits and breast cancer, against its dense
control, the previous defaults (magnitude, 40 epochs), a small dense MLP of about
as many weights, and random pruning to the default result's per-layer sparsities
(Frankle et al. 2021); the issue's aims are computed from that table.
``--study-datasets`` picks its data sets.

The training-time overhead of ``PruningCallback`` is measured by
``bench_callback.py``, the compaction latency by ``bench_compaction.py``; this
section refers to theirs.

Writes the section "## Accuracy vs compression (Blalock et al. protocol)" of
``benchmarks/RESULTS.md`` (other sections are left alone) and
``benchmarks/tradeoff.png``, and prints the tables and the check of the project's
aims. ``--quick`` runs a small smoke version (data subsets, 2 ratios, 1 seed, 3
epochs) and writes no file. Fit times are of one fit per point (medians over
seeds and ratios), so ``--repeats`` has no effect.

Usage: python benchmarks/bench_tradeoff.py [--quick] [--seeds 3] [--n-jobs 2]
       [--datasets ...] [--study-datasets ...] [--ratios ...] [--plot PATH]
"""

import argparse
import math
import platform
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _datasets import NARROW_CLASS_SEP, load_split
from _harness import (
    BenchmarkParser,
    Check,
    aim,
    check,
    markdown_table,
    positive_int,
    publish,
    save_figure,
)
from joblib import Parallel, delayed
from torch import nn
from torch.nn.utils import prune

from sklprune import PrunedClassifier, sparsity_report
from sklprune._training.auto import auto_max_epochs, auto_strategy
from sklprune.masks import find_targets
from sklprune.modules import MLP
from sklprune.strategies import PruningStrategy

HERE = Path(__file__).resolve().parent
HEADING = "## Accuracy vs compression (Blalock et al. protocol)"
HIDDEN = (256, 128)
RATIOS = (2, 4, 8, 16, 32)
QUICK_RATIOS = (8, 16)


@dataclass(frozen=True)
class Recipe:
    """How one data set is trained: the same budget for every method."""

    epochs: int
    finetune_epochs: int
    batch_size: int


RECIPES = {
    "digits": Recipe(epochs=30, finetune_epochs=8, batch_size=64),
    "breast_cancer": Recipe(epochs=30, finetune_epochs=8, batch_size=64),
    "rotten_tomatoes": Recipe(epochs=10, finetune_epochs=3, batch_size=256),
    "synthetic": Recipe(epochs=10, finetune_epochs=3, batch_size=256),
}
QUICK_RECIPE = Recipe(epochs=3, finetune_epochs=1, batch_size=64)

# label -> PrunedClassifier parameters (None: a method of its own below).
METHODS = {
    "dense": None,
    "small dense": None,
    "PyTorch one-shot L1": None,
    "random": {"strategy": "random", "scope": "layer"},
    "magnitude, layer": {"strategy": "magnitude", "scope": "layer"},
    "magnitude, global": {"strategy": "magnitude", "scope": "global"},
    "magnitude, LAMP": {"strategy": "magnitude", "scope": "lamp"},
    "gradient, LAMP": {"strategy": "gradient", "scope": "lamp"},
    "fisher, LAMP": {"strategy": "fisher", "scope": "lamp"},
    "magnitude, neuron": {
        "strategy": "magnitude",
        "scope": "layer",
        "granularity": "neuron",
        "compact": True,
    },
}
# sklprune's strategies in the aims ("random" is a sanity baseline, not a strategy).
SKLPRUNE = [
    "magnitude, layer",
    "magnitude, global",
    "magnitude, LAMP",
    "gradient, LAMP",
    "fisher, LAMP",
    "magnitude, neuron",
]
# Input columns of each data set: PrunedClassifier's strategy="auto" picks by them.
INPUT_FEATURES = {
    "digits": 64,
    "breast_cancer": 30,
    "rotten_tomatoes": 5000,
    "synthetic": 500,
}
TORCH = "PyTorch one-shot L1"

# The defaults study: PrunedClassifier as a user gets it, only sparsity set.
STUDY_DATASETS = (
    "narrow",
    "digits_4x4",
    "reviews_3class",
    "rotten_tomatoes",
    "digits",
    "breast_cancer",
)
STUDY_METHODS = (
    "default",
    "other criterion",
    "previous default",
    "small dense",
    "random, same layers",
)
# The criterion strategy="auto" passes over, for "other criterion".
OTHER_CRITERION = {"fisher": "magnitude", "magnitude": "fisher"}
# The defaults before this study: magnitude criterion, 40 epochs, 10 to fine-tune.
PREVIOUS_DEFAULT = {"strategy": "magnitude", "max_epochs": 40, "finetune_epochs": 10}
STUDY_MIN_RATIO = 4
QUICK_STUDY_DATASETS = ("narrow", "digits_4x4")
QUICK_BUDGET = {"max_epochs": 3, "finetune_epochs": 1}

# --------------------------------------------------------------------- methods


def small_dense_widths(n_features, n_classes, ratio, hidden=HIDDEN):
    """Hidden widths, scaled by one factor, giving about 1/ratio of the weights.

    Solves ``n_features*h1*k + h1*h2*k**2 + h2*n_classes*k = weights / ratio`` for
    the factor k, the weights counted for the full ``hidden`` widths.

    Returns
    -------
    widths : tuple of int
        The rounded widths, at least 1 each.
    keep : float
        The factor k, the fraction of hidden units kept.
    """
    h1, h2 = hidden
    weights = n_features * h1 + h1 * h2 + h2 * n_classes
    a, b = h1 * h2, n_features * h1 + h2 * n_classes
    keep = (-b + math.sqrt(b * b + 4 * a * weights / ratio)) / (2 * a)
    return (max(1, round(h1 * keep)), max(1, round(h2 * keep))), keep


def make_classifier(recipe, seed, **params):
    params.setdefault("hidden_layer_sizes", HIDDEN)
    return PrunedClassifier(
        schedule="polynomial",
        max_epochs=recipe.epochs,
        finetune_epochs=recipe.finetune_epochs,
        batch_size=recipe.batch_size,
        random_state=seed,
        **params,
    )


def fit_torch_one_shot(recipe, seed, X, y, sparsity):
    """Dense training, torch's one-shot global L1 pruning, fine-tuning, remove."""
    dense_epochs = recipe.epochs - recipe.finetune_epochs
    dense_recipe = replace(recipe, epochs=dense_epochs, finetune_epochs=0)
    clf = make_classifier(dense_recipe, seed, sparsity=0.0).fit(X, y)
    linears = [(m, "weight") for m in clf.module_.modules() if isinstance(m, nn.Linear)]
    prune.global_unstructured(
        linears, pruning_method=prune.L1Unstructured, amount=sparsity
    )
    # The same skorch net and optimizer fine-tune through torch's reparametrisation
    # (weight = weight_orig * weight_mask); sklprune's callback is taken out.
    net = clf.net_
    net.callbacks = []
    net.initialize_callbacks()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net.partial_fit(
            X, np.searchsorted(clf.classes_, y), epochs=recipe.finetune_epochs
        )
    for module, name in linears:
        prune.remove(module, name)
    return clf


def fit_method(method, recipe, seed, X, y, ratio):
    """Train one method at one compression ratio; return the fitted classifier."""
    sparsity = 1.0 - 1.0 / ratio
    if method == "dense":
        return make_classifier(recipe, seed, sparsity=0.0).fit(X, y)
    if method == TORCH:
        return fit_torch_one_shot(recipe, seed, X, y, sparsity)
    if method == "small dense":
        widths, _ = small_dense_widths(X.shape[1], len(np.unique(y)), ratio)
        return make_classifier(
            recipe, seed, sparsity=0.0, hidden_layer_sizes=widths
        ).fit(X, y)
    # Under granularity="neuron" the sparsity counts the weights compaction removes
    # and scope="layer" narrows every layer alike: about small dense's widths.
    params = dict(METHODS[method])
    return make_classifier(recipe, seed, sparsity=sparsity, **params).fit(X, y)


def run_point(dataset, seed, ratio, quick):
    """All methods of one data set, seed and ratio (``ratio=1``: the dense control)."""
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = load_split(dataset, seed, quick)
    recipe = QUICK_RECIPE if quick else RECIPES[dataset]
    n_classes = len(np.unique(y_train))
    full = sparsity_report(MLP(X_train.shape[1], n_classes, HIDDEN))
    full_weights = int(full.loc["total", "parameters"])
    full_macs = full.attrs["dense_macs"]
    methods = ["dense"] if ratio == 1 else [m for m in METHODS if m != "dense"]
    rows = []
    for method in methods:
        start = time.process_time()
        clf = fit_method(method, recipe, seed, X_train, y_train, ratio)
        fit_s = time.process_time() - start
        report = sparsity_report(clf)
        nonzero = int(report.loc["total", "nonzero"])
        rows.append(
            {
                "dataset": dataset,
                "method": method,
                "ratio": ratio,
                "seed": seed,
                "accuracy": clf.score(X_test, y_test),
                "sparsity": 1.0 - nonzero / full_weights,
                "compression": full_weights / nonzero,
                "speedup": full_macs / report.attrs["macs"],
                "fit_cpu_s": fit_s,
            }
        )
    return rows


def run_grid(datasets, ratios, seeds, quick, n_jobs):
    """Every (data set, seed, ratio) point, the costliest first, in parallel."""
    points = [
        (dataset, seed, ratio)
        for dataset in datasets
        for seed in seeds
        for ratio in (1, *ratios)
    ]
    cost = {"synthetic": 4, "rotten_tomatoes": 3, "digits": 2, "breast_cancer": 1}
    points.sort(key=lambda p: (p[2] != 1, cost[p[0]]), reverse=True)
    parts = Parallel(n_jobs=n_jobs, batch_size=1)(
        delayed(run_point)(dataset, seed, ratio, quick)
        for dataset, seed, ratio in points
    )
    return pd.DataFrame([row for part in parts for row in part])


# ------------------------------------------------------------- defaults study


class SameLayerRandom(PruningStrategy):
    """Random pruning that ends at given per-layer sparsities.

    The control of Frankle et al. (2021): the layer-wise sparsities of another
    method's result, with random weights pruned inside each layer. Each target
    gets a fixed random order; a weight's score is its rank (as a fraction of the
    target's size) divided by the target's sparsity, so under ``scope="global"``
    every pruning step takes the same share of each target's final count, and the
    last step leaves each target at exactly its sparsity.

    Parameters
    ----------
    sparsities : dict of str to float
        Final sparsity of each target, by parameter name.
    seed : int
        Seed of the random orders.
    """

    def __init__(self, sparsities, seed):
        self.sparsities = sparsities
        self.seed = seed

    def score(self, weights, statistics):
        scores = {}
        for i, (name, w) in enumerate(weights.items()):
            generator = torch.Generator().manual_seed(self.seed * 1000 + i)
            rank = torch.randperm(w.numel(), generator=generator).to(w.device)
            fraction = (rank.reshape(w.shape) + 1).to(torch.float64) / w.numel()
            scores[name] = fraction / max(self.sparsities[name], 1e-12)
        return scores


def layer_sparsities(clf):
    """Fraction of zeros of every pruned target of a fitted classifier."""
    return {
        name: float((p == 0).float().mean())
        for name, p in find_targets(clf.module_).items()
    }


def fit_study_method(method, seed, X, y, ratio, default=None, quick=False):
    """One method of the defaults study: PrunedClassifier with only sparsity set.

    ``default`` is the fitted ``"default"`` classifier of the same seed and ratio,
    whose per-layer sparsities ``"random, same layers"`` copies.
    """
    sparsity = 1.0 - 1.0 / ratio if ratio > 1 else 0.0
    params = dict(QUICK_BUDGET) if quick else {}
    if method == "previous default":
        params = {**PREVIOUS_DEFAULT, **params}
    elif method == "other criterion":
        params.update(strategy=OTHER_CRITERION[auto_strategy(X.shape[1])])
    elif method == "small dense":
        widths, _ = small_dense_widths(X.shape[1], len(np.unique(y)), ratio)
        params.update(hidden_layer_sizes=widths)
        sparsity = 0.0
    elif method == "random, same layers":
        strategy = SameLayerRandom(layer_sparsities(default), seed)
        params.update(strategy=strategy, scope="global")
    clf = PrunedClassifier(sparsity=sparsity, random_state=seed, **params)
    return clf.fit(X, y)


def run_study_point(dataset, seed, ratio, quick):
    """Every study method on one data set, seed and ratio (1: the dense control)."""
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = load_split(dataset, seed, quick)
    methods = ["dense"] if ratio == 1 else list(STUDY_METHODS)
    # Untimed: the first fit in a process pays one-time costs that are no cost of
    # the method it trains.
    PrunedClassifier(max_epochs=1, random_state=0).fit(X_train[:64], y_train[:64])
    rows, default = [], None
    for method in methods:
        start = time.process_time()
        clf = fit_study_method(
            "default" if method == "dense" else method,
            seed,
            X_train,
            y_train,
            ratio,
            default=default,
            quick=quick,
        )
        fit_s = time.process_time() - start
        if method == "default":
            default = clf
        rows.append(
            {
                "dataset": dataset,
                "method": method,
                "ratio": ratio,
                "seed": seed,
                "accuracy": clf.score(X_test, y_test),
                "sparsity": clf.sparsity_,
                "compression": 1.0 / max(1.0 - clf.sparsity_, 1e-12),
                "speedup": float("nan"),
                "fit_cpu_s": fit_s,
                "epochs": clf.n_iter_,
            }
        )
    return rows


def run_study(datasets, ratios, seeds, quick, n_jobs):
    """The defaults study over (data set, seed, ratio), in parallel."""
    ratios = study_ratios(ratios)
    points = [(d, s, r) for d in datasets for s in seeds for r in (1, *ratios)]
    cost = {"rotten_tomatoes": 3, "narrow": 2}
    points.sort(key=lambda p: (cost.get(p[0], 1), p[2]), reverse=True)
    parts = Parallel(n_jobs=n_jobs, batch_size=1)(
        delayed(run_study_point)(dataset, seed, ratio, quick)
        for dataset, seed, ratio in points
    )
    return pd.DataFrame([row for part in parts for row in part])


def study_ratios(ratios):
    return tuple(r for r in ratios if r >= STUDY_MIN_RATIO)


# ----------------------------------------------------------------- summarising


def summarise(results):
    """Mean and sample std over seeds per (data set, method, ratio)."""
    grouped = results.groupby(["dataset", "method", "ratio"], sort=False)
    summary = grouped.agg(
        accuracy=("accuracy", "mean"),
        std=("accuracy", "std"),
        sparsity=("sparsity", "mean"),
        compression=("compression", "mean"),
        speedup=("speedup", "mean"),
        fit_cpu_s=("fit_cpu_s", "median"),
        by_seed=("accuracy", lambda a: dict(zip(results.loc[a.index, "seed"], a))),
    )
    summary["std"] = summary["std"].fillna(0.0)
    return summary


def lookup(summary, dataset, method, ratio):
    """The summary row of one point, or None when it was not run."""
    key = (dataset, method, 1 if method == "dense" else ratio)
    return summary.loc[key] if key in summary.index else None


def best_sklprune(summary, dataset, ratio):
    """(method, row) of sklprune's most accurate strategy at one ratio."""
    rows = {m: lookup(summary, dataset, m, ratio) for m in SKLPRUNE}
    rows = {m: r for m, r in rows.items() if r is not None}
    if not rows:
        return None, None
    method = max(rows, key=lambda m: rows[m]["accuracy"])
    return method, rows[method]


def aims_check(summary, datasets, ratios):
    """The aims (a) to (c), each computed from the accuracy tables."""
    return [
        _best_aim(summary, datasets, ratios, "a", 16, "dense", 1.0),
        _best_aim(summary, datasets, ratios, "b", 8, TORCH, 0.0),
        _random_aim(summary, datasets, ratios),
    ]


def _best_aim(summary, datasets, ratios, letter, ratio, rival, points):
    """sklprune's best strategy at most ``points`` below ``rival`` at ``ratio``."""
    rule = (
        f"within {points:g} point of the dense control"
        if rival == "dense"
        else f"at least as accurate as the {rival} baseline"
    )
    claim = f"({letter}) at {ratio}x, sklprune's best strategy {rule} on every data set"
    if ratio not in ratios:
        return aim(claim, [], f"{ratio}x not run")
    checks, defaults = [], []
    for dataset in datasets:
        method, best = best_sklprune(summary, dataset, ratio)
        other = lookup(summary, dataset, rival, ratio)
        checks.append(
            check(
                (best["accuracy"] - other["accuracy"]) * 100,
                ">=",
                -points,
                label=f"{dataset}: {method} {best['accuracy']:.4f} vs {rival} "
                f"{other['accuracy']:.4f}, difference",
                unit=" points",
                fmt="{:+.2f}",
            )
        )
        default_method = f"{auto_strategy(INPUT_FEATURES[dataset])}, LAMP"
        default = lookup(summary, dataset, default_method, ratio)
        gap = (default["accuracy"] - other["accuracy"]) * 100
        defaults.append(f"{dataset} {default_method} {gap:+.2f}")
    return aim(claim, checks, "the defaults: " + ", ".join(defaults) + " points")


def _random_aim(summary, datasets, ratios):
    """(c): global magnitude more accurate than random at every measured ratio."""
    checks, margins = [], []
    for dataset in datasets:
        for ratio in ratios:
            glob = lookup(summary, dataset, "magnitude, global", ratio)["accuracy"]
            rand = lookup(summary, dataset, "random", ratio)["accuracy"]
            margins.append((glob - rand) * 100)
            label = f"{dataset} {ratio}x: global against random"
            checks.append(
                check(glob, ">", rand, label=label, fmt="{:.4f}", bound_fmt="{:.4f}")
            )
    return aim(
        "(c) global magnitude more accurate than random at every ratio",
        checks,
        f"margin from {min(margins):+.2f} to {max(margins):+.2f} points",
        failures_only=True,
    )


def gap_check(summary, dataset, method, rival, ratio, points):
    """Check that ``method`` is at most ``points`` below ``rival`` in accuracy.

    The difference carries the standard error of its paired seeds.
    """
    row = lookup(summary, dataset, method, ratio)
    other = lookup(summary, dataset, rival, ratio)
    if row is None or other is None:
        return Check(False, f"{dataset} {ratio}x: not measured")
    error = _paired_error(row, other)
    return check(
        (row["accuracy"] - other["accuracy"]) * 100,
        ">=",
        -points,
        label=f"{dataset} {ratio}x: {row['accuracy']:.4f} vs {rival} "
        f"{other['accuracy']:.4f}, difference",
        unit=" points",
        fmt=lambda gap: f"{gap:+.2f}{error}",
    )


def _paired_error(row, other):
    """`` ± standard error`` of the per-seed differences, when seeds pair up.

    Every seed has its own split, so the spread of the difference over seeds (the
    same split for both methods) is the noise a gap must be read against.
    """
    seeds = sorted(set(row["by_seed"]) & set(other["by_seed"]))
    if len(seeds) < 2:
        return ""
    diffs = [(row["by_seed"][s] - other["by_seed"][s]) * 100 for s in seeds]
    return f" ± {statistics.stdev(diffs) / math.sqrt(len(diffs)):.2f}"


def study_aims(summary, ratios):
    """The aims (e) to (k) of the defaults study, computed from the study's table."""
    ratios = study_ratios(ratios)
    datasets = list(summary.index.get_level_values("dataset").unique())
    lines = []
    for letter, dataset, bounds in (
        ("e", "narrow", {16: 1.0, 32: 3.0}),
        ("f", "reviews_3class", {16: 0.5, 32: 1.0}),
    ):
        rule = " and ".join(f"{r}x within {b:g}" for r, b in bounds.items())
        checks = [
            gap_check(summary, dataset, "default", "dense", ratio, bound)
            for ratio, bound in bounds.items()
        ]
        claim = f"({letter}) {dataset}: the default {rule} points of dense"
        lines.append(aim(claim, checks))
    checks = [
        gap_check(summary, dataset, "default", "previous default", ratio, 0.5)
        for dataset in ("digits", "breast_cancer", "rotten_tomatoes")
        for ratio in ratios
    ]
    lines.append(
        aim(
            "(g) no regression: the default at most 0.5 points below the previous "
            "default on digits, breast_cancer and rotten_tomatoes at every ratio",
            checks,
        )
    )
    for letter, rival in (
        ("h", "small dense"),
        ("i", "random, same layers"),
        ("j", "other criterion"),
    ):
        lines.append(_rival_aim(summary, datasets, ratios, letter, rival))
    lines.append(_cost_aim(summary, datasets, ratios))
    return lines


def _rival_aim(summary, datasets, ratios, letter, rival):
    """The default at least as accurate as ``rival`` at every ratio and data set."""
    checks = [
        gap_check(summary, dataset, "default", rival, ratio, 0.0)
        for dataset in datasets
        for ratio in ratios
    ]
    gaps = [c.value for c in checks if c.value is not None]
    margin = f"margin {min(gaps):+.2f} to {max(gaps):+.2f} points" if gaps else ""
    return aim(
        f"({letter}) the default at least as accurate as {rival} from "
        f"{STUDY_MIN_RATIO}x on, every data set",
        checks,
        margin,
        failures_only=True,
    )


def _cost_aim(summary, datasets, ratios):
    """(k): a default fit at most 1.5x the CPU time of a previous-default fit."""
    checks = []
    for dataset in datasets:
        for ratio in ratios:
            row = lookup(summary, dataset, "default", ratio)
            old = lookup(summary, dataset, "previous default", ratio)
            if row is not None and old is not None:
                cost = row["fit_cpu_s"] / old["fit_cpu_s"]
                label = f"{dataset} {ratio}x"
                checks.append(check(cost, "<=", 1.5, label=label, unit="x"))
    return aim(
        "(k) training cost: a default fit at most 1.5x the CPU time of a "
        "previous-default fit (median over seeds)",
        checks,
        f"worst {max(c.value for c in checks):.2f}x" if checks else "",
        failures_only=True,
    )


# ---------------------------------------------------------------------- tables


def accuracy_table(summary, dataset, ratios):
    """Methods x ratios: test accuracy, mean ± std; the best mean per ratio bold."""
    header = ["method", "1x", *(f"{r}x" for r in ratios)]
    best = {}
    for ratio in ratios:
        means = [
            row["accuracy"]
            for m in METHODS
            if m != "dense" and (row := lookup(summary, dataset, m, ratio)) is not None
        ]
        best[ratio] = max(means)
    rows = []
    for method in METHODS:
        if method == "dense":
            row = lookup(summary, dataset, method, 1)
            cells = [f"{row['accuracy']:.4f} ± {row['std']:.4f}"] + [""] * len(ratios)
        else:
            cells = [""]
            for ratio in ratios:
                row = lookup(summary, dataset, method, ratio)
                cell = f"{row['accuracy']:.4f} ± {row['std']:.4f}"
                cells.append(f"**{cell}**" if row["accuracy"] == best[ratio] else cell)
        rows.append([method, *cells])
    return markdown_table(header, rows, "l" + "r" * (len(ratios) + 1))


def study_table(summary, dataset, ratios):
    """Study methods x ratios: accuracy (mean ± std), and the default's epochs."""
    ratios = study_ratios(ratios)
    header = ["method", "1x", *(f"{r}x" for r in ratios), "fit CPU s"]
    rows = []
    for method in ("dense", *STUDY_METHODS):
        cells, times = [], []
        for ratio in (1, *ratios) if method == "dense" else ratios:
            row = lookup(summary, dataset, method, ratio)
            cells.append(f"{row['accuracy']:.4f} ± {row['std']:.4f}")
            times.append(row["fit_cpu_s"])
            if method == "dense":
                break
        if method == "dense":
            cells += [""] * len(ratios)
        else:
            cells = ["", *cells]
        rows.append([method, *cells, f"{statistics.median(times):.2f}"])
    return markdown_table(header, rows, "l" + "r" * (len(ratios) + 2))


def speed_table(summary, dataset, ratios):
    """Methods x ratios: achieved sparsity and theoretical speed-up; fit time."""
    header = ["method", *(f"{r}x" for r in ratios), "fit CPU s"]
    rows = []
    for method in METHODS:
        if method == "dense":
            row = lookup(summary, dataset, method, 1)
            cells, times = [""] * len(ratios), [row["fit_cpu_s"]]
        else:
            cells, times = [], []
            for ratio in ratios:
                row = lookup(summary, dataset, method, ratio)
                cells.append(f"{row['sparsity']:.4f} / {row['speedup']:.1f}x")
                times.append(row["fit_cpu_s"])
        rows.append([method, *cells, f"{statistics.median(times):.2f}"])
    return markdown_table(header, rows, "l" + "r" * (len(ratios) + 1))


def data_table(datasets, seeds, quick):
    header = ["data set", "train rows", "test rows", "features", "classes"]
    header += ["epochs (fine-tune)", "batch"]
    rows = []
    for dataset in datasets:
        X_train, X_test, y_train, _ = load_split(dataset, seeds[0], quick)
        recipe = QUICK_RECIPE if quick else RECIPES[dataset]
        rows.append(
            [
                dataset,
                f"{X_train.shape[0]:,}",
                f"{X_test.shape[0]:,}",
                f"{X_train.shape[1]:,}",
                str(len(np.unique(y_train))),
                f"{recipe.epochs} ({recipe.finetune_epochs})",
                str(recipe.batch_size),
            ]
        )
    return markdown_table(header, rows, "lrrrrrr")


def report(summary, aims, config, study=None, study_lines=()):
    """The section's body: setup, tables, references and aims."""
    datasets, ratios = config["datasets"], config["ratios"]
    lines = [*introduction(config), ""]
    lines += [
        f"### Test accuracy (mean ± std over {len(config['seeds'])} seeds)",
        "",
        "Columns are compression ratios (sparsity 1 - 1/ratio of the Linear "
        "weights); bold: the most accurate method at that ratio.",
    ]
    for dataset in datasets:
        lines += ["", f"**{dataset}**", "", accuracy_table(summary, dataset, ratios)]
    lines += [
        "",
        "### Achieved sparsity / theoretical speed-up",
        "",
        "Measured with `sklprune.sparsity_report` on the trained models, against "
        "the full-width MLP: sparsity = 1 - non-zero weights / weights of the full "
        "MLP; speed-up = its dense multiply-accumulates (MACs) per sample / MACs "
        "with the zeros skipped (means over seeds). In an MLP every weight is one "
        "MAC per sample, so the speed-up equals the compression ratio. Only "
        "*small dense* and *magnitude, neuron* (compacted) realise it with dense "
        "kernels; single-weight sparsity needs sparse kernels to realise it (see "
        '"Compaction latency" for measured times of masked against compacted '
        "networks). Last column: median CPU seconds of one training run (in a "
        "worker process, over ratios and seeds).",
    ]
    for dataset in datasets:
        lines += ["", f"**{dataset}**", "", speed_table(summary, dataset, ratios)]
    if study is not None:
        lines += study_report(study, config)
    lines += ["", *references(), "", *aims_part(aims, study_lines), ""]
    lines.append("![Test accuracy against compression ratio](tradeoff.png)")
    return "\n".join(lines)


def introduction(config):
    """How the run was made, the methods, and the table of data sets."""
    return [
        f"torch {torch.__version__}, {platform.machine()}, 1 torch thread in each "
        f"of {config['n_jobs']} worker processes, seeds "
        f"{', '.join(map(str, config['seeds']))} (each seed its own stratified "
        f"75/25 split and initialisation), {config['wall_s'] / 60:.1f} minutes "
        "wall time for the whole run. Protocol of Blalock et al., "
        '"What is the State of Neural Network Pruning?" (MLSys 2020); details in '
        "the docstring of `benchmarks/bench_tradeoff.py`.",
        "",
        "Every method trains the same MLP (hidden 256-128, ReLU; Adam, lr 1e-3, "
        "weight decay 1e-4) for the same number of epochs; sklprune's methods run "
        "the polynomial schedule over the first E - F epochs and fine-tune F. "
        "PyTorch one-shot L1 trains dense for E - F epochs, prunes with "
        "`torch.nn.utils.prune.global_unstructured` (L1, all Linear weights), "
        "fine-tunes F epochs through torch's reparametrisation, then "
        "`prune.remove`. *small dense* is a narrower dense MLP with about as many "
        "weights as the pruned ones keep; *magnitude, neuron* removes whole hidden "
        'units (`granularity="neuron"`, `compact=True`) down to the same widths. '
        "Random prunes every layer to the same sparsity.",
        "",
        data_table(config["datasets"], config["seeds"], config["quick"]),
    ]


def references():
    """Where the measurements this study does not repeat are."""
    return [
        "### Training-time overhead of PruningCallback",
        "",
        'See the section "PruningCallback overhead on a plain skorch net" of this '
        "file, written by `benchmarks/bench_callback.py`: fit time of a skorch "
        "net with and without the callback, on skorch's DataLoader and on "
        "sklprune's batch iterator.",
        "",
        "### Compaction latency",
        "",
        'See the section "Compaction latency" of this file, written by '
        "`benchmarks/bench_compaction.py`: inference time of dense, masked and "
        "compacted networks.",
    ]


def aims_part(aims, study_lines):
    """The aims of the protocol, and those of the defaults study when it ran."""
    lines = [
        "### Aims",
        "",
        "Best strategy: the most accurate (by mean test accuracy) of "
        f"{'; '.join(f'*{m}*' for m in SKLPRUNE)}. It is chosen on the test data, "
        "so it is an optimistic figure; the default is given beside it (*fisher, "
        "LAMP* for fewer than 50 input features, *magnitude, LAMP* for more: "
        'the choice of `strategy="auto"`).',
        "",
        *aims,
    ]
    if study_lines:
        lines += [
            "",
            "Aims of the defaults study (issue 14), computed from its table "
            "above; *default* is `PrunedClassifier` with only `sparsity` and "
            "`random_state` set:",
            "",
            *study_lines,
        ]
    return lines


def study_report(study, config):
    """The lines of the defaults-study subsection."""
    ratios = study_ratios(config["ratios"])
    datasets = list(study.index.get_level_values("dataset").unique())
    budget = (
        f"`max_epochs={QUICK_BUDGET['max_epochs']}, "
        f"finetune_epochs={QUICK_BUDGET['finetune_epochs']}` (quick run)"
        if config["quick"]
        else "the default budget"
    )
    epochs = ", ".join(f"{r}x: {auto_max_epochs(1 - 1 / r)}" for r in (1, *ratios))
    lines = [
        "",
        "### Defaults at high compression",
        "",
        "`PrunedClassifier(sparsity=1 - 1/ratio, random_state=seed)` and nothing "
        f'else, with {budget} (`max_epochs="auto"`: {epochs} epochs; a '
        "quarter of them fine-tune), on the data sets above and three more: "
        "*narrow*, `make_classification(n_samples=20000, n_features=16, "
        "n_informative=16, n_redundant=0, n_classes=26, n_clusters_per_class=1, "
        f"class_sep={NARROW_CLASS_SEP}, random_state=0)` (a narrow many-class "
        "table), *digits_4x4*, load_digits average-pooled to 4x4 (16 "
        "features), both standardised, and *reviews_3class*, the bundled reviews "
        "with all three categories (fresh, rotten, plot) as "
        "`TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, "
        "max_features=2000)`, 2,000 dense columns (a stand-in for short review "
        "snippets in three classes). *dense*: the same with `sparsity=0`; "
        '*other criterion*: the default with the criterion `strategy="auto"` '
        'passes over (`"magnitude"` below 50 input features, `"fisher"` from 50 '
        "on); "
        '*previous default*: `strategy="magnitude", max_epochs=40, '
        "finetune_epochs=10` (the defaults before this study); *small dense*: a "
        "dense MLP with about as many weights as the pruned one keeps (widths as "
        "above); *random, same layers*: random pruning to the per-layer "
        "sparsities of *default*'s result of the same seed (Frankle et al. 2021). "
        f"Mean ± std over {len(config['seeds'])} seed(s); last column: median CPU "
        "seconds of one fit.",
    ]
    for dataset in datasets:
        lines += ["", f"**{dataset}**", "", study_table(study, dataset, ratios)]
    return lines


# ---------------------------------------------------------------------- output


def plot(summary, datasets, ratios, path, args):
    """Accuracy against achieved compression, one panel per data set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = 2
    nrows = -(-len(datasets) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(6.5 * ncols, 4.6 * nrows), squeeze=False
    )
    colors = plt.get_cmap("tab10").colors
    styles = {
        m: (colors[i % 10], "o" if m in SKLPRUNE else "s")
        for i, m in enumerate(METHODS)
    }
    for ax, dataset in zip(axes.flat, datasets):
        dense = lookup(summary, dataset, "dense", 1)
        ax.axhline(dense["accuracy"], color="black", linestyle="--", label="dense")
        ax.axhspan(
            dense["accuracy"] - dense["std"],
            dense["accuracy"] + dense["std"],
            color="black",
            alpha=0.08,
        )
        for method in METHODS:
            if method == "dense":
                continue
            rows = [lookup(summary, dataset, method, r) for r in ratios]
            color, marker = styles[method]
            ax.errorbar(
                [r["compression"] for r in rows],
                [r["accuracy"] for r in rows],
                yerr=[r["std"] for r in rows],
                label=method,
                color=color,
                marker=marker,
                markersize=4,
                capsize=3,
                linewidth=1.4 if method in SKLPRUNE else 1.0,
                linestyle="-" if method in SKLPRUNE else ":",
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(ratios), [f"{r}x" for r in ratios])
        ax.set_title(dataset)
        ax.set_xlabel("compression ratio (achieved)")
        ax.set_ylabel("test accuracy")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(datasets) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    fig.suptitle("Test accuracy against compression (mean ± std over seeds)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    save_figure(fig, path, args)
    plt.close(fig)


# ------------------------------------------------------------------------ main


def ratio(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 2:
        raise argparse.ArgumentTypeError(
            f"a compression ratio must be an integer >= 2 (sparsity 1 - 1/ratio); "
            f"got {text!r}."
        )
    return value


def parse_args(argv=None):
    """The common flags and the grid's own; defaults depend on ``--quick``."""
    parser = BenchmarkParser(__file__, __doc__)
    parser.add_argument("--ratios", type=ratio, nargs="+", default=None)
    parser.add_argument("--seeds", type=positive_int, default=None, help="default 3")
    parser.add_argument(
        "--datasets", nargs="+", choices=list(RECIPES), default=list(RECIPES)
    )
    parser.add_argument(
        "--study-datasets",
        nargs="*",
        choices=list(STUDY_DATASETS),
        default=None,
        help="data sets of the defaults study (default: all; with --quick "
        f"{' '.join(QUICK_STUDY_DATASETS)}); none given skips the study",
    )
    parser.add_argument("--n-jobs", type=positive_int, default=2)
    parser.add_argument(
        "--plot",
        type=Path,
        default=HERE / "tradeoff.png",
        help="the figure a run that writes saves (default benchmarks/tradeoff.png)",
    )
    args = parser.parse_args(argv)
    args.ratios = tuple(
        sorted(set(args.ratios or (QUICK_RATIOS if args.quick else RATIOS)))
    )
    args.seeds = args.seeds or (1 if args.quick else 3)
    if args.study_datasets is None:
        args.study_datasets = list(
            QUICK_STUDY_DATASETS if args.quick else STUDY_DATASETS
        )
    if args.write and not args.plot.resolve().parent.is_dir():
        parser.error(f"--plot: the folder of {args.plot} does not exist.")
    return args


def main(argv=None):
    """Run the grid and the study, publish the section and save the figure."""
    args = parse_args(argv)
    start = time.perf_counter()
    seeds = list(range(args.seeds))
    results = run_grid(args.datasets, args.ratios, seeds, args.quick, args.n_jobs)
    summary = summarise(results)
    study, study_lines = None, ()
    if args.study_datasets:
        study = summarise(
            run_study(args.study_datasets, args.ratios, seeds, args.quick, args.n_jobs)
        )
        study_lines = study_aims(study, args.ratios)
    aims = aims_check(summary, args.datasets, args.ratios)
    config = {
        "datasets": args.datasets,
        "ratios": args.ratios,
        "seeds": seeds,
        "quick": args.quick,
        "n_jobs": args.n_jobs,
        "wall_s": time.perf_counter() - start,
    }
    publish(args, HEADING, report(summary, aims, config, study, study_lines))
    plot(summary, args.datasets, args.ratios, args.plot, args)


if __name__ == "__main__":
    main()
