"""Groups of coupled units: found from the graph, pruned whole, counted exactly."""

import pickle

import pytest
import torch
from _helpers import randomise
from torch import nn
from torch.nn import functional as F

from sklprune import compact
from sklprune.compaction import coupled_units
from sklprune.masks import (
    Axis,
    Member,
    OutputPositions,
    UnitGroups,
    compute_group_masks,
    find_targets,
    weight_costs,
)

# --------------------------------------------------------------- module classes


class ResidualMLP(nn.Module):
    """The residual MLP of the issue: a block added to its input, then a head."""

    def __init__(self, n_features=64, n_classes=10, width=32):
        super().__init__()
        self.inp = nn.Linear(n_features, width)
        self.block = nn.Sequential(
            nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)
        )
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        h = F.relu(self.inp(x))
        return self.head(F.relu(h + self.block(h)))


class TwoBranch(nn.Module):
    """Two branches read the input; their outputs are concatenated."""

    def __init__(self, n_features=64, n_classes=10, width=24):
        super().__init__()
        self.left = nn.Linear(n_features, width)
        self.right = nn.Linear(n_features, width + 8)
        self.hidden = nn.Linear(2 * width + 8, 16)
        self.head = nn.Linear(16, n_classes)

    def forward(self, x):
        h = torch.cat([F.relu(self.left(x)), torch.tanh(self.right(x))], dim=1)
        return self.head(F.relu(self.hidden(h)))


class ConvBN(nn.Module):
    """Conv -> BatchNorm -> ReLU -> pool, twice, then a flatten into a Linear."""

    def __init__(self, n_features=64, n_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 12, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(12)
        self.fc = nn.Linear(12 * 2 * 2, 16)
        self.head = nn.Linear(16, n_classes)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x.reshape(-1, 1, 8, 8)))), 2)
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2)
        return self.head(F.relu(self.fc(h.flatten(1))))


class EmbeddingLinear(nn.Module):
    def __init__(self, n_tokens=20, dim=8, n_classes=3):
        super().__init__()
        self.emb = nn.Embedding(n_tokens, dim)
        self.hidden = nn.Linear(dim, 6)
        self.head = nn.Linear(6, n_classes)

    def forward(self, x):
        return self.head(F.relu(self.hidden(self.emb(x).mean(dim=1))))


class Reused(nn.Module):
    """A layer called twice: its inputs in both calls are one set of units."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 6)
        self.shared = nn.Linear(6, 6)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        h = F.relu(self.inp(x))
        return self.head(F.relu(self.shared(F.relu(self.shared(h)))))


class Normalised(nn.Module):
    """Units that feed a LayerNorm mix there: none of them can be removed."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.norm = nn.LayerNorm(8)
        self.b = nn.Linear(8, 6)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(F.relu(self.b(self.norm(self.a(x)))))


def _members(groups, name, dim, position):
    return groups.members(groups.group_of(name, dim, position))


# ---------------------------------------------------------------- the groups


def test_the_outputs_of_every_layer_feeding_a_sum_are_one_group():
    groups = coupled_units(ResidualMLP())
    assert _members(groups, "inp.weight", 0, 3) == [
        Member("inp.weight", 0, [3], "units"),
        Member("block.0.weight", 1, [3], "inputs"),
        Member("block.2.weight", 0, [3], "units"),
        Member("head.weight", 1, [3], "inputs"),
    ]
    assert _members(groups, "block.0.weight", 0, 5) == [
        Member("block.0.weight", 0, [5], "units"),
        Member("block.2.weight", 1, [5], "inputs"),
    ]
    assert groups.family_names == ["block.2 + inp", "block.0"]
    assert groups.n_groups == 64


def test_concatenated_slices_map_to_their_sources():
    groups = coupled_units(TwoBranch())
    assert _members(groups, "left.weight", 0, 2) == [
        Member("left.weight", 0, [2], "units"),
        Member("hidden.weight", 1, [2], "inputs"),
    ]
    assert _members(groups, "right.weight", 0, 2) == [
        Member("right.weight", 0, [2], "units"),
        Member("hidden.weight", 1, [24 + 2], "inputs"),
    ]
    assert groups.family_names == ["left", "right", "hidden"]


def test_conv_channels_go_with_their_batchnorm_and_flattened_columns():
    groups = coupled_units(ConvBN())
    assert _members(groups, "conv1.weight", 0, 3) == [
        Member("conv1.weight", 0, [3], "units"),
        Member("conv2.weight", 1, [3], "inputs"),
        Member("bn1", 0, [3], "entries"),
    ]
    # channel 4 of conv2 is the block of 2 x 2 columns 16..19 of fc after flatten
    assert _members(groups, "conv2.weight", 0, 4) == [
        Member("conv2.weight", 0, [4], "units"),
        Member("fc.weight", 1, [16, 17, 18, 19], "inputs"),
        Member("bn2", 0, [4], "entries"),
    ]


def test_embedding_columns_go_with_what_reads_them():
    groups = coupled_units(EmbeddingLinear())
    assert _members(groups, "emb.weight", 1, 2) == [
        Member("emb.weight", 1, [2], "units"),
        Member("hidden.weight", 1, [2], "inputs"),
    ]


def test_a_layer_called_twice_ties_the_units_it_reads_in_both_calls():
    groups = coupled_units(Reused())
    assert _members(groups, "inp.weight", 0, 1) == [
        Member("inp.weight", 0, [1], "units"),
        Member("shared.weight", 0, [1], "units"),
        Member("shared.weight", 1, [1], "inputs"),
        Member("head.weight", 1, [1], "inputs"),
    ]
    assert groups.n_groups == 6


def test_units_that_reach_the_output_or_mix_belong_to_no_group():
    residual = coupled_units(ResidualMLP())
    assert residual.group_of("head.weight", 0, 0) == -1
    normalised = coupled_units(Normalised())
    assert normalised.group_of("a.weight", 0, 0) == -1
    assert normalised.group_of("b.weight", 0, 0) >= 0


def test_units_of_a_layer_that_is_no_target_are_never_pruned():
    groups = coupled_units(ResidualMLP(), targets=["block.*.weight", "head.weight"])
    # the sum's units are also inp's, which is no target: none of them is a group
    assert groups.group_of("block.2.weight", 0, 0) == -1
    assert groups.group_of("block.0.weight", 0, 0) >= 0


def test_finding_groups_leaves_the_module_and_its_statistics_alone():
    module = randomise(ConvBN()).train()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    coupled_units(module)
    assert module.training and module.bn1.training
    for key, value in module.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_a_module_the_walk_cannot_follow_raises_naming_the_node():
    class Rolled(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 6)
            self.head = nn.Linear(6, 2)

        def forward(self, x):
            return self.head(torch.roll(self.a(x), 1, dims=1))

    with pytest.raises(ValueError, match="node 'roll'"):
        coupled_units(Rolled())


# ------------------------------------------------------------ masks of groups


def _magnitudes(module):
    return {n: p.detach().abs() for n, p in find_targets(module).items()}


def _largest_group_cost(groups, params, costs):
    largest = 0.0
    for g in range(groups.n_groups):
        cost = 0.0
        for member in groups.members(g):
            if member.kind != "entries":
                param = params[member.name]
                per_position = param.numel() // param.shape[member.dim]
                cost += len(member.index) * per_position * costs[member.name]
        largest = max(largest, cost)
    return largest


@pytest.mark.parametrize("module_class", [ResidualMLP, TwoBranch, ConvBN])
@pytest.mark.parametrize("scope", ["lamp", "global", "layer"])
@pytest.mark.parametrize("sparsity", [0.5, 0.75, 0.9])
def test_compacted_weights_are_within_one_group_of_the_asked_sparsity(
    module_class, scope, sparsity
):
    module = randomise(module_class()).eval()
    params = find_targets(module)
    groups = coupled_units(module)
    masks = compute_group_masks(_magnitudes(module), sparsity, groups, scope=scope)
    small = compact(module, masks)
    dense = sum(p.numel() for p in params.values())
    kept = sum(p.numel() for p in find_targets(small).values())
    one_group = _largest_group_cost(groups, params, dict.fromkeys(params, 1.0))
    assert abs(kept - (1 - sparsity) * dense) <= one_group
    kept_in_masks = sum(int(m.sum()) for m in masks.values())
    assert kept == kept_in_masks  # what the masks keep is what compaction keeps


@pytest.mark.parametrize(
    "module_class, make_input",
    [
        (ResidualMLP, lambda: torch.randn(16, 64)),
        (TwoBranch, lambda: torch.randn(16, 64)),
        (ConvBN, lambda: torch.randn(16, 64)),
        (EmbeddingLinear, lambda: torch.randint(0, 20, (16, 5))),
    ],
)
def test_compacted_predictions_equal_the_masked_networks(module_class, make_input):
    torch.manual_seed(0)
    module = randomise(module_class()).eval()
    groups = coupled_units(module)
    masks = compute_group_masks(_magnitudes(module), 0.6, groups)
    with torch.no_grad():
        for name, param in find_targets(module).items():
            param.mul_(masks[name])
    small = compact(module, masks)
    assert sum(p.numel() for p in small.parameters()) < sum(
        p.numel() for p in module.parameters()
    )
    x = make_input()
    torch.testing.assert_close(small(x), module(x), rtol=1e-5, atol=1e-5)


def test_the_output_layer_keeps_every_unit_and_loses_the_columns_of_pruned_units():
    module = ResidualMLP()
    masks = compute_group_masks(_magnitudes(module), 0.9, coupled_units(module))
    head = masks["head.weight"]
    assert bool(head.any(dim=1).all())
    dead = ~masks["inp.weight"].any(dim=1)
    assert bool(dead.any())
    assert not bool(head[:, dead].any())
    assert bool(masks["inp.weight"].any(dim=0).all()), "input features stay"


def test_a_multiply_add_budget_prunes_where_the_multiply_adds_are():
    module = randomise(ConvBN()).eval()
    params = find_targets(module)
    positions = {"conv1": 64.0, "conv2": 16.0, "fc": 1.0, "head": 1.0}
    costs = weight_costs(module, params, "macs", positions)
    groups = coupled_units(module)
    masks = compute_group_masks(_magnitudes(module), 0.75, groups, costs=costs)
    total = sum(p.numel() * costs[n] for n, p in params.items())
    kept = sum(int(masks[n].sum()) * costs[n] for n in params)
    assert abs((total - kept) - 0.75 * total) <= _largest_group_cost(
        groups, params, costs
    )
    by_weights = compute_group_masks(_magnitudes(module), 0.75, groups)
    conv_share = int(masks["conv2.weight"].sum())
    assert conv_share < int(by_weights["conv2.weight"].sum())


def test_earlier_masks_stay_and_dead_groups_count():
    module = ResidualMLP()
    groups = coupled_units(module)
    scores = _magnitudes(module)
    first = compute_group_masks(scores, 0.5, groups)
    second = compute_group_masks(
        {n: torch.rand(s.shape) for n, s in scores.items()},
        0.75,
        groups,
        previous=first,
    )
    for name in first:
        assert not bool((second[name] & ~first[name]).any()), name
    params = find_targets(module)
    total = sum(p.numel() for p in params.values())
    kept = sum(int(m.sum()) for m in second.values())
    one_group = _largest_group_cost(groups, params, dict.fromkeys(params, 1.0))
    assert abs((total - kept) - 0.75 * total) <= one_group


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_group_reductions_rank_groups_of_the_same_members(reduction):
    groups = UnitGroups(
        {
            "a": (Axis(0, torch.arange(3), "units"),),
            "b": (Axis(1, torch.arange(3), "inputs"),),
        },
        families=[0, 0, 0],
        family_names=["a"],
    )
    scores = {
        "a": torch.tensor([[1.0], [2.0], [3.0]]),
        "b": torch.tensor([[3.0, 2.0, 1.0]]),
    }
    # sum and mean tie groups 0 and 2 (broken by position); max prunes group 1
    masks = compute_group_masks(
        scores, 0.3, groups, scope="global", group_reduction=reduction
    )
    pruned = (~masks["a"][:, 0]).nonzero().flatten().tolist()
    assert pruned == ([1] if reduction == "max" else [0])


def test_the_layer_scope_prunes_every_family_by_the_same_fraction():
    module = TwoBranch()
    groups = coupled_units(module)
    masks = compute_group_masks(_magnitudes(module), 0.75, groups, scope="layer")
    fractions = [
        float((~masks[name].any(dim=1)).float().mean())
        for name in ("left.weight", "right.weight", "hidden.weight")
    ]
    assert max(fractions) - min(fractions) <= 1 / 16


def test_per_layer_groups_prune_rows_only():
    params = {"a": torch.ones(4, 3), "b": torch.ones(2, 4)}
    groups = UnitGroups.per_layer(params)
    masks = compute_group_masks(
        {n: torch.rand(p.shape) for n, p in params.items()}, 0.5, groups, scope="layer"
    )
    assert int((~masks["a"].any(1)).sum()) == 2
    assert bool(masks["a"].any(0).all())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"scope": "local"}, ValueError, "scope must be one of"),
        ({"group_reduction": "median"}, ValueError, "group_reduction must be one"),
        (
            {"previous": {"a": torch.ones(1, 1, dtype=torch.bool)}},
            ValueError,
            "does not match",
        ),
    ],
)
def test_bad_arguments_of_compute_group_masks_raise(kwargs, error, match):
    params = {"a": torch.ones(4, 3)}
    with pytest.raises(error, match=match):
        compute_group_masks(params, 0.5, UnitGroups.per_layer(params), **kwargs)


def test_groups_pickle():
    groups = coupled_units(ConvBN())
    loaded = pickle.loads(pickle.dumps(groups))
    assert loaded.members(5) == groups.members(5)


# ------------------------------------------------------------------ costs


def test_output_positions_count_every_call_of_a_layer():
    module = Reused()
    recorder = OutputPositions(module, ["inp", "shared", "head"]).start(n_samples=5)
    module(torch.randn(5, 4))
    assert recorder.stop() == {"inp": 1.0, "shared": 2.0, "head": 1.0}
    assert not recorder.watching
    assert all(not layer._forward_hooks for layer in module.modules())


def test_a_weight_costs_its_layers_output_positions_under_the_macs_budget():
    module = ConvBN()
    params = find_targets(module)
    positions = {"conv1": 64.0, "conv2": 16.0, "fc": 1.0, "head": 1.0}
    assert weight_costs(module, params, "parameters") == dict.fromkeys(params, 1.0)
    assert weight_costs(module, params, "macs", positions) == {
        "conv1.weight": 64.0,
        "conv2.weight": 16.0,
        "fc.weight": 1.0,
        "head.weight": 1.0,
    }
    with pytest.raises(ValueError, match="output positions"):
        weight_costs(module, params, "macs")
    with pytest.raises(ValueError, match="budget must be one of"):
        weight_costs(module, params, "flops")
