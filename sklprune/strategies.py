r"""Importance criteria: a score for every prunable weight, lowest pruned first.

A strategy has one job. Given the current weights and the training statistics it asked
for, it returns scores shaped like each weight. Turning scores into masks is done once,
for every strategy, by :func:`sklprune.masks.compute_masks`.

Statistics are gathered by :class:`sklprune.PruningCallback` from the gradients of the
net's own loss, on the training batches of every epoch that ends with a pruning step,
so the loss a user chooses flows into the gradient-based criteria.

* ``"magnitude"``: :math:`|w|`; no statistics.
* ``"gradient"``: :math:`\mathrm{mean}_b |w\,g_b|`; statistic ``"taylor"``.
* ``"fisher"``: :math:`\tfrac12 F w^2` with :math:`F = \mathrm{mean}_b\, g_b^2`;
  statistic ``"grad_sq"``.
* ``"random"``: uniform noise; no statistics.

:math:`g_b` is the gradient of the loss on mini-batch :math:`b`. The Fisher diagonal is
the empirical Fisher of mini-batch gradients (per-sample gradients would cost one
backward pass per sample); scaling it by a constant changes no ranking.
"""

import torch

from ._training.sparse_grad import add_sparse_statistic_

STATISTICS = ("taylor", "grad_sq")


class PruningStrategy:
    """Base class of importance criteria.

    Subclasses set :attr:`statistics` to the training statistics they need and
    implement :meth:`score`.

    Attributes
    ----------
    statistics : tuple of str
        Names of the statistics to gather during training, a subset of
        ``("taylor", "grad_sq")``: ``"taylor"`` is the mean over batches of
        :math:`|w \\cdot \\partial L / \\partial w|`, ``"grad_sq"`` the mean over
        batches of :math:`(\\partial L / \\partial w)^2`.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import PruningStrategy
    >>> class LargestRowFirst(PruningStrategy):
    ...     def score(self, weights, statistics):
    ...         return {n: w.abs().sum(1, keepdim=True).expand_as(w)
    ...                 for n, w in weights.items()}
    >>> LargestRowFirst().score({"w": torch.ones(2, 2)}, {})["w"].shape
    torch.Size([2, 2])
    """

    statistics = ()

    def score(self, weights, statistics):
        """Return one score per weight.

        Parameters
        ----------
        weights : dict of str to torch.Tensor
            The current values of the targets (pruned weights are zero).
        statistics : dict of str to dict of str to torch.Tensor
            For every name in :attr:`statistics`, a tensor per target.

        Returns
        -------
        scores : dict of str to torch.Tensor
            Same keys and shapes as ``weights``.
        """
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class MagnitudeStrategy(PruningStrategy):
    """Score weights by their absolute value, the baseline every method must beat.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import MagnitudeStrategy
    >>> MagnitudeStrategy().score({"w": torch.tensor([-2.0, 1.0])}, {})["w"]
    tensor([2., 1.])
    """

    def score(self, weights, statistics):
        return {name: w.abs() for name, w in weights.items()}


class GradientStrategy(PruningStrategy):
    """First-order Taylor saliency :math:`|w \\cdot \\partial L/\\partial w|`.

    The estimated change of the loss when a weight is removed, averaged over the
    training batches since the last pruning step (SNIP when used before training).

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import GradientStrategy
    >>> stats = {"taylor": {"w": torch.tensor([0.5, 0.1])}}
    >>> GradientStrategy().score({"w": torch.ones(2)}, stats)["w"]
    tensor([0.5000, 0.1000])
    """

    statistics = ("taylor",)

    def score(self, weights, statistics):
        return dict(statistics["taylor"])


class FisherStrategy(PruningStrategy):
    """Optimal-Brain-Damage saliency with the empirical Fisher as Hessian.

    :math:`\\tfrac12 F w^2`, where :math:`F` is the mean squared gradient of the
    loss: near a maximum-likelihood point the Fisher information approximates the
    Hessian, so this estimates the loss increase of removing each weight.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import FisherStrategy
    >>> stats = {"grad_sq": {"w": torch.tensor([4.0, 1.0])}}
    >>> FisherStrategy().score({"w": torch.tensor([1.0, 3.0])}, stats)["w"]
    tensor([2.0000, 4.5000])
    """

    statistics = ("grad_sq",)

    def score(self, weights, statistics):
        fisher = statistics["grad_sq"]
        return {name: 0.5 * fisher[name] * w.square() for name, w in weights.items()}


class RandomStrategy(PruningStrategy):
    """Uniformly random scores: the sanity baseline.

    Draws from torch's global generator, so a seeded fit prunes the same weights.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import RandomStrategy
    >>> _ = torch.manual_seed(0)
    >>> RandomStrategy().score({"w": torch.ones(3)}, {})["w"].shape
    torch.Size([3])
    """

    def score(self, weights, statistics):
        return {
            name: torch.rand(w.shape, device=w.device) for name, w in weights.items()
        }


class FunctionStrategy(PruningStrategy):
    """Adapt a plain function ``func(weights, statistics) -> scores``.

    Parameters
    ----------
    func : callable
        Module-level function (lambdas cannot be pickled with the net).
    statistics : tuple of str, default=()
        Statistics the function reads.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import FunctionStrategy
    >>> def squared(weights, statistics):
    ...     return {n: w ** 2 for n, w in weights.items()}
    >>> FunctionStrategy(squared).score({"w": torch.tensor([-3.0])}, {})["w"]
    tensor([9.])
    """

    def __init__(self, func, statistics=()):
        self.func = func
        self.statistics = tuple(statistics)

    def score(self, weights, statistics):
        return self.func(weights, statistics)

    def __repr__(self):
        name = getattr(self.func, "__name__", repr(self.func))
        return f"FunctionStrategy({name})"


STRATEGIES = {
    "magnitude": MagnitudeStrategy,
    "gradient": GradientStrategy,
    "fisher": FisherStrategy,
    "random": RandomStrategy,
}


def get_strategy(strategy):
    """Resolve a strategy given by name, object or function.

    Parameters
    ----------
    strategy : str, PruningStrategy or callable
        A name from ``STRATEGIES``, a :class:`PruningStrategy`, or a function
        ``(weights, statistics) -> scores``.

    Returns
    -------
    strategy : PruningStrategy

    Examples
    --------
    >>> from sklprune.strategies import get_strategy
    >>> get_strategy("fisher")
    FisherStrategy()
    >>> get_strategy("obd")
    Traceback (most recent call last):
    ...
    ValueError: Unknown strategy 'obd'. Valid names: 'magnitude', 'gradient', ...
    """
    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            valid = ", ".join(repr(n) for n in STRATEGIES)
            raise ValueError(
                f"Unknown strategy {strategy!r}. Valid names: {valid}; or pass a "
                "PruningStrategy instance or a function "
                "(weights, statistics) -> scores."
            )
        return STRATEGIES[strategy]()
    if isinstance(strategy, PruningStrategy):
        unknown = set(strategy.statistics) - set(STATISTICS)
        if unknown:
            raise ValueError(
                f"Strategy {strategy!r} asks for unknown statistics {sorted(unknown)}; "
                f"available: {STATISTICS}."
            )
        return strategy
    if callable(strategy):
        return FunctionStrategy(strategy)
    raise TypeError(
        "strategy must be a name, a PruningStrategy or a function "
        f"(weights, statistics) -> scores; got {strategy!r}."
    )


class StatisticsAccumulator:
    """Running means of gradient statistics, one tensor per target.

    Sums are kept in float32 at least (float64 stays float64): in float16 a
    squared gradient below about 2e-4 underflows to zero, and in bfloat16 a sum
    stops growing once it is 256 times larger than what is added to it.

    Parameters
    ----------
    names : iterable of str
        Statistics to gather, from :data:`STATISTICS`.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import StatisticsAccumulator
    >>> acc = StatisticsAccumulator(["grad_sq"])
    >>> w = torch.ones(2)
    >>> acc.update({"w": w}, {"w": torch.tensor([1.0, 3.0])})
    >>> acc.update({"w": w}, {"w": torch.tensor([1.0, 1.0])})
    >>> acc.means()["grad_sq"]["w"]
    tensor([1., 5.])
    """

    def __init__(self, names):
        self.names = tuple(names)
        self.reset()

    def reset(self):
        """Forget everything gathered so far."""
        self.sums = {name: {} for name in self.names}
        self.count = 0

    @torch.no_grad()
    def update(self, weights, grads):
        """Add one batch: ``weights`` and ``grads`` map target names to tensors."""
        if not self.names:
            return
        for name, w in weights.items():
            g = grads.get(name)
            if g is None:
                continue
            w, g = w.to(accumulation_dtype(w.dtype)), g.to(accumulation_dtype(g.dtype))
            for stat in self.names:
                sums = self.sums[stat]
                if g.is_sparse:  # add at the touched entries only
                    total = sums.setdefault(name, torch.zeros_like(w))
                    add_sparse_statistic_(total, stat, w, g)
                    continue
                value = (w * g).abs_() if stat == "taylor" else g.square()
                if name in sums:
                    sums[name].add_(value)
                else:
                    sums[name] = value
        self.count += 1

    def means(self):
        """Statistics averaged over the batches seen since the last reset."""
        count = max(self.count, 1)
        return {
            stat: {name: s / count for name, s in sums.items()}
            for stat, sums in self.sums.items()
        }


def accumulation_dtype(dtype):
    """The dtype statistics of a ``dtype`` parameter are summed in: float32 at least.

    Examples
    --------
    >>> import torch
    >>> from sklprune.strategies import accumulation_dtype
    >>> accumulation_dtype(torch.bfloat16), accumulation_dtype(torch.float64)
    (torch.float32, torch.float64)
    """
    return torch.promote_types(dtype, torch.float32)
