import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from _helpers import documented_defaults
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_friedman1
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklprune import PrunedClassifier, PrunedRegressor
from sklprune._defaults import REGRESSOR_DEFAULTS
from sklprune._training.targets import target_standardisation
from sklprune.datasets import load_rotten_tomatoes
from sklprune.losses import REGRESSION_LOSSES, get_loss
from sklprune.strategies import FisherStrategy

FAST = {"max_epochs": 15, "finetune_epochs": 3, "hidden_layer_sizes": (64,), "lr": 0.01}


@pytest.fixture(scope="module")
def friedman():
    """A small non-linear table, its target far from standard (offset 1e4, scale
    about 5e3)."""
    X, y = make_friedman1(n_samples=300, noise=0.5, random_state=0)
    return X.astype(np.float32), 1e3 * y + 1e4


def _fit(X, y, **params):
    return PrunedRegressor(**{"random_state": 0, **FAST, **params}).fit(X, y)


# ---------------------------------------------------------------- parameters


def test_parameters_are_the_cores_with_the_regressors_defaults():
    signature = inspect.signature(PrunedRegressor).parameters
    classifier = inspect.signature(PrunedClassifier).parameters
    assert list(signature) == [name for name in classifier if name != "class_weight"]
    assert PrunedRegressor().get_params() == REGRESSOR_DEFAULTS
    for name, parameter in signature.items():
        assert parameter.default is REGRESSOR_DEFAULTS[name], name
    assert PrunedRegressor(max_epochs=3).get_params()["max_epochs"] == 3


def test_every_documented_default_is_the_one_of_the_defaults_table():
    documented = documented_defaults(PrunedRegressor)
    assert list(documented) == list(REGRESSOR_DEFAULTS)
    for name, default in REGRESSOR_DEFAULTS.items():
        assert type(documented[name]) is type(default), name
        assert documented[name] == default, name


def test_a_parameter_it_does_not_have_is_refused_as_python_would():
    with pytest.raises(TypeError, match="unexpected keyword argument 'class_weight'"):
        PrunedRegressor(class_weight="balanced")


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"loss": "cross_entropy"}, ValueError, "'loss' parameter"),
        ({"sparsity": 1.0}, ValueError, "'sparsity' parameter"),
        ({"finetune_epochs": 20, "max_epochs": 5}, ValueError, "finetune_epochs=20"),
    ],
)
def test_bad_parameters_raise_before_training(friedman, params, error, match):
    X, y = friedman
    with pytest.raises(error, match=match):
        PrunedRegressor(**params).fit(X, y)


# ------------------------------------------------------------------- targets


def test_standardises_the_targets_and_predicts_in_their_units(friedman):
    X, y = friedman
    reg = _fit(X, y)
    assert reg.n_outputs_ == 1 and reg.out_activation_ == "identity"
    np.testing.assert_allclose(reg.target_mean_, [y.mean()])
    np.testing.assert_allclose(reg.target_scale_, [y.std()])
    predictions = reg.predict(X)
    assert predictions.shape == (len(X),) and predictions.dtype == np.float64
    assert reg.score(X, y) > 0.6
    assert reg.sparsity_ == pytest.approx(0.9, abs=0.005)
    outputs = reg.module_(torch.from_numpy(X)).detach().numpy().ravel()
    np.testing.assert_allclose(
        predictions, outputs * reg.target_scale_[0] + reg.target_mean_[0], rtol=1e-5
    )


def test_predictions_go_through_the_fast_form_of_the_pruned_network(friedman):
    X, y = friedman
    reg = _fit(
        X,
        y,
        granularity="neuron",
        sparsity=0.5,
        hidden_layer_sizes=(32, 16),
        engine="torch",  # torch's fast form; ONNX Runtime's: tests/test_onnx_engine.py
    )
    predictions = reg.predict(X)
    form = reg._inference.form
    assert form is not None and form is not reg.module_
    widths = [m.out_features for m in form if hasattr(m, "out_features")]
    assert widths[-1] == 1 and sum(widths) < 32 + 16 + 1  # dead units removed
    with torch.inference_mode():
        outputs = reg.module_.eval()(torch.from_numpy(X)).numpy().ravel()
    expected = outputs * reg.target_scale_[0] + reg.target_mean_[0]
    np.testing.assert_allclose(predictions, expected, rtol=1e-5)
    by_row = np.hstack([reg.predict(row[None]) for row in X[:10]])
    np.testing.assert_allclose(by_row, predictions[:10], rtol=1e-7)


@pytest.mark.parametrize("shape", [(300,), (300, 1), (300, 3)])
def test_predictions_have_the_shape_of_the_fitted_targets(friedman, shape):
    X, y = friedman
    Y = np.c_[y, -2 * y, y / 1e3 + 5][:, : shape[1] if len(shape) > 1 else 1]
    Y = Y.reshape(shape)
    reg = _fit(X, Y)
    assert reg.predict(X).shape == shape
    assert reg.n_outputs_ == (shape[1] if len(shape) > 1 else 1)
    assert reg.module_[-1].out_features == reg.n_outputs_


def test_multi_output_learns_every_target(friedman):
    X, y = friedman
    Y = np.c_[y, -X[:, 0] * X[:, 1] * 100.0]
    reg = _fit(X, Y)
    scores = r2_score(Y, reg.predict(X), multioutput="raw_values")
    assert scores.min() > 0.5
    assert reg.target_scale_.shape == (2,)


def test_a_constant_target_is_scaled_by_one():
    mean, scale = target_standardisation(np.array([[3.0, 1.0], [3.0, 2.0]]))
    np.testing.assert_array_equal(mean, [3.0, 1.5])
    np.testing.assert_array_equal(scale, [1.0, 0.5])


def test_numeric_targets_only():
    X = np.random.RandomState(0).randn(10, 2)
    with pytest.raises(ValueError, match=r"numeric targets.*PrunedClassifier"):
        PrunedRegressor(**FAST).fit(X, np.array(list("abcdeabcde")))


# ---------------------------------------------------------------------- losses


@pytest.mark.parametrize("loss", sorted(REGRESSION_LOSSES))
def test_every_named_loss_trains_with_sample_weights(friedman, loss):
    X, y = friedman
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    reg = _fit(X, y, loss=loss, sparsity=0.5)
    weighted = clone(reg).fit(X, y, sample_weight=weights)
    assert reg.score(X, y) > 0.6 and weighted.score(X, y) > 0.6
    assert not np.allclose(reg.predict(X), weighted.predict(X))


def test_poisson_predicts_a_positive_mean_through_the_log_link():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(400, 3)).astype(np.float32)
    rate = np.exp(1.0 + X[:, 0] - 0.5 * X[:, 1])
    y = rng.poisson(rate).astype(float)
    reg = _fit(X, y, loss="poisson")
    assert reg.out_activation_ == "exp"
    np.testing.assert_array_equal(reg.target_mean_, [0.0])
    np.testing.assert_allclose(reg.target_scale_, [y.mean()])
    predictions = reg.predict(X)
    assert predictions.min() > 0
    assert np.corrcoef(predictions, rate)[0, 1] > 0.9
    outputs = reg.module_(torch.from_numpy(X)).detach().numpy().ravel()
    np.testing.assert_allclose(predictions, np.exp(outputs) * y.mean(), rtol=1e-5)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.r_[-1.0, np.ones(9)], "negative values"),
        (np.zeros(10), "sum of y is not positive"),
    ],
)
def test_poisson_refuses_targets_it_cannot_fit(y, match):
    X = np.random.RandomState(0).randn(10, 2)
    with pytest.raises(ValueError, match=match):
        PrunedRegressor(loss="poisson", **FAST).fit(X, y)
    PrunedRegressor(loss="squared_error", **FAST).fit(X, y)


def test_a_torch_loss_and_a_function_train_on_the_standardised_targets(friedman):
    X, y = friedman

    def half_squared_error(output, target, sample_weight=None):
        return 0.5 * get_loss("squared_error", task="regression")(
            output, target, sample_weight
        )

    for loss in (nn.MSELoss(), half_squared_error):
        reg = _fit(X, y, loss=loss)
        assert reg.score(X, y) > 0.6
        reg.fit(X, y, sample_weight=np.linspace(0.5, 2, len(y)))


class RecordingFisher(FisherStrategy):
    """Fisher scores, keeping the statistics the callback hands over."""

    seen = []
    statistics = ("grad_sq", "taylor")

    def score(self, weights, statistics):
        RecordingFisher.seen.append(statistics)
        return super().score(weights, statistics)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "poisson"])
def test_the_pruning_statistics_are_gradients_of_the_chosen_loss(loss):
    # One batch of all rows and a one-shot pruning step after the first epoch:
    # the statistics are the gradients of the loss at the starting weights.
    rng = np.random.RandomState(0)
    X = rng.randn(32, 4).astype(np.float32)
    y = np.exp(X[:, 0]) + rng.uniform(size=32)
    torch.manual_seed(0)
    start = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    RecordingFisher.seen.clear()
    reg = PrunedRegressor(
        module=start,
        loss=loss,
        strategy=RecordingFisher(),
        schedule="one_shot",
        sparsity=0.5,
        max_epochs=2,
        finetune_epochs=1,
        batch_size=32,
        weight_decay=0.0,
        random_state=0,
    ).fit(X, y)
    (statistics,) = RecordingFisher.seen
    target = torch.from_numpy(
        ((y[:, None] - reg.target_mean_) / reg.target_scale_).astype(np.float32)
    )
    start.zero_grad()
    get_loss(loss, task="regression")(start(torch.from_numpy(X)), target).backward()
    for name, parameter in start.named_parameters():
        if name.endswith("weight"):
            torch.testing.assert_close(
                statistics["grad_sq"][name].float(), parameter.grad.square()
            )
            torch.testing.assert_close(
                statistics["taylor"][name].float(),
                (parameter.grad * parameter.detach()).abs(),
            )


def test_auto_strategy_follows_the_width_of_the_input():
    rng = np.random.RandomState(0)
    for n_features, expected in ((10, "fisher"), (60, "magnitude")):
        X = rng.randn(50, n_features)
        reg = PrunedRegressor(max_epochs=2, hidden_layer_sizes=(8,)).fit(X, X[:, 0])
        assert reg.strategy_ == expected


# -------------------------------------------------------------- sample weights


def test_sample_weights_change_the_model_and_ones_change_nothing(friedman):
    X, y = friedman
    plain = _fit(X, y)
    ones = clone(plain).fit(X, y, sample_weight=np.ones(len(y)))
    halves = clone(plain).fit(X, y, sample_weight=np.full(len(y), 0.5))
    weighted = clone(plain).fit(X, y, sample_weight=np.where(X[:, 0] > 0.5, 5.0, 1.0))
    np.testing.assert_array_equal(ones.predict(X), plain.predict(X))
    np.testing.assert_array_equal(halves.predict(X), plain.predict(X))
    assert not np.allclose(weighted.predict(X), plain.predict(X))
    assert not np.allclose(weighted.target_mean_, plain.target_mean_)


def test_zero_weights_leave_samples_out_of_the_standardisation(friedman):
    X, y = friedman
    weights = np.r_[np.zeros(100), np.ones(200)]
    reg = _fit(X, y, max_epochs=2, finetune_epochs=0)
    reg.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(reg.target_mean_, [y[100:].mean()])
    np.testing.assert_allclose(reg.target_scale_, [y[100:].std()])


def test_integer_sample_weights_equal_repeated_rows_up_to_float_rounding():
    # scikit-learn's own check of this asks for rtol=1e-7; the two fits sum their
    # losses in a different order, so they agree to about 1e-8, at the edge of
    # that tolerance (see tests/test_common.py).
    rng = np.random.RandomState(0)
    X = rng.randn(15, 4).astype(np.float32)
    y = X[:, 0] * 10 + 100
    weights = np.array([0, 1, 2] * 5)
    rng.shuffle(weights)
    X_repeated, y_repeated = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    params = {"max_epochs": 20, "random_state": 0}
    weighted = PrunedRegressor(**params).fit(X, y, sample_weight=weights)
    repeated = PrunedRegressor(**params).fit(X_repeated, y_repeated)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-5)
    different = PrunedRegressor(**params).fit(X, y)
    assert not np.allclose(different.predict(X), repeated.predict(X))


def test_predictions_do_not_depend_on_the_order_of_the_rows(friedman):
    X, y = friedman
    reg = _fit(X, y, sparsity=0.5)
    order = np.random.RandomState(0).permutation(len(X))
    # float32 products summed in an order that depends on a row's place in the
    # batch: rounding far below any difference that matters (tests/test_common.py).
    np.testing.assert_allclose(reg.predict(X[order]), reg.predict(X)[order], rtol=1e-5)


# -------------------------------------------------------- scikit-learn tools


def test_a_pipeline_inside_transformed_target_regressor(friedman):
    X, y = friedman
    counts = np.expm1(np.abs(y - y.mean()) / y.std())
    inner = make_pipeline(StandardScaler(), PrunedRegressor(random_state=0, **FAST))
    model = TransformedTargetRegressor(inner, func=np.log1p, inverse_func=np.expm1)
    model.fit(X, counts)
    assert model.predict(X).shape == (len(X),)
    np.testing.assert_allclose(
        model.predict(X), np.expm1(model.regressor_.predict(X)), rtol=1e-12
    )
    fitted = model.regressor_[-1]
    np.testing.assert_allclose(fitted.target_mean_, [np.log1p(counts).mean()])
    assert model.score(X, counts) > 0.5


def test_grid_search_over_sparsity_and_loss_in_parallel(friedman):
    X, y = friedman
    reg = PrunedRegressor(random_state=0, **{**FAST, "max_epochs": 6})
    grid = {"sparsity": [0.5, 0.9], "loss": ["squared_error", "huber"]}
    search = GridSearchCV(reg, grid, cv=2, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.sparsity_ == pytest.approx(best.sparsity, abs=0.005)


def test_clone_pickle_and_skops_round_trips_give_identical_predictions(
    friedman, tmp_path
):
    skops_io = pytest.importorskip("skops.io")
    X, y = friedman
    reg = _fit(X, np.c_[y, 2 * y])
    expected = reg.predict(X)
    loaded = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(loaded.predict(X), expected)
    unfitted = clone(reg)
    assert not hasattr(unfitted, "module_")
    assert unfitted.get_params() == reg.get_params()
    np.testing.assert_array_equal(unfitted.fit(X, np.c_[y, 2 * y]).predict(X), expected)
    path = tmp_path / "model.skops"
    skops_io.dump(reg, path)
    from_skops = skops_io.load(path, trusted=skops_io.get_untrusted_types(file=path))
    np.testing.assert_allclose(from_skops.predict(X), expected, rtol=1e-6)


def test_pickles_are_smaller_when_pruned(friedman):
    X, y = friedman
    dense = len(pickle.dumps(_fit(X, y, sparsity=0.0, hidden_layer_sizes=(256, 128))))
    pruned = len(pickle.dumps(_fit(X, y, sparsity=0.95, hidden_layer_sizes=(256, 128))))
    assert pruned < dense / 4


def test_same_random_state_gives_same_predictions(friedman):
    X, y = friedman
    a = _fit(X, y, strategy="random", random_state=7)
    b = _fit(X, y, strategy="random", random_state=7)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    c = _fit(X, y, strategy="random", random_state=8)
    assert not np.array_equal(a.predict(X), c.predict(X))


# ---------------------------------------------------------------------- inputs


def test_pandas_in_with_feature_names(friedman):
    X, y = friedman
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    targets = pd.DataFrame({"a": y, "b": -y})
    reg = _fit(frame, targets)
    assert list(reg.feature_names_in_) == list(frame.columns)
    assert reg.n_features_in_ == X.shape[1]
    assert reg.predict(frame).shape == (len(X), 2)
    series = _fit(frame, pd.Series(y))
    np.testing.assert_allclose(series.predict(frame), _fit(X, y).predict(X), rtol=1e-5)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_matrices_and_arrays_give_the_dense_result(friedman, container):
    X, y = friedman
    dense = _fit(X, y)
    sparse = _fit(container(X), y)
    np.testing.assert_allclose(
        dense.predict(X), sparse.predict(container(X)), rtol=1e-4
    )


def test_text_in_a_tfidf_pipeline():
    texts, _ = load_rotten_tomatoes(return_X_y=True)
    texts = list(texts[:400])
    length = np.array([len(text.split()) for text in texts], dtype=float)
    model = make_pipeline(
        TfidfVectorizer(min_df=2, use_idf=False, norm=None),
        PrunedRegressor(random_state=0, **FAST),
    ).fit(texts, length)
    assert model.score(texts, length) > 0.8
    assert model[-1].strategy_ == "magnitude"


class UserNet(nn.Module):
    def __init__(self, n_features, n_outputs, width=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, width), nn.Tanh())
        self.head = nn.Linear(width, n_outputs)

    def forward(self, X):
        return self.head(self.body(X))


def test_a_module_class_is_built_with_n_features_and_n_outputs(friedman):
    X, y = friedman
    reg = _fit(X, np.c_[y, y], module=UserNet, module_kwargs={"width": 24})
    assert isinstance(reg.module_, UserNet)
    assert reg.module_.body[0].weight.shape == (24, X.shape[1])
    assert reg.module_.head.weight.shape == (2, 24)


def test_a_module_with_the_wrong_outputs_is_refused_clearly(friedman):
    X, y = friedman

    class ClassifierNet(UserNet):
        def __init__(self, n_features, n_classes):
            super().__init__(n_features, n_classes)

    with pytest.raises(TypeError, match="keyword arguments n_features and n_outputs"):
        _fit(X, y, module=ClassifierNet)
    with pytest.raises(ValueError, match="y has 2 targets: it must return one value"):
        _fit(X, np.c_[y, y], module=UserNet(X.shape[1], 1))


# ------------------------------------------------------------ training modes


def test_compact_removes_pruned_units_and_keeps_the_predictions(friedman):
    X, y = friedman
    params = {"granularity": "neuron", "sparsity": 0.5, "hidden_layer_sizes": (32, 16)}
    kept = _fit(X, y, **params)
    compacted = _fit(X, y, compact=True, **params)
    assert compacted.module_[0].out_features < 32
    assert compacted.n_parameters_ < kept.n_parameters_
    np.testing.assert_allclose(compacted.predict(X), kept.predict(X), rtol=1e-4)


def test_early_stopping_splits_without_strata(friedman):
    X, y = friedman
    reg = _fit(X, y, early_stopping=True, n_iter_no_change=1, tol=10.0)
    assert reg.n_iter_ < FAST["max_epochs"]
    assert "valid_loss" in reg.history_[-1]


def test_partial_fit_over_chunks_standardises_by_the_first(friedman):
    X, y = friedman
    params = {**FAST, "max_epochs": 4, "finetune_epochs": 1}
    reg = PrunedRegressor(random_state=0, **params)
    chunks = np.array_split(np.arange(len(X)), 4)
    for chunk in chunks:
        reg.partial_fit(X[chunk], y[chunk])
    np.testing.assert_allclose(reg.target_mean_, [y[chunks[0]].mean()])
    assert reg.n_iter_ == 4
    assert reg.sparsity_ == pytest.approx(0.9, abs=0.01)
    with pytest.raises(ValueError, match=r"y has 2 targets, but .* trained on 1"):
        reg.partial_fit(X, np.c_[y, y])


def test_max_epochs_partial_fit_calls_on_the_data_give_the_network_fit_gives(friedman):
    X, y = friedman
    params = {"random_state": 0, **FAST, "max_epochs": 3, "finetune_epochs": 1}
    fitted = PrunedRegressor(**params).fit(X, y)
    incremental = PrunedRegressor(**params)
    for _ in range(3):
        incremental.partial_fit(X, y, sample_weight=np.ones(len(y)))
    for p, q in zip(fitted.module_.parameters(), incremental.module_.parameters()):
        assert torch.equal(p, q)
    fitted.partial_fit(X, y)
    assert fitted.n_iter_ == 4


def test_partial_fit_refuses_compact():
    X = np.random.RandomState(0).randn(10, 2)
    with pytest.raises(ValueError, match="compact=True cannot be used"):
        PrunedRegressor(compact=True).partial_fit(X, X[:, 0])
