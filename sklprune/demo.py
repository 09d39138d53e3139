"""A first look: prune an MLP on the digits data and print a table."""

import time

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .classifier import PrunedClassifier


def main():
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(
        f"{'strategy':<10} {'sparsity':>8} {'achieved':>8} {'accuracy':>8} {'fit s':>6}"
    )
    for strategy, sparsity in [
        ("dense", 0.0),
        ("magnitude", 0.9),
        ("gradient", 0.9),
        ("fisher", 0.9),
        ("random", 0.9),
    ]:
        clf = PrunedClassifier(
            sparsity=sparsity,
            strategy="magnitude" if strategy == "dense" else strategy,
            random_state=0,
        )
        start = time.perf_counter()
        model = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        print(
            f"{strategy:<10} {sparsity:>8.2f} {clf.sparsity_:>8.3f} "
            f"{accuracy:>8.3f} {seconds:>6.1f}"
        )


if __name__ == "__main__":
    main()
