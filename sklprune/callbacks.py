"""PruningCallback: prune any skorch net while it trains."""

import numbers

import torch
from skorch.callbacks import Callback

from ._graph import output_targets
from .masks import (
    GRANULARITIES,
    SCOPES,
    achieved_sparsity,
    apply_masks,
    check_sparsity,
    compute_masks,
    find_targets,
    neuron_dim,
)
from .schedules import get_schedule
from .strategies import StatisticsAccumulator, get_strategy

# Optimizer state that only divides a step (see _clear_optimizer_state).
SECOND_MOMENTS = frozenset(
    {"exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum", "acc_delta", "exp_inf"}
)


class PruningCallback(Callback):
    """Prune a skorch net while it trains.

    At the end of every scheduled epoch, the strategy scores the target weights and
    the lowest-scored ones are masked so that the schedule's sparsity holds. Masks
    live in the callback and are written into the weights: gradients of pruned weights
    are zeroed after every backward pass, the weights are re-masked after every
    optimizer step, and the optimizer's state (momentum, Adam moments) of pruned
    entries is cleared, so neither momentum nor weight decay revives a pruned weight.
    The trained module is a plain :class:`torch.nn.Module` whose pruned weights are
    exact zeros; no hooks or extra parameters are left behind.

    Parameters
    ----------
    sparsity : float, default=0.9
        Final fraction of target weights that are zero, in [0, 1). Cumulative: 0.9
        means 90 % of all target weights, not 90 % of what is left.
    strategy : str, PruningStrategy or callable, default="magnitude"
        Importance criterion: ``"magnitude"``, ``"gradient"``, ``"fisher"``,
        ``"random"``, a :class:`~sklprune.strategies.PruningStrategy` or a function
        ``(weights, statistics) -> scores``. Gradient statistics come from the net's
        own criterion.
    scope : {"lamp", "global", "layer"}, default="lamp"
        ``"global"``: one threshold over the raw scores of all targets (each target
        keeps a floor of weights, so no layer is emptied). ``"lamp"``: one
        threshold over layer-normalised scores (LAMP, Lee et al. 2021), which
        keeps small layers such as the output layer from being pruned away.
        ``"layer"``: every target pruned to ``sparsity``.
    granularity : {"weight", "neuron"}, default="weight"
        Single weights, or whole output units (rows of a Linear, output channels of
        a Conv) scored by the mean score of their weights. With the default
        ``targets``, the last layer is left out under ``"neuron"``: its output units
        are the network's outputs, not hidden units.
    schedule : str, Schedule subclass or callable, default="polynomial"
        ``"one_shot"`` (at ``start_epoch``), ``"iterative"`` (equal steps),
        ``"polynomial"`` (cubic, Zhu & Gupta 2017), a
        :class:`~sklprune.schedules.Schedule` subclass, or a function
        ``epoch -> sparsity``.
    start_epoch : int, default=1
        First epoch (1-based) that ends with a pruning step.
    end_epoch : int or None, default=None
        Epoch after which the final sparsity holds. ``None`` means three quarters of
        ``max_epochs`` (at least ``start_epoch``), leaving the rest to fine-tune.
    frequency : int, default=1
        Epochs between pruning steps.
    targets : None, str, type, callable or list of those, default=None
        Which parameters to prune; see :func:`sklprune.masks.find_targets`. ``None``
        means the weights of Linear, Conv1d/2d and Embedding layers.
    rewind_epoch : int or None, default=None
        Lottery-ticket rewinding: after the final pruning step, weights go back to
        their values at the end of this epoch (0 = initialisation) and training
        continues with the final mask.
    verbose : int, default=0
        Print a line at every pruning step when positive.

    Attributes
    ----------
    masks_ : dict of str to torch.Tensor or None
        Boolean keep-masks per target, ``None`` before the first pruning step.
    strategy_ : PruningStrategy
        The resolved strategy.
    schedule_ : callable
        The resolved schedule, ``epoch -> sparsity``.
    target_sparsity_ : float
        The schedule's sparsity after the last epoch.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from torch import nn
    >>> from skorch import NeuralNetClassifier
    >>> from sklprune import PruningCallback
    >>> X = np.random.RandomState(0).randn(200, 10).astype("float32")
    >>> y = (X[:, 0] > 0).astype("int64")
    >>> net = NeuralNetClassifier(
    ...     nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2)),
    ...     criterion=nn.CrossEntropyLoss, max_epochs=8, lr=0.1, train_split=None,
    ...     verbose=0, callbacks=[("prune", PruningCallback(sparsity=0.8))],
    ... )
    >>> _ = net.fit(X, y)
    >>> round(net.history[-1, "sparsity"], 2)
    0.8
    """

    def __init__(
        self,
        sparsity=0.9,
        strategy="magnitude",
        scope="lamp",
        granularity="weight",
        schedule="polynomial",
        start_epoch=1,
        end_epoch=None,
        frequency=1,
        targets=None,
        rewind_epoch=None,
        verbose=0,
    ):
        self.sparsity = sparsity
        self.strategy = strategy
        self.scope = scope
        self.granularity = granularity
        self.schedule = schedule
        self.start_epoch = start_epoch
        self.end_epoch = end_epoch
        self.frequency = frequency
        self.targets = targets
        self.rewind_epoch = rewind_epoch
        self.verbose = verbose

    # ------------------------------------------------------------------ lifecycle

    def initialize(self):
        """Check the parameters and reset all state (runs on every fresh fit)."""
        check_sparsity(self.sparsity)
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}; got {self.scope!r}.")
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"granularity must be one of {GRANULARITIES}; got {self.granularity!r}."
            )
        for name in ("start_epoch", "frequency"):
            _check_int(name, getattr(self, name), minimum=1)
        if self.end_epoch is not None:
            _check_int("end_epoch", self.end_epoch, minimum=self.start_epoch)
        if self.rewind_epoch is not None:
            _check_int("rewind_epoch", self.rewind_epoch, minimum=0)
        self.strategy_ = get_strategy(self.strategy)
        # Built for real in on_train_begin, when max_epochs is known; resolving it
        # here reports an unknown name at initialize.
        self.schedule_ = get_schedule(self.schedule, self.sparsity, 1, 1)
        self.masks_ = None
        self.target_sparsity_ = 0.0
        self.rewind_state_ = None
        self._runtime = None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        epochs_done = len(net.history)
        end_epoch = self._end_epoch(net.max_epochs)
        if epochs_done == 0 and end_epoch > net.max_epochs:
            raise ValueError(
                f"PruningCallback end_epoch={self.end_epoch} is past "
                f"max_epochs={net.max_epochs}: the final sparsity would never be "
                "reached. Lower end_epoch or raise max_epochs."
            )
        self.schedule_ = get_schedule(
            self.schedule, self.sparsity, self.start_epoch, end_epoch, self.frequency
        )
        runtime = self._runtime_for(net)
        if self.masks_ is None and _has_exact_zeros(runtime.params):
            # Weights loaded from a pruned model: keep their zeros pruned.
            self.masks_ = {n: p != 0 for n, p in runtime.params.items()}
            self.target_sparsity_ = achieved_sparsity(runtime.params.values())
        if self.rewind_epoch == 0 and self.rewind_state_ is None:
            self.rewind_state_ = _snapshot(net.module_)

    def on_epoch_begin(self, net, **kwargs):
        runtime = self._runtime_for(net)
        epoch = len(net.history)
        if self._prunes_after(epoch):
            runtime.statistics.reset()
            runtime.gather = bool(runtime.statistics.names)
        else:
            runtime.gather = False

    def on_grad_computed(self, net, named_parameters, training=None, **kwargs):
        runtime = self._runtime_for(net)
        if runtime.gather:
            grads = {n: p.grad for n, p in runtime.params.items() if p.grad is not None}
            runtime.statistics.update(runtime.params, grads)
        for p, keep in self._keep_multipliers(runtime):
            if p.grad is not None:
                p.grad.mul_(keep)

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training:
            with torch.no_grad():
                for p, keep in self._keep_multipliers(self._runtime_for(net)):
                    p.mul_(keep)

    def on_epoch_end(self, net, **kwargs):
        runtime = self._runtime_for(net)
        epoch = len(net.history)
        target = self.schedule_(epoch)
        pruned = False
        if target > self.target_sparsity_ or (self.masks_ is None and target > 0):
            self._prune(net, runtime, target)
            pruned = True
        if self.rewind_epoch is not None and epoch == self.rewind_epoch:
            self.rewind_state_ = _snapshot(net.module_)
        if pruned and self._is_final_step(epoch) and self.rewind_state_ is not None:
            self._rewind(net, runtime)
        net.history.record("sparsity", achieved_sparsity(runtime.params.values()))
        net.history.record("sparsity_target", float(self.target_sparsity_))
        net.history.record("event_prune", pruned)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_runtime"] = None
        return state

    # ------------------------------------------------------------------ internals

    def _end_epoch(self, max_epochs):
        if self.end_epoch is not None:
            return self.end_epoch
        return max(self.start_epoch, int(0.75 * max_epochs))

    def _prunes_after(self, epoch):
        return self.schedule_(epoch) > self.target_sparsity_

    def _is_final_step(self, epoch):
        steps = getattr(self.schedule_, "step_epochs", None)
        return steps is not None and epoch == steps()[-1]

    def _runtime_for(self, net):
        module = net.module_
        if self._runtime is None or self._runtime.module is not module:
            self._runtime = _Runtime(
                module, self.targets, self.strategy_, self.granularity
            )
        return self._runtime

    @torch.no_grad()
    def _keep_multipliers(self, runtime):
        """(parameter, 0/1 multiplier) pairs, rebuilt once per mask update.

        Multiplying by a float mask is about ten times faster than masked_fill_
        with a boolean one, and this runs twice per training batch.
        """
        if runtime.masks is not self.masks_:
            runtime.masks = self.masks_
            runtime.keep = [
                (p, self.masks_[name].to(p.dtype))
                for name, p in runtime.params.items()
                if self.masks_ is not None
            ]
        return runtime.keep

    def _prune(self, net, runtime, target):
        weights = {n: p.detach() for n, p in runtime.params.items()}
        statistics = runtime.statistics.means()
        for stat in self.strategy_.statistics:
            per_target = statistics.setdefault(stat, {})
            for name, w in weights.items():
                per_target.setdefault(name, torch.zeros_like(w))
        scores = self.strategy_.score(weights, statistics)
        _check_scores(scores, weights, self.strategy_)
        self.masks_ = compute_masks(
            scores,
            target,
            previous=self.masks_,
            scope=self.scope,
            granularity=self.granularity,
            neuron_dims=runtime.neuron_dims,
        )
        self.target_sparsity_ = target
        apply_masks(runtime.params, self.masks_)
        _clear_optimizer_state(net, runtime.params, self.masks_)
        runtime.gather = False
        if self.verbose:
            achieved = achieved_sparsity(runtime.params.values())
            print(f"PruningCallback: target {target:.4f}, achieved {achieved:.4f}")

    @torch.no_grad()
    def _rewind(self, net, runtime):
        net.module_.load_state_dict(self.rewind_state_)
        apply_masks(runtime.params, self.masks_)
        for optimizer in _optimizers(net):
            optimizer.state.clear()


class _Runtime:
    """Per-fit caches: target parameters, statistics. Dropped when pickled."""

    def __init__(self, module, targets, strategy, granularity):
        self.module = module
        self.params = find_targets(module, targets)
        if granularity == "neuron" and targets is None and len(self.params) > 1:
            # The output layer's units are the network's outputs (the class
            # logits): removing one would remove a class, not a hidden unit.
            for name in output_targets(module, self.params):
                del self.params[name]
        self.neuron_dims = {name: neuron_dim(module, name) for name in self.params}
        self.statistics = StatisticsAccumulator(strategy.statistics)
        self.gather = False
        self.masks = None
        self.keep = []


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")


def _check_scores(scores, weights, strategy):
    missing = set(weights) - set(scores)
    if missing:
        raise ValueError(
            f"Strategy {strategy!r} returned no scores for {sorted(missing)}."
        )
    for name, w in weights.items():
        if tuple(scores[name].shape) != tuple(w.shape):
            raise ValueError(
                f"Strategy {strategy!r} returned scores of shape "
                f"{tuple(scores[name].shape)} for {name!r} of shape {tuple(w.shape)}."
            )


def _has_exact_zeros(params):
    return any(bool((p == 0).any()) for p in params.values())


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _optimizers(net):
    for name in net._optimizers or ["optimizer"]:
        optimizer = getattr(net, name + "_", None)
        if isinstance(optimizer, torch.optim.Optimizer):
            yield optimizer


def _clear_optimizer_state(net, params, masks):
    """Zero the momentum of pruned entries, so no update can revive them.

    Second-moment accumulators (Adam's ``exp_avg_sq``, RMSprop's ``square_avg``,
    Adagrad's ``sum``) only scale a step whose numerator is now zero, so they are
    left alone: zeroing them changes no weight, and ``sqrt`` of exact zeros was
    measured five times slower than of other values on CPU, which slowed Adam.
    """
    by_id = {id(p): masks[name] for name, p in params.items()}
    for optimizer in _optimizers(net):
        for p, state in optimizer.state.items():
            mask = by_id.get(id(p))
            if mask is None:
                continue
            for key, value in state.items():
                if key in SECOND_MOMENTS or not torch.is_tensor(value):
                    continue
                if value.shape == mask.shape:
                    value.masked_fill_(~mask, 0.0)
