"""sklprune.onnx: skl2onnx converters, to_onnx, int8 and the refusals."""

import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from torch import nn

from sklprune import FeatureImportancePruner, PrunedClassifier, PrunedClassifierCV

skl2onnx = pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

import sklprune.onnx as sklprune_onnx  # noqa: E402
from sklprune.inference._onnxruntime import make_session  # noqa: E402
from sklprune.onnx import AccuracyCheck, ExportError, to_onnx  # noqa: E402
from sklprune.onnx._check import onnx_inputs  # noqa: E402

FAST = {"max_epochs": 6, "finetune_epochs": 2, "random_state": 0}
# skl2onnx's text tokenizer lower-cases in a locale; C.UTF-8 exists everywhere.
TEXT_OPTIONS = {TfidfVectorizer: {"locale": "C.UTF-8"}}


@pytest.fixture(scope="module")
def table():
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=6, n_classes=4, random_state=0
    )
    return X.astype(np.float32), y


def run(onnx_model, X):
    """Labels and probabilities of ``onnx_model`` in ONNX Runtime."""
    session = make_session(onnx_model)
    label, probabilities = session.run(None, onnx_inputs(session, X))
    return np.asarray(label), np.asarray(probabilities)


def assert_same_predictions(onnx_model, model, X):
    label, probabilities = run(onnx_model, X)
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-5)


def test_a_scaler_pipeline_converts_with_skl2onnx(table):
    X, y = table
    pipe = make_pipeline(StandardScaler(), PrunedClassifier(**FAST)).fit(
        X[:300], y[:300]
    )
    onnx_model = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    assert [o.name for o in onnx_model.graph.output] == ["label", "probabilities"]
    assert_same_predictions(onnx_model, pipe, X[300:])


def test_double_input_gives_double_probabilities(table):
    X, y = table
    pipe = make_pipeline(StandardScaler(), PrunedClassifier(**FAST)).fit(X, y)
    X64 = X.astype(np.float64)
    onnx_model = skl2onnx.to_onnx(pipe, X64[:1], options={"zipmap": False})
    label, probabilities = run(onnx_model, X64[:50])
    assert probabilities.dtype == np.float64
    np.testing.assert_array_equal(label, pipe.predict(X64[:50]))
    np.testing.assert_allclose(probabilities, pipe.predict_proba(X64[:50]), atol=1e-5)


def test_a_column_transformer_with_one_hot_converts(table):
    X, y = table
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    frame["colour"] = np.array(["red", "green", "blue"])[np.arange(len(X)) % 3]
    y = np.where(frame["colour"] == "red", y, (y + 1) % 4)
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["colour"]),
            (StandardScaler(), ["a", "b", "c", "d"]),
        ),
        PrunedClassifier(**FAST),
    ).fit(frame[:300], y[:300])
    onnx_model = skl2onnx.to_onnx(pipe, frame[:1], options={"zipmap": False})
    assert_same_predictions(onnx_model, pipe, frame[300:])
    with pytest.raises(ValueError, match=r"X lacks \['colour'\]"):
        run(onnx_model, frame.drop(columns="colour"))


@pytest.fixture(scope="module")
def reviews():
    from sklprune.datasets import load_rotten_tomatoes

    texts, labels = load_rotten_tomatoes(return_X_y=True)
    texts, labels = np.asarray(texts), np.asarray(labels)
    # skl2onnx's tokenizer and scikit-learn's agree on ASCII words.
    ascii_only = np.array([t.isascii() for t in texts])
    return texts[ascii_only][:1200], labels[ascii_only][:1200]


def test_a_tfidf_text_pipeline_converts_with_string_labels(reviews):
    texts, labels = reviews
    pipe = make_pipeline(TfidfVectorizer(min_df=2), PrunedClassifier(**FAST))
    pipe.fit(texts[:900], labels[:900])
    assert all(isinstance(label, str) for label in pipe.classes_)
    options = {PrunedClassifier: {"zipmap": False}, **TEXT_OPTIONS}
    onnx_model = skl2onnx.to_onnx(pipe, texts[:1], options=options)
    assert_same_predictions(onnx_model, pipe, texts[900:])


def test_a_feature_pruner_in_front_converts_to_its_columns(table):
    X, y = table
    pipe = make_pipeline(
        StandardScaler(),
        FeatureImportancePruner(keep=5, random_state=0),
        PrunedClassifier(**FAST),
    ).fit(X[:300], y[:300])
    onnx_model = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    assert_same_predictions(onnx_model, pipe, X[300:])
    assert pipe[-1].module_[0].in_features == 5


def test_a_feature_pruner_alone_outputs_its_selected_columns(table):
    X, y = table
    pruner = FeatureImportancePruner(keep=3, random_state=0).fit(X, y)
    onnx_model = skl2onnx.to_onnx(pruner, X[:1])
    session = make_session(onnx_model)
    (columns,) = session.run(None, onnx_inputs(session, X[:20]))
    np.testing.assert_array_equal(columns, pruner.transform(X[:20]))


def test_the_refitted_classifier_of_the_cv_search_converts(table):
    X, y = table
    search = PrunedClassifierCV(
        sparsities=(0.0, 0.8), cv=2, hidden_layer_sizes=(32,), **FAST
    ).fit(X[:300], y[:300])
    onnx_model = skl2onnx.to_onnx(search, X[:1], options={"zipmap": False})
    assert_same_predictions(onnx_model, search, X[300:])


def test_zipmap_and_nocl_follow_skl2onnx(table):
    X, y = table
    labels = np.array(["w", "x", "y", "z"])[y]
    clf = PrunedClassifier(**FAST).fit(X, labels)
    session = make_session(skl2onnx.to_onnx(clf, X[:1]))  # zipmap on by default
    label, probabilities = session.run(None, {session.get_inputs()[0].name: X[:3]})
    assert list(probabilities[0]) == ["w", "x", "y", "z"]
    assert list(label) == list(clf.predict(X[:3]))
    nocl = skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False, "nocl": True})
    label, _ = run(nocl, X[:10])
    np.testing.assert_array_equal(label, clf.predict_proba(X[:10]).argmax(axis=1))


def test_a_compacted_network_is_written_without_its_removed_units(table):
    X, y = table
    clf = PrunedClassifier(
        granularity="neuron", sparsity=0.75, compact=True, **FAST
    ).fit(X, y)
    onnx_model = skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False})
    shapes = [
        tuple(init.dims) for init in onnx_model.graph.initializer if len(init.dims) == 2
    ]
    widths = [tuple(m.weight.T.shape) for m in clf.module_ if hasattr(m, "weight")]
    assert shapes == widths and shapes[0][1] < 256
    assert_same_predictions(onnx_model, clf, X[:50])


class Residual(nn.Module):
    """A module class of a user's own: a residual block, functional activations."""

    def __init__(self, n_features, n_classes, width=24):
        super().__init__()
        self.inp = nn.Linear(n_features, width)
        self.block = nn.Sequential(nn.Linear(width, width), nn.GELU())
        self.out = nn.Linear(width, n_classes)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        return self.out(h + self.block(h))


def test_a_residual_module_class_exports_through_torch_onnx(table):
    X, y = table
    pipe = make_pipeline(StandardScaler(), PrunedClassifier(Residual, **FAST))
    pipe.fit(X[:300], y[:300])
    onnx_model = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    matmuls = [n for n in onnx_model.graph.node if n.op_type == "MatMul"]
    assert len(matmuls) == 3  # the exporter's Gemm nodes, written as MatMul
    assert_same_predictions(onnx_model, pipe, X[300:])


class LogGamma(nn.Module):
    """A module whose forward calls an operation no ONNX operator computes."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.fc = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return torch.lgamma(self.fc(x).abs() + 1.0)


class Branches(LogGamma):
    """A module whose forward decides on the value of a tensor."""

    def forward(self, x):
        h = self.fc(x)
        return h if h.sum() > 0 else -h


@pytest.mark.parametrize(
    "module, message",
    [
        (LogGamma, r"cannot export LogGamma to ONNX: .*'prims.lgamma'"),
        (Branches, r"cannot export Branches .*line \d+, in forward.*torch.where"),
    ],
)
def test_a_module_that_cannot_export_is_refused_naming_the_operation(
    table, tmp_path, module, message
):
    X, y = table
    clf = PrunedClassifier(module, **FAST).fit(X, y)
    assert clf.engine_ == "torch"
    path = tmp_path / "model.onnx"
    with pytest.raises(ExportError, match=message):
        to_onnx(clf, X[:1], path=path)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even half a file


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"quantize": "int4"}, "quantize must be one of"),
        ({"per_channel": "yes"}, "per_channel must be"),
        ({"X_check": np.zeros((2, 10))}, "X_check and y_check together"),
    ],
)
def test_to_onnx_refuses_bad_arguments(table, kwargs, message):
    X, y = table
    clf = PrunedClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=message):
        to_onnx(clf, X[:1], **kwargs)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([2.0, 4.0, 6.0, 8.0]),
        np.array([True, False, True, False]),
    ],
    ids=["float", "bool"],
)
def test_numeric_labels_become_int64_labels(table, labels):
    X, y = table
    y = labels[y % len(labels)] if labels.dtype != bool else labels[y % 2]
    clf = PrunedClassifier(**FAST).fit(X, y)
    label, _ = run(to_onnx(clf, X[:1]), X[:30])
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, clf.predict(X[:30]).astype(np.int64))


def test_labels_of_mixed_types_are_refused(table):
    from sklprune.onnx._network import label_values

    with pytest.raises(ValueError, match="all integers or all strings"):
        label_values(np.array([1.5, "a"], dtype=object))


def test_to_onnx_writes_the_file_and_returns_the_model(table, tmp_path):
    onnx = pytest.importorskip("onnx")
    X, y = table
    clf = PrunedClassifier(**FAST).fit(X[:300], y[:300])
    path = tmp_path / "model.onnx"
    onnx_model = to_onnx(clf, X[:1], path=path, X_check=X[300:], y_check=y[300:])
    assert onnx.load(str(path)) == onnx_model
    check = AccuracyCheck.from_model(onnx_model)
    assert check.metric == "accuracy" and check.n_samples == 100
    assert check.agreement == 1.0 and check.change == 0.0
    assert check.python == pytest.approx(clf.score(X[300:], y[300:]))
    assert_same_predictions(onnx_model, clf, X[300:])


def test_an_int8_model_is_smaller_and_about_as_accurate(table):
    X, y = table
    pipe = make_pipeline(StandardScaler(), PrunedClassifier(sparsity=0.0, **FAST))
    pipe.fit(X[:300], y[:300])
    fp32 = to_onnx(pipe, X[:1])
    int8 = to_onnx(pipe, X[:1], quantize="int8", X_check=X[300:], y_check=y[300:])
    assert len(int8.SerializeToString()) < len(fp32.SerializeToString()) / 3
    ops = {node.op_type for node in int8.graph.node}
    assert "MatMul" not in ops  # every matrix product of the network is int8
    check = AccuracyCheck.from_model(int8)
    assert check.quantize == "int8" and check.per_channel in (True, False)
    assert abs(check.change) <= 0.03 and check.agreement >= 0.95
    label, _ = run(int8, X[300:])
    assert np.mean(label == pipe.predict(X[300:])) == check.agreement


def test_int8_quantizes_only_the_network(table):
    from sklearn.decomposition import PCA

    X, y = table
    pipe = make_pipeline(PCA(6), PrunedClassifier(**FAST)).fit(X, y)
    int8 = to_onnx(pipe, X[:1], quantize="int8", per_channel=True)
    plain = [n for n in int8.graph.node if n.op_type == "MatMul"]
    assert plain and not any(n.name.startswith("sklprune") for n in plain)


def test_the_extra_missing_is_said_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.delitem(sys.modules, "sklprune.onnx")
    with pytest.raises(ImportError) as error:
        import sklprune.onnx  # noqa: F401
    assert "pip install sklprune[onnx]" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_classifier_fitted_on_sparse_rows_takes_dense_rows(reviews):
    texts, labels = reviews
    vectorizer = TfidfVectorizer(min_df=2).fit(texts[:900])
    X = vectorizer.transform(texts).astype(np.float32)
    clf = PrunedClassifier(**FAST).fit(X[:900], labels[:900])
    onnx_model = to_onnx(clf, X[:3])
    assert (
        onnx_model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
        == (X.shape[1])
    )
    assert_same_predictions(onnx_model, clf, X[900:].toarray())
    with pytest.raises(TypeError, match="ONNX models take dense rows"):
        sklprune_onnx.check_accuracy(onnx_model, clf, X[900:], labels[900:])


@pytest.mark.parametrize(
    "loss, n_outputs", [("squared_error", 1), ("squared_error", 2), ("poisson", 1)]
)
def test_a_regressor_pipeline_converts_to_predict_in_the_units_of_y(
    table, loss, n_outputs
):
    from sklprune import PrunedRegressor

    X, _ = table
    rng = np.random.RandomState(0)
    y = 100.0 + 20.0 * X[:, :n_outputs] @ rng.uniform(0.5, 1.0, (n_outputs, 1))
    y = np.hstack([y, -3.0 * y])[:, :n_outputs] if n_outputs > 1 else y.ravel()
    if loss == "poisson":
        y = rng.poisson(np.exp(0.3 * X[:, 0]) * 3.0)
    pipe = make_pipeline(StandardScaler(), PrunedRegressor(loss=loss, **FAST))
    pipe.fit(X[:300], y[:300])
    onnx_model = to_onnx(pipe, X[:1], X_check=X[300:], y_check=y[300:])
    assert [o.name for o in onnx_model.graph.output] == ["variable"]
    session = make_session(onnx_model)
    (got,) = session.run(None, onnx_inputs(session, X[300:]))
    expected = pipe.predict(X[300:])
    assert got.shape == (100, n_outputs)
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-5)
    check = AccuracyCheck.from_model(onnx_model)
    assert check.metric == "r2" and check.agreement is None
    assert check.onnx == pytest.approx(check.python, abs=1e-6)


def test_the_refitted_regressor_of_the_cv_search_converts(table):
    from sklprune import PrunedRegressorCV

    X, y = table
    search = PrunedRegressorCV(
        sparsities=(0.0, 0.8), cv=2, hidden_layer_sizes=(16,), **FAST
    ).fit(X, y.astype(float))
    session = make_session(skl2onnx.to_onnx(search, X[:1]))
    (got,) = session.run(None, onnx_inputs(session, X[:20]))
    np.testing.assert_allclose(got.ravel(), search.predict(X[:20]), rtol=1e-5)


def test_columns_whose_names_skl2onnx_changes_are_fed_by_their_names(table, tmp_path):
    X, y = table
    columns = ["sepal length (cm)", "2nd-width", "a", "b"]
    frame = pd.DataFrame(X[:, :4], columns=columns)
    pipe = make_pipeline(
        make_column_transformer((StandardScaler(), columns)), PrunedClassifier(**FAST)
    ).fit(frame[:300], y[:300])
    onnx_model = to_onnx(pipe, frame[:5], path=tmp_path / "model.onnx")
    names = [item.name for item in onnx_model.graph.input]
    assert names == ["sepal_length__cm_", "_2nd_width", "a", "b"]
    assert_same_predictions(onnx_model, pipe, frame[300:])


def test_a_regressor_behind_a_one_hot_column_transformer_converts(table):
    from sklprune import PrunedRegressor

    X, _ = table
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    frame["colour"] = np.array(["red", "green", "blue"])[np.arange(len(X)) % 3]
    y = 50.0 + 10.0 * X[:, 0] + np.where(frame["colour"] == "red", 30.0, 0.0)
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["colour"]),
            (StandardScaler(), ["a", "b", "c", "d"]),
        ),
        PrunedRegressor(**FAST),
    ).fit(frame[:300], y[:300])
    onnx_model = to_onnx(pipe, frame[:1])
    session = make_session(onnx_model)
    (got,) = session.run(None, onnx_inputs(session, frame[300:]))
    np.testing.assert_allclose(got.ravel(), pipe.predict(frame[300:]), rtol=1e-5)


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_a_pipeline_onnx_runtime_cannot_run_is_refused_before_a_file(
    table, tmp_path, estimator
):
    from sklearn.impute import SimpleImputer

    from sklprune import PrunedRegressor

    X, y = table
    frame = pd.DataFrame(X[:, :4].astype(np.float64), columns=["a", "b", "c", "d"])
    frame.iloc[:5, 0] = np.nan
    final = (
        PrunedClassifier(**FAST)
        if estimator == "classifier"
        else PrunedRegressor(**FAST)
    )
    pipe = make_pipeline(SimpleImputer(), StandardScaler(), final)
    pipe.fit(frame, y if estimator == "classifier" else y.astype(float))
    path = tmp_path / "model.onnx"
    # skl2onnx writes the imputer for double inputs; ONNX Runtime has no kernel.
    with pytest.raises(ExportError, match=r"Imputer.*as float32 \(X.astype"):
        to_onnx(pipe, frame[:5], path=path)
    assert not path.exists()
    onnx_model = to_onnx(pipe, frame[:5].astype(np.float32), path=path)
    assert path.exists() and len(onnx_model.graph.input) == 4
