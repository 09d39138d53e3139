"""The walk's rules for layers: what each layer the graph calls does to units.

Methods of the graph interpreter :class:`sklprune.compaction._walk._Walk` for its
``call_module`` nodes. They read the walk's state (``plan``, ``env``) and use its
errors and shared rules (``elementwise``, ``pool``, ``flatten``, ``mixing``,
``resolve``).
"""

import torch
from torch import nn

from ._graph import HOOK, describe_layer
from ._ops import (
    ELEMENTWISE,
    EMBEDDINGS,
    MIXING,
    PER_UNIT,
    POOLS,
    WEIGHTED,
    is_known_layer,
    is_uninitialized,
    pads_with_zeros,
    pool_breaks_constants,
)
from ._plan import Consumer, PerUnitLayer, Producer
from ._select import SelectFeatures
from ._units import Units


class LayerRules:
    """The units of a layer's output, and what the layer records in the plan."""

    def visit_layer(self, node, layer):
        """The units of a layer's output (a ``call_module`` node).

        Parameters
        ----------
        node : torch.fx.Node
        layer : torch.nn.Module
            The layer the node calls.

        Returns
        -------
        units : Units
        """
        name = node.target
        kind = type(layer)
        args = node.args
        units = self.units_of(args[0]) if args else None
        shared = kind in WEIGHTED or kind in PER_UNIT or isinstance(layer, EMBEDDINGS)
        if shared and self.layer_nodes.setdefault(name, node) is not node:
            if self.reuse:
                return self.called_again(layer, self.layer_nodes[name], units)
            raise self.error(
                "it is used twice in the graph, and a shared layer cannot be "
                "narrowed for one use only"
            )
        inputs = [self.env[a] for a in node.all_input_nodes if self.env.get(a)]
        if not is_known_layer(layer) and all(u.fixed for u in inputs):
            # Nothing is removed from its inputs: any layer may read them.
            return Units(None, axis="channel", source=describe_layer(name, layer))
        if (len(args) != 1 or node.kwargs) and kind is not nn.EmbeddingBag:
            raise self.error("compaction follows layers called on one tensor")
        if kind in WEIGHTED:
            return self.weighted(name, layer, units)
        if kind in EMBEDDINGS:
            return self.embedding(name, layer, units)
        if units is None:
            units = Units(None, axis="channel")
        if kind is SelectFeatures:
            return self.select_features(name, layer, units)
        return self.unit_wise(name, layer, units)

    def select_features(self, name, layer, units):
        """The units of a ``SelectFeatures`` output: the inputs to select, or fixed."""
        if layer is self.select and units.fixed and units.from_input:
            return self.inputs(layer)
        self.plan.keep_all(units)
        if units.from_input and self.plan.input_width is None:
            self.plan.input_width = layer.n_features_in
        return Units(None, axis="channel", source=describe_layer(name, layer))

    def unit_wise(self, name, layer, units):
        """The units of the output of a layer without weights.

        Activations, dropout, ``BatchNorm``, ``PReLU``, pooling and ``Flatten``
        follow every unit on its own; the layers that mix units keep them all.
        """
        kind = type(layer)
        if kind in ELEMENTWISE or (kind is nn.PReLU and layer.num_parameters == 1):
            return self.elementwise(units, layer)
        if kind in PER_UNIT:
            return self.per_unit(name, layer, units)
        if kind in POOLS:
            if getattr(layer, "return_indices", False):
                raise self.error("pooling with return_indices=True is not followed")
            return self.pool(units, POOLS[kind], pool_breaks_constants(layer))
        if kind is nn.Flatten:
            if (layer.start_dim, layer.end_dim) != (1, -1):
                raise self.error(
                    "only nn.Flatten() with start_dim=1, end_dim=-1 is followed"
                )
            return self.flatten(units)
        if kind in MIXING:
            return self.mixing(units)
        raise self.error(
            "it is not a Linear, Conv1d, Conv2d, Embedding, activation, dropout, "
            "normalisation, pooling or Flatten layer, nor an nn.Sequential or a "
            f"module whose forward torch.fx can follow. A module of your own can "
            f"define {HOOK}() returning its layers in the order its forward applies "
            "them (see sklprune.compaction)"
        )

    def weighted(self, name, layer, units):
        """The new units of a ``Linear`` or ``Conv``; record what it reads.

        Its output rows (channels) become new units, dead where the weights are
        all zero, with the bias as constant. Its inputs are recorded as a
        :class:`Consumer` of ``units``.

        Parameters
        ----------
        name : str
            The layer's name in the module.
        layer : torch.nn.Linear or torch.nn.Conv1d or torch.nn.Conv2d
        units : Units
            The units of its input.

        Returns
        -------
        units : Units
        """
        kind = type(layer)
        spatial = WEIGHTED[kind]
        if any(is_uninitialized(p) for p in layer.parameters(recurse=False)):
            raise self.error("its parameters are not initialised yet; run a forward")
        if kind is not nn.Linear and layer.groups != 1:
            raise self.error(f"grouped convolution (groups={layer.groups})")
        if kind is nn.Linear:
            units, unused, ndim = self.linear_inputs(layer, units)
        else:
            unused, ndim = self.conv_inputs(layer, units, spatial), None
        if not units.fixed:
            foldable = torch.ones(units.width, dtype=torch.bool)
            if kind is not nn.Linear and pads_with_zeros(layer):
                foldable = units.const == 0
            self.plan.consumers.append(
                Consumer(layer, units.ids, units.const, units.known, foldable, unused)
            )
        weight = layer.weight.detach()
        width = weight.shape[0]
        ids = self.plan.new_units(width)
        self.plan.producers.append(Producer(layer, "rows", ids))
        dead = ~(weight.reshape(width, -1) != 0).any(dim=1)
        const = torch.zeros(width, dtype=self.dtype)
        if layer.bias is not None:
            const = torch.where(dead, layer.bias.detach().to(self.dtype), const)
        return Units(
            ids,
            const,
            dead,
            axis="channel" if spatial else "last",
            spatial=spatial,
            ndim=ndim,
            source=describe_layer(name, layer),
        )

    def linear_inputs(self, layer, units):
        """Check what a ``Linear`` reads.

        Returns
        -------
        units : Units
            Its input units, blocks of a flatten resolved.
        unused : torch.Tensor of bool
            Whether it gives each input only zero weights.
        ndim : int or None
            Number of dimensions of its output (``None``: not known).
        """
        if units.axis == "channel" and units.spatial:
            raise self.error(
                "it reads the last dimension of the output of "
                f"{units.source}, not its channels. Put an nn.Flatten() in "
                "between"
            )
        if units.from_input and self.plan.input_width is None:
            self.plan.input_width = layer.in_features
        units = self.resolve(units, layer.in_features, f"{layer.in_features} inputs")
        unused = ~(layer.weight.detach() != 0).any(dim=0)
        # (batch, features) unless it reads the (batch, ..., dim) of an Embedding
        ndim = units.ndim if units.axis == "last" else 2
        return units, unused, ndim

    def conv_inputs(self, layer, units, spatial):
        """Check what a ``Conv`` of ``spatial`` dimensions reads.

        Returns
        -------
        unused : torch.Tensor of bool
            Whether it gives each input channel only zero weights.
        """
        if (
            units.block
            or units.axis != "channel"
            or units.spatial not in (None, spatial)
        ):
            raise self.mismatch("an input of other dimension", units)
        if units.width is not None and units.width != layer.in_channels:
            raise self.mismatch(f"{layer.in_channels} in_channels", units)
        nonzero = layer.weight.detach() != 0
        return ~nonzero.transpose(0, 1).reshape(layer.in_channels, -1).any(1)

    def embedding(self, name, layer, units):
        """The new units of an ``Embedding`` or ``EmbeddingBag``: its dimensions.

        A dimension whose column of the weight is all zero is dead, with constant
        zero. The indices it reads must carry no unit.
        """
        if units is not None and not units.fixed:
            raise self.error(
                "it reads unit values as indices"
                + (
                    "; prune_inputs=True cannot remove its inputs"
                    if units.inputs
                    else ""
                )
            )
        weight = layer.weight.detach()
        width = weight.shape[1]
        ids = self.plan.new_units(width)
        self.plan.producers.append(Producer(layer, "columns", ids))
        dead = ~(weight != 0).any(dim=0)
        ndim = 2 if type(layer) is nn.EmbeddingBag else None
        return Units(
            ids,
            torch.zeros(width, dtype=self.dtype),
            dead,
            ndim=ndim,
            source=describe_layer(name, layer),
        )

    def per_unit(self, name, layer, units):
        """The units of a ``BatchNorm`` or ``PReLU`` output; record its entries.

        Its entries follow the units of its input, as a :class:`PerUnitLayer`, and
        it maps every constant as it maps a value.
        """
        kind = type(layer)
        size = layer.num_parameters if kind is nn.PReLU else layer.num_features
        spatial = PER_UNIT[kind]
        if units.axis == "channel":
            if spatial is not None and units.spatial not in (None, *spatial):
                raise self.mismatch("an input of other dimension", units)
            if units.spatial is None and spatial == (2,):
                units = units.like(spatial=2)
        elif kind is nn.BatchNorm2d or (units.ndim or 2) != 2:
            raise self.mismatch("an input of other dimension", units)
        units = self.resolve(units, size, f"{size} entries")
        if units.width is not None and units.width != size:
            raise self.mismatch(f"{size} entries", units)
        if units.fixed:
            return units.like(from_input=units.from_input and kind is not nn.PReLU)
        self.plan.per_unit.append(PerUnitLayer(layer, units.ids))
        return self.elementwise(units, layer)

    def called_again(self, layer, first, units):
        """The units of a layer's second call, the units it reads tied to the first's.

        A walk with ``reuse`` only: the layer's outputs are the units of its first
        call, and an input position reads one unit in every call, so the units read
        at each position are joined (all kept when they cannot be matched).

        Parameters
        ----------
        layer : torch.nn.Module
        first : torch.fx.Node
            The node of the layer's first call.
        units : Units or None
            The units of this call's input.

        Returns
        -------
        units : Units
        """
        kind = type(layer)
        if isinstance(layer, EMBEDDINGS):
            return self.env[first]
        records = self.plan.consumers if kind in WEIGHTED else self.plan.per_unit
        before = next((r.ids for r in records if r.layer is layer), None)
        if units is not None and not units.fixed:
            width = layer.in_features if kind is nn.Linear else None
            if kind in PER_UNIT:
                width = layer.num_parameters if kind is nn.PReLU else layer.num_features
            if width is not None:
                units = self.resolve(units, width, f"{width} inputs")
        ids = None if units is None or units.fixed else units.ids
        if before is not None and ids is not None and len(before) == len(ids):
            self.plan.join(before, ids)
        else:  # a side without units, or sides that cannot be matched: all kept
            for side in (before, ids):
                if side is not None:
                    self.plan.never_removed.update(side.tolist())
        if kind in WEIGHTED:
            return self.env[first]
        return units if ids is None else self.elementwise(units, layer)
