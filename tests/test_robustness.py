"""robustness_report and RobustnessDisplay: did pruning hurt, and whom?"""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    precision_score,
    recall_score,
)
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklprune import (
    PrunedClassifier,
    RobustnessDisplay,
    expected_calibration_error,
    robustness_report,
)

matplotlib.use("Agg")

RARE = 2


@pytest.fixture(scope="module")
def imbalanced():
    """Three classes, the last one rare (7 %); 40 % of the rows held out.

    At 98 % sparsity the rare class loses most of its recall on this task with any
    of the seeds 0 to 3 of the data, while accuracy drops by about a tenth.
    """
    X, y = make_classification(
        n_samples=1500,
        n_features=20,
        n_informative=10,
        n_redundant=0,
        n_classes=3,
        weights=[0.6, 0.33, 0.07],
        class_sep=1.5,
        random_state=0,
    )
    return train_test_split(X, y, stratify=y, test_size=0.4, random_state=0)


@pytest.fixture(scope="module")
def dense_and_pruned(imbalanced):
    """A dense network and the same network pruned to 98 %."""
    X_train, _, y_train, _ = imbalanced
    models = []
    for sparsity in (0.0, 0.98):
        clf = PrunedClassifier(
            hidden_layer_sizes=(32,),
            sparsity=sparsity,
            lr=3e-3,
            max_epochs=15,
            finetune_epochs=3,
            random_state=0,
        )
        models.append(make_pipeline(StandardScaler(), clf).fit(X_train, y_train))
    return models


@pytest.fixture(scope="module")
def report(dense_and_pruned, imbalanced):
    _, X_test, _, y_test = imbalanced
    return robustness_report(*dense_and_pruned, X_test, y_test, random_state=0)


def test_heavy_pruning_costs_the_rare_class_most_and_the_report_names_it_first(
    report,
):
    per_class = report.per_class
    assert per_class.index[0] == RARE
    change = per_class.loc[RARE, "recall_change"]
    assert change < 3 * report.scores.loc["accuracy", "change"] < 0
    assert per_class["recall_change"].is_monotonic_increasing


def test_numbers_equal_scikit_learn_metrics_on_the_same_predictions(
    report, dense_and_pruned, imbalanced
):
    _, X_test, _, y_test = imbalanced
    labels = [0, 1, 2]
    for side, model in zip(["reference", "pruned"], dense_and_pruned):
        predicted = model.predict(X_test)
        proba = model.predict_proba(X_test)
        recall = recall_score(y_test, predicted, labels=labels, average=None)
        precision = precision_score(
            y_test, predicted, labels=labels, average=None, zero_division=np.nan
        )
        frame = report.per_class.loc[labels]
        np.testing.assert_array_equal(frame[f"recall_{side}"], recall)
        np.testing.assert_array_equal(frame[f"precision_{side}"], precision)
        scores = report.scores[side]
        assert scores["accuracy"] == accuracy_score(y_test, predicted)
        assert scores["brier_score"] == brier_score_loss(y_test, proba, labels=labels)
        assert scores["log_loss"] == log_loss(y_test, proba, labels=labels)
    np.testing.assert_array_equal(
        report.per_class["support"].loc[labels], np.bincount(y_test)
    )


def test_calibration_error_is_the_weighted_gap_of_the_reliability_curve():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], size=500)
    y = rng.integers(0, 3, size=500)
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    true, mean_confidence = calibration_curve(
        correct, confidence, n_bins=15, strategy="uniform"
    )
    counts = np.histogram(confidence, bins=np.linspace(0, 1, 16))[0]
    expected = np.sum(counts[counts > 0] * np.abs(true - mean_confidence)) / 500
    ece = expected_calibration_error(y, proba, labels=[0, 1, 2])
    assert ece == pytest.approx(expected)


def test_noise_at_level_zero_reproduces_the_plain_accuracy(report):
    noise = report.noise
    assert list(noise.index) == [0.0, 0.1, 0.25, 0.5]
    for side in ["reference", "pruned"]:
        assert noise.loc[0.0, f"accuracy_{side}"] == report.scores.loc["accuracy", side]
    assert noise.loc[0.5, "accuracy_reference"] < noise.loc[0.0, "accuracy_reference"]
    assert report.noise_kind == "gaussian"


class _Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the first class and records every X it is given."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        self.seen_ = []
        return self

    def predict_proba(self, X):
        self.seen_.append(X)
        proba = np.zeros((X.shape[0], len(self.classes_)))
        proba[:, 0] = 1.0
        return proba

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def test_dense_noise_is_gaussian_and_scaled_by_each_feature_std():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 2)) * [1.0, 100.0]
    y = np.array([0, 1] * 2000)
    recorder = _Recorder().fit(X, y)
    robustness_report(
        recorder, _Recorder().fit(X, y), X, y, noise_levels=[0.5], n_repeats=1
    )
    noisy = recorder.seen_[-1]
    noise = noisy - X
    np.testing.assert_allclose(noise.std(axis=0), 0.5 * X.std(axis=0), rtol=0.05)
    np.testing.assert_array_equal(recorder.seen_[0], X)  # level 0: untouched


def test_sparse_input_loses_a_share_of_its_non_zeros_and_nothing_else():
    rng = np.random.default_rng(0)
    X = sp.random(400, 50, density=0.2, format="csr", random_state=0) + 0.0
    y = rng.integers(0, 2, size=400)
    recorder = _Recorder().fit(X, y)
    report = robustness_report(
        recorder, _Recorder().fit(X, y), X, y, noise_levels=[0.0, 0.3], n_repeats=1
    )
    assert report.noise_kind == "dropout"
    noisy = recorder.seen_[-1]
    assert sp.issparse(noisy)
    assert noisy.nnz == pytest.approx(0.7 * X.nnz, rel=0.05)
    kept = noisy.toarray()
    original = X.toarray()
    assert np.all((kept == 0) | (kept == original))  # no new or changed values
    assert sp.issparse(recorder.seen_[0]) and recorder.seen_[0].nnz == X.nnz


def test_dataframe_noise_touches_numeric_columns_and_keeps_the_index():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=50), "b": rng.normal(size=50)},
        index=np.arange(100, 150),
    )
    y = np.array([0, 1] * 25)
    reference = LogisticRegression().fit(X, y)
    pruned = LogisticRegression(C=0.01).fit(X, y)
    report = robustness_report(reference, pruned, X, y, random_state=0)
    assert list(report.predictions.index) == list(X.index)
    assert report.predictions.index.name == "row"


def _text_pipelines():
    """Two text pipelines that learned different vocabularies."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(0)
    words = {1: ["win", "cash", "prize", "free"], 0: ["see", "call", "soon", "later"]}
    y = rng.integers(0, 2, 300)
    X = np.array([" ".join(rng.choice(words[v], 3)) + " ok" for v in y], dtype=object)
    reference = make_pipeline(TfidfVectorizer(), LogisticRegression())
    pruned = make_pipeline(TfidfVectorizer(max_features=6), LogisticRegression(C=0.1))
    return reference.fit(X, y), pruned.fit(X, y), X, y


def test_text_pipelines_get_noise_on_their_own_transformed_input():
    reference, pruned, X, y = _text_pipelines()
    assert len(reference[0].vocabulary_) != len(pruned[0].vocabulary_)
    report = robustness_report(
        reference, pruned, X, y, noise_levels=(0.0, 0.5, 1.0), random_state=0
    )
    assert report.noise_on == "last_step"
    assert report.noise_kind == "dropout"
    noise = report.noise
    assert (
        noise.loc[0.0, "accuracy_reference"]
        == report.scores.loc["accuracy", "reference"]
    )
    # Every word dropped: each model predicts what its intercept says for all rows.
    for side, model in (("reference", reference), ("pruned", pruned)):
        empty = model[-1].predict(model[:-1].transform([""]))[0]
        assert noise.loc[1.0, f"accuracy_{side}"] == np.mean(y == empty)
    assert noise.loc[0.5, "accuracy_reference"] < noise.loc[0.0, "accuracy_reference"]
    assert "the input of each pipeline's last step" in report.summary()


def test_numeric_input_still_gets_noise_as_given(report):
    assert report.noise_on == "input"
    assert "the input of each pipeline's last step" not in report.summary()


def test_changed_rows_are_exactly_those_where_predictions_differ(
    report, dense_and_pruned, imbalanced
):
    _, X_test, _, y_test = imbalanced
    reference, pruned = dense_and_pruned
    before, after = reference.predict(X_test), pruned.predict(X_test)
    rows = np.flatnonzero(before != after)
    changed = report.changed
    np.testing.assert_array_equal(changed.index, rows)
    np.testing.assert_array_equal(changed["predicted_reference"], before[rows])
    np.testing.assert_array_equal(changed["predicted_pruned"], after[rows])
    np.testing.assert_array_equal(changed["true"], y_test[rows])
    proba = pruned.predict_proba(X_test)[rows]
    np.testing.assert_allclose(
        changed["confidence_pruned"], proba[np.arange(len(rows)), after[rows]]
    )
    by_class = report.changed_by_class
    np.testing.assert_array_equal(
        by_class["changed"], np.bincount(y_test[rows], minlength=3)
    )
    assert by_class.loc[RARE, "share_changed"] == by_class["share_changed"].max()


def _seeds(X, y, C, n):
    return [
        LogisticRegression(C=C, max_iter=500).fit(X[i::n], y[i::n]) for i in range(n)
    ]


def test_several_models_give_means_spread_and_welch_t_test(imbalanced):
    X_train, X_test, y_train, y_test = imbalanced
    references = _seeds(X_train, y_train, 1.0, 4)
    pruned = _seeds(X_train, y_train, 0.002, 4)
    report = robustness_report(references, pruned, X_test, y_test, noise_levels=())
    recalls = {
        side: np.array(
            [recall_score(y_test, m.predict(X_test), average=None) for m in models]
        )
        for side, models in [("reference", references), ("pruned", pruned)]
    }
    frame = report.per_class.loc[[0, 1, 2]]
    np.testing.assert_allclose(frame["recall_pruned"], recalls["pruned"].mean(0))
    np.testing.assert_allclose(
        frame["recall_reference_std"], recalls["reference"].std(0, ddof=1)
    )
    welch = stats.ttest_ind(recalls["pruned"], recalls["reference"], equal_var=False)
    np.testing.assert_allclose(frame["t_statistic"], welch.statistic)
    np.testing.assert_allclose(frame["p_value"], welch.pvalue)
    assert report.per_class.index[0] == RARE
    assert report.per_class.loc[RARE, "p_value"] < 0.05
    assert {"reference_std", "pruned_std", "p_value"} <= set(report.scores)
    assert report.n_models == {"reference": 4, "pruned": 4}


def test_cross_validated_models_are_scored_on_their_own_test_folds(imbalanced):
    X, _, y, _ = imbalanced
    folds = {
        side: cross_validate(
            LogisticRegression(C=C, max_iter=500),
            X,
            y,
            cv=3,
            return_estimator=True,
            return_indices=True,
        )
        for side, C in [("reference", 1.0), ("pruned", 0.002)]
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
    accuracy = [
        accuracy_score(y[rows], model.predict(X[rows]))
        for model, rows in zip(folds["pruned"]["estimator"], test)
    ]
    assert report.scores.loc["accuracy", "pruned"] == pytest.approx(np.mean(accuracy))
    assert report.noise.loc[0.0, "accuracy_pruned"] == pytest.approx(np.mean(accuracy))
    assert len(report.predictions) == len(X)
    for model, rows in zip(folds["pruned"]["estimator"], test):
        np.testing.assert_array_equal(
            report.predictions["predicted_pruned"].to_numpy()[rows],
            model.predict(X[rows]),
        )


@pytest.fixture(scope="module")
def small():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    return X, y, LogisticRegression().fit(X, y)


@pytest.mark.parametrize(
    "case, message",
    [
        ("n_features", r"X has 3 features, but the models expect 4"),
        ("different_n_features", r"expect different numbers of features"),
        ("unfitted", r"pruned \(LogisticRegression\) is not fitted"),
        ("unseen_labels", r"y holds labels the models never saw: 7"),
        (
            "different_classes",
            r"The models know different classes: reference has \[0, 1\], pruned "
            r"has \[1, 2\]",
        ),
        ("no_predict_proba", r"pruned \(LinearSVC\) has no predict_proba"),
        ("length", r"X has 60 rows but y has 59 values"),
        ("folds", r"test_indices holds 2 folds but reference has 1 models"),
        ("sparse_level", r"noise_levels must be shares of non-zero entries"),
        ("negative_level", r"noise_levels must be finite multiples"),
        ("n_repeats", r"n_repeats must be an int >= 1"),
        ("text", r"Noise needs numeric input"),
        ("noise_on", r"noise_on must be one of 'auto', 'input', 'last_step'"),
        (
            "last_step",
            r"noise_on='last_step' perturbs the input of each pipeline's last step, "
            r"and reference \(LogisticRegression\) is not a Pipeline",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(case, message, small):
    X, y, model = small
    pruned, X_arg, y_arg, kwargs = model, X, y, {}
    if case == "n_features":
        X_arg = X[:, :3]
    elif case == "different_n_features":
        pruned = LogisticRegression().fit(X[:, :3], y)
    elif case == "unfitted":
        pruned = LogisticRegression()
    elif case == "unseen_labels":
        y_arg = np.where(np.arange(60) == 0, 7, y)
    elif case == "different_classes":
        pruned = LogisticRegression().fit(X, y + 1)
    elif case == "no_predict_proba":
        pruned = LinearSVC().fit(X, y)
    elif case == "length":
        y_arg = y[:59]
    elif case == "folds":
        kwargs = {"test_indices": [np.arange(30), np.arange(30, 60)]}
    elif case == "sparse_level":
        X_arg, kwargs = sp.csr_matrix(X), {"noise_levels": [0.5, 1.5]}
    elif case == "negative_level":
        kwargs = {"noise_levels": [-0.1]}
    elif case == "n_repeats":
        kwargs = {"n_repeats": 0}
    elif case == "text":
        X_arg = np.array([["a", "b", "c", "d"]] * 60)
    elif case == "noise_on":
        kwargs = {"noise_on": "output"}
    elif case == "last_step":
        kwargs = {"noise_on": "last_step"}
    with pytest.raises(ValueError, match=message):
        robustness_report(model, pruned, X_arg, y_arg, **kwargs)


def test_report_prints_every_part(report):
    text = str(report)
    assert text == repr(report) == report.summary()
    for part in [
        "Did pruning hurt? reference vs pruned on 600 rows",
        "15 equal-width bins of the top-class confidence",
        "Per class, worst recall change first",
        "Gaussian noise of <level> x each feature's standard deviation",
        f"Predictions changed: {len(report.changed)} of 600 rows",
    ]:
        assert part in text


def test_display_draws_both_reliability_curves_and_one_bar_per_class(report):
    display = RobustnessDisplay.from_report(report)
    assert len(display.ax_) == 3
    assert display.figure_ is display.ax_[0].figure
    assert [d.line_.get_label() for d in display.calibration_displays_] == [
        "reference",
        "pruned",
    ]
    for axis in display.ax_[:2]:
        assert len(axis.get_lines()) == 2  # the diagonal and the curve
    assert len(display.bars_) == 3
    labels = [label.get_text() for label in display.ax_[2].get_yticklabels()]
    assert labels[-1] == str(RARE)  # the worst class on top
    bar_widths = sorted(bar.get_width() for bar in display.bars_)
    assert bar_widths[0] == report.per_class.loc[RARE, "recall_change"]
    matplotlib.pyplot.close(display.figure_)


def test_display_from_estimators_draws_into_given_axes(small):
    X, y, model = small
    figure, axes = matplotlib.pyplot.subplots(1, 3)
    weaker = LogisticRegression(C=0.01).fit(X, y)
    display = RobustnessDisplay.from_estimators(model, weaker, X, y, ax=axes)
    assert display.figure_ is figure
    assert len(display.bars_) == 2
    with pytest.raises(ValueError, match="ax must hold 3 Axes"):
        RobustnessDisplay.from_estimators(model, weaker, X, y, ax=axes[:2])
    matplotlib.pyplot.close(figure)


def test_pruning_curve_measures_the_calibration_of_every_point():
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from sklprune import pruning_curve

    X, y = make_classification(n_samples=150, n_features=8, random_state=0)
    clf = PrunedClassifier(
        hidden_layer_sizes=(8,), max_epochs=4, finetune_epochs=1, random_state=0
    )
    cv = StratifiedKFold(2)
    curve = pruning_curve(
        clf, X, y, sparsities=[0.0, 0.8], cv=cv, return_calibration=True
    )
    assert curve.test_calibration_error.shape == curve.test_log_loss.shape == (2, 2)
    train, test = next(cv.split(X, y))
    first = clone(clf).set_params(sparsity=0.0).fit(X[train], y[train])
    proba = first.predict_proba(X[test])
    assert curve.test_calibration_error[0, 0] == pytest.approx(
        expected_calibration_error(y[test], proba)
    )
    assert curve.test_log_loss[0, 0] == pytest.approx(log_loss(y[test], proba))
    assert {"test_calibration_error", "test_log_loss"} <= set(curve.frame)
    assert "test_log_loss" not in pruning_curve(clf, X, y, sparsities=[0.0], cv=cv)


def test_display_of_several_models_draws_the_standard_error_of_the_change(
    imbalanced,
):
    X_train, X_test, y_train, y_test = imbalanced
    references = _seeds(X_train, y_train, 1.0, 3)
    pruned = _seeds(X_train, y_train, 0.002, 3)
    report = robustness_report(references, pruned, X_test, y_test, noise_levels=())
    display = RobustnessDisplay.from_report(report)
    per_class = report.per_class
    expected = np.sqrt(
        per_class["recall_reference_std"] ** 2 / 3
        + per_class["recall_pruned_std"] ** 2 / 3
    )
    drawn = display.bars_.errorbar.lines[2][0].get_segments()
    widths = sorted(segment[1, 0] - segment[0, 0] for segment in drawn)
    np.testing.assert_allclose(widths, sorted(2 * expected))
    matplotlib.pyplot.close(display.figure_)
