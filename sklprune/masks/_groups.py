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

from ._group_ranking import Ranking, Targets, closest_to_goal
from ._thresholds import SCOPES, check_sparsity

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
    exact=True,
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
    exact : bool, default=True
        Where the group that crosses the goal is skipped, try every later
        candidate that still fits, so that the removed cost comes as close to
        the goal as the groups allow. ``False`` stops at the first later
        candidate that does not fit, keeping the ranking's order more strictly:
        for the steps of a schedule before its last, where the goal is passed
        through anyway.

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
    targets = Targets(scores, groups, previous or {}, costs or {})
    ranking = Ranking(targets, groups, scores, group_reduction)
    candidates = ranking.candidates(scope, sparsity)
    pruned = closest_to_goal(targets, ranking.dead, candidates, sparsity, exact)
    return targets.masks(pruned)
