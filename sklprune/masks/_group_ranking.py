"""How groups of coupled units are ranked and how many go: the work of
:func:`~sklprune.masks.compute_group_masks`.

:class:`Targets` holds the targets of one step (previous masks, kept weights per
unit position, the cost of a weight) and counts what a set of pruned groups
keeps; :class:`Ranking` scores the groups and orders the candidates by scope;
:func:`closest_to_goal` takes the candidates whose removal comes closest to the
sparsity.
"""

from typing import NamedTuple

import torch

from ._thresholds import GLOBAL_FLOOR, _lamp, _rows


class _Target(NamedTuple):
    """A target seen through its group axes."""

    name: str
    axes: tuple
    keep: torch.Tensor  # the previous mask, on the CPU
    counts: torch.Tensor  # kept weights per position (pair) of the axes, float64
    cost: float  # of one weight
    device: torch.device


class Targets:
    """The targets of one pruning step: previous masks, counts and costs."""

    def __init__(self, scores, groups, previous, costs):
        self.n_groups = groups.n_groups
        self.items = []
        for name, score in scores.items():
            axes = tuple(sorted(groups.axes.get(name, ()), key=lambda a: a.dim))
            keep = previous.get(name)
            if keep is None:
                keep = torch.ones(score.shape, dtype=torch.bool)
            elif keep.shape != score.shape:
                raise ValueError(
                    f"A previous mask of shape {tuple(keep.shape)} does not match "
                    f"the scores of {name!r}, of shape {tuple(score.shape)}."
                )
            keep = keep.detach().cpu().bool()
            cost = float(costs.get(name, 1.0))
            counts = _kept_counts(keep, [a.dim for a in axes])
            self.items.append(_Target(name, axes, keep, counts, cost, score.device))
        self.total = sum(t.keep.numel() * t.cost for t in self.items)

    def kept_cost(self, pruned):
        """The cost of the weights kept when the groups ``pruned`` go."""
        padded = torch.cat([pruned, torch.zeros(1, dtype=torch.bool)])  # -1: kept
        total = 0.0
        for t in self.items:
            keeps = [(~padded[a.groups]).double() for a in t.axes]
            if len(keeps) == 2:
                kept = keeps[0] @ t.counts @ keeps[1]
            elif len(keeps) == 1:
                kept = t.counts @ keeps[0]
            else:
                kept = t.counts
            total += float(kept) * t.cost
        return total

    def masks(self, pruned):
        """Keep-masks with the slices of the groups ``pruned`` set to False."""
        padded = torch.cat([pruned, torch.zeros(1, dtype=torch.bool)])
        masks = {}
        for t in self.items:
            mask = t.keep.clone()
            for axis in t.axes:
                shape = [1] * mask.dim()
                shape[axis.dim] = -1
                mask &= ~padded[axis.groups].reshape(shape)
            masks[t.name] = mask.to(t.device)
        return masks


def _kept_counts(keep, dims):
    """Kept weights per position of ``dims`` (none, one, or dimensions 0 and 1)."""
    if not dims:
        return keep.sum(dtype=torch.float64)
    if len(dims) == 1:
        return _rows(keep, dims[0]).sum(1, dtype=torch.float64)
    if tuple(dims) != (0, 1):
        raise ValueError(f"Group axes along dimensions {dims} are not supported.")
    return keep.reshape(keep.shape[0], keep.shape[1], -1).sum(2, dtype=torch.float64)


class Ranking:
    """Scores, costs and liveness of every group, and the order they are pruned in."""

    def __init__(self, targets, groups, scores, group_reduction):
        n = groups.n_groups
        self.families = groups.families
        alive = torch.zeros(n, dtype=torch.bool)
        self.cost = torch.zeros(n, dtype=torch.float64)
        self.weighted = len({t.cost for t in targets.items if t.axes}) > 1
        members = []
        for t in targets.items:
            score = scores[t.name].detach().cpu().double()
            score = torch.nan_to_num(score, nan=0.0, posinf=torch.finfo().max)
            for axis in t.axes:
                valid = axis.groups >= 0
                ids = axis.groups[valid]
                if axis.kind == "units":
                    alive[ids[_rows(t.keep, axis.dim).any(1)[valid]]] = True
                per_position = t.keep.numel() // t.keep.shape[axis.dim] * t.cost
                self.cost.index_add_(
                    0, ids, torch.full((len(ids),), per_position, dtype=torch.float64)
                )
                values = torch.zeros(n, dtype=torch.float64).index_add_(
                    0, ids, _rows(score, axis.dim).sum(1)[valid]
                )
                present = torch.zeros(n, dtype=torch.bool)
                present[ids] = True
                members.append((values, present))
        self.dead = ~alive
        self.score = _reduce(
            [(self._normalised(v, p & alive), p) for v, p in members],
            n,
            group_reduction,
        )

    def _normalised(self, values, among):
        """``values`` divided by their mean over ``among``, per family."""
        values = values.clone()
        for family in torch.unique(self.families):
            where = among & (self.families == family)
            if bool(where.any()):
                mean = float(values[where].mean())
                if mean > 0:
                    values[self.families == family] /= mean
        return values

    def candidates(self, scope, sparsity):
        """The alive groups that may go, in the order they are pruned."""
        keys = torch.zeros(len(self.score), dtype=torch.float64)
        candidates = []
        # A group's cost relative to the mean over the alive groups, where weights
        # cost differently (multiply-adds); 1 where every weight costs alike.
        alive = ~self.dead
        relative_cost = torch.ones_like(self.cost)
        if self.weighted and bool(alive.any()):
            mean = float(self.cost[alive].mean())
            relative_cost = self.cost / max(mean, 1e-300)
        for family in torch.unique(self.families):
            in_family = self.families == family
            ids = torch.nonzero(in_family & ~self.dead).flatten()
            ids = ids[torch.argsort(self.score[ids], stable=True)]
            n_dead = int((in_family & self.dead).sum())
            n_all = int(in_family.sum())
            keys[ids] = _family_keys(
                self.score[ids],
                relative_cost[ids],
                scope,
                n_dead,
                n_all,
            )
            floor = 1
            if scope != "layer":
                floor = max(1, int(GLOBAL_FLOOR * (1 - sparsity) * n_all + 0.5))
            candidates.append(ids[: max(0, len(ids) - floor)])
        candidates = torch.cat(candidates) if candidates else torch.zeros(0).long()
        return candidates[torch.argsort(keys[candidates], stable=True)]


def _family_keys(scores, relative_cost, scope, n_dead, n_all):
    """Ranking keys of a family's alive groups, given ascending by score."""
    if scope == "global":
        return scores
    if scope == "layer":  # the fraction of the family pruned once the group goes
        return torch.arange(n_dead + 1, n_dead + len(scores) + 1).double() / n_all
    lamp = torch.from_numpy(_lamp(scores.numpy().copy()))
    return lamp / relative_cost.clamp_min(1e-300)


def _reduce(members, n, how):
    """One score per group from its members' normalised values."""
    if not members:
        return torch.zeros(n, dtype=torch.float64)
    values = torch.stack([v for v, _ in members])
    present = torch.stack([p for _, p in members])
    if how == "max":
        best = values.masked_fill(~present, float("-inf")).max(0).values
        return torch.where(present.any(0), best, torch.zeros_like(best))
    total = (values * present).sum(0)
    if how == "mean":
        total = total / present.sum(0).clamp_min(1)
    return total


def closest_to_goal(targets, dead, candidates, sparsity, exact):
    """The groups to prune: the dead ones and those of ``candidates`` whose removed
    cost comes closest to ``sparsity`` of the total.

    The longest prefix of the ranking that stays below the goal is taken; the
    candidate that would cross it is skipped, and those after it are added in turn
    where they keep it below (``exact``; at most ``_EXACT_TRIES`` of them), or
    while they do, so that one large group at the boundary (a channel whose
    flattened columns are many) does not leave the goal far off. The closer of
    the result and the smallest crossing met (the prefix that crosses the goal,
    or, when ``exact``, a smaller group tried in its place) is returned.
    """
    goal = sparsity * targets.total

    def removed(pruned):
        return targets.total - targets.kept_cost(pruned)

    def pruned_with(k):
        pruned = dead.clone()
        pruned[candidates[:k]] = True
        return pruned

    low, high = 0, len(candidates)
    if removed(pruned_with(high)) <= goal:
        return pruned_with(high)
    while low < high:  # the fewest candidates that remove at least the goal
        middle = (low + high) // 2
        if removed(pruned_with(middle)) >= goal:
            high = middle
        else:
            low = middle + 1
    if low == 0:
        return dead.clone()
    below = pruned_with(low - 1)
    below_cost = removed(below)
    over = pruned_with(low)
    over_cost = removed(over)
    for candidate in candidates[low : low + _EXACT_TRIES].tolist():
        trial = below.clone()
        trial[candidate] = True
        cost = removed(trial)
        if cost <= goal:
            below, below_cost = trial, cost
        elif not exact:
            break
        elif cost < over_cost:
            over, over_cost = trial, cost
    return below if goal - below_cost <= over_cost - goal else over


# At most this many candidates past the boundary are tried, each costing one count.
_EXACT_TRIES = 256
