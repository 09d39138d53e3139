"""The walk's rules for functions and tensor methods: what each does to units.

Methods of the graph interpreter :class:`sklprune.compaction._walk._Walk` for its
``call_function`` and ``call_method`` nodes. They read the walk's state (``plan``,
``env``) and use its errors and shared rules (``elementwise``, ``pool``,
``flatten``, ``mixing``, ``resolve``).
"""

import operator

import torch
from torch import fx

from ._ops import (
    ATTRIBUTES,
    BINARY,
    CATS,
    DIVISIONS,
    DROPOUT_FUNCTIONS,
    FLATTEN_METHODS,
    MIXING_FUNCTIONS,
    MIXING_METHODS,
    POOL_FUNCTIONS,
    REDUCTIONS,
    SIZE_METHODS,
    UNARY_FUNCTIONS,
    UNARY_METHODS,
    VIEW_METHODS,
    is_known_operation,
    pool_function_breaks_constants,
)
from ._units import Units


class CallRules:
    """The units of the output of a function or tensor method call."""

    def visit_call(self, node):
        """The units of the output of a ``call_function`` or ``call_method`` node."""
        tracked = [self.env[a] for a in node.all_input_nodes if self.env.get(a)]
        target = node.target
        if node.op == "call_method" and target in SIZE_METHODS:
            return None
        if node.op == "call_function" and target is getattr:
            if tracked and node.args[1] not in ATTRIBUTES:
                if all(u.fixed for u in tracked):
                    return Units(None, axis="channel", source=tracked[0].source)
                raise self.unknown()
            return None
        if not tracked:  # sizes and other values that carry no unit
            return None
        if all(u.fixed for u in tracked) and not is_known_operation(node):
            # Nothing is removed from these tensors: any operation may reshape them.
            return Units(None, axis="channel", source=tracked[0].source)
        if target is operator.getitem:
            raise self.unknown()
        args, kwargs = list(node.args), dict(node.kwargs)
        if node.op == "call_method":
            return self.method(target, args, kwargs)
        return self.function(target, args, kwargs)

    def method(self, name, args, kwargs):
        """The units of the output of a tensor method called ``name``.

        Parameters
        ----------
        name : str
        args : list
            The arguments of the call, the tensor first.
        kwargs : dict

        Returns
        -------
        units : Units or None
        """
        if name in UNARY_METHODS:
            return self.unary(
                args, kwargs, lambda t, *a, **k: getattr(t, name)(*a, **k)
            )
        if name in BINARY:
            return self.binary(BINARY[name], args[0], args[1])
        if name in MIXING_METHODS:
            return self.mixing(self.env[args[0]])
        if name in REDUCTIONS:
            return self.reduce(name, args, kwargs)
        if name in FLATTEN_METHODS:
            return self.flatten_call(args, kwargs)
        if name in VIEW_METHODS:
            return self.view(args)
        raise self.unknown()

    def function(self, target, args, kwargs):
        """The units of the output of a call of the function ``target``.

        Parameters
        ----------
        target : callable
        args : list
        kwargs : dict

        Returns
        -------
        units : Units or None
        """
        if target in DROPOUT_FUNCTIONS:
            if not isinstance(args[0], fx.Node):
                raise self.unknown()
            return self.env[args[0]]
        if target in UNARY_FUNCTIONS:
            return self.unary(args, kwargs, target)
        if target in BINARY:
            if target in DIVISIONS and isinstance(args[1], fx.Node):
                raise self.unknown()
            return self.binary(BINARY[target], args[0], args[1])
        if target in CATS:
            tensors = args[0] if args else kwargs.pop("tensors")
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            return self.cat(tensors, dim)
        if target in MIXING_FUNCTIONS:
            return self.mixing(self.env[args[0]])
        if target in REDUCTIONS:
            return self.reduce(REDUCTIONS[target], args, kwargs)
        if target is torch.flatten:
            return self.flatten_call(args, kwargs)
        if target is torch.reshape:
            return self.view(args)
        if target in POOL_FUNCTIONS:
            return self.pool_function(target, args, kwargs)
        raise self.unknown()

    def pool_function(self, target, args, kwargs):
        """The units after a call of a pooling function (``F.max_pool2d``...)."""
        units = self.env.get(args[0])
        if (
            units is None
            or kwargs.get("return_indices")
            or any(isinstance(a, fx.Node) for a in args[1:])
        ):
            raise self.unknown()
        breaks = pool_function_breaks_constants(target, args, kwargs)
        return self.pool(units, POOL_FUNCTIONS[target], breaks)

    def unary(self, args, kwargs, fn):
        """The units after ``fn``, a function or method of one tensor and numbers."""
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
        """The units of ``op(a, b)``, an arithmetic of two tensors or a number.

        The units of two operands of the same positions are joined; positions that
        cannot be matched are all kept.

        Parameters
        ----------
        op : callable
            The operator that computes the constants (``operator.add``...).
        a, b : torch.fx.Node or number
            The operands.

        Returns
        -------
        units : Units
        """
        ua, ub = self.units_of(a), self.units_of(b)
        if ua is None or ub is None:
            units, other = (ua, b) if ub is None else (ub, a)
            if isinstance(other, fx.Node):  # a tensor that carries no unit
                self.plan.keep_all(units)
                return units.as_fixed(units.width)
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
            self.plan.keep_all(ua)
            self.plan.keep_all(ub)
            width = ua.width if ua.width is not None else ub.width
            return ua.as_fixed(width)
        self.plan.join(ua.ids, ub.ids)
        return ua.like(
            const=op(ua.const, ub.const),
            known=ua.known & ub.known,
            inputs=ua.inputs or ub.inputs,
            from_input=False,
        )

    def cat(self, tensors, dim):
        """The units of a concatenation of ``tensors`` along ``dim``.

        Along the unit axis every unit keeps its position in the result; along
        another dimension the units of the parts are kept.
        """
        parts = [self.units_of(t) for t in tensors]
        if any(p is None for p in parts) or not isinstance(dim, int):
            raise self.unknown()
        first = parts[0]
        on_units = all(p.is_unit_dim(dim) for p in parts)
        if on_units and not any(p.fixed or p.block for p in parts):
            return first.like(
                ids=torch.cat([p.ids for p in parts]),
                const=torch.cat([p.const for p in parts]),
                known=torch.cat([p.known for p in parts]),
                inputs=any(p.inputs for p in parts),
                from_input=False,
            )
        for part in parts:
            self.plan.keep_all(part)
        width = None
        if not on_units and all(p.width == first.width for p in parts):
            width = first.width
        return first.as_fixed(width)

    def reduce(self, how, args, kwargs):
        """The units after a reduction (``"mean"``, ``"sum"``...) over some dims.

        A reduction over the unit axis sums the units: they are all kept.
        """
        units = self.units_of(args[0])
        dims = args[1] if len(args) > 1 else kwargs.get("dim")
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        if units is None or isinstance(dims, fx.Node) or isinstance(keepdim, fx.Node):
            raise self.unknown()
        if dims is None:
            self.plan.keep_all(units)
            return None
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        # A tensor of unknown rank (an Embedding's output) is taken to be a batch of
        # sequences when it is reduced over a positive dimension.
        if (
            units.block
            or any(units.is_unit_dim(d) is True for d in dims)
            or (any(units.is_unit_dim(d) is None and d < 0 for d in dims))
        ):
            self.plan.keep_all(units)  # the units are summed: none may be removed
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
        """The units after ``torch.flatten`` or ``x.flatten``: ``flatten(1)`` only."""
        start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
        units = self.env[args[0]]
        if units.fixed and not units.inputs:
            return Units(None, axis="channel", source=units.source)
        if (start, end) != (1, -1):
            raise self.error("only flatten(1) (start_dim=1, end_dim=-1) is followed")
        return self.flatten(self.env[args[0]])

    def view(self, args):
        """The units after ``view`` or ``reshape``: to ``(batch size, -1)`` only."""
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
