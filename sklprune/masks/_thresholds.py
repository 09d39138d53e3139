"""Thresholds: from importance scores to keep-masks at a cumulative sparsity.

One ranking per target (``scope="layer"``), or one across targets over raw
(``"global"``) or layer-normalised (``"lamp"``) scores, of single weights or of whole
output units (``granularity="neuron"``).
"""

import numpy as np
import torch

SCOPES = ("global", "lamp", "layer")
GRANULARITIES = ("weight", "neuron")

# Under a global scope every target keeps at least this fraction of the weights it
# would keep under ``scope="layer"``. Without a floor, global magnitude pruning of a
# 64-256-128-10 MLP at 98 % empties the middle layer and the net predicts one class.
GLOBAL_FLOOR = 0.25


def compute_masks(
    scores,
    sparsity,
    *,
    previous=None,
    scope="global",
    granularity="weight",
    neuron_dims=None,
):
    """Turn importance scores into boolean keep-masks at a cumulative sparsity.

    Parameters
    ----------
    scores : dict of str to torch.Tensor
        One score per weight, shaped like each target; low scores are pruned first.
    sparsity : float
        Fraction in [0, 1) of all target weights (``scope="global"`` or
        ``"lamp"``) or of every target's weights (``scope="layer"``) that must be
        zero afterwards.
    previous : dict of str to torch.Tensor, default=None
        Masks of an earlier step. Weights pruned there stay pruned and count towards
        ``sparsity``.
    scope : {"global", "lamp", "layer"}, default="global"
        One ranking over the raw scores of all targets; one ranking over
        layer-normalised scores (LAMP: each score divided by the sum of the scores
        of its target that are at least as large, Lee et al. 2021); or one ranking
        per target. Under ``"global"`` and ``"lamp"`` every target keeps at least
        ``GLOBAL_FLOOR`` times the weights it would keep under ``"layer"``, so no
        layer is ever emptied.
    granularity : {"weight", "neuron"}, default="weight"
        Prune single weights, or whole output units scored by the mean score of
        their weights.
    neuron_dims : dict of str to int, default=None
        Dimension of each target that indexes output units (see :func:`neuron_dim`);
        0 when missing.

    Returns
    -------
    masks : dict of str to torch.Tensor
        Boolean tensors, ``True`` where the weight is kept. The number of pruned
        weights equals the target within one weight (or one neuron) per target.

    Examples
    --------
    >>> import torch
    >>> from sklprune.masks import compute_masks
    >>> scores = {"w": torch.tensor([[0.1, 0.9], [0.5, 0.2]])}
    >>> compute_masks(scores, 0.5)["w"]
    tensor([[False,  True],
            [ True, False]])
    >>> compute_masks(scores, 0.5, granularity="neuron")["w"]
    tensor([[ True,  True],
            [False, False]])
    """
    check_sparsity(sparsity)
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}; got {scope!r}.")
    if granularity not in GRANULARITIES:
        raise ValueError(
            f"granularity must be one of {GRANULARITIES}; got {granularity!r}."
        )
    previous = previous or {}
    neuron_dims = neuron_dims or {}
    groups = {
        name: _Groups(score, previous.get(name), granularity, neuron_dims.get(name, 0))
        for name, score in scores.items()
    }
    if scope == "layer":
        for g in groups.values():
            g.prune_lowest(round(sparsity * g.n_groups))
    else:
        _prune_globally(list(groups.values()), sparsity, normalise=scope == "lamp")
    return {name: g.mask() for name, g in groups.items()}


def check_sparsity(sparsity, name="sparsity"):
    """Raise a ValueError unless ``0 <= sparsity < 1``.

    Examples
    --------
    >>> from sklprune.masks import check_sparsity
    >>> check_sparsity(1.0)
    Traceback (most recent call last):
    ...
    ValueError: sparsity must be a number in [0, 1) ...
    """
    if isinstance(sparsity, bool) or not isinstance(sparsity, int | float):
        raise TypeError(f"{name} must be a float in [0, 1); got {sparsity!r}.")
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(
            f"{name} must be a number in [0, 1) (the fraction of weights set to "
            f"zero; 0.9 keeps 10%); got {sparsity!r}."
        )


class _Groups:
    """A target's weights seen as prunable groups (single weights or neurons)."""

    def __init__(self, score, previous, granularity, dim):
        self.device = score.device
        self.shape = score.shape
        self.dim = dim
        self.n_weights = score.numel()
        score = score.detach().float().cpu()
        if previous is not None and previous.shape != score.shape:
            raise ValueError(
                f"A previous mask of shape {tuple(previous.shape)} does not match "
                f"scores of shape {tuple(score.shape)}."
            )
        previous = None if previous is None else previous.cpu()
        if granularity == "weight":
            scores = score.flatten()
            dead = None if previous is None else ~previous.flatten()
        else:
            scores = _rows(score, dim).mean(dim=1)
            dead = None if previous is None else ~_rows(previous, dim).any(dim=1)
        self.group_size = self.n_weights // scores.numel()
        self.dead = torch.zeros_like(scores, dtype=torch.bool) if dead is None else dead
        self.n_dead = int(torch.count_nonzero(self.dead))
        if scores.data_ptr() == score.data_ptr():  # a view: leave the caller's
            scores = torch.nan_to_num(scores, nan=0.0, posinf=torch.finfo().max)
        else:  # already a copy of its own
            scores = scores.nan_to_num_(nan=0.0, posinf=torch.finfo().max)
        # Dead groups rank first, so they always count towards the sparsity.
        self.scores = scores.masked_fill_(self.dead, float("-inf"))
        self.pruned = self.dead.clone()

    @property
    def n_groups(self):
        return self.scores.numel()

    def alive_sorted(self):
        """Scores of the groups still alive, ascending, as a numpy array."""
        # Dead groups score -inf and alive ones are finite: they sort first.
        return np.sort(self.scores.numpy())[self.n_dead :]

    def prune_lowest(self, n_groups):
        """Prune the dead groups and the lowest-scored others, ``n_groups`` in all."""
        self.pruned = _lowest(self.scores, max(n_groups, self.n_dead))

    def mask(self):
        keep = ~self.pruned
        if self.group_size > 1 or keep.numel() != self.n_weights:
            rows = self.shape[self.dim]
            rest = [s for i, s in enumerate(self.shape) if i != self.dim]
            keep = keep[:, None].expand(rows, self.group_size).reshape(rows, *rest)
            keep = keep.movedim(0, self.dim)
        return keep.reshape(self.shape).contiguous().to(self.device)


def _rows(tensor, dim):
    return tensor.movedim(dim, 0).reshape(tensor.shape[dim], -1)


def _lowest(scores, k):
    """Boolean mask of exactly ``k`` lowest scores, ties broken by position."""
    n = scores.numel()
    k = min(max(int(k), 0), n)
    if k in (0, n):
        return torch.full((n,), k == n, dtype=torch.bool)
    values = scores.numpy()
    kth = np.partition(values, k - 1)[k - 1]  # selection in linear time, no sort
    pruned = values < kth
    ties = np.flatnonzero(values == kth)
    pruned[ties[: k - np.count_nonzero(pruned)]] = True
    return torch.from_numpy(pruned)


def _lamp(sorted_scores, block=1 << 20):
    """Layer-adaptive scores of Lee et al. (2021) for ascending scores, in place.

    Each score is divided by the sum of all scores of its target that are at least
    as large, so every target's best group scores 1 and the scores of different
    targets become comparable. The result is ascending too. Sums are float64 and
    taken block by block, so no float64 copy of a large layer is made.
    """
    values = np.maximum(sorted_scores, 0, out=sorted_scores)
    total = values.sum(dtype=np.float64)
    before = 0.0  # sum of the values ahead of the current block
    tiny = np.finfo(np.float64).tiny
    for start in range(0, len(values), block):
        chunk = values[start : start + block]
        prefix = np.cumsum(chunk, dtype=np.float64)
        suffix = total - before - prefix + chunk
        before += prefix[-1]
        np.divide(
            chunk, np.maximum(suffix, tiny, out=suffix), out=chunk, casting="same_kind"
        )
    return values


def _prune_globally(groups, sparsity, normalise=False):
    """One ranking across targets, with a floor of survivors per target.

    Every target contributes its alive groups in ascending order, less the
    ``floor`` best ones it must keep; the lowest of these candidates across targets
    are pruned until the weights pruned (dead ones included) reach the target.
    Groups pruned at an earlier step are not survivors: the floor is kept among the
    alive ones, so repeated steps never wear a target below it.
    """
    to_prune = round(sparsity * sum(g.n_weights for g in groups))
    budget = to_prune - sum(g.n_dead * g.group_size for g in groups)
    candidates = []
    for g in groups:
        values = g.alive_sorted()
        floor = max(1, int(GLOBAL_FLOOR * (1 - sparsity) * g.n_groups + 0.5))
        capacity = max(0, len(values) - floor)
        candidates.append((_lamp(values) if normalise else values)[:capacity])
    counts = _allocate(candidates, [g.group_size for g in groups], budget)
    for g, count in zip(groups, counts):
        g.prune_lowest(g.n_dead + count)


def _allocate(candidates, sizes, budget):
    """How many of each target's ascending candidates to prune.

    Takes the lowest candidates across targets whose sizes add up to (nearly)
    ``budget`` weights. Since each target's candidates are ascending, the choice
    is a prefix of each.
    """
    counts = [0] * len(candidates)
    if budget <= 0 or not any(len(c) for c in candidates):
        return counts
    values = np.concatenate(candidates)
    if all(size == 1 for size in sizes):
        m = min(int(budget), len(values))
        values.partition(m - 1)  # in place: selection in linear time, no sort
        threshold = values[m - 1]
        for i, c in enumerate(candidates):
            counts[i] = int(np.searchsorted(c, threshold, side="left"))
        remaining = m - sum(counts)
        for i, c in enumerate(candidates):  # ties at the threshold, in target order
            ties = int(np.searchsorted(c, threshold, side="right")) - counts[i]
            counts[i] += min(ties, remaining)
            remaining -= min(ties, remaining)
        return counts
    owner = np.repeat(np.arange(len(candidates)), [len(c) for c in candidates])
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(np.asarray(sizes)[owner[order]])
    n_take = int(np.searchsorted(cumulative, budget))
    if n_take < len(order):
        below = cumulative[n_take - 1] if n_take else 0
        if cumulative[n_take] - budget < budget - below:
            n_take += 1
    taken = np.bincount(owner[order[:n_take]], minlength=len(candidates))
    return [int(t) for t in taken]
