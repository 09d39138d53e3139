"""The graph of a module: a ``torch.fx`` trace, and the layers that compute its output.

A module is traced with :func:`torch.fx.symbolic_trace` semantics: layers of
``torch.nn`` (and :class:`~sklprune.compaction.SelectFeatures`) are leaves, the
``forward`` of every other module is followed. A module that defines
``__sklprune_chain__(self)`` is not traced: the layers that method returns are taken as
a chain, in that order. :mod:`sklprune.compaction._walk` follows the units of a
traced graph for compaction; :func:`output_targets` tells neuron pruning which
layers compute the module's output (their units are the outputs and must not be pruned).
"""

import inspect
import warnings
from typing import NamedTuple

from torch import fx, nn

from ._select import SelectFeatures

HOOK = "__sklprune_chain__"


# --------------------------------------------------------------------- tracing


class _Tracer(fx.Tracer):
    """An fx tracer that expands ``__sklprune_chain__`` and names control flow."""

    def __init__(self):
        """A tracer that has not met a hook nor followed a forward yet."""
        super().__init__()
        self.uses_hook = False
        self.follows_forward = False

    def is_leaf_module(self, m, module_qualified_name):
        """Whether ``m`` is called as one node: fx's leaves and ``SelectFeatures``."""
        return type(m) is SelectFeatures or super().is_leaf_module(
            m, module_qualified_name
        )

    def call_module(self, m, forward, args, kwargs):
        """Trace a call of ``m``: its hook's chain, one node, or its forward."""
        if callable(getattr(type(m), HOOK, None)):
            self.uses_hook = True
            (x,) = args
            for layer in _hook_chain(m):
                x = self.call_module(layer, layer.forward, (x,), {})
            return x
        if not self.is_leaf_module(m, self.path_of_module(m)) and not (
            isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward
        ):
            self.follows_forward = True
        return super().call_module(m, forward, args, kwargs)

    def to_bool(self, obj):
        """Refuse control flow on a traced value, naming the node."""
        raise ValueError(
            f"compact cannot follow {describe_layer('', self.root)} at node "
            f"{obj.node.name!r}, {describe_node(obj.node, None)}: "
            "its value decides the control flow of forward (an if or while on a "
            "tensor), which torch.fx cannot trace. Compute both branches with tensor "
            "operations (torch.where) or make the condition a constructor parameter."
        )

    def iter(self, obj):
        """Refuse iteration over a traced value, naming the node."""
        raise ValueError(
            f"compact cannot follow {describe_layer('', self.root)} at node "
            f"{obj.node.name!r}, {describe_node(obj.node, None)}: "
            "forward iterates over a tensor, which torch.fx cannot trace."
        )


def _hook_chain(m):
    """The layers ``m.__sklprune_chain__()`` returns, checked to be its submodules."""
    chain = getattr(m, HOOK)()
    owned = {id(sub) for sub in m.modules() if sub is not m}
    try:
        chain = list(chain)
    except TypeError:
        chain = [chain]
    for layer in chain:
        if not isinstance(layer, nn.Module) or id(layer) not in owned:
            raise ValueError(
                f"{type(m).__name__}.{HOOK}() must return submodules of the module, "
                f"in the order its forward applies them; got {layer!r}."
            )
    if not chain:
        raise ValueError(f"{type(m).__name__}.{HOOK}() returned no layer.")
    return chain


class Trace(NamedTuple):
    """A traced module: its graph and how it was traced.

    Attributes
    ----------
    graph : torch.fx.Graph
    uses_hook : bool
        Some module's ``__sklprune_chain__`` stood for its forward.
    is_chain : bool
        Only ``nn.Sequential`` forwards, leaves and hooks were followed: narrowing the
        layers in place keeps the module's own forward right.
    """

    graph: fx.Graph
    uses_hook: bool
    is_chain: bool


def trace(module):
    """Trace ``module``; raise a ``ValueError`` naming the problem when fx cannot."""
    tracer = _Tracer()
    kind = type(module)
    chain = isinstance(module, nn.Sequential) and kind.forward is nn.Sequential.forward
    if is_leaf_chain(module):
        return Trace(_leaf_chain_graph(module), uses_hook=False, is_chain=True)
    if callable(getattr(kind, HOOK, None)):
        # Trace the chain the hook lists instead of the module's own forward.
        module.__class__ = type(kind.__name__, (kind,), {"forward": _chain_forward})
        tracer.uses_hook = chain = True
    try:
        graph = tracer.trace(module, concrete_args=_defaults(module))
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(
            f"compact cannot follow {describe_layer('', module)}: torch.fx cannot "
            f"trace its forward ({type(exc).__name__}: {exc}). Only forwards without "
            "data-dependent control flow can be followed."
        ) from exc
    finally:
        module.__class__ = kind
    return Trace(graph, tracer.uses_hook, chain and not tracer.follows_forward)


def is_leaf_chain(module):
    """Whether ``module`` is a plain ``nn.Sequential`` of leaf layers.

    Its graph is known without tracing: :func:`trace` builds it directly. fx's
    tracer patches ``nn.Module.__call__`` process-wide while it runs, which breaks
    forwards running in other threads at that moment; a leaf chain (the default
    :class:`~sklprune.modules.MLP`) is never traced, so it is safe to compact
    while other threads run.

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.compaction._graph import is_leaf_chain
    >>> is_leaf_chain(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    True
    >>> is_leaf_chain(nn.Sequential(nn.Sequential(nn.Linear(4, 2))))
    False
    """
    kind = type(module)
    if not (
        isinstance(module, nn.Sequential)
        and kind.forward is nn.Sequential.forward
        and not callable(getattr(kind, HOOK, None))
        and len(module) > 0
    ):
        return False
    tracer = _Tracer()
    return all(
        isinstance(layer, nn.Module)
        and tracer.is_leaf_module(layer, name)
        and not callable(getattr(type(layer), HOOK, None))
        for name, layer in module._modules.items()
    )


def _leaf_chain_graph(module):
    """The graph fx traces for a Sequential of leaf layers, built without tracing.

    A layer listed twice is called twice under the name it was first listed
    with, as fx names it.
    """
    graph = fx.Graph()
    x = graph.placeholder("input")
    first_names = {}
    for name, layer in module._modules.items():
        x = graph.call_module(first_names.setdefault(id(layer), name), (x,))
    graph.output(x)
    return graph


def _defaults(module):
    """Arguments of forward after the first that have defaults, traced as such."""
    parameters = list(inspect.signature(module.forward).parameters.values())[1:]
    return {
        p.name: p.default
        for p in parameters
        if p.default is not inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    } or None


def _chain_forward(self, x):
    """A forward that applies the layers of the module's chain hook in order."""
    for layer in _hook_chain(self):
        x = layer(x)
    return x


def describe_layer(name, layer):
    """How error messages name a layer: ``layer 'name' (Linear)``, or the module.

    Parameters
    ----------
    name : str
        The layer's name in the module; ``""`` for the module itself.
    layer : torch.nn.Module

    Returns
    -------
    text : str
    """
    where = f"layer {name!r}" if name else "the module"
    return f"{where} ({type(layer).__name__})"


def describe_node(node, root):
    """How error messages name a graph node: the layer, method or function it calls.

    Parameters
    ----------
    node : torch.fx.Node
    root : torch.nn.Module or None
        The traced module, to name the type of a layer; ``None``: by name only.

    Returns
    -------
    text : str
    """
    if node.op == "call_module":
        if root is None:
            return f"layer {node.target!r}"
        return describe_layer(node.target, root.get_submodule(node.target))
    if node.op == "call_method":
        return f"method {node.target!r}"
    if node.op == "call_function":
        target = node.target
        module = getattr(target, "__module__", None) or ""
        prefix = "torch" if module.startswith("torch") else module.lstrip("_")
        return f"function {prefix}.{getattr(target, '__name__', target)}"
    return f"{node.op} {node.target!r}"


# --------------------------------------------------------------------- the output


def output_targets(module, params):
    """Names of the targets in ``params`` whose layer computes the module's output.

    A target is an output target when its layer's output reaches the module's output
    without passing through another target's layer. When the module cannot be traced,
    the last target of ``params`` is returned, with a warning.

    Parameters
    ----------
    module : torch.nn.Module
    params : dict of str to torch.nn.Parameter
        Targets by parameter name, as :func:`sklprune.masks.find_targets` returns.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.compaction._graph import output_targets
    >>> from sklprune.masks import find_targets
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.head = nn.Linear(8, 2)  # registered first
    ...         self.body = nn.Linear(4, 8)
    ...     def forward(self, x):
    ...         return self.head(self.body(x).relu())
    >>> net = Net()
    >>> output_targets(net, find_targets(net))
    ['head.weight']
    """
    names, note = find_output_targets(module, params)
    if note is not None:
        warnings.warn(note, UserWarning, stacklevel=3)
    return names


def find_output_targets(module, params):
    """As :func:`output_targets`, with the warning returned instead of issued.

    Returns
    -------
    names : list of str
    note : str or None
        What :func:`output_targets` warns about: the module's graph cannot be
        traced (the last target is spared), or every target computes its output.
    """
    layers = {}
    for name in params:
        layers.setdefault(name.rsplit(".", 1)[0] if "." in name else "", []).append(
            name
        )
    found = []
    try:
        graph = trace(module).graph
    except ValueError as exc:
        graph, reason = None, str(exc)
    if graph is not None:
        output = next(node for node in graph.nodes if node.op == "output")
        seen, stack = set(), list(output.all_input_nodes)
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node.op == "call_module" and node.target in layers:
                found.extend(layers[node.target])
            else:
                stack.extend(node.all_input_nodes)
        reason = "no target layer's output reaches the module's output"
    if found:
        note = None
        if len(set(found)) == len(params):
            note = (
                f"Every target of {type(module).__name__} computes its output "
                f"({list(params)}): no hidden unit is left to prune by neuron. Pass "
                "targets= to choose the pruned layers yourself."
            )
        return [name for name in params if name in found], note
    last = list(params)[-1]
    return [last], (
        f"Could not find the output layer of {type(module).__name__} from its graph "
        f"({reason}); sparing the last registered target {last!r} as the output "
        "layer. Pass targets= to choose the pruned layers yourself."
    )
