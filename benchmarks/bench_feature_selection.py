"""Feature pruning against scikit-learn's selectors, with the same classifier after.

Table 1 (the comparison the feature was built for). Data:
``make_classification(n_samples=2000, n_features=200, n_informative=10,
n_redundant=0, shuffle=True, random_state=0)``, standardised, split 75/25
(stratified). For every selector and k in (10, 20, 50), the k selected features feed
the same ``PrunedClassifier(sparsity=0.9)``; the table gives its test accuracy (mean
and standard deviation over 3 seeds, which seed the selector and the classifier), how
many of the 10 informative features were kept, and the selector's fit time (median
over the seeds, runs interleaved) with its ratio to the L1 selector's in the same run.

Selectors:

* ``FeatureImportancePruner(method=...)`` with its default network; ``"auto"`` is
  ``"gradient"`` for that network, so it has no row of its own. Fitted once per seed;
  ``set_params(keep=k)`` then re-selects without scoring again.
* ``SelectFromModel(LogisticRegression(l1_ratio=1, solver="liblinear", C=0.1),
  max_features=k, threshold=-inf)``: L1-penalised logistic regression
  (``penalty="l1"`` is deprecated since scikit-learn 1.8 in favour of
  ``l1_ratio=1``). C=0.1 leaves about 100 non-zero coefficients, so the top 50 are
  well defined.
* ``SelectKBest(f_classif, k=k)``: univariate ANOVA F-test.

Table 2 (text): the bundled Rotten Tomatoes reviews (fresh/rotten), split 75/25
(stratified), ``TfidfVectorizer()`` fitted on the training part, k terms kept, then
``PrunedClassifier(hidden_layer_sizes=(64,), sparsity=0.9, max_epochs=10,
finetune_epochs=3)``; one seed. ``SelectKBest(chi2)`` stands in for the F-test, the
usual choice on TF-IDF counts; the L1 selector uses C=30, which leaves about
2,300 non-zero coefficients (C=0.1 leaves almost none on TF-IDF input).

Run: ``python benchmarks/bench_feature_selection.py`` (about 4 minutes on one core).
"""

import time

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectFromModel, SelectKBest, chi2, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle as shuffle_rows

from sklprune import FeatureImportancePruner, PrunedClassifier
from sklprune.datasets import load_rotten_tomatoes

KS = (10, 20, 50)
TEXT_KS = (1000, 2000)
SEEDS = (0, 1, 2)
PARAMS = {"n_samples": 2000, "n_features": 200, "n_informative": 10, "n_redundant": 0}
L1_C = 0.1  # about 100 non-zero coefficients on the table
TEXT_L1_C = 30.0  # about 2,300 non-zero coefficients on the reviews
L1 = "SelectFromModel(L1 logistic)"
METHODS = ("permutation", "gradient", "weight")
TEXT_CLASSIFIER = {
    "hidden_layer_sizes": (64,),
    "sparsity": 0.9,
    "max_epochs": 10,
    "finetune_epochs": 3,
}


def load_data():
    """The shuffled data, and where its informative columns went.

    ``shuffle=True`` shuffles rows, then columns, with the generator left over from
    building the data; replaying that on the unshuffled data recovers the columns.
    """
    X, y = make_classification(shuffle=True, random_state=0, **PARAMS)
    rng = np.random.RandomState(0)
    X_plain, y_plain = make_classification(shuffle=False, random_state=rng, **PARAMS)
    X_plain, y_plain = shuffle_rows(X_plain, y_plain, random_state=rng)
    columns = np.arange(PARAMS["n_features"])
    rng.shuffle(columns)
    assert np.array_equal(X_plain[:, columns], X) and np.array_equal(y_plain, y)
    return X, y, np.flatnonzero(columns < PARAMS["n_informative"])


def sklearn_selector(name, k, univariate_score, l1_c):
    if name == L1:
        l1 = LogisticRegression(l1_ratio=1.0, solver="liblinear", C=l1_c)
        return SelectFromModel(l1, max_features=k, threshold=-np.inf)
    return SelectKBest(univariate_score, k=k)


def fit_selections(names, ks, X, y, seed, univariate_score, l1_c):
    """name -> (fit seconds, {k: fitted selector}); a pruner is fitted once."""
    out = {}
    for name in names:
        if name.startswith("FeatureImportancePruner"):
            method = name[len("FeatureImportancePruner(") : -1]
            pruner = FeatureImportancePruner(method=method, random_state=seed)
            start = time.perf_counter()
            pruner.set_params(keep=max(ks)).fit(X, y)
            seconds = time.perf_counter() - start
            selections = {k: pruner for k in ks}  # re-keyed by select()
        else:
            selections, seconds = {}, 0.0
            for k in ks:
                start = time.perf_counter()
                selector = sklearn_selector(name, k, univariate_score, l1_c)
                selections[k] = selector.fit(X, y)
                seconds = time.perf_counter() - start  # the fit at the largest k
        out[name] = (seconds, selections)
    return out


def select(selector, k):
    """The selector keeping k features (a fitted pruner re-selects without refit)."""
    if isinstance(selector, FeatureImportancePruner):
        selector.set_params(keep=k)
    return selector


def print_table(header, rows):
    print("| " + " | ".join(header) + " |")
    print(
        "|"
        + "|".join(" --- " if i == 0 else " ---: " for i in range(len(header)))
        + "|"
    )
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def tabular():
    X, y, informative = load_data()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    names = [f"FeatureImportancePruner({m})" for m in METHODS] + [
        L1,
        "SelectKBest(f_classif)",
    ]

    scores = {}  # (name, k) -> list of (accuracy, informative kept)
    times = {}  # name -> list of fit seconds
    for seed in SEEDS:
        clf = PrunedClassifier(sparsity=0.9, random_state=seed)
        acc = clf.fit(X_train, y_train).score(X_test, y_test)
        scores.setdefault(("all features", 200), []).append((acc, 10))
        fitted = fit_selections(names, KS, X_train, y_train, seed, f_classif, L1_C)
        for name, (seconds, selections) in fitted.items():
            times.setdefault(name, []).append(seconds)
            for k, selector in selections.items():
                selector = select(selector, k)
                kept = selector.get_support(indices=True)
                assert len(kept) == k
                clf = PrunedClassifier(sparsity=0.9, random_state=seed)
                clf.fit(selector.transform(X_train), y_train)
                acc = clf.score(selector.transform(X_test), y_test)
                hits = len(np.intersect1d(kept, informative))
                scores.setdefault((name, k), []).append((acc, hits))
        print(f"seed {seed} done", flush=True)

    baseline = np.median(times[L1])
    rows = []
    for (name, k), values in scores.items():
        accs, hits = np.array(values).T
        fit_s, ratio = "-", "-"
        if name in times:
            seconds = np.median(times[name])
            fit_s, ratio = f"{seconds:.3f}", f"{seconds / baseline:.1f}x"
        rows.append(
            [
                name,
                str(k),
                f"{accs.mean():.3f} ± {accs.std():.3f}",
                f"{hits.mean():.1f}",
                fit_s,
                ratio,
            ]
        )
    print(
        f"\nmake_classification 2000 x 200 (10 informative); {len(X_train)} train / "
        f"{len(X_test)} test; PrunedClassifier(sparsity=0.9) after every selector; "
        f"seeds {SEEDS}; torch threads: 1.\n"
    )
    header = [
        "selector",
        "k",
        "test accuracy",
        "informative kept",
        "fit s (median)",
        "fit time / L1's",
    ]
    print_table(header, rows)


def text():
    texts, labels = load_rotten_tomatoes(return_X_y=True)
    t_train, t_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, stratify=labels, random_state=0
    )
    vectorizer = TfidfVectorizer().fit(t_train)
    X_train, X_test = vectorizer.transform(t_train), vectorizer.transform(t_test)
    names = [f"FeatureImportancePruner({m})" for m in ("gradient", "weight")] + [
        L1,
        "SelectKBest(chi2)",
    ]
    rows = []
    clf = PrunedClassifier(random_state=0, **TEXT_CLASSIFIER).fit(X_train, y_train)
    rows.append(
        ["all terms", str(X_train.shape[1]), f"{clf.score(X_test, y_test):.3f}", "-"]
    )
    fitted = fit_selections(names, TEXT_KS, X_train, y_train, 0, chi2, TEXT_L1_C)
    for name, (seconds, selections) in fitted.items():
        for k, selector in selections.items():
            selector = select(selector, k)
            X_kept = selector.transform(X_train)
            assert X_kept.shape[1] == k
            clf = PrunedClassifier(random_state=0, **TEXT_CLASSIFIER).fit(
                X_kept, y_train
            )
            acc = clf.score(selector.transform(X_test), y_test)
            rows.append([name, str(k), f"{acc:.3f}", f"{seconds:.2f}"])
    print(
        f"\nRotten Tomatoes, TF-IDF ({X_train.shape[1]} terms); {X_train.shape[0]} "
        f"train / {X_test.shape[0]} test; PrunedClassifier{TEXT_CLASSIFIER} after "
        "every selector; seed 0; torch threads: 1.\n"
    )
    print_table(["selector", "k", "test accuracy", "fit s"], rows)


def main():
    torch.set_num_threads(1)
    tabular()
    text()


if __name__ == "__main__":
    main()
