"""Plan: the units of a module, how they are tied, and which of them compaction removes.

The walk (:mod:`sklprune.compaction._walk`) numbers every unit it meets, ties units
that meet in a sum into one group, and records the layers that produce units, read
them and hold one entry per unit. :meth:`Plan.removed_units` decides which units
die; :func:`sklprune.compaction._narrow.narrow` removes them from the layers.
"""

from typing import NamedTuple

import torch
from torch import nn


class Producer(NamedTuple):
    """A layer whose outputs are units: removing a unit removes a part of it.

    Attributes
    ----------
    layer : torch.nn.Module
        A ``Linear``, ``Conv``, ``Embedding`` or ``SelectFeatures``.
    part : {"rows", "columns", "index"}
        What a unit is in the layer: a row of the weight (``Linear``, ``Conv``), a
        column of the weight (``Embedding``), an entry of the index
        (``SelectFeatures``).
    ids : torch.Tensor of int
        The unit of every output position.
    """

    layer: nn.Module
    part: str
    ids: torch.Tensor


class Consumer(NamedTuple):
    """A ``Linear`` or ``Conv`` that reads units: removing one removes its input.

    Attributes
    ----------
    layer : torch.nn.Module
        The layer.
    ids : torch.Tensor of int
        The unit behind every input position.
    const : torch.Tensor
        The constant each input position holds where ``known`` is true.
    known : torch.Tensor of bool
        Whether each input position holds a constant (the output of a dead unit).
    foldable : torch.Tensor of bool
        Whether the constant at each input position can be folded into the bias
        (not where a zero padding makes its contribution differ at the borders).
    unused : torch.Tensor of bool
        Whether the layer gives each input position only zero weights.
    """

    layer: nn.Module
    ids: torch.Tensor
    const: torch.Tensor
    known: torch.Tensor
    foldable: torch.Tensor
    unused: torch.Tensor


class PerUnitLayer(NamedTuple):
    """A ``BatchNorm`` or ``PReLU`` with one entry per unit, removed with the unit.

    Attributes
    ----------
    layer : torch.nn.Module
        The layer.
    ids : torch.Tensor of int
        The unit of every entry.
    """

    layer: nn.Module
    ids: torch.Tensor


class Plan:
    """What a walk found: the units, the layers to narrow and the units they share.

    Units are numbered from 0 in the order the walk meets them. Units that meet in
    a sum are joined into one group (a union-find forest), and a group is removed
    as a whole or kept as a whole.

    Attributes
    ----------
    parent : list of int
        The union-find forest of the groups: the parent of every unit.
    never_removed : set of int
        Units that must stay (they reach the output, or an operation that mixes
        units): their groups are kept.
    producers : list of Producer
        The layers whose outputs are units.
    consumers : list of Consumer
        The layers that read units.
    per_unit : list of PerUnitLayer
        The layers with one entry per unit in between.
    input_width : int or None
        Number of input features of the module, when the walk met a layer that
        reads the inputs (``None``: not known).
    select : SelectFeatures or None
        The layer whose input features ``prune_inputs`` may remove.
    """

    def __init__(self):
        self.parent = []
        self.never_removed = set()
        self.producers = []
        self.consumers = []
        self.per_unit = []
        self.input_width = None
        self.select = None

    def new_units(self, n):
        """Number ``n`` new units, each a group of its own.

        Returns
        -------
        ids : torch.Tensor of int of shape (n,)
        """
        start = len(self.parent)
        self.parent.extend(range(start, start + n))
        return torch.arange(start, start + n)

    def find(self, unit):
        """The unit that stands for the group of ``unit`` (the root of its tree)."""
        parent = self.parent
        while parent[unit] != unit:
            parent[unit] = parent[parent[unit]]
            unit = parent[unit]
        return unit

    def join(self, a, b):
        """Join the groups of ``a[i]`` and ``b[i]`` for every position ``i``.

        Parameters
        ----------
        a, b : torch.Tensor of int
            The units of two tensors that are added (or multiplied) position by
            position.
        """
        for i, j in zip(a.tolist(), b.tolist()):
            ri, rj = self.find(i), self.find(j)
            if ri != rj:
                self.parent[rj] = ri

    def keep_all(self, units):
        """Mark every unit behind the positions of ``units`` as never removed.

        Parameters
        ----------
        units : Units or None
            What the walk knows of a tensor. Fixed positions and ``None`` carry no
            unit: nothing is marked.
        """
        if units is not None and units.ids is not None:
            self.never_removed.update(units.ids.tolist())

    def removed_units(self):
        """Decide which units compaction removes.

        A group of units is removed unless one of its units

        * is marked as never removed (it reaches the module's output, or an
          operation that mixes units);
        * is read by a layer that gives it a non-zero weight while it is not a
          dead unit whose constant can be folded into that layer's bias.

        Of a layer all of whose units would go, the first stays: no layer gets
        width zero.

        Returns
        -------
        removed : torch.Tensor of bool of shape (n_units,)
            Whether each unit is removed.
        """
        n = len(self.parent)
        roots = torch.tensor([self.find(i) for i in range(n)], dtype=torch.long)
        removable = torch.ones(n, dtype=torch.bool)
        if self.never_removed:
            removable[roots[torch.tensor(sorted(self.never_removed))]] = False
        for consumer in self.consumers:
            foldable = consumer.known & consumer.foldable
            needed = consumer.ids[~(consumer.unused | foldable)]
            removable[roots[needed]] = False
        for producer in self.producers:
            ids = producer.ids
            if ids.numel() and bool(removable[roots[ids]].all()):
                removable[roots[ids[0]]] = False  # no layer of width zero
        return removable[roots]
