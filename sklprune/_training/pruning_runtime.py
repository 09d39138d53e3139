"""What the pruning callback keeps about the module it trains, for one fit.

The targets (under neuron granularity without the output layer), the dimension of
each that indexes its units, the gradient statistics of the epoch, and the masks laid
out like the parameters with their keep words, so that masking after every batch
allocates nothing. None of it is pickled: the callback rebuilds it from the module.
"""

import torch

from ..compaction._graph import output_targets
from ..masks import find_targets, keep_bits, neuron_dim
from ..strategies import StatisticsAccumulator


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

    Attributes
    ----------
    module : torch.nn.Module
        The module the caches belong to.
    params : dict of str to torch.nn.Parameter
        The targets to prune, by name.
    neuron_dims : dict of str to int
        The dimension of each target that indexes its output units.
    statistics : StatisticsAccumulator
        The gradient statistics gathered since the last reset.
    gather : bool
        Whether the batches of this epoch add to ``statistics``.
    """

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
        self._masks = None
        self._laid_out = {}
        self._keep_bits = {}

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
