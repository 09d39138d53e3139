"""What the pruning callback keeps about the module it trains, for one fit.

The targets, the groups of coupled units under neuron granularity (built once, from
the module's graph), the dimension of each target that indexes its units, the
output positions of the target layers (measured on the first training batch, for
multiply-add budgets), the gradient statistics of the epoch, and the masks laid out
like the parameters with their keep words, so that masking after every batch
allocates nothing. None of it is pickled: the callback rebuilds it from the module.
"""

import warnings
from collections.abc import Mapping

import torch

from ..compaction import coupled_units
from ..compaction._graph import find_output_targets
from ..masks import (
    OutputPositions,
    UnitGroups,
    achieved_sparsity,
    compute_group_masks,
    compute_masks,
    find_targets,
    keep_bits,
    neuron_dim,
    weight_costs,
)
from ..masks._costs import layers_of
from ..strategies import StatisticsAccumulator, accumulation_dtype


class PruningRuntime:
    """Per-fit caches of the pruning callback for one module.

    Parameters
    ----------
    module : torch.nn.Module
        The module the net trains.
    targets : None, str, type, callable or list of those
        ``PruningCallback.targets``; see :func:`sklprune.masks.find_targets`.
    strategy : PruningStrategy
        The resolved strategy, whose statistics are gathered.
    granularity : {"weight", "neuron"}
        ``PruningCallback.granularity``.
    coupled : bool, default=True
        ``PruningCallback.coupled``: under neuron granularity, the groups of coupled
        units of the module's graph; otherwise (or when the graph cannot be
        followed, with a warning) the units of every layer on their own, the
        output layer left out.
    budget : {"parameters", "macs"}, default="parameters"
        ``PruningCallback.budget``.

    Attributes
    ----------
    module : torch.nn.Module
        The module the caches belong to.
    params : dict of str to torch.nn.Parameter
        The targets to prune, by name.
    groups : UnitGroups or None
        The groups neuron pruning prunes whole; ``None`` where :func:`compute_masks`
        prunes (weight granularity, or units of single layers counted in weights).
    neuron_dims : dict of str to int
        The dimension of each target that indexes its output units.
    positions : dict of str to float or None
        Output positions per sample of every target layer, once measured.
    statistics : StatisticsAccumulator
        The gradient statistics gathered since the last reset.
    gather : bool
        Whether the batches of this epoch add to ``statistics``.
    """

    def __init__(
        self, module, targets, strategy, granularity, coupled=True, budget="parameters"
    ):
        self.module = module
        self.params = find_targets(module, targets)
        self.groups = None
        if granularity == "neuron":
            self.groups = self._neuron_groups(targets, coupled, budget)
        self.neuron_dims = {name: neuron_dim(module, name) for name in self.params}
        if granularity == "neuron" and self.groups is None and budget == "macs":
            self.groups = UnitGroups.per_layer(self.params, self.neuron_dims)
        self.statistics = StatisticsAccumulator(strategy.statistics)
        self.gather = False
        self.positions = None
        self._recorder = OutputPositions(module, layers_of(self.params))
        self._masks = None
        self._laid_out = {}
        self._keep_bits = {}

    def _neuron_groups(self, targets, coupled, budget):
        """The groups of coupled units, or None: units of single layers instead."""
        name = type(self.module).__name__
        problem = None
        if coupled:
            try:
                groups = coupled_units(self.module, targets)
            except ValueError as exc:
                problem = str(exc)
            else:
                if groups.n_groups == 0:
                    warnings.warn(
                        f"No unit of {name} can be pruned by neuron: every unit "
                        "reaches its output or an operation that mixes units. "
                        "Pass targets= or use granularity='weight'.",
                        UserWarning,
                        stacklevel=5,
                    )
                return groups
        note = None
        if targets is None and len(self.params) > 1:
            # The output layer's units are the network's outputs (the class
            # logits): removing one would remove a class, not a hidden unit.
            spared, note = find_output_targets(self.module, self.params)
            for spared_name in spared:
                del self.params[spared_name]
        if problem is not None:
            note = (
                f"Neuron pruning cannot follow the graph of {name} ({problem}). Its "
                "units are pruned layer by layer, each on its own: compaction may "
                "not remove all of them, and the sparsity counts their rows only."
                + ("" if note is None else f" {note}")
            )
        if note is not None:
            warnings.warn(note, UserWarning, stacklevel=5)
        return None

    # ------------------------------------------------------------ measuring

    def measure_positions(self, batch):
        """Watch the forward of a training batch, until :meth:`stop_measuring`."""
        if self.positions is None and not self._recorder.watching:
            self._recorder.start(n_samples=_n_samples(batch))

    def stop_measuring(self):
        """Keep the output positions the watched forward recorded."""
        if self._recorder.watching:
            self.positions = dict(self._recorder.stop())

    def costs(self, budget):
        """The cost of one weight of every target under ``budget``."""
        return weight_costs(self.module, self.params, budget, self.positions)

    def achieved(self, budget):
        """The fraction of the targets' cost removed: weights, or multiply-adds.

        ``None`` for multiply-adds before they are measured, or when the targets
        multiply nothing.
        """
        if budget == "parameters":
            return achieved_sparsity(self.params.values())
        if self.positions is None:
            return None
        costs = self.costs(budget)
        total = sum(p.numel() * costs[n] for n, p in self.params.items())
        if total == 0:
            return None
        kept = sum(
            int(torch.count_nonzero(p)) * costs[n] for n, p in self.params.items()
        )
        return 1.0 - kept / total

    # ------------------------------------------------------------ pruning

    def new_masks(self, strategy, sparsity, previous, settings):
        """The masks of a pruning step to ``sparsity`` under the callback's settings.

        Parameters
        ----------
        strategy : PruningStrategy
        sparsity : float
        previous : dict of str to torch.Tensor or None
            The masks of the step before.
        settings : PruningCallback
            Its ``scope``, ``granularity``, ``group_reduction`` and ``budget``.

        Returns
        -------
        masks : dict of str to torch.Tensor
        """
        weights = {n: p.detach() for n, p in self.params.items()}
        statistics = self.statistics.means()
        for stat in strategy.statistics:
            per_target = statistics.setdefault(stat, {})
            for name, w in weights.items():
                dtype = accumulation_dtype(w.dtype)
                per_target.setdefault(name, torch.zeros_like(w, dtype=dtype))
        scores = strategy.score(weights, statistics)
        _check_scores(scores, weights, strategy)
        if self.groups is None:
            return compute_masks(
                scores,
                sparsity,
                previous=previous,
                scope=settings.scope,
                granularity=settings.granularity,
                neuron_dims=self.neuron_dims,
            )
        return compute_group_masks(
            scores,
            sparsity,
            self.groups,
            previous=previous,
            scope=settings.scope,
            group_reduction=settings.group_reduction,
            costs=self.costs(settings.budget),
            exact=sparsity >= settings.sparsity,
        )

    def gather_statistics(self):
        """Add the gradients of the batch to the statistics."""
        grads = {n: p.grad for n, p in self.params.items() if p.grad is not None}
        self.statistics.update(self.params, grads)

    @torch.no_grad()
    def masked(self, masks):
        """The masks laid out like their parameters, and their keep words.

        Rebuilt once per mask update: a parameter may be column-major (after
        :class:`~sklprune.optim.LazyAdam`), and its mask and words then are too.

        Parameters
        ----------
        masks : dict of str to torch.Tensor or None
            The callback's ``masks_``.

        Returns
        -------
        laid_out : dict of str to torch.Tensor
            The masks, empty for ``None``.
        bits : dict of str to torch.Tensor
            Their keep words (:func:`sklprune.masks.keep_bits`).
        """
        if masks is not self._masks:
            self._masks = masks
            self._laid_out = {
                name: torch.empty_like(p, dtype=torch.bool).copy_(masks[name])
                for name, p in self.params.items()
                if masks is not None
            }
            self._keep_bits = {
                name: keep_bits(mask, self.params[name].dtype)
                for name, mask in self._laid_out.items()
            }
        return self._laid_out, self._keep_bits


def _n_samples(batch):
    """The number of samples of a skorch batch ``(X, y)``, or None if not seen."""
    X = batch[0] if isinstance(batch, tuple | list) and batch else batch
    if isinstance(X, Mapping):
        X = next(iter(X.values()), None)
    if isinstance(X, tuple | list) and X:
        X = X[0]
    return int(X.shape[0]) if torch.is_tensor(X) and X.dim() else None


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
