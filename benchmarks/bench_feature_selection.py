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

Run: ``python benchmarks/bench_feature_selection.py`` (about 4 minutes on one core)
writes the section "## Feature pruning vs scikit-learn selectors" of
``benchmarks/RESULTS.md``; ``--quick`` runs one seed on less data and writes no
file. Fit times are of one fit per seed (medians over the seeds), so
``--repeats`` has no effect.
"""

import time

import numpy as np
import torch
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectFromModel, SelectKBest, chi2, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle as shuffle_rows

from sklprune import FeatureImportancePruner, PrunedClassifier
from sklprune.datasets import load_rotten_tomatoes

HEADING = "## Feature pruning vs scikit-learn selectors"
KS = (10, 20, 50)
TEXT_KS = (1000, 2000)
SEEDS = (0, 1, 2)
PARAMS = {"n_samples": 2000, "n_features": 200, "n_informative": 10, "n_redundant": 0}
QUICK = {"seeds": (0,), "n_samples": 400, "text_rows": 600, "text_ks": (200,)}
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


def load_data(n_samples=PARAMS["n_samples"]):
    """The shuffled data, and where its informative columns went.

    ``shuffle=True`` shuffles rows, then columns, with the generator left over from
    building the data; replaying that on the unshuffled data recovers the columns.
    """
    params = {**PARAMS, "n_samples": n_samples}
    X, y = make_classification(shuffle=True, random_state=0, **params)
    rng = np.random.RandomState(0)
    X_plain, y_plain = make_classification(shuffle=False, random_state=rng, **params)
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


def tabular(seeds=SEEDS, n_samples=PARAMS["n_samples"]):
    """Table 1: returns (description, table rows, mean accuracy by (selector, k))."""
    X, y, informative = load_data(n_samples)
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
    for seed in seeds:
        clf = PrunedClassifier(sparsity=0.9, random_state=seed)
        acc = clf.fit(X_train, y_train).score(X_test, y_test)
        scores.setdefault(("all features", PARAMS["n_features"]), []).append(
            (acc, PARAMS["n_informative"])
        )
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
    rows, means = [], {}
    for (name, k), values in scores.items():
        accs, hits = np.array(values).T
        means[name, k] = accs.mean()
        fit_s, ratio = "-", "-"
        if name in times:
            seconds = np.median(times[name])
            fit_s, ratio = f"{seconds:.3f}", f"{seconds / baseline:.1f}x"
        row = [name, str(k), f"{accs.mean():.3f} ± {accs.std():.3f}"]
        rows.append([*row, f"{hits.mean():.1f}", fit_s, ratio])
    description = (
        f"make_classification(n_samples={n_samples}, n_features="
        f"{PARAMS['n_features']}, n_informative={PARAMS['n_informative']}, "
        f"n_redundant=0, shuffle=True, random_state=0), standardised, "
        f"{len(X_train)} train / {len(X_test)} test (stratified). Classifier: "
        f"`PrunedClassifier(sparsity=0.9)`. Mean ± std over seeds {tuple(seeds)}. "
        f"L1 uses C={L1_C}. Fit times are medians over the seeds, wall-clock on a "
        "shared machine; the ratio compares with the L1 selector's fit in the same "
        "run."
    )
    header = ["selector", "k", "test accuracy", "informative kept", "fit s"]
    header.append("fit time / L1's")
    return description, markdown_table(header, rows, "l" + "r" * 5), means


def text(ks=TEXT_KS, n_rows=None):
    """Table 2: returns (description, table, accuracy by (selector, k))."""
    texts, labels = load_rotten_tomatoes(return_X_y=True)
    if n_rows is not None:
        texts, labels = texts[:n_rows], labels[:n_rows]
    t_train, t_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, stratify=labels, random_state=0
    )
    vectorizer = TfidfVectorizer().fit(t_train)
    X_train, X_test = vectorizer.transform(t_train), vectorizer.transform(t_test)
    names = [f"FeatureImportancePruner({m})" for m in ("gradient", "weight")] + [
        L1,
        "SelectKBest(chi2)",
    ]
    clf = PrunedClassifier(random_state=0, **TEXT_CLASSIFIER).fit(X_train, y_train)
    accuracy = {("all terms", X_train.shape[1]): clf.score(X_test, y_test)}
    rows = [["all terms", str(X_train.shape[1]), f"{clf.score(X_test, y_test):.3f}"]]
    rows[0].append("-")
    fitted = fit_selections(names, ks, X_train, y_train, 0, chi2, TEXT_L1_C)
    for name, (seconds, selections) in fitted.items():
        for k, selector in selections.items():
            selector = select(selector, k)
            X_kept = selector.transform(X_train)
            assert X_kept.shape[1] == k
            clf = PrunedClassifier(random_state=0, **TEXT_CLASSIFIER).fit(
                X_kept, y_train
            )
            accuracy[name, k] = clf.score(selector.transform(X_test), y_test)
            rows.append([name, str(k), f"{accuracy[name, k]:.3f}", f"{seconds:.2f}"])
    description = (
        f"Rotten Tomatoes reviews (bundled; fresh vs rotten), `TfidfVectorizer()` "
        f"fitted on the training part ({X_train.shape[1]:,} terms), "
        f"{X_train.shape[0]} train / {X_test.shape[0]} test (stratified), seed 0. "
        f"Classifier: `PrunedClassifier{TEXT_CLASSIFIER}`. `SelectKBest(chi2)` "
        f"replaces the F-test; L1 uses C={TEXT_L1_C}."
    )
    table = markdown_table(["selector", "k", "test accuracy", "fit s"], rows, "lrrr")
    return description, table, accuracy


def aims(table_means, text_accuracy):
    """Computed verdicts: the best pruner method against scikit-learn's selectors."""
    lines = []
    pruners = [f"FeatureImportancePruner({m})" for m in METHODS]
    for k in KS:
        best = max(pruners, key=lambda name: table_means[name, k])
        checks = [
            check(
                table_means[best, k],
                ">=",
                table_means[rival, k],
                label=f"{best} against {rival}:",
                fmt="{:.3f}",
                bound_fmt="{:.3f}",
            )
            for rival in (L1, "SelectKBest(f_classif)")
        ]
        claim = f"table, k={k}: the best pruner method beats both selectors"
        lines.append(aim(claim, checks))
    for k in sorted({k for name, k in text_accuracy if name != "all terms"}):
        at_k = {name: acc for (name, kk), acc in text_accuracy.items() if kk == k}
        ours = max(acc for name, acc in at_k.items() if name.startswith("Feature"))
        theirs = max(acc for name, acc in at_k.items() if not name.startswith("Feat"))
        claim = f"text, k={k}: the pruner within 1 point of the best selector"
        comparison = check(
            ours,
            ">=",
            theirs - 0.01,
            label="best pruner",
            fmt="{:.3f}",
            bound_fmt="{:.3f}",
        )
        note = f"best selector {theirs:.3f}, less 1 point"
        lines.append(aim(claim, comparison, note))
    return lines


def report(table, text_part):
    """The section's body: both tables and the aims."""
    lines = [
        f"torch {torch.__version__}, 1 thread. Each selector keeps k "
        "features; the same `PrunedClassifier` is then trained on them. Seeds seed "
        "both the selector and the classifier. Each pruner is fitted once per seed "
        "and re-selected with `set_params(keep=k)`. The L1 selector is "
        '`SelectFromModel(LogisticRegression(l1_ratio=1, solver="liblinear", '
        "C=...), max_features=k, threshold=-inf)`.",
        "",
        table[0],
        "",
        table[1],
        "",
        text_part[0],
        "",
        text_part[1],
        "",
        "### Aims",
        "",
        *aims(table[2], text_part[2]),
    ]
    return "\n".join(lines)


def main(argv=None):
    """Run both comparisons and publish the section."""
    args = BenchmarkParser(__file__, __doc__).parse_args(argv)
    if args.quick:
        table = tabular(QUICK["seeds"], QUICK["n_samples"])
        text_part = text(QUICK["text_ks"], QUICK["text_rows"])
    else:
        table, text_part = tabular(), text()
    publish(args, HEADING, report(table, text_part))


if __name__ == "__main__":
    main()
