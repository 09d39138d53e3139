import copy
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch import NeuralNetClassifier
from torch import nn

from sklprune import PruningCallback
from sklprune.masks import achieved_sparsity, find_targets


class TinyNet(nn.Module):
    """A user's own module: no wrappers, nothing sklprune-specific."""

    def __init__(self, n_in=64, hidden=48, n_out=10):
        super().__init__()
        self.hidden = nn.Linear(n_in, hidden)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X)))


def make_net(max_epochs=6, optimizer=torch.optim.Adam, **prune_kwargs):
    prune_kwargs.setdefault("sparsity", 0.8)
    return NeuralNetClassifier(
        TinyNet,
        criterion=nn.CrossEntropyLoss,
        optimizer=optimizer,
        lr=0.01,
        max_epochs=max_epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
        callbacks=[("prune", PruningCallback(**prune_kwargs))],
    )


def target_weights(net):
    return list(find_targets(net.module_).values())


def fitted(net, data, seed=0):
    X, y = data
    torch.manual_seed(seed)
    return net.fit(X, y)


@pytest.mark.parametrize("strategy", ["magnitude", "gradient", "fisher", "random"])
@pytest.mark.parametrize("scope", ["global", "lamp", "layer"])
@pytest.mark.parametrize("granularity", ["weight", "neuron"])
def test_achieved_sparsity_matches_target(digits_small, strategy, scope, granularity):
    net = fitted(
        make_net(
            strategy=strategy,
            scope=scope,
            granularity=granularity,
            sparsity=0.75,
            end_epoch=4,
        ),
        digits_small,
    )
    weights = target_weights(net)
    if granularity == "neuron":
        assert bool((weights.pop() != 0).all()), "output units must never be pruned"
    total = sum(w.numel() for w in weights)
    pruned = sum(int((w == 0).sum()) for w in weights)
    tolerance = 2 if granularity == "weight" else 2 * 64  # one weight/neuron per target
    assert abs(pruned - 0.75 * total) <= tolerance
    assert net.history[-1, "sparsity"] == pytest.approx(pruned / total)
    if scope == "layer":
        for w in weights:
            slack = 1 if granularity == "weight" else w.shape[1]
            assert abs(int((w == 0).sum()) - 0.75 * w.numel()) <= slack


@pytest.mark.parametrize(
    "optimizer, kwargs",
    [
        (torch.optim.Adam, {"optimizer__weight_decay": 1e-2}),
        (
            torch.optim.SGD,
            {"optimizer__momentum": 0.9, "optimizer__weight_decay": 1e-2},
        ),
        (torch.optim.AdamW, {"optimizer__weight_decay": 1e-1}),
    ],
)
def test_pruned_weights_stay_exactly_zero_through_momentum_and_decay(
    digits_small, optimizer, kwargs
):
    net = make_net(
        max_epochs=8,
        optimizer=optimizer,
        sparsity=0.6,
        schedule="one_shot",
        start_epoch=2,
    )
    net.set_params(**kwargs)
    net = fitted(net, digits_small)
    masks = dict(net.callbacks)["prune"].masks_
    for name, w in find_targets(net.module_).items():
        assert bool((w[~masks[name]] == 0).all()), name
    # momentum of pruned entries was cleared and stayed clear
    for p, state in net.optimizer_.state.items():
        for key, value in state.items():
            if key in ("exp_avg", "momentum_buffer"):
                for name, w in find_targets(net.module_).items():
                    if w is p:
                        assert bool((value[~masks[name]] == 0).all())


def test_masks_are_monotone_over_training(digits_small):
    X, y = digits_small
    net = make_net(max_epochs=6, sparsity=0.9, end_epoch=5, strategy="gradient")
    torch.manual_seed(0)
    net.initialize()
    previous = None
    callback = dict(net.callbacks)["prune"]
    for _ in range(6):
        net.partial_fit(X, y)
        if callback.masks_ is not None and previous is not None:
            for name, mask in callback.masks_.items():
                assert not bool((mask & ~previous[name]).any())
        if callback.masks_ is not None:
            previous = {n: m.clone() for n, m in callback.masks_.items()}
    targets = net.history[:, "sparsity_target"]
    assert targets == sorted(targets)
    assert net.history[:, "sparsity"] == sorted(net.history[:, "sparsity"])


def test_history_logs_sparsity_target_and_prune_events(digits_small):
    net = fitted(make_net(max_epochs=6, sparsity=0.5, end_epoch=3), digits_small)
    assert len(net.history[:, "sparsity"]) == 6
    assert net.history[:, "event_prune"] == [True, True, True, False, False, False]
    assert net.history[-1, "sparsity_target"] == pytest.approx(0.5)
    assert net.history[0, "sparsity"] > 0


def _roundtrips():
    return {
        "pickle": lambda net: pickle.loads(pickle.dumps(net)),
        "deepcopy": copy.deepcopy,
    }


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_pickle_and_deepcopy_keep_the_zeros(digits_small, how):
    X, _ = digits_small
    net = fitted(make_net(), digits_small)
    copied = _roundtrips()[how](net)
    zeros = [w == 0 for w in target_weights(net)]
    assert all(torch.equal(a, w == 0) for a, w in zip(zeros, target_weights(copied)))
    np.testing.assert_allclose(net.predict_proba(X), copied.predict_proba(X), rtol=1e-6)


def test_save_and_load_params_keep_zeros_and_training_keeps_them(
    digits_small, tmp_path
):
    X, y = digits_small
    net = fitted(make_net(), digits_small)
    net.save_params(f_params=tmp_path / "params.pt")
    fresh = make_net().initialize()
    fresh.load_params(f_params=tmp_path / "params.pt")
    before = [w == 0 for w in target_weights(fresh)]
    assert achieved_sparsity(target_weights(fresh)) == pytest.approx(0.8, abs=0.01)
    fresh.partial_fit(X, y)  # masks are recovered from the loaded zeros
    for was_zero, w in zip(before, target_weights(fresh)):
        assert bool((w[was_zero] == 0).all())


def test_clone_gives_an_unfitted_callback_with_the_same_parameters():
    net = make_net(sparsity=0.7, strategy="fisher")
    cloned = clone(net)
    callback = dict(cloned.callbacks)["prune"]
    assert callback.sparsity == 0.7 and callback.strategy == "fisher"
    assert not hasattr(callback, "masks_") or callback.masks_ is None


def test_grid_search_over_sparsity_through_callback_params(digits_small):
    X, y = digits_small
    search = GridSearchCV(
        make_net(max_epochs=4),
        {"callbacks__prune__sparsity": [0.5, 0.9]},
        cv=2,
        scoring="accuracy",
    )
    torch.manual_seed(0)
    search.fit(X, y)
    best = dict(search.best_estimator_.callbacks)["prune"]
    achieved = search.best_estimator_.history[-1, "sparsity"]
    assert achieved == pytest.approx(best.sparsity, abs=0.01)
    assert len(search.cv_results_["mean_test_score"]) == 2


def test_csr_input_trains_and_prunes(digits_small):
    X, y = digits_small
    net = fitted(make_net(max_epochs=4, end_epoch=3), (sp.csr_matrix(X), y))
    assert net.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)


def test_same_seed_gives_same_masks_and_predictions(digits_small):
    X, _ = digits_small
    a = fitted(make_net(strategy="random"), digits_small, seed=3)
    b = fitted(make_net(strategy="random"), digits_small, seed=3)
    for wa, wb in zip(target_weights(a), target_weights(b)):
        assert torch.equal(wa == 0, wb == 0)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_second_fit_starts_from_a_fresh_dense_module(digits_small):
    net = fitted(make_net(max_epochs=4, sparsity=0.5, end_epoch=2), digits_small)
    net.set_params(callbacks__prune__sparsity=0.9)
    fitted(net, digits_small)
    assert net.history[-1, "sparsity"] == pytest.approx(0.9, abs=0.01)
    assert len(net.history) == 4


def test_warm_start_continues_with_the_masks(digits_small):
    net = make_net(max_epochs=3, sparsity=0.6, end_epoch=2)
    net.set_params(warm_start=True)
    fitted(net, digits_small)
    zeros = [w == 0 for w in target_weights(net)]
    fitted(net, digits_small)
    assert len(net.history) == 6
    for was_zero, w in zip(zeros, target_weights(net)):
        assert bool((w[was_zero] == 0).all())


def test_rewind_resets_surviving_weights_to_their_early_values(digits_small):
    X, y = digits_small
    net = make_net(
        max_epochs=4,
        sparsity=0.5,
        schedule="one_shot",
        start_epoch=3,
        end_epoch=3,
        rewind_epoch=0,
    )
    torch.manual_seed(0)
    net.initialize()
    initial = {n: p.detach().clone() for n, p in find_targets(net.module_).items()}
    net.max_epochs = 3
    net.partial_fit(X, y, epochs=3)
    callback = dict(net.callbacks)["prune"]
    for name, w in find_targets(net.module_).items():
        expected = initial[name] * callback.masks_[name]
        assert torch.equal(w.detach(), expected)


def test_custom_strategy_object_is_used(digits_small):
    from sklprune.strategies import PruningStrategy

    class PruneFirstColumns(PruningStrategy):
        def score(self, weights, statistics):
            return {
                n: torch.arange(w.shape[1], dtype=torch.float).expand_as(w)
                for n, w in weights.items()
            }

    net = fitted(
        make_net(strategy=PruneFirstColumns(), sparsity=0.5, scope="layer"),
        digits_small,
    )
    hidden = net.module_.hidden.weight
    assert bool((hidden[:, :32] == 0).all()) and bool((hidden[:, 32:] != 0).all())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sparsity": 1.0}, ValueError, "sparsity must be a number in"),
        ({"sparsity": -0.2}, ValueError, "sparsity must be a number in"),
        ({"strategy": "taylor3"}, ValueError, "Valid names: 'magnitude'"),
        ({"schedule": "cosine"}, ValueError, "Valid names: 'one_shot'"),
        ({"scope": "local"}, ValueError, "scope must be one of"),
        ({"granularity": "block"}, ValueError, "granularity must be one of"),
        ({"start_epoch": 0}, ValueError, "start_epoch must be >= 1"),
        ({"frequency": 1.5}, TypeError, "frequency must be an int"),
        ({"end_epoch": 50}, ValueError, "end_epoch=50 is past max_epochs=6"),
        ({"targets": "nothing*"}, ValueError, "no prunable target"),
    ],
)
def test_bad_parameters_raise_clear_errors_at_fit(digits_small, kwargs, error, match):
    with pytest.raises(error, match=match):
        fitted(make_net(**kwargs), digits_small)
