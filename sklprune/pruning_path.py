"""Pruning curves: scores over a range of sparsities for about two fits per fold.

:func:`pruning_curve` trains once per fold at the lowest sparsity, then prunes the
trained network further, one-shot, and fine-tunes it at every higher sparsity (a
*pruning path*, like :func:`sklearn.linear_model.lasso_path`).
"""

import numbers
import time

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, _safe_indexing, check_random_state, indexable
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_sample_weight, validate_data
from skorch.callbacks import EarlyStopping

from ._estimator import BasePrunedEstimator
from ._path_scoring import (
    EXTRA_MEASURES,
    calibration,
    check_extra_measures,
    check_scorer_takes_weights,
    check_single_scorer,
    errors,
    score_name,
    weighted_score,
)
from ._training.auto import resolve_max_epochs
from ._training.batching import accepts_sparse_input
from ._training.seeding import seeded_torch
from ._training.validation import check_sparsities, resolve_finetune_epochs
from ._training.weighting import make_dataset
from .callbacks import PruningCallback

DEFAULT_SPARSITIES = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98)


def pruning_curve(
    estimator,
    X,
    y,
    *,
    sparsities=DEFAULT_SPARSITIES,
    sample_weight=None,
    groups=None,
    cv=5,
    scoring=None,
    finetune_epochs=None,
    return_train_score=True,
    return_calibration=False,
    return_errors=False,
    n_jobs=None,
    verbose=0,
):
    """Cross-validated scores along a pruning path, like ``validation_curve``.

    A pruning path trains **once** per fold and then prunes further, the way
    :func:`~sklearn.linear_model.lasso_path` reuses one solution for the next:

    1. the estimator is cloned and fitted on the training fold at the lowest
       sparsity, with its own schedule and epochs (a dense fit when the lowest is 0);
    2. for every higher sparsity, the same network trains ``finetune_epochs + 1``
       more epochs: the first ends with a one-shot pruning step to the new sparsity
       (by the estimator's strategy, scope and granularity; weights pruned before
       stay pruned), the others fine-tune at it. Each point is thus scored after the
       same fine-tuning a :class:`~sklprune.PrunedClassifier` does after its last
       pruning step.

    A fold costs ``max_epochs + (n_points - 1) * (finetune_epochs + 1)`` epochs
    instead of ``n_points * max_epochs`` for
    :func:`~sklearn.model_selection.validation_curve`: with ``max_epochs=40`` and
    ``finetune_epochs="auto"`` (10), six points cost 2.4 fits instead of six.
    Path points are fine-tuned one-shot prunings of a trained network, so they can
    score differently from a fresh fit at the same sparsity (gradual schedule from
    scratch): a path point starts from a trained network and has trained more
    epochs in total. ``benchmarks/bench_pruning_path.py`` compares both.

    Fine-tuning steps run for a fixed number of epochs on the whole training fold,
    weighted by ``sample_weight`` and the estimator's ``class_weight``, as the
    first fit is: early stopping, when the
    estimator uses it, applies to the first fit only. The
    path trains without compaction (``compact=True`` is ignored): compaction removes
    dead units without changing predictions, and a compacted network cannot be
    pruned further.

    Parameters
    ----------
    estimator : PrunedClassifier, PrunedRegressor or Pipeline ending in one
        Cloned for every fold; preprocessing steps are fitted on each training fold.
        Its ``sparsity`` is replaced by each value of ``sparsities``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels, or the target values of a regressor.
    sparsities : array-like of float, default=(0.0, 0.5, 0.75, 0.9, 0.95, 0.98)
        Target sparsities in [0, 1); sorted ascending, duplicates dropped.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples. The training fold's weigh the loss of
        the first fit and of every path step (``fit(X, y, sample_weight=...)`` of
        the classifier, routed to the last step of a pipeline); the test fold's
        weigh the scores, train scores included (a ``scoring`` callable must then
        take a ``sample_weight`` keyword). The calibration measures are unweighted.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter such as
        :class:`~sklearn.model_selection.GroupKFold`.
    cv : int, cross-validation generator or iterable, default=5
        As for :func:`~sklearn.model_selection.cross_validate`; an int gives a
        :class:`~sklearn.model_selection.StratifiedKFold` for a classifier and a
        :class:`~sklearn.model_selection.KFold` for a regressor.
    scoring : str, callable or None, default=None
        One scorer, as for :func:`~sklearn.model_selection.cross_validate`;
        ``None`` uses the estimator's ``score``: accuracy for a classifier, R²
        for a regressor. Any regression scorer works for a regressor, such as
        ``"neg_mean_absolute_error"`` or ``"neg_root_mean_squared_error"``.
    finetune_epochs : int or None, default=None
        Fine-tuning epochs after each pruning step of the path; ``None`` uses the
        estimator's ``finetune_epochs`` (resolved as its ``fit`` resolves it).
    return_train_score : bool, default=True
        Also score every point on its training fold.
    return_calibration : bool, default=False
        Also measure, on the test fold of every point, the expected calibration
        error (:func:`~sklprune.expected_calibration_error`, 15 bins) and the
        log-loss of the estimator's ``predict_proba``. Classifiers only.
    return_errors : bool, default=False
        Also measure, on the test fold of every point, the mean absolute error
        and the root mean squared error of the predictions, weighted by the test
        fold's ``sample_weight`` (averaged over the targets of a regressor of
        several). Regressors only.
    n_jobs : int or None, default=None
        Folds run in parallel with joblib; ``None`` means 1.
    verbose : int, default=0
        Print one line per point when positive.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``sparsities`` (n_points,): the sorted targets. ``test_scores``,
        ``train_scores`` (only with ``return_train_score``), ``achieved_sparsity``
        (fraction of the prunable weights that are zero), ``compression_ratio``
        (prunable weights / non-zero ones) and ``fit_time`` (seconds to reach the
        point: the whole first fit, then each path step), with
        ``return_calibration`` ``test_calibration_error`` and ``test_log_loss``,
        and with ``return_errors`` ``test_mean_absolute_error`` and
        ``test_root_mean_squared_error``, each an array of shape (n_points,
        n_folds). ``frame``: the same as a tidy :class:`pandas.DataFrame`, one
        row per point and fold. ``score_name``: a label for the score
        (``"Accuracy"`` or ``"R²"`` for the estimator's own score).

    See Also
    --------
    PruningCurveDisplay : Plot the result.
    PrunedClassifierCV : Choose the sparsity by this cross-validation.
    PrunedRegressorCV : The same for a regressor.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedClassifier
    >>> from sklprune import pruning_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     PrunedClassifier(hidden_layer_sizes=(32,), max_epochs=10,
    ...                      finetune_epochs=2, random_state=0),
    ... )
    >>> curve = pruning_curve(clf, X, y, sparsities=[0.0, 0.5, 0.9], cv=3)
    >>> curve.test_scores.shape
    (3, 3)
    >>> curve.achieved_sparsity.mean(axis=1).round(2)
    array([0. , 0.5, 0.9])
    >>> bool(curve.test_scores.mean(axis=1).min() > 0.9)
    True

    A regressor's curve is of R², and ``return_errors`` adds its errors:

    >>> from sklearn.datasets import load_diabetes
    >>> from sklprune import PrunedRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(
    ...     StandardScaler(),
    ...     PrunedRegressor(hidden_layer_sizes=(32,), lr=0.01, max_epochs=10,
    ...                     finetune_epochs=2, random_state=0),
    ... )
    >>> curve = pruning_curve(reg, X, y, sparsities=[0.0, 0.9], cv=3,
    ...                       return_errors=True)
    >>> curve.score_name, curve.test_mean_absolute_error.shape
    ('R²', (2, 3))
    >>> bool(curve.test_scores.mean(axis=1).min() > 0.4)
    True
    """
    sparsities = check_sparsities(sparsities)
    clf, _ = _classifier_and_prefix(estimator)
    # An int the estimator cannot prune with fails here, not after the first fits.
    max_epochs = resolve_max_epochs(clf.max_epochs, sparsities.max())
    resolve_finetune_epochs(clf.finetune_epochs, max_epochs, sparsities.max())
    if finetune_epochs is not None and (
        isinstance(finetune_epochs, bool)
        or not isinstance(finetune_epochs, numbers.Integral)
        or finetune_epochs < 0
    ):
        raise ValueError(
            f"finetune_epochs must be None or an int >= 0; got {finetune_epochs!r}."
        )
    check_extra_measures(estimator, return_calibration, return_errors)
    scorer = check_single_scorer(estimator, scoring)
    X, y, groups = indexable(X, y, groups)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        check_scorer_takes_weights(scorer)
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    folds = list(cv.split(X, y, groups))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fold_path)(
            clone(estimator),
            X,
            y,
            sample_weight,
            train,
            test,
            sparsities,
            scorer,
            finetune_epochs,
            return_train_score,
            verbose,
            fold,
            {"calibration": return_calibration, "errors": return_errors},
        )
        for fold, (train, test) in enumerate(folds)
    )
    return _curve_result(
        sparsities, results, return_train_score, score_name(estimator, scoring)
    )


def _classifier_and_prefix(estimator):
    """The pruned estimator inside ``estimator`` and the prefix of its parameters."""
    prefix = ""
    while isinstance(estimator, Pipeline):
        prefix += estimator.steps[-1][0] + "__"
        estimator = estimator[-1]
    if not isinstance(estimator, BasePrunedEstimator):
        raise TypeError(
            "The pruning path needs a PrunedClassifier or a PrunedRegressor, or a "
            f"Pipeline whose last step is one; got {type(estimator).__name__}."
        )
    return estimator, prefix


def _fold_path(
    estimator,
    X,
    y,
    sample_weight,
    train,
    test,
    sparsities,
    scorer,
    finetune_epochs,
    return_train_score,
    verbose,
    fold,
    measures,
):
    """Fit once at the lowest sparsity, then prune and fine-tune along the path.

    ``measures`` says which test measures besides the score to take:
    ``{"calibration": bool, "errors": bool}``.
    """
    clf, prefix = _classifier_and_prefix(estimator)
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    w_train = w_test = None
    if sample_weight is not None:
        w_train, w_test = sample_weight[train], sample_weight[test]
    points = []
    path = None
    for sparsity in sparsities:
        start = time.perf_counter()
        if path is None:
            params = {prefix + "sparsity": float(sparsity)}
            if clf.get_params().get("compact"):
                params[prefix + "compact"] = False  # a compacted net cannot train on
            estimator.set_params(**params)
            weights = {} if w_train is None else {prefix + "sample_weight": w_train}
            estimator.fit(X_train, y_train, **weights)
            path = _PathStepper(
                estimator, clf, X_train, y_train, w_train, finetune_epochs
            )
        else:
            path.prune_to(float(sparsity))
        fit_time = time.perf_counter() - start
        point = {
            "test_score": weighted_score(scorer, estimator, X_test, y_test, w_test),
            "achieved_sparsity": clf.sparsity_,
            "compression_ratio": _target_compression(clf),
            "fit_time": fit_time,
        }
        if return_train_score:
            point["train_score"] = weighted_score(
                scorer, estimator, X_train, y_train, w_train
            )
        if measures["calibration"]:
            point.update(calibration(estimator, X_test, y_test))
        if measures["errors"]:
            point.update(errors(estimator, X_test, y_test, w_test))
        if verbose > 0:
            print(
                f"[pruning_curve] fold {fold}: sparsity {sparsity:.4f} "
                f"(achieved {point['achieved_sparsity']:.4f}), test score "
                f"{point['test_score']:.4f}, {fit_time:.1f}s"
            )
        points.append(point)
    return points


class _PathStepper:
    """Prune a fitted PrunedClassifier further, one-shot, and fine-tune it.

    The skorch net's pruning callback is re-initialised with a one-shot schedule at
    the next epoch; it recovers the current masks from the exact zeros of the
    weights, so earlier pruning is kept, and ``partial_fit`` trains on without
    re-initialising the module or the optimizer.
    """

    def __init__(self, estimator, clf, X_train, y_train, w_train, finetune_epochs):
        self.clf = clf
        self.epochs = 1 + (
            clf.finetune_epochs_ if finetune_epochs is None else finetune_epochs
        )
        Xt = X_train
        outer = estimator
        while isinstance(outer, Pipeline):
            Xt = outer[:-1].transform(Xt)
            outer = outer[-1]
        Xt, y_train = validate_data(
            clf,
            Xt,
            y_train,
            accept_sparse=("csr", "csc"),
            dtype=np.float32,
            reset=False,
            **clf._y_validation,
        )
        net = clf.net_
        # Encoded, weighted and batched as the estimator's fit did.
        targets, weights = clf._training_targets(Xt, y_train, w_train)
        self.dataset = make_dataset(
            Xt, targets, weights, accepts_sparse_input(clf.module_)
        )
        self.rng = check_random_state(clf.random_state)
        self.prefix = "callbacks__" + next(
            name for name, cb in net.callbacks_ if isinstance(cb, PruningCallback)
        )
        stoppers = {
            f"callbacks__{name}": None
            for name, cb in net.callbacks_
            if isinstance(cb, EarlyStopping)
        }
        if stoppers:
            net.set_params(train_split=None, **stoppers)
            net.initialize_callbacks()

    def prune_to(self, sparsity):
        clf, net = self.clf, self.clf.net_
        epoch = len(net.history) + 1
        net.set_params(
            **{
                f"{self.prefix}__sparsity": sparsity,
                f"{self.prefix}__schedule": "one_shot",
                f"{self.prefix}__start_epoch": epoch,
                f"{self.prefix}__end_epoch": epoch,
            }
        )
        seed = int(self.rng.randint(np.iinfo(np.int32).max))
        with seeded_torch(seed, clf.device):
            net.partial_fit(self.dataset, None, epochs=self.epochs)
        _refresh_fitted_attributes(clf)


def _refresh_fitted_attributes(clf):
    """Keep a PrunedClassifier's fitted attributes true after a path step."""
    clf.module_ = clf.net_.module_
    clf.history_ = clf.net_.history
    clf.n_iter_ = len(clf.net_.history)
    clf.sparsity_ = float(clf.net_.history[-1, "sparsity"])
    clf.macs_sparsity_ = float(clf.net_.history[-1].get("macs_sparsity", np.nan))
    clf._set_size_attributes()


def _target_compression(clf):
    """Compression of the pruned weights, the same weights ``sparsity_`` counts."""
    kept = 1.0 - clf.sparsity_
    return 1.0 / kept if kept > 0 else np.inf


def _curve_result(sparsities, fold_points, return_train_score, name):
    keys = ["test_score", "achieved_sparsity", "compression_ratio", "fit_time"]
    if return_train_score:
        keys.append("train_score")
    keys += [key for key in EXTRA_MEASURES if key in fold_points[0][0]]
    arrays = {
        key: np.array([[p[key] for p in points] for points in fold_points]).T
        for key in keys
    }
    frame = pd.DataFrame(
        [
            {"sparsity": sparsities[i], "fold": fold, **point}
            for fold, points in enumerate(fold_points)
            for i, point in enumerate(points)
        ]
    )
    result = Bunch(
        sparsities=sparsities,
        test_scores=arrays["test_score"],
        achieved_sparsity=arrays["achieved_sparsity"],
        compression_ratio=arrays["compression_ratio"],
        fit_time=arrays["fit_time"],
        frame=frame,
        score_name=name,
    )
    if return_train_score:
        result.train_scores = arrays["train_score"]
    for key in EXTRA_MEASURES:
        if key in arrays:
            result[key] = arrays[key]
    return result
