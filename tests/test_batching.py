import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

from sklprune._training.batching import (
    ArrayDataset,
    BatchIterator,
    batch_rows,
    predict_logits,
)
from sklprune.modules import MLP
from sklprune.persistence._encoding import module_from_state, module_to_state


def test_shuffled_batches_cover_every_row_once_and_follow_the_seed():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    dataset = ArrayDataset(X, np.arange(10))
    torch.manual_seed(0)
    first = [
        yb.tolist() for _, yb in BatchIterator(dataset, batch_size=3, shuffle=True)
    ]
    torch.manual_seed(0)
    again = [
        yb.tolist() for _, yb in BatchIterator(dataset, batch_size=3, shuffle=True)
    ]
    assert first == again
    assert sorted(row for batch in first for row in batch) == list(range(10))
    assert [len(b) for b in first] == [3, 3, 3, 1]


def test_sparse_batches_are_coo_for_modules_that_accept_them_and_dense_otherwise():
    X = sp.random(6, 50, density=0.1, format="csr", dtype=np.float32, random_state=0)
    sparse = batch_rows(ArrayDataset(X).X, slice(0, 4), keep_sparse=True)
    dense = batch_rows(ArrayDataset(X).X, slice(0, 4))
    assert sparse.is_sparse and not dense.is_sparse
    assert torch.equal(sparse.to_dense(), dense)


def test_predict_logits_matches_the_module_on_dense_and_sparse_input():
    torch.manual_seed(0)
    module = MLP(50, 3, hidden_layer_sizes=(8,))
    X = sp.random(300, 50, density=0.1, format="csr", dtype=np.float32, random_state=0)
    expected = module(torch.from_numpy(X.toarray())).detach().numpy()
    np.testing.assert_allclose(
        predict_logits(module, X, batch_size=64), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        predict_logits(module, X.toarray()), expected, rtol=1e-5, atol=1e-6
    )
    assert module.training, "the module's mode is restored"


@pytest.mark.parametrize(
    "module",
    [MLP(4, 2, (3,)), nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))],
    ids=["mlp", "batchnorm"],
)
def test_modules_round_trip_through_numpy_state(module):
    state = module_to_state(module)
    entries = [*state["parameters"].values(), *state["buffers"].values()]
    assert all(isinstance(a, (np.ndarray, str)) for e in entries for a in e.values())
    slots = [
        value
        for layer in state["skeleton"].modules()
        for value in [*layer._parameters.values(), *layer._buffers.values()]
    ]
    assert not any(torch.is_tensor(v) for v in slots)
    restored = module_from_state(state)
    for (k, a), (k2, b) in zip(
        module.state_dict().items(), restored.state_dict().items()
    ):
        assert k == k2 and torch.equal(a, b)


def test_importing_sklprune_is_light_until_a_name_is_used():
    import subprocess
    import sys

    code = (
        "import sys, sklprune; light = 'torch' not in sys.modules; "
        "sklprune.PrunedClassifier; print(light, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True"]


@pytest.mark.parametrize("option", ["num_workers", "pin_memory"])
def test_batch_iterator_refuses_data_loader_options_it_would_ignore(option):
    dataset = ArrayDataset(np.zeros((4, 2)))
    with pytest.raises(TypeError, match=rf"unsupported arguments \['{option}'\]"):
        BatchIterator(dataset, **{option: 1})


def test_classifier_reports_an_unsupported_iterator_option_before_training():
    from skorch import NeuralNetClassifier

    net = NeuralNetClassifier(
        MLP(2, 2, (3,)),
        iterator_train=BatchIterator,
        iterator_train__num_workers=2,
        dataset=ArrayDataset,
        train_split=None,
        max_epochs=1,
    )
    with pytest.raises(TypeError, match="num_workers"):
        net.fit(np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1]))
