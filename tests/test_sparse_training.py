import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sklprune import PrunedClassifier
from sklprune._training.batching import ArrayDataset, batch_rows
from sklprune._training.sparse_grad import (
    add_sparse_statistic_,
    mask_gradient_,
    mask_parameter_,
    sparse_grad_batch,
)
from sklprune.optim import LazyAdam, LazyAdamW


def _csr(n_rows=40, n_features=300, density=0.03, seed=0):
    return sp.random(
        n_rows,
        n_features,
        density=density,
        format="csr",
        dtype=np.float32,
        random_state=seed,
    )


def _text_like(n_rows=300, n_features=400, seed=0):
    X = _csr(n_rows, n_features, density=0.03, seed=seed)
    coef = np.random.RandomState(seed).randn(n_features).astype(np.float32)
    y = (X @ coef > 0).astype(int)
    return X, y


def _sparse_grad(linear, X):
    batch = batch_rows(ArrayDataset(X).X, slice(None), keep_sparse=True)
    linear.zero_grad(set_to_none=True)
    linear(sparse_grad_batch(batch)).square().sum().backward()
    return linear.weight.grad


def test_sparse_path_matches_the_dense_forward_and_gradient_on_the_same_weights():
    torch.manual_seed(0)
    linear = torch.nn.Linear(300, 7)
    X = _csr()
    dense = torch.from_numpy(X.toarray())
    batch = sparse_grad_batch(batch_rows(ArrayDataset(X).X, slice(None), True))
    out = linear(batch)
    torch.testing.assert_close(out, linear(dense))
    out.square().sum().backward()
    sparse_grad = linear.weight.grad
    assert sparse_grad.is_sparse
    linear.zero_grad(set_to_none=True)
    linear(dense).square().sum().backward()
    torch.testing.assert_close(sparse_grad.to_dense(), linear.weight.grad)


def test_sparse_gradient_holds_only_the_columns_the_batch_touches():
    linear = torch.nn.Linear(300, 5)
    X = _csr()
    grad = _sparse_grad(linear, X)
    touched = np.unique(X.indices)
    assert grad._nnz() == 5 * len(touched)
    assert set(grad._indices()[1].tolist()) == set(touched.tolist())


@pytest.mark.parametrize("optimizer", [LazyAdam, LazyAdamW])
def test_lazy_adam_leaves_untouched_columns_and_their_moments_alone(optimizer):
    torch.manual_seed(0)
    linear = torch.nn.Linear(300, 5)
    opt = optimizer(linear.parameters(), lr=0.1, weight_decay=0.5)
    X = _csr(density=0.01)
    untouched = np.setdiff1d(np.arange(300), X.indices)
    before = linear.weight.detach().clone()
    for _ in range(3):
        _sparse_grad(linear, X)
        opt.step()
    after = linear.weight.detach()
    # Weight decay is lazy: untouched columns do not decay either.
    assert torch.equal(after[:, untouched], before[:, untouched])
    assert not torch.equal(after[:, X.indices], before[:, X.indices])
    state = opt.state[linear.weight]
    assert not state["exp_avg"][:, untouched].any()
    assert not state["exp_avg_sq"][:, untouched].any()
    assert state["exp_avg"].shape == linear.weight.shape


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_lazy_adam_is_adam_where_every_column_is_touched(optimizer):
    torch.manual_seed(0)
    a = torch.nn.Linear(300, 5)
    b = torch.nn.Linear(300, 5)
    b.load_state_dict(a.state_dict())
    lazy_class, dense_class = {
        "adam": (LazyAdam, torch.optim.Adam),
        "adamw": (LazyAdamW, torch.optim.AdamW),
    }[optimizer]
    lazy = lazy_class([a.weight], lr=0.05, weight_decay=0.1)
    reference = dense_class([b.weight], lr=0.05, weight_decay=0.1)
    for seed in range(3):
        X = _csr(density=1.0, seed=seed)
        assert _sparse_grad(a, X).is_sparse
        b.zero_grad()
        b(torch.from_numpy(X.toarray())).square().sum().backward()
        lazy.step()
        reference.step()
    torch.testing.assert_close(a.weight.detach(), b.weight.detach())


def test_lazy_adam_is_torch_adam_on_dense_gradients():
    torch.manual_seed(0)
    a = torch.nn.Linear(6, 3)
    b = torch.nn.Linear(6, 3)
    b.load_state_dict(a.state_dict())
    lazy = LazyAdam(a.parameters(), lr=0.05, weight_decay=0.1)
    reference = torch.optim.Adam(b.parameters(), lr=0.05, weight_decay=0.1)
    x = torch.randn(8, 6)
    for net, opt in [(a, lazy), (b, reference)]:
        for _ in range(3):
            opt.zero_grad()
            net(x).square().sum().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_masking_a_sparse_gradient_and_its_touched_weights_keeps_pruned_entries_zero():
    torch.manual_seed(0)
    linear = torch.nn.Linear(300, 5)
    keep = torch.rand(5, 300) > 0.5
    X = _csr()
    grad = _sparse_grad(linear, X)
    mask_gradient_(grad, keep)
    assert not grad.to_dense()[~keep].any()
    with torch.no_grad():
        linear.weight.add_(1.0)  # as if every entry had moved
    before = linear.weight.detach().clone()
    mask_parameter_(linear.weight, keep)
    touched = torch.zeros(300, dtype=torch.bool)
    touched[np.unique(X.indices)] = True
    w = linear.weight.detach()
    assert not w[:, touched][~keep[:, touched]].any()
    assert torch.equal(w[:, ~touched], before[:, ~touched]), "untouched: not read"


@pytest.mark.parametrize("statistic", ["taylor", "grad_sq"])
def test_sparse_statistics_add_up_like_dense_ones(statistic):
    torch.manual_seed(0)
    linear = torch.nn.Linear(300, 5)
    total = torch.zeros_like(linear.weight)
    expected = torch.zeros_like(linear.weight)
    for seed in range(2):
        grad = _sparse_grad(linear, _csr(seed=seed))
        add_sparse_statistic_(total, statistic, linear.weight.detach(), grad)
        g = grad.to_dense()
        w = linear.weight.detach()
        expected += (w * g).abs() if statistic == "taylor" else g**2
    torch.testing.assert_close(total, expected)


@pytest.mark.parametrize("strategy", ["magnitude", "fisher"])
def test_sparse_input_training_reaches_the_target_with_exact_zeros(strategy):
    X, y = _text_like()
    clf = PrunedClassifier(
        hidden_layer_sizes=(16,),
        sparsity=0.8,
        strategy=strategy,
        max_epochs=3,
        finetune_epochs=1,
        batch_size=64,
        lr=0.01,
        random_state=0,
    ).fit(X, y)
    first = clf.module_[0].weight
    assert first.grad is not None and first.grad.is_sparse, "the sparse path ran"
    masks = dict(clf.net_.callbacks_)["prune"].masks_
    for name, p in clf.module_.named_parameters():
        if name in masks:
            assert not p.detach()[~masks[name]].any()
    assert clf.sparsity_ == pytest.approx(0.8, abs=1e-3)
    assert clf.score(X, y) > 0.7


def test_sparse_and_dense_gradient_paths_reach_the_same_accuracy_band():
    X, y = _text_like(n_rows=400)
    kw = dict(
        hidden_layer_sizes=(16,),
        max_epochs=4,
        finetune_epochs=1,
        lr=0.01,
        batch_size=64,
        random_state=0,
        sparsity=0.5,
    )
    lazy = PrunedClassifier(**kw).fit(X, y)
    dense = PrunedClassifier(optimizer=torch.optim.Adam, **kw).fit(X, y)
    assert not dense.module_[0].weight.grad.is_sparse
    assert abs(lazy.score(X, y) - dense.score(X, y)) < 0.05


def test_a_network_trained_on_sparse_input_pickles_and_compacts_like_any_other():
    import pickle

    from sklprune import compact

    X, y = _text_like()
    clf = PrunedClassifier(
        hidden_layer_sizes=(16,),
        sparsity=0.5,
        granularity="neuron",
        max_epochs=2,
        finetune_epochs=1,
        batch_size=64,
        random_state=0,
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    small = compact(clf.module_)
    assert small[0].out_features == 8
    dense = torch.from_numpy(X.toarray())
    torch.testing.assert_close(small(dense), clf.module_(dense))


def test_hybrid_sparse_gradients_of_an_embedding_are_masked_and_stepped_lazily():
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(10, 4, sparse=True)
    opt = LazyAdam(embedding.parameters(), lr=0.1)
    keep = torch.rand(10, 4) > 0.5
    with torch.no_grad():
        embedding.weight.masked_fill_(~keep, 0.0)
    before = embedding.weight.detach().clone()
    embedding(torch.tensor([1, 3, 3])).sum().backward()
    mask_gradient_(embedding.weight.grad, keep)
    opt.step()
    mask_parameter_(embedding.weight, keep)
    w = embedding.weight.detach()
    assert not w[~keep].any()
    untouched = [0, 2, 4, 5, 6, 7, 8, 9]
    assert torch.equal(w[untouched], before[untouched])
    assert not torch.equal(w[[1, 3]], before[[1, 3]])


def test_parameters_are_contiguous_after_training_on_sparse_input():
    X, y = _text_like()
    clf = PrunedClassifier(
        hidden_layer_sizes=(8,), max_epochs=2, finetune_epochs=1, random_state=0
    ).fit(X, y)
    assert all(p.is_contiguous() for p in clf.module_.parameters())
    torch.nn.utils.parameters_to_vector(clf.module_.parameters())
    clf.partial_fit(X, y)
    assert all(p.is_contiguous() for p in clf.module_.parameters())
