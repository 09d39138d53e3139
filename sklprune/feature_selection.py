"""FeatureImportancePruner: drop the input features a network does not need.

Scoring the input features of a trained model and keeping the best ones is
structured pruning of the input layer: every dropped feature removes a whole column
of the first layer's weights. Four scores are available:

* ``"permutation"`` — how much a held-out score falls when a feature's values are
  shuffled (any estimator);
* ``"gradient"`` — input saliency ``mean |dL/dx_j * x_j|`` over the training data
  (a skorch net or :class:`~sklprune.PrunedClassifier`);
* ``"weight"`` — the norm of feature ``j``'s column in the first ``nn.Linear`` layer
  (a skorch net or :class:`~sklprune.PrunedClassifier`);
* ``"auto"`` — ``coef_`` or ``feature_importances_`` when the estimator has them,
  ``"gradient"`` for a network, ``"permutation"`` otherwise.
"""

import numbers
import warnings
from copy import deepcopy

import numpy as np
import scipy.sparse as sp
import torch
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectorMixin
from sklearn.inspection import permutation_importance
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv, train_test_split
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from torch import nn

from ._batching import dense_rows
from .classifier import PrunedClassifier

METHODS = ("auto", "gradient", "permutation", "weight")

# Rows per batch of the input-gradient pass: dense and sparse input alike are
# densified one batch at a time.
GRADIENT_BATCH_SIZE = 512

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


class FeatureImportancePruner(SelectorMixin, BaseEstimator):
    """Keep the input features a network needs; drop the others.

    Fits an estimator (by default a small neural network), scores every input
    feature with it, and keeps the best-scored features. In front of a
    :class:`~sklprune.PrunedClassifier` this prunes whole columns of the first
    layer: the network that follows is smaller and faster, and a text
    vocabulary of 50,000 terms can shrink to the few thousand the model uses.
    Dense, pandas and scipy.sparse input are accepted; sparse input stays
    sparse, and is never densified whole.

    Parameters
    ----------
    estimator : None or estimator, default=None
        The model whose view of the features is measured. ``None`` trains a
        small dense :class:`~sklprune.PrunedClassifier` (one hidden layer of 64
        units, 15 epochs, ``weight_decay=1e-2``) seeded from ``random_state``.
        Any scikit-learn estimator, a skorch net or a
        :class:`~sklprune.PrunedClassifier` may be given; it is cloned (or, with
        ``prefit=True``, copied) and never changed.
    method : {"auto", "permutation", "gradient", "weight"}, default="auto"
        How features are scored:

        - ``"permutation"``: mean fall of the held-out score when the feature's
          values are shuffled (:func:`~sklearn.inspection.permutation_importance`
          with ``n_repeats`` shuffles, on a validation split or on ``cv``
          folds). Works with every estimator; costs ``n_features * n_repeats``
          predictions, so it suits tables better than text.
        - ``"gradient"``: mean over the training data of the input saliency
          ``|dL/dx_j * x_j|``, with ``L`` the network's own per-sample loss.
          Needs a skorch net or :class:`~sklprune.PrunedClassifier`.
        - ``"weight"``: L2 norm of feature ``j``'s column in the first
          :class:`torch.nn.Linear` of the network (which must read the input
          features directly). Needs a skorch net or
          :class:`~sklprune.PrunedClassifier`; scale the inputs first, as the
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
        the estimator's ``score`` otherwise.
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
        y : array-like of shape (n_samples,)
            Target values.

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
        )
        _check_threshold(self.threshold)
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
            base = self._base_estimator(model_seed)
            method = self.method
            if method == "auto" and _is_network(base):
                method = "gradient"
            if method != "permutation":
                self.estimator_ = clone(base).fit(X, y)
            if method == "auto":
                method = _model_attribute(self.estimator_) or "permutation"

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
        return _threshold_value(self.threshold, self.keep, self.importances_)

    def _get_support_mask(self):
        check_is_fitted(self)
        scores = self.importances_
        mask = np.ones(scores.shape[0], dtype=bool)
        if self.keep is not None:
            order = np.argsort(-scores, kind="stable")
            mask[order[_n_keep(self.keep, scores.shape[0]) :]] = False
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

    def _base_estimator(self, seed):
        if self.estimator is None:
            return PrunedClassifier(random_state=seed, **DEFAULT_NETWORK)
        return self.estimator

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
        if _is_network(self.estimator_):
            return "gradient"
        return _model_attribute(self.estimator_) or "permutation"

    def _fit_permutation(self, base, X, y, split_seed, shuffle_seed):
        if self.cv is None:
            stratify = y if is_classifier(base) and _min_class_count(y) >= 2 else None
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
        cv = check_cv(self.cv, y, classifier=is_classifier(base))
        self.estimators_, fold_scores = [], []
        for train, test in cv.split(X, y):
            fold_estimator = clone(base).fit(X[train], y[train])
            self.estimators_.append(fold_estimator)
            fold_scores.append(
                self._permutation_scores(fold_estimator, X[test], y[test], shuffle_seed)
            )
        self.estimator_ = clone(base).fit(X, y)
        return np.hstack(fold_scores)

    def _permutation_scores(self, estimator, X, y, seed):
        return _permutation_scores(
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
            importances = _gradient_importances(self.estimator_, X, y)
        elif method == "weight":
            importances = _weight_importances(self.estimator_, n_features)
        else:
            importances = _attribute_importances(self.estimator_, method)
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


class FeatureImportanceDisplay:
    """Bar chart of the most important input features.

    Build it with :meth:`from_estimator` from a fitted
    :class:`FeatureImportancePruner`, or directly from scores. Kept features are
    drawn in colour, dropped ones in grey.

    Parameters
    ----------
    importances : array-like of shape (n_features,)
        One score per feature.
    importances_std : array-like of shape (n_features,) or None, default=None
        Spread of each score, drawn as error bars.
    feature_names : array-like of str or None, default=None
        Names of the features; ``None`` names them ``x0, x1, ...``.
    support : array-like of bool of shape (n_features,) or None, default=None
        Which features are kept; ``None`` draws every bar in one colour.
    method : str or None, default=None
        Name of the score, used in the axis label.

    Attributes
    ----------
    ax_ : matplotlib.axes.Axes
        The axes drawn into.
    figure_ : matplotlib.figure.Figure
        The figure holding ``ax_``.
    bars_ : matplotlib.container.BarContainer
        The bars, most important feature first.
    order_ : ndarray of int
        Indices of the features drawn, most important first.

    See Also
    --------
    FeatureImportancePruner : Scores and selects the features.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from sklprune import FeatureImportanceDisplay, FeatureImportancePruner
    >>> X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    >>> pruner = FeatureImportancePruner(keep=3, method="weight", random_state=0)
    >>> display = FeatureImportanceDisplay.from_estimator(pruner.fit(X, y), top=5)
    >>> len(display.bars_)
    5
    """

    def __init__(
        self,
        importances,
        *,
        importances_std=None,
        feature_names=None,
        support=None,
        method=None,
    ):
        self.importances = importances
        self.importances_std = importances_std
        self.feature_names = feature_names
        self.support = support
        self.method = method

    def plot(self, ax=None, *, top=20, bar_kw=None):
        """Draw the ``top`` most important features as horizontal bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw into; ``None`` makes a new figure.
        top : int, default=20
            Number of features drawn, most important at the top.
        bar_kw : dict or None, default=None
            Extra keyword arguments for :meth:`matplotlib.axes.Axes.barh`.

        Returns
        -------
        display : FeatureImportanceDisplay
            ``self``, with ``ax_``, ``figure_``, ``bars_`` and ``order_`` set.
        """
        if not isinstance(top, numbers.Integral) or isinstance(top, bool) or top < 1:
            raise ValueError(f"top must be a positive integer; got {top!r}.")
        if ax is None:
            plt = _pyplot()
            _, ax = plt.subplots()
        importances = np.asarray(self.importances, dtype=float)
        names = self.feature_names
        if names is None:
            names = [f"x{i}" for i in range(importances.shape[0])]
        names = np.asarray(names, dtype=object)
        order = np.argsort(-importances, kind="stable")[:top]
        colors = ["C0"] * len(order)
        if self.support is not None:
            support = np.asarray(self.support, dtype=bool)
            colors = ["C0" if support[i] else "0.6" for i in order]
        kwargs = {"color": colors, **(bar_kw or {})}
        if self.importances_std is not None:
            kwargs.setdefault("xerr", np.asarray(self.importances_std)[order])
        positions = np.arange(len(order))
        self.bars_ = ax.barh(positions, importances[order], **kwargs)
        ax.set_yticks(positions, labels=[str(n) for n in names[order]])
        ax.invert_yaxis()
        label = "importance" if self.method is None else f"importance ({self.method})"
        ax.set_xlabel(label)
        ax.set_title(f"Top {len(order)} of {importances.shape[0]} features")
        self.ax_, self.figure_, self.order_ = ax, ax.figure, order
        return self

    @classmethod
    def from_estimator(cls, pruner, *, ax=None, top=20, bar_kw=None):
        """Plot the importances of a fitted :class:`FeatureImportancePruner`.

        Parameters
        ----------
        pruner : FeatureImportancePruner
            A fitted pruner.
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw into; ``None`` makes a new figure.
        top : int, default=20
            Number of features drawn.
        bar_kw : dict or None, default=None
            Extra keyword arguments for :meth:`matplotlib.axes.Axes.barh`.

        Returns
        -------
        display : FeatureImportanceDisplay
        """
        check_is_fitted(pruner)
        display = cls(
            pruner.importances_,
            importances_std=getattr(pruner, "importances_std_", None),
            feature_names=getattr(pruner, "feature_names_in_", None),
            support=pruner.get_support(),
            method=pruner.method_,
        )
        return display.plot(ax=ax, top=top, bar_kw=bar_kw)


# ------------------------------------------------------------------ selection


def _n_keep(keep, n_features):
    if isinstance(keep, numbers.Integral):
        return min(int(keep), n_features)
    return max(1, int(np.floor(keep * n_features + 0.5)))


def _check_threshold(threshold):
    if isinstance(threshold, str):
        _threshold_value(threshold, None, np.zeros(1))


def _threshold_value(threshold, keep, importances):
    if threshold is None:
        threshold = "mean" if keep is None else -np.inf
    if not isinstance(threshold, str):
        return float(threshold)
    scale, _, reference = threshold.rpartition("*")
    references = {"mean": np.mean, "median": np.median}
    try:
        factor = float(scale) if scale else 1.0
        value = references[reference.strip()](importances)
    except (KeyError, ValueError):
        raise ValueError(
            f"threshold must be a number, 'mean', 'median' or a scaled reference "
            f"such as '1.5*mean'; got {threshold!r}."
        ) from None
    return factor * float(value)


def _min_class_count(y):
    return np.unique(y, return_counts=True)[1].min()


# ------------------------------------------------------------------- scoring


def _is_network(estimator):
    return isinstance(estimator, (NeuralNet, PrunedClassifier))


def _model_attribute(estimator):
    for name in ("coef_", "feature_importances_"):
        if hasattr(estimator, name):
            return name
    return None


def _attribute_importances(estimator, name):
    values = getattr(estimator, name)
    values = values.toarray() if sp.issparse(values) else np.asarray(values)
    values = np.abs(values.astype(np.float64))
    return values if values.ndim == 1 else values.sum(axis=0)


def _permutation_scores(estimator, X, y, *, scoring, n_repeats, random_state, n_jobs):
    """Fall of the score per feature and shuffle, shape (n_features, n_repeats)."""
    if not sp.issparse(X):
        result = permutation_importance(
            estimator,
            X,
            y,
            scoring=_scorer(estimator, scoring),
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=n_jobs,
        )
        return result.importances
    scorer = _scorer(estimator, scoring)
    baseline = scorer(estimator, X, y)
    X = sp.csc_matrix(X)
    # One seed for every column, drawn as permutation_importance draws it.
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_sparse_column_scores)(estimator, X, y, column, seed, n_repeats, scorer)
        for column in range(X.shape[1])
    )
    return baseline - np.asarray(scores, dtype=np.float64)


def _scorer(estimator, scoring):
    """``scoring``; by default the log-loss of a probabilistic classifier."""
    probabilistic = hasattr(estimator, "predict_proba") and hasattr(
        estimator, "classes_"
    )
    if scoring is None and is_classifier(estimator) and probabilistic:
        return _neg_log_loss
    return check_scoring(estimator, scoring=scoring)


def _neg_log_loss(estimator, X, y):
    """Mean log-probability of the true classes: ``-log_loss``, without its checks.

    Permutation scores thousands of shuffled copies; this leaner scorer takes a
    third of the time of ``get_scorer("neg_log_loss")`` per call.
    """
    proba = estimator.predict_proba(X)
    classes = np.asarray(estimator.classes_)
    order = np.argsort(classes, kind="stable")
    position = np.searchsorted(classes, y, sorter=order).clip(max=len(classes) - 1)
    index = order[position]
    if not np.array_equal(classes[index], y):
        raise ValueError(
            f"y holds labels the estimator was not trained on; its classes are "
            f"{classes.tolist()}."
        )
    true_proba = proba[np.arange(len(index)), index]
    eps = np.finfo(proba.dtype).eps
    return float(np.log(np.clip(true_proba, eps, 1.0)).mean())


def _sparse_column_scores(estimator, X, y, column, random_state, n_repeats, scorer):
    """Scores with one column of a CSC matrix shuffled, one per repeat.

    Shuffles as :func:`~sklearn.inspection.permutation_importance` does on dense
    input (the same random draws, each repeat shuffling the previous one), but
    moves only the column's stored values.
    """
    rng = check_random_state(random_state)
    start, end = X.indptr[column], X.indptr[column + 1]
    rows, values = X.indices[start:end], X.data[start:end]
    order = np.arange(X.shape[0])
    scores = []
    for _ in range(n_repeats):
        rng.shuffle(order)  # row i of the column takes the value of row order[i]
        rows = np.argsort(order)[rows]
        sort = np.argsort(rows)
        rows, values = rows[sort], values[sort]
        indices, data = X.indices.copy(), X.data.copy()
        indices[start:end], data[start:end] = rows, values
        shuffled = sp.csc_matrix((data, indices, X.indptr), shape=X.shape)
        scores.append(scorer(estimator, shuffled.tocsr(), y))
    return scores


def _find_net(estimator):
    """The skorch net of a skorch net or of a PrunedClassifier, else None."""
    if isinstance(estimator, NeuralNet):
        return estimator
    net = getattr(estimator, "net_", None)
    return net if isinstance(net, NeuralNet) else None


def _find_module(estimator):
    module = getattr(estimator, "module_", None)
    return module if isinstance(module, nn.Module) else None


def _first_linear(module):
    return next((m for m in module.modules() if isinstance(m, nn.Linear)), None)


def _gradient_importances(estimator, X, y):
    """Mean |dL/dx_j * x_j| over the rows of X, one batch densified at a time."""
    net = _find_net(estimator)
    module = None if net is None else _find_module(net)
    if module is None:
        _unsupported(
            "gradient",
            estimator,
            "it is neither a fitted skorch net nor a PrunedClassifier",
            X.shape[1],
        )
    target = _loss_target(estimator, net, y)
    reduction = getattr(getattr(net, "criterion_", None), "reduction", "mean")
    param = next(module.parameters(), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else None
    totals = torch.zeros(X.shape[1], dtype=torch.float64)
    was_training = module.training
    module.eval()
    try:
        for start in range(0, X.shape[0], GRADIENT_BATCH_SIZE):
            rows = slice(start, start + GRADIENT_BATCH_SIZE)
            xb = dense_rows(X, rows).to(device=net.device, dtype=dtype)
            xb.requires_grad_(True)
            with torch.enable_grad():
                y_pred = net.infer(xb)
                yb = target[rows]
                if yb.dtype.kind == "f" and yb.ndim == 1 and _is_column(y_pred):
                    yb = yb[:, None]  # a regressor's (n, 1) output
                loss = net.get_loss(y_pred, yb, X=xb, training=False)
                loss = loss.sum() * (xb.shape[0] if reduction == "mean" else 1)
                (grad,) = torch.autograd.grad(loss, xb)
            totals += (grad * xb).abs().sum(dim=0).detach().cpu().double()
    finally:
        module.train(was_training)
    return (totals / max(X.shape[0], 1)).numpy()


def _is_column(tensor):
    return (
        isinstance(tensor, torch.Tensor) and tensor.ndim == 2 and tensor.shape[1] == 1
    )


def _loss_target(estimator, net, y):
    """y as the network's loss expects it."""
    if estimator is not net:  # PrunedClassifier: class indices, as in its fit
        classes = list(estimator.classes_)
        index = {label: i for i, label in enumerate(classes)}
        unknown = sorted({label for label in y if label not in index}, key=str)
        if unknown:
            raise ValueError(
                f"y holds labels the estimator was not trained on: {unknown[:5]}; "
                f"its classes are {classes}."
            )
        return np.asarray([index[label] for label in y], dtype=np.int64)
    y = np.asarray(y)
    if y.dtype.kind in "iub":
        return y.astype(np.int64)
    return y.astype(np.float32)


def _weight_importances(estimator, n_features):
    module = _find_module(estimator)
    if module is None:
        _unsupported(
            "weight", estimator, "it has no torch network in module_", n_features
        )
    layer = _first_linear(module)
    if layer is None or layer.in_features != n_features:
        _unsupported(
            "weight",
            estimator,
            f"its network has no first nn.Linear layer over the {n_features} "
            "input features",
            n_features,
        )
    weight = layer.weight.detach().cpu().double()
    return torch.linalg.vector_norm(weight, dim=0).numpy()


def _applicable_methods(estimator, n_features):
    """The methods that can score the features of a fitted estimator."""
    methods = ["auto", "permutation"]
    net = _find_net(estimator)
    if net is not None and _find_module(net) is not None:
        methods.append("gradient")
    module = _find_module(estimator)
    layer = None if module is None else _first_linear(module)
    if layer is not None and layer.in_features == n_features:
        methods.append("weight")
    return methods


def _unsupported(method, estimator, reason, n_features):
    name = type(estimator).__name__
    methods = _applicable_methods(estimator, n_features)
    raise ValueError(
        f"method={method!r} cannot score the features of {name}: {reason}. "
        f"Methods that fit {name}: {', '.join(repr(m) for m in methods)}."
    )


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install matplotlib (or sklprune[plot])."
        ) from exc
    return plt
