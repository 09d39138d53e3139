"""PruningCallback: prune any skorch net while it trains."""

import warnings

import torch
from skorch.callbacks import Callback

from ._defaults import PRUNING_DEFAULTS as _DEFAULTS
from ._training.auto import input_width, resolve_strategy
from ._training.callback_parameters import check_parameters
from ._training.optimizer_state import clear_optimizer_state, optimizers
from ._training.pruning_runtime import PruningRuntime
from ._training.saved_weights import callbacks_after, mask_state_dict, snapshot
from ._training.sparse_grad import mask_gradient_, mask_parameter_
from ._training.starting_masks import masks_from_zeros
from .masks import achieved_sparsity, apply_masks
from .schedules import get_schedule
from .strategies import get_strategy


class PruningCallback(Callback):
    """Prune a skorch net while it trains.

    At the end of every scheduled epoch, the strategy scores the target weights and
    the lowest-scored ones are masked so that the schedule's sparsity holds. Masks
    live in the callback and are written into the weights: gradients of pruned weights
    are zeroed after every backward pass, the weights are re-masked after every
    optimizer step, and the optimizer's state (momentum, Adam moments) of pruned
    entries is cleared, so neither momentum nor weight decay revives a pruned weight.
    The trained module is a plain :class:`torch.nn.Module` whose pruned weights are
    exact zeros (even where a step wrote NaN or inf); no hooks or extra parameters
    are left behind.

    Weights put back while masks exist are masked again: at the start of every
    training call (after ``net.load_params`` or skorch's ``LoadInitState``) and at
    its end (after ``EarlyStopping(load_best=True)`` or ``Checkpoint(load_best=True)``
    restored an earlier, denser epoch), and the last ``sparsity`` entry of the
    history is then measured again. An ``EarlyStopping`` listed after this callback
    has its best weights masked before it restores them; a ``Checkpoint`` with
    ``load_best=True`` listed after it loads from its file, out of reach, so a
    warning asks to list it before this callback.

    Parameters
    ----------
    sparsity : float, default=0.9
        Final fraction of target weights that are zero, in [0, 1). Cumulative: 0.9
        means 90 % of all target weights, not 90 % of what is left.
    strategy : str, PruningStrategy or callable, default="auto"
        Importance criterion: ``"auto"``, ``"magnitude"``, ``"gradient"``,
        ``"fisher"``, ``"random"``, a :class:`~sklprune.strategies.PruningStrategy`
        or a function ``(weights, statistics) -> scores``. Gradient statistics come
        from the net's own criterion. ``"auto"`` is resolved when training starts,
        by the rule of :class:`~sklprune.PrunedClassifier`: ``"fisher"`` for
        inputs of fewer than 50 features per sample, ``"magnitude"`` for wider
        ones and for an ``X`` without a shape (a dict, a Dataset).
    scope : {"lamp", "global", "layer"}, default="lamp"
        ``"global"``: one threshold over the raw scores of all targets (each target
        keeps a floor of weights, so no layer is emptied). ``"lamp"``: one
        threshold over layer-normalised scores (LAMP, Lee et al. 2021), which
        keeps small layers such as the output layer from being pruned away; under
        ``budget="macs"`` the scores of groups of coupled units are also divided by
        their cost, so the costlier go first.
        ``"layer"``: every target (every family of groups) pruned alike.
    granularity : {"weight", "neuron"}, default="weight"
        Single weights, or whole output units (rows of a Linear, output channels of
        a Conv, columns of an Embedding). Under ``"neuron"`` the units that can
        only be removed together (the outputs of layers added in a residual sum, a
        channel and its BatchNorm entry) form one group, found once per fit from
        the graph that :func:`~sklprune.compact` walks
        (:func:`~sklprune.compaction.coupled_units`); a group is scored from its
        weights and the input columns that read it, and pruned whole, those columns
        included, so the sparsity asked is the one the compacted network has. Units
        that reach the module's output (the class logits) are never pruned.
    budget : {"parameters", "macs"}, default="parameters"
        What ``sparsity`` counts: the target weights, or the multiply-adds of one
        sample's forward pass through the target layers (measured on the first
        training batch); ``"macs"`` needs ``granularity="neuron"``. Under
        ``"macs"``, 0.75 removes three quarters of the multiply-adds, mostly from
        the convolutions, where they are.
    group_reduction : {"sum", "mean", "max"}, default="sum"
        How a group's score is made from its members' (its rows in one target, the
        columns of one target that read it), each first divided by its mean over
        the group's family.
    coupled : bool, default=True
        Under ``"neuron"``, prune groups of coupled units. ``False`` prunes the
        units of every layer on their own, the output layer left out, counting
        their rows only; so does a module whose graph cannot be followed, with a
        warning naming the node.
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
    masks_from_zeros : {"auto", True, False}, default="auto"
        Whether exact zeros in the starting weights count as pruned when training
        starts without masks (a fresh callback on weights loaded with
        ``load_params``, or a callback re-initialised by ``set_params``). Pruned
        zeros stay zero and count towards the sparsity. ``True``: every zero.
        ``"auto"``: the zeros a pruned model leaves, not those an initialisation
        makes: a target that is zero throughout (``nn.init.zeros_``) and the
        ``padding_idx`` row of an ``Embedding`` stay trainable. Initialisations that
        scatter zeros (``nn.init.eye_``, ``dirac_``, ``sparse_``) look like a pruned
        model: pass ``False`` for them. ``False``: no zero counts as pruned.
    verbose : int, default=0
        Report every pruning step, and weights masked again after a restore, when
        positive.
    sink : callable, default=print
        Receives each report as one string. As in skorch's callbacks, a sink other
        than ``print`` receives them whatever ``verbose`` is. Use a module-level
        function or a bound method, so the net can be pickled.

    Attributes
    ----------
    masks_ : dict of str to torch.Tensor or None
        Boolean keep-masks per target, ``None`` before the first pruning step.
    strategy_ : PruningStrategy or None
        The resolved strategy; ``None`` until training starts when ``strategy``
        is ``"auto"``.
    schedule_ : callable
        The resolved schedule, ``epoch -> sparsity``.
    target_sparsity_ : float
        The schedule's sparsity after the last epoch, in what ``budget`` counts.

    Notes
    -----
    Every epoch logs ``sparsity`` (the fraction of the target weights that are
    zero), ``macs_sparsity`` (the fraction of the target layers' multiply-adds of
    one sample that pruning removed, once the first training batch has shown the
    output sizes), ``sparsity_target`` and ``event_prune`` to ``net.history``.

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
        sparsity=_DEFAULTS["sparsity"],
        strategy=_DEFAULTS["strategy"],
        scope=_DEFAULTS["scope"],
        granularity=_DEFAULTS["granularity"],
        budget=_DEFAULTS["budget"],
        group_reduction=_DEFAULTS["group_reduction"],
        coupled=True,
        schedule=_DEFAULTS["schedule"],
        start_epoch=1,
        end_epoch=None,
        frequency=1,
        targets=None,
        rewind_epoch=None,
        masks_from_zeros="auto",
        verbose=0,
        sink=print,
    ):
        self.sparsity = sparsity
        self.strategy = strategy
        self.scope = scope
        self.granularity = granularity
        self.budget = budget
        self.group_reduction = group_reduction
        self.coupled = coupled
        self.schedule = schedule
        self.start_epoch = start_epoch
        self.end_epoch = end_epoch
        self.frequency = frequency
        self.targets = targets
        self.rewind_epoch = rewind_epoch
        self.masks_from_zeros = masks_from_zeros
        self.verbose = verbose
        self.sink = sink

    # ------------------------------------------------------------------ hooks

    def initialize(self):
        """Check the parameters and reset all state (runs on every fresh fit)."""
        check_parameters(self)
        # "auto" needs the width of the input: resolved in on_train_begin.
        auto = isinstance(self.strategy, str) and self.strategy == "auto"
        self.strategy_ = None if auto else get_strategy(self.strategy)
        # Built for real in on_train_begin, when max_epochs is known; resolving it
        # here reports an unknown name at initialize.
        self.schedule_ = get_schedule(self.schedule, self.sparsity, 1, 1)
        self.masks_ = None
        self.target_sparsity_ = 0.0
        self.rewind_state_ = None
        # Runtime state ends in "_": skorch takes every other attribute for a
        # constructor parameter (clone, get_params).
        self._runtime_ = None
        self._starting_ = False
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if self.strategy_ is None:
            self.strategy_ = get_strategy(resolve_strategy("auto", input_width(X)))
        self._build_schedule(net)
        # Weights are settled at the first epoch, after every callback's
        # on_train_begin (LoadInitState loads there).
        self._starting_ = True

    def on_epoch_begin(self, net, **kwargs):
        if self._starting_:
            self._starting_ = False
            self._settle_starting_weights(net)
        self._plan_statistics(net)

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training:
            self._runtime_for(net).measure_positions(batch)

    def on_grad_computed(self, net, named_parameters, training=None, **kwargs):
        runtime = self._runtime_for(net)
        if runtime.gather:
            runtime.gather_statistics()
        self._mask_gradients(runtime)

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training:
            runtime = self._runtime_for(net)
            runtime.stop_measuring()
            self._mask_weights(runtime)

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        pruned = self._prune_if_scheduled(net, epoch)
        self._snapshot_if_rewind_epoch(net, epoch)
        if pruned:
            self._rewind_if_final_step(net, epoch)
        self._record(net, pruned)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if self._runtime_ is not None:
            self._runtime_.stop_measuring()
        self._remask_restored_weights(net)
        self._mask_weights_restored_later(net)
        self._record_last_epoch(net)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_runtime_"] = None
        return state

    # ------------------------------------------------------------------ steps

    def _build_schedule(self, net):
        end_epoch = self._end_epoch(net.max_epochs)
        if len(net.history) == 0 and end_epoch > net.max_epochs:
            raise ValueError(
                f"PruningCallback end_epoch={self.end_epoch} is past "
                f"max_epochs={net.max_epochs}: the final sparsity would never be "
                "reached. Lower end_epoch or raise max_epochs."
            )
        self.schedule_ = get_schedule(
            self.schedule, self.sparsity, self.start_epoch, end_epoch, self.frequency
        )

    def _settle_starting_weights(self, net):
        """Masks for the weights training starts from, written into them."""
        runtime = self._runtime_for(net)
        if self.masks_ is None:
            self._recover_masks_from_zeros(net, runtime)
        else:
            self._check_masks_fit(runtime)
            self._mask_weights_and_momenta(net, runtime)
        if self.rewind_epoch == 0 and self.rewind_state_ is None:
            self.rewind_state_ = snapshot(net.module_)

    def _recover_masks_from_zeros(self, net, runtime):
        masks = masks_from_zeros(net.module_, runtime.params, self.masks_from_zeros)
        if masks is None:
            return
        self.masks_ = masks
        self._mask_weights_and_momenta(net, runtime)
        # Multiply-adds are measured on the first batch, after this: 0 until then.
        self.target_sparsity_ = runtime.achieved(self.budget) or 0.0

    def _check_masks_fit(self, runtime):
        shapes = {n: tuple(p.shape) for n, p in runtime.params.items()}
        if shapes != {n: tuple(m.shape) for n, m in self.masks_.items()}:
            raise ValueError(
                "PruningCallback holds masks of another module than the net's "
                "module_ (its targets or their shapes differ). Re-initialise the "
                "callback with the module: call net.initialize(), or fit() without "
                "warm_start."
            )

    def _plan_statistics(self, net):
        """Gather gradient statistics in the epochs that end with a pruning step."""
        runtime = self._runtime_for(net)
        runtime.gather = False
        if self._prunes_after(len(net.history)):
            runtime.statistics.reset()
            runtime.gather = bool(runtime.statistics.names)

    def _mask_gradients(self, runtime):
        masks, bits = runtime.masked(self.masks_)
        grads, grad_masks = {}, {}
        for name, mask in masks.items():
            grad = runtime.params[name].grad
            if grad is not None and grad.is_sparse:  # only the entries it holds
                mask_gradient_(grad, mask)
            elif grad is not None:
                grads[name], grad_masks[name] = grad, mask
        apply_masks(grads, grad_masks, keep_bits=bits)

    @torch.no_grad()
    def _mask_weights(self, runtime):
        masks, bits = runtime.masked(self.masks_)
        whole = {}  # the masks of the weights a dense step moved everywhere
        for name, mask in masks.items():
            p = runtime.params[name]
            if p.grad is not None and p.grad.is_sparse:
                mask_parameter_(p, mask)  # only the entries a lazy step moved
            else:
                whole[name] = mask
        apply_masks(runtime.params, whole, keep_bits=bits)

    def _prune_if_scheduled(self, net, epoch):
        target = self.schedule_(epoch)
        if target > self.target_sparsity_ or (self.masks_ is None and target > 0):
            self._prune(net, self._runtime_for(net), target)
            return True
        return False

    def _snapshot_if_rewind_epoch(self, net, epoch):
        if self.rewind_epoch is not None and epoch == self.rewind_epoch:
            self.rewind_state_ = snapshot(net.module_)

    def _rewind_if_final_step(self, net, epoch):
        if self._is_final_step(epoch) and self.rewind_state_ is not None:
            self._rewind(net, self._runtime_for(net))

    def _record(self, net, pruned):
        runtime = self._runtime_for(net)
        net.history.record("sparsity", achieved_sparsity(runtime.params.values()))
        macs_sparsity = runtime.achieved("macs")
        if macs_sparsity is not None:
            net.history.record("macs_sparsity", macs_sparsity)
        net.history.record("sparsity_target", float(self.target_sparsity_))
        net.history.record("event_prune", pruned)

    def _remask_restored_weights(self, net):
        """Mask weights that a callback listed earlier put back at the end."""
        if self.masks_ is None:
            return
        runtime = self._runtime_for(net)
        revived = sum(
            int(((p != 0) & ~self.masks_[name]).sum())
            for name, p in runtime.params.items()
        )
        if revived:
            self._mask_weights_and_momenta(net, runtime)
            self._report(
                f"PruningCallback: {revived} pruned weights were non-zero in the "
                "weights restored at the end of training; masked again."
            )

    def _mask_weights_restored_later(self, net):
        """Mask the weights that callbacks listed after this one will restore.

        skorch's ``EarlyStopping(load_best=True)`` keeps its best weights in
        ``best_model_weights_`` and loads them in its own ``on_train_end``, after
        this one: they are masked here. A callback that reloads from a file instead
        (``Checkpoint(load_best=True)``) is out of reach and gets a warning.
        """
        if self.masks_ is None:
            return
        later = callbacks_after(net, self)
        for name, callback in later:
            saved = getattr(callback, "best_model_weights_", None)
            if isinstance(saved, dict):
                mask_state_dict(saved, self.masks_)
            elif getattr(callback, "load_best", False):
                warnings.warn(
                    f"Callback {name!r} ({type(callback).__name__}, load_best=True) "
                    "is listed after the PruningCallback and reloads weights when "
                    "training ends, after the masks were re-applied: pruned weights "
                    "may come back. List it before the PruningCallback in callbacks.",
                    UserWarning,
                    stacklevel=2,
                )

    def _record_last_epoch(self, net):
        """Make the last history entry describe the weights the net ends with.

        A callback listed earlier that stops training (``EarlyStopping``) skips this
        callback's ``on_epoch_end``; one that restores weights changes them after it.
        An epoch cut short by Ctrl-C stays without a sparsity entry: skorch's
        ``EpochTimer`` writes ``dur`` only once the epoch has ended.
        """
        if len(net.history) == 0 or self._runtime_ is None:
            return
        if "sparsity" not in net.history[-1]:
            if "dur" in net.history[-1]:
                self._record(net, pruned=False)
        else:
            sparsity = achieved_sparsity(self._runtime_.params.values())
            net.history.record("sparsity", sparsity)

    def _report(self, text):
        if self.verbose or self.sink is not print:
            self.sink(text)

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
        if self._runtime_ is None or self._runtime_.module is not module:
            self._runtime_ = PruningRuntime(
                module,
                self.targets,
                self.strategy_,
                self.granularity,
                coupled=self.coupled,
                budget=self.budget,
            )
        return self._runtime_

    def _mask_weights_and_momenta(self, net, runtime):
        """Write the masks into the weights and into the optimizer's momenta."""
        apply_masks(runtime.params, self.masks_)
        clear_optimizer_state(net, runtime.params, self.masks_)

    def _prune(self, net, runtime, target):
        self.masks_ = runtime.new_masks(self.strategy_, target, self.masks_, self)
        self.target_sparsity_ = target
        self._mask_weights_and_momenta(net, runtime)
        runtime.gather = False
        achieved = runtime.achieved(self.budget)
        self._report(f"PruningCallback: target {target:.4f}, achieved {achieved:.4f}")

    @torch.no_grad()
    def _rewind(self, net, runtime):
        net.module_.load_state_dict(self.rewind_state_)
        apply_masks(runtime.params, self.masks_)
        for optimizer in optimizers(net):
            optimizer.state.clear()
