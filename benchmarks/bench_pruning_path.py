"""Pruning path (pruning_curve) against validation_curve over ``sparsity``.

Both score the same PrunedClassifier (defaults: MLP 64-256-128-10, 40 epochs, 10 of
them fine-tuning) on load_digits at the same six sparsities over the same three
stratified folds. ``validation_curve`` fits from scratch at every sparsity;
``pruning_curve`` fits once per fold and prunes further one-shot, fine-tuning
``finetune_epochs`` epochs after each step. Runs are interleaved, one torch thread;
times are medians of ``--repeats`` runs, and "fits per fold" divides a method's
time by the time of one ordinary fit per training fold (at sparsity 0.9), measured
in the same run.

Writes the section "## Pruning path vs validation_curve" of benchmarks/RESULTS.md
and the plot benchmarks/pruning_curve.png.

Usage: python benchmarks/bench_pruning_path.py [--repeats 5] [--quick] [--plot PATH]
(``--quick``: 300 rows, two sparsities, 4 epochs, one run, no file written.)
"""

import statistics
import time
from pathlib import Path

import matplotlib
import numpy as np
from _harness import BenchmarkParser, aim, check, publish, save_figure
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, validation_curve

from sklprune import PrunedClassifier, PruningCurveDisplay, pruning_curve
from sklprune._training.auto import resolve_max_epochs
from sklprune._training.validation import resolve_finetune_epochs

SPARSITIES = [0.0, 0.5, 0.75, 0.9, 0.95, 0.98]
HERE = Path(__file__).resolve().parent
HEADING = "## Pruning path vs validation_curve"


def timed(func, *args):
    """(wall seconds, CPU seconds of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def full_fits(estimator, X, y, cv, sparsities):
    """One ordinary fit per training fold (at sparsity 0.9): the unit of cost."""
    for train, _ in cv.split(X, y):
        clone(estimator).set_params(sparsity=0.9).fit(X[train], y[train])


def path(estimator, X, y, cv, sparsities):
    return pruning_curve(estimator, X, y, sparsities=sparsities, cv=cv)


def naive(estimator, X, y, cv, sparsities):
    return validation_curve(
        estimator, X, y, param_name="sparsity", param_range=sparsities, cv=cv
    )


def plot(curve, vc_test, path, args):
    """Path and validation_curve against sparsity and compression; saved as a PNG."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    PruningCurveDisplay.from_results(curve, ax=left)
    left.set_title("Pruning path, load_digits, 3 folds")
    path_display = PruningCurveDisplay.from_results(
        curve, ax=right, x="compression", score_type="test"
    )
    path_display.errorbar_[0].set_label("pruning path (test)")
    full = PruningCurveDisplay(
        sparsities=np.asarray(curve.sparsities),
        test_scores=vc_test,
        score_name="Accuracy",
    ).plot(ax=right, x="compression", score_type="test")
    full.errorbar_[0].set_label("validation_curve, a full fit per point (test)")
    right.legend(loc="lower left")
    right.set_title("Test accuracy against compression")
    fig.tight_layout()
    save_figure(fig, path, args)
    plt.close(fig)


def setup(quick):
    """(X, y, cv, estimator, sparsities) of a full or a quick run."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    estimator = PrunedClassifier(random_state=0)
    if not quick:
        return X, y, cv, estimator, SPARSITIES
    estimator.set_params(max_epochs=4, finetune_epochs=1)
    return X[:300], y[:300], cv, estimator, [0.0, 0.9]


def measure(repeats, estimator, X, y, cv, sparsities):
    """Median wall and CPU seconds of every method, and the last run's results."""
    PrunedClassifier(max_epochs=2, finetune_epochs=1).fit(X[:200], y[:200])  # warm up
    methods = {"fit": full_fits, "path": path, "validation_curve": naive}
    wall = {name: [] for name in methods}
    cpu = {name: [] for name in methods}
    results = {}
    for repeat in range(repeats):
        names = list(methods)
        names = names[repeat % 3 :] + names[: repeat % 3]  # rotate the order
        for name in names:
            w, c, results[name] = timed(methods[name], estimator, X, y, cv, sparsities)
            wall[name].append(w)
            cpu[name].append(c)
    med_wall = {name: statistics.median(t) for name, t in wall.items()}
    med_cpu = {name: statistics.median(t) for name, t in cpu.items()}
    return med_wall, med_cpu, results


def timing_table(med_wall, med_cpu):
    """Seconds, fits per fold and speed-up of the three methods."""
    lines = [
        "| method | wall s | CPU s | fits per fold (wall) | fits per fold (CPU) | "
        "speed-up (wall) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        "fit": "one fit per fold (sparsity 0.9)",
        "validation_curve": "validation_curve",
        "path": "pruning_curve (path)",
    }
    for name, label in labels.items():
        speedup = med_wall["validation_curve"] / med_wall[name]
        lines.append(
            f"| {label} | {med_wall[name]:.1f} | {med_cpu[name]:.1f} | "
            f"{med_wall[name] / med_wall['fit']:.2f} | "
            f"{med_cpu[name] / med_cpu['fit']:.2f} | "
            + ("" if name == "fit" else f"{speedup:.2f}x")
            + " |"
        )
    return lines


def scores_table(curve, vc_train, vc_test, sparsities):
    """Achieved sparsity and scores of both methods at every sparsity."""
    lines = [
        "| sparsity | path achieved | path test accuracy | path train accuracy | "
        "validation_curve test accuracy | validation_curve train accuracy |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for i, s in enumerate(sparsities):
        lines.append(
            f"| {s:.2f} | {curve.achieved_sparsity[i].mean():.4f} | "
            f"{curve.test_scores[i].mean():.4f} ± {curve.test_scores[i].std():.4f} | "
            f"{curve.train_scores[i].mean():.4f} | "
            f"{vc_test[i].mean():.4f} ± {vc_test[i].std():.4f} | "
            f"{vc_train[i].mean():.4f} |"
        )
    return lines


def description(estimator, sparsities, repeats):
    """The setup the section's tables were measured on, in words."""
    # max_epochs may be "auto": the first fit of a path is at the lowest sparsity.
    max_epochs = resolve_max_epochs(estimator.max_epochs, min(sparsities))
    # finetune_epochs may be "auto": the number PrunedClassifier.fit resolves it to.
    finetune = resolve_finetune_epochs(
        estimator.finetune_epochs, max_epochs, max(sparsities)
    )
    path_epochs = max_epochs + (len(sparsities) - 1) * (finetune + 1)
    return (
        f"load_digits (1797 x 64, scaled to [0, 1]), PrunedClassifier defaults "
        f"(MLP 64-{'-'.join(map(str, estimator.hidden_layer_sizes))}-10, "
        f"strategy={estimator.strategy!r}, scope={estimator.scope!r}, "
        f"max_epochs={max_epochs}, finetune_epochs={finetune}, random_state=0), "
        f"sparsities {sparsities}, "
        "StratifiedKFold(3, shuffle=True, random_state=0) for both, "
        f"torch.set_num_threads(1), medians of {repeats} interleaved runs "
        "(order rotated each run; CPU s is this process's CPU time, less sensitive "
        "to other load on the shared machine). "
        f"Epochs per fold: path {path_epochs} "
        f"({path_epochs / max_epochs:.2f} fits), validation_curve "
        f"{len(sparsities) * max_epochs} ({len(sparsities)} fits). Scores are "
        "means ± std over the folds (of the last run; every run is seeded alike)."
    )


def main(argv=None):
    """Time both curves, publish the section and save the figure."""
    parser = BenchmarkParser(__file__, __doc__, repeats=(5, 1))
    parser.add_argument(
        "--plot",
        type=Path,
        default=HERE / "pruning_curve.png",
        help="the figure a run that writes saves (default "
        "benchmarks/pruning_curve.png)",
    )
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    X, y, cv, estimator, sparsities = setup(args.quick)
    med_wall, med_cpu, results = measure(args.repeats, estimator, X, y, cv, sparsities)
    curve, (vc_train, vc_test) = results["path"], results["validation_curve"]
    high = np.asarray(sparsities) >= 0.9
    high_diff = (curve.test_scores[high].mean(1) - vc_test[high].mean(1)).mean()
    fits_per_fold = med_cpu["path"] / med_cpu["fit"]
    body = "\n".join(
        [
            description(estimator, sparsities, args.repeats),
            "",
            *timing_table(med_wall, med_cpu),
            "",
            *scores_table(curve, vc_train, vc_test, sparsities),
            "",
            "Fits per fold is a method's time over the time of one ordinary fit per "
            f"fold. At sparsities >= 0.9 the path's mean test accuracy differs from "
            f"validation_curve's by {high_diff:+.4f} on average; a path point starts "
            "from a trained network and has trained more epochs in total.",
            "",
            "Plot: `benchmarks/pruning_curve.png` (left: path train/test accuracy "
            "against achieved sparsity; right: test accuracy of both methods "
            "against compression ratio, log axis; error bars are ±1 std over "
            "folds).",
            "",
            "### Aims",
            "",
            aim(
                "a pruning path costs at most 2.5 ordinary fits per fold (CPU time)",
                check(fits_per_fold, "<=", 2.5, label="fits per fold:"),
            ),
        ]
    )
    publish(args, HEADING, body)
    plot(curve, vc_test, args.plot, args)


if __name__ == "__main__":
    main()
