"""The core the CV estimators share: the sparsity chosen by cross-validating a
pruning path, a refit at that sparsity, and the refitted estimator's attributes.

:class:`BasePrunedCV` is to :class:`~sklprune.PrunedClassifierCV` and
:class:`~sklprune.PrunedRegressorCV` what ``_BaseRidgeCV`` is to scikit-learn's
``RidgeClassifierCV`` and ``RidgeCV``. A subclass names the estimator it refits
(``_estimator_class``), checks the targets (``_check_targets``), adds its
predictions, and is given the estimator's parameters by :func:`take_parameters_of`.
"""

import numbers
from abc import ABCMeta, abstractmethod

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._signatures import bind_parameters, keyword_parameters, set_parameters
from ._training.pretrained import share_trained_module
from ._training.validation import check_sparsities
from .pruning_path import pruning_curve

DEFAULT_SPARSITIES = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98)
_OWN_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


class BasePrunedCV(BaseEstimator, metaclass=ABCMeta):
    """Base class of the estimators that choose their sparsity by cross-validation.

    Do not use it directly: see :class:`~sklprune.PrunedClassifierCV` and
    :class:`~sklprune.PrunedRegressorCV`.
    """

    # Set by a subclass: the estimator refitted at the chosen sparsity.
    _estimator_class = None
    # Set by take_parameters_of: its parameters but sparsity.
    _estimator_parameters = ()

    _parameter_constraints = {
        "sparsities": ["array-like"],
        "score_tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [numbers.Integral, None],
    }

    @abstractmethod
    def __init__(self, *, sparsities, score_tol, cv, scoring, n_jobs, **params):
        self.sparsities = sparsities
        self.score_tol = score_tol
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        owner = type(self).__name__
        for name, value in bind_parameters(
            owner, params, self._estimator_parameters
        ).items():
            setattr(self, name, value)

    @abstractmethod
    def _check_targets(self, y):
        """Raise a ValueError for targets the estimator cannot fit."""

    def _fit(self, X, y, sample_weight):
        """Cross-validate the pruning path, choose the sparsity, refit: ``fit``."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=np.float32,
            **self._estimator_class._y_validation,
        )
        self._check_targets(y)
        sparsities = check_sparsities(self.sparsities)
        if sparsities[0] != 0.0:
            sparsities = np.concatenate([[0.0], sparsities])
        base = self._estimator_class(**self._estimator_params())
        curve = pruning_curve(
            base,
            X,
            y,
            sparsities=sparsities,
            sample_weight=sample_weight,
            cv=check_cv(self.cv, y, classifier=is_classifier(self)),
            scoring=self.scoring,
            return_train_score=False,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        self.cv_results_ = _cv_results(curve)
        mean = self.cv_results_["mean_test_score"]
        self.best_index_ = _select_sparsity(sparsities, mean, self.score_tol)
        self.best_sparsity_ = float(sparsities[self.best_index_])
        self.best_score_ = float(mean[self.best_index_])
        self.dense_score_ = float(mean[0])
        best = clone(base).set_params(sparsity=self.best_sparsity_)
        best.fit(X, y, sample_weight=sample_weight)
        self.best_estimator_ = best
        self._expose_fitted_attributes()
        return self

    def _validated_input(self, X):
        """``X`` checked against what ``fit`` saw, for a prediction."""
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=np.float32, reset=False
        )

    def _expose_fitted_attributes(self):
        """Expose the refitted estimator's fitted attributes as our own."""
        for name, value in _shared_attributes(self.best_estimator_).items():
            setattr(self, name, value)

    def __getstate__(self):
        # The attributes shared with best_estimator_ are pickled once, there, and
        # exposed again on load, so they stay the very same objects.
        state = dict(super().__getstate__())
        if "best_estimator_" in state:
            for name in _shared_attributes(state["best_estimator_"]):
                state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        # Parameters added since the file was saved take their defaults.
        for parameter in self._estimator_parameters:
            self.__dict__.setdefault(parameter.name, parameter.default)
        if "best_estimator_" in state:
            self._expose_fitted_attributes()

    def __sklearn_clone__(self):
        return share_trained_module(self, super().__sklearn_clone__())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _estimator_params(self):
        names = {parameter.name for parameter in self._estimator_parameters}
        return {k: v for k, v in self.get_params(deep=False).items() if k in names}


def take_parameters_of(cv_class):
    """Give a CV estimator every parameter of ``cv_class._estimator_class`` but
    ``sparsity``: the same names, defaults and constraints, so they cannot drift
    apart. Its ``__init__`` takes them as ``**params``; get_params, clone, help()
    and the documentation read them from its signature, which lists its own
    parameters first."""
    estimator_class = cv_class._estimator_class
    cv_class._estimator_parameters = keyword_parameters(
        estimator_class, exclude={"sparsity"}
    )
    cv_class._parameter_constraints = {
        **BasePrunedCV._parameter_constraints,
        **{
            name: constraint
            for name, constraint in estimator_class._parameter_constraints.items()
            if name != "sparsity"
        },
    }
    set_parameters(cv_class, cv_class._estimator_parameters)


def _shared_attributes(estimator):
    """The public fitted attributes of the refitted estimator we expose as our own."""
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_")
        and not name.startswith("_")
        and name not in _OWN_ATTRIBUTES
    }


def _rank(mean_scores):
    """Ranks of mean scores as GridSearchCV gives them: ties share the best rank,
    NaN ranks last."""
    if np.isnan(mean_scores).all():
        return np.ones(len(mean_scores), dtype=np.int32)
    filled = np.nan_to_num(mean_scores, nan=np.nanmin(mean_scores) - 1)
    return rankdata(-filled, method="min").astype(np.int32)


def _cv_results(curve):
    """A cv_results_ dict from a pruning_curve result."""
    results = {"sparsity": curve.sparsities}
    for key, values in (
        ("test_score", curve.test_scores),
        ("achieved_sparsity", curve.achieved_sparsity),
    ):
        for k in range(values.shape[1]):
            results[f"split{k}_{key}"] = values[:, k]
        results[f"mean_{key}"] = values.mean(axis=1)
        results[f"std_{key}"] = values.std(axis=1)
    results["rank_test_score"] = _rank(results["mean_test_score"])
    results["mean_compression_ratio"] = curve.compression_ratio.mean(axis=1)
    results["mean_fit_time"] = curve.fit_time.mean(axis=1)
    results["std_fit_time"] = curve.fit_time.std(axis=1)
    return results


def _select_sparsity(sparsities, mean_scores, score_tol):
    """Index of the chosen sparsity.

    With a tolerance: the highest sparsity whose mean score is at least the dense
    score (at sparsity 0, which must be present) minus ``score_tol``. Without one:
    the highest sparsity among those with the best mean score. NaN scores never
    qualify; the dense network always does.
    """
    sparsities = np.asarray(sparsities, dtype=float)
    scores = np.asarray(mean_scores, dtype=float)
    dense = sparsities == 0.0
    if not dense.any():
        raise ValueError("The candidate sparsities must include 0, the dense network.")
    if score_tol is None:
        best = np.nanmax(scores) if not np.isnan(scores).all() else np.nan
        ok = scores == best
    else:
        floor = scores[dense][0] - score_tol
        ok = (scores >= floor) | np.isclose(scores, floor, rtol=0.0, atol=1e-12)
    ok |= dense
    candidates = np.flatnonzero(ok)
    return int(candidates[np.argmax(sparsities[candidates])])
