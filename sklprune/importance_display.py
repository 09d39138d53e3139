"""FeatureImportanceDisplay: bar chart of the most important input features."""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._plotting import import_pyplot


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
            _, ax = import_pyplot("FeatureImportanceDisplay.plot").subplots()
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
