import numpy as np
import pytest
from sklearn.datasets import make_classification

import sklprune._weighting
from sklprune import PrunedClassifier, pruning_curve


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
    original = sklprune._weighting.weighted_loss

    def counting(loss, logits, target, sample_weight=None):
        weighted_batches.append(sample_weight is not None)
        return original(loss, logits, target, sample_weight)

    monkeypatch.setattr(sklprune._weighting, "weighted_loss", counting)
    clf = PrunedClassifier(
        max_epochs=2, batch_size=50, hidden_layer_sizes=(8,), class_weight="balanced"
    )
    pruning_curve(clf, X, y, sparsities=[0.0, 0.5], cv=2, return_train_score=False)
    # Two folds of 100 rows: 2 batches per epoch, 2 epochs of fit + 1 path step.
    assert weighted_batches == [True] * (2 * 2 * 3)
