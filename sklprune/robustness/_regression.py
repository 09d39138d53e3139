"""The report of regressors: scores, residual spread, error by quantile of the target
and of the prediction, scores under noise, and the rows whose prediction moved."""

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score

from ._checks import check_count, check_regression_target, check_tolerance
from ._held_out import noise_frame, run_values
from ._metrics import REGRESSION_SCORES, score_regressor
from ._noise import noise_text
from ._statistics import SIDES, comparison_frame
from ._text import PrintedReport, frame_text, title_line

DEFAULT_N_QUANTILES = 5
# tolerance=None: a prediction moved when it moved by a tenth of y's spread.
DEFAULT_TOLERANCE_SHARE = 0.1
PERCENTILES = (5, 25, 50, 75, 95)
RESIDUAL_STATISTICS = ("mean", "std", *(f"{p}%" for p in PERCENTILES))
NOISE_METRICS = {"r2": r2_score, "mean_absolute_error": mean_absolute_error}


class RegressionRobustnessReport(PrintedReport):
    """What :func:`robustness_report` returns for regressors: a Bunch of DataFrames
    that prints.

    Printing it (``print(report)``), or :meth:`summary`, gives the tables as text.
    Its keys:

    * ``scores``: one row per score (r2, mean_absolute_error,
      root_mean_squared_error); columns ``reference``, ``pruned``, ``change``
      (pruned minus reference), and with several models ``reference_std``,
      ``pruned_std``, ``p_value`` (Welch's t-test).
    * ``residuals``: the spread of prediction minus target, one row per
      statistic (mean, std, and the 5 %, 25 %, 50 %, 75 % and 95 % quantiles),
      computed per model; the same columns.
    * ``by_target``: one row per quantile bin of the target (index
      ``quantile``, from 1, the lowest values): ``lower`` and ``upper`` (the
      smallest and largest value in the bin), ``support``, ``mae_reference``,
      ``mae_pruned`` and ``mae_change`` (mean absolute error of the rows in the
      bin), with several models ``mae_reference_std``, ``mae_pruned_std`` and
      ``mae_p_value``, then ``changed`` and ``share_changed`` (rows whose
      prediction moved by more than ``tolerance``).
    * ``by_prediction``: the same over quantile bins of the reference's
      prediction (the mean over the reference models).
    * ``noise``: one row per noise level; ``r2_*`` and ``mean_absolute_error_*``
      of both sides and the change (``r2_reference``, ``r2_pruned``,
      ``r2_change``, ...; and the ``_std`` and ``_p_value`` with several
      models).
    * ``predictions``: one row per scored row of ``X`` (indexed by ``X``'s index
      for a DataFrame, else by position): ``true``, ``predicted_reference``,
      ``predicted_pruned`` (means over each side's models), ``error_reference``
      and ``error_pruned`` (absolute errors), ``moved`` (pruned minus reference
      prediction) and ``changed`` (``|moved| > tolerance``).
    * ``changed``: the rows of ``predictions`` whose prediction changed.
    * ``n_quantiles``, ``tolerance`` (in the units of ``y``), ``noise_on``
      (``"input"`` or ``"last_step"``: where the noise went), ``noise_kind``
      (``"gaussian"``, ``"dropout"`` or ``"mixed"``), ``n_repeats``, ``n_models``
      (models per side).

    See Also
    --------
    robustness_report : Builds it.
    RegressionRobustnessDisplay : Draws it.
    """

    def summary(self):
        """The report as text: scores, residuals, error by quantile, noise, moves.

        Returns
        -------
        text : str
        """
        worst = self.by_target["mae_change"].idxmax()
        lines = [
            title_line(len(self.predictions), self.n_models),
            "",
            "Scores",
            frame_text(self.scores),
            "",
            "Residuals (prediction - true value)",
            frame_text(self.residuals),
            "",
            f"Mean absolute error by quantile of the target ({self.n_quantiles} "
            f"bins; the largest rise in bin {worst})",
            frame_text(self.by_target),
            "",
            "Mean absolute error by quantile of the reference's prediction",
            frame_text(self.by_prediction),
        ]
        if len(self.noise):
            lines += [
                "",
                "R² and mean absolute error under noise "
                f"{noise_text(self.noise_on, self.noise_kind)}; mean of "
                f"{self.n_repeats} repeats",
                frame_text(self.noise),
            ]
        n_changed, n_rows = len(self.changed), len(self.predictions)
        lines += [
            "",
            f"Predictions moved by more than {self.tolerance:.4g}: {n_changed} of "
            f"{n_rows} rows ({n_changed / max(n_rows, 1):.1%})",
        ]
        return "\n".join(lines)


def regression_report(held_out, y, n_quantiles, tolerance):
    """The report of regressors on checked held-out rows.

    Parameters
    ----------
    held_out : HeldOut
        The models and the rows each one is scored on.
    y : array-like of shape (n_samples,)
        The target values of the rows.
    n_quantiles : int
        Quantile bins of the target and of the prediction.
    tolerance : float or None
        How far a prediction must move to count as changed; ``None``: a tenth
        of the standard deviation of ``y``.

    Returns
    -------
    report : RegressionRobustnessReport
    """
    y = check_regression_target(y)
    check_count(n_quantiles, "n_quantiles")
    check_tolerance(tolerance)
    if tolerance is None:
        tolerance = DEFAULT_TOLERANCE_SHARE * float(np.std(y))
    runs = {
        side: [
            score_regressor(model, held_out.X, y, rows)
            for model, rows in zip(models, held_out.rows[side])
        ]
        for side, models in held_out.models.items()
    }
    predictions, means = _predictions(runs, held_out.X, y, tolerance)
    several = held_out.several
    quantiles = {"target": y, "prediction": means["reference"]}
    changed = np.abs(means["pruned"] - means["reference"]) > tolerance
    by = {
        key: _by_quantile(runs, y, values, n_quantiles, changed, several)
        for key, values in quantiles.items()
    }
    return RegressionRobustnessReport(
        scores=comparison_frame(
            run_values(runs, REGRESSION_SCORES),
            pd.Index(REGRESSION_SCORES, name="score"),
            several,
        ),
        residuals=comparison_frame(
            _residual_statistics(runs, y),
            pd.Index(RESIDUAL_STATISTICS, name="statistic"),
            several,
        ),
        by_target=by["target"],
        by_prediction=by["prediction"],
        noise=noise_frame(
            held_out.scores_under_noise(runs, y, NOISE_METRICS), held_out
        ),
        predictions=predictions,
        changed=predictions[predictions["changed"]],
        n_quantiles=int(n_quantiles),
        tolerance=float(tolerance),
        noise_on=held_out.noise_on,
        noise_kind=held_out.noise_kind,
        n_repeats=held_out.n_repeats,
        n_models=held_out.n_models,
    )


def _predictions(runs, X, y, tolerance):
    """The ``predictions`` table, and each side's mean prediction of every row.

    Returns
    -------
    frame : pandas.DataFrame
        The rows that both sides scored.
    means : dict
        Side name -> ndarray of shape (n_samples,), NaN where no model of the
        side scored the row.
    """
    n_rows = len(y)
    means = {}
    for side in SIDES:
        total, count = np.zeros(n_rows), np.zeros(n_rows)
        for run in runs[side]:
            np.add.at(total, run["rows"], run["predicted"])
            np.add.at(count, run["rows"], 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[side] = total / count
    index = X.index if isinstance(X, pd.DataFrame | pd.Series) else None
    frame = pd.DataFrame(
        {
            "true": y,
            "predicted_reference": means["reference"],
            "predicted_pruned": means["pruned"],
            "error_reference": np.abs(means["reference"] - y),
            "error_pruned": np.abs(means["pruned"] - y),
            "moved": means["pruned"] - means["reference"],
        },
        index=pd.RangeIndex(n_rows) if index is None else index,
    )
    frame.index.name = "row"
    frame["changed"] = frame["moved"].abs() > tolerance
    scored = ~np.isnan(means["reference"]) & ~np.isnan(means["pruned"])
    return frame[scored], means


def quantile_bins(values, n_quantiles):
    """The quantile bin of every value, 0 to ``n_quantiles - 1``; -1 for NaN.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
    n_quantiles : int

    Returns
    -------
    bins : ndarray of int of shape (n_samples,)
        Equal shares of the values per bin, up to ties: a value on an edge
        goes to the upper bin, so tied values share a bin.

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune.robustness._regression import quantile_bins
    >>> quantile_bins(np.array([5.0, 1.0, 3.0, np.nan, 2.0, 4.0, 6.0]), 3)
    array([ 2,  0,  1, -1,  0,  1,  2])
    """
    known = ~np.isnan(values)
    edges = np.quantile(values[known], np.linspace(0, 1, n_quantiles + 1)[1:-1])
    bins = np.full(len(values), -1)
    bins[known] = np.searchsorted(edges, values[known], side="right")
    return bins


def _by_quantile(runs, y, values, n_quantiles, changed, several):
    """The ``by_target`` or ``by_prediction`` table: error per quantile of values.

    ``changed`` says of every row whether its prediction moved.
    """
    bins = quantile_bins(values, n_quantiles)
    mae = {}
    for side in SIDES:
        per_model = []
        for run in runs[side]:
            in_bin = bins[run["rows"]]
            kept = in_bin >= 0
            errors = np.abs(run["predicted"] - y[run["rows"]])[kept]
            total = np.bincount(in_bin[kept], errors, minlength=n_quantiles)
            count = np.bincount(in_bin[kept], minlength=n_quantiles)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_model.append(total / count)
        mae[side] = np.array(per_model).T
    index = pd.RangeIndex(1, n_quantiles + 1, name="quantile")
    frame = pd.DataFrame(index=index)
    frame["lower"] = [_extreme(values, bins == k, np.min) for k in range(n_quantiles)]
    frame["upper"] = [_extreme(values, bins == k, np.max) for k in range(n_quantiles)]
    frame["support"] = np.bincount(bins[bins >= 0], minlength=n_quantiles)
    frame = frame.join(comparison_frame(mae, index, several, prefix="mae_"))
    frame["changed"] = [int(changed[bins == k].sum()) for k in range(n_quantiles)]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share_changed"] = frame["changed"] / frame["support"].where(
            frame["support"] > 0
        )
    return frame


def _extreme(values, in_bin, reduce):
    return float(reduce(values[in_bin])) if in_bin.any() else np.nan


def _residual_statistics(runs, y):
    """Side name -> ndarray (n_statistics, n_models) of every model's residuals."""
    values = {}
    for side in SIDES:
        columns = []
        for run in runs[side]:
            residual = run["predicted"] - y[run["rows"]]
            columns.append(
                [residual.mean(), residual.std(), *np.percentile(residual, PERCENTILES)]
            )
        values[side] = np.array(columns).T
    return values
