"""to_inference and SparseLinear: the fast inference form of a pruned module."""

import copy
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from sklprune import compact, to_inference
from sklprune.inference import DenseLinear, SparseLinear
from sklprune.inference import _form as inference_module
from sklprune.modules import MLP


def pruned_mlp(density=0.03, hidden=(64, 32), n_features=20, seed=0):
    """An MLP whose Linear weights keep about ``density`` of their entries."""
    torch.manual_seed(seed)
    net = MLP(n_features, 3, hidden).eval()
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.Linear):
                keep = torch.rand_like(layer.weight) < density
                keep[:, 0] = True  # every unit keeps an input and an output:
                keep[0, :] = True  # none is dead, compaction removes nothing
                layer.weight.mul_(keep)
    return net


def outputs(module, x):
    with torch.inference_mode():
        return module(x)


def layer_types(module):
    return [
        type(m) for m in module.modules() if isinstance(m, nn.Linear | SparseLinear)
    ]


@pytest.fixture
def fresh_decisions(monkeypatch):
    monkeypatch.setattr(inference_module, "_DECISIONS", {})


def test_sparse_form_computes_what_the_masked_module_computes():
    net = pruned_mlp(density=0.05)
    fast = to_inference(net, sparse="threshold", density_threshold=0.2)
    assert layer_types(fast) == [SparseLinear, SparseLinear, DenseLinear]
    x = torch.randn(33, 20)
    torch.testing.assert_close(outputs(fast, x), outputs(net, x), rtol=1e-5, atol=1e-6)


def test_masks_are_applied_to_a_copy_before_the_form_is_built():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 2))
    before = copy.deepcopy(net.state_dict())
    masks = {"0.weight": torch.rand(16, 10) < 0.1, "2.weight": torch.ones(2, 16) > 0}
    fast = to_inference(net, masks=masks, sparse="threshold", density_threshold=0.2)
    masked = copy.deepcopy(net)
    with torch.no_grad():
        masked[0].weight.mul_(masks["0.weight"])
    x = torch.randn(7, 10)
    torch.testing.assert_close(outputs(fast, x), outputs(masked, x))
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key])  # the module itself is untouched


def test_units_left_dead_by_weight_pruning_are_removed_with_identical_outputs():
    net = pruned_mlp(density=0.3)
    with torch.no_grad():
        net[0].weight[:10] = 0.0  # 10 units without inputs (their bias is folded)
        net[2].weight[:, 10:20] = 0.0  # 10 more whose outputs nobody reads
        net[2].weight[:5] = 0.0  # 5 second-layer units without inputs
    fast = to_inference(net, sparse="never")
    assert [m.out_features for m in fast if isinstance(m, nn.Linear)] == [44, 27, 3]
    x = torch.randn(50, 20)
    torch.testing.assert_close(outputs(fast, x), outputs(net, x), rtol=1e-5, atol=1e-6)
    kept = to_inference(net, sparse="never", remove_dead_units=False)
    assert [m.out_features for m in kept if isinstance(m, nn.Linear)] == [64, 32, 3]


class Branching(nn.Module):
    """A module compaction cannot follow: control flow that depends on the data."""

    def __init__(self):
        super().__init__()
        self.inp, self.mid = nn.Linear(8, 16), nn.Linear(16, 16)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        if h.sum() > 0:
            h = torch.relu(self.mid(h))
        return self.out(h)


def test_a_module_compaction_refuses_keeps_its_units_and_gets_sparse_layers():
    torch.manual_seed(0)
    net = Branching().eval()
    with pytest.raises(ValueError):
        compact(net)
    with torch.no_grad():
        net.mid.weight[torch.rand(16, 16) > 0.05] = 0.0
        net.mid.weight[:4] = 0.0  # dead units that only compaction would remove
    fast = to_inference(
        net, torch.randn(4, 8), sparse="threshold", density_threshold=0.1
    )
    assert type(fast) is Branching
    assert type(fast.mid) is SparseLinear and type(fast.inp) is DenseLinear
    assert fast.mid.out_features == 16
    x = torch.randn(9, 8)
    torch.testing.assert_close(outputs(fast, x), outputs(net, x))


def test_calibration_keeps_a_layer_dense_when_dense_is_faster(
    monkeypatch, fresh_decisions
):
    monkeypatch.setattr(inference_module, "_sparse_is_faster", lambda *a: False)
    assert layer_types(to_inference(pruned_mlp())) == [nn.Linear] * 3


def test_calibration_makes_a_layer_sparse_when_sparse_is_faster(
    monkeypatch, fresh_decisions
):
    monkeypatch.setattr(inference_module, "_sparse_is_faster", lambda *a: True)
    assert layer_types(to_inference(pruned_mlp())) == [SparseLinear] * 3


def test_calibration_times_a_layer_once_per_shape_and_density(
    monkeypatch, fresh_decisions
):
    timed = []

    def record(dense, sparse, rows, transposed):
        timed.append((tuple(dense.weight.shape), rows, transposed))
        return True

    monkeypatch.setattr(inference_module, "_sparse_is_faster", record)
    to_inference(pruned_mlp(), batch_size=64)
    to_inference(pruned_mlp(), batch_size=64)
    assert timed == [((64, 20), 64, False), ((32, 64), 64, True), ((3, 32), 64, True)]


def test_calibration_never_times_dense_layers(monkeypatch, fresh_decisions):
    def fail(*args):
        raise AssertionError("a layer of density > 0.5 was timed")

    monkeypatch.setattr(inference_module, "_sparse_is_faster", fail)
    assert layer_types(to_inference(pruned_mlp(density=0.9))) == [nn.Linear] * 3


def test_calibration_on_this_machine_gives_a_correct_form(fresh_decisions):
    net = pruned_mlp(density=0.02, hidden=(256, 128), n_features=64)
    fast = to_inference(net, torch.randn(4, 64), batch_size=256)
    x = torch.randn(20, 64)
    torch.testing.assert_close(outputs(fast, x), outputs(net, x), rtol=1e-5, atol=1e-6)


def test_threshold_mode_follows_the_density_threshold():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 40))
    with torch.no_grad():
        net[0].weight[:, 4:] = 0.0  # density 0.04
        net[2].weight[:, 10:] = 0.0  # density 0.2
    expected = {
        0.05: [SparseLinear, DenseLinear],
        0.3: [SparseLinear, SparseLinear],
        0.01: [nn.Linear, nn.Linear],
    }
    for threshold, kinds in expected.items():
        fast = to_inference(
            net,
            sparse="threshold",
            density_threshold=threshold,
            remove_dead_units=False,
        )
        assert layer_types(fast) == kinds


def test_dense_linear_reads_transposed_batches_like_linear():
    torch.manual_seed(0)
    layer = nn.Linear(6, 3)
    fast = copy.deepcopy(layer)
    fast.__class__ = DenseLinear
    rows = torch.randn(5, 6)
    for x in (rows, rows.t().contiguous().t(), rows[:1], rows[0]):
        expected = layer(x).detach()
        torch.testing.assert_close(fast(x).detach(), expected)
    transposed = rows.t().contiguous().t()
    assert fast(transposed).stride() == (1, 5)  # stays column-major, no copy


def test_form_is_for_inference_only():
    fast = to_inference(pruned_mlp(), sparse="threshold", density_threshold=0.5)
    assert SparseLinear in layer_types(fast) and not fast.training
    assert not any(p.requires_grad for p in fast.parameters())
    assert not fast(torch.randn(2, 20)).requires_grad  # no graph without a context


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_dense_form_exports_to_onnx_and_sparse_form_does_not(tmp_path):
    onnx = pytest.importorskip("onnx")
    net = pruned_mlp()
    x = torch.randn(2, 20)
    dense = to_inference(net, sparse="never")
    torch.onnx.export(dense, (x,), tmp_path / "dense.onnx", dynamo=False)
    model = onnx.load(tmp_path / "dense.onnx")
    onnx.checker.check_model(model)
    assert [node.op_type for node in model.graph.node] == ["Gemm", "Relu"] * 2 + [
        "Gemm"
    ]
    sparse = to_inference(net, sparse="threshold", density_threshold=0.2)
    with pytest.raises(Exception, match="sparse"):
        torch.onnx.export(sparse, (x,), tmp_path / "sparse.onnx", dynamo=False)


def test_sparse_linear_copies_pickles_moves_and_loads_like_a_module():
    torch.manual_seed(0)
    dense = nn.Linear(12, 5)
    with torch.no_grad():
        dense.weight[:, 3:] = 0.0
    layer = SparseLinear.from_linear(dense)
    x = torch.randn(4, 12)
    expected = dense(x).detach()
    for other in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        torch.testing.assert_close(other(x), expected)
    double = copy.deepcopy(layer).to(torch.float64)
    torch.testing.assert_close(double(x.double()), expected.double())
    fresh = copy.deepcopy(layer)
    with torch.no_grad():
        fresh.values.zero_()
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(fresh(x), expected)
    torch.testing.assert_close(layer.to_linear()(x), expected)


def test_sparse_linear_takes_any_leading_shape_sparse_batches_and_no_bias():
    torch.manual_seed(0)
    dense = nn.Linear(6, 4, bias=False)
    with torch.no_grad():
        dense.weight[:, ::2] = 0.0
    layer = SparseLinear.from_linear(dense)
    x = torch.randn(2, 3, 6)
    torch.testing.assert_close(layer(x), dense(x).detach())
    torch.testing.assert_close(layer(x[0, 0]), dense(x[0, 0]).detach())
    flat = x.reshape(6, 6)
    torch.testing.assert_close(layer(flat.to_sparse()), dense(flat).detach())
    assert layer.bias is None and layer.density == 0.5


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"sparse": "yes"}, ValueError, "sparse must be one of"),
        ({"density_threshold": 1.5}, ValueError, "density_threshold must be"),
        ({"density_threshold": True}, ValueError, "density_threshold must be"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
        ({"masks": [1]}, TypeError, "masks must be a dict"),
        ({"masks": {"nope": torch.ones(1) > 0}}, ValueError, "does not have"),
        ({"masks": {"0.weight": torch.ones(64, 20)}}, TypeError, "must be boolean"),
        ({"masks": {"0.weight": torch.ones(2, 2) > 0}}, ValueError, "has shape"),
        ({"example_input": torch.randn(2, 7)}, ValueError, "module failed on"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        to_inference(pruned_mlp(), **kwargs)


@pytest.mark.parametrize(
    "thing, hint",
    [(np.ones((2, 2)), "got ndarray"), (type("Net", (), {"module_": 1})(), "module_")],
)
def test_a_non_module_is_refused(thing, hint):
    with pytest.raises(TypeError, match=f"takes a torch.nn.Module.*{hint}"):
        to_inference(thing)


class ReadsItsWeight(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return x @ self.fc.weight.t()


def test_a_forward_the_form_cannot_compute_is_refused_when_checked():
    net = ReadsItsWeight()
    with torch.no_grad():
        net.fc.weight[:, 1:] = 0.0
    with pytest.raises(ValueError, match="does not compute what the module"):
        to_inference(net, torch.randn(3, 8), sparse="threshold", density_threshold=0.5)
    fast = to_inference(net, torch.randn(3, 8), sparse="never")
    assert type(fast.fc) is nn.Linear
