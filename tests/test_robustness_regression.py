"""robustness_report and RegressionRobustnessDisplay for regressors."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import make_friedman1
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import (
    PrunedRegressor,
    RegressionRobustnessDisplay,
    RobustnessDisplay,
    robustness_report,
)
from sklprune.robustness import RegressionRobustnessReport

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def friedman():
    X, y = make_friedman1(n_samples=1000, n_features=8, noise=0.5, random_state=0)
    return train_test_split(X, y, test_size=0.4, random_state=0)


@pytest.fixture(scope="module")
def ridge_and_knn(friedman):
    """Two regressors that err differently: a linear fit and a local one."""
    X_train, _, y_train, _ = friedman
    reference = make_pipeline(StandardScaler(), KNeighborsRegressor(10))
    return reference.fit(X_train, y_train), Ridge().fit(X_train, y_train)


@pytest.fixture(scope="module")
def report(ridge_and_knn, friedman):
    _, X_test, _, y_test = friedman
    return robustness_report(*ridge_and_knn, X_test, y_test, random_state=0)


def test_regressors_get_the_regression_report(report):
    assert isinstance(report, RegressionRobustnessReport)
    assert list(report.scores.index) == [
        "r2",
        "mean_absolute_error",
        "root_mean_squared_error",
    ]
    assert list(report.noise.index) == [0.0, 0.1, 0.25, 0.5]
    assert report.n_models == {"reference": 1, "pruned": 1}
    assert report.noise_kind == "gaussian" and report.n_quantiles == 5


def test_scores_and_residuals_equal_scikit_learn_and_numpy(
    report, ridge_and_knn, friedman
):
    _, X_test, _, y_test = friedman
    for side, model in zip(["reference", "pruned"], ridge_and_knn):
        predicted = model.predict(X_test)
        scores = report.scores[side]
        assert scores["r2"] == r2_score(y_test, predicted)
        assert scores["mean_absolute_error"] == mean_absolute_error(y_test, predicted)
        assert scores["root_mean_squared_error"] == root_mean_squared_error(
            y_test, predicted
        )
        residual = predicted - y_test
        expected = [residual.mean(), residual.std()]
        expected += list(np.percentile(residual, [5, 25, 50, 75, 95]))
        np.testing.assert_allclose(report.residuals[side], expected)
        np.testing.assert_array_equal(
            report.predictions[f"predicted_{side}"], predicted
        )
    np.testing.assert_allclose(
        report.scores["change"], report.scores["pruned"] - report.scores["reference"]
    )


@pytest.mark.parametrize(
    "by, column", [("by_target", "true"), ("by_prediction", "predicted_reference")]
)
def test_each_quantile_bin_holds_a_fifth_of_the_rows_and_their_error(
    report, by, column
):
    frame, rows = report[by], report.predictions
    assert list(frame.index) == [1, 2, 3, 4, 5]
    assert frame["support"].tolist() == [80] * 5  # 400 distinct values
    assert frame["lower"].is_monotonic_increasing
    assert (frame["upper"].to_numpy()[:-1] < frame["lower"].to_numpy()[1:]).all()
    for _, bin_ in frame.iterrows():
        inside = rows[rows[column].between(bin_["lower"], bin_["upper"])]
        assert len(inside) == bin_["support"]
        for side in ["reference", "pruned"]:
            assert bin_[f"mae_{side}"] == pytest.approx(inside[f"error_{side}"].mean())
        assert bin_["changed"] == inside["changed"].sum()


def test_a_prediction_changed_when_it_moved_more_than_the_tolerance(
    report, ridge_and_knn, friedman
):
    _, X_test, _, y_test = friedman
    assert report.tolerance == pytest.approx(0.1 * np.std(y_test))
    moved = (
        report.predictions["predicted_pruned"]
        - report.predictions["predicted_reference"]
    )
    np.testing.assert_allclose(report.predictions["moved"], moved)
    assert (
        report.changed.index.tolist()
        == np.flatnonzero(moved.abs() > report.tolerance).tolist()
    )
    strict = robustness_report(
        *ridge_and_knn, X_test, y_test, noise_levels=(), tolerance=2.0
    )
    assert strict.tolerance == 2.0
    assert len(strict.changed) == (moved.abs() > 2.0).sum() < len(report.changed)
    assert strict.by_target["changed"].sum() == len(strict.changed)


def test_noise_at_level_zero_reproduces_the_plain_scores_and_noise_hurts(report):
    noise = report.noise
    for side in ["reference", "pruned"]:
        assert noise.loc[0.0, f"r2_{side}"] == report.scores.loc["r2", side]
        assert (
            noise.loc[0.0, f"mean_absolute_error_{side}"]
            == report.scores.loc["mean_absolute_error", side]
        )
        assert noise.loc[0.5, f"r2_{side}"] < noise.loc[0.0, f"r2_{side}"]
    np.testing.assert_allclose(
        noise["r2_change"], noise["r2_pruned"] - noise["r2_reference"]
    )


def test_the_summary_prints_every_table(report):
    text = str(report)
    for heading in [
        "Did pruning hurt? reference vs pruned on 400 rows",
        "Residuals (prediction - true value)",
        "Mean absolute error by quantile of the target (5 bins",
        "Mean absolute error by quantile of the reference's prediction",
        "R² and mean absolute error under noise",
        f"Predictions moved by more than {report.tolerance:.4g}: "
        f"{len(report.changed)} of 400 rows",
    ]:
        assert heading in text


def test_several_models_per_side_give_welch_tests_over_seeds(friedman):
    X_train, X_test, y_train, y_test = friedman
    models = {
        side: [
            make_pipeline(
                StandardScaler(),
                PrunedRegressor(
                    hidden_layer_sizes=(32,),
                    sparsity=sparsity,
                    lr=0.01,
                    max_epochs=12,
                    finetune_epochs=3,
                    random_state=seed,
                ),
            ).fit(X_train, y_train)
            for seed in range(3)
        ]
        for side, sparsity in [("reference", 0.0), ("pruned", 0.97)]
    }
    report = robustness_report(
        models["reference"],
        models["pruned"],
        X_test,
        y_test,
        n_quantiles=4,
        noise_levels=[0.0, 0.25],
        random_state=0,
    )
    r2 = {side: [m.score(X_test, y_test) for m in ms] for side, ms in models.items()}
    scores = report.scores.loc["r2"]
    assert scores["pruned"] == pytest.approx(np.mean(r2["pruned"]))
    assert scores["reference_std"] == pytest.approx(np.std(r2["reference"], ddof=1))
    welch = stats.ttest_ind(r2["pruned"], r2["reference"], equal_var=False)
    assert scores["p_value"] == pytest.approx(welch.pvalue)
    assert {"mae_reference_std", "mae_pruned_std", "mae_p_value"} <= set(
        report.by_target
    )
    assert {"r2_p_value", "mean_absolute_error_p_value"} <= set(report.noise)
    mean_prediction = np.mean([m.predict(X_test) for m in models["pruned"]], axis=0)
    np.testing.assert_allclose(report.predictions["predicted_pruned"], mean_prediction)
    assert report.n_models == {"reference": 3, "pruned": 3}
    assert "3 reference and 3 pruned models" in str(report)


def test_cross_validated_regressors_are_scored_on_their_own_test_folds(friedman):
    X, _, y, _ = friedman
    folds = {
        side: cross_validate(
            Ridge(alpha=alpha),
            X,
            y,
            cv=3,
            return_estimator=True,
            return_indices=True,
        )
        for side, alpha in [("reference", 0.1), ("pruned", 300.0)]
    }
    test = folds["reference"]["indices"]["test"]
    report = robustness_report(
        folds["reference"]["estimator"],
        folds["pruned"]["estimator"],
        X,
        y,
        test_indices=test,
        noise_levels=[0.0],
    )
    r2 = [
        r2_score(y[rows], model.predict(X[rows]))
        for model, rows in zip(folds["pruned"]["estimator"], test)
    ]
    assert report.scores.loc["r2", "pruned"] == pytest.approx(np.mean(r2))
    assert len(report.predictions) == len(X)
    assert report.by_target["support"].sum() == len(X)


def test_a_dataframe_keeps_its_index_in_the_predictions(friedman):
    X_train, X_test, y_train, y_test = friedman
    columns = [f"x{i}" for i in range(X_train.shape[1])]
    frame = pd.DataFrame(X_test, columns=columns, index=np.arange(1000, 1400))
    models = [
        Ridge(alpha=a).fit(pd.DataFrame(X_train, columns=columns), y_train)
        for a in (0.1, 100.0)
    ]
    report = robustness_report(*models, frame, y_test, random_state=0)
    assert report.predictions.index.tolist() == list(range(1000, 1400))
    assert set(report.changed.index) <= set(range(1000, 1400))


@pytest.mark.parametrize(
    "case, message",
    [
        ("mixed", "reference is a regressor and pruned a classifier"),
        ("two_targets", "y has shape \\(400, 2\\): the report compares regressors"),
        ("text_target", "y holds values that are not numbers"),
        ("nan_target", "y holds NaN or infinite values"),
        ("tolerance", "tolerance must be None or a number >= 0"),
        ("n_quantiles", "n_quantiles must be an int >= 1"),
    ],
)
def test_bad_input_gets_a_clear_error(ridge_and_knn, friedman, case, message):
    _, X_test, _, y_test = friedman
    reference, pruned = ridge_and_knn
    kwargs = {"noise_levels": ()}
    y = y_test
    if case == "mixed":
        pruned = LogisticRegression().fit(X_test, y_test > np.median(y_test))
    elif case == "two_targets":
        y = np.column_stack([y_test, y_test])
    elif case == "text_target":
        y = np.array(["high"] * 400)
    elif case == "nan_target":
        y = np.where(np.arange(400) == 3, np.nan, y_test)
    elif case == "tolerance":
        kwargs["tolerance"] = -1.0
    else:
        kwargs["n_quantiles"] = 0
    with pytest.raises(ValueError, match=message):
        robustness_report(reference, pruned, X_test, y, **kwargs)


# ------------------------------------------------------------------- display


def test_display_draws_predictions_and_the_error_of_every_quantile(report):
    import matplotlib.pyplot as plt

    display = RegressionRobustnessDisplay.from_report(report)
    assert len(display.points_) == 2
    assert [len(bars) for bars in display.target_bars_] == [5, 5]
    heights = [bar.get_height() for bar in display.prediction_bars_[1]]
    np.testing.assert_allclose(heights, report.by_prediction["mae_pruned"])
    offsets = display.points_[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], report.predictions["true"])
    assert display.ax_[1].get_ylabel() == "Mean absolute error"
    display.figure_.canvas.draw()
    plt.close(display.figure_)


def test_display_from_estimators_draws_into_given_axes(ridge_and_knn, friedman):
    import matplotlib.pyplot as plt

    _, X_test, _, y_test = friedman
    figure, axes = plt.subplots(1, 3)
    display = RegressionRobustnessDisplay.from_estimators(
        *ridge_and_knn, X_test, y_test, n_quantiles=3, ax=axes
    )
    assert list(display.ax_) == list(axes) and display.figure_ is figure
    assert [len(bars) for bars in display.target_bars_] == [3, 3]
    plt.close(figure)


def test_each_display_refuses_the_report_of_the_other_task(report):
    with pytest.raises(ValueError, match=r"RegressionRobustnessDisplay\.from_report"):
        RobustnessDisplay.from_report(report)
    classification = {"confidence": None, "per_class": None}
    with pytest.raises(ValueError, match="draw the report of classifiers with"):
        RegressionRobustnessDisplay.from_report(classification)
    with pytest.raises(ValueError, match="ax must hold 3 Axes"):
        RegressionRobustnessDisplay.from_report(report, ax=[None, None])
