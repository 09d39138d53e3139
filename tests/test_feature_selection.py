import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_classification, make_friedman1
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import shuffle as shuffle_rows
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetClassifier
from torch import nn

from sklprune import (
    FeatureImportanceDisplay,
    FeatureImportancePruner,
    PrunedClassifier,
    PrunedRegressor,
)
from sklprune.datasets import load_rotten_tomatoes
from sklprune.feature_selection import DEFAULT_REGRESSION_NETWORK
from sklprune.feature_selection._scores import GRADIENT_BATCH_SIZE, neg_log_loss

TINY_NET = {
    "hidden_layer_sizes": (16,),
    "sparsity": 0.0,
    "lr": 1e-2,
    "max_epochs": 10,
    "finetune_epochs": 0,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def informative_data():
    """The issue's make_classification data, and which columns are informative.

    ``shuffle=True`` shuffles rows and then columns with the generator left over
    from building the data, so the same generator replays the shuffle on the
    unshuffled data and reveals where the 10 informative columns went.
    """
    params = {
        "n_samples": 2000,
        "n_features": 200,
        "n_informative": 10,
        "n_redundant": 0,
    }
    X_expected, y_expected = make_classification(shuffle=True, random_state=0, **params)
    rng = np.random.RandomState(0)
    X, y = make_classification(shuffle=False, random_state=rng, **params)
    X, y = shuffle_rows(X, y, random_state=rng)
    columns = np.arange(params["n_features"])
    rng.shuffle(columns)
    X = X[:, columns]
    assert np.array_equal(X, X_expected) and np.array_equal(y, y_expected)
    informative = np.flatnonzero(columns < params["n_informative"])
    return StandardScaler().fit_transform(X), y, informative


@pytest.fixture(scope="module")
def small_data():
    X, y = make_classification(
        n_samples=200,
        n_features=12,
        n_informative=3,
        n_redundant=0,
        class_sep=2.0,
        shuffle=False,
        random_state=0,
    )
    return X.astype(np.float32), y


# ------------------------------------------------------------------ quality


@pytest.mark.parametrize("method", ["gradient", "weight", "permutation", "auto"])
def test_each_method_ranks_the_informative_features_in_its_top_20(
    informative_data, method
):
    X, y, informative = informative_data
    pruner = FeatureImportancePruner(method=method, keep=20, random_state=0).fit(X, y)
    kept = pruner.get_support(indices=True)
    assert len(kept) == 20
    assert len(np.intersect1d(kept, informative)) >= 8
    assert pruner.transform(X).shape == (2000, 20)


@pytest.mark.parametrize(
    "estimator, method",
    [
        (None, "gradient"),
        (PrunedClassifier(**TINY_NET), "gradient"),
        (LogisticRegression(), "coef_"),
        (DecisionTreeClassifier(random_state=0), "feature_importances_"),
        (KNeighborsClassifier(), "permutation"),
    ],
)
def test_auto_uses_model_attributes_then_gradient_then_permutation(
    small_data, estimator, method
):
    X, y = small_data
    pruner = FeatureImportancePruner(estimator, keep=3, n_repeats=2, random_state=0)
    pruner.fit(X, y)
    assert pruner.method_ == method
    assert hasattr(pruner, "importances_std_") == (method == "permutation")
    assert set(pruner.get_support(indices=True)) == {0, 1, 2}


def test_coef_importances_are_l1_norms_over_classes(small_data):
    X, _ = small_data
    y = np.arange(len(X)) % 3
    pruner = FeatureImportancePruner(LogisticRegression(), keep=2).fit(X, y)
    coef = pruner.estimator_.coef_
    np.testing.assert_allclose(pruner.importances_, np.abs(coef).sum(axis=0))


def test_weight_importances_are_first_layer_column_norms(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(
        PrunedClassifier(**TINY_NET), method="weight", keep=3
    ).fit(X, y)
    first = pruner.estimator_.module_[0].weight.detach().double()
    np.testing.assert_allclose(pruner.importances_, first.norm(dim=0).numpy())


def test_gradient_importances_are_mean_per_sample_input_saliency(small_data):
    X, y = small_data
    net = PrunedClassifier(**TINY_NET).fit(X, y)
    pruner = FeatureImportancePruner(net, prefit=True, method="gradient").fit(X, y)
    module = net.module_.eval()
    expected = np.zeros(X.shape[1])
    for row, label in zip(X, y):
        x = torch.tensor(row[None], requires_grad=True)
        loss = nn.functional.cross_entropy(module(x), torch.tensor([label]))
        (grad,) = torch.autograd.grad(loss, x)
        expected += (grad * x).abs().detach().double().numpy()[0]
    np.testing.assert_allclose(pruner.importances_, expected / len(X), rtol=1e-4)


def test_gradient_works_with_a_plain_skorch_net(small_data):
    X, y = small_data
    module = nn.Sequential(
        nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 2), nn.Softmax(-1)
    )
    net = NeuralNetClassifier(
        module, max_epochs=20, lr=0.1, train_split=None, verbose=0
    )
    torch.manual_seed(0)
    pruner = FeatureImportancePruner(net, method="gradient", keep=3).fit(X, y)
    assert set(pruner.get_support(indices=True)) == {0, 1, 2}
    weight = FeatureImportancePruner(net, method="weight", keep=3).fit(X, y)
    assert weight.importances_.shape == (12,)


def test_permutation_scores_sparse_input_exactly_as_dense(small_data):
    X, y = small_data
    X = X.astype(np.float64) * (np.random.RandomState(0).rand(*X.shape) < 0.3)
    model = LogisticRegression().fit(X, y)
    params = {"method": "permutation", "prefit": True, "random_state": 0}
    dense = FeatureImportancePruner(model, **params).fit(X, y)
    sparse = FeatureImportancePruner(model, **params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.importances_, dense.importances_, atol=1e-12)
    np.testing.assert_allclose(
        sparse.importances_std_, dense.importances_std_, atol=1e-12
    )


def test_gradient_scores_sparse_input_as_dense(small_data):
    X, y = small_data
    X = X * (np.random.RandomState(0).rand(*X.shape) < 0.3)
    net = PrunedClassifier(**TINY_NET).fit(X, y)
    params = {"method": "gradient", "prefit": True}
    dense = FeatureImportancePruner(net, **params).fit(X, y)
    sparse = FeatureImportancePruner(net, **params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.importances_, dense.importances_, rtol=1e-5)


def test_default_permutation_score_is_the_negative_log_loss(small_data):
    X, y = small_data
    labels = np.array(["b", "c", "a"])[np.arange(len(y)) % 3]
    model = LogisticRegression().fit(X, labels)
    expected = -log_loss(labels, model.predict_proba(X), labels=model.classes_)
    assert neg_log_loss(model, X, labels) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="labels the estimator was not trained on"):
        neg_log_loss(model, X, np.where(labels == "a", "z", labels))


def test_cv_pools_the_permutation_scores_of_every_fold(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(
        LogisticRegression(), method="permutation", cv=3, n_repeats=2, keep=3
    ).fit(X, y)
    assert len(pruner.estimators_) == 3
    assert pruner.importances_std_.shape == (12,)
    assert set(pruner.get_support(indices=True)) == {0, 1, 2}
    refit = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(pruner.estimator_.coef_, refit.coef_)


def test_prefit_estimator_is_copied_and_not_refitted(small_data):
    X, y = small_data
    model = LogisticRegression().fit(X, y)
    pruner = FeatureImportancePruner(model, prefit=True, keep=3).fit(X[:50], y[:50])
    assert pruner.estimator_ is not model
    np.testing.assert_allclose(pruner.estimator_.coef_, model.coef_)


def test_fit_is_reproducible_with_random_state(small_data):
    X, y = small_data
    first = FeatureImportancePruner(method="permutation", random_state=3).fit(X, y)
    second = FeatureImportancePruner(method="permutation", random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.importances_, second.importances_)


# ---------------------------------------------------------------- selection


def test_keep_fraction_rounds_to_the_nearest_count(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), keep=0.2).fit(X, y)
    assert pruner.get_support().sum() == 2  # 0.2 * 12 = 2.4
    pruner.set_params(keep=0.25)
    assert pruner.get_support().sum() == 3  # 0.25 * 12 = 3
    pruner.set_params(keep=1.0)
    assert pruner.get_support().all()


def test_keep_keeps_the_highest_scores(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), keep=4).fit(X, y)
    kept = pruner.importances_[pruner.get_support()]
    dropped = pruner.importances_[~pruner.get_support()]
    assert kept.min() >= dropped.max()


def test_set_params_keep_reselects_without_scoring_again(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), keep=3).fit(X, y)
    importances = pruner.importances_
    pruner.set_params(keep=6)
    assert pruner.transform(X).shape == (200, 6)
    assert pruner.importances_ is importances


@pytest.mark.parametrize(
    "threshold, reference",
    [
        (None, np.mean),
        ("mean", np.mean),
        ("median", np.median),
        ("1.5*mean", lambda s: 1.5 * np.mean(s)),
        (0.05, lambda s: 0.05),
    ],
)
def test_threshold_keeps_scores_at_or_above_it(small_data, threshold, reference):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), threshold=threshold)
    pruner.fit(X, y)
    assert pruner.threshold_ == pytest.approx(reference(pruner.importances_))
    expected = pruner.importances_ >= pruner.threshold_
    np.testing.assert_array_equal(pruner.get_support(), expected)


def test_keep_and_threshold_together_keep_at_most_keep_above_threshold(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), keep=8, threshold="mean")
    pruner.fit(X, y)
    above = (pruner.importances_ >= pruner.importances_.mean()).sum()
    assert pruner.get_support().sum() == min(8, above)
    assert (
        FeatureImportancePruner(LogisticRegression(), keep=8).fit(X, y).threshold_
        == -np.inf
    )


def test_keep_larger_than_the_features_warns_and_keeps_all(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), keep=50)
    with pytest.warns(UserWarning, match=r"keep=50 is larger than .* \(12\)"):
        pruner.fit(X, y)
    assert pruner.get_support().all()


# ------------------------------------------------------------- integration


def test_pandas_output_keeps_the_surviving_column_names(small_data):
    X, y = small_data
    names = [f"col_{i}" for i in range(X.shape[1])]
    X_df = pd.DataFrame(X, columns=names)
    pruner = FeatureImportancePruner(LogisticRegression(), keep=3)
    pruner.set_output(transform="pandas").fit(X_df, y)
    out = pruner.transform(X_df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["col_0", "col_1", "col_2"]
    assert list(pruner.get_feature_names_out()) == ["col_0", "col_1", "col_2"]
    np.testing.assert_array_equal(pruner.feature_names_in_, names)
    pd.testing.assert_frame_equal(out, X_df[["col_0", "col_1", "col_2"]])


def test_tfidf_pipeline_stays_sparse_and_never_densifies_the_vocabulary(
    monkeypatch,
):
    texts, labels = load_rotten_tomatoes(return_X_y=True)
    texts, labels = shuffle_rows(texts, labels, n_samples=1600, random_state=0)
    vocabulary = TfidfVectorizer().fit(texts).vocabulary_
    densified = []
    toarray = sp.csr_matrix.toarray

    def spy(self, *args, **kwargs):
        densified.append(self.shape)
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", spy)
    pipe = make_pipeline(
        TfidfVectorizer(),
        FeatureImportancePruner(keep=2000, random_state=0),
        PrunedClassifier(hidden_layer_sizes=(16,), max_epochs=4, finetune_epochs=1),
    )
    pipe.fit(texts[:1200], labels[:1200])
    assert len(vocabulary) > 4000
    pruner = pipe[1]
    assert pruner.method_ == "gradient"
    assert sp.issparse(pipe[:2].transform(texts[1200:]))
    assert pipe[:2].transform(texts[1200:]).shape == (400, 2000)
    terms = pipe[:2].get_feature_names_out()
    assert len(terms) == 2000 and set(terms) <= set(vocabulary)
    assert pipe.predict(texts[1200:]).shape == (400,)
    full_width = [shape for shape in densified if shape[1] > 2000]
    assert full_width, "the pruner's gradient pass densified no batch"
    assert max(rows for rows, _ in full_width) <= GRADIENT_BATCH_SIZE


def test_grid_search_over_keep_in_a_pipeline(small_data):
    X, y = small_data
    pipe = make_pipeline(
        StandardScaler(),
        FeatureImportancePruner(method="weight", random_state=0),
        PrunedClassifier(hidden_layer_sizes=(16,), max_epochs=6, finetune_epochs=2),
    ).set_output(transform="pandas")
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(12)])
    search = GridSearchCV(
        pipe, {"featureimportancepruner__keep": [1, 3, 0.5]}, cv=2
    ).fit(X_df, y)
    assert len(search.cv_results_["params"]) == 3
    keep = search.best_params_["featureimportancepruner__keep"]
    expected = {1: 1, 3: 3, 0.5: 6}[keep]
    assert search.best_estimator_[-1].n_features_in_ == expected
    names = search.best_estimator_[1].get_feature_names_out()
    assert len(names) == expected and set(names) <= set(X_df.columns)


def test_pickle_round_trip_keeps_the_selection(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(keep=4, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(restored.importances_, pruner.importances_)
    np.testing.assert_array_equal(restored.transform(X), pruner.transform(X))
    np.testing.assert_array_equal(
        restored.estimator_.predict(X), pruner.estimator_.predict(X)
    )


def test_inverse_transform_puts_zeros_in_dropped_columns(small_data):
    X, y = small_data
    pruner = FeatureImportancePruner(LogisticRegression(), keep=3).fit(X, y)
    back = pruner.inverse_transform(pruner.transform(X))
    np.testing.assert_array_equal(back[:, :3], X[:, :3])
    assert not back[:, 3:].any()
    back_sparse = pruner.inverse_transform(pruner.transform(sp.csr_matrix(X)))
    np.testing.assert_array_equal(back_sparse.toarray(), back)


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"keep": 0}, InvalidParameterError, "'keep' parameter"),
        ({"keep": -3}, InvalidParameterError, "'keep' parameter"),
        ({"keep": 1.5}, InvalidParameterError, "'keep' parameter"),
        ({"method": "shap"}, InvalidParameterError, "'method' parameter"),
        ({"threshold": "max"}, ValueError, "threshold must be a number, 'mean'"),
        ({"threshold": "2*max"}, ValueError, "threshold must be a number, 'mean'"),
        ({"n_repeats": 0}, InvalidParameterError, "'n_repeats' parameter"),
        ({"validation_fraction": 1.0}, InvalidParameterError, "validation_fraction"),
        ({"prefit": True}, ValueError, "prefit=True needs a fitted estimator"),
    ],
)
def test_bad_parameters_raise_clear_errors(small_data, params, error, match):
    X, y = small_data
    with pytest.raises(error, match=match):
        FeatureImportancePruner(**params).fit(X, y)


def test_nan_in_X_raises_a_clear_error(small_data):
    X, y = small_data
    X = X.copy()
    X[3, 4] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        FeatureImportancePruner(keep=3).fit(X, y)


@pytest.mark.parametrize("method", ["gradient", "weight"])
def test_network_methods_on_a_non_network_name_the_methods_that_fit(small_data, method):
    X, y = small_data
    message = (
        f"method='{method}' cannot score the features of LogisticRegression: .*"
        "Methods that fit LogisticRegression: 'auto', 'permutation'\\."
    )
    with pytest.raises(ValueError, match=message):
        FeatureImportancePruner(LogisticRegression(), method=method).fit(X, y)


class _ConvFirst(nn.Module):
    """A network whose first layer is a Conv1d, not a Linear over the input."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.conv = nn.Conv1d(1, 2, kernel_size=3)
        self.out = nn.Linear(2 * (n_features - 2), n_classes)

    def forward(self, X):
        return self.out(self.conv(X[:, None, :]).flatten(1))


def test_weight_on_a_network_without_a_first_linear_layer_names_the_methods(
    small_data,
):
    X, y = small_data
    net = PrunedClassifier(module=_ConvFirst, **TINY_NET)
    message = (
        "method='weight' cannot score the features of PrunedClassifier: its "
        "network has no first nn.Linear layer over the 12 input features. "
        "Methods that fit PrunedClassifier: 'auto', 'permutation', 'gradient'."
    )
    with pytest.raises(ValueError, match=message):
        FeatureImportancePruner(net, method="weight").fit(X, y)
    gradient = FeatureImportancePruner(net, method="gradient").fit(X, y)
    assert gradient.importances_.shape == (12,)


def test_prefit_with_an_unfitted_estimator_raises(small_data):
    X, y = small_data
    with pytest.raises(NotFittedError, match="LogisticRegression is not fitted"):
        FeatureImportancePruner(LogisticRegression(), prefit=True).fit(X, y)


def test_prefit_with_cv_raises(small_data):
    X, y = small_data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="cv cannot be combined with prefit=True"):
        FeatureImportancePruner(model, prefit=True, cv=3).fit(X, y)


def test_prefit_with_other_features_raises(small_data):
    X, y = small_data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 11 features, but the prefit"):
        FeatureImportancePruner(model, prefit=True).fit(X[:, :11], y)


def test_gradient_with_labels_the_network_never_saw_raises(small_data):
    X, y = small_data
    net = PrunedClassifier(**TINY_NET).fit(X, y)
    with pytest.raises(ValueError, match="labels the estimator was not trained on"):
        FeatureImportancePruner(net, prefit=True, method="gradient").fit(X, y + 5)


def test_transform_before_fit_raises(small_data):
    X, _ = small_data
    with pytest.raises(NotFittedError):
        FeatureImportancePruner().transform(X)


# -------------------------------------------------------------------- plots


def test_display_draws_the_top_features_kept_in_colour(small_data):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    X, y = small_data
    names = [f"col_{i}" for i in range(12)]
    pruner = FeatureImportancePruner(
        LogisticRegression(), method="permutation", keep=2, n_repeats=2
    ).fit(pd.DataFrame(X, columns=names), y)
    figure = Figure()
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    display = FeatureImportanceDisplay.from_estimator(pruner, ax=ax, top=5)
    figure.canvas.draw()

    order = np.argsort(-pruner.importances_, kind="stable")[:5]
    assert display.ax_ is ax and display.figure_ is figure
    assert len(ax.patches) == 5
    widths = [bar.get_width() for bar in display.bars_]
    np.testing.assert_allclose(widths, pruner.importances_[order])
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == [names[i] for i in order]
    colours = [bar.get_facecolor() for bar in display.bars_]
    assert colours[:2] == [to_rgba("C0")] * 2
    assert colours[2:] == [to_rgba("0.6")] * 3
    assert display.bars_.errorbar is not None  # permutation gives a spread
    assert "permutation" in ax.get_xlabel()


def test_display_rejects_a_bad_top():
    display = FeatureImportanceDisplay([0.2, 0.1])
    with pytest.raises(ValueError, match="top must be a positive integer"):
        display.plot(top=0)


def test_importing_sklprune_does_not_import_matplotlib():
    code = "import sys, sklprune; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- regression


@pytest.fixture(scope="module")
def friedman_data():
    """make_friedman1: y depends on the first 5 of 10 standardised columns."""
    X, y = make_friedman1(n_samples=500, n_features=10, noise=0.5, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.mark.parametrize("method", ["gradient", "weight", "permutation"])
def test_a_continuous_target_trains_the_default_regressor(friedman_data, method):
    X, y = friedman_data
    pruner = FeatureImportancePruner(method=method, keep=5, random_state=0).fit(X, y)
    assert isinstance(pruner.estimator_, PrunedRegressor)
    assert pruner.estimator_.max_epochs == DEFAULT_REGRESSION_NETWORK["max_epochs"]
    assert set(pruner.get_support(indices=True)) == {0, 1, 2, 3, 4}


def test_whole_floats_of_many_values_are_regressed_and_few_are_labels(
    friedman_data,
):
    X, y = friedman_data
    measured = np.round(10 * y)  # whole numbers stored as floats, like load_diabetes
    pruner = FeatureImportancePruner(keep=5, random_state=0).fit(X, measured)
    assert isinstance(pruner.estimator_, PrunedRegressor)
    labels = (y > np.median(y)).astype(float)  # 0.0 and 1.0
    pruner = FeatureImportancePruner(keep=5, random_state=0).fit(X, labels)
    assert isinstance(pruner.estimator_, PrunedClassifier)


def test_an_integer_regression_target_takes_a_given_regressor(friedman_data):
    X, y = friedman_data
    counts = np.round(y).astype(np.int64)  # whole numbers: class labels by default
    default = FeatureImportancePruner(keep=5, random_state=0).fit(X, counts)
    assert isinstance(default.estimator_, PrunedClassifier)
    pruner = FeatureImportancePruner(PrunedRegressor(**TINY_NET), keep=5).fit(X, counts)
    assert pruner.method_ == "gradient"
    assert set(pruner.get_support(indices=True)) == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error"])
def test_gradient_of_a_regressor_is_the_saliency_of_its_regression_loss(
    friedman_data, loss
):
    X, y = friedman_data
    reg = PrunedRegressor(loss=loss, **TINY_NET).fit(X, y)
    pruner = FeatureImportancePruner(reg, prefit=True, method="gradient").fit(X, y)
    x = torch.tensor(X, requires_grad=True)
    target = torch.tensor((y - reg.target_mean_) / reg.target_scale_)[:, None]
    error = reg.module_.eval()(x) - target.float()
    per_row = error**2 if loss == "squared_error" else error.abs()
    (grad,) = torch.autograd.grad(per_row.sum(), x)
    expected = (grad * x).abs().detach().double().mean(dim=0).numpy()
    np.testing.assert_allclose(pruner.importances_, expected, rtol=1e-4)


def test_permutation_scores_a_regressor_by_r2_or_any_regression_scorer(
    friedman_data,
):
    X, y = friedman_data
    params = {"method": "permutation", "n_repeats": 2, "random_state": 0}
    default = FeatureImportancePruner(KNeighborsRegressor(), **params).fit(X, y)
    r2 = FeatureImportancePruner(KNeighborsRegressor(), scoring="r2", **params)
    np.testing.assert_array_equal(default.importances_, r2.fit(X, y).importances_)
    mae = FeatureImportancePruner(
        KNeighborsRegressor(), scoring="neg_mean_absolute_error", keep=4, **params
    ).fit(X, y)
    assert set(mae.get_support(indices=True)) <= {0, 1, 2, 3, 4}
    assert not np.allclose(mae.importances_, default.importances_)


def test_auto_reads_coef_of_a_linear_regressor(friedman_data):
    X, y = friedman_data
    pruner = FeatureImportancePruner(Ridge(), keep=3).fit(X, y)
    assert pruner.method_ == "coef_"
    np.testing.assert_allclose(pruner.importances_, np.abs(pruner.estimator_.coef_))


def test_several_regression_targets_train_one_regressor_of_all(friedman_data):
    X, y = friedman_data
    targets = np.column_stack([y, -2.0 * y + 1.0])
    pruner = FeatureImportancePruner(keep=5, random_state=0).fit(X, targets)
    assert pruner.estimator_.n_outputs_ == 2
    assert set(pruner.get_support(indices=True)) == {0, 1, 2, 3, 4}


def test_pruned_regressor_behind_the_pruner_trains_on_the_kept_columns(
    friedman_data,
):
    X, y = friedman_data
    model = make_pipeline(
        FeatureImportancePruner(keep=5, random_state=0), PrunedRegressor(**TINY_NET)
    ).fit(X, y)
    assert model[-1].n_features_in_ == 5
    assert model.predict(X[:3]).shape == (3,)
    assert model.score(X, y) > 0.5
