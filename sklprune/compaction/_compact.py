"""compact: remove the dead units of a module, walking and narrowing until none is left.

:func:`compact` copies the module, applies the masks and traces it
(:mod:`~sklprune.compaction._graph`), then loops: the walk
(:mod:`~sklprune.compaction._walk`) fills a :class:`~sklprune.compaction._plan.Plan`,
whose :meth:`~sklprune.compaction._plan.Plan.removed_units` decides which units die,
and :func:`~sklprune.compaction._narrow.narrow` removes them from the layers. Removing
units can leave more units unused, so the loop walks again until nothing is removed;
then it checks the result and chooses its form (the module's class, or a
``GraphModule``). What compaction does, for users, is told in
:mod:`sklprune.compaction`.
"""

import copy
from collections import OrderedDict

import torch
from torch import fx, nn
from torch.nn.utils import parametrize

from ..masks import apply_masks, check_masks, check_module
from ._graph import HOOK, describe_layer, trace
from ._narrow import narrow
from ._ops import WEIGHTED
from ._select import SelectFeatures
from ._walk import walk

__all__ = ["compact"]


def compact(module, masks=None, *, prune_inputs=False):
    """Return a smaller copy of a module without its pruned hidden units.

    Every hidden unit whose weights are all zero (a ``Linear`` output row, a ``Conv``
    output channel, an ``Embedding`` column) is removed, with the input column or
    channel of every layer that read it, and its entries in the ``BatchNorm`` and
    ``PReLU`` layers in between. The constant such a unit still outputs (its bias,
    through the layers in between) is folded into the next layer's bias, and a unit
    whose outgoing weights are all zero is removed too, so the compacted module
    computes what the masked one does. Units added together are removed together or
    kept together; units that reach the module's output are never removed. See
    :mod:`sklprune.compaction` for the layers and operations it follows.

    Parameters
    ----------
    module : torch.nn.Module
        The pruned network: any module :mod:`torch.fx` can trace (an
        ``nn.Sequential``, :class:`sklprune.modules.MLP`, a module class of your
        own), or a module with a ``__sklprune_chain__`` method. It is not modified.
    masks : dict of str to torch.Tensor, default=None
        Boolean keep-masks by parameter name, such as ``PruningCallback.masks_``
        (``dict(net.callbacks_)["prune"].masks_`` for a skorch ``net`` whose callback
        is named ``"prune"``). They
        are applied to the copy first, so a unit whose mask row is all ``False`` is
        removed even if its weights were not zeroed. ``None`` uses the weights as they
        are.
    prune_inputs : bool, default=False
        Also remove the input features (columns, or channels of a convolutional first
        layer) that the first layer gives only zero weights. The result is then
        ``nn.Sequential(select=SelectFeatures(...), module=compacted)``: it still takes
        the original inputs, and ``result.select.index`` holds the kept features. When
        no feature can be removed, no ``SelectFeatures`` is added.

    Returns
    -------
    compacted : torch.nn.Module
        A new module in evaluation mode, with the layer names of ``module``
        (narrower layers), wrapped as described above when inputs were removed. A
        chain (an ``nn.Sequential``, or a module with ``__sklprune_chain__``) keeps
        its class, and so does a module whose first layer is a ``Linear`` when its
        own ``forward`` gives the original's outputs on a random batch; any other
        module comes back as a :class:`torch.fx.GraphModule` named after its class,
        which runs the traced graph (see :mod:`sklprune.compaction`). An
        unpruned module gives an equal copy. A layer that would lose every unit keeps
        one, so no layer has width zero. A ``Linear`` or ``Conv`` without bias gains
        one when a constant is folded into it.

    Raises
    ------
    ValueError
        If the module holds a layer or operation compaction cannot follow, or its
        forward cannot be traced (the message names the graph node and the
        operation), if ``masks`` name unknown parameters or have wrong shapes, or if
        widths of consecutive layers do not match.
    TypeError
        If ``module`` is not a torch module or a mask is not boolean.

    See Also
    --------
    sklprune.PruningCallback : Prunes a skorch net; ``granularity="neuron"`` prunes
        the whole units that compaction removes.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune import compact
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    >>> with torch.no_grad():
    ...     net[0].weight[2:] = 0.0  # units 2..7 pruned; their biases stay
    >>> small = compact(net)
    >>> small
    Sequential(
      (0): Linear(in_features=4, out_features=2, bias=True)
      (1): ReLU()
      (2): Linear(in_features=2, out_features=2, bias=True)
    )
    >>> x = torch.randn(5, 4)
    >>> torch.allclose(small(x), net(x), atol=1e-6)
    True
    """
    check_module(module, "compact")
    if not isinstance(prune_inputs, bool):
        raise TypeError(f"prune_inputs must be True or False; got {prune_inputs!r}.")
    masks = check_masks(module, masks)
    _check_reparametrisations(module)
    compacted = copy.deepcopy(module).eval()
    apply_masks(compacted, masks)
    traced = trace(compacted)
    select = _selection(compacted, traced.graph) if prune_inputs else None
    added = select is not None and not any(m is select for m in compacted.modules())
    reference = (
        copy.deepcopy(compacted) if traced.uses_hook or not traced.is_chain else None
    )
    with torch.no_grad():
        plan = walk(traced.graph, compacted, select=select)
        input_width = plan.input_width
        # Narrowing may leave more units unused: walk again until none is removed.
        while narrow(plan):
            plan = walk(traced.graph, compacted, select=select)
    narrowed = added and select.index.numel() < select.n_features_in

    def wrap(result):
        """``result`` behind the SelectFeatures of removed inputs, if any."""
        if not narrowed:
            return result
        return nn.Sequential(OrderedDict(select=select, module=result)).eval()

    if traced.is_chain:
        compacted = wrap(compacted)
        if traced.uses_hook and input_width is not None:
            _verify(reference, compacted, module, input_width)
        return compacted
    # The module's own forward runs the narrowed layers when it reads no width in
    # Python; where a random batch can show that it does, the module keeps its class.
    own = wrap(compacted)
    if input_width is not None and _differs(reference, own, input_width) is None:
        return own
    graph_module = fx.GraphModule(compacted, traced.graph, type(module).__name__)
    for name, child in compacted.named_children():  # whole Sequentials, by name
        graph_module.add_module(name, child)
    return wrap(graph_module.eval())


def _selection(module, graph):
    """The SelectFeatures whose entries prune_inputs may remove."""
    placeholder = next(node for node in graph.nodes if node.op == "placeholder")
    for user in placeholder.users:
        if user.op == "call_module":
            layer = module.get_submodule(user.target)
            if type(layer) is SelectFeatures:
                return layer
    first = next(
        (
            module.get_submodule(node.target)
            for node in graph.nodes
            if node.op == "call_module"
            and type(module.get_submodule(node.target)) in WEIGHTED
        ),
        None,
    )
    if first is None:
        raise ValueError(
            "prune_inputs=True needs a Linear or Conv layer to read the inputs; the "
            "module has none."
        )
    n_in = first.in_features if type(first) is nn.Linear else first.in_channels
    return SelectFeatures(torch.arange(n_in), n_in).to(first.weight.device)


# --------------------------------------------------------------------- checks


def _check_reparametrisations(module):
    """Refuse weights computed by hooks, which cannot be copied or narrowed."""
    for name, layer in module.named_modules():
        problem = None
        if hasattr(layer, "weight_orig"):
            problem = (
                "it carries a torch.nn.utils.prune reparametrisation; call "
                "torch.nn.utils.prune.remove(layer, 'weight') first"
            )
        elif parametrize.is_parametrized(layer):
            problem = (
                "it has a parametrization; call "
                "torch.nn.utils.parametrize.remove_parametrizations first"
            )
        if problem is not None:
            raise ValueError(
                f"compact cannot follow {describe_layer(name, layer)}: {problem}."
            )


@torch.no_grad()
def _differs(reference, compacted, n_in):
    """Why ``compacted`` does not compute what ``reference`` does, or ``None``."""
    weight = next(reference.parameters())
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(8, n_in, generator=generator).to(weight.device, weight.dtype)
    expected = reference(x)
    try:
        got = compacted(x)
    except Exception as exc:  # a forward that relies on the old widths
        return exc
    scale = float(expected.abs().max()) if expected.numel() else 0.0
    if expected.shape != got.shape or not torch.allclose(
        got, expected, rtol=1e-3, atol=1e-4 * (1.0 + scale), equal_nan=True
    ):
        return "outputs differ on a random batch"
    return None


def _verify(reference, compacted, original, n_in):
    """Compare a module compacted by its chain hook with its own forward."""
    problem = _differs(reference, compacted, n_in)
    if problem is not None:
        raise ValueError(
            f"The compacted {type(original).__name__} does not compute what the "
            f"original does ({problem}): its forward is not the chain that its "
            f"{HOOK}() returns (a functional activation, reshape or skip connection "
            "that the chain does not list?)."
        )
