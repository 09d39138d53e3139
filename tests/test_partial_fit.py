import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_classification

from sklprune import PrunedClassifier


def _data(n=120, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=10, n_informative=5, n_classes=3, random_state=seed
    )
    return X.astype(np.float32), np.array(["a", "b", "c"])[y]


def _clf(**kw):
    params = dict(
        hidden_layer_sizes=(8,),
        sparsity=0.6,
        max_epochs=4,
        finetune_epochs=1,
        batch_size=32,
        lr=0.01,
        random_state=0,
    )
    return PrunedClassifier(**{**params, **kw})


def test_first_partial_fit_call_requires_classes():
    X, y = _data()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        _clf().partial_fit(X, y)


def test_partial_fit_refuses_labels_outside_the_first_calls_classes():
    X, y = _data()
    clf = _clf().partial_fit(X, y, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"labels \['d'\] that are not in classes_"):
        clf.partial_fit(X[:3], np.array(["a", "b", "d"]))
    with pytest.raises(ValueError, match="differs from classes_"):
        clf.partial_fit(X, y, classes=["a", "b"])
    assert clf.n_iter_ == 1, "refused calls train nothing"


def test_partial_fit_accepts_chunks_that_lack_some_classes():
    X, y = _data()
    clf = _clf().partial_fit(X[y == "a"], y[y == "a"], classes=["a", "b", "c"])
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_partial_fit_reaches_the_target_sparsity_after_the_pruning_calls():
    X, y = _data()
    clf = _clf()
    sparsities = []
    for chunk in np.array_split(np.arange(len(X)), 4):
        clf.partial_fit(X[chunk], y[chunk], classes=["a", "b", "c"])
        sparsities.append(clf.sparsity_)
    # max_epochs - finetune_epochs = 3 calls prune; the 4th fine-tunes.
    assert sparsities[1] < 0.6
    assert sparsities[2] == pytest.approx(0.6, abs=0.01)
    assert sparsities[3] == sparsities[2]
    assert clf.n_iter_ == 4


def test_max_epochs_partial_fit_calls_on_the_data_give_the_network_fit_gives():
    X, y = _data()
    X = sp.csr_matrix(X)
    fitted = _clf().fit(X, y)
    incremental = _clf()
    for _ in range(4):
        incremental.partial_fit(X, y, classes=["a", "b", "c"])
    for p, q in zip(fitted.module_.parameters(), incremental.module_.parameters()):
        assert torch.equal(p, q)


def test_partial_fit_continues_training_after_fit():
    X, y = _data()
    clf = _clf().fit(X, y)
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 5
    assert clf.sparsity_ == pytest.approx(0.6, abs=0.01)


def test_partial_fit_weighs_samples_as_fit_does():
    X, y = _data()
    classes = ["a", "b", "c"]
    plain = _clf().partial_fit(X, y, classes=classes)
    equal = _clf().partial_fit(X, y, classes=classes, sample_weight=np.full(len(y), 3))
    weights = np.where(y == "a", 5.0, 1.0)
    one_epoch = dict(max_epochs=1, finetune_epochs=0)
    weighted = _clf(**one_epoch).partial_fit(
        X, y, classes=classes, sample_weight=weights
    )
    fitted = _clf(**one_epoch).fit(X, y, sample_weight=weights)
    for p, q, r, s in zip(
        plain.module_.parameters(),
        equal.module_.parameters(),
        weighted.module_.parameters(),
        fitted.module_.parameters(),
    ):
        assert torch.equal(p, q), "equal weights train exactly as none"
        assert torch.equal(r, s), "the first call is fit's first epoch"
    unweighted = _clf(**one_epoch).partial_fit(X, y, classes=classes)
    assert not torch.equal(unweighted.module_[0].weight, weighted.module_[0].weight)


def test_partial_fit_refuses_compact_and_balanced_class_weight_with_clear_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="compact=True cannot be used"):
        _clf(compact=True).partial_fit(X, y, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="class_weight='balanced' cannot be used"):
        _clf(class_weight="balanced").partial_fit(X, y, classes=["a", "b", "c"])


def test_dask_ml_incremental_is_partial_fit_block_by_block():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = _data(n=200)
    model = wrappers.Incremental(_clf(), shuffle_blocks=False)
    with dask.config.set(scheduler="synchronous"):
        model.fit(
            da.from_array(X, chunks=(50, 10)),
            da.from_array(y, chunks=50),
            classes=["a", "b", "c"],
        )
    by_hand = _clf()
    for block in range(4):
        rows = slice(50 * block, 50 * (block + 1))
        by_hand.partial_fit(X[rows], y[rows], classes=["a", "b", "c"])
    assert model.estimator_.n_iter_ == 4
    fitted = model.estimator_.module_.parameters()
    for p, q in zip(fitted, by_hand.module_.parameters()):
        assert torch.equal(p, q)


def test_predictions_follow_every_partial_fit_call():
    X, y = _data()
    clf = _clf().partial_fit(X, y, classes=["a", "b", "c"])
    first = clf.predict_proba(X)
    clf.partial_fit(X, y)
    expected = torch.softmax(clf.module_(torch.from_numpy(X)), dim=1)
    np.testing.assert_allclose(clf.predict_proba(X), expected.detach(), rtol=1e-5)
    assert not np.allclose(clf.predict_proba(X), first)
