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

Also measured: the training-time overhead of ``PruningCallback`` (the skorch net of
``bench_callback.py`` with and without it, on its digits set and on the synthetic
one, runs interleaved, medians of CPU and wall time). The compaction latency table is
produced by ``bench_compaction.py``.

Writes the section "## Accuracy vs compression (Blalock et al. protocol)" of
``benchmarks/RESULTS.md`` (other sections are left alone) and
``benchmarks/tradeoff.png``, and prints the tables and the check of the project's
aims. ``--quick`` runs a small smoke version (data subsets, 2 ratios, 1 seed, 3
epochs) and writes files only where ``--results`` / ``--plot`` point.

Usage: python benchmarks/bench_tradeoff.py [--quick] [--seeds 3] [--n-jobs 2]
       [--datasets ...] [--study-datasets ...] [--ratios ...]
"""

import argparse
import math
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import _results as results
import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn.utils import prune

from sklprune import PrunedClassifier, sparsity_report
from sklprune._training.auto import auto_max_epochs, auto_strategy
from sklprune.datasets import load_rotten_tomatoes
from sklprune.masks import find_targets
from sklprune.modules import MLP
from sklprune.persistence._atomic import write_atomic
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
TEXT_DATASETS = ("rotten_tomatoes", "reviews_3class")
NARROW_CLASS_SEP = 1.7  # a dense MLP reaches about 0.95 on the narrow table
STUDY_MIN_RATIO = 4
QUICK_STUDY_DATASETS = ("narrow", "digits_4x4")
QUICK_BUDGET = {"max_epochs": 3, "finetune_epochs": 1}

# ------------------------------------------------------------------------ data


def load_split(name, seed, quick=False):
    """(X_train, X_test, y_train, y_test) of one data set for one seed."""
    sizes = {}
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        if quick:
            sizes = {"train_size": 400, "test_size": 200}
    elif name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
    elif name in TEXT_DATASETS:
        categories = {"categories": None} if name == "reviews_3class" else {}
        texts, y = load_rotten_tomatoes(return_X_y=True, **categories)
        X = np.asarray(texts, dtype=object)
        if quick:
            sizes = {"train_size": 600, "test_size": 200}
    elif name == "narrow":
        X, y = make_classification(
            n_samples=2000 if quick else 20000,
            n_features=16,
            n_informative=16,
            n_redundant=0,
            n_classes=26,
            n_clusters_per_class=1,
            class_sep=NARROW_CLASS_SEP,
            random_state=0,
        )
    elif name == "digits_4x4":
        X, y = load_digits(return_X_y=True)
        X = X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)
        if quick:
            sizes = {"train_size": 400, "test_size": 200}
    elif name == "synthetic":
        X, y = make_classification(
            n_samples=2000 if quick else 20000,
            n_features=500,
            n_informative=125,
            n_redundant=125,
            n_classes=4,
            flip_y=0.01,
            random_state=0,
        )
    else:
        known = sorted({*RECIPES, *STUDY_DATASETS})
        raise ValueError(f"Unknown data set {name!r}; choose from {known}.")
    if not sizes:
        sizes = {"test_size": 0.25}
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=seed, **sizes
    )
    if name in TEXT_DATASETS:
        return (*_tfidf(name, X_train, X_test, quick), y_train, y_test)
    scaler = StandardScaler().fit(X_train)
    return (
        scaler.transform(X_train).astype(np.float32),
        scaler.transform(X_test).astype(np.float32),
        y_train,
        y_test,
    )


def _tfidf(name, X_train, X_test, quick):
    """TF-IDF columns of a text data set, fitted on its training part.

    The two-class reviews stay scipy.sparse; the three-class ones, the stand-in
    for short review snippets, are 2,000 dense columns.
    """
    if name == "rotten_tomatoes":
        params = {"min_df": 2, "max_features": 1000 if quick else 5000}
    else:
        params = {"max_features": 2000}
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, **params)
    vectorizer.fit(X_train)
    X_train, X_test = vectorizer.transform(X_train), vectorizer.transform(X_test)
    if name == "reviews_3class":
        X_train, X_test = (m.toarray().astype(np.float32) for m in (X_train, X_test))
    return X_train, X_test


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
    widths, keep = small_dense_widths(X.shape[1], len(np.unique(y)), ratio)
    if method == "small dense":
        return make_classifier(
            recipe, seed, sparsity=0.0, hidden_layer_sizes=widths
        ).fit(X, y)
    params = dict(METHODS[method])
    if params.get("granularity") == "neuron":
        # Hidden units kept in the same proportion as small dense's widths.
        sparsity = 1.0 - keep
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


# -------------------------------------------------------------------- overhead


@dataclass(frozen=True)
class Workload:
    """One training job on which the callback's overhead is timed."""

    name: str
    epochs: int
    batch_size: int
    loaders: tuple


def overhead_workloads(quick):
    """(workload, X_train, y_train) pairs: bench_callback's digits net, and larger."""
    X, y = load_digits(return_X_y=True)
    X_digits, _, y_digits, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X_digits = StandardScaler().fit_transform(X_digits).astype(np.float32)
    X_synth, _, y_synth, _ = load_split("synthetic", 0, quick)
    both = ("skorch DataLoader", "sklprune BatchIterator")
    return [
        (Workload("digits", 3 if quick else 30, 64, both), X_digits, y_digits),
        (
            Workload("synthetic", 2 if quick else 6, 256, both[1:]),
            X_synth,
            y_synth,
        ),
    ]


def callback_overhead(repeats, quick=False):
    """Fit time of bench_callback's skorch net with and without PruningCallback.

    The net of ``bench_callback.py`` (MLP 256-128, Adam) on two workloads: its own
    (load_digits, batch 64) and the synthetic training set (batch 256). Two data
    paths: skorch's default DataLoader (as ``bench_callback.py`` runs it) and
    sklprune's slice-per-batch iterator (as ``PrunedClassifier`` trains). Every
    repeat fits every variant once, in rotating order, after one untimed warm-up
    fit of each.

    Returns
    -------
    table : pandas.DataFrame
        One row per (workload, loader, variant): median CPU and wall seconds, and
        their ratios to the net without the callback on the same workload and
        loader.
    """
    sys.path.insert(0, str(HERE))
    from bench_callback import make_net

    from sklprune._training.batching import ArrayDataset, BatchIterator

    loader_params = {
        "skorch DataLoader": {},
        "sklprune BatchIterator": {
            "iterator_train": BatchIterator,
            "iterator_train__shuffle": True,
            "iterator_valid": BatchIterator,
            "dataset": ArrayDataset,
        },
    }
    variants = ["no callback", "magnitude", "fisher"]
    rows = []
    for workload, X, y in overhead_workloads(quick):

        def build(variant, loader, epochs, workload=workload, X=X, y=y):
            return make_net(variant).set_params(
                max_epochs=epochs,
                batch_size=workload.batch_size,
                module__n_features=X.shape[1],
                module__n_classes=len(np.unique(y)),
                **loader_params[loader],
            )

        runs = [(loader, v) for loader in workload.loaders for v in variants]
        for loader, variant in runs:  # warm-up: first-call costs are no overhead
            build(variant, loader, 1).fit(X, y)
        cpu = {run: [] for run in runs}
        wall = {run: [] for run in runs}
        for repeat in range(repeats):
            shift = repeat % len(runs)
            for loader, variant in runs[shift:] + runs[:shift]:
                net = build(variant, loader, workload.epochs)
                torch.manual_seed(repeat)
                start_cpu, start_wall = time.process_time(), time.perf_counter()
                net.fit(X, y)
                cpu[loader, variant].append(time.process_time() - start_cpu)
                wall[loader, variant].append(time.perf_counter() - start_wall)
        for loader, variant in runs:
            base = (loader, "no callback")
            cpu_s = statistics.median(cpu[loader, variant])
            wall_s = statistics.median(wall[loader, variant])
            rows.append(
                {
                    "workload": workload.name,
                    "rows": X.shape[0],
                    "features": X.shape[1],
                    "epochs": workload.epochs,
                    "batch": workload.batch_size,
                    "loader": loader,
                    "variant": variant,
                    "cpu_s": cpu_s,
                    "wall_s": wall_s,
                    "cpu_ratio": cpu_s / statistics.median(cpu[base]),
                    "wall_ratio": wall_s / statistics.median(wall[base]),
                }
            )
    return pd.DataFrame(rows)


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


def aims_check(summary, datasets, ratios, overhead):
    """Lines saying whether each aim is met, with the numbers behind it."""
    lines = []
    for letter, ratio, rival, rule in (
        ("a", 16, "dense", "within 1 point of the dense control"),
        ("b", 8, TORCH, "at least as accurate as the PyTorch one-shot baseline"),
    ):
        if ratio not in ratios:
            lines.append(f"({letter}) at {ratio}x: not measured ({ratio}x not run).")
            continue
        met, details = True, []
        for dataset in datasets:
            method, best = best_sklprune(summary, dataset, ratio)
            other = lookup(summary, dataset, rival, ratio)
            default_method = f"{auto_strategy(INPUT_FEATURES[dataset])}, LAMP"
            default = lookup(summary, dataset, default_method, ratio)
            gap = best["accuracy"] - other["accuracy"]
            ok = gap >= -0.01 if rival == "dense" else gap >= 0
            met &= ok
            details.append(
                f"{dataset}: {method} {best['accuracy']:.4f} vs {rival} "
                f"{other['accuracy']:.4f} ({gap * 100:+.2f} points; default "
                f"{default_method} "
                f"{(default['accuracy'] - other['accuracy']) * 100:+.2f})"
            )
        verdict = "MET" if met else "NOT MET"
        lines.append(
            f"({letter}) at {ratio}x, sklprune's best strategy {rule} on every data "
            f"set: {verdict}. " + "; ".join(details) + "."
        )
    failures, n = [], 0
    for dataset in datasets:
        for ratio in ratios:
            glob = lookup(summary, dataset, "magnitude, global", ratio)
            rand = lookup(summary, dataset, "random", ratio)
            n += 1
            if not glob["accuracy"] > rand["accuracy"]:
                failures.append(
                    f"{dataset} {ratio}x: global {glob['accuracy']:.4f} vs random "
                    f"{rand['accuracy']:.4f}"
                )
    verdict = "MET" if not failures else "NOT MET"
    margins = [
        lookup(summary, d, "magnitude, global", r)["accuracy"]
        - lookup(summary, d, "random", r)["accuracy"]
        for d in datasets
        for r in ratios
    ]
    lines.append(
        f"(c) global magnitude more accurate than random at every ratio: {verdict} "
        f"({n - len(failures)} of {n} comparisons; margin from "
        f"{min(margins) * 100:+.2f} to {max(margins) * 100:+.2f} points)"
        + (": failed at " + "; ".join(failures) if failures else "")
        + "."
    )
    pruned = overhead[overhead.variant != "no callback"]
    worst_cpu = pruned.cpu_ratio.max() - 1
    worst_wall = pruned.wall_ratio.max() - 1
    verdict = "MET" if worst_cpu < 0.10 else "NOT MET"
    detail = "; ".join(
        f"{r.workload} / {r.loader} / {r.variant}: {(r.cpu_ratio - 1) * 100:+.1f}% "
        f"CPU, {(r.wall_ratio - 1) * 100:+.1f}% wall"
        for r in pruned.itertuples()
    )
    lines.append(
        f"(d) PruningCallback's training-time overhead under 10% (CPU time, every "
        f"workload): {verdict}. Worst {worst_cpu * 100:+.1f}% CPU time, "
        f"{worst_wall * 100:+.1f}% wall time; {detail}."
    )
    return lines


def _gap_detail(summary, dataset, method, rival, ratio):
    row = lookup(summary, dataset, method, ratio)
    other = lookup(summary, dataset, rival, ratio)
    if row is None or other is None:
        return None, f"{dataset} {ratio}x: not measured"
    gap = (row["accuracy"] - other["accuracy"]) * 100
    return gap, (
        f"{dataset} {ratio}x: {row['accuracy']:.4f} vs {rival} "
        f"{other['accuracy']:.4f} ({gap:+.2f}{_paired_error(row, other)} points)"
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
    """The aims of the defaults study, each computed from the study's table."""
    ratios = study_ratios(ratios)
    lines = []
    for letter, dataset, bounds in (
        ("e", "narrow", {16: 1.0, 32: 3.0}),
        ("f", "reviews_3class", {16: 0.5, 32: 1.0}),
    ):
        met, details = True, []
        for ratio, bound in bounds.items():
            gap, detail = _gap_detail(summary, dataset, "default", "dense", ratio)
            met &= gap is not None and gap >= -bound
            details.append(f"{detail}, allowed -{bound:g}")
        rule = " and ".join(f"{r}x within {b:g}" for r, b in bounds.items())
        lines.append(
            results.aim(
                f"({letter}) {dataset}: the default {rule} points of dense",
                met,
                "; ".join(details),
            )
        )
    met, details = True, []
    for dataset in ("digits", "breast_cancer", "rotten_tomatoes"):
        for ratio in ratios:
            gap, detail = _gap_detail(
                summary, dataset, "default", "previous default", ratio
            )
            met &= gap is not None and gap >= -0.5
            details.append(detail)
    lines.append(
        results.aim(
            "(g) no regression: the default at most 0.5 points below the previous "
            "default on digits, breast_cancer and rotten_tomatoes at every ratio",
            met,
            "; ".join(details),
        )
    )
    datasets = list(summary.index.get_level_values("dataset").unique())
    for letter, rival in (
        ("h", "small dense"),
        ("i", "random, same layers"),
        ("j", "other criterion"),
    ):
        failures, gaps = [], []
        for dataset in datasets:
            for ratio in ratios:
                gap, detail = _gap_detail(summary, dataset, "default", rival, ratio)
                if gap is None or gap < 0:
                    failures.append(detail)
                else:
                    gaps.append(gap)
        n = len(datasets) * len(ratios)
        margin = f"margin {min(gaps):+.2f} to {max(gaps):+.2f} points" if gaps else ""
        lines.append(
            results.aim(
                f"({letter}) the default at least as accurate as {rival} from "
                f"{STUDY_MIN_RATIO}x on, every data set",
                not failures,
                f"{n - len(failures)} of {n} comparisons; {margin}"
                + ("; below at " + "; ".join(failures) if failures else ""),
            )
        )
    worst, details = 0.0, []
    for dataset in datasets:
        for ratio in ratios:
            row = lookup(summary, dataset, "default", ratio)
            old = lookup(summary, dataset, "previous default", ratio)
            if row is None or old is None:
                continue
            cost = row["fit_cpu_s"] / old["fit_cpu_s"]
            worst = max(worst, cost)
            details.append(f"{dataset} {ratio}x {cost:.2f}x")
    lines.append(
        results.aim(
            "(k) training cost: a default fit at most 1.5x the CPU time of a "
            "previous-default fit (median over seeds)",
            bool(details) and worst <= 1.5,
            f"worst {worst:.2f}x; " + ", ".join(details),
        )
    )
    return lines


# ---------------------------------------------------------------------- tables


def markdown_table(header, rows, align):
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


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


def overhead_table(overhead):
    header = ["workload", "data path", "variant", "CPU s", "wall s", "CPU ratio"]
    header.append("wall ratio")
    rows = [
        [
            f"{r.workload} ({r.rows:,} x {r.features}, {r.epochs} epochs, batch "
            f"{r.batch})",
            r.loader,
            r.variant,
            f"{r.cpu_s:.2f}",
            f"{r.wall_s:.2f}",
            f"{r.cpu_ratio:.3f}x",
            f"{r.wall_ratio:.3f}x",
        ]
        for r in overhead.itertuples()
    ]
    return markdown_table(header, rows, "lllrrrr")


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


def report(summary, overhead, aims, config, study=None, study_lines=()):
    """The RESULTS.md section, starting with its heading."""
    datasets, ratios, seeds = config["datasets"], config["ratios"], config["seeds"]
    command = "python benchmarks/bench_tradeoff.py" + config["argv"]
    lines = [
        HEADING,
        "",
        f"`{command}` (`make bench`): torch {torch.__version__}, "
        f"{platform.machine()}, 1 torch thread in each of {config['n_jobs']} "
        f"worker processes, seeds {', '.join(map(str, seeds))} (each seed its own "
        f"stratified 75/25 split and initialisation), {config['wall_s'] / 60:.1f} "
        "minutes wall time for the whole run. Protocol of Blalock et al., "
        '"What is the State of Neural Network Pruning?" (MLSys 2020); details in '
        "the docstring of "
        "`benchmarks/bench_tradeoff.py`.",
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
        data_table(datasets, seeds, config["quick"]),
        "",
        f"### Test accuracy (mean ± std over {len(seeds)} seeds)",
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
    lines += [
        "",
        "### Training-time overhead of PruningCallback",
        "",
        "The skorch net of `benchmarks/bench_callback.py` (MLP 256-128, Adam) "
        "without the callback and with it at 90 % sparsity (pruned by the "
        "polynomial schedule over the first three quarters of the epochs), on "
        "its own load_digits training set and on the synthetic one; on skorch's "
        "default DataLoader and on sklprune's batch iterator (the one "
        f"`PrunedClassifier` trains with). Medians of {config['overhead_repeats']} "
        "interleaved runs in one process after a warm-up fit of each; ratios to "
        "the net without the callback on the same workload and data path. CPU "
        "time is this process's; wall time also counts waiting for a core on the "
        "shared machine.",
        "",
        overhead_table(overhead),
        "",
        "### Compaction latency",
        "",
        'See the section "Compaction latency" of this file, written by '
        "`benchmarks/bench_compaction.py`: inference time of dense, masked and "
        "compacted networks.",
        "",
        "### Aims",
        "",
        "Best strategy: the most accurate (by mean test accuracy) of "
        f"{'; '.join(f'*{m}*' for m in SKLPRUNE)}. It is chosen on the test data, "
        "so it is an optimistic figure; the default is given beside it (*fisher, "
        "LAMP* for fewer than 50 input features, *magnitude, LAMP* for more: "
        'the choice of `strategy="auto"`).',
        "",
        *(f"* {line}" for line in aims),
        "",
        *(
            [
                "Aims of the defaults study (issue 14), computed from its table "
                "above; *default* is `PrunedClassifier` with only `sparsity` and "
                "`random_state` set:",
                "",
                *study_lines,
                "",
            ]
            if study is not None
            else []
        ),
        "![Test accuracy against compression ratio](tradeoff.png)",
        "",
    ]
    return "\n".join(lines)


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


def write_section(text, path):
    """Replace (or append) this benchmark's section of ``path``, atomically."""
    return results.write_section(text, path)


def plot(summary, datasets, ratios, path):
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
    write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=110))
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


def positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}.")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small smoke run (under a minute)"
    )
    parser.add_argument("--ratios", type=ratio, nargs="+", default=None)
    parser.add_argument("--seeds", type=positive, default=None, help="default 3")
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
    parser.add_argument("--n-jobs", type=positive, default=2)
    parser.add_argument(
        "--overhead-repeats", type=positive, default=None, help="default 7"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="markdown file to write the section into (default benchmarks/"
        "RESULTS.md; none with --quick)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        help="PNG to write (default benchmarks/tradeoff.png; none with --quick)",
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
    args.overhead_repeats = args.overhead_repeats or (2 if args.quick else 7)
    if not args.quick:
        args.results = args.results or HERE / "RESULTS.md"
        args.plot = args.plot or HERE / "tradeoff.png"
    for path in (args.results, args.plot):
        if path is not None and not path.resolve().parent.is_dir():
            parser.error(f"the folder of {path} does not exist; create it first.")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
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
    overhead = callback_overhead(args.overhead_repeats, args.quick)
    aims = aims_check(summary, args.datasets, args.ratios, overhead)
    config = {
        "datasets": args.datasets,
        "ratios": args.ratios,
        "seeds": seeds,
        "quick": args.quick,
        "n_jobs": args.n_jobs,
        "study_datasets": args.study_datasets,
        "argv": "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv)),
        "overhead_repeats": args.overhead_repeats,
        "wall_s": time.perf_counter() - start,
    }
    text = report(summary, overhead, aims, config, study, study_lines)
    print(text)
    if args.plot is not None:
        plot(summary, args.datasets, args.ratios, args.plot)
        print(f"wrote {args.plot}")
    if args.results is not None:
        write_section(text, args.results)
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
