"""Neuron pruning of coupled units while a net trains: the callback and estimators."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch import NeuralNetClassifier
from test_groups import ConvBN, ResidualMLP, TwoBranch
from torch import nn

from sklprune import PrunedClassifier, PruningCallback, compact, sparsity_report
from sklprune.compaction import coupled_units
from sklprune.masks import find_targets


def _net(module, max_epochs=4, **prune):
    prune.setdefault("granularity", "neuron")
    return NeuralNetClassifier(
        module,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=max_epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
        callbacks=[("prune", PruningCallback(end_epoch=max_epochs - 1, **prune))],
    )


def _fit(net, data):
    X, y = data
    torch.manual_seed(0)
    return net.fit(X, y)


def _weights(module):
    return sum(p.numel() for p in find_targets(module).values())


def _largest_group(module):
    """The most weights one group of coupled units removes."""
    params = find_targets(module)
    groups = coupled_units(module)
    largest = 0
    for g in range(groups.n_groups):
        size = 0
        for member in groups.members(g):
            if member.kind != "entries":
                param = params[member.name]
                size += len(member.index) * param.numel() // param.shape[member.dim]
        largest = max(largest, size)
    return largest


@pytest.mark.parametrize("module", [ResidualMLP, TwoBranch])
@pytest.mark.parametrize("sparsity", [0.75, 0.9])
def test_the_compacted_network_has_the_asked_sparsity_within_one_group(
    digits_small, module, sparsity
):
    net = _fit(_net(module, sparsity=sparsity), digits_small)
    small = compact(net.module_)
    dense = _weights(module())
    assert abs(_weights(small) - (1 - sparsity) * dense) <= _largest_group(module())
    for name, weight in find_targets(small).items():  # no zero row is left behind
        assert bool((weight != 0).any(dim=1).all()), name
    X, _ = digits_small
    np.testing.assert_allclose(
        small(torch.from_numpy(X)).detach().numpy(),
        net.forward(X).numpy(),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize("scope", ["lamp", "global", "layer"])
@pytest.mark.parametrize(
    "strategy", ["magnitude", "gradient", "fisher", "random", "own function"]
)
def test_every_scope_and_strategy_prunes_whole_groups(digits_small, scope, strategy):
    if strategy == "own function":
        strategy = _squared_weights
    net = _fit(
        _net(ResidualMLP, max_epochs=3, sparsity=0.75, scope=scope, strategy=strategy),
        digits_small,
    )
    module = net.module_
    assert bool((module.head.weight != 0).any(dim=1).all()), "every class stays"
    dead_rows = [
        set(torch.nonzero(~(w != 0).any(dim=1)).flatten().tolist())
        for w in (module.inp.weight, module.block[2].weight)
    ]
    assert dead_rows[0] == dead_rows[1], "both sides of the sum go together"
    dense = _weights(module)
    kept = sum(int((p != 0).sum()) for p in find_targets(module).values())
    assert abs(kept - 0.25 * dense) <= _largest_group(ResidualMLP())
    assert net.history[-1, "sparsity"] == pytest.approx(1 - kept / dense)


def _squared_weights(weights, statistics):
    return {name: w.square() for name, w in weights.items()}


class _Rolled(nn.Module):
    """torch.roll: an operation the walk does not know, so nothing is coupled."""

    def __init__(self, n_features=64, n_classes=10):
        super().__init__()
        self.a = nn.Linear(n_features, 32)
        self.b = nn.Linear(32, 32)
        self.head = nn.Linear(32, n_classes)

    def forward(self, x):
        h = torch.relu(self.a(x))
        return self.head(torch.roll(torch.relu(self.b(h)), 1, dims=1))


class _Branching(_Rolled):
    """Control flow on a value: torch.fx cannot trace it at all."""

    def forward(self, x):
        h = torch.relu(self.a(x))
        if h.sum() > 0:
            h = torch.relu(self.b(h))
        return self.head(h)


@pytest.mark.parametrize("module, node", [(_Rolled, "'roll'"), (_Branching, "'gt'")])
def test_a_module_the_walk_cannot_follow_warns_once_and_prunes_layer_by_layer(
    digits_small, module, node
):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = _fit(_net(module, sparsity=0.5), digits_small)
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(messages) == 1, messages
    assert node in messages[0] and "layer by layer" in messages[0]
    masks = dict(net.callbacks_)["prune"].masks_
    assert set(masks) == {"a.weight", "b.weight"}  # today's units: rows, no head
    assert net.history[-1, "sparsity"] == pytest.approx(0.5, abs=64 / 3072)


def test_the_macs_budget_removes_the_asked_fraction_of_multiply_adds(digits_small):
    net = _fit(_net(ConvBN, budget="macs", sparsity=0.75), digits_small)
    dense = sparsity_report(ConvBN(), input_shape=(64,)).attrs["dense_macs"]
    small = compact(net.module_)
    macs = sparsity_report(small, input_shape=(64,)).attrs["dense_macs"]
    # the most multiply-adds one group takes: a conv1 channel and its conv2 inputs
    one_group = 64 * 9 + 16 * 12 * 9
    assert abs((dense - macs) - 0.75 * dense) <= one_group
    assert net.history[-1, "macs_sparsity"] == pytest.approx(1 - macs / dense)
    by_weights = _fit(_net(ConvBN, sparsity=0.75), digits_small)
    off = abs(by_weights.history[-1, "macs_sparsity"] - 0.75)
    assert abs(net.history[-1, "macs_sparsity"] - 0.75) < off


def test_uncoupled_units_are_pruned_layer_by_layer_as_rows(digits_small):
    net = _fit(_net(ResidualMLP, sparsity=0.5, coupled=False), digits_small)
    masks = dict(net.callbacks_)["prune"].masks_
    assert "head.weight" not in masks
    for name, mask in masks.items():
        rows = mask.any(dim=1)
        assert bool((mask == rows[:, None]).all()), f"{name}: whole rows only"


@pytest.mark.parametrize(
    "params, match",
    [
        ({"budget": "macs", "granularity": "weight"}, "set granularity='neuron'"),
        ({"budget": "flops"}, "budget must be one of"),
        ({"group_reduction": "median"}, "group_reduction must be one of"),
    ],
)
def test_budgets_that_cannot_work_are_refused(params, match):
    with pytest.raises(ValueError, match=match):
        PruningCallback(**params).initialize()


def test_coupled_must_be_a_bool():
    with pytest.raises(TypeError, match="coupled must be True or False"):
        PruningCallback(coupled="yes").initialize()


def test_a_net_pruned_by_groups_pickles_without_hooks(digits_small):
    net = _fit(_net(ConvBN, max_epochs=2, budget="macs", sparsity=0.5), digits_small)
    assert all(not layer._forward_hooks for layer in net.module_.modules())
    loaded = pickle.loads(pickle.dumps(net))
    X, _ = digits_small
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


ESTIMATOR = dict(
    module=ResidualMLP,
    granularity="neuron",
    sparsity=0.75,
    max_epochs=4,
    finetune_epochs=1,
    random_state=0,
)


def test_the_estimator_records_both_budgets_and_compacts_to_the_asked_sparsity(
    digits_small,
):
    X, y = digits_small
    masked = PrunedClassifier(budget="macs", **ESTIMATOR).fit(X, y)
    small = PrunedClassifier(budget="macs", compact=True, **ESTIMATOR).fit(X, y)
    assert small.macs_sparsity_ == pytest.approx(0.75, abs=(64 + 32 + 10) / 4416)
    assert masked.sparsity_ == small.sparsity_
    report = sparsity_report(small.module_)
    assert 1 - report.attrs["dense_macs"] / 4416 == pytest.approx(small.macs_sparsity_)
    np.testing.assert_allclose(
        small.predict_proba(X), masked.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    fitted_then_cloned = clone(small).fit(X, y)
    np.testing.assert_array_equal(fitted_then_cloned.predict(X), small.predict(X))
    restored = pickle.loads(pickle.dumps(small))
    assert restored.macs_sparsity_ == small.macs_sparsity_


def test_the_estimator_refuses_a_macs_budget_of_single_weights(digits_small):
    X, y = digits_small
    params = {**ESTIMATOR, "granularity": "weight", "budget": "macs"}
    with pytest.raises(ValueError, match="granularity='neuron'"):
        PrunedClassifier(**params).fit(X, y)


def test_a_file_saved_before_budgets_existed_counts_parameters():
    from pathlib import Path

    path = Path(__file__).parent / "data" / "before_house_move" / "classifier.pkl"
    with open(path, "rb") as file:
        clf = pickle.load(file)
    assert clf.get_params()["budget"] == "parameters"
    assert clf.get_params()["group_reduction"] == "sum"
    assert np.isnan(clf.macs_sparsity_)
