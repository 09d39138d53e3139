"""The data sets of the benchmarks, each split and scaled the same way for every script.

``load_split(name, seed)`` gives a stratified 75/25 split of one data set (a split of
its own per seed), standardised on the training part, or, for the review texts,
TF-IDF columns fitted on the training part. ``quick=True`` gives a small part of it,
for smoke runs.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklprune.datasets import load_rotten_tomatoes

NAMES = (
    "digits",
    "breast_cancer",
    "rotten_tomatoes",
    "synthetic",
    "narrow",
    "digits_4x4",
    "reviews_3class",
)
TEXT_DATASETS = ("rotten_tomatoes", "reviews_3class")
NARROW_CLASS_SEP = 1.7  # a dense MLP reaches about 0.95 on the narrow table


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
        raise ValueError(f"Unknown data set {name!r}; choose from {sorted(NAMES)}.")
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
