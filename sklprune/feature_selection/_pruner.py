"""FeatureImportancePruner: drop the input features a network does not need.

Scoring the input features of a trained model and keeping the best ones is
structured pruning of the input layer: every dropped feature removes a whole column
of the first layer's weights. The target may be class labels or numbers to
regress. Four scores are available:

* ``"permutation"`` — how much a held-out score falls when a feature's values are
  shuffled (any classifier or regressor);
* ``"gradient"`` — input saliency ``mean |dL/dx_j * x_j|`` over the training data
  (a skorch net, :class:`~sklprune.PrunedClassifier` or
  :class:`~sklprune.PrunedRegressor`);
* ``"weight"`` — the norm of feature ``j``'s column in the first ``nn.Linear`` layer
  (the same networks);
* ``"auto"`` — ``coef_`` or ``feature_importances_`` when the estimator has them,
  ``"gradient"`` for a network, ``"permutation"`` otherwise.
"""

import numbers
import warnings
from copy import deepcopy
from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectorMixin
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv, cross_validate, train_test_split
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ..classifier import PrunedClassifier
from ..importance_display import FeatureImportanceDisplay
from ..regressor import PrunedRegressor
from ._scores import (
    attribute_importances,
    baseline_score,
    gradient_importances,
    is_network,
    model_attribute,
    permutation_scores,
    weight_importances,
)
from ._selection import (
    check_threshold,
    is_regression_target,
    min_class_count,
    n_keep,
    threshold_value,
)

__all__ = ["FeatureImportanceDisplay", "FeatureImportancePruner"]

METHODS = ("auto", "gradient", "permutation", "weight")

# The default network, chosen on measurements (3-4 seeds each):
# * weight decay: on 2,000 samples of 200 standardised features (10 informative),
#   1e-4 let the network lean on noise features (7 of the 10 informative in the
#   "gradient" top 20), 1e-2 put 9-10 there for every method; 3e-2 did as well but
#   left the network at chance on the bundled TF-IDF reviews.
# * no pruning: pruning this network to 95 % helped "gradient" on 1,500 samples of
#   those 200 features (8-9 informative in the top 20 instead of 7) but lost
#   informative features on small tables (300-500 samples of 10-20 features), where
#   too few weights per feature survive.
DEFAULT_NETWORK = {
    "hidden_layer_sizes": (64,),
    "sparsity": 0.0,
    "weight_decay": 1e-2,
    "max_epochs": 15,
    "finetune_epochs": 0,
}
# The default network of a continuous target: the same PrunedRegressor, trained
# twice as long. Informative features among the top k of "gradient" (standardised
# inputs, seeds 0-7): 400 samples of make_friedman1 with 15 features (5
# informative) 13 of 15 at 15 epochs (seeds 0-2), 22 of 25 at 20 epochs, 25 of 25
# at 30 and 40 (seeds 3-7); 1,500 samples of make_regression with 200 features (10
# informative) 28 of 30 at 15 epochs, 29 of 30 at 30 (seeds 0-2), 47 and 48 of 50
# at 20 and 30 (seeds 3-7); 1,500 samples of make_friedman1 with 50 features: all
# 5 at 15 and at 30 epochs. "weight" and "permutation" moved the same way.
DEFAULT_REGRESSION_NETWORK = {**DEFAULT_NETWORK, "max_epochs": 30}


class FeatureImportancePruner(SelectorMixin, BaseEstimator):
    """Keep the input features a network needs; drop the others.

    Fits an estimator (by default a small neural network), scores every input
    feature with it, and keeps the best-scored features. In front of a
    :class:`~sklprune.PrunedClassifier` or :class:`~sklprune.PrunedRegressor`
    this prunes whole columns of the first layer: the network that follows is
    smaller and faster, and a text vocabulary of 50,000 terms can shrink to the
    few thousand the model uses. Dense, pandas and scipy.sparse input are
    accepted; sparse input stays sparse, and is never densified whole.

    Parameters
    ----------
    estimator : None or estimator, default=None
        The model whose view of the features is measured. ``None`` trains a
        small dense network (one hidden layer of 64 units,
        ``weight_decay=1e-2``) seeded from ``random_state``: a
        :class:`~sklprune.PrunedRegressor` trained 30 epochs when ``y`` holds
        floats with a fractional value or more than 30 distinct values (a
        target to regress, such as load_diabetes'), else a
        :class:`~sklprune.PrunedClassifier` trained 15 epochs (class labels:
        integers, strings, or floats such as 0.0 and 1.0); for a regression
        target of integers, pass a ``PrunedRegressor``. Any
        scikit-learn classifier or regressor, a skorch net, a
        :class:`~sklprune.PrunedClassifier` or a
        :class:`~sklprune.PrunedRegressor` may be given; it is cloned (or, with
        ``prefit=True``, copied) and never changed.
    method : {"auto", "permutation", "gradient", "weight"}, default="auto"
        How features are scored:

        - ``"permutation"``: mean fall of the held-out score when the feature's
          values are shuffled (:func:`~sklearn.inspection.permutation_importance`
          with ``n_repeats`` shuffles, on a validation split or on ``cv``
          folds). Works with every estimator; costs ``n_features * n_repeats``
          predictions, so it suits tables better than text.
        - ``"gradient"``: mean over the training data of the input saliency
          ``|dL/dx_j * x_j|``, with ``L`` the network's own per-sample loss
          (for a :class:`~sklprune.PrunedRegressor`, its regression loss on
          the standardised targets it trains on). Needs a skorch net,
          :class:`~sklprune.PrunedClassifier` or
          :class:`~sklprune.PrunedRegressor`.
        - ``"weight"``: L2 norm of feature ``j``'s column in the first
          :class:`torch.nn.Linear` of the network (which must read the input
          features directly). Needs a skorch net,
          :class:`~sklprune.PrunedClassifier` or
          :class:`~sklprune.PrunedRegressor`; scale the inputs first, as the
          norm does not see feature scales.
        - ``"auto"``: ``coef_`` (L1 norm over classes) or
          ``feature_importances_`` when the fitted estimator has them,
          ``"gradient"`` for a network, ``"permutation"`` otherwise (an
          estimator found to have neither is fitted again, on the training
          part of the split).
    keep : int, float or None, default=None
        How many features to keep: a count, or a fraction of the features in
        (0, 1] (rounded to the nearest count, at least 1). A count larger than
        the number of features keeps them all with a warning, so a grid over
        ``keep`` survives upstream steps that change the number of features.
        ``None`` keeps every feature that passes ``threshold``.
    threshold : float, str or None, default=None
        Minimum importance of a kept feature: a number, ``"mean"``,
        ``"median"`` or a scaled reference such as ``"1.5*mean"``, as in
        :class:`~sklearn.feature_selection.SelectFromModel`. ``None`` means no
        threshold when ``keep`` is given, else ``"mean"``. With both ``keep``
        and ``threshold``, at most ``keep`` features above the threshold are
        kept. ``keep`` and ``threshold`` are read when the selection is
        applied, so ``set_params(keep=...)`` on a fitted pruner re-selects
        without scoring again.
    prefit : bool, default=False
        Whether ``estimator`` is already fitted. It is then not trained again:
        ``fit(X, y)`` only scores the features on ``X, y``, which for
        ``"permutation"`` should be data the estimator was not trained on.
    cv : int, cross-validation generator, iterable or None, default=None
        For ``"permutation"``: ``None`` fits once and scores on a held-out
        ``validation_fraction`` of the data; otherwise the estimator is fitted
        on each training fold, the features are scored on the matching test
        fold, and the scores are pooled. Cannot be combined with ``prefit``.
    validation_fraction : float, default=0.2
        Share of the data held out for ``"permutation"`` when ``cv=None``
        (stratified for classifiers where every class has 2 samples or more).
    n_repeats : int, default=5
        Shuffles per feature for ``"permutation"``.
    scoring : str, callable or None, default=None
        Score that ``"permutation"`` watches fall. ``None`` uses the log-loss
        of a classifier with ``predict_proba`` (it moves with every shuffled
        value, where accuracy on a small validation set barely moves), and
        the estimator's ``score`` otherwise: R² for a regressor, whose fall is
        the rise of the mean squared error divided by the variance of ``y``.
        Any regression scorer may be given, such as
        ``"neg_mean_absolute_error"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default network, the validation split and the shuffles. A
        given estimator keeps its own ``random_state``.
    n_jobs : int or None, default=None
        Parallel jobs over features for ``"permutation"``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator the features were scored with: trained on the
        whole of ``X``, or on the training part of the validation split for
        ``"permutation"``; with ``cv``, trained on the whole of ``X`` after the
        folds were scored; with ``prefit=True``, a copy of ``estimator``.
    estimators_ : list of estimators
        With ``"permutation"`` and ``cv``: the estimator of each fold.
    method_ : str
        The score used: ``"permutation"``, ``"gradient"``, ``"weight"``,
        ``"coef_"`` or ``"feature_importances_"`` (the last two from
        ``"auto"``).
    importances_ : ndarray of shape (`n_features_in_`,)
        One score per input feature; higher is more important.
    importances_std_ : ndarray of shape (`n_features_in_`,)
        With ``"permutation"``: standard deviation of the score over shuffles
        (and folds).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    FeatureImportanceDisplay : Bar chart of the most important features.
    sklearn.feature_selection.SelectFromModel : Selection from ``coef_`` or
        ``feature_importances_``.

    Notes
    -----
    ``"gradient"`` is measured on the training data, where the loss of a
    network that fits it perfectly has vanishing gradients on most samples; it
    then ranks features from the few samples still misfit. On 1,500 samples of
    200 features, 10 of them informative, the default network's
    ``"gradient"`` top 20 held 7 of the 10, ``"weight"`` all 10 and
    ``"permutation"`` 8 or 9, over three seeds
    (``benchmarks/bench_feature_selection.py``). Unlike ``"weight"``,
    ``"gradient"`` does not depend on the scale of the inputs.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklprune import FeatureImportancePruner
    >>> X, y = make_classification(
    ...     n_samples=500, n_features=20, n_informative=3, n_redundant=0,
    ...     shuffle=False, random_state=0,
    ... )
    >>> pruner = FeatureImportancePruner(keep=3, method="gradient", random_state=0)
    >>> pruner.fit_transform(X, y).shape
    (500, 3)
    >>> pruner.get_support(indices=True)  # the informative features come first
    array([0, 1, 2])
    >>> pruner.importances_.shape
    (20,)

    A continuous target trains a :class:`~sklprune.PrunedRegressor`, and its
    regression loss scores the features:

    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.preprocessing import scale
    >>> X, y = make_friedman1(n_samples=500, n_features=10, random_state=0)
    >>> pruner = FeatureImportancePruner(keep=5, random_state=0).fit(scale(X), y)
    >>> type(pruner.estimator_).__name__, pruner.method_
    ('PrunedRegressor', 'gradient')
    >>> pruner.get_support(indices=True)  # y depends on the first five only
    array([0, 1, 2, 3, 4])
    """

    _parameter_constraints = {
        "estimator": [None, HasMethods("fit")],
        "method": [StrOptions(set(METHODS))],
        "keep": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
            None,
        ],
        "threshold": [Interval(numbers.Real, None, None, closed="both"), str, None],
        "prefit": ["boolean"],
        "cv": ["cv_object"],
        "validation_fraction": [Interval(RealNotInt, 0, 1, closed="neither")],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        method="auto",
        keep=None,
        threshold=None,
        prefit=False,
        cv=None,
        validation_fraction=0.2,
        n_repeats=5,
        scoring=None,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.method = method
        self.keep = keep
        self.threshold = threshold
        self.prefit = prefit
        self.cv = cv
        self.validation_fraction = validation_fraction
        self.n_repeats = n_repeats
        self.scoring = scoring
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the estimator and score every input feature.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is kept sparse.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or target values to regress (several columns for a
            regressor of several targets).

        Returns
        -------
        self : FeatureImportancePruner
            The fitted pruner.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            ensure_all_finite=not self.__sklearn_tags__().input_tags.allow_nan,
            multi_output=True,
        )
        check_threshold(self.threshold)
        self._warn_if_keep_exceeds(X.shape[1])
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=3)
        model_seed, split_seed, shuffle_seed = (int(s) for s in seeds)
        for name in ("estimators_", "importances_std_"):
            if hasattr(self, name):
                delattr(self, name)

        if self.prefit:
            method = self._fit_prefit(X)
        else:
            base = self._base_estimator(model_seed, y)
            method = self.method
            if method == "auto" and is_network(base):
                method = "gradient"
            if method != "permutation":
                self.estimator_ = clone(base).fit(X, y)
            if method == "auto":
                method = model_attribute(self.estimator_) or "permutation"

        if method != "permutation":
            self.importances_ = self._score(method, X, y)
        else:
            if self.prefit:  # the data passed to fit are the held-out data
                scores = self._permutation_scores(self.estimator_, X, y, shuffle_seed)
            else:
                scores = self._fit_permutation(base, X, y, split_seed, shuffle_seed)
            self.importances_ = scores.mean(axis=1)
            self.importances_std_ = scores.std(axis=1)
        self.method_ = method
        return self

    @property
    def threshold_(self):
        """float: The importance threshold in force (``-inf`` when none)."""
        check_is_fitted(self)
        return threshold_value(self.threshold, self.keep, self.importances_)

    def _get_support_mask(self):
        check_is_fitted(self)
        scores = self.importances_
        mask = np.ones(scores.shape[0], dtype=bool)
        if self.keep is not None:
            order = np.argsort(-scores, kind="stable")
            mask[order[n_keep(self.keep, scores.shape[0]) :]] = False
        return mask & (scores >= self.threshold_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator = self.estimator
        if estimator is None:
            estimator = PrunedClassifier()
        estimator_tags = get_tags(estimator).input_tags
        tags.input_tags.sparse = estimator_tags.sparse
        tags.input_tags.allow_nan = estimator_tags.allow_nan and self.method in (
            "auto",
            "permutation",
        )
        tags.target_tags.required = True
        return tags

    # ---------------------------------------------------------------- fitting

    def _base_estimator(self, seed, y):
        if self.estimator is not None:
            return self.estimator
        if is_regression_target(y):
            return PrunedRegressor(random_state=seed, **DEFAULT_REGRESSION_NETWORK)
        return PrunedClassifier(random_state=seed, **DEFAULT_NETWORK)

    def _fit_prefit(self, X):
        if self.estimator is None:
            raise ValueError(
                "prefit=True needs a fitted estimator; got estimator=None. Pass "
                "the fitted model as estimator, or set prefit=False to train one."
            )
        if self.cv is not None:
            raise ValueError(
                "cv cannot be combined with prefit=True: a prefit estimator is not "
                "trained again, so its features are scored on the data passed to "
                "fit. Set cv=None, or prefit=False to score on cross-validation "
                "folds."
            )
        try:
            check_is_fitted(self.estimator)
        except NotFittedError as exc:
            raise NotFittedError(
                "prefit=True expects a fitted estimator; "
                f"{type(self.estimator).__name__} is not fitted. Fit it first, or "
                "set prefit=False."
            ) from exc
        self.estimator_ = deepcopy(self.estimator)
        n_features = getattr(self.estimator_, "n_features_in_", X.shape[1])
        if n_features != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the prefit "
                f"{type(self.estimator_).__name__} was trained on {n_features}."
            )
        if self.method != "auto":
            return self.method
        if is_network(self.estimator_):
            return "gradient"
        return model_attribute(self.estimator_) or "permutation"

    def _fit_permutation(self, base, X, y, split_seed, shuffle_seed):
        if self.cv is None:
            stratify = y if is_classifier(base) and min_class_count(y) >= 2 else None
            X_train, X_valid, y_train, y_valid = train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                random_state=split_seed,
                stratify=stratify,
            )
            self.estimator_ = clone(base).fit(X_train, y_train)
            return self._permutation_scores(
                self.estimator_, X_valid, y_valid, shuffle_seed
            )
        folds = cross_validate(
            base,
            X,
            y,
            cv=check_cv(self.cv, y, classifier=is_classifier(base)),
            scoring=partial(baseline_score, scoring=self.scoring),
            return_estimator=True,
            return_indices=True,
            error_score="raise",
        )
        self.estimators_ = list(folds["estimator"])
        fold_scores = [
            self._permutation_scores(estimator, X[test], y[test], shuffle_seed)
            for estimator, test in zip(self.estimators_, folds["indices"]["test"])
        ]
        self.estimator_ = clone(base).fit(X, y)
        return np.hstack(fold_scores)

    def _permutation_scores(self, estimator, X, y, seed):
        return permutation_scores(
            estimator,
            X,
            y,
            scoring=self.scoring,
            n_repeats=self.n_repeats,
            random_state=seed,
            n_jobs=self.n_jobs,
        )

    def _score(self, method, X, y):
        n_features = X.shape[1]
        if method == "gradient":
            importances = gradient_importances(self.estimator_, X, y)
        elif method == "weight":
            importances = weight_importances(self.estimator_, n_features)
        else:
            importances = attribute_importances(self.estimator_, method)
        if importances.shape != (n_features,):
            raise ValueError(
                f"{type(self.estimator_).__name__}.{method} gives "
                f"{importances.shape} scores for {n_features} features; it must "
                "give one per feature."
            )
        return importances

    def _warn_if_keep_exceeds(self, n_features):
        if isinstance(self.keep, numbers.Integral) and self.keep > n_features:
            warnings.warn(
                f"keep={self.keep} is larger than the number of features "
                f"({n_features}): all {n_features} features are kept.",
                UserWarning,
                stacklevel=3,
            )
