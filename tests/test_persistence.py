import io
import pickle

import numpy as np
import pytest
import skops.io as sio
import torch
from sklearn.datasets import make_classification
from torch import nn

from sklprune import (
    FeatureImportancePruner,
    PrunedClassifier,
    PrunedClassifierCV,
    load_pruned,
    save_pruned,
)
from sklprune.persistence import FORMAT
from sklprune.persistence._encoding import (
    decode_tensor,
    encode_tensor,
    module_from_state,
    module_to_state,
)

DTYPES = [torch.float32, torch.float16, torch.bfloat16]


def sparse_tensor(shape, density, dtype=torch.float32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(shape, generator=generator)
    keep = torch.rand(shape, generator=generator) < density
    return torch.where(keep, values, 0.0).to(dtype)


def assert_bit_identical(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    size = a.element_size()
    if size in (1, 2, 4, 8) and a.numel():
        bits = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[size]
        assert torch.equal(a.contiguous().view(bits), b.contiguous().view(bits))
    else:
        assert torch.equal(a, b)


def small_pruned_classifier(sparsity, **params):
    params = {
        "hidden_layer_sizes": (16,),
        "max_epochs": 2,
        "finetune_epochs": 1,
        "random_state": 0,
        **params,
    }
    return PrunedClassifier(sparsity=sparsity, **params)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=60, n_features=12, n_informative=4, n_classes=3, random_state=0
    )
    return X.astype(np.float32), y


# ----------------------------------------------------------------- encoding


@pytest.mark.parametrize("dtype", [*DTYPES, torch.float64, torch.int64, torch.bool])
@pytest.mark.parametrize("density", [1.0, 0.3, 0.02])
@pytest.mark.parametrize("shape", [(), (7,), (40, 33), (6, 5, 3, 3)])
def test_encoded_tensors_come_back_bit_for_bit(dtype, density, shape):
    tensor = sparse_tensor(shape, density, dtype)
    assert_bit_identical(decode_tensor(encode_tensor(tensor)), tensor)


@pytest.mark.parametrize("dtype", DTYPES)
def test_negative_zero_and_non_finite_values_survive(dtype):
    tensor = torch.zeros(50, 40, dtype=dtype)
    tensor[0, :4] = torch.tensor([-0.0, float("nan"), float("inf"), -float("inf")])
    entry = encode_tensor(tensor)
    assert entry["encoding"].split(":")[0] != "dense"
    restored = decode_tensor(entry)
    assert_bit_identical(restored, tensor)
    assert torch.signbit(restored[0, 0]) and torch.isnan(restored[0, 1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_zeros_left_negative_by_multiplied_masks_stay_sparse_and_exact(dtype):
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(256, 300, generator=generator).to(dtype)
    pruned = weight * (torch.rand(256, 300, generator=generator) < 0.03)
    assert torch.signbit(pruned[pruned == 0]).any()  # about half are -0.0
    entry = encode_tensor(pruned)
    assert entry["encoding"].startswith("csr")
    stored = sum(v.nbytes for k, v in entry.items() if k != "encoding")
    assert stored * 4 < pruned.numel() * pruned.element_size()
    assert_bit_identical(decode_tensor(entry), pruned)


def test_each_tensor_takes_its_smallest_layout():
    layouts = {
        density: encode_tensor(sparse_tensor((256, 300), density))["encoding"]
        for density in (1.0, 0.5, 0.03)
    }
    assert layouts == {
        1.0: "dense:float32:256,300",
        0.5: "mask:float32:256,300",
        0.03: "csr:float32:256,300",
    }
    # A small tensor stays dense: extra arrays would cost more than they save.
    assert encode_tensor(sparse_tensor((4, 3), 0.3))["encoding"].startswith("dense")


def test_csr_indices_use_the_smallest_unsigned_type():
    entry = encode_tensor(sparse_tensor((300, 200), 0.01))
    assert entry["indices"].dtype == np.uint8  # 200 columns
    assert entry["indptr"].dtype == np.uint16  # ~600 non-zeros
    entry = encode_tensor(sparse_tensor((64, 1000), 0.01))
    assert entry["indices"].dtype == np.uint16


def test_bfloat16_is_stored_as_its_bit_pattern():
    tensor = sparse_tensor((64, 64), 0.05, torch.bfloat16)
    entry = encode_tensor(tensor)
    assert entry["values"].dtype == np.uint16
    assert_bit_identical(decode_tensor(entry), tensor)


def test_arrays_stored_before_the_encoding_still_load():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert torch.equal(decode_tensor(array), torch.from_numpy(array))


@pytest.mark.parametrize(
    "entry, reason",
    [
        ({"encoding": "csr:float32:4,4", "values": np.ones(2, np.float32)}, "indptr"),
        ({"encoding": "zigzag:float32:2", "values": np.ones(2)}, "unknown layout"),
        ({"encoding": "dense:Module:2", "values": np.ones(2)}, "unknown dtype"),
    ],
)
def test_damaged_entries_are_refused_by_name(entry, reason):
    with pytest.raises(ValueError, match=f"'fc.weight' is damaged.*{reason}"):
        decode_tensor(entry, "fc.weight")


def test_modules_keep_buffers_frozen_parameters_and_tied_weights():
    module = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Linear(8, 8))
    module[2].weight = module[0].weight
    module[1].weight.requires_grad_(False)
    module[1].running_mean.normal_()
    restored = module_from_state(pickle.loads(pickle.dumps(module_to_state(module))))
    assert restored[2].weight is restored[0].weight
    assert not restored[1].weight.requires_grad and restored[0].weight.requires_grad
    for (k, a), (k2, b) in zip(
        module.state_dict().items(), restored.state_dict().items()
    ):
        assert k == k2
        assert_bit_identical(a, b)
    restored.register_forward_hook(lambda *args: None)  # hook tables are back
    restored(torch.randn(3, 8))


# --------------------------------------------------------------- estimators


def fitted_estimators(data, sparsity=0.9, hidden=(16,)):
    X, y = data
    classifier = small_pruned_classifier(sparsity, hidden_layer_sizes=hidden)
    classifier.fit(X, y)
    search = PrunedClassifierCV(
        sparsities=(sparsity,),
        cv=2,
        score_tol=1.0,  # keep the asked sparsity whatever it costs on tiny data
        hidden_layer_sizes=hidden,
        max_epochs=2,
        finetune_epochs=1,
        random_state=0,
    ).fit(X, y)
    selector = FeatureImportancePruner(
        small_pruned_classifier(sparsity, hidden_layer_sizes=hidden),
        method="weight",
        keep=5,
    ).fit(X, y)
    return {"classifier": classifier, "cv": search, "selector": selector}


@pytest.fixture(scope="module")
def estimators(data):
    return fitted_estimators(data)


def network_of(estimator):
    if isinstance(estimator, FeatureImportancePruner):
        return estimator.estimator_.module_
    if isinstance(estimator, PrunedClassifierCV):
        return estimator.best_estimator_.module_
    return estimator.module_


def outputs_of(estimator, X):
    if isinstance(estimator, FeatureImportancePruner):
        return estimator.transform(X), estimator.estimator_.predict_proba(X)
    return (estimator.predict_proba(X),)


def skops_round_trip(estimator):
    data = sio.dumps(estimator)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith(("sklprune.", "torch.nn.")) for t in untrusted), untrusted
    return sio.loads(data, trusted=untrusted)


@pytest.mark.parametrize("name", ["classifier", "cv", "selector"])
@pytest.mark.parametrize("how", ["pickle", "skops"])
def test_estimators_round_trip_with_identical_tensors_and_outputs(
    estimators, data, name, how
):
    estimator = estimators[name]
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(estimator))
    else:
        loaded = skops_round_trip(estimator)
    saved, restored = network_of(estimator), network_of(loaded)
    assert saved.state_dict().keys() == restored.state_dict().keys()
    for key, tensor in saved.state_dict().items():
        assert_bit_identical(restored.state_dict()[key], tensor)
    for a, b in zip(outputs_of(estimator, data[0]), outputs_of(loaded, data[0])):
        np.testing.assert_array_equal(a, b)


def test_estimator_files_shrink_with_sparsity(data):
    # Wide enough that the weights outweigh what every file carries whatever the
    # sparsity (the torch generator state partial_fit resumes from is 5 KB).
    dense, pruned = (fitted_estimators(data, s, hidden=(1024,)) for s in (0.0, 0.9))
    for name in dense:
        dense_bytes = len(pickle.dumps(dense[name]))
        pruned_bytes = len(pickle.dumps(pruned[name]))
        assert pruned_bytes < 0.4 * dense_bytes, name


def test_classifier_pickle_is_8x_smaller_at_97_percent_sparsity():
    X, y = make_classification(n_samples=40, n_features=300, random_state=0)
    sizes = [
        len(
            pickle.dumps(
                small_pruned_classifier(s, hidden_layer_sizes=(256,)).fit(X, y)
            )
        )
        for s in (0.0, 0.97)
    ]
    assert sizes[0] >= 8 * sizes[1], sizes


@pytest.mark.parametrize("dtype", DTYPES)
def test_classifier_networks_keep_their_dtype_through_pickle_and_skops(data, dtype):
    classifier = small_pruned_classifier(0.9).fit(*data)
    classifier.module_.to(dtype)
    for loaded in (
        pickle.loads(pickle.dumps(classifier)),
        skops_round_trip(classifier),
    ):
        for key, tensor in classifier.module_.state_dict().items():
            assert_bit_identical(loaded.module_.state_dict()[key], tensor)


# ------------------------------------------------------------------- helper


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", ["str", "path", "file"])
def test_save_and_load_pruned_round_trip_bit_for_bit(tmp_path, dtype, target):
    net = nn.Sequential(nn.Linear(64, 48), nn.BatchNorm1d(48), nn.Linear(48, 3))
    with torch.no_grad():
        net[0].weight.mul_(torch.rand(48, 64) < 0.05)
        net[0].weight[0, 0] = -0.0
        net[1].running_var.uniform_()
    net.to(dtype)
    path = tmp_path / "net.pt"
    if target == "file":
        with open(path, "wb") as file:
            assert save_pruned(net, file) is file
    else:
        assert save_pruned(net, str(path) if target == "str" else path) == path
    fresh = nn.Sequential(nn.Linear(64, 48), nn.BatchNorm1d(48), nn.Linear(48, 3))
    fresh.to(dtype)
    if target == "file":
        with open(path, "rb") as file:
            assert load_pruned(file, fresh) is fresh
    else:
        assert load_pruned(path, fresh) is fresh
    state = load_pruned(path)
    for key, tensor in net.state_dict().items():
        assert_bit_identical(fresh.state_dict()[key], tensor)
        assert_bit_identical(state[key], tensor)


def test_saved_file_is_weights_only_safe_and_small(tmp_path):
    net = nn.Linear(512, 256)
    with torch.no_grad():
        net.weight.mul_(torch.rand(256, 512) < 0.03)
    save_pruned(net.state_dict(), tmp_path / "net.pt")
    content = torch.load(tmp_path / "net.pt", weights_only=True)
    assert content["format"] == FORMAT
    dense = io.BytesIO()
    torch.save(net.state_dict(), dense)
    assert (tmp_path / "net.pt").stat().st_size * 8 < len(dense.getvalue())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.pt"]  # no temp file


def test_tied_weights_are_saved_once():
    net = nn.Sequential(nn.Linear(64, 64, bias=False), nn.Linear(64, 64, bias=False))
    tied = nn.Sequential(nn.Linear(64, 64, bias=False), nn.Linear(64, 64, bias=False))
    tied[1].weight = tied[0].weight
    sizes = []
    for module in (net, tied):
        buffer = io.BytesIO()
        save_pruned(module, buffer)
        sizes.append(len(buffer.getvalue()))
        buffer.seek(0)
        state = load_pruned(buffer)
    assert sizes[1] < 0.6 * sizes[0]
    assert state["1.weight"] is state["0.weight"]


def test_load_pruned_with_strict_false_loads_the_common_names():
    saved = nn.Sequential(nn.Linear(4, 3))
    buffer = io.BytesIO()
    save_pruned(saved, buffer)
    buffer.seek(0)
    target = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    load_pruned(buffer, target, strict=False)
    assert torch.equal(target[0].weight, saved[0].weight)


def saved(module):
    buffer = io.BytesIO()
    save_pruned(module, buffer)
    buffer.seek(0)
    return buffer


def torch_saved(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda tmp: save_pruned([torch.zeros(2)], tmp / "a.pt"),
            TypeError,
            "takes a torch.nn.Module or a state dict .* got list",
        ),
        (
            lambda tmp: save_pruned({"w": np.zeros(2)}, tmp / "a.pt"),
            TypeError,
            "entry 'w' holds ndarray. Pass module.state_dict",
        ),
        (
            lambda tmp: save_pruned(nn.Linear(2, 2), tmp / "no" / "a.pt"),
            FileNotFoundError,
            "its folder .* does not exist. Create it first",
        ),
        (
            lambda tmp: load_pruned(tmp / "missing.pt"),
            FileNotFoundError,
            "missing.pt",
        ),
        (
            lambda tmp: load_pruned(torch_saved(nn.Linear(2, 2).state_dict())),
            ValueError,
            "not a file written by sklprune.save_pruned. A plain state dict loads "
            "with torch.load",
        ),
        (
            lambda tmp: load_pruned(io.BytesIO(b"not a torch file")),
            ValueError,
            "not a file written by sklprune.save_pruned \\(torch.load could not",
        ),
        (
            lambda tmp: load_pruned(torch_saved({"format": FORMAT, "version": 99})),
            ValueError,
            "written in version 99 .* reads version 1. Upgrade sklprune",
        ),
        (
            lambda tmp: load_pruned(saved(nn.Linear(4, 3)), nn.Linear(4, 2)),
            ValueError,
            "does not fit Linear: shape mismatch for 'weight' \\(file \\(3, 4\\), "
            "module \\(2, 4\\)\\); shape mismatch for 'bias'.*Build the module as",
        ),
        (
            lambda tmp: load_pruned(
                saved(nn.Linear(4, 3, bias=False)), nn.Linear(4, 3)
            ),
            ValueError,
            "missing from the file: 'bias'.*pass strict=False",
        ),
        (
            lambda tmp: load_pruned(
                saved(nn.Linear(4, 3)), nn.Linear(4, 3, bias=False)
            ),
            ValueError,
            "not in the module: 'bias'.*pass strict=False",
        ),
        (
            lambda tmp: load_pruned(saved(nn.Linear(4, 3)), "model"),
            TypeError,
            "module must be a torch.nn.Module or None; got str",
        ),
    ],
    ids=[
        "not-a-state-dict",
        "not-a-tensor",
        "no-folder",
        "no-file",
        "plain-state-dict",
        "not-torch",
        "newer-version",
        "shape",
        "missing",
        "unexpected",
        "module-type",
    ],
)
def test_helper_refusals_name_the_problem_and_the_fix(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(tmp_path)
