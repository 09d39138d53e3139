"""5-fold cross-validated accuracy of PrunedClassifier, dense and pruned.

For load_digits and load_breast_cancer (standardised inside each fold), every
strategy at sparsity 0.9 and 0.95 against the dense network (sparsity 0), all with
the classifier's default architecture and epoch budget (``random_state=0``,
``StratifiedKFold(5, shuffle=True, random_state=0)``, 1 thread).

Writes the section "## PrunedClassifier accuracy: dense against 90 % and 95 %
sparsity" of ``benchmarks/RESULTS.md`` (other sections are left alone), with its
aim computed from its table. ``--quick`` runs a small smoke version (digits subset,
2 folds, 3 epochs) and writes no file.

Usage: python benchmarks/bench_classifier_cv.py [--quick] [--results PATH]
"""

import platform

import numpy as np
import torch
from _harness import BenchmarkParser, aim, check, publish
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier
from sklprune._training.auto import auto_strategy

HEADING = "## PrunedClassifier accuracy: dense against 90 % and 95 % sparsity"
STRATEGIES = ["magnitude", "gradient", "fisher", "random"]
SPARSITIES = (0.9, 0.95)
DATASETS = {"digits": load_digits, "breast_cancer": load_breast_cancer}
AIM_SPARSITY, AIM_POINTS = 0.9, 1.0


def measure(quick):
    """One row per (data set, strategy, sparsity): mean and std over the folds."""
    cv = StratifiedKFold(2 if quick else 5, shuffle=True, random_state=0)
    budget = {"max_epochs": 3, "finetune_epochs": 1} if quick else {}
    rows = []
    for name, loader in DATASETS.items():
        X, y = loader(return_X_y=True)
        if quick:
            X, y = X[:300], y[:300]
        configs = [("dense", 0.0)] + [(s, p) for p in SPARSITIES for s in STRATEGIES]
        for strategy, sparsity in configs:
            params = {} if strategy == "dense" else {"strategy": strategy}
            clf = PrunedClassifier(
                sparsity=sparsity, random_state=0, **params, **budget
            )
            result = cross_validate(
                make_pipeline(StandardScaler(), clf), X, y, cv=cv, return_estimator=True
            )
            scores = result["test_score"]
            rows.append(
                {
                    "data": name,
                    "strategy": strategy,
                    "features": X.shape[1],
                    "sparsity": sparsity,
                    "achieved": float(
                        np.mean([e[-1].sparsity_ for e in result["estimator"]])
                    ),
                    "epochs": result["estimator"][0][-1].n_iter_,
                    "accuracy": float(scores.mean()),
                    "std": float(scores.std()),
                }
            )
    return rows, cv.get_n_splits()


def aims(rows):
    """The computed aims: every strategy, and the default, within a point of dense."""
    gaps = []
    for r in rows:
        if r["sparsity"] != AIM_SPARSITY:
            continue
        dense = next(d for d in rows if d["data"] == r["data"] and d["sparsity"] == 0)
        gaps.append((r, (r["accuracy"] - dense["accuracy"]) * 100))
    worst_row, worst = min(gaps, key=lambda g: g[1])
    best_row, best = max(gaps, key=lambda g: g[1])
    # strategy="auto" picks by the width of the input.
    default_gaps = [
        (r, g) for r, g in gaps if r["strategy"] == auto_strategy(r["features"])
    ]

    def within(gap, label):
        """A gap to dense, in points, at most AIM_POINTS below zero."""
        return check(gap, ">=", -AIM_POINTS, label=label, unit=" points", fmt="{:+.2f}")

    label = "worst ({strategy}, {data}):"
    return [
        aim(
            f"every strategy within {AIM_POINTS:g} point of dense at sparsity "
            f"{AIM_SPARSITY} on every data set",
            within(worst, label.format(**worst_row)),
            f"best {best:+.2f} points ({best_row['strategy']}, {best_row['data']})",
        ),
        aim(
            f'the default strategy ("auto") within {AIM_POINTS:g} point of dense '
            f"at sparsity {AIM_SPARSITY} on every data set",
            [within(g, f"{r['data']} ({r['strategy']}):") for r, g in default_gaps],
        ),
    ]


def report(rows, quick, folds):
    """The section's body: the setup, the table and the aims."""
    budget = (
        "3 epochs (quick run)" if quick else 'the default budget (`max_epochs="auto"`)'
    )
    lines = [
        f"torch {torch.__version__}, {platform.machine()}, 1 thread. "
        "`StandardScaler` then `PrunedClassifier` with its defaults (MLP hidden "
        f"256-128, Adam lr 1e-3, weight decay 1e-4, {budget}, a quarter of the "
        "epochs fine-tuning at the final sparsity, polynomial schedule, scope "
        '`"lamp"`, `random_state=0`) and the strategy named, '
        f"`StratifiedKFold({folds}, shuffle=True, random_state=0)`. Mean "
        "± std over the folds.",
        "",
        "| data | strategy | target sparsity | achieved | epochs | CV accuracy |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['strategy']} | {r['sparsity']:.2f} | "
            f"{r['achieved']:.4f} | {r['epochs']} | {r['accuracy']:.4f} ± "
            f"{r['std']:.4f} |"
        )
    lines += ["", "Aims:", "", *aims(rows)]
    return "\n".join(lines)


def main(argv=None):
    """Cross-validate every configuration and publish the section."""
    args = BenchmarkParser(__file__, __doc__).parse_args(argv)
    rows, folds = measure(args.quick)
    publish(args, HEADING, report(rows, args.quick, folds))


if __name__ == "__main__":
    main()
