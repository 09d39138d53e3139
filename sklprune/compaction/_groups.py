"""The groups of coupled units of a module: what neuron pruning must remove together.

The walk that compaction runs (:mod:`sklprune.compaction._walk`) already knows which
units are tied: it joins the units that meet in a sum, maps the positions of a
concatenation to their sources, follows a channel through its ``BatchNorm`` and a
flatten into the columns of the next ``Linear``, and keeps the units that reach the
output. :func:`coupled_units` runs it without narrowing anything and turns its plan
into :class:`~sklprune.masks.UnitGroups`, which neuron pruning scores and prunes.
"""

import torch
from torch import nn

from .._names import join_name, split_name
from ..masks import Axis, UnitGroups, check_module, find_targets
from ._graph import trace
from ._walk import walk


def coupled_units(module, targets=None):
    """The groups of units of a module that can only be removed together.

    Every output unit of a target layer (a ``Linear`` row, a ``Conv`` output
    channel, an ``Embedding`` column) belongs to one group with the units it is
    tied to: the units of every layer whose output is added to it (a residual sum),
    its entries in the ``BatchNorm`` and ``PReLU`` layers after it, and the input
    columns of every layer that reads it (through a concatenation, a pooling or a
    flatten), which die with it. A layer called twice reads, at each input
    position, the units of both calls: they are tied too. Units that reach the
    module's output, or an operation that mixes units (``LayerNorm``, softmax),
    belong to no group, nor do units of a layer that is not a target: they are
    never pruned. The module is not changed.

    Parameters
    ----------
    module : torch.nn.Module
        Any module that :func:`sklprune.compact` can follow (see
        :mod:`sklprune.compaction`).
    targets : None, str, type, callable or list of those, default=None
        The prunable tensors; see :func:`sklprune.masks.find_targets`.

    Returns
    -------
    groups : UnitGroups
        The groups, numbered in the order of the layers that produce them, with
        the slices of the targets each owns (:meth:`UnitGroups.members`). A
        family is the set of groups of the same layers.

    Raises
    ------
    ValueError
        If the module's graph cannot be followed; the message names the node.

    See Also
    --------
    sklprune.masks.compute_group_masks : Prunes whole groups.
    sklprune.PruningCallback : Builds the groups once per fit under
        ``granularity="neuron"``.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.compaction import coupled_units
    >>> class Residual(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.inp = nn.Linear(4, 8)
    ...         self.block = nn.Sequential(nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 8))
    ...         self.out = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         h = torch.relu(self.inp(x))
    ...         return self.out(h + self.block(h))
    >>> groups = coupled_units(Residual())
    >>> groups
    UnitGroups(11 groups in 2 families over 4 targets)
    >>> for member in groups.members(groups.group_of("inp.weight", 0, 5)):
    ...     print(member)
    Member(name='inp.weight', dim=0, index=[5], kind='units')
    Member(name='block.0.weight', dim=1, index=[5], kind='inputs')
    Member(name='block.2.weight', dim=0, index=[5], kind='units')
    Member(name='out.weight', dim=1, index=[5], kind='inputs')
    """
    check_module(module, "coupled_units")
    params = find_targets(module, targets)
    modes = [(layer, layer.training) for layer in module.modules()]
    module.eval()  # the walk runs BatchNorm on constants: no running statistic moves
    try:
        with torch.no_grad():
            plan = walk(trace(module).graph, module, reuse=True)
    finally:
        for layer, mode in modes:
            layer.training = mode
    return _groups_of(plan, module, params)


def _groups_of(plan, module, params):
    """Turn a walk's plan into the groups of the targets ``params``."""
    roots = torch.tensor([plan.find(i) for i in range(len(plan.parent))]).long()
    names = {id(layer): name for name, layer in module.named_modules()}
    layer_targets = {}
    for name in params:
        layer_targets.setdefault(split_name(name)[0], []).append(name)
    fixed = set(roots[sorted(plan.never_removed)].tolist())
    for producer in plan.producers:  # a unit of a layer that is no target stays
        layer_name = names[id(producer.layer)]
        if join_name(layer_name, "weight") not in params:
            fixed.update(roots[producer.ids].tolist())
    group_of_root = {}
    for producer in plan.producers:
        for root in roots[producer.ids].tolist():
            if root not in fixed:
                group_of_root.setdefault(root, len(group_of_root))
    group_of_unit = torch.tensor(
        [group_of_root.get(root, -1) for root in roots.tolist()], dtype=torch.long
    )
    axes, layers_of_group = {}, [set() for _ in group_of_root]
    for producer in plan.producers:
        layer_name = names[id(producer.layer)]
        groups = group_of_unit[producer.ids]
        for g in groups[groups >= 0].tolist():
            layers_of_group[g].add(layer_name)
        dim = 1 if producer.part == "columns" else 0
        for name in layer_targets.get(layer_name, ()):
            param_dim = dim if name == join_name(layer_name, "weight") else 0
            if _fits(params[name], param_dim, groups):
                axes.setdefault(name, []).append(Axis(param_dim, groups, "units"))
    for consumer in plan.consumers:
        name = join_name(names[id(consumer.layer)], "weight")
        groups = group_of_unit[consumer.ids]
        if name in params and _fits(params[name], 1, groups) and (groups >= 0).any():
            axes.setdefault(name, []).append(Axis(1, groups, "inputs"))
    entries = {
        names[id(record.layer)]: group_of_unit[record.ids] for record in plan.per_unit
    }
    family_keys = [tuple(sorted(layers)) for layers in layers_of_group]
    family_ids = {key: i for i, key in enumerate(dict.fromkeys(family_keys))}
    return UnitGroups(
        {name: axes[name] for name in params if name in axes},
        [family_ids[key] for key in family_keys],
        [" + ".join(key) for key in family_ids],
        entries,
    )


def _fits(param, dim, groups):
    """Whether ``param`` has one position along ``dim`` per entry of ``groups``."""
    return (
        isinstance(param, nn.Parameter | torch.Tensor)
        and param.dim() > dim
        and param.shape[dim] == len(groups)
    )
