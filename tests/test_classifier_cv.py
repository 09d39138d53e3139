import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from sklprune import PrunedClassifier, PrunedClassifierCV
from sklprune._cv import _cv_results, _select_sparsity

# Few candidates, two folds, small nets: the checks fit dozens of times.
FAST = {
    "sparsities": (0.0, 0.5),
    "cv": 2,
    "hidden_layer_sizes": (32,),
    "lr": 0.01,
    "max_epochs": 10,
    "finetune_epochs": 2,
    "random_state": 0,
}


def test_parameters_are_pruned_classifiers_by_construction():
    own = ["sparsities", "score_tol", "cv", "scoring", "n_jobs"]
    cv_signature = inspect.signature(PrunedClassifierCV).parameters
    clf_signature = inspect.signature(PrunedClassifier).parameters
    shared = [name for name in clf_signature if name != "sparsity"]
    assert list(cv_signature) == own + shared
    for name in shared:
        assert cv_signature[name].default is clf_signature[name].default, name
        assert (
            PrunedClassifierCV._parameter_constraints[name]
            is PrunedClassifier._parameter_constraints[name]
        )
    assert set(PrunedClassifierCV().get_params()) == set(own + shared)
    assert PrunedClassifierCV(max_epochs=3).get_params()["max_epochs"] == 3


def test_a_parameter_it_does_not_have_is_refused_as_python_would():
    with pytest.raises(TypeError, match="unexpected keyword argument 'sparsity'"):
        PrunedClassifierCV(sparsity=0.5)


def test_rank_test_score_ranks_ties_as_grid_search_does():
    curve = Bunch(
        sparsities=np.array([0.0, 0.5, 0.9, 0.99]),
        test_scores=np.array([[0.9, 0.9], [0.95, 0.95], [0.9, 0.9], [np.nan, 0.5]]),
        achieved_sparsity=np.zeros((4, 2)),
        compression_ratio=np.ones((4, 2)),
        fit_time=np.ones((4, 2)),
    )
    assert _cv_results(curve)["rank_test_score"].tolist() == [2, 1, 2, 4]


# ------------------------------------------------------------- selection rule

SPARSITIES = [0.0, 0.5, 0.75, 0.9, 0.95]


@pytest.mark.parametrize(
    "scores, score_tol, expected",
    [
        # 0.9 is within 0.01 of the dense 0.95; 0.95 is not.
        ([0.95, 0.955, 0.945, 0.941, 0.90], 0.01, 0.9),
        # Not monotone: 0.75 falls short but the higher 0.9 qualifies.
        ([0.95, 0.95, 0.93, 0.945, 0.50], 0.01, 0.9),
        # Exactly at the tolerance counts as within it.
        ([0.95, 0.94, 0.90, 0.80, 0.70], 0.01, 0.5),
        # Nothing sparse is good enough: stay dense.
        ([0.95, 0.90, 0.90, 0.80, 0.70], 0.01, 0.0),
        # A tolerance of 0: only as good as dense or better.
        ([0.95, 0.96, 0.95, 0.949, 0.90], 0.0, 0.75),
        # A larger tolerance buys more sparsity.
        ([0.95, 0.94, 0.93, 0.92, 0.90], 0.05, 0.95),
        # None: the best mean score ...
        ([0.90, 0.93, 0.92, 0.91, 0.50], None, 0.5),
        # ... and on ties the higher sparsity.
        ([0.90, 0.93, 0.93, 0.91, 0.50], None, 0.75),
        # NaN never qualifies.
        ([0.95, 0.95, np.nan, np.nan, np.nan], 0.01, 0.5),
    ],
)
def test_select_sparsity_keeps_highest_sparsity_within_tolerance(
    scores, score_tol, expected
):
    index = _select_sparsity(SPARSITIES, scores, score_tol)
    assert SPARSITIES[index] == expected


def test_select_sparsity_falls_back_to_dense_when_all_scores_are_nan():
    assert _select_sparsity([0.0, 0.5], [np.nan, np.nan], 0.01) == 0
    assert _select_sparsity([0.0, 0.5], [np.nan, np.nan], None) == 0


def test_select_sparsity_needs_the_dense_reference():
    with pytest.raises(ValueError, match="must include 0"):
        _select_sparsity([0.5, 0.9], [0.9, 0.8], 0.01)


# ------------------------------------------------------------------- fitting


@pytest.fixture(scope="module")
def fitted_cv():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X[:360] / 16.0).astype(np.float32)
    names = np.array(list("abcdefghij"))[y[:360]]
    search = PrunedClassifierCV(**{**FAST, "sparsities": (0.5, 0.8, 0.95)})
    return search.fit(X, names), X, names


def test_fit_adds_the_dense_reference_and_records_every_candidate(fitted_cv):
    search, _, _ = fitted_cv
    results = pd.DataFrame(search.cv_results_)
    assert results["sparsity"].tolist() == [0.0, 0.5, 0.8, 0.95]
    assert {"split0_test_score", "split1_test_score", "mean_test_score"} <= set(results)
    np.testing.assert_allclose(
        results["mean_achieved_sparsity"], results["sparsity"], atol=0.01
    )
    assert sorted(results["rank_test_score"]) == [1, 2, 3, 4]
    assert search.dense_score_ == results["mean_test_score"][0]


def test_fit_chooses_by_the_rule_and_refits_at_that_sparsity(fitted_cv):
    search, X, _ = fitted_cv
    results = search.cv_results_
    index = _select_sparsity(results["sparsity"], results["mean_test_score"], 0.01)
    assert search.best_index_ == index
    assert search.best_sparsity_ == results["sparsity"][index]
    assert search.best_score_ == results["mean_test_score"][index]
    assert search.best_estimator_.sparsity == search.best_sparsity_
    assert search.sparsity_ == pytest.approx(search.best_sparsity_, abs=0.01)
    assert search.n_iter_ == FAST["max_epochs"]
    assert search.module_ is search.best_estimator_.module_
    assert search.n_nonzero_ == search.best_estimator_.n_nonzero_
    np.testing.assert_array_equal(search.classes_, list("abcdefghij"))
    np.testing.assert_array_equal(
        search.predict_proba(X), search.best_estimator_.predict_proba(X)
    )
    assert set(search.predict(X)) <= set(search.classes_)


def test_refit_is_the_same_as_a_pruned_classifier_at_the_chosen_sparsity(fitted_cv):
    search, X, names = fitted_cv
    params = {k: v for k, v in FAST.items() if k not in ("sparsities", "cv")}
    clf = PrunedClassifier(sparsity=search.best_sparsity_, **params).fit(X, names)
    np.testing.assert_allclose(search.predict_proba(X), clf.predict_proba(X))


def test_score_tol_none_keeps_the_best_mean_score(fitted_cv):
    search, X, names = fitted_cv
    other = clone(search).set_params(score_tol=None).fit(X, names)
    scores = other.cv_results_["mean_test_score"]
    assert other.best_score_ == scores.max()


def test_pickle_keeps_shared_attributes_identical(fitted_cv):
    search, X, _ = fitted_cv
    loaded = pickle.loads(pickle.dumps(search))
    assert loaded.module_ is loaded.best_estimator_.module_
    assert loaded.best_sparsity_ == search.best_sparsity_
    np.testing.assert_allclose(loaded.predict_proba(X), search.predict_proba(X))


def test_works_at_the_end_of_a_pipeline_with_dataframe_input():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    X, y = data.data.iloc[:240], data.target.iloc[:240]
    search = PrunedClassifierCV(**{**FAST, "sparsities": (0.9,)})
    pipe = make_pipeline(StandardScaler(), search).set_output(transform="pandas")
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
    assert list(search.feature_names_in_) == list(X.columns)
    assert search.cv_results_["sparsity"].tolist() == [0.0, 0.9]


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"sparsities": [0.5, 1.0]}, ValueError, r"sparsities must be .* \[0, 1\)"),
        ({"sparsities": []}, ValueError, "at least one value"),
        ({"score_tol": -0.1}, ValueError, "score_tol"),
        ({"cv": "five"}, ValueError, "cv"),
    ],
)
def test_bad_parameters_raise_clear_errors(blobs, params, error, match):
    X, y = blobs
    with pytest.raises(error, match=match):
        PrunedClassifierCV(**{**FAST, **params}).fit(X, y)


def test_short_training_and_class_weight_need_no_finetune_epochs(blobs):
    X, y = blobs
    search = PrunedClassifierCV(
        sparsities=(0.5,),
        cv=2,
        hidden_layer_sizes=(16,),
        max_epochs=3,
        class_weight="balanced",
        random_state=0,
    ).fit(X, y)
    assert search.finetune_epochs_ == 0
    assert search.n_iter_ == 3
    assert search.cv_results_["sparsity"].tolist() == [0.0, 0.5]


def test_sample_weight_weighs_the_search_and_the_refit(blobs):
    X, y = blobs
    w = np.where(y == 0, 4.0, 0.5)
    search = PrunedClassifierCV(**FAST).fit(X, y, sample_weight=w)
    plain = PrunedClassifierCV(**FAST).fit(X, y)
    assert not np.array_equal(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    params = {k: v for k, v in FAST.items() if k not in ("sparsities", "cv")}
    refit = PrunedClassifier(sparsity=search.best_sparsity_, **params)
    refit.fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(search.predict_proba(X), refit.predict_proba(X))
    ones = PrunedClassifierCV(**FAST).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(
        ones.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(ones.predict_proba(X), plain.predict_proba(X))
