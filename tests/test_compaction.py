import copy
import pickle

import numpy as np
import pytest
import torch
from _helpers import randomise
from skorch import NeuralNetClassifier
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import prune

from sklprune import PrunedClassifier, PruningCallback, compact
from sklprune.compaction import SelectFeatures
from sklprune.masks import compute_masks, find_targets, neuron_dim
from sklprune.modules import MLP


def _neuron_masks(module, sparsity=0.5, seed=0):
    """Neuron masks from compute_masks for every weighted layer but the last."""
    targets = find_targets(module)
    hidden = list(targets)[:-1]
    generator = torch.Generator().manual_seed(seed)
    scores = {
        name: targets[name].detach().abs()
        + torch.rand(targets[name].shape, generator=generator)
        for name in hidden
    }
    dims = {name: neuron_dim(module, name) for name in hidden}
    return compute_masks(
        scores, sparsity, scope="layer", granularity="neuron", neuron_dims=dims
    )


def _masked(module, masks):
    masked = copy.deepcopy(module).eval()
    with torch.no_grad():
        for name, mask in masks.items():
            masked.get_parameter(name).masked_fill_(~mask, 0.0)
    return masked


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def _mlp_bn():
    return nn.Sequential(
        nn.Linear(10, 16),
        nn.BatchNorm1d(16),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(16, 12),
        nn.Tanh(),
        nn.Linear(12, 3),
    )


def _nested():
    return nn.Sequential(
        nn.Sequential(nn.Linear(10, 16), nn.GELU()),
        nn.Sequential(nn.Sequential(nn.Linear(16, 12), nn.PReLU(12)), nn.Sigmoid()),
        nn.Linear(12, 3),
    )


def _no_bias_consumer():
    return nn.Sequential(
        nn.Linear(10, 16), nn.LeakyReLU(0.1), nn.Linear(16, 3, bias=False)
    )


def _conv1d():
    return nn.Sequential(
        nn.Conv1d(2, 8, 3),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.MaxPool1d(2),
        nn.Conv1d(8, 6, 3),
        nn.SiLU(),
        nn.Flatten(),
        nn.Linear(6 * 3, 4),
    )


def _conv2d():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 6, 3, padding=1, padding_mode="replicate"),
        nn.ELU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(6 * 2 * 2, 5),
        nn.ReLU(),
        nn.Linear(5, 2),
    )


def _conv_flatten_norm():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.Hardtanh(),
        nn.Flatten(),
        nn.BatchNorm1d(8 * 4 * 4),
        nn.Linear(8 * 4 * 4, 6),
        nn.ReLU(),
        nn.Linear(6, 2),
    )


def _zero_padded_consumer():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.Tanh(), nn.Conv2d(8, 4, 3, padding=1), nn.Flatten()
    )


def _avg_pool_with_padding():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.Sigmoid(),
        nn.AvgPool2d(3, stride=1, padding=1),
        nn.Conv2d(8, 4, 3),
        nn.Flatten(),
        nn.Linear(4 * 2 * 2, 2),
    )


def _layer_norm():
    return nn.Sequential(
        nn.Linear(10, 16),
        nn.LayerNorm(16),
        nn.ReLU(),
        nn.Linear(16, 12),
        nn.ReLU(),
        nn.Linear(12, 3),
        nn.Softmax(dim=1),
    )


ARCHITECTURES = {
    "linear_bn_dropout": (_mlp_bn, (10,)),
    "nested_sequentials": (_nested, (10,)),
    "consumer_without_bias": (_no_bias_consumer, (10,)),
    "default_mlp": (lambda: MLP(10, 3, (16, 12), "tanh", dropout=0.1), (10,)),
    "conv1d_pool_flatten_linear": (_conv1d, (2, 12)),
    "conv2d_padded_pool_flatten_linear": (_conv2d, (3, 6, 6)),
    "conv_flatten_batchnorm_linear": (_conv_flatten_norm, (3, 6, 6)),
    "zero_padded_consumer": (_zero_padded_consumer, (3, 7, 7)),
    "avg_pool_with_padding": (_avg_pool_with_padding, (3, 6, 6)),
    "layer_norm_and_softmax": (_layer_norm, (10,)),
}


@pytest.mark.parametrize("name", list(ARCHITECTURES))
@pytest.mark.parametrize("use_masks", [True, False], ids=["masks", "zeroed"])
def test_compacted_outputs_equal_masked_outputs(name, use_masks):
    build, shape = ARCHITECTURES[name]
    torch.manual_seed(0)
    module = randomise(build())
    masks = _neuron_masks(module)
    masked = _masked(module, masks)
    compacted = compact(module, masks) if use_masks else compact(masked)
    x = torch.randn(16, *shape)
    with torch.no_grad():
        expected, got = masked(x), compacted(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    if name == "zero_padded_consumer":  # every dead channel has a constant
        assert _n_params(compacted) == _n_params(module)
    else:
        assert _n_params(compacted) < _n_params(module)


def test_compacted_widths_and_parameter_count_are_what_the_masks_predict():
    torch.manual_seed(0)
    module = randomise(MLP(20, 5, (64, 32)))
    masks = _neuron_masks(module, sparsity=0.75)
    kept = [int(m.any(dim=1).sum()) for m in masks.values()]
    assert kept == [16, 8]
    compacted = compact(module, masks)
    assert [compacted[0].out_features, compacted[2].out_features] == kept
    assert [compacted[2].in_features, compacted[4].in_features] == kept
    predicted = (20 + 1) * kept[0] + (kept[0] + 1) * kept[1] + (kept[1] + 1) * 5
    assert _n_params(compacted) == predicted


def test_dead_unit_bias_is_folded_into_next_layer():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).eval()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 2.0], [0.0, 0.0]]))
        net[0].bias.copy_(torch.tensor([0.5, 3.0]))
        net[2].weight.copy_(torch.tensor([[1.0, 10.0]]))
        net[2].bias.fill_(1.0)
    compacted = compact(net)
    assert compacted[0].out_features == 1
    # relu(3.0) * 10.0 from the removed unit, plus the original bias 1.0
    assert compacted[2].bias.item() == pytest.approx(31.0)


def test_consumer_without_bias_gains_one_only_when_a_constant_is_folded():
    net = _no_bias_consumer().eval()
    with torch.no_grad():
        net[0].weight[:8] = 0.0
        net[0].bias[:8] = 0.0  # dead units that output exactly zero
    assert compact(net)[2].bias is None
    with torch.no_grad():
        net[0].bias[0] = 1.0
    compacted = compact(net)
    assert compacted[2].bias is not None
    x = torch.randn(4, 10)
    torch.testing.assert_close(compacted(x), net(x))


def test_unit_whose_outgoing_weights_are_all_zero_is_removed():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)).eval()
    with torch.no_grad():
        net[2].weight[:, :3] = 0.0
    compacted = compact(net)
    assert (compacted[0].out_features, compacted[2].in_features) == (3, 3)
    x = torch.randn(5, 4)
    torch.testing.assert_close(compacted(x), net(x))


def test_removal_cascades_backwards_through_units_left_without_outputs():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2)
    ).eval()
    with torch.no_grad():
        net[2].weight[:, :2] = 0.0  # units 0, 1 of layer 0 are read by nobody ...
        net[2].weight[3:] = 0.0  # ... once units 3..5 of layer 2 are dead
        net[2].weight[:3, 2:] = 0.0  # and units 2..5 of layer 0 feed only those
        net[2].weight[:3, 2] = 1.0
    compacted = compact(net)
    x = torch.randn(5, 4)
    torch.testing.assert_close(compacted(x), net(x))
    assert compacted[0].out_features == 1
    assert compacted[2].out_features == 3


def test_zero_padded_consumer_keeps_dead_channels_with_nonzero_constant():
    net = _zero_padded_consumer().eval()
    with torch.no_grad():
        net[0].weight[:4] = 0.0
        net[0].bias[:2] = 0.0  # tanh(0) = 0: removable
        net[0].bias[2:4] = 1.0  # tanh(1) != 0 meets zero padding: kept
    compacted = compact(net)
    assert compacted[0].out_channels == 6
    x = torch.randn(3, 3, 7, 7)
    torch.testing.assert_close(compacted(x), net(x))


def test_layer_before_a_layer_norm_keeps_its_width():
    net = _layer_norm().eval()
    with torch.no_grad():
        net[0].weight[:8] = 0.0
        net[3].weight[:6] = 0.0
    compacted = compact(net)
    assert compacted[0].out_features == 16
    assert compacted[3].out_features == 6


def test_layer_with_every_unit_pruned_keeps_one():
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)).eval()
    with torch.no_grad():
        net[0].weight.zero_()
    compacted = compact(net)
    assert compacted[0].out_features == 1
    x = torch.randn(3, 4)
    torch.testing.assert_close(compacted(x), net(x))


def test_unpruned_module_gives_an_equal_copy_in_eval_mode():
    torch.manual_seed(0)
    net = _mlp_bn().train()
    compacted = compact(net)
    assert compacted is not net
    assert type(compacted) is nn.Sequential
    assert not compacted.training
    assert net.training
    assert str(compacted) == str(net)
    for (key, a), (key_c, b) in zip(
        net.state_dict().items(), compacted.state_dict().items()
    ):
        assert key == key_c
        assert torch.equal(a, b)
        assert a.data_ptr() != b.data_ptr()


def test_compact_leaves_the_module_and_masks_untouched():
    torch.manual_seed(0)
    module = randomise(MLP(10, 3, (16, 12)))
    masks = _neuron_masks(module)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    compact(module, masks, prune_inputs=True)
    for key, value in module.state_dict().items():
        assert torch.equal(value, before[key])


def test_default_mlp_stays_an_mlp_with_narrower_layers():
    torch.manual_seed(0)
    module = MLP(10, 3, (16, 12))
    compacted = compact(module, _neuron_masks(module))
    assert type(compacted) is MLP
    assert [m.out_features for m in compacted if isinstance(m, nn.Linear)] == [8, 6, 3]


def test_prune_inputs_removes_unused_columns_and_takes_original_inputs():
    torch.manual_seed(0)
    net = nn.Sequential(nn.BatchNorm1d(6), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
    net = randomise(net).eval()
    with torch.no_grad():
        net[1].weight[:, [1, 4]] = 0.0
        net[1].weight[0] = 0.0
    compacted = compact(net, prune_inputs=True)
    assert isinstance(compacted.select, SelectFeatures)
    assert compacted.select.index.tolist() == [0, 2, 3, 5]
    assert compacted.module[0].num_features == 4
    assert compacted.module[1].in_features == 4
    assert compacted.module[1].out_features == 4
    x = torch.randn(7, 6)
    torch.testing.assert_close(compacted(x), net(x))
    with pytest.raises(ValueError, match="6 features"):
        compacted(x[:, :4])


def test_prune_inputs_of_a_conv_removes_input_channels():
    torch.manual_seed(0)
    net = randomise(_conv2d()).eval()
    with torch.no_grad():
        net[0].weight[:, 1] = 0.0
    compacted = compact(net, prune_inputs=True)
    assert compacted.select.index.tolist() == [0, 2]
    x = torch.randn(2, 3, 6, 6)
    torch.testing.assert_close(compacted(x), net(x))


def test_recompacting_composes_the_selected_features():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)).eval()
    with torch.no_grad():
        net[0].weight[:, 0] = 0.0
    once = compact(net, prune_inputs=True)
    with torch.no_grad():
        once.module[0].weight[:, 1] = 0.0  # original feature 2
    twice = compact(once, prune_inputs=True)
    assert twice.select.index.tolist() == [1, 3, 4, 5]
    assert type(twice.module[0]) is nn.Linear
    x = torch.randn(3, 6)
    torch.testing.assert_close(twice(x), once(x))


def test_prune_inputs_without_unused_inputs_adds_no_selection():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert type(compact(net, prune_inputs=True)[0]) is nn.Linear


@pytest.mark.parametrize(
    "front, message",
    [
        (nn.Flatten(), "Flatten"),
        (nn.LayerNorm(12), "LayerNorm"),
    ],
)
def test_prune_inputs_refuses_inputs_it_cannot_trace(front, message):
    net = nn.Sequential(front, nn.Linear(12, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        net[1].weight[:, 0] = 0.0
    with pytest.raises(ValueError, match=message):
        compact(net, prune_inputs=True)


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class _ChainedBlock(_Block):
    def __sklprune_chain__(self):
        return [self.fc1, self.act, self.fc2]


class _ResidualNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 6)
        self.fc2 = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)) + x)


class _LyingNet(_ResidualNet):
    def __sklprune_chain__(self):
        return [self.fc1, self.fc2]


def test_module_with_chain_hook_is_compacted_and_keeps_its_class():
    torch.manual_seed(0)
    module = _ChainedBlock().eval()
    with torch.no_grad():
        module.fc1.weight[:5] = 0.0
    compacted = compact(nn.Sequential(module, nn.Softmax(dim=1)))
    assert type(compacted[0]) is _ChainedBlock
    assert compacted[0].fc1.out_features == 3
    assert compacted[0].fc2.in_features == 3
    x = torch.randn(4, 6)
    torch.testing.assert_close(compacted(x), torch.softmax(module(x), dim=1))


def test_chain_hook_that_does_not_describe_forward_is_refused():
    module = _LyingNet().eval()
    with torch.no_grad():
        module.fc1.weight[:3] = 0.0
        module.fc1.bias[:3] = -1.0
    with pytest.raises(ValueError, match="does not compute what the original"):
        compact(module)


@pytest.mark.parametrize(
    "module, message",
    [
        (
            nn.Sequential(nn.Linear(4, 4), _Block()),
            r"layer '1.fc1' \(Linear\): it expects 6 inputs.*'0' \(Linear\) with 4",
        ),
        (
            nn.Sequential(nn.Linear(6, 4), nn.Sequential(nn.ReLU(), _ResidualNet())),
            r"layer '1.1.fc1' \(Linear\): it expects 6 inputs",
        ),
        (
            nn.Sequential(nn.Linear(4, 4), nn.Softmax2d()),
            r"layer '1' \(Softmax2d\)",
        ),
        (
            nn.Sequential(nn.Conv2d(4, 4, 3, groups=2), nn.ReLU()),
            r"layer '0' \(Conv2d\).*groups=2",
        ),
        (
            nn.Sequential(nn.Conv1d(2, 4, 3), nn.Flatten(start_dim=2)),
            r"layer '1' \(Flatten\)",
        ),
        (
            nn.Sequential(nn.Conv1d(2, 4, 3), nn.Linear(8, 2)),
            r"layer '1' \(Linear\).*nn.Flatten\(\)",
        ),
        (
            nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(5, 2)),
            r"layer '2' \(Linear\): it expects 5 inputs.*'0' \(Linear\) with 3",
        ),
        (
            nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(4), nn.Linear(3, 2)),
            r"layer '1' \(BatchNorm1d\): it expects 4 entries",
        ),
        (
            nn.Sequential(nn.Conv1d(2, 3, 2), nn.MaxPool2d(2), nn.Conv1d(3, 2, 2)),
            r"layer '1' \(MaxPool2d\)",
        ),
        (
            nn.Sequential(nn.Conv1d(2, 3, 2), nn.MaxPool1d(2, return_indices=True)),
            "return_indices",
        ),
    ],
)
def test_module_compaction_cannot_follow_raises_naming_the_layer(module, message):
    with pytest.raises(ValueError, match=message):
        compact(module)


def test_shared_layer_is_refused():
    shared = nn.Linear(4, 4)
    with pytest.raises(ValueError, match="used twice"):
        compact(nn.Sequential(shared, nn.ReLU(), shared))


def test_torch_prune_reparametrisation_is_refused_with_the_fix():
    net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    prune.l1_unstructured(net[0], "weight", amount=0.5)
    with pytest.raises(ValueError, match=r"prune.remove"):
        compact(net)


@pytest.mark.parametrize(
    "masks, error, message",
    [
        ({"9.weight": torch.ones(2, 2, dtype=torch.bool)}, ValueError, "9.weight"),
        ({"0.weight": torch.ones(3, 4, dtype=torch.bool)}, ValueError, r"\(3, 4\)"),
        ({"0.weight": torch.ones(8, 4)}, TypeError, "boolean"),
        ([torch.ones(8, 4, dtype=torch.bool)], TypeError, "dict"),
    ],
)
def test_bad_masks_raise_a_clear_error(masks, error, message):
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(error, match=message):
        compact(net, masks)


def test_non_module_input_raises_type_error_with_a_hint():
    with pytest.raises(TypeError, match=r"pass its \.module_"):
        compact(PrunedClassifier())
    with pytest.raises(TypeError, match="prune_inputs"):
        compact(nn.Linear(2, 2), prune_inputs=1)


def test_select_features_checks_its_index():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        SelectFeatures([0, 3], n_features_in=3)


def test_module_pruned_by_the_callback_compacts_to_equal_outputs(blobs):
    X, y = blobs
    callback = PruningCallback(sparsity=0.6, granularity="neuron", scope="layer")
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        nn.Sequential(
            nn.Linear(12, 32),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.Linear(32, 16),
            nn.ReLU(),
            nn.Linear(16, 3),
        ),
        criterion=nn.CrossEntropyLoss,
        max_epochs=4,
        lr=0.05,
        train_split=None,
        verbose=0,
        callbacks=[("prune", callback)],
    ).fit(X, y)
    module = net.module_.eval()
    x = torch.from_numpy(X)
    with torch.no_grad():
        expected = module(x)
        by_weights = compact(module)
        by_masks = compact(module, callback.masks_)
        for compacted in (by_weights, by_masks):
            torch.testing.assert_close(compacted(x), expected, rtol=1e-4, atol=1e-5)
    kept = int(callback.masks_["0.weight"].any(dim=1).sum())
    assert by_masks[0].out_features == by_weights[0].out_features == kept < 32
    assert by_masks[3].out_features < 16


# --------------------------------------------------------------- the classifier

CLASSIFIER = dict(
    hidden_layer_sizes=(32, 16),
    sparsity=0.75,
    granularity="neuron",
    scope="layer",
    max_epochs=6,
    finetune_epochs=2,
    random_state=0,
)


@pytest.fixture(scope="module")
def fitted_pair():
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=240, n_features=12, n_informative=6, n_classes=3, random_state=0
    )
    X = X.astype(np.float32)
    masked = PrunedClassifier(**CLASSIFIER).fit(X, y)
    compacted = PrunedClassifier(compact=True, **CLASSIFIER).fit(X, y)
    return X, masked, compacted


def test_compacted_classifier_keeps_a_quarter_of_its_weights_and_its_predictions(
    fitted_pair,
):
    X, masked, compacted = fitted_pair
    widths = [m.out_features for m in compacted.module_ if isinstance(m, nn.Linear)]
    # scope="layer": both hidden layers keep the same fraction of their units, the
    # fraction that leaves a quarter of the 12*32 + 32*16 + 16*3 weights
    assert widths[:2] == [12, 6]
    kept = sum(m.weight.numel() for m in compacted.module_ if isinstance(m, nn.Linear))
    assert abs(kept - 0.25 * (12 * 32 + 32 * 16 + 16 * 3)) <= 32 + 3  # one group
    assert compacted.net_.module_ is compacted.module_
    assert compacted.n_parameters_ < 0.3 * masked.n_parameters_  # biases included
    assert compacted.sparsity_ == masked.sparsity_
    np.testing.assert_allclose(
        compacted.predict_proba(X), masked.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(compacted.predict(X), masked.predict(X))


def test_compacted_classifier_survives_pickle_and_skops(fitted_pair):
    import skops.io as sio

    X, _, compacted = fitted_pair
    expected = compacted.predict_proba(X)
    unpickled = pickle.loads(pickle.dumps(compacted))
    np.testing.assert_array_equal(unpickled.predict_proba(X), expected)
    data = sio.dumps(compacted)
    untrusted = sio.get_untrusted_types(data=data)
    assert "sklprune.classifier.PrunedClassifier" in untrusted
    loaded = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert str(loaded.module_) == str(compacted.module_)


def _input_pruned_module():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    with torch.no_grad():
        net[0].weight[:, ::2] = 0.0
        net[0].weight[:4] = 0.0
    return compact(net, prune_inputs=True)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("which", ["classifier", "input_pruned"])
def test_compacted_module_exports_to_onnx(fitted_pair, which, tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    X, _, compacted = fitted_pair
    module = compacted.module_ if which == "classifier" else _input_pruned_module()
    assert (which == "input_pruned") == isinstance(module[0], SelectFeatures)
    try:
        import onnxscript  # noqa: F401  (torch's default exporter needs it)

        options = dict(dynamo=True, dynamic_shapes=({0: torch.export.Dim("batch")},))
    except ImportError:
        options = dict(dynamo=False, dynamic_axes={"x": {0: "batch"}})
    path = tmp_path / "module.onnx"
    torch.onnx.export(
        module,
        (torch.from_numpy(X[:2]),),
        str(path),
        input_names=["x"],
        output_names=["logits"],
        **options,
    )
    (logits,) = ReferenceEvaluator(onnx.load(str(path))).run(None, {"x": X})
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)


def test_compact_parameter_is_validated():
    with pytest.raises(ValueError, match="compact"):
        PrunedClassifier(compact="yes").fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_classifier_refuses_a_module_compaction_cannot_follow_before_training(
    blobs,
):
    X, y = blobs

    class Net(nn.Module):
        def __init__(self, n_features, n_classes):
            super().__init__()
            self.fc = nn.Linear(n_features, n_classes)

        def forward(self, x):
            h = self.fc(x)
            if h.sum() > 0:  # data-dependent control flow: fx cannot trace it
                return h
            return -h

    clf = PrunedClassifier(module=Net, compact=True, max_epochs=2, finetune_epochs=1)
    with pytest.raises(ValueError, match=r"the module \(Net\) at node 'gt'"):
        clf.fit(X, y)
    assert not hasattr(clf, "history_")
