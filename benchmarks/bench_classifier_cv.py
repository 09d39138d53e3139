"""5-fold cross-validated accuracy of PrunedClassifier, dense and pruned.

For load_digits and load_breast_cancer (standardised inside each fold), every
strategy at sparsity 0.9 and 0.95 against the dense network (sparsity 0), all with
the classifier's default architecture and epoch budget.

Usage: python benchmarks/bench_classifier_cv.py
"""

import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier

STRATEGIES = ["magnitude", "gradient", "fisher", "random"]


def main():
    torch.set_num_threads(1)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print("5-fold CV accuracy (mean ± std), default PrunedClassifier, 1 thread")
    print(
        f"{'data':<14} {'strategy':<10} {'target':>6} {'achieved':>8} {'accuracy':>15}"
    )
    for name, loader in [
        ("digits", load_digits),
        ("breast_cancer", load_breast_cancer),
    ]:
        X, y = loader(return_X_y=True)
        configs = [("dense", 0.0)] + [(s, p) for p in (0.9, 0.95) for s in STRATEGIES]
        for strategy, sparsity in configs:
            clf = PrunedClassifier(
                sparsity=sparsity,
                strategy="magnitude" if strategy == "dense" else strategy,
                random_state=0,
            )
            result = cross_validate(
                make_pipeline(StandardScaler(), clf), X, y, cv=cv, return_estimator=True
            )
            achieved = sum(e[-1].sparsity_ for e in result["estimator"]) / 5
            scores = result["test_score"]
            print(
                f"{name:<14} {strategy:<10} {sparsity:>6.2f} {achieved:>8.4f} "
                f"{scores.mean():>8.4f}±{scores.std():.4f}"
            )


if __name__ == "__main__":
    main()
