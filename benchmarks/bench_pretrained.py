"""Pruning a network already trained: a fitted MLPClassifier given as ``module``.

For every data set and seed (each seed its own stratified 75/25 split, as
``benchmarks/_datasets.py`` makes it), scikit-learn's
``MLPClassifier(hidden_layer_sizes=(256, 128), random_state=seed)`` is fitted with
its other defaults: the network a scikit-learn user already has. Then, at
sparsity 0.9 and 0.97:

* *from scratch*: ``PrunedClassifier(sparsity=s, random_state=seed)``, the default
  budget of a fit from scratch (``max_epochs="auto"``);
* *from the fitted MLP*: ``PrunedClassifier(module=mlp, sparsity=s,
  random_state=seed)``, the default budget of a trained start;
* the budget sweep: the same with ``max_epochs=E`` for every E of ``EPOCHS`` and
  for the budget of a fit from scratch (*full*); a quarter of them fine-tune;
* the question of ``module=instance``: an untrained instance of the same MLP
  (``sklprune.modules.MLP``, seeded) with the short budget of a trained start,
  against the fit from scratch; the fitted MLP's network as an instance gets the
  full budget, which is the sweep's *full* column.

Data: the narrow many-class table (16 features, 26 classes, 20,000 rows), digits
(64 pixels, 10 classes) and the two-class reviews as 5,000 TF-IDF columns, fed as
scipy.sparse. Accuracy is on the held-out quarter; "vs MLP" is the accuracy minus
the fitted MLP's on the same split, in points (mean ± std over the seeds). Fit CPU
seconds are ``time.process_time`` of one fit with one torch thread (median over
the seeds), numpy's BLAS also held to one thread; the MLP's are its whole fit.
Each seed is one measurement, so ``--repeats`` has no effect.

Writes the section "## Pruning a trained network" of ``benchmarks/RESULTS.md``.
``--quick`` runs a small smoke version (data subsets, a few epochs, 1 seed) and
writes no file.

Usage: python benchmarks/bench_pretrained.py [--quick] [--seeds 3]
"""

import platform
import statistics
import time
import warnings

import numpy as np
import torch
from _datasets import load_split
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklprune import PrunedClassifier
from sklprune._training.auto import auto_max_epochs, auto_trained_max_epochs
from sklprune.modules import MLP

HEADING = "## Pruning a trained network"
DATASETS = ("narrow", "digits", "rotten_tomatoes")
SPARSITIES = (0.9, 0.97)
EPOCHS = (2, 4, 6, 8, 10, 15, 30)
QUICK_EPOCHS = (1, 2)
HIDDEN = (256, 128)
AIM_SPARSITY, AIM_POINTS, AIM_SHARE = 0.9, 1.0, 0.25
SCRATCH, TRAINED = "from scratch", "from the fitted MLP"
UNTRAINED = "untrained instance"


# ------------------------------------------------------------------- measuring


def timed_fit(model, X, y):
    """``model`` fitted on ``(X, y)``, and the CPU seconds the fit took."""
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model, time.process_time() - start


def budgets(sparsity, quick):
    """Epochs of the fits of the sweep, the full budget included."""
    if quick:
        return QUICK_EPOCHS
    return tuple(sorted({*EPOCHS, auto_max_epochs(sparsity)}))


def fits_at(sparsity, mlp, n_features, n_classes, seed, quick):
    """``{label: unfitted PrunedClassifier}`` of one sparsity."""
    quick_budget = {"max_epochs": 2, "finetune_epochs": 1} if quick else {}
    short = 1 if quick else auto_trained_max_epochs(sparsity)
    torch.manual_seed(seed)
    untrained = MLP(n_features, n_classes, hidden_layer_sizes=HIDDEN)
    common = {"sparsity": sparsity, "random_state": seed}
    fits = {
        SCRATCH: PrunedClassifier(hidden_layer_sizes=HIDDEN, **common, **quick_budget),
        UNTRAINED: PrunedClassifier(module=untrained, max_epochs=short, **common),
    }
    for epochs in budgets(sparsity, quick):
        fits[epochs] = PrunedClassifier(module=mlp, max_epochs=epochs, **common)
    if not quick:
        fits[TRAINED] = PrunedClassifier(module=mlp, **common)
    return fits


def run_seed(name, seed, quick):
    """Rows of one data set and seed: the MLP, then every fit at every sparsity."""
    X_train, X_test, y_train, y_test = load_split(name, seed, quick)
    mlp = MLPClassifier(
        hidden_layer_sizes=(32,) if quick else HIDDEN,
        max_iter=5 if quick else 200,
        random_state=seed,
    )
    mlp, cpu = timed_fit(mlp, X_train, y_train)
    baseline = mlp.score(X_test, y_test)
    row = {"data": name, "seed": seed, "mlp": baseline}
    rows = [
        {
            **row,
            "start": "MLPClassifier",
            "sparsity": 0.0,
            "epochs": mlp.n_iter_,
            "accuracy": baseline,
            "achieved": 0.0,
            "cpu": cpu,
        }
    ]
    n_classes = len(np.unique(y_train))
    for sparsity in SPARSITIES:
        fits = fits_at(sparsity, mlp, X_train.shape[1], n_classes, seed, quick)
        for start, clf in fits.items():
            clf, cpu = timed_fit(clf, X_train, y_train)
            rows.append(
                {
                    **row,
                    "start": start,
                    "sparsity": sparsity,
                    "epochs": clf.n_iter_,
                    "accuracy": clf.score(X_test, y_test),
                    "achieved": clf.sparsity_,
                    "cpu": cpu,
                }
            )
            print(
                f"{name} seed {seed} {sparsity:g} {start}: "
                f"{rows[-1]['accuracy']:.4f} in {cpu:.1f} s",
                flush=True,
            )
    return rows


# ---------------------------------------------------------------- summarising


def summarise(rows):
    """``{(data, sparsity, start): statistics over the seeds}``."""
    groups = {}
    for row in rows:
        groups.setdefault((row["data"], row["sparsity"], row["start"]), []).append(row)
    summary = {}
    for key, group in groups.items():
        accuracy = [r["accuracy"] for r in group]
        gaps = [100 * (r["accuracy"] - r["mlp"]) for r in group]
        summary[key] = {
            "accuracy": _mean_std(accuracy, 4),
            "gap": round(statistics.fmean(gaps), 2),  # as the tables print it
            "gap_text": _mean_std(gaps, 2, sign="+"),
            "epochs": statistics.median(r["epochs"] for r in group),
            "cpu": statistics.median(r["cpu"] for r in group),
            "achieved": statistics.fmean(r["achieved"] for r in group),
        }
    return summary


def _mean_std(values, digits, sign=""):
    """``mean ± std`` of ``values``, ``sign="+"`` to show the sign of the mean."""
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):{sign}.{digits}f} ± {spread:.{digits}f}"


def epochs_needed(summary, data, sparsity, grid):
    """The fewest epochs of the sweep whose accuracy is within the aim of the MLP."""
    for epochs in grid:
        if summary[data, sparsity, epochs]["gap"] >= -AIM_POINTS:
            return epochs
    return None


# -------------------------------------------------------------------- tables


def defaults_table(summary, datasets):
    """The fitted MLP, the fit from scratch and the trained start, default budgets."""
    lines = []
    for data in datasets:
        mlp = summary[data, 0.0, "MLPClassifier"]
        lines.append(
            [
                data,
                "MLPClassifier (fitted, dense)",
                "0",
                _epochs(mlp),
                mlp["accuracy"],
                "",
                f"{mlp['cpu']:.2f}",
            ]
        )
        for sparsity in SPARSITIES:
            for start in (SCRATCH, TRAINED, UNTRAINED):
                if (data, sparsity, start) not in summary:
                    continue
                cell = summary[data, sparsity, start]
                lines.append(
                    [
                        data,
                        start,
                        f"{sparsity:g}",
                        _epochs(cell),
                        cell["accuracy"],
                        cell["gap_text"],
                        f"{cell['cpu']:.2f}",
                    ]
                )
    header = [
        "data",
        "start",
        "sparsity",
        "epochs",
        "accuracy",
        "vs MLP (points)",
        "fit CPU s",
    ]
    return markdown_table(header, lines, "lllrrrr")


def _epochs(cell):
    return f"{cell['epochs']:g}"


def sweep_table(summary, datasets, quick):
    """Accuracy against the fitted MLP's, by the epochs of the trained start."""
    lines = []
    grids = {s: budgets(s, quick) for s in SPARSITIES}
    columns = sorted({e for grid in grids.values() for e in grid})
    for data in datasets:
        for sparsity in SPARSITIES:
            cells = [
                summary[data, sparsity, e]["gap_text"] if e in grids[sparsity] else ""
                for e in columns
            ]
            needed = epochs_needed(summary, data, sparsity, grids[sparsity])
            lines.append(
                [
                    data,
                    f"{sparsity:g}",
                    *cells,
                    "more" if needed is None else str(needed),
                ]
            )
    header = [
        "data",
        "sparsity",
        *(f"{e} epochs" for e in columns),
        f"epochs to within {AIM_POINTS:g} point",
    ]
    return markdown_table(header, lines, "ll" + "r" * (len(columns) + 1))


# ----------------------------------------------------------------------- aims


def aims(summary, datasets):
    """The issue's aim at 90 %, the same reading at 97 %, and the epoch share."""
    trained = TRAINED if (datasets[0], AIM_SPARSITY, TRAINED) in summary else 1
    lines = []
    for sparsity in SPARSITIES:
        checks = [
            check(
                summary[d, sparsity, trained]["gap"],
                ">=",
                -AIM_POINTS,
                label=f"{d}:",
                unit=" points",
                fmt="{:+.2f}",
            )
            for d in datasets
        ]
        lines.append(
            aim(
                f"pruning a fitted MLPClassifier to {sparsity:g} sparsity with the "
                f"default budget: accuracy within {AIM_POINTS:g} point of the fitted "
                "model on held-out data (mean over the seeds)",
                checks,
            )
        )
    shares = [
        check(
            summary[d, AIM_SPARSITY, trained]["epochs"]
            / summary[d, AIM_SPARSITY, SCRATCH]["epochs"],
            "<=",
            AIM_SHARE,
            label=f"{d}: {summary[d, AIM_SPARSITY, trained]['epochs']:g} of "
            f"{summary[d, AIM_SPARSITY, SCRATCH]['epochs']:g} epochs,",
        )
        for d in datasets
    ]
    cpu = ", ".join(
        f"{d} {summary[d, AIM_SPARSITY, trained]['cpu']:.2f} s vs "
        f"{summary[d, AIM_SPARSITY, SCRATCH]['cpu']:.2f} s"
        for d in datasets
    )
    lines.append(
        aim(
            f"pruning a fitted MLPClassifier to {AIM_SPARSITY:g} sparsity in at most a "
            "quarter of the epochs of a fit from scratch",
            shares,
            f"fit CPU time {cpu}",
        )
    )
    return lines


def instance_note(summary, datasets):
    """What the two readings of ``module=instance`` cost, from the tables."""
    untrained = ", ".join(
        f"{d} {_difference(summary, d, UNTRAINED, SCRATCH):+.2f}" for d in datasets
    )
    full = {s: max(budgets(s, quick=False)) for s in SPARSITIES}
    trained = ", ".join(
        f"{d} {summary[d, AIM_SPARSITY, full[AIM_SPARSITY]]['gap']:+.2f} vs "
        f"{summary[d, AIM_SPARSITY, TRAINED]['gap']:+.2f}"
        for d in datasets
    )
    return (
        f"An untrained module instance given the short budget of a trained start "
        f"loses against the fit from scratch at {AIM_SPARSITY:g} (points: "
        f"{untrained}); the fitted MLP's network with the full budget, which an "
        f"instance gets, against the short budget (points vs the MLP: {trained})."
    )


def _difference(summary, data, start, other):
    """Mean accuracy of ``start`` minus ``other``'s at the aim's sparsity, points."""
    a, b = (summary[data, AIM_SPARSITY, s]["accuracy"] for s in (start, other))
    return 100 * (float(a.split(" ± ")[0]) - float(b.split(" ± ")[0]))


# ----------------------------------------------------------------------- main


def report(rows, datasets, args, minutes):
    """The section: what ran, the two tables, the aims."""
    summary = summarise(rows)
    seeds = sorted({r["seed"] for r in rows})
    rule = ", ".join(
        f"{s:g}: {auto_trained_max_epochs(s)} (from scratch {auto_max_epochs(s)})"
        for s in SPARSITIES
    )
    parts = [
        f"torch {torch.__version__}, {platform.machine()}, 1 torch thread, seeds "
        f"{', '.join(map(str, seeds))} (each its own stratified 75/25 split), "
        f"{minutes:.1f} minutes for the whole run. `MLPClassifier(hidden_layer_sizes="
        f"{HIDDEN})` with its defaults, then `PrunedClassifier(module=mlp)`; details "
        "in the docstring of `benchmarks/bench_pretrained.py`. Default budgets "
        f'(`max_epochs="auto"`) of a trained start: {rule} epochs.',
        "",
        "**Default budgets** (mean ± std over the seeds; epochs and CPU: medians)",
        "",
        defaults_table(summary, datasets),
        "",
        "**Budget sweep** (accuracy of the trained start minus the fitted MLP's, "
        "points, by `max_epochs`; the largest is the budget of a fit from scratch)",
        "",
        sweep_table(summary, datasets, args.quick),
        "",
        *aims(summary, datasets),
    ]
    if not args.quick:
        parts += ["", instance_note(summary, datasets)]
    return "\n".join(parts)


def main(argv=None):
    """Fit every model on every data set and seed, and publish the section."""
    parser = BenchmarkParser(__file__, __doc__)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. N-1")
    parser.add_argument(
        "--datasets", nargs="+", default=list(DATASETS), choices=DATASETS
    )
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    datasets = ["narrow", "rotten_tomatoes"] if args.quick else args.datasets
    start = time.perf_counter()
    with threadpool_limits(limits=1):  # numpy's BLAS too: the MLP's fit, 1 thread
        rows = [r for d in datasets for s in seeds for r in run_seed(d, s, args.quick)]
    minutes = (time.perf_counter() - start) / 60
    publish(args, HEADING, report(rows, datasets, args, minutes))


if __name__ == "__main__":
    main()
