"""Log-loss scorer of permutation importance: hand-written against get_scorer.

``FeatureImportancePruner(method="permutation")`` scores a shuffled copy of the
held-out data ``n_features * n_repeats`` times with the negative log-loss. This
script times one call of the pruner's own scorer
(``sklprune.feature_selection._scores.neg_log_loss``) against
``sklearn.metrics.get_scorer("neg_log_loss")`` on the same fitted models and
rows, and against ``predict_proba`` alone (the part no scorer can avoid). Both
scorers must give the same value. 1 torch thread; medians of interleaved repeats,
each the mean of a batch of calls.

Run: ``python benchmarks/bench_log_loss_scorer.py`` (about a minute);
``--quick`` for the test suite.
"""

import statistics
import time

import numpy as np
import torch
from _harness import BenchmarkParser, aim, check, publish
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer

from sklprune import PrunedClassifier
from sklprune.feature_selection._scores import neg_log_loss

HEADING = "## Log-loss scorer of permutation importance"
N_ROWS = 200  # a validation split of 1,000 rows


def models(X, y):
    network = PrunedClassifier(
        hidden_layer_sizes=(64,),
        sparsity=0.0,
        max_epochs=3,
        finetune_epochs=0,
        weight_decay=1e-2,
        random_state=0,
        verbose=0,
    )
    return {
        "PrunedClassifier (64 hidden)": network.fit(X, y),
        "LogisticRegression": LogisticRegression().fit(X, y),
    }


def time_calls(calls, repeats, batch):
    """Median microseconds per call of each function, timed in turns."""
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(batch):
                call()
            times[name].append((time.perf_counter() - start) / batch * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(repeats, quick):
    X, y = make_classification(
        n_samples=1000, n_features=20, n_informative=5, n_classes=3, random_state=0
    )
    X_valid, y_valid = X[:N_ROWS], y[:N_ROWS]
    library = get_scorer("neg_log_loss")
    rows = {}
    for name, model in models(X, y).items():
        ours, theirs = (
            neg_log_loss(model, X_valid, y_valid),
            library(model, X_valid, y_valid),
        )
        if not np.isclose(ours, theirs, rtol=1e-9, atol=0):
            raise AssertionError(f"{name}: the scorers disagree ({ours} vs {theirs})")
        rows[name] = time_calls(
            {
                "hand-written": lambda m=model: neg_log_loss(m, X_valid, y_valid),
                "get_scorer": lambda m=model: library(m, X_valid, y_valid),
                "predict_proba": lambda m=model: m.predict_proba(X_valid),
            },
            repeats=repeats,
            batch=5 if quick else 40,
        )
    return rows


def section(rows, repeats):
    """The section's body: the table of times and the computed aim."""
    lines = [
        f"one call on {N_ROWS} rows of 20 features, 3 classes, in microseconds; "
        f"torch {torch.__version__}, 1 thread, medians of {repeats} interleaved "
        "repeats on a shared machine. Both scorers give the same value.",
        "",
        "| model | hand-written | get_scorer | predict_proba alone | get_scorer / "
        "hand-written |",
        "| --- | --- | --- | --- | --- |",
    ]
    checks = []
    for name, t in rows.items():
        ratio = t["get_scorer"] / t["hand-written"]
        label = f"{name}: get_scorer / hand-written"
        checks.append(check(ratio, ">", 1.0, label=label, unit="x"))
        lines.append(
            f"| {name} | {t['hand-written']:.0f} | {t['get_scorer']:.0f} | "
            f"{t['predict_proba']:.0f} | {ratio:.2f}x |"
        )
    lines += [
        "",
        aim(
            "the hand-written scorer is faster per call than "
            'get_scorer("neg_log_loss") for every model, so the pruner keeps it',
            checks,
        ),
    ]
    return "\n".join(lines)


def main(argv=None):
    """Time both scorers on both models and publish the section."""
    parser = BenchmarkParser(__file__, __doc__, repeats=(11, 3))
    args = parser.parse_args(argv)
    publish(args, HEADING, section(measure(args.repeats, args.quick), args.repeats))


if __name__ == "__main__":
    main()
