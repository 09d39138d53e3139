"""PrunedRegressorCV: a pruned regressor that chooses its sparsity by CV.

The search, the refit and the attributes are the core the CV estimators share,
:mod:`sklprune._cv`; what is about regression targets lives here.
"""

from sklearn.base import RegressorMixin, _fit_context

from ._cv import DEFAULT_SPARSITIES, BasePrunedCV, take_parameters_of
from ._training.targets import check_regression_targets
from .losses import has_log_link
from .regressor import PrunedRegressor


class PrunedRegressorCV(RegressorMixin, BasePrunedCV):
    """A pruned regressor that picks the highest sparsity it can afford.

    The regressor twin of :class:`~sklprune.PrunedClassifierCV`: runs a pruning
    path (see :func:`~sklprune.pruning_path.pruning_curve`) on every
    cross-validation fold, keeps the **highest** sparsity whose mean test score
    (R² by default) is within ``score_tol`` of the dense network's, then refits a
    :class:`~sklprune.PrunedRegressor` on all the data at that sparsity, with the
    full pruning schedule. Like :class:`~sklearn.linear_model.RidgeCV` it is an
    ordinary regressor: it predicts with the refitted network and exposes every
    fitted attribute a :class:`~sklprune.PrunedRegressor` has.

    Parameters
    ----------
    sparsities : array-like of float, default=(0.0, 0.5, 0.75, 0.9, 0.95, 0.98)
        Candidate sparsities in [0, 1). 0 is added when missing: the dense network
        is the reference of ``score_tol``.
    score_tol : float or None, default=0.01
        How much mean CV score may be given up for sparsity, in the units of the
        score (0.01 of R² by default; for an error scorer such as
        ``"neg_mean_absolute_error"``, in the units of the target). ``None`` keeps
        the sparsity with the best mean score (the higher one on ties).
    cv : int, cross-validation generator or iterable, default=5
        As for :func:`~sklearn.model_selection.cross_validate`; an int gives a
        :class:`~sklearn.model_selection.KFold`.
    scoring : str, callable or None, default=None
        One scorer; ``None`` uses R².
    n_jobs : int or None, default=None
        Folds run in parallel with joblib; ``None`` means 1.
    **regressor_params
        Every parameter of :class:`~sklprune.PrunedRegressor` but ``sparsity``,
        by keyword, with the same meaning and default (the signature is built
        from PrunedRegressor's, so the two cannot drift apart).
        ``finetune_epochs`` also sets the fine-tuning after each step of the
        pruning path; ``tol`` is the early stopping tolerance, not the score
        tolerance; ``compact`` applies to the refitted network only.

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
    best_estimator_ : PrunedRegressor
        The regressor refitted on all the data at ``best_sparsity_``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.
    n_outputs_, target_mean_, target_scale_, out_activation_, net_, module_, \
history_, sparsity_, n_parameters_, n_nonzero_, n_iter_, finetune_epochs_, strategy_, \
engine_, engine_reason_
        Those of ``best_estimator_``; ``sparsity_`` is the achieved sparsity of the
        refitted network.

    See Also
    --------
    PrunedRegressor : The regressor at a fixed sparsity.
    sklprune.pruning_path.pruning_curve : The cross-validated pruning path.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedRegressorCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = PrunedRegressorCV(
    ...     sparsities=[0.5, 0.9, 0.99], cv=3, hidden_layer_sizes=(32,),
    ...     max_epochs=10, finetune_epochs=2, random_state=0,
    ... )
    >>> reg = make_pipeline(StandardScaler(), search).fit(X, y)
    >>> search.cv_results_["sparsity"]
    array([0.  , 0.5 , 0.9 , 0.99])
    >>> bool(search.best_score_ >= search.dense_score_ - 0.01)
    True
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _estimator_class = PrunedRegressor

    def __init__(
        self,
        sparsities=DEFAULT_SPARSITIES,
        score_tol=0.01,
        cv=5,
        scoring=None,
        n_jobs=None,
        **regressor_params,
    ):
        super().__init__(
            sparsities=sparsities,
            score_tol=score_tol,
            cv=cv,
            scoring=scoring,
            n_jobs=n_jobs,
            **regressor_params,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Cross-validate the pruning path, choose the sparsity, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples: they weigh the loss of every fit
            (the folds' and the refit's, as for :meth:`PrunedRegressor.fit`) and
            the cross-validated scores of the test folds.

        Returns
        -------
        self : PrunedRegressorCV
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight)

    def predict(self, X):
        """Predicted target values of the refitted network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The shape of the ``y`` the regressor was fitted on.
        """
        X = self._validated_input(X)
        return self.best_estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _check_targets(self, y):
        check_regression_targets(y, has_log_link(self.loss))


take_parameters_of(PrunedRegressorCV)
