import inspect
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.model_selection import KFold

from sklprune import PrunedClassifierCV, PrunedRegressor, PrunedRegressorCV
from sklprune._cv import _select_sparsity

# Few candidates, two folds, small nets.
FAST = {
    "sparsities": (0.5, 0.9),
    "cv": 2,
    "hidden_layer_sizes": (32,),
    "lr": 0.01,
    "max_epochs": 10,
    "finetune_epochs": 2,
    "random_state": 0,
}
REGRESSOR_PARAMS = {k: v for k, v in FAST.items() if k not in ("sparsities", "cv")}


@pytest.fixture(scope="module")
def data():
    X, y = make_friedman1(n_samples=240, noise=0.5, random_state=0)
    return X.astype(np.float32), 100 * y + 1000


@pytest.fixture(scope="module")
def fitted_cv(data):
    X, y = data
    return PrunedRegressorCV(**FAST).fit(X, y)


def test_parameters_are_pruned_regressors_by_construction():
    own = ["sparsities", "score_tol", "cv", "scoring", "n_jobs"]
    assert list(inspect.signature(PrunedRegressorCV).parameters)[:5] == own
    cv_signature = inspect.signature(PrunedRegressorCV).parameters
    reg_signature = inspect.signature(PrunedRegressor).parameters
    shared = [name for name in reg_signature if name != "sparsity"]
    assert list(cv_signature) == own + shared
    for name in shared:
        assert cv_signature[name].default is reg_signature[name].default, name
        assert (
            PrunedRegressorCV._parameter_constraints[name]
            is PrunedRegressor._parameter_constraints[name]
        )
    assert PrunedRegressorCV().get_params()["loss"] == "squared_error"
    # Each CV estimator has its own signature: the classifier's keeps class_weight.
    assert "class_weight" in inspect.signature(PrunedClassifierCV).parameters
    assert "class_weight" not in cv_signature


def test_a_parameter_it_does_not_have_is_refused_as_python_would():
    with pytest.raises(TypeError, match=r"PrunedRegressorCV.__init__.*'class_weight'"):
        PrunedRegressorCV(class_weight="balanced")


def test_fit_chooses_by_r2_within_the_tolerance_and_refits(fitted_cv, data):
    X, y = data
    results = fitted_cv.cv_results_
    assert results["sparsity"].tolist() == [0.0, 0.5, 0.9]
    index = _select_sparsity(results["sparsity"], results["mean_test_score"], 0.01)
    assert fitted_cv.best_index_ == index
    assert fitted_cv.best_sparsity_ == results["sparsity"][index]
    refit = PrunedRegressor(sparsity=fitted_cv.best_sparsity_, **REGRESSOR_PARAMS)
    refit.fit(X, y)
    np.testing.assert_allclose(fitted_cv.predict(X), refit.predict(X))
    assert fitted_cv.score(X, y) == pytest.approx(refit.score(X, y))
    assert fitted_cv.module_ is fitted_cv.best_estimator_.module_
    np.testing.assert_array_equal(fitted_cv.target_mean_, refit.target_mean_)
    assert fitted_cv.n_outputs_ == 1


def test_folds_are_plain_k_folds_and_scores_are_r2(data):
    X, y = data
    search = PrunedRegressorCV(**FAST).fit(X, y)
    by_hand = PrunedRegressorCV(**{**FAST, "cv": KFold(2)}).fit(X, y)
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], by_hand.cv_results_["mean_test_score"]
    )
    assert search.dense_score_ < 1.0


def test_multi_output_targets_keep_their_shape(data):
    X, y = data
    search = PrunedRegressorCV(**{**FAST, "sparsities": (0.5,)}).fit(X, np.c_[y, -y])
    assert search.predict(X).shape == (len(X), 2)
    assert search.n_outputs_ == 2


def test_poisson_refuses_negative_targets_before_any_fit(data):
    X, y = data
    with pytest.raises(ValueError, match="negative values"):
        PrunedRegressorCV(loss="poisson", **FAST).fit(X, y - 2000)


def test_an_error_scorer_and_sample_weights(data):
    X, y = data
    weights = np.where(X[:, 0] > 0.5, 3.0, 1.0)
    search = PrunedRegressorCV(
        scoring="neg_mean_absolute_error", score_tol=None, **FAST
    ).fit(X, y, sample_weight=weights)
    assert (search.cv_results_["mean_test_score"] < 0).all()
    refit = PrunedRegressor(sparsity=search.best_sparsity_, **REGRESSOR_PARAMS)
    refit.fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(search.predict(X), refit.predict(X))


def test_pickle_keeps_shared_attributes_identical(fitted_cv, data):
    X, _ = data
    loaded = pickle.loads(pickle.dumps(fitted_cv))
    assert loaded.module_ is loaded.best_estimator_.module_
    np.testing.assert_array_equal(loaded.predict(X), fitted_cv.predict(X))
