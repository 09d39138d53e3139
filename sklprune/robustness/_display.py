"""RobustnessDisplay: reliability curves of both models and per-class recall change."""

import numpy as np
import pandas as pd

from .._plotting import panel_axes
from ._metrics import DEFAULT_N_BINS
from ._report import robustness_report
from ._statistics import SIDES


class RobustnessDisplay:
    """Reliability curves of a reference and a pruned model, and recall change.

    Three panels: the reliability curve of each model (top-class confidence against
    the share of rows whose top class is right, drawn by
    :class:`~sklearn.calibration.CalibrationDisplay`), and a bar per class of the
    change in recall, the worst on top. Build it with :meth:`from_estimators` or
    :meth:`from_report`; all parameters are stored as attributes.

    Parameters
    ----------
    confidence : pandas.DataFrame
        The ``confidence`` frame of a :func:`robustness_report`: columns ``model``
        (``"reference"`` or ``"pruned"``), ``confidence`` and ``correct``.
    recall_change : pandas.Series
        Change of recall per class, pruned minus reference, indexed by class.
    n_bins : int, default=15
        Equal-width bins of the reliability curves.
    scores : pandas.DataFrame or None, default=None
        The ``scores`` frame of the report; its calibration errors go into the
        panel titles.
    recall_change_error : pandas.Series or None, default=None
        Standard error of each class's recall change, drawn as error bars: with
        several models per side, ``sqrt(s_r**2 / n_r + s_p**2 / n_p)`` from the
        standard deviations ``s`` over ``n`` models, the error Welch's t-test
        divides by.

    Attributes
    ----------
    calibration_displays_ : list of sklearn.calibration.CalibrationDisplay
        The reliability curve of the reference and of the pruned model.
    bars_ : matplotlib BarContainer
        One bar per class.
    ax_ : ndarray of matplotlib Axes
        The three panels.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    robustness_report : The numbers behind the picture.
    RegressionRobustnessDisplay : The picture for regressors.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklprune import RobustnessDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> reference = LogisticRegression(max_iter=1000).fit(X[::2], y[::2])
    >>> weaker = LogisticRegression(C=0.01, max_iter=1000).fit(X[::2], y[::2])
    >>> display = RobustnessDisplay.from_estimators(reference, weaker, X[1::2],
    ...                                             y[1::2])
    >>> len(display.calibration_displays_), len(display.bars_)
    (2, 3)
    """

    def __init__(
        self,
        *,
        confidence,
        recall_change,
        n_bins=DEFAULT_N_BINS,
        scores=None,
        recall_change_error=None,
    ):
        self.confidence = confidence
        self.recall_change = recall_change
        self.n_bins = n_bins
        self.scores = scores
        self.recall_change_error = recall_change_error

    def plot(self, ax=None):
        """Draw the two reliability curves and the recall change.

        Parameters
        ----------
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into; ``None`` creates a figure.

        Returns
        -------
        display : RobustnessDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        axes = panel_axes(
            ax,
            caller="RobustnessDisplay.plot",
            panels=("reference reliability", "pruned reliability", "recall change"),
            figsize=(14, 4.2),
        )
        self.calibration_displays_ = [
            self._plot_reliability(side, axis) for side, axis in zip(SIDES, axes[:2])
        ]
        self.bars_ = self._plot_recall_change(axes[2])
        self.ax_ = axes
        self.figure_ = axes[0].figure
        return self

    def _plot_reliability(self, side, ax):
        """Draw the reliability curve of one side; return its CalibrationDisplay."""
        from sklearn.calibration import CalibrationDisplay

        rows = self.confidence[self.confidence["model"] == side]
        display = CalibrationDisplay.from_predictions(
            rows["correct"].astype(int),
            rows["confidence"],
            n_bins=self.n_bins,
            strategy="uniform",
            pos_label=1,
            name=side,
            ax=ax,
        )
        ax.set_xlabel("Top-class confidence")
        ax.set_ylabel("Share of rows whose top class is right")
        title = f"Reliability, {side} model"
        if self.scores is not None:
            ece = self.scores.loc["expected_calibration_error", side]
            title += f" (ECE {ece:.3f})"
        ax.set_title(title)
        return display

    def _plot_recall_change(self, ax):
        """Draw one bar per class, the worst recall change on top; return the bars."""
        change = pd.Series(self.recall_change).sort_values(ascending=False)
        labels = [str(c) for c in change.index]
        colours = ["#b2182b" if v < 0 else "#2166ac" for v in change.fillna(0)]
        error = None
        if self.recall_change_error is not None:
            error = pd.Series(self.recall_change_error).reindex(change.index)
            error = error.fillna(0).to_numpy()
        bars = ax.barh(
            labels, change.fillna(0).to_numpy(), xerr=error, color=colours, capsize=3
        )
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_xlabel("Recall change (pruned - reference)")
        ax.set_ylabel("Class")
        ax.set_title("Per-class recall change, worst on top")
        return bars

    @classmethod
    def from_report(cls, report, *, ax=None):
        """Plot a computed :func:`robustness_report`.

        Parameters
        ----------
        report : RobustnessReport
            What :func:`robustness_report` returns.
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into.

        Returns
        -------
        display : RobustnessDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from sklprune import RobustnessDisplay, robustness_report
        >>> X, y = load_iris(return_X_y=True)
        >>> reference = GaussianNB().fit(X[::2], y[::2])
        >>> stump = DecisionTreeClassifier(max_depth=1).fit(X[::2], y[::2])
        >>> report = robustness_report(reference, stump, X[1::2], y[1::2],
        ...                            noise_levels=())
        >>> display = RobustnessDisplay.from_report(report)
        >>> display.ax_[2].get_xlabel()
        'Recall change (pruned - reference)'
        """
        if "by_target" in report:
            raise ValueError(
                "report compares regressors, and RobustnessDisplay draws the "
                "calibration of classifiers; draw it with "
                "RegressionRobustnessDisplay.from_report(report)."
            )
        missing = {"confidence", "per_class", "n_bins", "scores", "n_models"}
        missing -= set(report)
        if missing:
            raise ValueError(
                "report must be what robustness_report returns; it lacks "
                f"{sorted(missing)}."
            )
        per_class = report["per_class"]
        error = None
        if "recall_reference_std" in per_class:
            n = report["n_models"]
            error = np.sqrt(
                per_class["recall_reference_std"] ** 2 / n["reference"]
                + per_class["recall_pruned_std"] ** 2 / n["pruned"]
            )
        return cls(
            confidence=report["confidence"],
            recall_change=per_class["recall_change"],
            n_bins=report["n_bins"],
            scores=report["scores"],
            recall_change_error=error,
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
        n_bins=DEFAULT_N_BINS,
        ax=None,
    ):
        """Score both models with :func:`robustness_report`, then plot.

        Parameters
        ----------
        reference, pruned : classifier or list of classifiers
            Fitted classifiers with ``predict_proba``, as for
            :func:`robustness_report`.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels.
        test_indices : list of array-like of int, default=None
            Rows of each pair of models, as for :func:`robustness_report`.
        n_bins : int, default=15
            Equal-width bins of the reliability curves.
        ax : sequence of three matplotlib Axes, default=None
            The panels to draw into.

        Returns
        -------
        display : RobustnessDisplay
        """
        report = robustness_report(
            reference,
            pruned,
            X,
            y,
            test_indices=test_indices,
            noise_levels=(),
            n_bins=n_bins,
        )
        return cls.from_report(report, ax=ax)
