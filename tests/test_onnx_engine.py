"""The estimators' engine parameter: ONNX Runtime predictions and their fallback."""

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from torch import nn

from sklprune import PrunedClassifier, PrunedClassifierCV
from sklprune.inference import _onnxruntime
from sklprune.inference._engine import choose_engine

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

FAST = {"max_epochs": 6, "finetune_epochs": 2, "random_state": 0}
FORMS = {
    "dense": {"sparsity": 0.0},
    "weight-sparse": {"sparsity": 0.9},
    "compacted": {"sparsity": 0.75, "granularity": "neuron", "compact": True},
}


@pytest.fixture(scope="module")
def table():
    X, y = make_classification(
        n_samples=600, n_features=16, n_informative=10, n_classes=5, random_state=0
    )
    return X.astype(np.float32), y


def fit_both(params, X, y):
    """The same network fitted twice: predicting with torch, with the default."""
    torch_clf = PrunedClassifier(engine="torch", **params).fit(X, y)
    default = PrunedClassifier(**params).fit(X, y)
    return torch_clf, default


@pytest.mark.parametrize("form", FORMS)
def test_onnxruntime_predicts_what_torch_predicts(table, form):
    X, y = table
    torch_clf, default = fit_both({**FAST, **FORMS[form]}, X[:400], y[:400])
    assert default.engine_ == "onnxruntime", default.engine_reason_
    assert torch_clf.engine_ == "torch"
    X_test = X[400:]
    np.testing.assert_array_equal(default.predict(X_test), torch_clf.predict(X_test))
    np.testing.assert_allclose(
        default.predict_proba(X_test), torch_clf.predict_proba(X_test), atol=1e-5
    )
    np.testing.assert_allclose(
        default.predict_proba(X_test[:1]),
        torch_clf.predict_proba(X_test[:1]),
        atol=1e-5,
    )


def test_onnxruntime_runs_on_one_intra_op_thread(table):
    X, y = table
    clf = PrunedClassifier(**FAST).fit(X, y)
    options = clf._inference.runtime.session().get_session_options()
    assert options.intra_op_num_threads == 1


class Residual(nn.Module):
    def __init__(self, n_features, n_classes, width=16):
        super().__init__()
        self.inp = nn.Linear(n_features, width)
        self.block = nn.Linear(width, width)
        self.out = nn.Linear(width, n_classes)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        return self.out(h + torch.relu(self.block(h)))


def test_auto_leaves_a_module_class_to_torch_and_says_why(table):
    X, y = table
    clf = PrunedClassifier(Residual, **FAST).fit(X, y)
    assert clf.engine_ == "torch"
    assert "Residual is not a chain" in clf.engine_reason_
    assert "engine='onnxruntime'" in clf.engine_reason_


def test_onnxruntime_asked_for_exports_a_module_class(table):
    X, y = table
    exported = PrunedClassifier(Residual, engine="onnxruntime", **FAST).fit(X, y)
    assert exported.engine_ == "onnxruntime", exported.engine_reason_
    reference = PrunedClassifier(Residual, engine="torch", **FAST).fit(X, y)
    np.testing.assert_array_equal(exported.predict(X), reference.predict(X))
    np.testing.assert_allclose(
        exported.predict_proba(X), reference.predict_proba(X), atol=1e-5
    )


class LogGamma(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.fc = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return torch.lgamma(self.fc(x).abs() + 1.0)


def test_a_failed_export_falls_back_to_torch_with_its_reason(table):
    X, y = table
    clf = PrunedClassifier(LogGamma, engine="onnxruntime", **FAST)
    with pytest.warns(UserWarning, match="Predicting with torch.*prims.lgamma"):
        clf.fit(X, y)
    assert clf.engine_ == "torch"
    assert "'prims.lgamma'" in clf.engine_reason_
    with torch.inference_mode():
        expected = clf.module_(torch.from_numpy(X[:5])).softmax(1).numpy()
    np.testing.assert_allclose(clf.predict_proba(X[:5]), expected, atol=1e-6)


def test_without_onnxruntime_auto_predicts_with_torch_and_says_how_to_install(
    table, monkeypatch
):
    X, y = table
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    clf = PrunedClassifier(**FAST).fit(X, y)
    assert clf.engine_ == "torch"
    assert (
        "pip install" in clf.engine_reason_ and "sklprune[onnx]" in clf.engine_reason_
    )
    assert clf.predict(X[:3]).shape == (3,)


def test_without_onnxruntime_asking_for_it_fails_in_one_line(table, monkeypatch):
    X, y = table
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError) as error:
        PrunedClassifier(engine="onnxruntime", **FAST).fit(X, y)
    assert "sklprune[onnx]" in str(error.value) and "\n" not in str(error.value)


def test_a_network_off_the_cpu_is_left_to_torch():
    meta = nn.Sequential(nn.Linear(4, 3, device="meta"))
    choice = choose_engine("auto", meta, np.zeros((2, 4), np.float32), 4)
    assert choice.engine == "torch" and "on meta" in choice.reason


def test_pickling_drops_the_session_and_rebuilds_it_on_first_use(table):
    X, y = table
    clf = PrunedClassifier(**FAST).fit(X, y)
    before = clf.predict_proba(X)
    assert clf.__getstate__().get("_inference") is None
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.engine_ == "onnxruntime" and "_inference" not in vars(loaded)
    np.testing.assert_array_equal(loaded.predict_proba(X), before)
    assert loaded._inference.runtime is not None


def test_sparse_input_goes_to_torch_under_auto(table, monkeypatch):
    X, y = table
    clf = PrunedClassifier(**FAST).fit(X, y)

    def refuse(self, X):
        raise AssertionError("ONNX Runtime was used for sparse input")

    monkeypatch.setattr(_onnxruntime.OnnxRuntimeNetwork, "logits", refuse)
    proba = clf.predict_proba(sp.csr_matrix(X))
    np.testing.assert_allclose(
        proba,
        PrunedClassifier(engine="torch", **FAST).fit(X, y).predict_proba(X),
        atol=1e-5,
    )


def test_sparse_input_is_made_dense_a_few_rows_at_a_time(table, monkeypatch):
    X, y = table
    clf = PrunedClassifier(engine="onnxruntime", **FAST).fit(X, y)
    monkeypatch.setattr(_onnxruntime, "DENSE_BATCH_BYTES", 4 * 16 * 50)  # 50 rows
    dense_rows = []
    original = sp.csr_matrix.toarray

    def counting_toarray(self, *args, **kwargs):
        dense_rows.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", counting_toarray)
    proba = clf.predict_proba(sp.csr_matrix(X))
    assert max(dense_rows) == 50 and sum(dense_rows) == len(X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-6)


def test_clone_and_grid_search_work_with_the_engine(table):
    X, y = table
    clf = PrunedClassifier(hidden_layer_sizes=(16,), **FAST).fit(X, y)
    assert clone(clf).get_params()["engine"] == "auto"
    assert not hasattr(clone(clf), "engine_")
    search = GridSearchCV(clf, {"engine": ["torch", "onnxruntime"]}, cv=2).fit(X, y)
    means = search.cv_results_["mean_test_score"]
    assert means[0] == pytest.approx(means[1], abs=1e-9)
    assert search.best_estimator_.engine_ in ("torch", "onnxruntime")


def test_the_cv_search_exposes_the_engine_of_its_refitted_classifier(table):
    X, y = table
    search = PrunedClassifierCV(
        sparsities=(0.0, 0.8), cv=2, hidden_layer_sizes=(16,), **FAST
    ).fit(X, y)
    assert search.engine_ == search.best_estimator_.engine_ == "onnxruntime"


def test_partial_fit_chooses_the_engine_once_and_follows_the_weights(table):
    X, y = table
    clf = PrunedClassifier(hidden_layer_sizes=(16,), **FAST)
    clf.partial_fit(X[:300], y[:300], classes=np.unique(y))
    first = clf.predict_proba(X)
    clf.partial_fit(X[300:], y[300:])
    assert clf.engine_ == "onnxruntime"
    with torch.inference_mode():
        expected = clf.module_.eval()(torch.from_numpy(X)).softmax(1).numpy()
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-5)
    assert not np.allclose(clf.predict_proba(X), first)


@pytest.mark.parametrize("name", ["classifier", "classifier_cv"])
def test_a_file_saved_before_the_engine_existed_predicts_with_torch(name):
    path = Path(__file__).parent / "data" / "before_house_move" / f"{name}.pkl"
    with open(path, "rb") as file:
        clf = pickle.load(file)
    assert clf.engine_ == "torch" and "fit again" in clf.engine_reason_
    assert clf.get_params()["engine"] == "auto"
    assert clone(clf).get_params() == clone(clf).get_params()


def test_the_regressor_predicts_in_onnxruntime_what_torch_predicts(table):
    from sklprune import PrunedRegressor

    X, _ = table
    target = 50.0 + 10.0 * X[:, 0] - 4.0 * X[:, 1] ** 2
    default = PrunedRegressor(**FAST).fit(X[:400], target[:400])
    reference = PrunedRegressor(engine="torch", **FAST).fit(X[:400], target[:400])
    assert default.engine_ == "onnxruntime", default.engine_reason_
    scale = np.abs(target).max()
    np.testing.assert_allclose(
        default.predict(X[400:]), reference.predict(X[400:]), atol=1e-6 * scale
    )


@pytest.mark.parametrize("engine", ["torch", "onnxruntime"])
def test_subnormal_weights_are_zero_in_the_form_that_predicts(table, engine):
    import onnx
    from onnx import numpy_helper

    X, y = table
    clf = PrunedClassifier(hidden_layer_sizes=(16,), engine=engine, **FAST).fit(X, y)
    with torch.no_grad():
        clf.module_[0].weight[0, :3] = torch.tensor([1e-40, -1e-39, 1e-45])
    clf.predict(X[:2])  # the forms are rebuilt for the changed weights
    if engine == "torch":
        weights = [clf._inference.form[0].weight.numpy()]
    else:
        graph = onnx.load_from_string(clf._inference.runtime.graph)
        weights = [numpy_helper.to_array(i) for i in graph.graph.initializer]
    tiny = np.finfo(np.float32).tiny
    assert all(not ((w != 0) & (np.abs(w) < tiny)).any() for w in weights)
    assert clf.module_[0].weight[0, 0] == 1e-40  # module_ is left as it is
