"""PruningCurveDisplay: a score (accuracy, R², ...) against sparsity and compression,
with error bars."""

import numpy as np

from ._plotting import import_pyplot
from .pruning_path import DEFAULT_SPARSITIES, pruning_curve


class PruningCurveDisplay:
    """Score against sparsity (or compression ratio), with error bars over folds.

    Build it with :meth:`from_estimator` (runs :func:`pruning_curve`) or
    :meth:`from_results` (a :func:`pruning_curve` result or the ``cv_results_`` of
    :class:`~sklprune.PrunedClassifierCV` or :class:`~sklprune.PrunedRegressorCV`).
    All parameters are stored as attributes. The y axis is labelled by the score:
    ``"Accuracy"`` for a classifier's own score, ``"R²"`` for a regressor's, the
    scorer's name otherwise; with ``negate_score=True`` a ``neg_*`` scorer's
    curve reads as the error it negates (``"Mean absolute error"``).

    Parameters
    ----------
    sparsities : ndarray of shape (n_points,)
        Target sparsities.
    test_scores : ndarray of shape (n_points, n_folds)
        Scores on the test folds.
    train_scores : ndarray of shape (n_points, n_folds) or None, default=None
        Scores on the training folds.
    achieved_sparsity : ndarray of shape (n_points, n_folds) or None, default=None
        Sparsity actually reached; the x positions use its mean over folds.
        ``None`` places points at their targets.
    score_name : str or None, default=None
        Label of the y axis; ``None`` means ``"Score"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure containing the curve.
    errorbar_ : list of matplotlib ErrorbarContainer or None
        One per plotted score when ``std_display_style="errorbar"``.
    lines_ : list of matplotlib Line2D or None
        The mean scores for the other styles.
    fill_between_ : list of matplotlib PolyCollection or None
        The ±1 standard deviation bands when ``std_display_style="fill_between"``.

    See Also
    --------
    pruning_curve : Compute the curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklprune import PruningCurveDisplay
    >>> display = PruningCurveDisplay(
    ...     sparsities=np.array([0.0, 0.5, 0.9]),
    ...     test_scores=np.array([[0.95, 0.96], [0.95, 0.94], [0.90, 0.92]]),
    ...     score_name="Accuracy",
    ... ).plot(x="compression")
    >>> display.ax_.get_xscale(), len(display.errorbar_)
    ('log', 1)

    The negated curve of an error scorer is labelled by the error:

    >>> display = PruningCurveDisplay(
    ...     sparsities=np.array([0.0, 0.9]),
    ...     test_scores=np.array([[-3.1, -3.3], [-3.2, -3.4]]),
    ...     score_name="Negative mean absolute error",
    ... ).plot(negate_score=True)
    >>> display.ax_.get_ylabel()
    'Mean absolute error'
    """

    def __init__(
        self,
        *,
        sparsities,
        test_scores,
        train_scores=None,
        achieved_sparsity=None,
        score_name=None,
    ):
        self.sparsities = sparsities
        self.test_scores = test_scores
        self.train_scores = train_scores
        self.achieved_sparsity = achieved_sparsity
        self.score_name = score_name

    def plot(
        self,
        ax=None,
        *,
        x="sparsity",
        score_type=None,
        negate_score=False,
        score_name=None,
        std_display_style="errorbar",
        line_kw=None,
        fill_between_kw=None,
        errorbar_kw=None,
    ):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; ``None`` creates a figure.
        x : {"sparsity", "compression"}, default="sparsity"
            The x axis: achieved sparsity (linear), or compression ratio of the
            prunable weights, ``1 / (1 - sparsity)``, on a log axis.
        score_type : {"test", "train", "both"} or None, default=None
            Which scores to draw; ``None`` draws both when train scores exist.
        negate_score : bool, default=False
            Negate the scores (for ``neg_*`` scorers, whose negated scores are
            errors: the label ``"Negative mean absolute error"`` becomes
            ``"Mean absolute error"``).
        score_name : str, default=None
            Overrides the y label.
        std_display_style : {"errorbar", "fill_between"} or None, \
default="errorbar"
            How the standard deviation over folds is drawn.
        line_kw, fill_between_kw, errorbar_kw : dict, default=None
            Extra arguments of ``ax.plot``, ``ax.fill_between``, ``ax.errorbar``.

        Returns
        -------
        display : PruningCurveDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        scores = self._scores(score_type, negate_score)
        if x not in ("sparsity", "compression"):
            raise ValueError(f'x must be "sparsity" or "compression"; got {x!r}.')
        if std_display_style not in ("errorbar", "fill_between", None):
            raise ValueError(
                'std_display_style must be "errorbar", "fill_between" or None; got '
                f"{std_display_style!r}."
            )
        plt = import_pyplot("PruningCurveDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        x_data = self._x_positions(x)
        self.lines_ = self.errorbar_ = self.fill_between_ = None
        if std_display_style == "errorbar":
            self.errorbar_ = _errorbars(ax, x_data, scores, errorbar_kw)
        else:
            self.lines_ = _mean_lines(ax, x_data, scores, line_kw)
        if std_display_style == "fill_between":
            self.fill_between_ = _std_bands(ax, x_data, scores, fill_between_kw)
        _label_x_axis(ax, x)
        ax.set_ylabel(self._y_label(score_name, negate_score))
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _x_positions(self, x):
        """Achieved (else target) sparsity of every point, or its compression ratio."""
        sparsity = np.asarray(
            self.sparsities
            if self.achieved_sparsity is None
            else np.asarray(self.achieved_sparsity).mean(axis=1),
            dtype=float,
        )
        return sparsity if x == "sparsity" else 1.0 / (1.0 - sparsity)

    def _y_label(self, score_name, negate_score):
        """``score_name`` if given, else the stored name (negated for neg_ scorers)."""
        if score_name is not None:
            return score_name
        score_name = self.score_name or "Score"
        if not negate_score:
            return score_name
        if score_name.startswith("Negative "):
            return score_name[len("Negative ") :].capitalize()
        if score_name[1:2].islower():  # a word, not an acronym such as R²
            score_name = score_name[0].lower() + score_name[1:]
        return f"Negative {score_name}"

    def _scores(self, score_type, negate_score):
        test = np.asarray(self.test_scores, dtype=float)
        train = None if self.train_scores is None else np.asarray(self.train_scores)
        if score_type is None:
            score_type = "test" if train is None else "both"
        if score_type not in ("test", "train", "both"):
            raise ValueError(
                f'score_type must be "test", "train" or "both"; got {score_type!r}.'
            )
        if score_type != "test" and train is None:
            raise ValueError(
                f"score_type={score_type!r} needs train scores, and this display has "
                'none: use score_type="test", or compute the curve with '
                "return_train_score=True."
            )
        sign = -1.0 if negate_score else 1.0
        scores = {}
        if score_type in ("train", "both"):
            scores["Train"] = sign * np.asarray(train, dtype=float)
        if score_type in ("test", "both"):
            scores["Test"] = sign * test
        return scores

    @classmethod
    def from_results(cls, results, *, ax=None, score_name=None, **plot_kwargs):
        """Plot a computed curve.

        Parameters
        ----------
        results : Bunch or dict
            What :func:`pruning_curve` returns, or the ``cv_results_`` of a fitted
            :class:`~sklprune.PrunedClassifierCV` or
            :class:`~sklprune.PrunedRegressorCV`.
        ax : matplotlib Axes, default=None
            Axes to draw into.
        score_name : str, default=None
            Label of the y axis; ``None`` takes the one stored in ``results``.
        **plot_kwargs
            Passed to :meth:`plot` (``x``, ``score_type``, ``std_display_style``,
            ...).

        Returns
        -------
        display : PruningCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklprune import PruningCurveDisplay
        >>> cv_results = {
        ...     "sparsity": np.array([0.0, 0.9]),
        ...     "split0_test_score": np.array([0.97, 0.95]),
        ...     "split1_test_score": np.array([0.95, 0.95]),
        ...     "mean_test_score": np.array([0.96, 0.95]),
        ... }
        >>> display = PruningCurveDisplay.from_results(cv_results)
        >>> display.errorbar_[0].lines[0].get_ydata()
        array([0.96, 0.95])
        """
        if "test_scores" in results:
            display = cls(
                sparsities=np.asarray(results["sparsities"]),
                test_scores=results["test_scores"],
                train_scores=results.get("train_scores"),
                achieved_sparsity=results.get("achieved_sparsity"),
                score_name=results.get("score_name"),
            )
        elif "mean_test_score" in results and "sparsity" in results:
            display = cls(
                sparsities=np.asarray(results["sparsity"], dtype=float),
                test_scores=_splits(results, "test_score"),
                train_scores=_splits(results, "train_score"),
                achieved_sparsity=_splits(results, "achieved_sparsity"),
                score_name=results.get("score_name"),
            )
        else:
            raise ValueError(
                "results must be what pruning_curve returns or the cv_results_ of a "
                "PrunedClassifierCV or PrunedRegressorCV; got keys "
                f"{sorted(results)[:8]}."
            )
        return display.plot(ax=ax, score_name=score_name, **plot_kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        sparsities=DEFAULT_SPARSITIES,
        groups=None,
        cv=5,
        scoring=None,
        finetune_epochs=None,
        return_train_score=True,
        n_jobs=None,
        verbose=0,
        ax=None,
        score_name=None,
        **plot_kwargs,
    ):
        """Run :func:`pruning_curve` and plot it.

        Parameters
        ----------
        estimator : PrunedClassifier, PrunedRegressor or Pipeline ending in one
            Cloned for every fold.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or the target values of a regressor.
        sparsities, groups, cv, scoring, finetune_epochs, return_train_score, \
n_jobs, verbose
            See :func:`pruning_curve`.
        ax : matplotlib Axes, default=None
            Axes to draw into.
        score_name : str, default=None
            Label of the y axis; ``None`` derives it from ``scoring``.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : PruningCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_iris
        >>> from sklprune import PrunedClassifier
        >>> from sklprune import PruningCurveDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = PrunedClassifier(hidden_layer_sizes=(16,), lr=0.01, max_epochs=10,
        ...                        finetune_epochs=2, random_state=0)
        >>> display = PruningCurveDisplay.from_estimator(
        ...     clf, X, y, sparsities=[0.0, 0.5, 0.8], cv=3, x="compression")
        >>> [container.get_label() for container in display.errorbar_]
        ['Train', 'Test']
        """
        import_pyplot("PruningCurveDisplay.from_estimator")
        results = pruning_curve(
            estimator,
            X,
            y,
            sparsities=sparsities,
            groups=groups,
            cv=cv,
            scoring=scoring,
            finetune_epochs=finetune_epochs,
            return_train_score=return_train_score,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        return cls.from_results(results, ax=ax, score_name=score_name, **plot_kwargs)


def _splits(cv_results, key):
    """Stack ``split{k}_{key}`` columns of a cv_results_ dict, or None."""
    columns = []
    while f"split{len(columns)}_{key}" in cv_results:
        columns.append(np.asarray(cv_results[f"split{len(columns)}_{key}"], float))
    return np.column_stack(columns) if columns else None


def _errorbars(ax, x_data, scores, errorbar_kw):
    """One errorbar per score: the mean over folds, the standard deviation as bars."""
    return [
        ax.errorbar(
            x_data,
            s.mean(axis=1),
            s.std(axis=1),
            **{"label": label, "marker": "o", "capsize": 3, **(errorbar_kw or {})},
        )
        for label, s in scores.items()
    ]


def _mean_lines(ax, x_data, scores, line_kw):
    """One line per score: the mean over folds."""
    return [
        ax.plot(
            x_data,
            s.mean(axis=1),
            **{"label": label, "marker": "o", **(line_kw or {})},
        )[0]
        for label, s in scores.items()
    ]


def _std_bands(ax, x_data, scores, fill_between_kw):
    """One band per score: the mean over folds plus and minus its standard deviation."""
    return [
        ax.fill_between(
            x_data,
            s.mean(axis=1) - s.std(axis=1),
            s.mean(axis=1) + s.std(axis=1),
            **{"alpha": 0.3, **(fill_between_kw or {})},
        )
        for s in scores.values()
    ]


def _label_x_axis(ax, x):
    """Label the x axis; compression ratios go on a log scale."""
    if x == "compression":
        ax.set_xscale("log")
        ax.set_xlabel("Compression ratio (prunable weights / non-zero)")
    else:
        ax.set_xlabel("Sparsity (fraction of prunable weights at zero)")
