import pytest
import torch
from torch import nn

from sklprune.masks import (
    GLOBAL_FLOOR,
    achieved_sparsity,
    apply_masks,
    compute_masks,
    find_targets,
    keep_bits,
    neuron_dim,
)


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(64, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
        nn.LayerNorm(10),
    )


def _scores(module, targets=None):
    return {n: p.detach().abs() for n, p in find_targets(module, targets).items()}


def test_default_targets_are_weights_of_linear_conv_embedding_only():
    module = nn.Sequential(
        nn.Embedding(5, 4), nn.Conv1d(4, 3, 2), nn.BatchNorm1d(3), nn.Linear(3, 2)
    )
    assert list(find_targets(module)) == ["0.weight", "1.weight", "3.weight"]


@pytest.mark.parametrize(
    "targets, expected",
    [
        ("2.*", ["2.weight", "2.bias"]),
        (nn.Linear, ["0.weight", "2.weight", "4.weight"]),
        (["0.weight", "4.weight"], ["0.weight", "4.weight"]),
        (lambda name, p: p.ndim == 2 and p.shape[0] == 128, ["2.weight"]),
    ],
)
def test_targets_can_be_named_by_pattern_type_or_callable(targets, expected):
    assert list(find_targets(_mlp(), targets)) == expected


def test_module_without_targets_raises_naming_the_fix():
    with pytest.raises(ValueError, match="no prunable target"):
        find_targets(nn.Sequential(nn.ReLU()))


def test_neuron_dim_is_rows_for_linear_and_columns_for_embedding():
    module = nn.Sequential(nn.Embedding(5, 4), nn.Linear(4, 2))
    assert neuron_dim(module, "0.weight") == 1
    assert neuron_dim(module, "1.weight") == 0


@pytest.mark.parametrize("scope", ["global", "lamp", "layer"])
@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.5, 0.9, 0.98])
def test_weight_sparsity_is_exact_within_one_weight_per_target(scope, sparsity):
    scores = _scores(_mlp())
    masks = compute_masks(scores, sparsity, scope=scope)
    total = sum(m.numel() for m in masks.values())
    pruned = sum(int((~m).sum()) for m in masks.values())
    assert abs(pruned - sparsity * total) <= len(masks)
    if scope == "layer":
        for m in masks.values():
            assert abs(int((~m).sum()) - sparsity * m.numel()) <= 1


@pytest.mark.parametrize("scope", ["global", "lamp", "layer"])
@pytest.mark.parametrize("sparsity", [0.25, 0.5, 0.75])
def test_neuron_granularity_prunes_whole_rows_to_within_one_neuron(scope, sparsity):
    scores = _scores(_mlp())
    masks = compute_masks(scores, sparsity, scope=scope, granularity="neuron")
    total = sum(m.numel() for m in masks.values())
    pruned = sum(int((~m).sum()) for m in masks.values())
    largest_row = max(m.shape[1] for m in masks.values())
    assert abs(pruned - sparsity * total) <= len(masks) * largest_row
    for m in masks.values():
        rows = m.all(dim=1) | ~m.any(dim=1)
        assert bool(rows.all()), "a row is partly pruned"


@pytest.mark.parametrize("scope", ["global", "lamp"])
def test_global_scopes_never_empty_a_layer_at_98_percent(scope):
    module = _mlp()
    # Make the middle layer's weights the smallest, as training often does.
    with torch.no_grad():
        module[2].weight.mul_(0.01)
    masks = compute_masks(_scores(module), 0.98, scope=scope)
    for name, m in masks.items():
        uniform_share = 0.02 * m.numel()
        assert int(m.sum()) >= int(GLOBAL_FLOOR * uniform_share), name
    assert abs(sum(int((~m).sum()) for m in masks.values()) - 0.98 * 50432) <= 3


def test_masks_only_grow_and_previous_zeros_count_towards_sparsity():
    scores = _scores(_mlp())
    first = compute_masks(scores, 0.5)
    # Scores that would favour the pruned weights must not revive them.
    reversed_scores = {n: -s for n, s in scores.items()}
    second = compute_masks(reversed_scores, 0.7, previous=first)
    for name in first:
        assert not bool((second[name] & ~first[name]).any())
    total = sum(m.numel() for m in second.values())
    assert abs(sum(int((~m).sum()) for m in second.values()) - 0.7 * total) <= 3


def test_ties_are_broken_deterministically_and_exactly():
    scores = {"w": torch.ones(10, 10)}
    a = compute_masks(scores, 0.37)["w"]
    b = compute_masks(scores, 0.37)["w"]
    assert int((~a).sum()) == 37
    assert torch.equal(a, b)


def test_neuron_masks_of_embedding_prune_feature_columns():
    scores = {"e": torch.arange(12.0).reshape(3, 4)}
    mask = compute_masks(scores, 0.5, granularity="neuron", neuron_dims={"e": 1})["e"]
    assert mask[:, :2].logical_not().all() and mask[:, 2:].all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sparsity": 1.0}, ValueError, r"\[0, 1\)"),
        ({"sparsity": -0.1}, ValueError, r"\[0, 1\)"),
        ({"sparsity": "0.5"}, TypeError, "float"),
        ({"sparsity": 0.5, "scope": "local"}, ValueError, "scope"),
        ({"sparsity": 0.5, "granularity": "block"}, ValueError, "granularity"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        compute_masks({"w": torch.ones(4)}, **kwargs)


def test_achieved_sparsity_counts_exact_zeros():
    assert achieved_sparsity([torch.tensor([0.0, 1e-12, 3.0, 0.0])]) == 0.5


def test_lamp_keeps_the_small_output_layer_that_global_magnitude_prunes_away():
    torch.manual_seed(0)
    # Kaiming-uniform init gives the wide-fan-in output layer the smallest weights.
    module = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 2))
    scores = _scores(module)
    with torch.no_grad():
        scores["2.weight"] *= 0.5
    raw = compute_masks(scores, 0.9, scope="global")["2.weight"]
    lamp = compute_masks(scores, 0.9, scope="lamp")["2.weight"]
    assert int(lamp.sum()) > 2 * int(raw.sum())


@pytest.mark.parametrize("scope", ["global", "lamp"])
def test_global_floor_holds_over_many_pruning_steps(scope):
    module = _mlp()
    with torch.no_grad():
        module[2].weight.mul_(1e-3)  # one layer of tiny weights
    scores = _scores(module)
    masks = None
    for sparsity in torch.linspace(0.2, 0.98, 12).tolist():
        masks = compute_masks(scores, sparsity, previous=masks, scope=scope)
    n = module[2].weight.numel()
    floor = int(GLOBAL_FLOOR * 0.02 * n + 0.5)
    assert int(masks["2.weight"].sum()) >= floor
    assert abs(sum(int((~m).sum()) for m in masks.values()) - 0.98 * 50432) <= 3


def _poisoned(shape, dtype):
    """NaN, inf and -inf in turn."""
    values = torch.tensor([float("nan"), float("inf"), -float("inf")], dtype=dtype)
    return values[torch.arange(shape[0] * shape[1]) % 3].reshape(shape)


@pytest.mark.parametrize(
    "dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64]
)
@pytest.mark.parametrize("with_keep_bits", [False, True])
def test_apply_masks_writes_positive_zeros_over_nan_and_inf(dtype, with_keep_bits):
    mask = torch.rand(6, 5, generator=torch.Generator().manual_seed(0)) > 0.5
    tensor = _poisoned(mask.shape, dtype)
    kept = tensor[mask].clone()
    bits = {"w": keep_bits(mask, dtype)} if with_keep_bits else None
    apply_masks({"w": tensor}, {"w": mask}, keep_bits=bits)
    assert bool((tensor[~mask] == 0).all())
    assert not bool(torch.signbit(tensor[~mask]).any())
    assert torch.equal(tensor[mask].isnan(), kept.isnan())
    assert torch.equal(tensor[mask].nan_to_num(), kept.nan_to_num())


def test_apply_masks_on_a_module_finds_its_parameters_by_name():
    module = _mlp()
    masks = compute_masks(_scores(module), 0.75, scope="layer")
    apply_masks(module, masks)
    for name, p in find_targets(module).items():
        assert torch.equal(p != 0, masks[name])
    assert bool(module[0].bias.ne(0).any())  # only the masked tensors change


def test_keep_bits_exist_for_floats_only():
    mask = torch.tensor([True, False])
    assert keep_bits(mask, torch.float64).tolist() == [-1, 0]
    assert keep_bits(mask, torch.int32) is None
    counts = torch.tensor([3, 4], dtype=torch.int32)
    apply_masks({"c": counts}, {"c": mask})  # filled with zeros instead
    assert counts.tolist() == [3, 0]
