import ast
import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sklprune import datasets
from sklprune.datasets import list_datasets, load_rotten_tomatoes, load_tabular


def test_rotten_tomatoes_default_is_binary_fresh_vs_rotten():
    bunch = load_rotten_tomatoes()
    assert len(bunch.data) == 4866
    assert bunch.target.shape == (4866,)
    assert set(bunch.target) == {"fresh", "rotten"}
    assert bunch.target_names == ["fresh", "rotten"]
    assert bunch.feature_names == ["text"]
    assert bunch.frame is None
    assert "Apache" in bunch.DESCR


def test_rotten_tomatoes_counts_per_category():
    _, y = load_rotten_tomatoes(categories=None, return_X_y=True)
    labels, counts = np.unique(y, return_counts=True)
    assert dict(zip(labels, counts, strict=True)) == {
        "fresh": 2455,
        "plot": 156,
        "rotten": 2411,
    }


def test_rotten_tomatoes_texts_are_non_empty_strings():
    X, _ = load_rotten_tomatoes(categories=None, return_X_y=True)
    assert isinstance(X, list)
    assert all(isinstance(text, str) and text.strip() for text in X)


@pytest.mark.parametrize(
    "categories, expected",
    [
        (("plot",), {"plot": 156}),
        ("plot", {"plot": 156}),
        (["rotten", "plot"], {"plot": 156, "rotten": 2411}),
        (None, {"fresh": 2455, "plot": 156, "rotten": 2411}),
    ],
)
def test_rotten_tomatoes_categories_filter(categories, expected):
    bunch = load_rotten_tomatoes(categories=categories)
    labels, counts = np.unique(bunch.target, return_counts=True)
    assert dict(zip(labels, counts, strict=True)) == expected
    assert bunch.target_names == sorted(expected)
    assert len(bunch.data) == sum(expected.values())


@pytest.mark.parametrize("categories", [("fresh", "bogus"), "Fresh", ()])
def test_rotten_tomatoes_bad_category_raises(categories):
    with pytest.raises(ValueError, match="valid categories: 'fresh', 'plot', 'rotten'"):
        load_rotten_tomatoes(categories=categories)


def test_rotten_tomatoes_as_frame_shapes():
    bunch = load_rotten_tomatoes(as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert bunch.data.shape == (4866, 1)
    assert list(bunch.data.columns) == ["text"]
    assert isinstance(bunch.target, pd.Series)
    assert bunch.target.name == "category"
    assert bunch.frame.shape == (4866, 2)
    assert list(bunch.frame.columns) == ["text", "category"]


def test_rotten_tomatoes_return_X_y_matches_bunch():
    bunch = load_rotten_tomatoes()
    X, y = load_rotten_tomatoes(return_X_y=True)
    assert bunch.data == X
    np.testing.assert_array_equal(y, bunch.target)

    X_df, y_s = load_rotten_tomatoes(as_frame=True, return_X_y=True)
    assert X_df["text"].tolist() == X
    np.testing.assert_array_equal(y_s.to_numpy(), y)


def test_rotten_tomatoes_labels_are_learnable_from_texts():
    # Sanity check that labels line up with texts: a bag-of-words model must
    # clearly beat the 50 % chance level.
    X, y = load_rotten_tomatoes(return_X_y=True)
    model = make_pipeline(TfidfVectorizer(), LogisticRegression())
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.65


@pytest.mark.parametrize(
    "name, shape, n_classes",
    [
        ("breast_cancer", (569, 30), 2),
        ("digits", (1797, 64), 10),
        ("iris", (150, 4), 3),
        ("wine", (178, 13), 3),
    ],
)
def test_load_tabular_shapes(name, shape, n_classes):
    bunch = load_tabular(name)
    assert isinstance(bunch.data, pd.DataFrame)
    assert isinstance(bunch.target, pd.Series)
    assert bunch.data.shape == shape
    assert bunch.target.nunique() == n_classes

    X, y = load_tabular(name, as_frame=False, return_X_y=True)
    assert isinstance(X, np.ndarray)
    assert X.shape == shape
    assert y.shape == (shape[0],)


def test_load_tabular_default_is_breast_cancer_frame():
    X, y = load_tabular(return_X_y=True)
    assert X.shape == (569, 30)
    assert isinstance(y, pd.Series)


@pytest.mark.parametrize("name", ["mnist", "rotten_tomatoes", "", None])
def test_load_tabular_bad_name_raises(name):
    with pytest.raises(
        ValueError,
        match="valid names: 'breast_cancer', 'digits', 'iris', 'wine'",
    ):
        load_tabular(name)


def test_list_datasets_names_are_loadable():
    names = list_datasets()
    assert names == ["breast_cancer", "digits", "iris", "rotten_tomatoes", "wine"]
    for name in names:
        if name != "rotten_tomatoes":
            assert load_tabular(name, as_frame=False).data.shape[0] > 0


def test_datasets_module_imports_no_torch_skorch_or_sklprune():
    tree = ast.parse(inspect.getsource(datasets))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported.isdisjoint({"torch", "skorch", "sklprune", "."})
