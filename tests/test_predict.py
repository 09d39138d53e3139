"""PrunedClassifier's prediction path: the fast inference form and cheap checks.

Tests of torch's fast form pass ``engine="torch"``; the others run on the default
engine (ONNX Runtime where it is installed).
"""

import pickle
import threading

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklprune import PrunedClassifier, PrunedClassifierCV
from sklprune.inference import SparseLinear
from sklprune.inference import _form as inference_module


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 12)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    clf = PrunedClassifier(
        hidden_layer_sizes=(48, 24), sparsity=0.95, max_epochs=4, finetune_epochs=1
    )
    return clf.set_params(random_state=0).fit(X, y)


@pytest.fixture
def sparse_wins(monkeypatch):
    """Calibration that finds every sparse layer faster."""
    monkeypatch.setattr(inference_module, "_DECISIONS", {})
    monkeypatch.setattr(inference_module, "_sparse_is_faster", lambda *a: True)


def masked_proba(clf, X):
    module = clf.module_.eval()
    with torch.inference_mode():
        return module(torch.as_tensor(X, dtype=torch.float32)).softmax(1).numpy()


def test_sparse_predictions_equal_those_of_the_masked_module(data, sparse_wins):
    X, y = data
    # Sparse enough that a layer stays at most 15 % dense once its dead units go.
    clf = PrunedClassifier(hidden_layer_sizes=(64, 64), max_epochs=3, finetune_epochs=1)
    clf.set_params(sparsity=0.97, engine="torch", random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert any(isinstance(m, SparseLinear) for m in clf._inference.form.modules())
    np.testing.assert_allclose(proba, masked_proba(clf, X), rtol=1e-5, atol=1e-6)


def test_predictions_equal_those_of_the_masked_module(fitted, data):
    X, _ = data
    np.testing.assert_allclose(
        fitted.predict_proba(X), masked_proba(fitted, X), rtol=1e-5, atol=1e-6
    )
    for row in X[:5]:
        np.testing.assert_allclose(
            fitted.predict_proba(row[None]),
            masked_proba(fitted, row[None]),
            rtol=1e-5,
            atol=1e-6,
        )


def test_the_fast_form_removes_dead_units_and_leaves_module_alone(fitted, data):
    X, _ = data
    fitted = clone(fitted).set_params(engine="torch").fit(*data)
    fitted.predict(X[:3])
    form = fitted._inference.form
    assert form is not None and form is not fitted.module_
    widths = [m.out_features for m in form if hasattr(m, "out_features")]
    assert widths[-1] == 3 and sum(widths) <= 48 + 24 + 3
    assert fitted.module_[0].out_features == 48  # module_ stays the masked network


def test_a_row_is_predicted_alike_alone_and_in_a_batch(fitted, data):
    X, _ = data
    by_row = np.vstack([fitted.predict_proba(row[None]) for row in X[:10]])
    # scikit-learn's check_methods_subset_invariance asks for atol=1e-7
    np.testing.assert_allclose(by_row, fitted.predict_proba(X[:10]), rtol=0, atol=1e-7)


def test_pickling_drops_the_form_and_predictions_stay_identical(fitted, data):
    X, _ = data
    before = fitted.predict_proba(X)
    state = fitted.__getstate__()
    assert "_inference" not in state
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.predict_proba(X), before)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_sparse_and_dataframe_input_predict_as_dense_input(fitted, data):
    X, _ = data
    dense = fitted.predict_proba(X)
    np.testing.assert_allclose(
        fitted.predict_proba(sp.csr_matrix(X)), dense, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        fitted.predict_proba(np.asfortranarray(X.astype(np.float64))), dense
    )
    readonly = X.copy()
    readonly.flags.writeable = False
    np.testing.assert_array_equal(fitted.predict_proba(readonly), dense)


def test_the_form_is_rebuilt_when_the_module_changes(data):
    X, y = data
    clf = PrunedClassifier(hidden_layer_sizes=(16,), max_epochs=2, finetune_epochs=1)
    clf.set_params(random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    with torch.no_grad():
        clf.module_[-1].bias.add_(torch.tensor([5.0, 0.0, 0.0]))
    after = clf.predict_proba(X)
    assert (after[:, 0] > before[:, 0]).all()
    np.testing.assert_allclose(after, masked_proba(clf, X), rtol=1e-5, atol=1e-6)


def test_a_module_the_form_cannot_compute_is_used_as_it_is(data, sparse_wins):
    X, y = data

    class ReadsWeights(torch.nn.Module):
        def __init__(self, n_features, n_classes):
            super().__init__()
            self.fc = torch.nn.Linear(n_features, n_classes)

        def forward(self, x):
            return x @ self.fc.weight.t()

    clf = PrunedClassifier(module=ReadsWeights, max_epochs=2, finetune_epochs=1)
    clf.set_params(sparsity=0.98, engine="torch", random_state=0).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X), masked_proba(clf, X), rtol=1e-5, atol=1e-6
    )
    assert clf._inference.form is None


def test_fast_path_refuses_a_wrong_number_of_features(fitted, data):
    X, _ = data
    with pytest.raises(ValueError, match="X has 11 features, but PrunedClassifier"):
        fitted.predict(np.ascontiguousarray(X[:, :11]))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_fast_path_refuses_values_that_are_not_finite(fitted, data, value):
    X = data[0][:4].copy()
    X[1, 3] = value
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        fitted.predict_proba(X)


def test_fast_path_still_checks_feature_names(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = PrunedClassifier(hidden_layer_sizes=(8,), max_epochs=2, finetune_epochs=1)
    clf.set_params(random_state=0).fit(frame, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X[:2])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"f0": "other"}))


def test_predicting_before_fit_raises_not_fitted(data):
    with pytest.raises(NotFittedError):
        PrunedClassifier().predict(data[0])
    with pytest.raises(NotFittedError):
        PrunedClassifier().predict_proba(data[0])


def test_building_the_form_leaves_forwards_in_other_threads_alone(data):
    X, y = data
    clf = PrunedClassifier(hidden_layer_sizes=(32,), max_epochs=2, finetune_epochs=1)
    clf.set_params(engine="torch", random_state=0).fit(X, y)
    other = torch.nn.Sequential(torch.nn.Linear(12, 4), torch.nn.ReLU())
    errors, stop = [], threading.Event()

    def forwards():
        x = torch.randn(3, 12)
        while not stop.is_set():
            try:
                assert torch.is_tensor(other(x))
            except Exception as exc:  # a global patch would show up here
                errors.append(exc)

    thread = threading.Thread(target=forwards)
    thread.start()
    try:
        proba = clf.predict_proba(X)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    np.testing.assert_allclose(proba, masked_proba(clf, X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cv", [False, True])
def test_predictions_do_not_depend_on_the_order_of_the_rows(cv):
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(60, 3))
    y = (X[:, 0] + X[:, 1] > 3).astype(int) + (X[:, 2] > 2)
    params = {"hidden_layer_sizes": (32,), "lr": 0.01, "max_epochs": 10}
    if cv:
        clf = PrunedClassifierCV(sparsities=(0.0, 0.5), cv=2, random_state=1, **params)
    else:
        clf = PrunedClassifier(sparsity=0.5, random_state=1, **params)
    clf.fit(X, y)
    order = rng.permutation(len(X))
    proba = clf.predict_proba(X)
    # A row's products are summed in an order that depends on where it sits in
    # the batch: float32 rounding, far below any difference that matters.
    np.testing.assert_allclose(clf.predict_proba(X[order]), proba[order], rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X[order]), clf.predict(X)[order])


def test_docstring_says_how_the_classifier_picks_sparse_layers():
    """The docstring's rule is the code's: a fixed density, no timing."""
    from sklprune.inference._predict import SPARSE_DENSITY

    doc = " ".join(PrunedClassifier.__doc__.split())
    assert "timed at the first prediction" not in doc
    assert "faster on this machine" not in doc
    assert f"at most {SPARSE_DENSITY:.0%} of their weights non-zero" in doc
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 200)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    kinds = set()
    for sparsity in (0.8, 0.9):
        clf = PrunedClassifier(
            hidden_layer_sizes=(16,),
            sparsity=sparsity,
            scope="layer",
            max_epochs=3,
            finetune_epochs=1,
            engine="torch",
            random_state=0,
        ).fit(X, y)
        clf.predict(X)
        for layer in clf._inference.form.modules():
            if isinstance(layer, SparseLinear):
                kinds.add("sparse")
                assert layer.density <= SPARSE_DENSITY
            elif isinstance(layer, torch.nn.Linear):
                kinds.add("dense")
                assert float((layer.weight != 0).float().mean()) > SPARSE_DENSITY
    assert kinds == {"sparse", "dense"}
