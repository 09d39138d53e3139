import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_friedman1
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

import sklprune._training.weighting
from sklprune import PrunedClassifier, PrunedRegressor, pruning_curve


class EpochRecorder:
    """Accuracy, recording how many epochs the classifier has trained."""

    def __init__(self):
        self.epochs = []

    def __call__(self, clf, X, y):
        self.epochs.append(clf.n_iter_)
        return float((clf.predict(X) == y).mean())


@pytest.mark.parametrize("max_epochs, step_epochs", [(2, 1), (3, 1), (8, 3)])
def test_path_steps_fine_tune_for_the_auto_finetune_epochs(
    blobs, max_epochs, step_epochs
):
    X, y = blobs
    recorder = EpochRecorder()
    clf = PrunedClassifier(max_epochs=max_epochs, hidden_layer_sizes=(16,))
    curve = pruning_curve(
        clf,
        X,
        y,
        sparsities=[0.0, 0.5, 0.9],
        cv=2,
        scoring=recorder,
        return_train_score=False,
    )
    assert curve.achieved_sparsity.mean(axis=1).round(2).tolist() == [0.0, 0.5, 0.9]
    first, *steps = recorder.epochs[:3]
    assert first == max_epochs
    assert np.diff([first, *steps]).tolist() == [step_epochs, step_epochs]


def test_finetune_epochs_it_cannot_prune_with_fail_before_any_training(
    blobs, monkeypatch
):
    X, y = blobs
    clf = PrunedClassifier(max_epochs=3, finetune_epochs=5)
    monkeypatch.setattr(PrunedClassifier, "fit", None)  # any fit would fail here
    with pytest.raises(ValueError, match="finetune_epochs=5 must be smaller"):
        pruning_curve(clf, X, y, sparsities=[0.0, 0.5], cv=2)


def test_path_steps_weigh_the_loss_by_class_weight(monkeypatch):
    X, y = make_classification(
        n_samples=200, n_features=6, weights=[0.8, 0.2], random_state=0
    )
    weighted_batches = []
    original = sklprune._training.weighting.weighted_loss

    def counting(loss, logits, target, sample_weight=None):
        weighted_batches.append(sample_weight is not None)
        return original(loss, logits, target, sample_weight)

    monkeypatch.setattr(sklprune._training.weighting, "weighted_loss", counting)
    clf = PrunedClassifier(
        max_epochs=2, batch_size=50, hidden_layer_sizes=(8,), class_weight="balanced"
    )
    pruning_curve(clf, X, y, sparsities=[0.0, 0.5], cv=2, return_train_score=False)
    # Two folds of 100 rows: 2 batches per epoch, 2 epochs of fit + 1 path step.
    assert weighted_batches == [True] * (2 * 2 * 3)


def _weights(y):
    """Weights that favour class 0 strongly, with a zero among them."""
    w = np.where(y == 0, 5.0, 0.5)
    w[0] = 0.0
    return w


@pytest.mark.parametrize("pipeline", [False, True])
def test_sample_weight_weighs_the_fits_and_the_scores_of_each_fold(blobs, pipeline):
    from sklearn.metrics import accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = blobs
    w = _weights(y)
    clf = PrunedClassifier(
        sparsity=0.0, max_epochs=4, hidden_layer_sizes=(16,), random_state=0
    )
    estimator = make_pipeline(StandardScaler(), clf) if pipeline else clf
    train, test = np.arange(0, 160), np.arange(160, 240)
    curve = pruning_curve(
        estimator, X, y, sparsities=[0.0, 0.5], sample_weight=w, cv=[(train, test)]
    )
    # The first point is an ordinary weighted fit, scored with the test weights.
    params = {
        "prunedclassifier__sample_weight" if pipeline else "sample_weight": w[train]
    }
    fitted = clone(estimator).fit(X[train], y[train], **params)
    expected = accuracy_score(y[test], fitted.predict(X[test]), sample_weight=w[test])
    assert curve.test_scores[0, 0] == pytest.approx(expected)
    unweighted = pruning_curve(
        estimator, X, y, sparsities=[0.0, 0.5], cv=[(train, test)]
    )
    assert not np.array_equal(curve.test_scores, unweighted.test_scores)


def test_path_steps_weigh_the_loss_by_sample_weight(blobs, monkeypatch):
    X, y = blobs
    seen = []
    original = sklprune._training.weighting.weighted_loss

    def recording(loss, logits, target, sample_weight=None):
        seen.append(None if sample_weight is None else sample_weight.detach().clone())
        return original(loss, logits, target, sample_weight)

    monkeypatch.setattr(sklprune._training.weighting, "weighted_loss", recording)
    clf = PrunedClassifier(max_epochs=1, batch_size=240, hidden_layer_sizes=(8,))
    train = np.arange(240)
    pruning_curve(
        clf,
        X,
        y,
        sparsities=[0.0, 0.5],
        sample_weight=_weights(y),
        cv=[(train, train)],
        finetune_epochs=0,
        return_train_score=False,
    )
    # One batch in the fit, one in the path step: both carry the fold's weights.
    assert len(seen) == 2 and all(s is not None for s in seen)
    for weights in seen:
        assert sorted(weights.tolist()) == sorted(
            _weights(y).astype(np.float32).tolist()
        )


def test_equal_sample_weights_change_nothing(blobs):
    X, y = blobs
    clf = PrunedClassifier(max_epochs=3, hidden_layer_sizes=(16,), random_state=0)
    kwargs = {"sparsities": [0.0, 0.5], "cv": 2}
    plain = pruning_curve(clf, X, y, **kwargs)
    ones = pruning_curve(clf, X, y, sample_weight=np.ones(len(y)), **kwargs)
    np.testing.assert_array_equal(plain.test_scores, ones.test_scores)
    np.testing.assert_array_equal(plain.train_scores, ones.train_scores)


@pytest.mark.parametrize(
    "sample_weight, scoring, error, match",
    [
        (np.ones(5), None, ValueError, "sample_weight.shape"),
        (-np.ones(240), None, ValueError, "Negative values in data passed to"),
        (np.ones(240), lambda est, X, y: 0.0, TypeError, "takes no sample_weight"),
    ],
)
def test_bad_sample_weight_fails_before_any_training(
    blobs, sample_weight, scoring, error, match
):
    X, y = blobs
    clf = PrunedClassifier(max_epochs=2, hidden_layer_sizes=(8,))
    with pytest.raises(error, match=match):
        pruning_curve(clf, X, y, sample_weight=sample_weight, scoring=scoring, cv=2)


# ---------------------------------------------------------------- regression


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_friedman1(n_samples=240, n_features=6, noise=0.5, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def small_regressor(**params):
    return PrunedRegressor(
        hidden_layer_sizes=(16,), lr=0.01, max_epochs=4, random_state=0, **params
    )


def test_a_regressor_path_scores_r2_on_unshuffled_kfold_splits(regression_data):
    X, y = regression_data
    reg = small_regressor(sparsity=0.0)
    curve = pruning_curve(reg, X, y, sparsities=[0.0, 0.8], cv=3)
    assert curve.score_name == "R²"
    assert curve.test_scores.shape == (2, 3)
    for fold, (train, test) in enumerate(KFold(3).split(X)):
        fitted = clone(reg).fit(X[train], y[train])
        assert curve.test_scores[0, fold] == pytest.approx(
            r2_score(y[test], fitted.predict(X[test]))
        )
    assert curve.achieved_sparsity[1].round(2).tolist() == [0.8, 0.8, 0.8]


def test_return_errors_gives_the_mean_absolute_and_root_mean_squared_errors(
    regression_data,
):
    X, y = regression_data
    curve = pruning_curve(
        small_regressor(),
        X,
        y,
        sparsities=[0.0, 0.8],
        cv=2,
        scoring="neg_mean_absolute_error",
        return_errors=True,
    )
    assert curve.score_name == "Negative mean absolute error"
    np.testing.assert_allclose(curve.test_mean_absolute_error, -curve.test_scores)
    assert np.all(curve.test_root_mean_squared_error >= curve.test_mean_absolute_error)
    assert {"test_mean_absolute_error", "test_root_mean_squared_error"} <= set(
        curve.frame.columns
    )
    assert "test_calibration_error" not in curve


def test_a_regressor_of_several_targets_has_a_path(regression_data):
    X, y = regression_data
    targets = np.column_stack([y, y**2 / 10])
    curve = pruning_curve(
        small_regressor(), X, targets, sparsities=[0.0, 0.5], cv=2, return_errors=True
    )
    assert curve.test_scores.shape == curve.test_mean_absolute_error.shape == (2, 2)


@pytest.mark.parametrize(
    "estimator, option, match",
    [
        (small_regressor(), "return_calibration", "is not a classifier"),
        (PrunedClassifier(max_epochs=2), "return_errors", "is not a regressor"),
    ],
)
def test_a_measure_of_the_other_task_fails_before_any_training(
    regression_data, monkeypatch, estimator, option, match
):
    X, y = regression_data
    monkeypatch.setattr(type(estimator), "fit", None)  # any fit would fail here
    with pytest.raises(ValueError, match=match):
        pruning_curve(estimator, X, y > np.median(y), cv=2, **{option: True})
