import pickle
import sys
import threading
import warnings

import numpy as np
import pytest
import skops.io as sio
import torch
from _helpers import randomise
from skorch import NeuralNetClassifier
from torch import fx, nn
from torch.nn import functional as F

from sklprune import PrunedClassifier, PruningCallback, compact
from sklprune.compaction import SelectFeatures
from sklprune.compaction._graph import is_leaf_chain, output_targets, trace
from sklprune.masks import find_targets

# --------------------------------------------------------------- module classes


class OverSequential(nn.Module):
    """A forward that calls a Sequential, the way skorch's documentation writes it."""

    def __init__(self, n_features=10, n_classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 16), nn.ReLU())
        self.hidden = nn.Linear(16, 12)
        self.head = nn.Linear(12, n_classes)

    def forward(self, x):
        return self.head(F.relu(self.hidden(self.body(x))))


class FunctionalActivations(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(10, 16)
        self.b = nn.Linear(16, 12)
        self.c = nn.Linear(12, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.a(x))
        h = F.dropout(self.b(h).relu(), p=0.2, training=self.training)
        return self.out(torch.sigmoid(self.c(h)) * 2.0 - 1.0)


class Residual(nn.Module):
    """Two residual blocks; unit counts change only through whole sums."""

    def __init__(self, n_features=10, n_classes=3):
        super().__init__()
        self.inp = nn.Linear(n_features, 12)
        self.block1 = nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 12))
        self.block2 = nn.Sequential(nn.Linear(12, 20), nn.Tanh(), nn.Linear(20, 12))
        self.norm = nn.BatchNorm1d(12)
        self.head = nn.Linear(12, n_classes)

    def forward(self, x):
        h = F.relu(self.inp(x))
        h = h + self.block1(h)
        h = self.norm(h + self.block2(h))
        return self.head(h)


class Concatenation(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(10, 8)
        self.b = nn.Linear(10, 6)
        self.out = nn.Linear(14, 3)

    def forward(self, x):
        return self.out(torch.cat([F.gelu(self.a(x)), torch.tanh(self.b(x))], dim=1))


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.bag = nn.EmbeddingBag(20, 6)
        self.hidden = nn.Linear(14, 10)
        self.out = nn.Linear(10, 3)

    def forward(self, x):
        h = torch.cat([self.emb(x).mean(dim=1), self.bag(x)], dim=1)
        return self.out(F.relu(self.hidden(h)))


class ConvNet(nn.Module):
    def __init__(self, flatten="module"):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 6, 3, padding=1, padding_mode="reflect")
        self.flatten = nn.Flatten() if flatten == "module" else None
        self.how = flatten
        self.fc = nn.Linear(6 * 3 * 3, 5)
        self.out = nn.Linear(5, 2)

    def forward(self, x):
        h = self.pool(F.relu(self.bn(self.conv1(x))))
        h = F.silu(self.conv2(h))
        if self.how == "module":
            h = self.flatten(h)
        elif self.how == "method":
            h = h.flatten(1)
        else:
            h = h.view(h.size(0), -1)
        return self.out(torch.tanh(self.fc(h)))


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 8, 3)
        self.bn = nn.BatchNorm1d(8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        h = F.max_pool1d(torch.relu(self.bn(self.conv(x))), 2)
        return self.fc(h.mean(dim=2))


# Modules whose first layer is a Linear keep their class (a random batch shows that
# their own forward runs the narrowed layers); the others come back as GraphModules.
KEEP_CLASS = {
    "class_over_sequential",
    "functional_activations",
    "residual_add",
    "concatenation",
}
PATTERNS = {
    "class_over_sequential": (OverSequential, lambda: torch.randn(16, 10)),
    "functional_activations": (FunctionalActivations, lambda: torch.randn(16, 10)),
    "residual_add": (Residual, lambda: torch.randn(16, 10)),
    "concatenation": (Concatenation, lambda: torch.randn(16, 10)),
    "embedding_to_linear": (Embeddings, lambda: torch.randint(0, 20, (16, 5))),
    "conv_bn_relu_pool_flatten_linear": (ConvNet, lambda: torch.randn(16, 3, 8, 8)),
    "conv_flatten_method": (lambda: ConvNet("method"), lambda: torch.randn(4, 3, 8, 8)),
    "conv_view_batch_minus_one": (
        lambda: ConvNet("view"),
        lambda: torch.randn(4, 3, 8, 8),
    ),
    "conv1d_global_mean": (Conv1dNet, lambda: torch.randn(16, 2, 10)),
}


def _randomise(module, seed=0):
    return randomise(module, seed).eval()


def _prune_units(module, seed=0):
    """Zero half the units of every target that is not an output layer."""
    params = find_targets(module)
    spared = output_targets(module, params)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, weight in params.items():
            if name in spared:
                continue
            layer = module.get_submodule(name.rsplit(".", 1)[0])
            dim = 1 if isinstance(layer, nn.Embedding | nn.EmbeddingBag) else 0
            n = weight.shape[dim]
            dead = torch.randperm(n, generator=generator)[: n // 2]
            weight.index_fill_(dim, dead, 0.0)
    return module


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------- identity


@pytest.mark.parametrize("name", list(PATTERNS))
def test_compacted_module_computes_what_the_pruned_one_does(name):
    build, batch = PATTERNS[name]
    torch.manual_seed(0)
    module = _prune_units(_randomise(build()))
    compacted = compact(module)
    x = batch()
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x), rtol=1e-4, atol=1e-5)
    assert _n_params(compacted) < _n_params(module)
    if name in KEEP_CLASS:
        assert type(compacted) is type(module)
    else:
        assert isinstance(compacted, fx.GraphModule)
        assert type(compacted).__name__ == type(module).__name__
    assert not compacted.training


def test_compaction_follows_the_layers_of_a_class_over_a_sequential():
    torch.manual_seed(0)
    module = OverSequential().eval()
    with torch.no_grad():
        module.body[0].weight[:10] = 0.0
        module.hidden.weight[:4] = 0.0
    compacted = compact(module)
    assert compacted.body[0].out_features == 6
    assert compacted.hidden.in_features == 6
    assert compacted.hidden.out_features == 8
    assert compacted.head.in_features == 8


def test_embedding_dimensions_with_all_zero_columns_are_removed():
    torch.manual_seed(0)
    module = Embeddings().eval()
    with torch.no_grad():
        module.emb.weight[:, :5] = 0.0
        module.bag.weight[:, 4:] = 0.0
    compacted = compact(module)
    assert compacted.emb.embedding_dim == 3
    assert compacted.bag.embedding_dim == 4
    assert compacted.hidden.in_features == 7
    x = torch.randint(0, 20, (6, 4))
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


# --------------------------------------------------------------- sums


def _sum_net():
    class Sum(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 6)
            self.b = nn.Linear(4, 6)
            self.out = nn.Linear(6, 2)

        def forward(self, x):
            return self.out(torch.relu(self.a(x)) + torch.relu(self.b(x)))

    torch.manual_seed(0)
    return _randomise(Sum())


def test_units_of_added_branches_dead_in_one_branch_only_are_kept():
    module = _sum_net()
    with torch.no_grad():
        module.a.weight[:3] = 0.0
        module.b.weight[3:] = 0.0
    compacted = compact(module)
    assert compacted.a.out_features == compacted.b.out_features == 6
    assert compacted.out.in_features == 6


def test_units_of_added_branches_dead_in_every_branch_go_together_constants_summed():
    module = _sum_net()
    with torch.no_grad():
        module.a.weight[:3] = 0.0
        module.b.weight[1:4] = 0.0
        module.a.bias[:3] = torch.tensor([0.5, 1.0, 2.0])
        module.b.bias[1:4] = torch.tensor([3.0, 0.25, -1.0])
    compacted = compact(module)
    assert compacted.a.out_features == compacted.b.out_features == 4
    assert compacted.out.in_features == 4
    x = torch.randn(8, 4)
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


def test_residual_sum_with_the_input_keeps_its_units():
    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 6)
            self.out = nn.Linear(6, 2)

        def forward(self, x):
            return self.out(F.relu(self.fc(x)) + x)

    module = _randomise(Skip())
    with torch.no_grad():
        module.fc.weight[:3] = 0.0
    compacted = compact(module)
    assert compacted.fc.out_features == 6
    x = torch.randn(5, 6)
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


def test_units_reaching_the_output_are_never_removed():
    module = _sum_net()
    with torch.no_grad():
        module.out.weight[1] = 0.0
    assert compact(module).out.out_features == 2


# --------------------------------------------------------------- what it keeps


def test_a_sequential_that_overrides_forward_is_traced_and_keeps_its_class():
    class Doubled(nn.Sequential):
        def forward(self, x):
            return super().forward(x) * 2

    torch.manual_seed(0)
    module = _randomise(Doubled(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    with torch.no_grad():
        module[0].weight[:5] = 0.0
    compacted = compact(module)
    assert type(compacted) is Doubled
    assert compacted[0].out_features == 3
    x = torch.randn(3, 4)
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


def test_a_forward_that_reads_a_width_in_python_comes_back_as_its_graph():
    class ReadsWidth(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 8)
            self.b = nn.Linear(8, 2)

        def forward(self, x):
            h = torch.relu(self.a(x))
            if self.a.out_features == 8:  # fixed when traced, not after narrowing
                h = h * 2.0
            return self.b(h)

    torch.manual_seed(0)
    module = _randomise(ReadsWidth())
    with torch.no_grad():
        module.a.weight[:5] = 0.0
    compacted = compact(module)
    assert isinstance(compacted, fx.GraphModule)
    assert type(compacted).__name__ == "ReadsWidth"
    assert compacted.a.out_features == 3
    x = torch.randn(3, 4)
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


def test_prune_inputs_of_a_module_class_selects_the_used_features():
    torch.manual_seed(0)
    module = _randomise(Residual())
    with torch.no_grad():
        module.inp.weight[:, [2, 7]] = 0.0
    compacted = compact(module, prune_inputs=True)
    assert isinstance(compacted.select, SelectFeatures)
    assert compacted.select.index.tolist() == [0, 1, 3, 4, 5, 6, 8, 9]
    assert compacted.module.inp.in_features == 8
    x = torch.randn(5, 10)
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


# --------------------------------------------------------------- refusals


class _ControlFlow(nn.Module):
    def __init__(self, n_features=12, n_classes=3):
        super().__init__()
        self.hidden = nn.Linear(n_features, 8)
        self.head = nn.Linear(8, n_classes)

    def forward(self, x):
        h = self.hidden(x)
        if h.mean() > 0:
            h = h.relu()
        return self.head(h)


class _Cumsum(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(torch.cumsum(self.hidden(x), dim=1))


class _Slice(_Cumsum):
    def forward(self, x):
        return self.head(self.hidden(x)[:, :8])


class _FixedView(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)
        self.head = nn.Linear(4 * 3, 2)

    def forward(self, x):
        return self.head(self.conv(x).view(-1, 12))


class _ParameterInForward(_Cumsum):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(8))

    def forward(self, x):
        return self.head(self.hidden(x) * self.scale)


@pytest.mark.parametrize(
    "module, message",
    [
        (
            _ControlFlow(),
            r"the module \(_ControlFlow\) at node 'gt', function operator.gt: its "
            "value decides the control flow",
        ),
        (_Cumsum(), r"node 'cumsum', function torch.cumsum: compaction does not"),
        (_Slice(), r"node 'getitem', function operator.getitem: compaction does not"),
        (_FixedView(), r"node 'view', method 'view': only a reshape to \(batch"),
        (_ParameterInForward(), r"node 'scale', get_attr 'scale': forward reads"),
    ],
)
def test_refusal_names_the_node_and_the_operation(module, message):
    with pytest.raises(ValueError, match=message):
        compact(module)


# --------------------------------------------------------------- the classifier

RESIDUAL_CLASSIFIER = dict(
    module=Residual,
    sparsity=0.5,
    granularity="neuron",
    scope="layer",
    max_epochs=3,
    finetune_epochs=1,
    batch_size=120,
    random_state=0,
)


def test_classifier_compacts_a_residual_module_class_with_identical_predictions(
    blobs,
):
    X, y = blobs
    masked = PrunedClassifier(**RESIDUAL_CLASSIFIER).fit(X, y)
    compacted = PrunedClassifier(compact=True, **RESIDUAL_CLASSIFIER).fit(X, y)
    assert type(compacted.module_) is Residual
    assert compacted.n_parameters_ < masked.n_parameters_
    # Half of the 1,140 weights go, whole groups of coupled units at a time.
    weights = [m.weight for m in compacted.module_.modules() if type(m) is nn.Linear]
    assert abs(sum(w.numel() for w in weights) - 0.5 * 1140) <= 12 + 2 * 20 + 3
    assert compacted.module_.block1[0].out_features == 14
    np.testing.assert_allclose(
        compacted.predict_proba(X), masked.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(compacted.predict(X), masked.predict(X))
    unpickled = pickle.loads(pickle.dumps(compacted))
    np.testing.assert_array_equal(
        unpickled.predict_proba(X), compacted.predict_proba(X)
    )
    data = sio.dumps(compacted)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    np.testing.assert_array_equal(loaded.predict_proba(X), compacted.predict_proba(X))


# --------------------------------------------------------------- the output layer


class HeadFirst(nn.Module):
    """Registers its output layer before its hidden layers."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 3)
        self.hidden1 = nn.Linear(12, 16)
        self.hidden2 = nn.Linear(16, 8)

    def forward(self, x):
        return self.head(torch.relu(self.hidden2(torch.relu(self.hidden1(x)))))


def test_output_layer_is_found_from_the_graph_not_the_registration_order():
    module = HeadFirst()
    assert output_targets(module, find_targets(module)) == ["head.weight"]
    assert output_targets(Concatenation(), find_targets(Concatenation())) == [
        "out.weight"
    ]


def test_output_layers_of_two_heads_are_both_found():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(4, 8)
            self.left = nn.Linear(8, 2)
            self.right = nn.Linear(8, 2)

        def forward(self, x):
            h = self.body(x).relu()
            return self.left(h) + self.right(h)

    module = TwoHeads()
    assert output_targets(module, find_targets(module)) == [
        "left.weight",
        "right.weight",
    ]


def test_neuron_pruning_spares_the_head_of_a_module_that_registers_it_first(blobs):
    X, y = blobs
    callback = PruningCallback(sparsity=0.5, granularity="neuron", scope="layer")
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        HeadFirst,
        criterion=nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
        verbose=0,
        callbacks=[("prune", callback)],
    ).fit(X, y)
    assert set(callback.masks_) == {"head.weight", "hidden1.weight", "hidden2.weight"}
    # the head loses the columns of pruned hidden units, never a whole row
    assert bool((net.module_.head.weight != 0).any(dim=1).all())
    assert not bool((net.module_.head.weight != 0).all())
    assert not bool(callback.masks_["hidden2.weight"].any(dim=1).all())


def test_untraceable_module_spares_the_last_registered_target_with_a_warning():
    module = _ControlFlow()
    with pytest.warns(UserWarning, match=r"last registered target 'head.weight'"):
        assert output_targets(module, find_targets(module)) == ["head.weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output_targets(HeadFirst(), find_targets(HeadFirst()))


def test_a_module_whose_every_target_is_an_output_layer_is_warned_about():
    class TwoHeadsOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.left = nn.Linear(4, 2)
            self.right = nn.Linear(4, 2)

        def forward(self, x):
            return self.left(x) + self.right(x)

    module = TwoHeadsOnly()
    with pytest.warns(UserWarning, match="no hidden unit is left to prune"):
        assert len(output_targets(module, find_targets(module))) == 2


def test_layers_before_the_first_prunable_units_may_be_anything():
    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(4, 8, batch_first=True)
            self.fc = nn.Linear(8, 6)
            self.out = nn.Linear(6, 2)

        def forward(self, x):
            h, _ = self.rnn(x.reshape(x.shape[0], -1, 4))
            return self.out(torch.relu(self.fc(h[:, -1])))

    torch.manual_seed(0)
    module = _randomise(Recurrent())
    with torch.no_grad():
        module.fc.weight[:4] = 0.0
    compacted = compact(module)
    assert compacted.fc.out_features == 2
    x = torch.randn(3, 20)
    with torch.no_grad():
        torch.testing.assert_close(compacted(x), module(x))


def test_a_chain_of_layers_gets_the_graph_fx_traces_without_being_traced():
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2))
    built = [(n.op, n.target) for n in trace(module).graph.nodes]
    traced = [(n.op, n.target) for n in fx.symbolic_trace(module).graph.nodes]
    assert built == traced
    assert trace(module).is_chain
    assert is_leaf_chain(module)
    shared = nn.Linear(4, 4)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    built = [(n.op, n.target) for n in trace(twice).graph.nodes]
    assert built == [(n.op, n.target) for n in fx.symbolic_trace(twice).graph.nodes]
    nested = nn.Sequential(nn.Sequential(nn.Linear(4, 2)))
    assert not is_leaf_chain(nested) and trace(nested).is_chain  # traced by fx


def test_compacting_a_chain_leaves_forwards_in_other_threads_alone():
    module = _randomise(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)))
    with torch.no_grad():
        module[0].weight[:8] = 0  # eight dead units
        module[0].bias[:8] = -1
    custom = Residual(n_features=8).eval()  # its forward is followed when fx traces
    errors, stop = [], threading.Event()

    def forwards():
        x = torch.randn(3, 8)
        while not stop.is_set():
            try:
                assert torch.is_tensor(custom(x))
            except Exception as exc:  # a process-wide patch would show up here
                errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: inside every compaction
    thread = threading.Thread(target=forwards)
    thread.start()
    try:
        for _ in range(50):
            small = compact(module)
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert errors == []
    assert small[0].out_features == 8
    x = torch.randn(5, 6)
    torch.testing.assert_close(small(x), module(x))
