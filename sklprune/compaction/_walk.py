"""The walk over a traced graph that fills the plan of the units compaction may remove.

The walk follows, for every tensor, the unit behind each position of its unit axis
(the last dimension after a ``Linear``, the channels after a ``Conv``), whether that
position holds a constant, and which (a :class:`~._units.Units` per tensor). What each
layer and operation does to units is read from the tables of
:mod:`sklprune.compaction._ops`. Units that meet in a sum are joined: they are
removed together or kept together. Units that reach the output, or an operation that
mixes them, are kept. :func:`walk` returns the :class:`~._plan.Plan`, whose
:meth:`~._plan.Plan.removed_units` decides which units die;
:mod:`sklprune.compaction._narrow` carries it out.
"""

import torch
from torch import fx

from ._graph import HOOK, describe_node
from ._plan import Plan, Producer
from ._units import Units
from ._walk_calls import CallRules
from ._walk_layers import LayerRules


def walk(graph, root, *, select=None, reuse=False):
    """Follow the units of every tensor of ``graph`` (a trace of ``root``).

    Parameters
    ----------
    graph : torch.fx.Graph
        The traced graph of ``root``.
    root : torch.nn.Module
        The module whose layers the graph calls.
    select : SelectFeatures or None, default=None
        The layer whose entries may be removed (``prune_inputs``): one of ``root``
        that reads the inputs, or one that stands for the inputs in front of
        ``root``. ``None``: the inputs are kept.
    reuse : bool, default=False
        Follow a layer called more than once, tying the units it reads in every
        call (a walk that finds groups of units, which narrows nothing). Without
        it such a layer raises, since compaction cannot narrow it for one call.

    Returns
    -------
    plan : Plan
        The units, the layers that produce, read and hold them, and the units that
        must stay.

    Raises
    ------
    ValueError
        If the graph holds a layer or operation the walk cannot follow (the message
        names the node).
    """
    return _Walk(graph, root, select, reuse).run()


class _Walk(LayerRules, CallRules):
    """An interpreter of a traced graph that computes units instead of values.

    Every node is visited in order; the value it gets is the :class:`Units` of the
    tensor it computes (``None`` for values that carry no unit: sizes, numbers).
    Visiting a layer or operation records in the :class:`Plan` the units it
    creates, reads, joins or must keep. This class holds the walk's state, the
    dispatch by kind of node, the errors and the rules that layers and functions
    share; :class:`LayerRules` holds the rules of layers (``call_module`` nodes)
    and :class:`CallRules` those of functions and tensor methods.

    Parameters
    ----------
    graph : torch.fx.Graph
    root : torch.nn.Module
    select : SelectFeatures or None
        See :func:`walk`.
    reuse : bool
        See :func:`walk`.

    Attributes
    ----------
    plan : Plan
        What the walk has found so far.
    env : dict of torch.fx.Node to Units or None
        The units of every node visited so far.
    node : torch.fx.Node
        The node being visited, named by the errors.
    select_in_graph : bool
        Whether ``select`` is a layer of ``root`` (else it stands for the inputs).
    layer_nodes : dict of str to torch.fx.Node
        The node that first calls each layer with weights or per-unit entries, by
        name: such a layer may be called once only, unless ``reuse``.
    dtype : torch.dtype
        The floating dtype of the constants: that of the module's parameters.
    """

    def __init__(self, graph, root, select, reuse=False):
        self.graph = graph
        self.root = root
        self.select = select
        self.reuse = reuse
        self.select_in_graph = select is not None and any(
            m is select for m in root.modules()
        )
        self.plan = Plan()
        self.env = {}
        self.layer_nodes = {}
        dtype = next((p.dtype for p in root.parameters()), torch.float32)
        self.dtype = dtype if dtype.is_floating_point else torch.float32

    def run(self):
        """Visit every node of the graph in order; return the filled plan."""
        for node in self.graph.nodes:
            self.node = node
            self.env[node] = self.visit(node)
        return self.plan

    # ------------------------------------------------------------ errors

    def error(self, problem):
        """A ``ValueError`` that names the node being visited and ``problem``."""
        node = self.node
        where = describe_node(node, self.root)
        return ValueError(
            f"compact cannot follow node {node.name!r}, {where}: {problem}."
        )

    def mismatch(self, what, units):
        """The error for a layer that expects ``what`` but reads ``units``."""
        return self.error(
            f"it expects {what}, but follows {units.source} with {units.width} "
            "output units. The module's layers do not fit together as traced"
        )

    def unknown(self):
        """The error for an operation the walk has no rule for."""
        return self.error(
            "compaction does not know this operation. It follows Linear, Conv1d, "
            "Conv2d, Embedding, activations, dropout, normalisation, pooling, "
            "flatten, sums and concatenation. A module of your own whose forward "
            f"is a chain can define {HOOK}() returning its layers in the order its "
            "forward applies them (see sklprune.compaction)"
        )

    # ------------------------------------------------------------ dispatch

    def units_of(self, arg):
        """The units of a node's argument: ``None`` for one that is not a node."""
        return self.env.get(arg) if isinstance(arg, fx.Node) else None

    def visit(self, node):
        """The units of the tensor ``node`` computes, by the kind of node.

        Parameters
        ----------
        node : torch.fx.Node

        Returns
        -------
        units : Units or None
            ``None`` for a value that carries no unit (a size, the output).
        """
        if node.op == "placeholder":
            return self.placeholder()
        if node.op == "output":
            for arg in node.all_input_nodes:
                self.plan.keep_all(self.env[arg])
            return None
        if node.op == "get_attr":
            raise self.error(
                "forward reads a parameter or buffer directly; compaction follows "
                "parameters held by layers only"
            )
        if node.op == "call_module":
            return self.visit_layer(node, self.root.get_submodule(node.target))
        return self.visit_call(node)

    # ------------------------------------------------------------ the input

    def placeholder(self):
        """The units of the module's input: fixed, or the features to select."""
        if (
            self.select is not None
            and not self.select_in_graph
            and not self.plan.select
        ):
            return self.inputs(self.select)
        return Units(None, axis="channel", from_input=True, source="the inputs")

    def inputs(self, select):
        """The input features as units that may be removed (``prune_inputs``).

        Parameters
        ----------
        select : SelectFeatures
            The layer whose index entries are the units.

        Returns
        -------
        units : Units
        """
        ids = self.plan.new_units(select.index.numel())
        self.plan.select = select
        self.plan.producers.append(Producer(select, "index", ids))
        self.plan.input_width = select.n_features_in
        return Units(
            ids,
            torch.zeros(len(ids), dtype=self.dtype),
            torch.zeros(len(ids), dtype=torch.bool),
            axis="channel",
            inputs=True,
            from_input=True,
            source="the inputs",
        )

    # ------------------------------------------------------------ shared rules

    def elementwise(self, units, fn, *args, **kwargs):
        """The units after ``fn``, which acts on every entry alone.

        The units are unchanged; the constants are ``fn`` of the constants.

        Parameters
        ----------
        units : Units
        fn : callable
            A layer, function or method, called on a batch of the constants with
            ``args`` and ``kwargs``.

        Returns
        -------
        units : Units
        """
        if units.fixed:
            return units
        try:
            const = fn(units.constants_as_batch(), *args, **kwargs)[0].reshape(-1)
        except Exception as exc:
            raise self.error(f"it cannot be applied to {units.source}: {exc}") from exc
        return units.like(const=const.detach(), from_input=False)

    def pool(self, units, dims, breaks_constants):
        """The units after a pooling over ``dims`` spatial dimensions.

        Parameters
        ----------
        units : Units
        dims : int
            Number of spatial dimensions the pooling expects.
        breaks_constants : bool
            Whether it turns a constant channel into a non-constant one (only the
            channels of constant zero stay constant).

        Returns
        -------
        units : Units
        """
        if units.block or units.axis != "channel" or units.spatial not in (None, dims):
            raise self.mismatch("a pooling layer of other dimension", units)
        units = units.like(spatial=dims, from_input=False)
        if breaks_constants and not units.fixed:
            units = units.like(known=units.known & (units.const == 0))
        return units

    def flatten(self, units):
        """The units after flattening every dimension after the batch.

        The channels of a convolutional tensor become blocks of positions, of a
        size known once a layer reads them (:meth:`resolve`).
        """
        if units.inputs:
            raise self.error(
                "prune_inputs=True cannot tell which input features reach the first "
                "layer through it; remove input features before flattening"
            )
        if units.block or (units.axis == "last" and units.ndim == 2):
            return units.like(from_input=False)
        block = "repeat" if units.axis == "channel" else "tile"
        if units.fixed:
            return Units(None, source=units.source)
        return units.like(
            axis="last", spatial=None, ndim=2, block=block, from_input=False
        )

    def mixing(self, units):
        """The units after an operation that mixes them: all kept, none followed."""
        if units.inputs:
            raise self.error(
                "prune_inputs=True cannot remove input features: it mixes them "
                "before the first layer"
            )
        self.plan.keep_all(units)
        return units.as_fixed(units.width)

    def resolve(self, units, width, what):
        """The positions of a flattened tensor, once its width is known.

        Parameters
        ----------
        units : Units
        width : int
            Number of positions the reading layer or operand has.
        what : str
            What the reader expects, for the error message.

        Returns
        -------
        units : Units
            With a unit per position, or ``units`` unchanged when they were not
            flattened into blocks.
        """
        if not units.block:
            if not units.fixed and units.width != width:
                raise self.mismatch(what, units)
            return units
        if width % units.width:
            raise self.mismatch(what, units)
        n = width // units.width
        if units.block == "repeat":
            expand = lambda t: t.repeat_interleave(n)  # noqa: E731
        else:
            expand = lambda t: t.repeat(n)  # noqa: E731
        return units.like(
            ids=expand(units.ids),
            const=expand(units.const),
            known=expand(units.known),
            block=None,
        )
