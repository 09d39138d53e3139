"""RegressionRobustnessDisplay: predictions of both regressors, and their error by
quantile of the target and of the prediction."""

import numpy as np

from .._plotting import panel_axes
from ._regression import DEFAULT_N_QUANTILES
from ._report import robustness_report
from ._statistics import SIDES

# The most rows the scatter panel draws (every k-th row beyond): enough to see
# the spread, few enough to stay a light figure.
MAX_POINTS = 5000
COLOURS = {"reference": "#2166ac", "pruned": "#b2182b"}


class RegressionRobustnessDisplay:
    """Predictions of a reference and a pruned regressor, and error by quantile.

    Three panels: the predictions of both models against the true values (the
    diagonal is a perfect fit), and the mean absolute error of both models in
    each quantile bin of the target and in each quantile bin of the
    reference's prediction, a bar per model (with several models per side,
    error bars of one standard deviation over models). Build it with
    :meth:`from_estimators` or :meth:`from_report`; all parameters are stored
    as attributes.

    Parameters
    ----------
    predictions : pandas.DataFrame
        The ``predictions`` frame of a :func:`robustness_report` of regressors:
        columns ``true``, ``predicted_reference`` and ``predicted_pruned``.
    by_target : pandas.DataFrame
        Its ``by_target`` frame: ``lower``, ``upper``, ``mae_reference``,
        ``mae_pruned``, and ``mae_reference_std`` and ``mae_pruned_std`` when
        there are several models.
    by_prediction : pandas.DataFrame
        Its ``by_prediction`` frame, with the same columns.

    Attributes
    ----------
    points_ : list of matplotlib PathCollection
        The predictions of the reference and of the pruned model.
    target_bars_ : list of matplotlib BarContainer
        The error per quantile of the target, of the reference and of the
        pruned model.
    prediction_bars_ : list of matplotlib BarContainer
        The same per quantile of the reference's prediction.
    ax_ : ndarray of matplotlib Axes
        The three panels.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    robustness_report : The numbers behind the picture.
    RobustnessDisplay : The picture for classifiers.
    sklearn.metrics.PredictionErrorDisplay : Predictions of one regressor.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklprune import RegressionRobustnessDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reference = Ridge(alpha=0.01).fit(X[::2], y[::2])
    >>> weaker = Ridge(alpha=10.0).fit(X[::2], y[::2])
    >>> display = RegressionRobustnessDisplay.from_estimators(
    ...     reference, weaker, X[1::2], y[1::2], n_quantiles=4)
    >>> len(display.points_), len(display.target_bars_[0])
    (2, 4)
    """

    def __init__(self, *, predictions, by_target, by_prediction):
        self.predictions = predictions
        self.by_target = by_target
        self.by_prediction = by_prediction

    def plot(self, ax=None):
        """Draw the predictions and the error per quantile of both models.

        Parameters
        ----------
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into; ``None`` creates a figure.

        Returns
        -------
        display : RegressionRobustnessDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        axes = panel_axes(
            ax,
            caller="RegressionRobustnessDisplay.plot",
            panels=("predictions", "error by target", "error by prediction"),
            figsize=(15, 4.4),
        )
        self.points_ = self._plot_predictions(axes[0])
        self.target_bars_ = _plot_errors(axes[1], self.by_target, "the target")
        self.prediction_bars_ = _plot_errors(
            axes[2], self.by_prediction, "the reference's prediction"
        )
        self.ax_ = axes
        self.figure_ = axes[0].figure
        return self

    def _plot_predictions(self, ax):
        """Both models' predictions against the true values; returns the points."""
        rows = self.predictions.iloc[:: max(1, -(-len(self.predictions) // MAX_POINTS))]
        true = rows["true"].to_numpy()
        points = [
            ax.scatter(
                true,
                rows[f"predicted_{side}"].to_numpy(),
                s=6,
                alpha=0.4,
                color=COLOURS[side],
                label=side,
            )
            for side in SIDES
        ]
        low, high = np.nanmin(true), np.nanmax(true)
        ax.plot([low, high], [low, high], color="0.3", linewidth=0.8)
        ax.set_xlabel("True value")
        ax.set_ylabel("Predicted value")
        ax.set_title("Predictions of both models")
        ax.legend(loc="upper left")
        return points

    @classmethod
    def from_report(cls, report, *, ax=None):
        """Plot a computed :func:`robustness_report` of regressors.

        Parameters
        ----------
        report : RegressionRobustnessReport
            What :func:`robustness_report` returns for regressors.
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into.

        Returns
        -------
        display : RegressionRobustnessDisplay
        """
        missing = {"predictions", "by_target", "by_prediction"} - set(report)
        if missing:
            raise ValueError(
                "report must be what robustness_report returns for regressors; it "
                f"lacks {sorted(missing)} (draw the report of classifiers with "
                "RobustnessDisplay)."
            )
        return cls(
            predictions=report["predictions"],
            by_target=report["by_target"],
            by_prediction=report["by_prediction"],
        ).plot(ax=ax)

    @classmethod
    def from_estimators(
        cls,
        reference,
        pruned,
        X,
        y,
        *,
        test_indices=None,
        n_quantiles=DEFAULT_N_QUANTILES,
        ax=None,
    ):
        """Score both regressors with :func:`robustness_report`, then plot.

        Parameters
        ----------
        reference, pruned : regressor or list of regressors
            Fitted regressors, as for :func:`robustness_report`.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their target values.
        test_indices : list of array-like of int, default=None
            Rows of each pair of models, as for :func:`robustness_report`.
        n_quantiles : int, default=5
            Quantile bins of the target and of the prediction.
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into.

        Returns
        -------
        display : RegressionRobustnessDisplay
        """
        report = robustness_report(
            reference,
            pruned,
            X,
            y,
            test_indices=test_indices,
            noise_levels=(),
            n_quantiles=n_quantiles,
        )
        return cls.from_report(report, ax=ax)


def _plot_errors(ax, frame, what):
    """A bar per model and quantile bin: the mean absolute error; returns the bars."""
    positions = np.arange(len(frame))
    width = 0.4
    bars = []
    for offset, side in zip((-width / 2, width / 2), SIDES):
        error = frame.get(f"mae_{side}_std")
        bars.append(
            ax.bar(
                positions + offset,
                frame[f"mae_{side}"].fillna(0).to_numpy(),
                width,
                yerr=None if error is None else error.fillna(0).to_numpy(),
                color=COLOURS[side],
                capsize=3,
                label=side,
            )
        )
    labels = [
        f"{_short(lo)} to {_short(hi)}"
        for lo, hi in zip(frame["lower"], frame["upper"])
    ]
    ax.set_xticks(positions, labels, rotation=20)
    ax.set_xlabel(f"Quantile bin of {what}")
    ax.set_ylabel("Mean absolute error")
    ax.set_title(f"Error by quantile of {what}")
    ax.legend(loc="upper left")
    return bars


def _short(value):
    """A bin edge as a tick label: ``82,347``, ``0.123``, ``1.2e+09``."""
    if 1e3 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    return f"{value:.3g}"
