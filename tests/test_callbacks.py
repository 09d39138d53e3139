import copy
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from skorch import NeuralNetClassifier
from skorch.callbacks import Checkpoint, EarlyStopping, LoadInitState
from torch import nn

from sklprune import PruningCallback
from sklprune.masks import GLOBAL_FLOOR, achieved_sparsity, find_targets


class TinyNet(nn.Module):
    """A user's own module: no wrappers, nothing sklprune-specific."""

    def __init__(self, n_in=64, hidden=48, n_out=10):
        super().__init__()
        self.hidden = nn.Linear(n_in, hidden)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X)))


def make_net(max_epochs=6, optimizer=torch.optim.Adam, module=TinyNet, **prune_kwargs):
    prune_kwargs.setdefault("sparsity", 0.8)
    return NeuralNetClassifier(
        module,
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
        # No output unit loses all its weights; the columns that read pruned hidden
        # units are pruned with them, and counted.
        assert bool((weights[-1] != 0).any(dim=1).all()), "output units stay"
    total = sum(w.numel() for w in weights)
    pruned = sum(int((w == 0).sum()) for w in weights)
    tolerance = 2 if granularity == "weight" else 64 + 10  # a weight, or one group
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


# ---------------------------------------------------------------- scikit-learn API


def _net_in_state(state, data):
    net = make_net(max_epochs=3, end_epoch=2)
    if state == "initialized":
        net.initialize()
    elif state == "fitted":
        fitted(net, data)
    return net


@pytest.mark.parametrize("state", ["unfitted", "initialized", "fitted"])
def test_clone_of_a_net_in_any_state_gives_a_fresh_callback(digits_small, state):
    net = _net_in_state(state, digits_small)
    cloned = clone(net)
    callback = dict(cloned.callbacks)["prune"]
    assert callback.get_params() == dict(net.callbacks)["prune"].get_params()
    assert not hasattr(callback, "masks_")
    fitted(cloned, digits_small)
    assert cloned.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)


@pytest.mark.parametrize("state", ["unfitted", "initialized", "fitted"])
def test_callback_params_are_the_constructor_params_only(digits_small, state):
    net = _net_in_state(state, digits_small)
    callback = dict(net.callbacks)["prune"]
    assert set(callback.get_params()) == set(PruningCallback().get_params())
    assert type(clone(callback)) is PruningCallback


@pytest.mark.parametrize("state", ["unfitted", "initialized", "fitted"])
def test_set_params_on_a_net_in_any_state_reaches_the_callback(digits_small, state):
    net = _net_in_state(state, digits_small)
    net.set_params(callbacks__prune__sparsity=0.5)
    assert dict(net.callbacks)["prune"].sparsity == 0.5
    fitted(net, digits_small)
    assert net.history[-1, "sparsity"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("state", ["unfitted", "initialized", "fitted"])
def test_pickle_and_deepcopy_of_a_net_in_any_state_train_on(digits_small, state, how):
    X, y = digits_small
    net = _net_in_state(state, digits_small)
    copied = _roundtrips()[how](net)
    if state == "fitted":
        masks = dict(copied.callbacks_)["prune"].masks_
        copied.partial_fit(X, y)  # the masks travelled with the callback
        for name, w in find_targets(copied.module_).items():
            assert bool((w[~masks[name]] == 0).all()), name
    else:
        fitted(copied, digits_small)
        assert copied.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)


def test_cross_val_score_accepts_an_already_fitted_net(digits_small):
    X, y = digits_small
    net = fitted(make_net(max_epochs=2, end_epoch=1), digits_small)
    scores = cross_val_score(net, X, y, cv=2, scoring="accuracy")
    assert scores.shape == (2,)


# ---------------------------------------------------------------- restored weights


def _pruned_entries_are_zero(net):
    masks = dict(net.callbacks_)["prune"].masks_
    return all(
        bool((w[~masks[name]] == 0).all())
        for name, w in find_targets(net.module_).items()
    )


@pytest.mark.parametrize("order", ["prune_first", "early_stopping_first"])
def test_early_stopping_load_best_gets_the_masks_and_a_true_history(
    digits_small, order
):
    # The "best" epoch is the one with the highest training loss: the first, the
    # densest, so the restored weights predate the last pruning steps.
    stopper = EarlyStopping(
        monitor="train_loss", lower_is_better=False, patience=3, load_best=True
    )
    net = make_net(max_epochs=8, sparsity=0.8, end_epoch=4)
    prune = net.callbacks[0]
    callbacks = [prune, ("stop", stopper)]
    net.set_params(callbacks=callbacks if order == "prune_first" else callbacks[::-1])
    fitted(net, digits_small)
    assert stopper.best_epoch_ < len(net.history)  # weights were restored
    assert _pruned_entries_are_zero(net)
    achieved = achieved_sparsity(target_weights(net))
    assert net.history[-1, "sparsity"] == pytest.approx(achieved)
    assert achieved == pytest.approx(net.history[-1, "sparsity_target"], abs=0.01)


def test_checkpoint_listed_after_the_callback_with_load_best_warns(
    digits_small, tmp_path
):
    net = make_net(max_epochs=3, end_epoch=2)
    checkpoint = Checkpoint(monitor="train_loss_best", dirname=tmp_path, load_best=True)
    net.set_params(callbacks=[net.callbacks[0], ("checkpoint", checkpoint)])
    with pytest.warns(UserWarning, match="'checkpoint'.*before the PruningCallback"):
        fitted(net, digits_small)


def test_checkpoint_listed_before_the_callback_is_masked_again(digits_small, tmp_path):
    net = make_net(max_epochs=6, end_epoch=4)
    # The first epoch has the lowest "train_loss_best"-free score: the highest loss.
    checkpoint = Checkpoint(
        monitor=lambda net: net.history[-1, "epoch"] == 1,
        dirname=tmp_path,
        load_best=True,
    )
    net.set_params(callbacks=[("checkpoint", checkpoint), net.callbacks[0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted(net, digits_small)
    assert _pruned_entries_are_zero(net)
    achieved = achieved_sparsity(target_weights(net))
    assert achieved == pytest.approx(0.8, abs=0.01)
    assert net.history[-1, "sparsity"] == pytest.approx(achieved)


def test_dense_weights_loaded_into_a_pruned_net_are_masked_when_training_resumes(
    digits_small, tmp_path
):
    X, y = digits_small
    dense = fitted(make_net(max_epochs=2, sparsity=0.0), digits_small)
    dense.save_params(f_params=tmp_path / "dense.pt")
    net = fitted(make_net(max_epochs=4, end_epoch=2), digits_small)
    net.load_params(f_params=tmp_path / "dense.pt")
    net.partial_fit(X, y, epochs=1)
    assert _pruned_entries_are_zero(net)
    assert net.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)


def test_load_init_state_after_the_callback_resumes_with_the_pruned_zeros(
    digits_small, tmp_path
):
    X, y = digits_small
    checkpoint = Checkpoint(monitor=None, dirname=tmp_path)
    net = make_net(max_epochs=3, end_epoch=2)
    net.set_params(callbacks=[("checkpoint", checkpoint), net.callbacks[0]])
    fitted(net, digits_small)
    was_zero = [w == 0 for w in target_weights(net)]
    # A lower sparsity than the checkpoint's: this fit has nothing to prune.
    resumed = make_net(max_epochs=1, sparsity=0.5, schedule="one_shot", end_epoch=1)
    load = LoadInitState(Checkpoint(monitor=None, dirname=tmp_path))
    resumed.set_params(callbacks=[resumed.callbacks[0], ("load", load)])
    resumed.fit(X, y)  # LoadInitState loads after the callback's on_train_begin
    assert len(resumed.history) == 4
    for zero, w in zip(was_zero, target_weights(resumed)):
        assert bool((w[zero] == 0).all())
    assert resumed.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)


# ---------------------------------------------------------------- starting zeros


class ZeroInitNet(TinyNet):
    """Zero-initialised output layer, a common recipe."""

    def __init__(self):
        super().__init__()
        nn.init.zeros_(self.out.weight)


class PaddedEmbeddingNet(nn.Module):
    """Pixel intensities as tokens; token 0 (a blank pixel) is padding."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(17, 4, padding_idx=0)
        self.out = nn.Linear(64 * 4, 10)

    def forward(self, X):
        tokens = X.mul(16).round().long()
        return self.out(self.embed(tokens).flatten(1))


def test_zero_initialised_layer_trains_on_the_first_fit(digits_small):
    net = fitted(make_net(module=ZeroInitNet, max_epochs=3, end_epoch=2), digits_small)
    out = net.module_.out.weight
    assert float((out != 0).float().mean()) > 0.1  # trained, then pruned
    assert net.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)


def test_embedding_padding_row_is_not_taken_as_pruned(digits_small):
    net = make_net(
        module=PaddedEmbeddingNet,
        max_epochs=2,
        schedule="one_shot",
        start_epoch=2,
        end_epoch=2,
    )
    net.initialize().partial_fit(*digits_small, epochs=1)
    assert dict(net.callbacks_)["prune"].masks_ is None


@pytest.mark.parametrize(
    "masks_from_zeros, frozen", [(True, True), ("auto", False), (False, False)]
)
def test_masks_from_zeros_decides_whether_starting_zeros_are_frozen(
    digits_small, masks_from_zeros, frozen
):
    net = make_net(
        module=ZeroInitNet,
        max_epochs=2,
        sparsity=0.5,
        start_epoch=2,
        end_epoch=2,
        schedule="one_shot",
        masks_from_zeros=masks_from_zeros,
    )
    net.initialize()
    net.partial_fit(*digits_small, epochs=1)  # before any pruning step
    assert bool((net.module_.out.weight == 0).all()) is frozen


def test_zeros_of_a_loaded_pruned_model_are_not_kept_with_masks_from_zeros_false(
    digits_small, tmp_path
):
    X, y = digits_small
    net = fitted(make_net(), digits_small)
    net.save_params(f_params=tmp_path / "params.pt")
    fresh = make_net(masks_from_zeros=False, schedule="one_shot", start_epoch=5)
    fresh.initialize().load_params(f_params=tmp_path / "params.pt")
    fresh.partial_fit(X, y, epochs=1)
    assert dict(fresh.callbacks_)["prune"].masks_ is None
    assert achieved_sparsity(target_weights(fresh)) < 0.5  # the zeros trained


def test_bad_masks_from_zeros_raises_at_fit(digits_small):
    with pytest.raises(ValueError, match="masks_from_zeros must be 'auto'"):
        fitted(make_net(masks_from_zeros="yes"), digits_small)


# ---------------------------------------------------------------- exact zeros


def test_nan_and_inf_gradients_at_pruned_entries_leave_exact_zeros(digits_small):
    X, y = digits_small
    net = fitted(make_net(max_epochs=2, end_epoch=1), digits_small)
    masks = dict(net.callbacks_)["prune"].masks_
    for name, w in find_targets(net.module_).items():
        pruned = ~masks[name]
        poison = torch.where(pruned[0], float("nan"), float("inf"))

        def hook(grad, pruned=pruned, poison=poison):
            return torch.where(pruned, poison, grad)

        w.register_hook(hook)
    net.partial_fit(X, y, epochs=1)
    assert _pruned_entries_are_zero(net)
    assert np.isfinite(net.predict_proba(X)).all()


def test_weights_masked_after_a_step_are_exact_zeros_where_nan_was_written(
    digits_small,
):
    net = fitted(make_net(max_epochs=2, end_epoch=1), digits_small)
    callback = dict(net.callbacks_)["prune"]
    hidden = net.module_.hidden.weight
    pruned = ~callback.masks_["hidden.weight"]
    with torch.no_grad():
        hidden[pruned] = float("nan")
        hidden[0, 0] = float("nan") if bool(pruned[0, 0]) else hidden[0, 0]
        kept = hidden[~pruned].clone()
    callback.on_batch_end(net, training=True)
    assert bool((hidden[pruned] == 0).all())
    assert not bool(torch.signbit(hidden[pruned]).any())  # +0.0
    assert torch.equal(hidden[~pruned], kept)


# ---------------------------------------------------------------- layers and dtypes


class BFloat16Net(TinyNet):
    def __init__(self):
        super().__init__()
        self.to(torch.bfloat16)

    def forward(self, X):
        return super().forward(X.to(torch.bfloat16)).float()


@pytest.mark.parametrize("strategy", ["fisher", "gradient"])
def test_bfloat16_module_is_pruned_to_the_exact_sparsity(digits_small, strategy):
    net = fitted(
        make_net(module=BFloat16Net, max_epochs=3, end_epoch=2, strategy=strategy),
        digits_small,
    )
    callback = dict(net.callbacks_)["prune"]
    statistics = callback._runtime_.statistics.means()[callback.strategy_.statistics[0]]
    assert all(s.dtype == torch.float32 for s in statistics.values())
    assert net.history[-1, "sparsity"] == pytest.approx(0.8, abs=0.01)
    assert _pruned_entries_are_zero(net)


class TokenEmbeddingNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(17, 8)
        self.out = nn.Linear(64 * 8, 10)

    def forward(self, X):
        return self.out(self.embed(X.mul(16).round().long()).flatten(1))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.out = nn.Linear(8 * 36, 10)

    def forward(self, X):
        return self.out(torch.relu(self.conv(X.reshape(-1, 1, 8, 8))).flatten(1))


@pytest.mark.parametrize("module", [TokenEmbeddingNet, ConvNet])
@pytest.mark.parametrize("granularity", ["weight", "neuron"])
def test_embedding_and_conv_layers_are_pruned_exactly_and_stay_zero(
    digits_small, module, granularity
):
    X, y = digits_small
    net = make_net(
        module=module,
        max_epochs=4,
        sparsity=0.5,
        scope="layer",
        granularity=granularity,
        end_epoch=2,
    )
    torch.manual_seed(0)
    net.initialize().partial_fit(X, y, epochs=2)
    masks = {n: m.clone() for n, m in dict(net.callbacks_)["prune"].masks_.items()}
    net.partial_fit(X, y, epochs=2)
    first = next(iter(masks))
    w = find_targets(net.module_)[first]
    group = 1 if granularity == "weight" else w.numel() // w.shape[neuron_axis(w)]
    assert abs(int((~masks[first]).sum()) - 0.5 * w.numel()) <= group
    for name, w in find_targets(net.module_).items():
        if name in masks:
            assert bool((w[~masks[name]] == 0).all()), name


def neuron_axis(w):
    return 1 if w.ndim == 2 and w.shape[0] == 17 else 0


def test_global_floor_holds_over_iterative_steps_inside_the_callback(digits_small):
    class TinyHidden(TinyNet):
        def __init__(self):
            super().__init__()
            with torch.no_grad():
                self.hidden.weight.mul_(1e-3)

    net = fitted(
        make_net(
            module=TinyHidden,
            optimizer=torch.optim.SGD,
            max_epochs=8,
            sparsity=0.98,
            scope="global",
            schedule="iterative",
            end_epoch=8,
        ),
        digits_small,
    )
    hidden = net.module_.hidden.weight
    floor = int(GLOBAL_FLOOR * 0.02 * hidden.numel() + 0.5)
    assert int((hidden != 0).sum()) >= floor


# ---------------------------------------------------------------- reports


def test_a_skorch_user_gets_the_estimators_defaults(digits_small, blobs):
    from sklprune import PrunedClassifier
    from sklprune.strategies import STRATEGIES

    callback_params = PruningCallback().get_params()
    estimator_params = PrunedClassifier().get_params()
    for name in ("sparsity", "strategy", "scope", "granularity", "schedule"):
        assert callback_params[name] == estimator_params[name], name
    # "auto" is resolved from the width of the input, by the estimators' rule.
    for X, y in (blobs, digits_small):
        n_features, n_classes = X.shape[1], len(np.unique(y))
        net = NeuralNetClassifier(
            TinyNet,
            module__n_in=n_features,
            module__n_out=n_classes,
            criterion=nn.CrossEntropyLoss,
            max_epochs=2,
            train_split=None,
            verbose=0,
            callbacks=[("prune", PruningCallback())],
        ).fit(X, y)
        estimator = PrunedClassifier(max_epochs=2, finetune_epochs=0).fit(X, y)
        callback = dict(net.callbacks_)["prune"]
        assert type(callback.strategy_) is STRATEGIES[estimator.strategy_]
    assert estimator.strategy_ == "magnitude"  # digits: 64 inputs, a wide one
    assert PrunedClassifier(max_epochs=2, finetune_epochs=0).fit(*blobs).strategy_ == (
        "fisher"
    )


def test_reports_go_to_the_sink(digits_small, capsys):
    lines = []
    net = fitted(make_net(max_epochs=3, end_epoch=2, sink=lines.append), digits_small)
    assert [line.startswith("PruningCallback: target") for line in lines] == [
        True,
        True,
    ]
    assert capsys.readouterr().out == ""
    net.set_params(callbacks__prune__sink=print, callbacks__prune__verbose=0)
    fitted(net, digits_small)
    assert capsys.readouterr().out == ""


def test_masks_of_a_replaced_module_raise_a_clear_error(digits_small):
    X, y = digits_small
    net = fitted(make_net(max_epochs=2, end_epoch=1), digits_small)
    net.set_params(module__hidden=32)  # a new module, the callback keeps its masks
    with pytest.raises(ValueError, match="masks of another module"):
        net.partial_fit(X, y)
