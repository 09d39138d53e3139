"""Pruning a network that was already trained: a fitted scikit-learn MLP or skorch
net given as ``module``, and the short fine-tune it gets by default."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier, NeuralNetRegressor
from torch import nn

from sklprune import (
    PrunedClassifier,
    PrunedClassifierCV,
    PrunedRegressor,
    PruningCallback,
)
from sklprune._training.auto import auto_max_epochs, auto_trained_max_epochs
from sklprune._training.pretrained import is_trained_model
from sklprune.modules import MLP, BinaryLogits, LogProbabilities

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
# Settings under which one epoch leaves every weight as it was (an Adam step
# moves a weight by about lr), to compare a fit's start with the model given.
UNTRAINED = {"sparsity": 0.0, "max_epochs": 1, "lr": 1e-12, "weight_decay": 0.0}


def fitted(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def fitted_mlp(X, y, hidden=(16,), max_iter=60, **params):
    """A small MLPClassifier, or MLPRegressor for a float target, fitted."""
    kind = MLPRegressor if np.asarray(y).dtype.kind == "f" else MLPClassifier
    mlp = kind(hidden_layer_sizes=hidden, max_iter=max_iter, random_state=0, **params)
    return fitted(mlp, X, y)


def classification(n_classes, n_samples=240, n_features=8, seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=6,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    return X.astype(np.float32), y


def outputs(module, X):
    with torch.no_grad():
        return module.eval()(torch.as_tensor(X, dtype=torch.float32)).numpy()


@pytest.fixture(scope="module")
def multiclass():
    X, y = classification(n_classes=3)
    mlp = fitted_mlp(X, y, hidden=(16, 8))
    return X, y, mlp


# ------------------------------------------------------------- exact conversion


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_fitted_mlp_classifier_converts_to_its_probabilities(activation, n_classes):
    X, y = classification(n_classes)
    mlp = fitted_mlp(X, y, hidden=(12, 6), max_iter=40, activation=activation)
    module = MLP.from_sklearn(mlp)
    assert isinstance(module, MLP)
    assert module[-1].out_features == n_classes  # two logits for one logistic output
    proba = torch.as_tensor(outputs(module, X)).softmax(1).numpy()
    np.testing.assert_allclose(proba, mlp.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_targets", [1, 3])
def test_a_fitted_mlp_regressor_converts_to_its_predictions(activation, n_targets):
    X, y = make_regression(
        n_samples=200, n_features=7, n_targets=n_targets, noise=1.0, random_state=0
    )
    y = y / y.std()
    mlp = fitted_mlp(X, y, hidden=(12, 6), max_iter=40, activation=activation)
    predictions = outputs(MLP.from_sklearn(mlp), X)
    assert predictions.shape == (len(X), n_targets)
    np.testing.assert_allclose(
        predictions.reshape(mlp.predict(X).shape), mlp.predict(X), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_classifier_starts_from_the_predictions_of_the_fitted_mlp(n_classes):
    X, y = classification(n_classes)
    labels = np.array(["ant", "bee", "cat"])[y]  # string labels map in order
    mlp = fitted_mlp(X, labels)
    clf = PrunedClassifier(module=mlp, random_state=0, **UNTRAINED).fit(X, labels)
    np.testing.assert_allclose(clf.predict_proba(X), mlp.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), mlp.predict(X))


def test_a_classifier_takes_the_sparse_input_a_mlp_was_fitted_on():
    X, y = classification(n_classes=3)
    X_sparse = sp.csr_matrix(np.where(X > 0.5, X, 0.0))
    mlp = fitted_mlp(X_sparse, y)
    clf = PrunedClassifier(module=mlp, random_state=0, **UNTRAINED).fit(X_sparse, y)
    np.testing.assert_allclose(
        clf.predict_proba(X_sparse), mlp.predict_proba(X_sparse), atol=1e-5
    )


# -------------------------------------------------------------------- refusals


def test_a_multilabel_mlp_is_refused_by_name():
    X, _ = classification(n_classes=3)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    mlp = fitted_mlp(X, Y, max_iter=20)
    with pytest.raises(ValueError, match="multilabel MLPClassifier"):
        MLP.from_sklearn(mlp)


@pytest.mark.parametrize(
    "make_case, error, message",
    [
        (lambda X, y, mlp: (MLPClassifier(), X, y), NotFittedError, "is not fitted"),
        (lambda X, y, mlp: (mlp, X[:, :5], y), ValueError, "fitted on 8 features.*5"),
        (lambda X, y, mlp: (mlp, X, y + 1), ValueError, r"\[0, 1, 2\].*\[1, 2, 3\]"),
        (lambda X, y, mlp: (mlp, X[y < 2], y[y < 2]), ValueError, "classes"),
        (
            lambda X, y, mlp: (fitted_mlp(X, y * 1.0, max_iter=5), X, y),
            ValueError,
            "is a regressor, but PrunedClassifier is a classifier",
        ),
        (
            lambda X, y, mlp: (NeuralNetClassifier(nn.Linear(8, 3)), X, y),
            NotFittedError,
            "is not initialized",
        ),
    ],
    ids=["unfitted", "width", "labels", "fewer-labels", "regressor", "skorch-unfitted"],
)
def test_a_trained_model_that_does_not_fit_the_data_is_refused(
    multiclass, make_case, error, message
):
    X, y, mlp = multiclass
    module, X_fit, y_fit = make_case(X, y, mlp)
    with pytest.raises(error, match=message):
        PrunedClassifier(module=module, max_epochs=2).fit(X_fit, y_fit)


def test_a_mlp_fitted_on_other_columns_is_refused(multiclass):
    pd = pytest.importorskip("pandas")
    X, y, _ = multiclass
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    mlp = fitted_mlp(frame, y, max_iter=20)
    renamed = frame.rename(columns={"x0": "first"})
    with pytest.raises(ValueError, match="fitted on the columns"):
        PrunedClassifier(module=mlp, max_epochs=2).fit(renamed, y)


# ------------------------------------------------------------------ skorch nets


def skorch_fitted(net, X, y):
    torch.manual_seed(0)
    return net.set_params(max_epochs=5, lr=0.1, train_split=None, verbose=0).fit(X, y)


class SoftmaxNet(nn.Module):
    """A module of one's own that returns probabilities, as skorch's NLLLoss wants."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return torch.softmax(self.out(torch.relu(self.hidden(x))), dim=-1)


@pytest.mark.parametrize(
    "module, criterion, wrapper",
    [
        (  # skorch's default: NLLLoss on probabilities; the Softmax is dropped
            lambda: nn.Sequential(
                nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=-1)
            ),
            nn.NLLLoss,
            nn.Sequential,
        ),
        (SoftmaxNet, nn.NLLLoss, LogProbabilities),
        (
            lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)),
            nn.CrossEntropyLoss,
            nn.Sequential,
        ),
    ],
    ids=["softmax-sequential", "softmax-module", "logits"],
)
def test_a_fitted_skorch_classifier_starts_from_its_probabilities(
    multiclass, module, criterion, wrapper
):
    X, y, _ = multiclass
    net = skorch_fitted(NeuralNetClassifier(module(), criterion=criterion), X, y)
    clf = PrunedClassifier(module=net, random_state=0, **UNTRAINED).fit(X, y)
    assert type(clf.module_) is wrapper
    assert not isinstance(
        clf.module_[-1] if wrapper is nn.Sequential else None, nn.Softmax
    )
    np.testing.assert_allclose(clf.predict_proba(X), net.predict_proba(X), atol=1e-5)
    assert clf.module_ is not net.module_


def test_a_fitted_skorch_binary_classifier_gets_two_logits():
    X, y = classification(n_classes=2)
    net = NeuralNetBinaryClassifier(
        nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1), nn.Flatten(0))
    )
    net = skorch_fitted(net, X, y.astype(np.float32))
    clf = PrunedClassifier(module=net, random_state=0, **UNTRAINED).fit(X, y)
    assert isinstance(clf.module_, BinaryLogits)
    np.testing.assert_allclose(clf.predict_proba(X), net.predict_proba(X), atol=1e-5)


def test_a_fitted_skorch_net_is_pruned_and_left_as_it_was(multiclass):
    X, y, _ = multiclass
    net = skorch_fitted(
        NeuralNetClassifier(
            nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3)),
            criterion=nn.CrossEntropyLoss,
        ),
        X,
        y,
    )
    before = [p.detach().clone() for p in net.module_.parameters()]
    clf = PrunedClassifier(module=net, sparsity=0.8, random_state=0).fit(X, y)
    assert clf.sparsity_ == pytest.approx(0.8, abs=0.01)
    for p, q in zip(net.module_.parameters(), before, strict=True):
        assert torch.equal(p, q)


def test_the_bare_callback_prunes_a_fitted_skorch_net_with_partial_fit(multiclass):
    X, y, _ = multiclass
    net = skorch_fitted(
        NeuralNetClassifier(
            nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3)),
            criterion=nn.CrossEntropyLoss,
        ),
        X,
        y,
    )
    done = len(net.history)
    prune = PruningCallback(sparsity=0.9, start_epoch=done + 1, end_epoch=done + 6)
    net.set_params(callbacks=[("prune", prune)])
    net.initialize_callbacks().partial_fit(X, y, epochs=8)
    assert len(net.history) == done + 8
    assert net.history[-1, "sparsity"] == pytest.approx(0.9, abs=0.01)
    assert net.history[done, "sparsity"] < 0.9  # pruned over several epochs


# ------------------------------------------------------------------ budget rule


def test_a_trained_model_gets_the_short_budget_and_an_instance_the_full_one(
    multiclass,
):
    X, y, mlp = multiclass
    assert is_trained_model(mlp) and not is_trained_model(MLP.from_sklearn(mlp))
    short = PrunedClassifier(module=mlp, random_state=0).fit(X, y)
    assert short.n_iter_ == auto_trained_max_epochs(0.9) < auto_max_epochs(0.9)
    assert short.finetune_epochs_ == short.n_iter_ // 4
    instance = PrunedClassifier(module=MLP.from_sklearn(mlp), max_epochs="auto")
    assert instance._max_epochs() == auto_max_epochs(0.9)
    fixed = PrunedClassifier(module=mlp, max_epochs=7)
    assert fixed._max_epochs() == 7


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 0.97, 0.99])
def test_the_trained_budget_is_shorter_than_a_fit_from_scratch(sparsity):
    assert 1 <= auto_trained_max_epochs(sparsity) < auto_max_epochs(sparsity)


# ------------------------------------------------- training from a converted MLP


def test_a_converted_mlp_is_pruned_and_keeps_its_accuracy():
    X, y = classification(n_classes=3, n_samples=1200, seed=1)
    X_train, X_test, y_train, y_test = X[:900], X[900:], y[:900], y[900:]
    mlp = fitted_mlp(X_train, y_train, hidden=(64, 32), max_iter=100)
    clf = PrunedClassifier(module=mlp, sparsity=0.9, random_state=0)
    clf.fit(X_train, y_train)
    assert clf.sparsity_ == pytest.approx(0.9, abs=0.005)
    assert clf.score(X_test, y_test) >= mlp.score(X_test, y_test) - 0.05


def test_a_converted_mlp_streams_with_partial_fit(multiclass):
    X, y, mlp = multiclass
    clf = PrunedClassifier(
        module=mlp, sparsity=0.5, max_epochs=3, finetune_epochs=1, random_state=0
    )
    for chunk in np.array_split(np.arange(len(X)), 3):
        clf.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
    assert clf.sparsity_ == pytest.approx(0.5, abs=0.01)


def test_a_converted_mlp_is_compacted_by_neuron_pruning(multiclass):
    X, y, mlp = multiclass
    clf = PrunedClassifier(
        module=mlp,
        sparsity=0.5,
        granularity="neuron",
        scope="layer",
        compact=True,
        random_state=0,
    ).fit(X, y)
    # Half of the 8*16 + 16*8 + 8*3 weights go, every layer keeping the same
    # fraction of its units (scope="layer").
    assert clf.module_[0].out_features == 10 and clf.module_[2].out_features == 5
    kept = sum(layer.weight.numel() for layer in clf.module_[::2])
    assert abs(kept - 0.5 * 280) <= 16 + 3  # one group: a row and its head columns


def test_clones_share_the_fitted_mlp_so_cross_validation_works(multiclass):
    X, y, mlp = multiclass
    clf = PrunedClassifier(module=mlp, sparsity=0.5, random_state=0)
    assert clone(clf).module is mlp
    assert clone(PrunedClassifierCV(module=mlp)).module is mlp
    scores = cross_val_score(clf, X, y, cv=2)
    assert scores.min() > 0.5


def test_a_classifier_started_from_a_mlp_pickles(multiclass):
    X, y, mlp = multiclass
    clf = PrunedClassifier(module=mlp, sparsity=0.5, random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert hasattr(loaded.module, "coefs_")
    assert clone(clf).module is mlp  # cloned after fitting, too


def test_a_grid_search_tries_fitted_mlps_wrapped_in_frozen_estimator(multiclass):
    X, y, mlp = multiclass
    other = fitted_mlp(X, y, hidden=(8,))
    search = GridSearchCV(
        PrunedClassifier(sparsity=0.5, max_epochs=2, random_state=0),
        {"module": [FrozenEstimator(mlp), FrozenEstimator(other)]},
        cv=2,
    ).fit(X, y)
    assert search.best_estimator_.module_[0].out_features in (16, 8)
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        GridSearchCV(
            PrunedClassifier(max_epochs=2),
            {"module": [mlp]},
            cv=2,
            error_score="raise",
        ).fit(X, y)


def test_a_frozen_estimator_of_another_model_is_refused(multiclass):
    X, y, _ = multiclass
    frozen = FrozenEstimator(fitted(LogisticRegression(), X, y))
    with pytest.raises(TypeError, match="expected a fitted MLPClassifier"):
        PrunedClassifier(module=frozen, max_epochs=2).fit(X, y)


# ------------------------------------------------------------------- regressor


def regression(n_targets=1, seed=0):
    X, y = make_regression(
        n_samples=240, n_features=8, n_targets=n_targets, noise=1.0, random_state=seed
    )
    return X.astype(np.float32), y


@pytest.mark.parametrize("n_targets", [1, 3])
def test_a_regressor_starts_from_the_predictions_of_the_fitted_mlp(n_targets):
    X, y = regression(n_targets)
    y = 1000.0 * y / y.std() + 5000.0  # far from the standardised units
    mlp = fitted_mlp(X, y, max_iter=30)
    reg = PrunedRegressor(module=mlp, random_state=0, **UNTRAINED).fit(X, y)
    assert reg.predict(X).shape == mlp.predict(X).shape
    np.testing.assert_allclose(reg.predict(X), mlp.predict(X), rtol=1e-5, atol=1e-2)


def test_a_poisson_regressor_starts_from_a_poisson_mlp():
    X, y = regression()
    y = np.exp(y / y.std())  # positive, a log-linear mean
    mlp = fitted_mlp(X, y, max_iter=30, loss="poisson")
    assert mlp.out_activation_ == "exp"
    np.testing.assert_allclose(
        np.exp(outputs(MLP.from_sklearn(mlp), X)).ravel(), mlp.predict(X), rtol=1e-4
    )
    reg = PrunedRegressor(module=mlp, loss="poisson", random_state=0, **UNTRAINED)
    np.testing.assert_allclose(reg.fit(X, y).predict(X), mlp.predict(X), rtol=1e-4)
    with pytest.raises(ValueError, match="'exp' output, but loss='squared_error'"):
        PrunedRegressor(module=mlp, max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="'identity' output, but loss='poisson'"):
        PrunedRegressor(
            module=fitted_mlp(X, y, max_iter=5), loss="poisson", max_epochs=2
        ).fit(X, y)


def test_a_regressor_refuses_a_classifier(multiclass):
    X, y, mlp = multiclass
    with pytest.raises(ValueError, match="is a classifier, but PrunedRegressor"):
        PrunedRegressor(module=mlp, max_epochs=2).fit(X, y * 1.0)


def test_a_fitted_skorch_regressor_starts_the_regressor():
    X, y = regression(n_targets=2)
    y = (y / y.std() * 10 + 3).astype(np.float32)
    module = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    net = skorch_fitted(NeuralNetRegressor(module), X, y)
    reg = PrunedRegressor(module=net, random_state=0, **UNTRAINED).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), net.predict(X), rtol=1e-5, atol=1e-4)
    pruned = PrunedRegressor(module=net, sparsity=0.8, random_state=0).fit(X, y)
    assert pruned.n_iter_ == auto_trained_max_epochs(0.8)
    assert pruned.sparsity_ == pytest.approx(0.8, abs=0.01)


def test_a_skorch_regressor_whose_output_is_no_linear_layer_is_refused():
    X, y = regression()
    net = skorch_fitted(
        NeuralNetRegressor(nn.Sequential(nn.Linear(8, 1), nn.Tanh())),
        X,
        (y / y.std()).astype(np.float32).reshape(-1, 1),
    )
    with pytest.raises(ValueError, match="not computed by a Linear layer"):
        PrunedRegressor(module=net, max_epochs=2).fit(X, y)


def test_a_converted_mlp_regressor_is_pruned_and_keeps_its_r2():
    X, y = make_regression(n_samples=1200, n_features=8, noise=5.0, random_state=1)
    X_train, X_test, y_train, y_test = X[:900], X[900:], y[:900], y[900:]
    mlp = fitted_mlp(X_train, y_train, hidden=(64, 32), max_iter=200)
    reg = PrunedRegressor(module=mlp, sparsity=0.9, random_state=0)
    reg.fit(X_train, y_train)
    assert reg.n_iter_ == auto_trained_max_epochs(0.9)
    assert reg.sparsity_ == pytest.approx(0.9, abs=0.005)
    assert reg.score(X_test, y_test) >= mlp.score(X_test, y_test) - 0.05
