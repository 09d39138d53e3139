"""The walk over a traced graph that finds the units compaction may remove.

The walk follows, for every tensor, the unit behind each position of its unit axis
(the last dimension after a ``Linear``, the channels after a ``Conv``), whether that
position holds a constant, and which. Units that meet in a sum are joined: they are
removed together or kept together. Units that reach the output, or an operation that
mixes them, are kept. :func:`walk` returns a :class:`Plan`;
:mod:`sklprune.compaction._narrow` carries it out.
"""

import operator

import torch
from torch import fx, nn
from torch.nn import functional as F

from ._graph import HOOK, describe, describe_node
from ._select import SelectFeatures

# Layers whose output units compaction removes, by number of spatial dimensions.
WEIGHTED = {nn.Linear: 0, nn.Conv1d: 1, nn.Conv2d: 2}
EMBEDDINGS = (nn.Embedding, nn.EmbeddingBag)

# Act on every entry alone: a constant stays a constant, widths are unchanged.
ELEMENTWISE = frozenset(
    {
        nn.Identity,
        nn.ReLU,
        nn.ReLU6,
        nn.LeakyReLU,
        nn.ELU,
        nn.SELU,
        nn.CELU,
        nn.GELU,
        nn.SiLU,
        nn.Mish,
        nn.Sigmoid,
        nn.Tanh,
        nn.Softplus,
        nn.Softsign,
        nn.Hardtanh,
        nn.Hardswish,
        nn.Hardsigmoid,
        nn.Hardshrink,
        nn.Softshrink,
        nn.Tanhshrink,
        nn.LogSigmoid,
        nn.Threshold,
        nn.Dropout,
        nn.Dropout1d,
        nn.Dropout2d,
        nn.AlphaDropout,
        nn.FeatureAlphaDropout,
    }
)
# One parameter (or statistic) per unit, removed with the unit: spatial dimensions.
PER_UNIT = {nn.BatchNorm1d: (0, 1), nn.BatchNorm2d: (2,), nn.PReLU: None}
# Pool every channel over space; a constant channel stays constant.
POOLS = {
    nn.MaxPool1d: 1,
    nn.MaxPool2d: 2,
    nn.AdaptiveMaxPool1d: 1,
    nn.AdaptiveMaxPool2d: 2,
    nn.AdaptiveAvgPool1d: 1,
    nn.AdaptiveAvgPool2d: 2,
    nn.AvgPool1d: 1,
    nn.AvgPool2d: 2,
}
# Mix units: every unit reaches every output, so none may be removed before them.
MIXING = frozenset({nn.LayerNorm, nn.GroupNorm, nn.Softmax, nn.LogSoftmax})

_UNARY_FUNCTIONS = frozenset(
    {
        F.relu,
        torch.relu,
        F.relu6,
        F.leaky_relu,
        F.elu,
        F.selu,
        torch.selu,
        F.celu,
        F.gelu,
        F.silu,
        F.mish,
        F.sigmoid,
        torch.sigmoid,
        F.tanh,
        torch.tanh,
        F.softplus,
        F.softsign,
        F.hardtanh,
        F.hardswish,
        F.hardsigmoid,
        F.logsigmoid,
        F.tanhshrink,
        torch.abs,
        torch.neg,
        operator.neg,
        torch.exp,
        torch.clamp,
    }
)
_DROPOUT_FUNCTIONS = frozenset(
    {F.dropout, F.alpha_dropout, F.feature_alpha_dropout, F.dropout1d, F.dropout2d}
)
_UNARY_METHODS = frozenset(
    {"relu", "relu_", "sigmoid", "tanh", "abs", "neg", "exp", "clamp", "contiguous"}
)
_BINARY = {
    operator.add: operator.add,
    operator.iadd: operator.add,
    torch.add: operator.add,
    "add": operator.add,
    "add_": operator.add,
    operator.sub: operator.sub,
    operator.isub: operator.sub,
    torch.sub: operator.sub,
    "sub": operator.sub,
    operator.mul: operator.mul,
    operator.imul: operator.mul,
    torch.mul: operator.mul,
    "mul": operator.mul,
    operator.truediv: operator.truediv,
    torch.div: operator.truediv,
    "div": operator.truediv,
}
_CATS = frozenset({torch.cat, torch.concat, torch.concatenate})
_MIXING_FUNCTIONS = frozenset(
    {
        F.softmax,
        F.log_softmax,
        torch.softmax,
        torch.log_softmax,
        F.layer_norm,
        F.group_norm,
        F.normalize,
    }
)
_MIXING_METHODS = frozenset({"softmax", "log_softmax"})
_REDUCTIONS = {
    torch.mean: "mean",
    torch.sum: "sum",
    torch.amax: "amax",
    torch.amin: "amin",
    "mean": "mean",
    "sum": "sum",
    "amax": "amax",
    "amin": "amin",
}
_POOL_FUNCTIONS = {
    F.max_pool1d: 1,
    F.max_pool2d: 2,
    F.adaptive_max_pool1d: 1,
    F.adaptive_max_pool2d: 2,
    F.adaptive_avg_pool1d: 1,
    F.adaptive_avg_pool2d: 2,
    F.avg_pool1d: 1,
    F.avg_pool2d: 2,
}
_SIZE_METHODS = frozenset({"size", "dim"})
_ATTRIBUTES = frozenset({"shape", "dtype", "device", "ndim"})


# --------------------------------------------------------------------- the walk


class Units:
    """What the walk knows of a tensor's unit axis.

    ``ids`` names the unit behind every position (``None``: positions that are never
    removed, of ``width`` positions or an unknown number). ``const`` and ``known``
    hold the constant at each position and whether there is one. ``axis`` is
    ``"channel"`` (dimension 1, ``spatial`` dimensions after it, ``None`` when not
    known) or ``"last"`` (the last of ``ndim`` dimensions). ``block`` is ``"repeat"``
    or ``"tile"`` after a flatten whose block size is not known yet: the positions
    are then each of ``ids`` repeated, or all of them tiled, that many times.
    """

    def __init__(
        self,
        ids,
        const=None,
        known=None,
        *,
        axis="last",
        spatial=None,
        ndim=None,
        width=None,
        block=None,
        inputs=False,
        from_input=False,
        source="",
    ):
        self.ids = ids
        self.const = const
        self.known = known
        self.axis = axis
        self.spatial = spatial
        self.ndim = ndim
        self.width = len(ids) if ids is not None else width
        self.block = block
        self.inputs = inputs
        self.from_input = from_input
        self.source = source
        if axis == "channel" and spatial == 0:
            self.axis, self.spatial, self.ndim = "last", None, 2

    @property
    def fixed(self):
        return self.ids is None

    def like(self, **changes):
        fields = dict(
            const=self.const,
            known=self.known,
            axis=self.axis,
            spatial=self.spatial,
            ndim=self.ndim,
            width=self.width,
            block=self.block,
            inputs=self.inputs,
            from_input=self.from_input,
            source=self.source,
        )
        fields.update(changes)
        return Units(
            changes.get("ids", self.ids),
            **{k: v for k, v in fields.items() if k != "ids"},
        )

    def kept(self, width):
        """The same axis, ``width`` positions, every unit kept: no ids or constants."""
        return Units(
            None,
            axis=self.axis,
            spatial=self.spatial,
            ndim=self.ndim,
            width=width,
            source=self.source,
        )

    def shaped(self):
        """The constants as a batch of two samples with spatial size one."""
        spatial = (self.spatial or 0) if self.axis == "channel" else 0
        return self.const.reshape(1, -1, *[1] * spatial).repeat(2, *[1] * (spatial + 1))


class Plan:
    """What a walk found: the layers to narrow and the units they share."""

    def __init__(self):
        self.parent = []
        self.kept = set()
        self.producers = []  # (name, layer, kind, ids)
        self.consumers = []  # (name, layer, ids, const, known, foldable)
        self.per_unit = []  # (name, layer, ids)
        self.input_width = None
        self.select = None

    def new_units(self, n):
        start = len(self.parent)
        self.parent.extend(range(start, start + n))
        return torch.arange(start, start + n)

    def find(self, i):
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, a, b):
        for i, j in zip(a.tolist(), b.tolist()):
            ri, rj = self.find(i), self.find(j)
            if ri != rj:
                self.parent[rj] = ri

    def keep(self, units):
        if units is not None and units.ids is not None:
            self.kept.update(units.ids.tolist())

    def removed_units(self):
        """A boolean per unit: removed. Never every unit of a layer."""
        n = len(self.parent)
        roots = torch.tensor([self.find(i) for i in range(n)], dtype=torch.long)
        removable = torch.ones(n, dtype=torch.bool)
        if self.kept:
            removable[roots[torch.tensor(sorted(self.kept))]] = False
        for _, _, ids, _, known, foldable, unused in self.consumers:
            removable[roots[ids[~(unused | (known & foldable))]]] = False
        for _, _, _, ids in self.producers:
            if ids.numel() and bool(removable[roots[ids]].all()):
                removable[roots[ids[0]]] = False  # no layer of width zero
        return removable[roots]


def walk(graph, root, *, select=None):
    """Follow the units of every tensor of ``graph`` (a trace of ``root``).

    ``select``: a :class:`SelectFeatures` whose entries may be removed
    (``prune_inputs``): one of ``root`` that reads the inputs, or one that stands for
    the inputs in front of ``root``. ``None``: the inputs are kept.
    """
    return _Walk(graph, root, select).run()


class _Walk:
    def __init__(self, graph, root, select):
        self.graph = graph
        self.root = root
        self.select = select
        self.select_in_graph = select is not None and any(
            m is select for m in root.modules()
        )
        self.plan = Plan()
        self.env = {}
        self.calls = {}
        dtype = next((p.dtype for p in root.parameters()), torch.float32)
        self.dtype = dtype if dtype.is_floating_point else torch.float32

    def run(self):
        for node in self.graph.nodes:
            self.node = node
            self.env[node] = self.visit(node)
        return self.plan

    # ------------------------------------------------------------ errors

    def error(self, problem):
        node = self.node
        where = describe_node(node, self.root)
        return ValueError(
            f"compact cannot follow node {node.name!r}, {where}: {problem}."
        )

    def mismatch(self, what, units):
        return self.error(
            f"it expects {what}, but follows {units.source} with {units.width} "
            "output units. The module's layers do not fit together as traced"
        )

    def unknown(self):
        return self.error(
            "compaction does not know this operation. It follows Linear, Conv1d, "
            "Conv2d, Embedding, activations, dropout, normalisation, pooling, "
            "flatten, sums and concatenation. A module of your own whose forward "
            f"is a chain can define {HOOK}() returning its layers in the order its "
            "forward applies them (see sklprune.compaction)"
        )

    # ------------------------------------------------------------ dispatch

    def units_of(self, arg):
        return self.env.get(arg) if isinstance(arg, fx.Node) else None

    def visit(self, node):
        if node.op == "placeholder":
            return self.placeholder()
        if node.op == "output":
            for arg in node.all_input_nodes:
                self.plan.keep(self.env[arg])
            return None
        if node.op == "get_attr":
            raise self.error(
                "forward reads a parameter or buffer directly; compaction follows "
                "parameters held by layers only"
            )
        if node.op == "call_module":
            return self.module(node, self.root.get_submodule(node.target))
        tracked = [self.env[a] for a in node.all_input_nodes if self.env.get(a)]
        target = node.target
        if node.op == "call_method" and target in _SIZE_METHODS:
            return None
        if node.op == "call_function" and target is getattr:
            if tracked and node.args[1] not in _ATTRIBUTES:
                if all(u.fixed for u in tracked):
                    return Units(None, axis="channel", source=tracked[0].source)
                raise self.unknown()
            return None
        if not tracked:  # sizes and other values that carry no unit
            return None
        if all(u.fixed for u in tracked) and not _is_known(node):
            # Nothing is removed from these tensors: any operation may reshape them.
            return Units(None, axis="channel", source=tracked[0].source)
        if target is operator.getitem:
            raise self.unknown()
        return self.function(node, target)

    # ------------------------------------------------------------ the input

    def placeholder(self):
        if (
            self.select is not None
            and not self.select_in_graph
            and not self.plan.select
        ):
            return self.inputs(self.select)
        return Units(None, axis="channel", from_input=True, source="the inputs")

    def inputs(self, select):
        """The input features as units that may be removed (prune_inputs)."""
        ids = self.plan.new_units(select.index.numel())
        self.plan.select = select
        self.plan.producers.append(("select", select, "index", ids))
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

    # ------------------------------------------------------------ layers

    def module(self, node, layer):
        name = node.target
        kind = type(layer)
        shared = kind in WEIGHTED or kind in PER_UNIT or isinstance(layer, EMBEDDINGS)
        if shared and self.calls.setdefault(name, node) is not node:
            raise self.error(
                "it is used twice in the graph, and a shared layer cannot be "
                "narrowed for one use only"
            )
        args = node.args
        units = self.units_of(args[0]) if args else None
        inputs = [self.env[a] for a in node.all_input_nodes if self.env.get(a)]
        if not _is_known_layer(layer) and all(u.fixed for u in inputs):
            # Nothing is removed from its inputs: any layer may read them.
            return Units(None, axis="channel", source=describe(name, layer))
        if (len(args) != 1 or node.kwargs) and kind is not nn.EmbeddingBag:
            raise self.error("compaction follows layers called on one tensor")
        if kind in WEIGHTED:
            return self.weighted(name, layer, units)
        if kind in EMBEDDINGS:
            return self.embedding(name, layer, units)
        if units is None:
            units = Units(None, axis="channel")
        if kind is SelectFeatures:
            if layer is self.select and units.fixed and units.from_input:
                return self.inputs(layer)
            self.plan.keep(units)
            if units is not None and units.from_input and self.plan.input_width is None:
                self.plan.input_width = layer.n_features_in
            return Units(None, axis="channel", source=describe(name, layer))
        if kind in ELEMENTWISE or (kind is nn.PReLU and layer.num_parameters == 1):
            return self.elementwise(units, layer)
        if kind in PER_UNIT:
            return self.per_unit(name, layer, units)
        if kind in POOLS:
            if getattr(layer, "return_indices", False):
                raise self.error("pooling with return_indices=True is not followed")
            return self.pool(units, POOLS[kind], _pool_breaks_constants(layer))
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
        kind = type(layer)
        spatial = WEIGHTED[kind]
        if any(_is_uninitialized(p) for p in layer.parameters(recurse=False)):
            raise self.error("its parameters are not initialised yet; run a forward")
        if kind is not nn.Linear and layer.groups != 1:
            raise self.error(f"grouped convolution (groups={layer.groups})")
        weight = layer.weight.detach()
        if kind is nn.Linear:
            if units.axis == "channel" and units.spatial:
                raise self.error(
                    "it reads the last dimension of the output of "
                    f"{units.source}, not its channels. Put an nn.Flatten() in "
                    "between"
                )
            if units.from_input and self.plan.input_width is None:
                self.plan.input_width = layer.in_features
            units = self.resolve(
                units, layer.in_features, f"{layer.in_features} inputs"
            )
            unused = ~(weight != 0).any(dim=0)
            # (batch, features) unless it reads the (batch, ..., dim) of an Embedding
            ndim = units.ndim if units.axis == "last" else 2
        else:
            if (
                units.block
                or units.axis != "channel"
                or units.spatial not in (None, spatial)
            ):
                raise self.mismatch("an input of other dimension", units)
            if units.width is not None and units.width != layer.in_channels:
                raise self.mismatch(f"{layer.in_channels} in_channels", units)
            unused = ~(weight != 0).transpose(0, 1).reshape(layer.in_channels, -1).any(
                1
            )
            ndim = None
        if not units.fixed:
            foldable = torch.ones(units.width, dtype=torch.bool)
            if kind is not nn.Linear and _pads_with_zeros(layer):
                foldable = units.const == 0
            self.plan.consumers.append(
                (name, layer, units.ids, units.const, units.known, foldable, unused)
            )
        width = weight.shape[0]
        ids = self.plan.new_units(width)
        self.plan.producers.append((name, layer, "rows", ids))
        dead = ~(weight.reshape(width, -1) != 0).any(dim=1)
        bias = layer.bias
        const = torch.zeros(width, dtype=self.dtype)
        if bias is not None:
            const = torch.where(dead, bias.detach().to(self.dtype), const)
        return Units(
            ids,
            const,
            dead,
            axis="channel" if spatial else "last",
            spatial=spatial,
            ndim=ndim,
            source=describe(name, layer),
        )

    def embedding(self, name, layer, units):
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
        self.plan.producers.append((name, layer, "columns", ids))
        dead = ~(weight != 0).any(dim=0)
        ndim = 2 if type(layer) is nn.EmbeddingBag else None
        return Units(
            ids,
            torch.zeros(width, dtype=self.dtype),
            dead,
            ndim=ndim,
            source=describe(name, layer),
        )

    def per_unit(self, name, layer, units):
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
        self.plan.per_unit.append((name, layer, units.ids))
        return self.elementwise(units, layer)

    # ------------------------------------------------------------ operations

    def elementwise(self, units, fn, *args, **kwargs):
        if units.fixed:
            return units
        try:
            const = fn(units.shaped(), *args, **kwargs)[0].reshape(-1)
        except Exception as exc:
            raise self.error(f"it cannot be applied to {units.source}: {exc}") from exc
        return units.like(const=const.detach(), from_input=False)

    def pool(self, units, dims, breaks_constants):
        if units.block or units.axis != "channel" or units.spatial not in (None, dims):
            raise self.mismatch("a pooling layer of other dimension", units)
        units = units.like(spatial=dims, from_input=False)
        if breaks_constants and not units.fixed:
            units = units.like(known=units.known & (units.const == 0))
        return units

    def flatten(self, units):
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
        if units.inputs:
            raise self.error(
                "prune_inputs=True cannot remove input features: it mixes them "
                "before the first layer"
            )
        self.plan.keep(units)
        return units.kept(units.width)

    def resolve(self, units, width, what):
        """Positions of a flattened tensor, once its width is known."""
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

    # ------------------------------------------------------------ functions

    def function(self, node, target):
        args = list(node.args)
        kwargs = dict(node.kwargs)
        if node.op == "call_method":
            if target in _UNARY_METHODS:
                return self.unary(
                    args, kwargs, lambda t, *a, **k: getattr(t, target)(*a, **k)
                )
            if target in _BINARY:
                return self.binary(_BINARY[target], args[0], args[1])
            if target in _MIXING_METHODS:
                return self.mixing(self.env[args[0]])
            if target in _REDUCTIONS:
                return self.reduce(target, args, kwargs)
            if target == "flatten":
                return self.flatten_call(args, kwargs)
            if target in ("view", "reshape"):
                return self.view(args)
            raise self.unknown()
        if target in _DROPOUT_FUNCTIONS:
            return self.env[args[0]] if isinstance(args[0], fx.Node) else self.unknown()
        if target in _UNARY_FUNCTIONS:
            return self.unary(args, kwargs, target)
        if target in _BINARY:
            if target in (operator.truediv, torch.div, "div") and isinstance(
                args[1], fx.Node
            ):
                raise self.unknown()
            return self.binary(_BINARY[target], args[0], args[1])
        if target in _CATS:
            tensors = args[0] if args else kwargs.pop("tensors")
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            return self.cat(tensors, dim)
        if target in _MIXING_FUNCTIONS:
            return self.mixing(self.env[args[0]])
        if target in _REDUCTIONS:
            return self.reduce(_REDUCTIONS[target], args, kwargs)
        if target is torch.flatten:
            return self.flatten_call(args, kwargs)
        if target is torch.reshape:
            return self.view(args)
        if target in _POOL_FUNCTIONS:
            units = self.env.get(args[0])
            if (
                units is None
                or kwargs.get("return_indices")
                or any(isinstance(a, fx.Node) for a in args[1:])
            ):
                raise self.unknown()
            breaks = target in (F.avg_pool1d, F.avg_pool2d) and (
                _any_nonzero(args[3] if len(args) > 3 else kwargs.get("padding", 0))
                or (args[6] if len(args) > 6 else kwargs.get("divisor_override"))
            )
            return self.pool(units, _POOL_FUNCTIONS[target], breaks)
        raise self.unknown()

    def unary(self, args, kwargs, fn):
        units = self.units_of(args[0])
        if (
            units is None
            or any(isinstance(a, fx.Node) for a in args[1:])
            or any(isinstance(v, fx.Node) for v in kwargs.values())
        ):
            raise self.unknown()
        kwargs.pop("inplace", None)
        if units.fixed:
            return units.like(from_input=False)
        return self.elementwise(units, fn, *args[1:], **kwargs)

    def binary(self, op, a, b):
        ua, ub = self.units_of(a), self.units_of(b)
        if ua is None or ub is None:
            units, other = (ua, b) if ub is None else (ub, a)
            if isinstance(other, fx.Node):  # a tensor that carries no unit
                self.plan.keep(units)
                return units.kept(units.width)
            if units.fixed:
                return units.like(from_input=False)
            const = op(units.const, other) if ub is None else op(other, units.const)
            return units.like(const=const, from_input=False)
        if ua.block and not ub.block and not ub.fixed:
            ua = self.resolve(ua, ub.width, f"{ub.width} units")
        if ub.block and not ua.block and not ua.fixed:
            ub = self.resolve(ub, ua.width, f"{ua.width} units")
        same = (
            not ua.fixed
            and not ub.fixed
            and ua.width == ub.width
            and ua.block == ub.block
            and ua.axis == ub.axis
        )
        if not same:  # positions that cannot be matched are all kept
            self.plan.keep(ua)
            self.plan.keep(ub)
            width = ua.width if ua.width is not None else ub.width
            return ua.kept(width)
        self.plan.join(ua.ids, ub.ids)
        return ua.like(
            const=op(ua.const, ub.const),
            known=ua.known & ub.known,
            inputs=ua.inputs or ub.inputs,
            from_input=False,
        )

    def cat(self, tensors, dim):
        parts = [self.units_of(t) for t in tensors]
        if any(p is None for p in parts) or not isinstance(dim, int):
            raise self.unknown()
        first = parts[0]
        on_units = all(self.is_unit_dim(p, dim) for p in parts)
        if on_units and not any(p.fixed or p.block for p in parts):
            return first.like(
                ids=torch.cat([p.ids for p in parts]),
                const=torch.cat([p.const for p in parts]),
                known=torch.cat([p.known for p in parts]),
                inputs=any(p.inputs for p in parts),
                from_input=False,
            )
        for part in parts:
            self.plan.keep(part)
        width = None
        if not on_units and all(p.width == first.width for p in parts):
            width = first.width
        return first.kept(width)

    def is_unit_dim(self, units, dim):
        if units.axis == "channel":
            if dim == 1:
                return True
            if units.spatial is None:
                return False if dim >= 0 else None
            return dim == -(units.spatial + 1)
        if dim == -1:
            return True
        if units.ndim is None:
            return None if dim > 0 else False
        return dim == units.ndim - 1

    def reduce(self, how, args, kwargs):
        units = self.units_of(args[0])
        dims = args[1] if len(args) > 1 else kwargs.get("dim")
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        if units is None or isinstance(dims, fx.Node) or isinstance(keepdim, fx.Node):
            raise self.unknown()
        if dims is None:
            self.plan.keep(units)
            return None
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        # A tensor of unknown rank (an Embedding's output) is taken to be a batch of
        # sequences when it is reduced over a positive dimension.
        if (
            units.block
            or any(self.is_unit_dim(units, d) is True for d in dims)
            or (any(self.is_unit_dim(units, d) is None and d < 0 for d in dims))
        ):
            self.plan.keep(units)  # the units are summed: none may be removed
            return None
        if 0 in dims:
            raise self.error("it reduces over the batch")
        if units.axis == "channel":
            spatial = units.spatial
            if not keepdim:
                spatial = None if spatial is None else spatial - len(dims)
            units = units.like(spatial=spatial)
        elif not keepdim:  # an Embedding's (batch, length, dim) when not known
            units = units.like(ndim=(units.ndim or 3) - len(dims))
        if how == "sum" and not units.fixed:  # a constant times an unknown size
            units = units.like(known=units.known & (units.const == 0))
        return units.like(from_input=False)

    def flatten_call(self, args, kwargs):
        start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
        units = self.env[args[0]]
        if units.fixed and not units.inputs:
            return Units(None, axis="channel", source=units.source)
        if (start, end) != (1, -1):
            raise self.error("only flatten(1) (start_dim=1, end_dim=-1) is followed")
        return self.flatten(self.env[args[0]])

    def view(self, args):
        if self.env[args[0]].fixed and not self.env[args[0]].inputs:
            return Units(None, axis="channel", source=self.env[args[0]].source)
        shape = args[1:]
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if len(shape) != 2 or shape[1] != -1 or not isinstance(shape[0], fx.Node):
            raise self.error(
                "only a reshape to (batch size, -1), such as "
                "x.view(x.size(0), -1), is followed; sizes written into forward "
                "would not change with the layers' widths"
            )
        return self.flatten(self.env[args[0]])


# --------------------------------------------------------------------- helpers


def _is_known_layer(layer):
    kind = type(layer)
    return (
        kind in WEIGHTED
        or kind in EMBEDDINGS
        or kind in ELEMENTWISE
        or kind in PER_UNIT
        or kind in POOLS
        or kind in MIXING
        or kind in (nn.Flatten, SelectFeatures)
    )


def _is_known(node):
    target = node.target
    if node.op == "call_method":
        known = (_UNARY_METHODS, _BINARY, _MIXING_METHODS, _REDUCTIONS)
        return target in ("flatten", "view", "reshape") or any(
            target in k for k in known
        )
    known = (
        _DROPOUT_FUNCTIONS,
        _UNARY_FUNCTIONS,
        _BINARY,
        _CATS,
        _MIXING_FUNCTIONS,
        _REDUCTIONS,
        _POOL_FUNCTIONS,
    )
    return target in (torch.flatten, torch.reshape) or any(target in k for k in known)


def _is_uninitialized(p):
    return isinstance(p, nn.parameter.UninitializedParameter)


def _any_nonzero(value):
    values = value if isinstance(value, (tuple, list)) else (value,)
    return any(v != 0 for v in values)


def _pads_with_zeros(conv):
    if conv.padding_mode != "zeros" or conv.padding == "valid":
        return False
    if conv.padding == "same":
        return any(d * (k - 1) > 0 for d, k in zip(conv.dilation, conv.kernel_size))
    return any(p > 0 for p in conv.padding)


def _pool_breaks_constants(pool):
    """Whether an average pool turns a constant channel into a non-constant one."""
    if type(pool) not in (nn.AvgPool1d, nn.AvgPool2d):
        return False
    if pool.divisor_override:
        return True
    padding = pool.padding if isinstance(pool.padding, tuple) else (pool.padding,)
    return pool.count_include_pad and any(p > 0 for p in padding)
