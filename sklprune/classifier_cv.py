"""PrunedClassifierCV: a pruned classifier that chooses its sparsity by CV."""

import inspect
import numbers

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._training.pretrained import share_trained_module
from ._training.validation import check_sparsities
from .classifier import PrunedClassifier
from .pruning_path import pruning_curve

_OWN_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


class PrunedClassifierCV(ClassifierMixin, BaseEstimator):
    """A pruned classifier that picks the highest sparsity it can afford.

    Runs a pruning path (see :func:`~sklprune.pruning_path.pruning_curve`) on every
    cross-validation fold, keeps the **highest** sparsity whose mean test score is
    within ``score_tol`` of the dense network's, then refits a
    :class:`~sklprune.PrunedClassifier` on all the data at that sparsity, with the
    full pruning schedule. Like :class:`~sklearn.linear_model.LogisticRegressionCV`
    it is an ordinary classifier: it predicts with the refitted network and exposes
    every fitted attribute a :class:`~sklprune.PrunedClassifier` has.

    Parameters
    ----------
    sparsities : array-like of float, default=(0.0, 0.5, 0.75, 0.9, 0.95, 0.98)
        Candidate sparsities in [0, 1). 0 is added when missing: the dense network
        is the reference of ``score_tol``.
    score_tol : float or None, default=0.01
        How much mean CV score may be given up for sparsity, in the units of the
        score (0.01 = one point of accuracy). ``None`` keeps the sparsity with the
        best mean score (the higher one on ties).
    cv : int, cross-validation generator or iterable, default=5
        As for :func:`~sklearn.model_selection.cross_validate`; an int gives a
        :class:`~sklearn.model_selection.StratifiedKFold`.
    scoring : str, callable or None, default=None
        One scorer; ``None`` uses accuracy.
    n_jobs : int or None, default=None
        Folds run in parallel with joblib; ``None`` means 1.
    **classifier_params
        Every parameter of :class:`~sklprune.PrunedClassifier` but ``sparsity``,
        by keyword, with the same meaning and default (the signature is built
        from PrunedClassifier's, so the two cannot drift apart).
        ``finetune_epochs`` also sets the fine-tuning after each step of the
        pruning path; ``class_weight`` weighs the loss of every fit and step;
        ``tol`` is the early stopping tolerance, not the score tolerance;
        ``compact`` applies to the refitted network only.

    Attributes
    ----------
    best_sparsity_ : float
        The chosen target sparsity.
    best_score_ : float
        Mean CV score at ``best_sparsity_``.
    best_index_ : int
        Index of ``best_sparsity_`` in ``cv_results_["sparsity"]``.
    dense_score_ : float
        Mean CV score of the dense network (sparsity 0).
    cv_results_ : dict of str to ndarray
        One entry per candidate, for :class:`pandas.DataFrame`: ``sparsity``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``split{k}_achieved_sparsity``,
        ``mean_achieved_sparsity``, ``mean_compression_ratio``, ``mean_fit_time``
        and ``std_fit_time`` (seconds to reach the point on a fold).
    best_estimator_ : PrunedClassifier
        The classifier refitted on all the data at ``best_sparsity_``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.
    net_, module_, history_, sparsity_, n_parameters_, n_nonzero_, n_iter_, \
finetune_epochs_
        Those of ``best_estimator_``; ``sparsity_`` is the achieved sparsity of the
        refitted network.

    See Also
    --------
    PrunedClassifier : The classifier at a fixed sparsity.
    sklprune.pruning_path.pruning_curve : The cross-validated pruning path.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> search = PrunedClassifierCV(
    ...     sparsities=[0.5, 0.9, 0.99], cv=3, hidden_layer_sizes=(32,),
    ...     max_epochs=10, finetune_epochs=2, random_state=0,
    ... )
    >>> clf = make_pipeline(StandardScaler(), search).fit(X, y)
    >>> search.cv_results_["sparsity"]
    array([0.  , 0.5 , 0.9 , 0.99])
    >>> bool(search.best_score_ >= search.dense_score_ - 0.01)
    True
    >>> bool(abs(search.sparsity_ - search.best_sparsity_) < 0.01)
    True
    """

    _parameter_constraints = {
        "sparsities": ["array-like"],
        "score_tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [numbers.Integral, None],
        **{
            name: constraint
            for name, constraint in PrunedClassifier._parameter_constraints.items()
            if name != "sparsity"
        },
    }

    def __init__(
        self,
        sparsities=(0.0, 0.5, 0.75, 0.9, 0.95, 0.98),
        score_tol=0.01,
        cv=5,
        scoring=None,
        n_jobs=None,
        **classifier_params,
    ):
        self.sparsities = sparsities
        self.score_tol = score_tol
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        for parameter in _CLASSIFIER_PARAMETERS:
            value = classifier_params.pop(parameter.name, parameter.default)
            setattr(self, parameter.name, value)
        if classifier_params:
            name = next(iter(classifier_params))
            raise TypeError(
                "PrunedClassifierCV.__init__() got an unexpected keyword argument "
                f"{name!r}"
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Cross-validate the pruning path, choose the sparsity, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (strings, integers or booleans).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples: they weigh the loss of every fit
            (the folds' and the refit's, as for :meth:`PrunedClassifier.fit`) and
            the cross-validated scores of the test folds.

        Returns
        -------
        self : PrunedClassifierCV
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"), dtype=np.float32)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                "PrunedClassifierCV needs samples of at least 2 classes in the data; "
                f"got 1 class: {classes[0]!r}."
            )
        sparsities = check_sparsities(self.sparsities)
        if sparsities[0] != 0.0:
            sparsities = np.concatenate([[0.0], sparsities])
        base = PrunedClassifier(**self._classifier_params())
        curve = pruning_curve(
            base,
            X,
            y,
            sparsities=sparsities,
            sample_weight=sample_weight,
            cv=check_cv(self.cv, y, classifier=True),
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

    def _expose_fitted_attributes(self):
        """Expose the refitted classifier's fitted attributes as our own."""
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
        if "best_estimator_" in state:
            self._expose_fitted_attributes()

    def predict_proba(self, X):
        """Class probabilities of the refitted network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=np.float32, reset=False
        )
        return self.best_estimator_.predict_proba(X)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __sklearn_clone__(self):
        return share_trained_module(self, super().__sklearn_clone__())

    def _classifier_params(self):
        names = set(PrunedClassifier._get_param_names()) - {"sparsity"}
        return {k: v for k, v in self.get_params(deep=False).items() if k in names}


def _shared_attributes(estimator):
    """The public fitted attributes of a PrunedClassifier we expose as our own."""
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_")
        and not name.startswith("_")
        and name not in _OWN_ATTRIBUTES
    }


def _classifier_parameters():
    """PrunedClassifier's constructor parameters but ``sparsity``, keyword-only."""
    return [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for name, parameter in inspect.signature(PrunedClassifier).parameters.items()
        if name != "sparsity"
    ]


_CLASSIFIER_PARAMETERS = _classifier_parameters()
# get_params, clone, help() and the documentation read the parameters from this
# signature: the own ones, then PrunedClassifier's in place of **classifier_params.
_signature = inspect.signature(PrunedClassifierCV.__init__)
PrunedClassifierCV.__init__.__signature__ = _signature.replace(
    parameters=[*list(_signature.parameters.values())[:-1], *_CLASSIFIER_PARAMETERS]
)


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
