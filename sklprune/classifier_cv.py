"""PrunedClassifierCV: a pruned classifier that chooses its sparsity by CV.

The search, the refit and the attributes are the core the CV estimators share,
:mod:`sklprune._cv`; what is about classes lives here.
"""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets

from ._cv import DEFAULT_SPARSITIES, BasePrunedCV, take_parameters_of
from .classifier import PrunedClassifier


class PrunedClassifierCV(ClassifierMixin, BasePrunedCV):
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
finetune_epochs_, strategy_, engine_, engine_reason_
        Those of ``best_estimator_``; ``sparsity_`` is the achieved sparsity of the
        refitted network, ``engine_`` the engine it predicts with.

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

    _estimator_class = PrunedClassifier

    def __init__(
        self,
        sparsities=DEFAULT_SPARSITIES,
        score_tol=0.01,
        cv=5,
        scoring=None,
        n_jobs=None,
        **classifier_params,
    ):
        super().__init__(
            sparsities=sparsities,
            score_tol=score_tol,
            cv=cv,
            scoring=scoring,
            n_jobs=n_jobs,
            **classifier_params,
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
        return self._fit(X, y, sample_weight)

    def predict_proba(self, X):
        """Class probabilities of the refitted network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._validated_input(X)
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
        proba = self.predict_proba(X)  # checks that the classifier is fitted
        return self.classes_[proba.argmax(axis=1)]

    def _check_targets(self, y):
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                "PrunedClassifierCV needs samples of at least 2 classes in the data; "
                f"got 1 class: {classes[0]!r}."
            )


take_parameters_of(PrunedClassifierCV)
