"""Groups of coupled units: scored together, pruned whole, counted by what they remove.

Neuron pruning removes output units, and some units can only go together: those of
layers whose outputs are added (a residual sum), or a convolution's channel and its
``BatchNorm`` entry. A *group* is such a set of units with every weight that dies with
it: its own slices (rows of a ``Linear``, output channels of a ``Conv``, columns of an
``Embedding``) and the input columns of every layer that reads it.
:class:`UnitGroups` says, for every target, which group owns each position along its
unit dimensions; :func:`compute_group_masks` scores the groups, ranks them, and prunes
the lowest until what they remove, in weights or in multiply-adds, reaches the
sparsity. :func:`sklprune.compaction.coupled_units` finds the groups of a module from
its graph; :meth:`UnitGroups.per_layer` makes every unit of every target a group.
"""

from typing import NamedTuple

import torch

from ._thresholds import GLOBAL_FLOOR, SCOPES, _lamp, _rows, check_sparsity

GROUP_REDUCTIONS = ("sum", "mean", "max")


class Axis(NamedTuple):
    """The positions of a target along one dimension, by the group that owns each.

    Attributes
    ----------
    dim : int
        The dimension of the target.
    groups : torch.Tensor of int64
        The group of every position along ``dim``; -1 where the position belongs to
        no group and is never pruned.
    kind : {"units", "inputs"}
        ``"units"``: the positions are the groups' own units (rows of a ``Linear``,
        channels of a ``Conv``, columns of an ``Embedding``). ``"inputs"``: the
        positions read them (input columns of the next layer).
    """

    dim: int
    groups: torch.Tensor
    kind: str


class Member(NamedTuple):
    """One slice of a group, as :meth:`UnitGroups.members` lists them.

    Attributes
    ----------
    name : str
        A target's name, or the name of a layer with one entry per unit.
    dim : int
        The dimension of the slice.
    index : list of int
        The positions along ``dim``.
    kind : {"units", "inputs", "entries"}
        The group's own units, the inputs that read them, or the entries of a
        ``BatchNorm`` or ``PReLU`` (removed with the units, neither scored nor
        counted).
    """

    name: str
    dim: int
    index: list
    kind: str


class UnitGroups:
    """Which slice of every target each group of coupled units owns.

    Parameters
    ----------
    axes : dict of str to tuple of Axis
        For every target with groups, its unit dimensions; targets without an entry
        are never pruned (and still counted).
    families : sequence of int
        The family of every group: groups of the same layers (the units of one
        layer, or of the layers of one residual sum). Member scores are normalised,
        floors kept and ``scope="layer"`` fractions taken per family.
    family_names : list of str
        The layers of every family, for messages.
    entries : dict of str to torch.Tensor, default=None
        Layers without targets that hold one entry per unit (``BatchNorm``,
        ``PReLU``): the group of every entry, -1 for none.

    Attributes
    ----------
    n_groups : int
        The number of groups, numbered from 0.

    Examples
    --------
    >>> import torch
    >>> from sklprune.masks import UnitGroups
    >>> params = {"a": torch.ones(3, 2), "b": torch.ones(2, 3)}
    >>> groups = UnitGroups.per_layer(params)
    >>> groups
    UnitGroups(5 groups in 2 families over 2 targets)
    >>> groups.members(3)
    [Member(name='b', dim=0, index=[0], kind='units')]
    """

    def __init__(self, axes, families, family_names, entries=None):
        self.axes = {name: tuple(a) for name, a in axes.items()}
        self.families = torch.as_tensor(families, dtype=torch.long)
        self.family_names = list(family_names)
        self.entries = dict(entries or {})
        self.n_groups = len(self.families)

    @classmethod
    def per_layer(cls, params, neuron_dims=None):
        """Every unit of every target a group of its own, each layer a family.

        The units of a target are its rows (a ``Linear``, a ``Conv``) or the
        dimension ``neuron_dims`` names (1 for an ``Embedding``): pruning one
        zeroes that slice only, as neuron pruning of single layers does.

        Parameters
        ----------
        params : dict of str to torch.Tensor
            The targets.
        neuron_dims : dict of str to int, default=None
            The dimension of each target that indexes its units; 0 when missing.

        Returns
        -------
        groups : UnitGroups
        """
        neuron_dims = neuron_dims or {}
        axes, families, start = {}, [], 0
        for family, (name, param) in enumerate(params.items()):
            dim = neuron_dims.get(name, 0)
            n = param.shape[dim]
            axes[name] = (Axis(dim, torch.arange(start, start + n), "units"),)
            families.extend([family] * n)
            start += n
        return cls(axes, families, list(params))

    def members(self, group):
        """The slices of the targets (and per-unit layers) that ``group`` owns.

        Parameters
        ----------
        group : int

        Returns
        -------
        members : list of Member
        """
        found = []
        for name, axes in self.axes.items():
            for axis in axes:
                index = torch.nonzero(axis.groups == group).flatten().tolist()
                if index:
                    found.append(Member(name, axis.dim, index, axis.kind))
        for name, groups in self.entries.items():
            index = torch.nonzero(groups == group).flatten().tolist()
            if index:
                found.append(Member(name, 0, index, "entries"))
        return found

    def group_of(self, name, dim, position):
        """The group that owns ``position`` of target ``name`` along ``dim``, or -1.

        Examples
        --------
        >>> import torch
        >>> from sklprune.masks import UnitGroups
        >>> UnitGroups.per_layer({"w": torch.ones(3, 2)}).group_of("w", 0, 2)
        2
        """
        for axis in self.axes.get(name, ()):
            if axis.dim == dim:
                return int(axis.groups[position])
        return -1

    def __repr__(self):
        n_families = len(self.family_names)
        return (
            f"UnitGroups({self.n_groups} groups in {n_families} families over "
            f"{len(self.axes)} targets)"
        )


def compute_group_masks(
    scores,
    sparsity,
    groups,
    *,
    previous=None,
    scope="lamp",
    group_reduction="sum",
    costs=None,
):
    """Prune whole groups of coupled units until their cost reaches a sparsity.

    Every group gets one score: on each of its members (its rows in one target,
    the columns of one target that read it) the scores of the weights are summed per
    group and divided by their mean over the family's groups still alive, so that
    members of different layers weigh alike; the members' values are then reduced
    (``group_reduction``), as Torch-Pruning's group importance does. Groups are
    ranked (``scope``) and the lowest are pruned whole: their rows and the columns
    that read them become zero. The number of groups is the one whose removed
    weights, each counted at its ``costs``, come closest to ``sparsity`` of the
    total: within one group of it.

    Parameters
    ----------
    scores : dict of str to torch.Tensor
        One score per weight of every target, shaped like it; low scores are pruned
        first. Targets that ``groups`` gives no axis are never pruned but counted.
    sparsity : float
        Fraction in [0, 1) of the total cost (the sum over all targets of their
        weights times their cost) that must be removed afterwards.
    groups : UnitGroups
        The groups and the slices they own.
    previous : dict of str to torch.Tensor, default=None
        Masks of an earlier step. What was pruned there stays pruned and counts
        towards ``sparsity``; a group whose own units are all pruned is dead.
    scope : {"lamp", "global", "layer"}, default="lamp"
        ``"global"``: one ranking over the group scores. ``"lamp"``: one ranking
        over the scores made comparable across families (each divided by the sum of
        the scores of its family that are at least as large, Lee et al. 2021).
        Where the weights of different targets cost differently (a multiply-add
        budget), each is also divided by the group's cost relative to the mean
        cost, so that at equal importance the costlier groups (the channels of a
        convolution) go first. ``"layer"``: every family loses the same fraction
        of its groups, the fraction that reaches ``sparsity``. Under ``"lamp"`` and
        ``"global"`` every family keeps at least ``GLOBAL_FLOOR * (1 - sparsity)``
        of its groups, and under every scope at least one.
    group_reduction : {"sum", "mean", "max"}, default="sum"
        How the normalised members' values of a group become its score.
    costs : dict of str to float, default=None
        The cost of one weight of each target: 1 (when missing) counts parameters;
        the number of output positions of the layer per sample counts
        multiply-adds.

    Returns
    -------
    masks : dict of str to torch.Tensor
        Boolean keep-masks of every target in ``scores``.

    Examples
    --------
    >>> import torch
    >>> from sklprune.masks import Axis, UnitGroups, compute_group_masks
    >>> # Two units; unit 0 owns row 0 of "a" and reads column 0 of "b".
    >>> groups = UnitGroups(
    ...     {"a": (Axis(0, torch.tensor([0, 1]), "units"),),
    ...      "b": (Axis(1, torch.tensor([0, 1]), "inputs"),)},
    ...     families=[0, 0], family_names=["a"],
    ... )
    >>> scores = {"a": torch.tensor([[1.0, 1.0], [5.0, 5.0]]),
    ...           "b": torch.tensor([[1.0, 5.0]])}
    >>> masks = compute_group_masks(scores, 0.5, groups)
    >>> masks["a"], masks["b"]
    (tensor([[False, False],
            [ True,  True]]), tensor([[False,  True]]))
    """
    check_sparsity(sparsity)
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}; got {scope!r}.")
    if group_reduction not in GROUP_REDUCTIONS:
        raise ValueError(
            f"group_reduction must be one of {GROUP_REDUCTIONS}; got "
            f"{group_reduction!r}."
        )
    targets = _Targets(scores, groups, previous or {}, costs or {})
    ranking = _Ranking(targets, groups, scores, group_reduction)
    candidates = ranking.candidates(scope, sparsity)
    pruned = _fewest_reaching(targets, ranking.dead, candidates, sparsity)
    return targets.masks(pruned)


class _Target(NamedTuple):
    """A target seen through its group axes."""

    name: str
    axes: tuple
    keep: torch.Tensor  # the previous mask, on the CPU
    counts: torch.Tensor  # kept weights per position (pair) of the axes, float64
    cost: float  # of one weight
    device: torch.device


class _Targets:
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


class _Ranking:
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


def _fewest_reaching(targets, dead, candidates, sparsity):
    """The groups to prune: the dead ones and those of ``candidates`` whose removed
    cost comes closest to ``sparsity`` of the total.

    The longest prefix of the ranking that stays below the goal is taken; the
    candidate that would cross it is skipped, and those after it are added in turn
    while they keep it below, so that one large group at the boundary (a channel
    whose flattened columns are many) does not leave the goal far off, and the
    order of the ranking is kept otherwise. The closer of the result and the
    prefix that crosses the goal is returned.
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
    for candidate in candidates[low:].tolist():
        trial = below.clone()
        trial[candidate] = True
        cost = removed(trial)
        if cost > goal:
            break
        below, below_cost = trial, cost
    return below if goal - below_cost <= over_cost - goal else over
